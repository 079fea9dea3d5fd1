"""Usage: months in UTC, metering once, what is free, credits, the 429 past the allowance."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from services.api.access.service import usage
from services.api.errors import DomainError
from services.api.settings import UsageSettings
from services.api.workflows.models import Workflow

SETTINGS = UsageSettings(plans={"free": 10, "big": None}, default_plan="free")
NOW = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def workflow(session: Session, plan: str = "free") -> Workflow:
    row = Workflow(name="w", labels=["a", "b"], document_spec={}, class_thresholds={}, plan=plan)
    session.add(row)
    session.flush()
    return row


def meter(session: Session, wf: Workflow, pages: int, purpose: str | None = "processing", **kw) -> bool:
    return usage.meter(
        session,
        document_id=kw.pop("document_id", uuid.uuid4()),
        workflow_id=wf.id,
        purpose=purpose,
        pages=pages,
        at=kw.pop("at", NOW),
    )


def test_months_are_utc_and_roll_over_the_year() -> None:
    assert usage.month_of(datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))) == "2026-12"
    assert usage.next_month_start("2026-12") == datetime(2027, 1, 1, tzinfo=UTC)
    assert usage.next_month_start("2026-02") == datetime(2026, 3, 1, tzinfo=UTC)


def test_each_document_counts_once_and_samples_and_previews_are_free(session: Session) -> None:
    wf = workflow(session)
    doc = uuid.uuid4()
    assert meter(session, wf, 3, document_id=doc)
    assert not meter(session, wf, 3, document_id=doc)
    assert not meter(session, wf, 5, purpose="training")
    assert not meter(session, wf, 5, purpose="preview")
    assert meter(session, wf, 0, purpose=None)  # unknown purpose, at least one page
    meter(session, wf, 7, at=NOW - timedelta(days=40))  # another month
    session.flush()
    assert usage.totals(session, wf.id, "2026-12") == (4, 2)
    used = usage.month_usage(session, SETTINGS, wf, "2026-12")
    assert (used.credits, used.pages_left, used.exhausted) == (4 * 15 + 2 * 30, 6, False)


def test_past_the_allowance_is_429_until_next_month(session: Session) -> None:
    wf = workflow(session)
    meter(session, wf, 9)
    session.flush()
    usage.refuse_over_allowance(session, SETTINGS, wf, now=NOW)
    meter(session, wf, 1)
    session.flush()
    with pytest.raises(DomainError) as refused:
        usage.refuse_over_allowance(session, SETTINGS, wf, now=NOW)
    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": "3600"}
    assert "10 of the 10 pages" in str(refused.value.detail)
    usage.refuse_over_allowance(session, SETTINGS, wf, now=NOW + timedelta(hours=2))  # January
    wf.plan = "big"
    usage.refuse_over_allowance(session, SETTINGS, wf, now=NOW)  # unlimited
    wf.plan = "gone"
    assert usage.plan_of(SETTINGS, wf) == "free"


def test_the_default_plan_must_exist() -> None:
    with pytest.raises(ValueError, match="default_plan"):
        UsageSettings(plans={"pro": 5}, default_plan="free")
