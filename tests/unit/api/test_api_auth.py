"""API keys: minting, parsing, hashing, who a token is; the per-key token bucket."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session

from services.api.access.models import ApiKey
from services.api.access.service.auth import (
    ADMIN,
    KEY_PREFIX,
    Principal,
    authenticate,
    mint_key,
    parse_token,
    store_key,
)
from services.api.access.service.ratelimit import RateLimiter, retry_after_header
from services.api.workflows.models import Workflow

ADMIN_KEY = SecretStr("admin-" + "x" * 30)


def workflow(session: Session) -> uuid.UUID:
    row = Workflow(name="w", labels=["a", "b"], document_spec={}, class_thresholds={})
    session.add(row)
    session.flush()
    return row.id


def test_minted_keys_store_only_a_salted_hash() -> None:
    one, two = mint_key(), mint_key()
    assert one.token.startswith(KEY_PREFIX) and one.token != two.token
    key_id, secret = parse_token(one.token) or (None, "")
    assert key_id == one.key_id
    assert secret not in one.secret_hash and len(one.secret_hash) == 64
    assert one.salt != two.salt


@pytest.mark.parametrize(
    "token",
    ["", "drk_", "drk_abc_def", "drk_" + "z" * 32 + "_s", "Bearer x", "drk_" + "0" * 32 + "_"],
)
def test_malformed_tokens_are_nobody(token: str, session: Session) -> None:
    assert authenticate(session, ADMIN_KEY, token) is None


def test_authenticate_admin_minted_wrong_and_revoked(session: Session) -> None:
    a, b = workflow(session), workflow(session)
    assert authenticate(session, ADMIN_KEY, ADMIN_KEY.get_secret_value()) == ADMIN
    assert authenticate(session, None, ADMIN_KEY.get_secret_value()) is None  # no admin configured
    minted = mint_key()
    store_key(session, minted, "ci", [a])
    session.commit()
    principal = authenticate(session, ADMIN_KEY, minted.token)
    assert principal == Principal(key_id=minted.key_id, name="ci", admin=False, workflow_ids=frozenset({a}))
    assert principal.can_use(a) and not principal.can_use(b) and not principal.can_use(None)
    assert ADMIN.can_use(b)
    assert authenticate(session, ADMIN_KEY, minted.token[:-1] + "x") is None
    session.get_one(ApiKey, minted.key_id).revoked_at = datetime.now(UTC)
    assert authenticate(session, ADMIN_KEY, minted.token) is None


def test_token_bucket_allows_bursts_then_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_second=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") == pytest.approx(0.5)
    assert limiter.take("other") == 0.0  # buckets are per key
    now[0] = 0.5
    assert limiter.take("k") == 0.0
    now[0] = 100.0
    assert [limiter.take("k") for _ in range(4)][-1] > 0  # refills only up to the burst
    assert RateLimiter(per_second=0, burst=1).take("k") == 0.0  # off
    assert (retry_after_header(0.01), retry_after_header(2.2)) == ("1", "3")
