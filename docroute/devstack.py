"""The development stack's database: a fresh PostgreSQL database per run (tests, bench), or
SQLite only when asked for. Its processes (S3 server, broker, services) are in
`docroute.processes`."""

from __future__ import annotations

import uuid

import psycopg

# The local PostgreSQL of development machines and CI: trust auth, database `test`.
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


class DatabaseUnavailableError(RuntimeError):
    """The PostgreSQL server that should hold the run's database did not answer."""


def create_postgres_database(prefix: str, admin_url: str = POSTGRES_ADMIN_URL) -> str:
    """A new, empty database `<prefix>_<random>` on `admin_url`'s server; its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailableError(f"PostgreSQL did not answer at {admin_url}: {exc}") from exc
    server = admin_url.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+psycopg://{server}/{name}"


def drop_postgres_database(url: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    """Drop the database `create_postgres_database` made, even with sessions still open."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
