"""Live versions in the API's database: gate verdicts, promotions, rollbacks, replays."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docroute.contracts._generated import Evaluation, Metrics, ModelPromoted, ModelPublished
from docroute.events import Event, new_event
from services.api.projection.service import projector
from services.api.versions.models import ModelVersion
from services.api.versions.service.history import live_state, rollback_target

WORKFLOW = uuid.uuid4()


def published(version: int, live: bool, reason: str | None = None) -> Event[Any]:
    data = ModelPublished(
        workflow_id=WORKFLOW,
        version=version,
        artifact_ref=f"s3://b/models/{WORKFLOW}/v{version}/",
        embedder_id="usem3",
        labels=["a", "b"],
        metrics=Metrics(accuracy=0.9, macro_f1=0.9, n_samples=40),
        live=live,
        reason=reason,
        evaluation=Evaluation(method="unseen_samples", live_version=version - 1, n_samples=10),
    )
    return new_event("model.published", data, source="test")


def promoted(version: int, action: str, pinned: bool = False) -> Event[Any]:
    data = ModelPromoted(
        workflow_id=WORKFLOW,
        promotion_id=uuid.uuid4(),
        version=version,
        artifact_ref=f"s3://b/models/{WORKFLOW}/v{version}/" if version else None,
        action=action,
        pinned=pinned,
    )
    return new_event("model.promoted", data, source="test")


def apply(session: Session, *events: Event[Any]) -> None:
    for event in events:
        projector.apply(session, event)
    session.commit()


def live_versions(session: Session) -> list[int]:
    return list(session.scalars(select(ModelVersion.version).where(ModelVersion.live)))


def test_a_candidate_keeps_its_reason_and_the_live_version_stays(session: Session) -> None:
    apply(session, published(1, True), published(2, False, reason="worse: stays a candidate"))
    assert live_versions(session) == [1]
    row = session.get_one(ModelVersion, (WORKFLOW, 2))
    assert (row.reason, row.evaluation["method"]) == ("worse: stays a candidate", "unseen_samples")
    assert live_state(session, WORKFLOW).version == 1


def test_promote_pin_and_roll_back_walk_the_history(session: Session) -> None:
    apply(session, published(1, True), published(2, True), published(3, False))
    assert rollback_target(session, WORKFLOW) == 1
    apply(session, promoted(3, "pin", pinned=True))
    assert live_versions(session) == [3] and live_state(session, WORKFLOW).pinned
    assert rollback_target(session, WORKFLOW) == 2
    apply(session, promoted(2, "rollback"))
    assert live_versions(session) == [2]
    assert rollback_target(session, WORKFLOW) == 1  # two steps back, not a toggle
    apply(session, promoted(1, "rollback"))
    assert rollback_target(session, WORKFLOW) == 0  # before v1: no model
    apply(session, promoted(0, "rollback"))
    assert live_versions(session) == [] and live_state(session, WORKFLOW).version == 0
    assert rollback_target(session, WORKFLOW) is None


def test_a_replayed_batch_ends_where_the_topic_ends(session: Session) -> None:
    events = [published(1, True), published(2, True), promoted(1, "rollback")]
    apply(session, *events)
    apply(session, *events)  # the projection replays a batch after a failed commit
    assert live_versions(session) == [1]
    assert live_state(session, WORKFLOW).version == 1
