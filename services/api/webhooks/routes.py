"""Webhooks per workflow: deploy notifications, signed, retried, with a delivery log."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import select

from services.api.deps import CurrentKey, SessionDep, SettingsDep, WorkflowDep
from services.api.webhooks.models import Webhook, WebhookDelivery
from services.api.webhooks.schemas import DeliveryPublic, WebhookCreate, WebhookCreated, WebhookPublic
from services.api.webhooks.service import private_target
from services.api.workflows.models import Workflow

router = APIRouter(prefix="/workflows", tags=["webhooks"])

SIGNING = (
    "Each delivery is a POST of JSON {id, type, time, workflow_id, data, delivery_id, attempt, "
    "sent_at} with `X-Docroute-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed by the "
    "secret>` and `X-Docroute-Timestamp` (= sent_at). Any 2xx answer counts as delivered; "
    "anything else is retried with exponential backoff."
)


@router.post("/{key}/webhooks", status_code=201, response_model=WebhookCreated, description=SIGNING)
def create_webhook(
    workflow: WorkflowDep,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentKey,
    body: WebhookCreate,
) -> WebhookCreated:
    """Subscribe a URL to some of `model.published`, `model.promoted`, `document.routed` and
    `review.pending`; the answer shows the signing secret, this once. URLs into private networks
    are refused (422) unless the operator allows them (DOCROUTE_WEBHOOKS__PRIVATE_TARGETS)."""
    refused = None if settings.webhooks.private_targets else private_target(str(body.url))
    if refused:
        raise HTTPException(422, f"webhook URL refused: {refused}")
    hook = Webhook(
        id=uuid.uuid4(),
        workflow_id=workflow.id,
        url=str(body.url),
        events=sorted(set(body.events)),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=principal.name[:200],
    )
    session.add(hook)
    session.commit()
    return WebhookCreated(
        id=hook.id, url=hook.url, events=hook.events, created_at=hook.created_at, secret=hook.secret
    )


@router.get("/{key}/webhooks", response_model=list[WebhookPublic])
def list_webhooks(workflow: WorkflowDep, session: SessionDep) -> list[WebhookPublic]:
    hooks = session.scalars(
        select(Webhook)
        .where(Webhook.workflow_id == workflow.id, Webhook.deleted_at.is_(None))
        .order_by(Webhook.created_at)
    )
    return [WebhookPublic.model_validate(h) for h in hooks]


@router.delete("/{key}/webhooks/{webhook_id}", status_code=204)
def delete_webhook(workflow: WorkflowDep, session: SessionDep, webhook_id: uuid.UUID) -> Response:
    """Stop sending to it; pending deliveries end as failed, the log stays readable."""
    hook = _hook(session, workflow, webhook_id)
    hook.deleted_at = datetime.now(UTC)
    session.commit()
    return Response(status_code=204)


@router.get("/{key}/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryPublic])
def list_deliveries(
    workflow: WorkflowDep,
    session: SessionDep,
    webhook_id: uuid.UUID,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryPublic]:
    """The delivery log, newest first: status, attempts, the last answer or error."""
    _hook(session, workflow, webhook_id, deleted_too=True)
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.created_at.desc())
        .limit(limit)
    )
    return [DeliveryPublic.model_validate(d) for d in rows]


def _hook(
    session: SessionDep, workflow: Workflow, webhook_id: uuid.UUID, *, deleted_too: bool = False
) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.workflow_id != workflow.id or (hook.deleted_at and not deleted_too):
        raise HTTPException(404, f"no webhook {webhook_id} in this workflow")
    return hook
