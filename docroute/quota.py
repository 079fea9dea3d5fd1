"""The page ledger both doors share: pages reserved while documents are in flight, settled
when they are delivered, released when they fail.

One counter row per (workflow, month) holds `used_pages` (delivered, as metered) and
`reserved_pages` (accepted, not yet delivered). A door reserves with one conditional UPDATE,
`reserved += p WHERE used + reserved + p <= allowance`: PostgreSQL re-checks the condition on
the locked row after a concurrent writer commits, SQLite runs one writer at a time, so a burst
can never take more pages than the allowance. One row per reserved document makes every step
idempotent (a redelivered mail reserves nothing twice, a replayed event settles nothing twice).

The tables belong to the API's migrations (`services/api/migrations`, revision 0005); this module
names only the columns it uses. Callers pass a `Connection` inside their own transaction (the API
passes its session's) or use `Ledger`, which opens one per call (ingest).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    case,
    create_engine,
    delete,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, ProgrammingError

from docroute.errors import TransientError

logger = logging.getLogger(__name__)

_metadata = MetaData()

COUNTERS = Table(
    "quota_counters",
    _metadata,
    Column("workflow_id", Uuid, primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("used_pages", Integer, nullable=False),
    Column("reserved_pages", Integer, nullable=False),
)
RESERVATIONS = Table(
    "quota_reservations",
    _metadata,
    Column("document_id", Uuid, primary_key=True),
    Column("workflow_id", Uuid, nullable=False),
    Column("month", String(7), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("reserved_at", DateTime(timezone=True), nullable=False),
)
_USAGE_RECORDS = Table("usage_records", _metadata, Column("document_id", Uuid, primary_key=True))
_WORKFLOWS = Table("workflows", _metadata, Column("id", Uuid, primary_key=True), Column("plan", String(50)))


class LedgerUnavailableError(TransientError):
    """The ledger's database did not answer, is not migrated yet, or a write collided: retry."""


def month_of(moment: datetime) -> str:
    """`YYYY-MM` of a moment, in UTC."""
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


@dataclass(frozen=True)
class Refusal:
    """Why pages were not reserved: the month's figures when the door said no."""

    month: str
    allowance: int
    used: int
    reserved: int
    pages: int

    @property
    def fits_after_deliveries(self) -> bool:
        """True when only documents in flight stand in the way (they may yet fail and free pages)."""
        return self.used + self.pages <= self.allowance

    def describe(self, plan: str) -> str:
        return (
            f"monthly page allowance: this document's {self.pages} pages do not fit; plan {plan!r} "
            f"allows {self.allowance} pages in {self.month}, {self.used} are used and "
            f"{self.reserved} reserved by documents in flight"
        )


Charge = tuple[uuid.UUID, int]  # (document id, pages)

# Statements built once: ingest reserves for every document, and building each statement anew,
# then deriving its cache key, was a quarter of a reservation's CPU (bench/README.md, issue 9).
_THIS_COUNTER = (COUNTERS.c.workflow_id == bindparam("of_workflow")) & (
    COUNTERS.c.month == bindparam("of_month")
)
_RESERVE = (
    update(COUNTERS)
    .where(_THIS_COUNTER)
    .values(reserved_pages=COUNTERS.c.reserved_pages + bindparam("more_pages", type_=Integer))
)
_RESERVE_WITHIN = _RESERVE.where(
    COUNTERS.c.used_pages + COUNTERS.c.reserved_pages + bindparam("more_pages", type_=Integer)
    <= bindparam("allowance", type_=Integer)
)
_MONTH_FIGURES = select(COUNTERS.c.used_pages, COUNTERS.c.reserved_pages).where(_THIS_COUNTER)
_RESERVED = insert(RESERVATIONS)
_IDS: BindParameter[uuid.UUID] = bindparam("ids", expanding=True)
_CHARGED = union_all(
    select(RESERVATIONS.c.document_id).where(RESERVATIONS.c.document_id.in_(_IDS)),
    select(_USAGE_RECORDS.c.document_id).where(_USAGE_RECORDS.c.document_id.in_(_IDS)),
)
_PLAN = select(_WORKFLOWS.c.plan).where(_WORKFLOWS.c.id == bindparam("of_workflow"))


def reserve(
    conn: Connection,
    workflow_id: uuid.UUID,
    charges: Sequence[Charge],
    allowance: int | None,
    now: datetime | None = None,
) -> Refusal | None:
    """Reserve the pages of documents not yet reserved or metered, all or none; None when done.

    Runs in the caller's transaction; the caller commits (or rolls back on a refusal).
    """
    month = month_of(now or datetime.now(UTC))
    # SQLite: a write first, so it takes its write lock before anything is read. PostgreSQL
    # locks the counter row at the UPDATE, so the row is created only when the UPDATE finds
    # none (a workflow's first document of a month): one round trip less for every other.
    counter_known = conn.dialect.name != "sqlite"
    if not counter_known:
        _ensure_counter(conn, workflow_id, month)
    new = _not_yet_charged(conn, charges)
    pages = sum(p for _, p in new)
    if not new:
        return None
    counter = {"of_workflow": workflow_id, "of_month": month}
    if allowance is None:
        statement, parameters = _RESERVE, {**counter, "more_pages": pages}
    else:
        statement, parameters = _RESERVE_WITHIN, {**counter, "more_pages": pages, "allowance": allowance}
    while conn.execute(statement, parameters).rowcount != 1:
        found = conn.execute(_MONTH_FIGURES, counter).first()
        if found is None and counter_known:
            _ensure_counter(conn, workflow_id, month)
            counter_known = False  # once: the row exists now, whoever created it
            continue
        used, reserved = found if found is not None else (0, 0)
        return Refusal(month, allowance or 0, int(used), int(reserved), pages)
    at = now or datetime.now(UTC)
    conn.execute(
        _RESERVED,
        [
            {"document_id": d, "workflow_id": workflow_id, "month": month, "pages": p, "reserved_at": at}
            for d, p in new
        ],
    )
    return None


def release(conn: Connection, document_ids: Sequence[uuid.UUID]) -> int:
    """Give back the pages reserved for these documents (failed, not delivered); pages freed."""
    freed = 0
    for document_id in document_ids:
        taken = _take_reservation(conn, document_id)
        if taken is None:
            continue  # none, or a concurrent settle or release took it
        held_by, month, pages = taken
        conn.execute(update(COUNTERS).where(_counter(held_by, month)).values(reserved_pages=_less(pages)))
        freed += pages
    return freed


def settle(
    conn: Connection, document_id: uuid.UUID, workflow_id: uuid.UUID, pages: int, at: datetime
) -> None:
    """A document was delivered and metered: its reservation becomes `pages` used in `at`'s month."""
    month = month_of(at)
    taken = _take_reservation(conn, document_id)
    used: dict[str, Any] = {"used_pages": COUNTERS.c.used_pages + pages}
    if taken is not None and taken[:2] == (workflow_id, month):
        used["reserved_pages"] = _less(taken[2])  # the same row: one statement for both
    elif taken is not None:  # reserved in another month (delivered after its turn)
        conn.execute(update(COUNTERS).where(_counter(*taken[:2])).values(reserved_pages=_less(taken[2])))
    statement = update(COUNTERS).where(_counter(workflow_id, month)).values(**used)
    if conn.dialect.name == "sqlite":
        _ensure_counter(conn, workflow_id, month)
    if conn.execute(statement).rowcount != 1:  # the month's first delivery: the row is created
        _ensure_counter(conn, workflow_id, month)
        conn.execute(statement)


def _take_reservation(conn: Connection, document_id: uuid.UUID) -> tuple[uuid.UUID, str, int] | None:
    """Delete a document's reservation and return (workflow, month, pages); None when there is
    none (one statement: whoever deletes it gives its pages back, once)."""
    row = conn.execute(
        delete(RESERVATIONS)
        .where(RESERVATIONS.c.document_id == document_id)
        .returning(RESERVATIONS.c.workflow_id, RESERVATIONS.c.month, RESERVATIONS.c.pages)
    ).first()
    return None if row is None else (row.workflow_id, str(row.month), int(row.pages))


def _counter(workflow_id: uuid.UUID, month: str) -> ColumnElement[bool]:
    return (COUNTERS.c.workflow_id == workflow_id) & (COUNTERS.c.month == month)


def _less(pages: int) -> ColumnElement[int]:
    """The reserved pages less `pages`, never below zero."""
    reserved = COUNTERS.c.reserved_pages
    return case((reserved >= pages, reserved - pages), else_=0)


def month_figures(conn: Connection, workflow_id: uuid.UUID, month: str) -> tuple[int, int]:
    """(used, reserved) pages of a workflow's month; zeros before its first document."""
    row = conn.execute(_MONTH_FIGURES, {"of_workflow": workflow_id, "of_month": month}).first()
    return (int(row.used_pages), int(row.reserved_pages)) if row else (0, 0)


def plan_of(conn: Connection, workflow_id: uuid.UUID) -> str | None:
    """The plan the API stored for the workflow; None when the database does not know it."""
    plan = conn.execute(_PLAN, {"of_workflow": workflow_id}).scalar()
    return str(plan) if plan is not None else None


def _ensure_counter(conn: Connection, workflow_id: uuid.UUID, month: str) -> None:
    values = {"workflow_id": workflow_id, "month": month, "used_pages": 0, "reserved_pages": 0}
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(COUNTERS).values(values).on_conflict_do_nothing())
    elif conn.dialect.name == "sqlite":
        conn.execute(sqlite.insert(COUNTERS).values(values).on_conflict_do_nothing())
    else:
        raise NotImplementedError(f"the page ledger supports PostgreSQL and SQLite, not {conn.dialect.name}")


def _not_yet_charged(conn: Connection, charges: Sequence[Charge]) -> list[Charge]:
    """The charges whose documents are neither reserved nor metered yet (one query)."""
    charged = set(conn.scalars(_CHARGED, {"ids": [d for d, _ in charges]}))
    return [(d, max(p, 1)) for d, p in charges if d not in charged]


class Ledger:
    """The ledger over its own engine, one transaction per call (for ingest)."""

    def __init__(self, url: str, plans: Mapping[str, int | None], default_plan: str) -> None:
        if url.startswith("sqlite"):
            self._engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
        else:
            # No ping before each checkout (a round trip per document): a connection a database
            # restart broke fails its call as LedgerUnavailableError, SQLAlchemy drops the pool's
            # connections, and the bus's retry connects afresh.
            self._engine = create_engine(url, pool_size=2, max_overflow=2)
        self._plans = dict(plans)
        self._default_plan = default_plan

    def reserve(self, workflow_id: uuid.UUID, charges: Sequence[Charge]) -> tuple[str, Refusal | None]:
        """(the workflow's plan, None) when reserved, (plan, Refusal) when the allowance is used up."""
        with self._transaction() as conn:
            plan = plan_of(conn, workflow_id) or self._default_plan
            if plan not in self._plans:
                plan = self._default_plan
            return plan, reserve(conn, workflow_id, charges, self._plans[plan])

    def release(self, document_ids: Sequence[uuid.UUID]) -> None:
        with self._transaction() as conn:
            release(conn, document_ids)

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except (OperationalError, InterfaceError, IntegrityError, ProgrammingError) as exc:
            # IntegrityError: a concurrent call reserved the same document first; ProgrammingError:
            # the API has not migrated the database yet. Retrying settles both.
            raise LedgerUnavailableError(f"page ledger: {exc}"[:500]) from exc
