"""The door's reservation: 429 with a Retry-After that says when pages can free up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from services.api.access.service import usage
from services.api.errors import DomainError
from services.api.settings import UsageSettings
from services.api.workflows.models import Workflow

SETTINGS = UsageSettings(plans={"free": 10, "big": None}, default_plan="free")
NOW = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def workflow(session: Session, plan: str = "free") -> Workflow:
    row = Workflow(name="w", labels=["a", "b"], document_spec={}, class_thresholds={}, plan=plan)
    session.add(row)
    session.commit()
    return row


def reserve(session: Session, wf: Workflow, pages: int) -> uuid.UUID:
    document_id = uuid.uuid4()
    usage.reserve(session, SETTINGS, wf, [(document_id, pages)], NOW)
    session.commit()
    return document_id


def test_in_flight_pages_refuse_with_a_short_retry(session: Session) -> None:
    wf = workflow(session)
    reserve(session, wf, 6)
    with pytest.raises(DomainError) as refused:
        reserve(session, wf, 5)
    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": str(usage.IN_FLIGHT_RETRY_S)}
    assert "5 pages do not fit" in refused.value.detail and "6 reserved" in refused.value.detail
    assert usage.month_usage(session, SETTINGS, wf, "2026-11").pages_left == 4


def test_used_pages_refuse_until_next_month(session: Session) -> None:
    wf = workflow(session)
    delivered = reserve(session, wf, 8)
    assert usage.meter(
        session, document_id=delivered, workflow_id=wf.id, purpose="processing", pages=8, at=NOW
    )
    session.commit()
    report = usage.month_usage(session, SETTINGS, wf, "2026-11")
    assert (report.pages, report.pages_reserved, report.pages_left) == (8, 0, 2)
    with pytest.raises(DomainError) as refused:
        reserve(session, wf, 3)
    assert refused.value.headers == {"Retry-After": str(3600)}  # 23:00 -> 1 December
    assert "processing resumes at 2026-12-01" in refused.value.detail
    reserve(session, wf, 2)


def test_failure_gives_pages_back_and_unlimited_plans_never_refuse(session: Session) -> None:
    wf = workflow(session)
    failed = reserve(session, wf, 10)
    usage.release(session, [failed])
    session.commit()
    reserve(session, wf, 10)
    big = workflow(session, plan="big")
    for _ in range(3):
        reserve(session, big, 1000)
