"""The page ledger on the real databases: a burst never takes more than the allowance, every
step is idempotent, delivery settles and failure releases (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

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
