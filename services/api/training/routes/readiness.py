"""Readiness: enough training data per class, and what the live version confuses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import BlobStoreDep, SessionDep, WorkflowDep
from services.api.training.schemas import Readiness
from services.api.training.service import readiness
from services.api.versions.models import ModelVersion
from services.api.versions.service import history as version_history
from services.api.versions.service import version_files

router = APIRouter(prefix="/workflows", tags=["training data"])


@router.get("/{key}/readiness", response_model=Readiness)
def read_readiness(
    workflow: WorkflowDep,
    session: SessionDep,
    blobstore: BlobStoreDep,
    hard: Annotated[
        bool | None,
        Query(description="Look-alike classes: doubles the counts (default: judged from the live model)"),
    ] = None,
) -> Readiness:
    """Labelled samples per class against the rule of thumb (25 per class below 5 classes, 50
    from 5, doubled for hard tasks), the classes the live version confuses, and plain advice."""
    live_version = version_history.live_state(session, workflow.id).version
    row = session.get(ModelVersion, (workflow.id, live_version)) if live_version else None
    confused = []
    if row is not None:
        report = version_files.metrics(blobstore, row.artifact_ref)
        if report:
            confused = readiness.confusions(
                report.get("labels", row.labels), report.get("confusion_matrix", [])
            )
    is_hard, why = readiness.decide_hard(hard, row.metrics if row else None)
    return readiness.assess(
        workflow.id,
        readiness.label_counts(session, workflow.id),
        list(workflow.labels),
        hard=is_hard,
        hard_reason=why,
        live_version=live_version,
        confused=confused,
        pending=readiness.state_count(session, workflow.id, "pending"),
        unlabelled=readiness.state_count(session, workflow.id, "unlabelled"),
    )
