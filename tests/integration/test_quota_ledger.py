"""The page ledger on the real databases: a burst never takes more than the allowance, every
step is idempotent, delivery settles and failure releases (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from docroute import quota
from services.api.db import upgrade

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgresql":
        url = request.getfixturevalue("database_url")
        if not url.startswith("postgresql"):
            pytest.skip("no PostgreSQL server")
    else:
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    args = {"connect_args": {"timeout": 30, "check_same_thread": False}} if url.startswith("sqlite") else {}
    engine = create_engine(url, **args)
    yield engine
    engine.dispose()


def reserve(engine: Engine, workflow: uuid.UUID, pages: int, allowance: int | None = 100) -> bool:
    with engine.begin() as conn:
        return quota.reserve(conn, workflow, [(uuid.uuid4(), pages)], allowance, NOW) is None


def figures(engine: Engine, workflow: uuid.UUID) -> tuple[int, int]:
    with engine.connect() as conn:
        return quota.month_figures(conn, workflow, "2026-11")


def test_a_burst_of_40_never_takes_more_than_the_allowance(engine: Engine) -> None:
    workflow = uuid.uuid4()
    with ThreadPoolExecutor(max_workers=20) as pool:
        accepted = list(pool.map(lambda _: reserve(engine, workflow, 11), range(40)))
    assert sum(accepted) == 9  # 99 pages; a tenth would make 110 of 100
    assert figures(engine, workflow) == (0, 99)


def test_reserve_settle_release_are_idempotent(engine: Engine) -> None:
    workflow, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        assert quota.reserve(conn, workflow, [(first, 30), (second, 50)], 100, NOW) is None
        assert quota.reserve(conn, workflow, [(first, 30)], 100, NOW) is None  # redelivered: nothing new
    assert figures(engine, workflow) == (0, 80)
    with engine.begin() as conn:
        refused = quota.reserve(conn, workflow, [(uuid.uuid4(), 21)], 100, NOW)
    assert refused == quota.Refusal("2026-11", 100, 0, 80, 21)
    assert refused.fits_after_deliveries  # only documents in flight stand in the way
    with engine.begin() as conn:
        quota.settle(conn, first, workflow, 28, NOW)  # OCR counted 28 of the 30 pages
        assert quota.release(conn, [second]) == 50
        assert quota.release(conn, [second, first]) == 0  # replayed: nothing left to give back
    assert figures(engine, workflow) == (28, 0)
    with engine.begin() as conn:
        refused = quota.reserve(conn, workflow, [(uuid.uuid4(), 73)], 100, NOW)
        assert refused is not None and not refused.fits_after_deliveries
        assert quota.reserve(conn, workflow, [(uuid.uuid4(), 72)], 100, NOW) is None
        assert quota.reserve(conn, workflow, [(uuid.uuid4(), 500)], None, NOW) is None  # unlimited


def test_a_whole_request_is_reserved_or_none_of_it(engine: Engine) -> None:
    workflow = uuid.uuid4()
    members = [(uuid.uuid4(), 40) for _ in range(3)]  # a zip of three 40-page members
    with engine.begin() as conn:
        assert quota.reserve(conn, workflow, members, 100, NOW) is not None
    assert figures(engine, workflow) == (0, 0)
    assert reserve(engine, workflow, 100)


def _statements(engine: Engine) -> list[str]:
    """Every statement the engine sends from now on (first words)."""
    sent: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split()[:3]))

    event.listen(engine, "before_cursor_execute", count)
    return sent


def test_a_reservation_and_its_settling_take_few_round_trips(engine: Engine) -> None:
    """Issue 9: ingest reserves every mailroom document and the API settles every delivered one,
    each a round trip per statement. Past a month's first document: PostgreSQL reserves in 3
    (charged? in one query, the counter's UPDATE, the reservation) and settles in 2 (the
    reservation deleted and returned, one UPDATE of the counter); SQLite writes first (4 and 3)."""
    workflow, document = uuid.uuid4(), uuid.uuid4()
    assert reserve(engine, workflow, 5)  # the month's first: its counter is created
    sent = _statements(engine)
    with engine.begin() as conn:
        assert quota.reserve(conn, workflow, [(document, 7)], 100, NOW) is None
    reserved = len(sent)
    with engine.begin() as conn:
        quota.settle(conn, document, workflow, 6, NOW)
    settled = len(sent) - reserved
    expected = (4, 3) if engine.dialect.name == "sqlite" else (3, 2)
    assert (reserved, settled) == expected, sent
    assert figures(engine, workflow) == (6, 5)


def test_a_month_s_first_reservation_and_settling_create_its_counter(engine: Engine) -> None:
    """The counter row is created by the first write of its month, whichever it is; a document
    reserved in one month and delivered in the next frees the first and counts in the second."""
    workflow, document = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        assert quota.reserve(conn, workflow, [(document, 8)], 100, NOW) is None
        assert quota.reserve(conn, uuid.uuid4(), [(uuid.uuid4(), 101)], 100, NOW) is not None
    assert figures(engine, workflow) == (0, 8)
    with engine.begin() as conn:
        quota.settle(conn, document, workflow, 8, datetime(2026, 12, 1, 0, 5, tzinfo=UTC))
        quota.settle(conn, uuid.uuid4(), uuid.uuid4(), 3, NOW)  # nothing reserved (metered only)
    assert figures(engine, workflow) == (0, 0)
    with engine.connect() as conn:
        assert quota.month_figures(conn, workflow, "2026-12") == (8, 0)


def test_a_document_delivered_in_the_month_after_its_reservation_frees_one_counter_and_fills_the_other(
    engine: Engine,
) -> None:
    """Both months' counters there: one settling takes the pages off the first and adds them to
    the second."""
    workflow, late, december = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        assert quota.reserve(conn, workflow, [(late, 8)], 100, NOW) is None
        assert quota.reserve(conn, workflow, [(december, 5)], 100, datetime(2026, 12, 1, tzinfo=UTC)) is None
    with engine.begin() as conn:
        quota.settle(conn, late, workflow, 7, datetime(2026, 12, 1, 0, 5, tzinfo=UTC))
    with engine.connect() as conn:
        assert quota.month_figures(conn, workflow, "2026-11") == (0, 0)
        assert quota.month_figures(conn, workflow, "2026-12") == (7, 5)


def test_the_ledger_reconnects_after_its_connection_was_cut(database_url: str) -> None:
    """Ingest's ledger does not ping before each call (a round trip per document): a connection a
    database restart cut fails one call as transient (the bus retries it), the next reconnects."""
    if not database_url.startswith("postgresql"):
        pytest.skip("no PostgreSQL server")
    upgrade(database_url)
    name = f"ledger-{uuid.uuid4().hex[:8]}"
    ledger = quota.Ledger(f"{database_url}?application_name={name}", {"free": 100}, "free")
    admin = create_engine(database_url)
    workflow = uuid.uuid4()
    try:
        assert ledger.reserve(workflow, [(uuid.uuid4(), 10)]) == ("free", None)
        with admin.begin() as conn:
            cut = conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"),
                {"n": name},
            ).all()
        assert cut  # the ledger's pooled connection
        with pytest.raises(quota.LedgerUnavailableError):
            ledger.reserve(workflow, [(uuid.uuid4(), 10)])
        assert ledger.reserve(workflow, [(uuid.uuid4(), 10)]) == ("free", None)
        with admin.connect() as conn:
            assert quota.month_figures(conn, workflow, quota.month_of(datetime.now(UTC)))[1] == 20
    finally:
        ledger.close()
        admin.dispose()
