"""API keys: mint, hash, verify; who a request is (`Principal`) and what it may see.

Two kinds of key:

- the admin key, `DOCROUTE_ADMIN_API_KEY` in the settings: creates workflows, mints and revokes
  keys, sets plans, and sees every workflow;
- minted keys, `drk_<key id>_<secret>`: scoped to one or more workflows. Only a salted SHA-256
  of the secret is stored. The secret is 256 random bits, so a slow hash (scrypt) would add
  latency to every request without making a guess any less hopeless.

A request presents a key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.api.access.models import ApiKey, ApiKeyScope
from services.api.errors import NotFoundError

KEY_PREFIX = "drk_"


@dataclass(frozen=True)
class Principal:
    """The caller: the admin, or a minted key and the workflows it may use."""

    key_id: uuid.UUID | None
    name: str
    admin: bool
    workflow_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def can_use(self, workflow_id: uuid.UUID | None) -> bool:
        """True when the caller may see this workflow (and what belongs to it)."""
        return self.admin or (workflow_id is not None and workflow_id in self.workflow_ids)


ADMIN = Principal(key_id=None, name="admin", admin=True)


@dataclass(frozen=True)
class MintedKey:
    """A new key: `token` is what the client sends, shown once; the rest is what is stored."""

    key_id: uuid.UUID
    token: str
    salt: str
    secret_hash: str


def hash_secret(secret: str, salt: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def mint_key() -> MintedKey:
    key_id = uuid.uuid4()
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return MintedKey(
        key_id=key_id,
        token=f"{KEY_PREFIX}{key_id.hex}_{secret}",
        salt=salt,
        secret_hash=hash_secret(secret, salt),
    )


def parse_token(token: str) -> tuple[uuid.UUID, str] | None:
    """Key id and secret of a minted key's token; None when it is not shaped like one."""
    if not token.startswith(KEY_PREFIX):
        return None
    key_hex, sep, secret = token[len(KEY_PREFIX) :].partition("_")
    if not sep or not secret or len(key_hex) != 32:
        return None
    try:
        return uuid.UUID(hex=key_hex), secret
    except ValueError:
        return None


def authenticate(session: Session, admin_key: SecretStr | None, token: str) -> Principal | None:
    """Who presents `token`; None for an unknown, malformed or revoked key."""
    if admin_key is not None and hmac.compare_digest(token.encode(), admin_key.get_secret_value().encode()):
        return ADMIN
    parsed = parse_token(token)
    if parsed is None:
        return None
    key_id, secret = parsed
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(hash_secret(secret, row.salt), row.secret_hash):
        return None
    scopes = session.scalars(select(ApiKeyScope.workflow_id).where(ApiKeyScope.key_id == key_id))
    return Principal(key_id=key_id, name=row.name, admin=False, workflow_ids=frozenset(scopes))


def store_key(session: Session, minted: MintedKey, name: str, workflow_ids: Iterable[uuid.UUID]) -> ApiKey:
    """Add the key and its scopes to the session (the caller commits)."""
    row = ApiKey(id=minted.key_id, name=name, salt=minted.salt, secret_hash=minted.secret_hash)
    session.add(row)
    session.flush()
    session.add_all(ApiKeyScope(key_id=minted.key_id, workflow_id=w) for w in set(workflow_ids))
    return row


def parse_key(key: str) -> uuid.UUID | None:
    """A workflow key as a UUID; None when it is not one (which is just another unknown key)."""
    try:
        return uuid.UUID(key)
    except ValueError:
        return None


def require_scope(principal: Principal, workflow_id: uuid.UUID | None, what: str) -> None:
    """404 (never 403: existence stays hidden) when the key may not use `workflow_id`."""
    if not principal.can_use(workflow_id):
        raise NotFoundError(what)
