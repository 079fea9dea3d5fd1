"""Usage: pages and documents per workflow and month, plans, credits, and the 429 past a plan.

What is metered: a processing document once its result is delivered, i.e. when the projection
sees its `document.routed` (to an extraction topic or to review), for the pages the pipeline
read (`billed_pages`: at most `DOCROUTE_MAX_PAGES` of those the workflow's `relevant_pages`
selects, `docroute.page_selection.billable_pages`), not for its length. Each document counts once
(its id is the record's key, so a replayed event counts nothing), in the month (UTC) of delivery.
A zip is not a document: its members are. Training samples and previews are never routed, so
never metered; nor are documents that fail (nothing was delivered). Mailroom documents are
metered like uploads.

The allowance holds under bursts: the door counts a document's pages (`docroute.intake`) and
reserves those that will be read (`billed_pages`) in the page ledger (`docroute.quota`) in the
same transaction that records the document; a document whose pages do not fit beside those used
and those reserved by documents in flight gets 429. Delivery settles the reservation (the pages
become used), a failure releases it.
Ingest's mailroom door reserves through the same ledger (its policy: services/ingest/quota_gate.py).

Credits: `pages x credits_per_page + documents x credits_per_document` (15 and 30 by default,
natif.ai's prices); set either price to 0 to charge by pages or documents only.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docroute import quota
from docroute.page_selection import billable_pages
from docroute.settings import UsageSettings
from services.api.access.models import UsageRecord
from services.api.errors import QuotaExceededError
from services.api.workflows.models import Workflow

logger = logging.getLogger(__name__)

NOT_METERED = frozenset({"training", "preview"})
# Retry-After when only reservations of documents in flight block a document (seconds).
IN_FLIGHT_RETRY_S = 30


month_of = quota.month_of


def month_start(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=UTC)


def next_month_start(month: str) -> datetime:
    start = month_start(month)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def billed_pages(workflow: Workflow | None, page_count: int | None, max_pages: int) -> int:
    """The pages a document of `page_count` pages is billed for: those OCR reads under the
    workflow's `relevant_pages` and the page cap (the door reserves them, delivery meters them)."""
    spec = (workflow.document_spec or {}).get("relevant_pages") if workflow is not None else None
    return billable_pages(max(page_count or 1, 1), spec, max_pages)


def meter(
    session: Session,
    *,
    document_id: uuid.UUID,
    workflow_id: uuid.UUID,
    purpose: str | None,
    pages: int | None,
    at: datetime | None = None,
    metered: bool | None = None,
) -> bool:
    """Record one delivered document and settle its reserved pages (in the caller's transaction);
    False when not metered. `metered`: whether the document's record was in the database when the
    caller read it (the projection reads it with the batch's documents); None: it is asked."""
    if purpose in NOT_METERED or _metered(session, document_id, metered):
        quota.release(session.connection(), [document_id])
        return False
    at = at or datetime.now(UTC)
    pages = max(pages or 1, 1)
    session.add(
        UsageRecord(
            document_id=document_id,
            workflow_id=workflow_id,
            month=month_of(at),
            pages=pages,
            metered_at=at,
        )
    )
    quota.settle(session.connection(), document_id, workflow_id, pages, at)
    return True


def _metered(session: Session, document_id: uuid.UUID, known: bool | None) -> bool:
    # A batch of events may meter a document twice before the session flushes.
    pending = any(isinstance(o, UsageRecord) and o.document_id == document_id for o in session.new)
    if pending:
        return True
    if known is not None:
        return known
    return session.get(UsageRecord, document_id) is not None


def release(session: Session, document_ids: list[uuid.UUID]) -> None:
    """Give back the pages reserved for documents that failed (in the caller's transaction)."""
    quota.release(session.connection(), document_ids)


def reserve(
    session: Session,
    settings: UsageSettings,
    workflow: Workflow,
    charges: list[quota.Charge],
    now: datetime | None = None,
) -> None:
    """Reserve the pages of documents entering at the door; 429 when they do not fit.

    Runs in the caller's transaction (which also records the documents): a refusal leaves
    nothing behind once the caller rolls back.
    """
    now = now or datetime.now(UTC)
    plan = plan_of(settings, workflow)
    refusal = quota.reserve(session.connection(), workflow.id, charges, settings.plans[plan], now)
    if refusal is None:
        return
    session.rollback()
    if refusal.fits_after_deliveries:
        # Only documents in flight stand in the way; some may fail and give their pages back.
        wait_s, when = IN_FLIGHT_RETRY_S, "retry once documents in flight are done"
    else:
        resets_at = next_month_start(refusal.month)
        wait_s = max(1, int((resets_at - now).total_seconds()))
        when = f"processing resumes at {resets_at.isoformat()} or with a larger plan"
    raise QuotaExceededError(
        f"{refusal.describe(plan)}; {when}",
        headers={"Retry-After": str(wait_s)},
    )


def totals(session: Session, workflow_id: uuid.UUID, month: str) -> tuple[int, int]:
    """Pages and documents metered for a workflow in a month."""
    query = select(func.coalesce(func.sum(UsageRecord.pages), 0), func.count()).where(
        UsageRecord.workflow_id == workflow_id, UsageRecord.month == month
    )
    pages, documents = session.execute(query).one()
    return int(pages), int(documents)


def plan_of(settings: UsageSettings, workflow: Workflow) -> str:
    """The workflow's plan; the default one when its plan is no longer configured."""
    if workflow.plan in settings.plans:
        return workflow.plan
    logger.warning(
        "plan %r is not configured, using %r",
        workflow.plan,
        settings.default_plan,
        extra={"workflow_id": workflow.id},
    )
    return settings.default_plan


@dataclass(frozen=True)
class MonthUsage:
    """One workflow's usage in one month, priced."""

    month: str
    plan: str
    page_allowance: int | None
    pages: int
    documents: int
    credits_per_page: int
    credits_per_document: int
    pages_reserved: int = 0

    @property
    def pages_left(self) -> int | None:
        if self.page_allowance is None:
            return None
        return max(self.page_allowance - self.pages - self.pages_reserved, 0)

    @property
    def exhausted(self) -> bool:
        return self.page_allowance is not None and self.pages >= self.page_allowance

    @property
    def credits(self) -> int:
        return self.pages * self.credits_per_page + self.documents * self.credits_per_document

    @property
    def resets_at(self) -> datetime:
        return next_month_start(self.month)


def month_usage(session: Session, settings: UsageSettings, workflow: Workflow, month: str) -> MonthUsage:
    plan = plan_of(settings, workflow)
    pages, documents = totals(session, workflow.id, month)
    _, reserved = quota.month_figures(session.connection(), workflow.id, month)
    return MonthUsage(
        month=month,
        plan=plan,
        page_allowance=settings.plans[plan],
        pages=pages,
        documents=documents,
        credits_per_page=settings.credits_per_page,
        credits_per_document=settings.credits_per_document,
        pages_reserved=reserved,
    )


def refuse_over_allowance(
    session: Session, settings: UsageSettings, workflow: Workflow, now: datetime | None = None
) -> None:
    """429 with `Retry-After` (seconds to the next month) once this month's pages are used up:
    a quick check before an upload is read; `reserve` is the one that holds under bursts."""
    now = now or datetime.now(UTC)
    used = month_usage(session, settings, workflow, month_of(now))
    if not used.exhausted:
        return
    wait_s = max(1, int((used.resets_at - now).total_seconds()))
    raise QuotaExceededError(
        f"monthly page allowance used up: {used.pages} of the {used.page_allowance} pages that "
        f"plan {used.plan!r} allows in {used.month}; processing resumes at "
        f"{used.resets_at.isoformat()} or with a larger plan",
        headers={"Retry-After": str(wait_s)},
    )
