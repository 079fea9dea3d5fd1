"""The live version per workflow from `model.published`/`model.promoted`: the last event wins."""

from __future__ import annotations

import uuid
from typing import Any

from docroute.contracts._generated import Metrics, ModelPromoted, ModelPublished
from docroute.events import Event, new_event
from docroute.model_versions import LiveModel, ModelLedger

WORKFLOW = str(uuid.uuid4())


def published(version: int, live: bool) -> Event[Any]:
    data = ModelPublished(
        workflow_id=WORKFLOW,
        version=version,
        artifact_ref=f"s3://b/models/{WORKFLOW}/v{version}/",
        embedder_id="usem3",
        labels=["a", "b"],
        metrics=Metrics(accuracy=1, macro_f1=1, n_samples=4),
        live=live,
    )
    return new_event("model.published", data, source="test")


def promoted(version: int, action: str = "promote", pinned: bool = False) -> Event[Any]:
    ref = f"s3://b/models/{WORKFLOW}/v{version}/" if version else None
    data = ModelPromoted(
        workflow_id=WORKFLOW,
        promotion_id=uuid.uuid4(),
        version=version,
        artifact_ref=ref,
        action=action,
        pinned=pinned,
    )
    return new_event("model.promoted", data, source="test")


def test_candidates_are_known_but_not_live() -> None:
    ledger = ModelLedger()
    assert ledger.apply(published(1, live=True)) == LiveModel(1, f"s3://b/models/{WORKFLOW}/v1/")
    assert ledger.apply(published(2, live=False)) is None
    assert ledger.live[WORKFLOW].version == 1
    assert ledger.published[(WORKFLOW, 2)].endswith("/v2/")


def test_promotions_and_rollbacks_follow_the_order_of_the_topic() -> None:
    ledger = ModelLedger()
    for event in (published(1, True), published(2, True), promoted(1, "rollback"), published(3, False)):
        ledger.apply(event)
    assert ledger.live[WORKFLOW] == LiveModel(1, f"s3://b/models/{WORKFLOW}/v1/", pinned=False)
    ledger.apply(promoted(3, "pin", pinned=True))
    assert ledger.live[WORKFLOW].pinned and ledger.live[WORKFLOW].version == 3
    ledger.apply(promoted(0))
    assert ledger.live[WORKFLOW] == LiveModel(0, None, pinned=False)  # version 0: no model
