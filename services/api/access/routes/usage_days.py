"""Usage per day: what the console draws under the month's totals."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from services.api.access.routes.usage import Month
from services.api.access.schemas import UsageDay
from services.api.access.service import usage, usage_days
from services.api.deps import SessionDep, WorkflowAnyStateDep

router = APIRouter(tags=["usage"])


@router.get("/workflows/{key}/usage/days", response_model=list[UsageDay])
def read_usage_days(
    workflow: WorkflowAnyStateDep, session: SessionDep, month: Month = None
) -> list[UsageDay]:
    """Metered pages and documents per day (UTC) of the month; days without any are left out."""
    chosen = month or usage.month_of(datetime.now(UTC))
    return [
        UsageDay(day=d, pages=p, documents=n) for d, p, n in usage_days.per_day(session, workflow.id, chosen)
    ]
