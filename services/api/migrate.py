"""The schema as one step per deploy: `docroute migrate` (`python -m services.api.migrate`)
upgrades the database to head under a lock, so runs that meet (two Jobs, two embedded APIs, a
test and a service) take turns and the later ones find nothing to do. An API that does not
migrate waits, bounded, until the database holds the revision its code needs.

Locks: PostgreSQL, a session advisory lock held for the upgrade; SQLite, an exclusive `flock`
on `<database file>.migrate-lock` (an in-memory database has no one to race).
"""

from __future__ import annotations

import fcntl
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from docroute.logging import configure_logging
from docroute.settings import ServiceSettings
from services.api.db import alembic_config, upgrade

logger = logging.getLogger(__name__)

# pg_advisory_lock key of the schema upgrade: any constant that nothing else in the database uses.
ADVISORY_LOCK_KEY = 0x646F63726F757465  # "docroute"
# How often a waiting API asks the database again, and says so in its log.
WAIT_POLL_S = 1.0
WAIT_LOG_EVERY_S = 15.0


class SchemaNotReadyError(RuntimeError):
    """The database did not reach the revision this API needs in time."""


def migrate(url: str) -> None:
    """Upgrade to head under the migration lock; a no-op when another run got there first."""
    with migration_lock(url):
        upgrade(url)


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Held while one process migrates; others block here until it is released."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                logger.info("taking the migration lock")
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        finally:
            engine.dispose()
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        lock_path = Path(f"{parsed.database}.migrate-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file closes
            yield
    else:
        yield


def head_revision(url: str) -> str:
    """The newest revision this code's migrations define."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            # Not alembic's MigrationContext: it logs two lines per call, every poll of a wait.
            if not inspect(conn).has_table("alembic_version"):
                return None
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return None if revision is None else str(revision)
    finally:
        engine.dispose()


def schema_ready(url: str) -> bool:
    """True when the database is at head, or at a revision this code does not know (a newer
    release migrated it during a rolling update: its migrations keep older code working)."""
    current = current_revision(url)
    if current is None:
        return False
    head = head_revision(url)
    if current == head:
        return True
    known = ScriptDirectory.from_config(alembic_config(url)).get_revision(current) is not None
    if not known:
        logger.warning("the database is at revision %s, newer than this API's %s", current, head)
    return not known


def wait_for_schema(url: str, timeout_s: float) -> None:
    """Block until `schema_ready`; raises SchemaNotReadyError after `timeout_s`."""
    head = head_revision(url)
    began = time.monotonic()
    said_at = -WAIT_LOG_EVERY_S
    while True:
        try:
            if schema_ready(url):
                return
            found = current_revision(url)
        except SQLAlchemyError as exc:
            found = f"unreachable: {type(exc).__name__}"
        waited = time.monotonic() - began
        if waited >= timeout_s:
            raise SchemaNotReadyError(
                f"the database is not at schema revision {head} after {timeout_s:.0f}s "
                f"(found {found}): run `docroute migrate`"
            )
        if waited - said_at >= WAIT_LOG_EVERY_S:
            logger.info(
                "waiting for the database schema revision %s (found %s; `docroute migrate` writes it), "
                "%.0fs of %.0fs",
                head,
                found,
                waited,
                timeout_s,
            )
            said_at = waited
        time.sleep(WAIT_POLL_S)


def run() -> int:
    """`python -m services.api.migrate`: upgrade the configured database once."""
    settings = ServiceSettings()
    configure_logging("migrate", settings.log_level)
    try:
        migrate(settings.database.url)
        logger.info("database schema at %s", current_revision(settings.database.url))
    except SQLAlchemyError as exc:
        logger.error("migration failed: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
