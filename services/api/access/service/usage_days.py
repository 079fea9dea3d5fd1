"""Usage per day: the month's metered pages and documents, day by day (UTC)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.api.access.models import UsageRecord


def per_day(session: Session, workflow_id: uuid.UUID, month: str) -> list[tuple[date, int, int]]:
    """(day, pages, documents) for each day of `month` with metered documents, in order."""
    day = func.date(UsageRecord.metered_at)
    rows = session.execute(
        select(day, func.sum(UsageRecord.pages), func.count())
        .where(UsageRecord.workflow_id == workflow_id, UsageRecord.month == month)
        .group_by(day)
        .order_by(day)
    )
    return [(_as_date(d), int(pages or 0), int(docs)) for d, pages, docs in rows]


def _as_date(value: date | datetime | str) -> date:
    """SQLite's date() answers a string, PostgreSQL's a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
