"""Versions as the API shows them, and promoting, pinning or rolling back by hand.

A change is a `model.promoted` event on the `model.published` topic (one ordered partition per
the design in docroute.model_versions): classify, the trainer and this API's projection all
apply it in the same order as the trainer's own `model.published`, and the last event wins.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy.orm import Session

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import ModelPromoted
from docroute.events import emit
from services.api.adapters import LazyProducer
from services.api.errors import ConflictError, NotFoundError
from services.api.versions.models import ModelVersion
from services.api.versions.schemas import ClassFigures, PromotionAccepted, VersionDetail, VersionSummary
from services.api.versions.service import version_files
from services.api.versions.service.history import LiveState, live_state, rollback_target
from services.api.workflows.models import Workflow

Action = Literal["promote", "pin", "rollback"]
NO_MODEL_REASON = "version 0 means no model: every document goes to review"


def summary(row: ModelVersion, state: LiveState) -> VersionSummary:
    return VersionSummary(
        version=row.version,
        live=row.live,
        pinned=row.live and state.pinned and state.version == row.version,
        reason=row.reason,
        evaluation=row.evaluation,
        embedder_id=row.embedder_id,
        labels=list(row.labels),
        metrics=dict(row.metrics or {}),
        published_at=row.published_at,
    )


def detail(store: BlobStore, row: ModelVersion, state: LiveState) -> VersionDetail:
    """The summary plus the version's manifest and cross-validated report from S3."""
    manifest = version_files.manifest(store, row.artifact_ref)
    report = version_files.metrics(store, row.artifact_ref)
    per_class: dict[str, Any] = report.get("per_class", {})
    return VersionDetail(
        **summary(row, state).model_dump(),
        trained_at=manifest.get("trained_at"),
        training_set=list(manifest.get("training_set", [])),
        per_class={label: ClassFigures(**figures) for label, figures in per_class.items()},
        confusion_matrix=report.get("confusion_matrix", []),
        threshold_table=report.get("threshold_table", []),
        recipe=manifest.get("recipe"),
        warnings=report.get("warnings", []),
    )


def no_model(state: LiveState) -> VersionDetail:
    return VersionDetail(
        version=0, live=state.version == 0, pinned=state.version == 0 and state.pinned, reason=NO_MODEL_REASON
    )


def change(
    session: Session,
    producer: LazyProducer,
    workflow: Workflow,
    action: Action,
    version: int | None,
    *,
    requested_by: str | None,
    reason: str | None,
) -> PromotionAccepted:
    """Announce a hand-made change of the live version; `version` None rolls back."""
    state = live_state(session, workflow.id)
    if action == "rollback":
        version = rollback_target(session, workflow.id)
        if version is None:
            raise ConflictError(f"v{state.version} is the first live version: nothing to roll back to")
    assert version is not None
    artifact_ref = None
    if version != 0:
        row = session.get(ModelVersion, (workflow.id, version))
        if row is None:
            raise NotFoundError(f"this workflow has no version {version} (0 means no model)")
        artifact_ref = row.artifact_ref
    # A rollback holds: the next trained version must not redeploy what was just taken back.
    pinned = action in ("pin", "rollback")
    data = ModelPromoted(
        workflow_id=workflow.id,
        promotion_id=uuid.uuid4(),
        version=version,
        artifact_ref=artifact_ref,
        action=action,
        pinned=pinned,
        previous_version=state.version,
        requested_by=requested_by[:200] if requested_by else None,
        reason=reason,
    )
    key = str(workflow.id)
    producer.send([emit(topics.MODEL_PROMOTED, "model.promoted", data, source="api", key=key, step=None)])
    return PromotionAccepted(
        workflow_id=workflow.id, version=version, previous_version=state.version, action=action, pinned=pinned
    )
