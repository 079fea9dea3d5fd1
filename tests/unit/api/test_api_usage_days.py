"""Usage per day: the month's metered documents grouped by their UTC day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

import services.api.workflows.models  # noqa: F401  (the table api_key_workflows refers to)
from services.api.access.models import UsageRecord
from services.api.access.service.usage_days import per_day


def test_pages_and_documents_per_day(session: Session) -> None:
    workflow, other = uuid.uuid4(), uuid.uuid4()
    for wf, when, pages in [
        (workflow, datetime(2026, 11, 3, 23, 59, tzinfo=UTC), 2),
        (workflow, datetime(2026, 11, 3, 8, 0, tzinfo=UTC), 5),
        (workflow, datetime(2026, 11, 9, 12, 0, tzinfo=UTC), 1),
        (other, datetime(2026, 11, 3, 9, 0, tzinfo=UTC), 50),
        (workflow, datetime(2026, 10, 31, 9, 0, tzinfo=UTC), 9),
    ]:
        session.add(
            UsageRecord(
                document_id=uuid.uuid4(), workflow_id=wf, month=f"{when:%Y-%m}", pages=pages, metered_at=when
            )
        )
    session.commit()
    assert per_day(session, workflow, "2026-11") == [(date(2026, 11, 3), 7, 2), (date(2026, 11, 9), 1, 1)]
    assert per_day(session, workflow, "2026-12") == []
