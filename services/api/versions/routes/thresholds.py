"""Thresholds: what the workflow's confidence thresholds mean, from cross-validated predictions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from services.api.deps import BlobStoreDep, SessionDep, WorkflowDep
from services.api.versions.models import ModelVersion
from services.api.versions.schemas import ThresholdReport
from services.api.versions.service import thresholds
from services.api.versions.service.history import live_state

router = APIRouter(prefix="/workflows", tags=["thresholds"])


@router.get("/{key}/thresholds", response_model=ThresholdReport)
def read_thresholds(
    workflow: WorkflowDep,
    session: SessionDep,
    blobstore: BlobStoreDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Default: the live version")] = None,
) -> ThresholdReport:
    """For the workflow's threshold and per-class thresholds, and for a table of candidate
    thresholds: the share of documents routed automatically and the expected error among them,
    overall and per predicted class, measured on the version's out-of-fold predictions."""
    number = version or live_state(session, workflow.id).version
    if not number:
        raise HTTPException(404, "the workflow has no live model version yet: train one first")
    row = session.get(ModelVersion, (workflow.id, number))
    if row is None:
        raise HTTPException(404, f"this workflow has no version {number}")
    try:
        oof = thresholds.load(blobstore, row.artifact_ref)
    except ValueError as exc:
        raise HTTPException(409, f"version {number}'s evaluation record is unreadable: {exc}") from exc
    if oof is None:
        raise HTTPException(
            404, f"version {number} was trained before out-of-fold predictions were kept: train a new one"
        )
    return thresholds.report(
        oof, version=number, threshold=workflow.threshold, class_thresholds=dict(workflow.class_thresholds)
    )
