"""`docroute migrate`: runs that meet take turns and leave one schema at head; an API told to
wait for the schema serves only once the migration ran."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from docroute.devstack import create_postgres_database, drop_postgres_database
from docroute.processes import HOST, free_port, start_service
from services.api.migrate import current_revision, head_revision
from tests.fixtures.infra import POSTGRES_ADMIN_URL, TEST_DATABASE_ENV
from tests.fixtures.polling import wait_until


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty PostgreSQL database of its own (the session's is migrated already)."""
    if os.environ.get(TEST_DATABASE_ENV) == "sqlite":
        pytest.skip("the advisory lock is PostgreSQL's; this run uses SQLite")
    url = create_postgres_database("docroute_migrate", POSTGRES_ADMIN_URL)
    yield url
    drop_postgres_database(url, POSTGRES_ADMIN_URL)


def _migrate(url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCROUTE_")}
    env["DOCROUTE_DATABASE__URL"] = url
    argv = [sys.executable, "-m", "docroute.cli", "migrate"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_concurrent_migrations_leave_one_schema_at_head(fresh_database: str) -> None:
    runs = [_migrate(fresh_database), _migrate(fresh_database)]
    outputs = [run.communicate(timeout=180)[0].decode(errors="replace") for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    assert current_revision(fresh_database) == head_revision(fresh_database)
    engine = create_engine(fresh_database)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            assert versions == [head_revision(fresh_database)]
            assert {"workflows", "documents"} <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://{HOST}:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_an_api_waits_for_the_schema_then_serves(
    fresh_database: str, service_env: dict[str, str], run_dir: Path, topics_ready: None
) -> None:
    port = free_port()
    env = {
        **service_env,
        "DOCROUTE_DATABASE__URL": fresh_database,
        "DOCROUTE_PORT": str(port),
        "DOCROUTE_SCHEMA_AT_START": "wait",
        "DOCROUTE_CONSUMER_GROUP": f"docroute-api-migrate-{port}",
    }
    api = start_service("api", env, run_dir / "logs" / f"api-waits-{port}")
    try:
        log = api.log_path
        assert log is not None
        wait_until(lambda: "waiting for the database schema revision" in log.read_text(), 60, "the wait line")
        assert api.running() and not _ready(port)
        assert current_revision(fresh_database) is None  # it did not migrate itself

        migration = _migrate(fresh_database)
        output = migration.communicate(timeout=180)[0].decode(errors="replace")
        assert migration.returncode == 0, output

        wait_until(lambda: _ready(port) or not api.running(), 120, "the API after the migration")
        assert _ready(port), log.read_text()[-3000:]
    finally:
        api.stop()
