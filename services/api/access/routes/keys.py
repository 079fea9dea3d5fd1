"""API keys: mint (the secret is shown once), list, revoke (admin key); and who am I."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from services.api.access.models import ApiKey, ApiKeyScope
from services.api.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from services.api.access.service import auth
from services.api.deps import AdminKey, CurrentKey, SessionDep
from services.api.workflows.models import Workflow

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


@router.post("", status_code=201, response_model=ApiKeyCreated)
def create_api_key(body: ApiKeyCreate, session: SessionDep, _admin: AdminKey) -> ApiKeyCreated:
    """Mint a key for one or more workflows (admin key). Keep the `key`: it is not shown again."""
    wanted = set(body.workflow_keys)
    found = set(session.scalars(select(Workflow.id).where(Workflow.id.in_(wanted))))
    missing = sorted(str(w) for w in wanted - found)
    if missing:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"no workflows with keys {missing}")
    minted = auth.mint_key()
    row = auth.store_key(session, minted, body.name, wanted)
    session.commit()
    logger.info("API key %s minted for %d workflows", minted.key_id, len(wanted))
    return ApiKeyCreated(
        id=row.id,
        name=row.name,
        workflow_keys=sorted(wanted),
        created_at=row.created_at,
        key=minted.token,
    )


@router.get("", response_model=list[ApiKeyPublic])
def list_api_keys(session: SessionDep, _admin: AdminKey) -> list[ApiKeyPublic]:
    """Every minted key, revoked ones included, oldest first (never the secrets)."""
    scopes: dict[uuid.UUID, list[uuid.UUID]] = {}
    for scope in session.scalars(select(ApiKeyScope)):
        scopes.setdefault(scope.key_id, []).append(scope.workflow_id)
    rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
    return [_public(row, scopes.get(row.id, [])) for row in rows]


@router.get("/me", response_model=ApiKeyPublic)
def read_current_key(key: CurrentKey) -> ApiKeyPublic:
    """The key this request was made with: admin, or the workflows it may use."""
    return ApiKeyPublic(
        id=key.key_id,
        name=key.name,
        admin=key.admin,
        workflow_keys=sorted(key.workflow_ids),
    )


@router.delete("/{key_id}", response_model=ApiKeyPublic)
def revoke_api_key(key_id: uuid.UUID, session: SessionDep, _admin: AdminKey) -> ApiKeyPublic:
    """Revoke a key at once (admin key); it stays listed, with `revoked_at`."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.commit()
        logger.info("API key %s revoked", key_id)
    scopes = session.scalars(select(ApiKeyScope.workflow_id).where(ApiKeyScope.key_id == key_id))
    return _public(row, list(scopes))


def _public(row: ApiKey, workflow_keys: list[uuid.UUID]) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=row.id,
        name=row.name,
        workflow_keys=sorted(workflow_keys),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
