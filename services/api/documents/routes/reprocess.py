"""Reprocess: send a workflow's dead-lettered documents (or those in review) through the pipeline again."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from services.api.deps import ResourcesDep, WorkflowDep
from services.api.documents.schemas import ReprocessRequest, ReprocessResult
from services.api.documents.service import reprocess as reprocessing

router = APIRouter(tags=["uploads"])


@router.post(
    "/workflows/{key}/documents/reprocess",
    response_model=ReprocessResult,
    responses={429: {"description": "Their pages do not fit the plan's allowance: nothing was sent"}},
)
async def reprocess(
    workflow: WorkflowDep, resources: ResourcesDep, body: ReprocessRequest
) -> ReprocessResult:
    """Send dead-lettered documents (status `failed`) whose original is stored through the pipeline
    again, after their cause is fixed (a larger plan, a fixed service), and with `statuses:
    ["review"]` the documents waiting in review that an older model than the live one classified;
    with `dry_run`, only list them. A document is sent once: it leaves its status when sent, and
    the router routes it once (a document in review once more per newer model). Documents refused
    before they were read are listed as skipped (publish the mail again)."""
    return await run_in_threadpool(reprocessing.reprocess, resources, workflow, body)
