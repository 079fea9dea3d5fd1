"""Model versions: list and read them (with everything each records), promote, pin, roll back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from services.api.access.service.auth import Principal
from services.api.adapters import LazyProducer
from services.api.deps import BlobStoreDep, CurrentKey, ProducerDep, SessionDep, WorkflowDep
from services.api.versions.models import ModelVersion
from services.api.versions.schemas import PromotionAccepted, PromotionRequest, VersionDetail, VersionSummary
from services.api.versions.service import history, promotions
from services.api.versions.service.history import live_state
from services.api.workflows.models import Workflow

router = APIRouter(prefix="/workflows", tags=["versions"])

VersionNumber = Annotated[int, Path(ge=0, le=1_000_000, description="0 means no model")]
OptionalBody = Annotated[PromotionRequest | None, Body()]


@router.get("/{key}/versions", response_model=list[VersionSummary])
def list_versions(workflow: WorkflowDep, session: SessionDep) -> list[VersionSummary]:
    """Published versions, newest first: `live` marks the one serving, candidates say why not
    (`reason`, from the promotion gate). Version 0 (no model) is live until one is."""
    state = live_state(session, workflow.id)
    return [promotions.summary(row, state) for row in history.versions(session, workflow.id)]


@router.get("/{key}/versions/{version}", response_model=VersionDetail)
def read_version(
    workflow: WorkflowDep, session: SessionDep, blobstore: BlobStoreDep, version: VersionNumber
) -> VersionDetail:
    """A version's training set (sample ids), embedder, cross-validated accuracy and macro-F1,
    per-class precision/recall, confusion matrix, calibration error and training time."""
    state = live_state(session, workflow.id)
    if version == 0:
        return promotions.no_model(state)
    row = session.get(ModelVersion, (workflow.id, version))
    if row is None:
        raise HTTPException(404, f"this workflow has no version {version}")
    return promotions.detail(blobstore, row, state)


@router.post("/{key}/versions/{version}/promote", status_code=202, response_model=PromotionAccepted)
async def promote_version(
    workflow: WorkflowDep,
    session: SessionDep,
    producer: ProducerDep,
    principal: CurrentKey,
    version: VersionNumber,
    body: OptionalBody = None,
) -> PromotionAccepted:
    """Make a version live (a candidate the gate held back, or 0: no model). A later version
    still goes live if it passes the gate; promoting the live version unpins it."""
    return await _change(workflow, session, producer, principal, "promote", version, body)


@router.post("/{key}/versions/{version}/pin", status_code=202, response_model=PromotionAccepted)
async def pin_version(
    workflow: WorkflowDep,
    session: SessionDep,
    producer: ProducerDep,
    principal: CurrentKey,
    version: VersionNumber,
    body: OptionalBody = None,
) -> PromotionAccepted:
    """Make a version live and keep it: new versions stay candidates until one is promoted."""
    return await _change(workflow, session, producer, principal, "pin", version, body)


@router.post("/{key}/versions/rollback", status_code=202, response_model=PromotionAccepted)
async def rollback_version(
    workflow: WorkflowDep,
    session: SessionDep,
    producer: ProducerDep,
    principal: CurrentKey,
    body: OptionalBody = None,
) -> PromotionAccepted:
    """Go back to the version that was live before the current one, pinned (409 when there is
    none): new versions stay candidates until one is promoted by hand."""
    return await _change(workflow, session, producer, principal, "rollback", None, body)


async def _change(
    workflow: Workflow,
    session: Session,
    producer: LazyProducer,
    principal: Principal,
    action: promotions.Action,
    version: int | None,
    body: PromotionRequest | None,
) -> PromotionAccepted:
    return await run_in_threadpool(
        promotions.change,
        session,
        producer,
        workflow,
        action,
        version,
        requested_by=principal.name,
        reason=body.reason if body else None,
    )
