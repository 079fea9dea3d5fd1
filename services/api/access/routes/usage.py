"""Usage and plans: pages, documents and credits per month; the plan that caps the pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from services.api.access.schemas import Credits, PlanChange, PlanPublic, UsageReport
from services.api.access.service import usage
from services.api.deps import AdminKey, ResourcesDep, SessionDep, SettingsDep, WorkflowAnyStateDep
from services.api.workflows.models import Workflow
from services.api.workflows.schemas import WorkflowPublic
from services.api.workflows.service.changes import save_and_publish

router = APIRouter(tags=["usage"])

Month = Annotated[
    str | None,
    Query(
        pattern=r"^2\d{3}-(0[1-9]|1[0-2])$",
        description="YYYY-MM (UTC); the current month when left out",
    ),
]


@router.get("/workflows/{key}/usage", response_model=UsageReport)
def read_usage(
    workflow: WorkflowAnyStateDep, session: SessionDep, settings: SettingsDep, month: Month = None
) -> UsageReport:
    """Pages and documents metered in the month, what the plan allows, and the credits.

    Metered: processing documents whose result was delivered (routed or sent to review), in
    the month of delivery; previews, training samples and failed documents are free. Reserved:
    pages of documents accepted and still in flight; they count against the allowance until
    delivered (then metered) or failed (then given back).
    """
    used = usage.month_usage(session, settings.usage, workflow, month or usage.month_of(datetime.now(UTC)))
    return UsageReport(
        workflow_key=workflow.id,
        month=used.month,
        plan=used.plan,
        page_allowance=used.page_allowance,
        pages=used.pages,
        documents=used.documents,
        pages_reserved=used.pages_reserved,
        pages_left=used.pages_left,
        exhausted=used.exhausted,
        resets_at=used.resets_at,
        credits=Credits(
            per_page=used.credits_per_page,
            per_document=used.credits_per_document,
            pages=used.pages * used.credits_per_page,
            documents=used.documents * used.credits_per_document,
            total=used.credits,
        ),
    )


@router.get("/plans", response_model=list[PlanPublic])
def list_plans(settings: SettingsDep) -> list[PlanPublic]:
    """The configured plans and their monthly page allowance (null: unlimited)."""
    return [
        PlanPublic(name=name, monthly_pages=pages, default=name == settings.usage.default_plan)
        for name, pages in settings.usage.plans.items()
    ]


@router.put("/workflows/{key}/plan", response_model=WorkflowPublic)
def set_plan(
    found: WorkflowAnyStateDep,
    body: PlanChange,
    session: SessionDep,
    resources: ResourcesDep,
    _admin: AdminKey,
) -> WorkflowPublic:
    """Put the workflow on a plan (admin key); it applies to the current month at once."""
    plans = resources.settings.usage.plans
    if body.plan not in plans:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"unknown plan {body.plan!r}: one of {sorted(plans)}",
        )
    workflow = session.get_one(Workflow, found.id)
    if workflow.plan != body.plan:
        workflow.plan = body.plan
        save_and_publish(session, resources, workflow)
    return WorkflowPublic.model_validate(workflow)
