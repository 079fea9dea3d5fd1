"""Database plumbing: engine, sessions, migrations (`alembic upgrade head`) and a ping."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")

SessionFactory = sessionmaker[Session]


def make_engine(url: str) -> Engine:
    """An engine for PostgreSQL or SQLite; SQLite waits for locks instead of failing at once."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def make_background_engine(url: str, requests: Engine) -> Engine:
    """The engine of the API's background consumers (projection, webhooks): PostgreSQL without a
    ping before each transaction, a round trip per poll. Each of them retries what a connection
    a database restart cut fails (OperationalError), and the pool then connects afresh; requests
    keep the ping, since a request has no retry. SQLite has no ping: `requests` serves both."""
    if url.startswith("sqlite"):
        return requests
    return create_engine(url, pool_size=3, max_overflow=2)


def make_sessionmaker(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """Alembic configuration from `alembic.ini` beside this module, pointed at `url`."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database to the newest revision (what `alembic upgrade head` does)."""
    logger.info("migrating database to head")
    command.upgrade(alembic_config(url), "head")


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.warning("database ping failed", exc_info=True)
        return False
    return True
