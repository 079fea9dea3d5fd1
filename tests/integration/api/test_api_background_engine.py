"""The API's background consumers (projection, webhooks) on their own engine, without a ping
before each transaction (issue 9: a round trip per poll); requests keep theirs."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from services.api.db import make_background_engine, make_engine


def test_background_transactions_do_not_ping_and_requests_do(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("no PostgreSQL server")
    requests = make_engine(database_url)
    background = make_background_engine(database_url, requests)
    try:
        assert requests.pool._pre_ping  # a request has no retry
        assert background is not requests and not background.pool._pre_ping
    finally:
        background.dispose()
        requests.dispose()


def test_a_cut_background_connection_fails_once_then_reconnects(database_url: str) -> None:
    """What the projection and the webhook consumer rely on: a connection a database restart
    cut fails their transaction (they retry it), and the next one connects afresh."""
    if not database_url.startswith("postgresql"):
        pytest.skip("no PostgreSQL server")
    name = f"background-{uuid.uuid4().hex[:8]}"
    url = f"{database_url}?application_name={name}"
    requests = make_engine(url)
    background = make_background_engine(url, requests)
    admin = create_engine(database_url)
    try:
        with background.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        with admin.begin() as conn:
            cut = conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"),
                {"n": name},
            ).all()
        assert cut
        with pytest.raises(OperationalError), background.connect() as conn:
            conn.execute(text("SELECT 1"))
        with background.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        for engine in (background, requests, admin):
            engine.dispose()


def test_sqlite_serves_both_from_one_engine() -> None:
    requests = make_engine("sqlite://")
    assert make_background_engine("sqlite://", requests) is requests
    requests.dispose()
