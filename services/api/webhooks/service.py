"""Deploy notifications: a consumer turns events into deliveries, a sender POSTs them.

Both run as threads in the API process. The consumer reads `model.published` (which also
carries `model.promoted`) and `document.routed` in a consumer group of its own, and records one
delivery per subscribed webhook (unique per webhook and event, so a replay adds none). An event
older than a webhook is not sent to it. `review.pending` is a `document.routed` whose route is
review. The sender claims due deliveries (a lease in the row: replicas never send one twice
at once), POSTs them signed, and retries failures with exponential backoff.

Signature: `X-Docroute-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the
webhook's secret>`; `X-Docroute-Timestamp` (Unix seconds) repeats the body's `sent_at`, which
the signature covers, so a receiver can refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from kafka import KafkaConsumer
from kafka.errors import KafkaError
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from docroute import topics
from docroute.errors import InvalidEventError, TransientError
from docroute.events import Event, data_as_sent, decode, id_in
from docroute.kafka import client_options
from services.api.db import SessionFactory
from services.api.settings import ApiSettings, WebhookSettings
from services.api.webhooks.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

TOPICS = (topics.MODEL_PUBLISHED, topics.DOCUMENT_ROUTED)
LEASE_S = 60.0


def sign(secret: str, body: bytes) -> str:
    """The `X-Docroute-Signature` value of a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_names(event: Event[Any]) -> list[str]:
    """What a webhook may subscribe to that this event is."""
    if event.type == "document.routed":
        return ["document.routed", "review.pending"] if event.data.route == "review" else ["document.routed"]
    # A recall of a routed document a correction of its stack replaced (review/recalls.py).
    return [event.type] if event.type in ("model.published", "model.promoted", "document.superseded") else []


def record_deliveries(session: Session, events: Sequence[Event[Any]]) -> int:
    """Add a pending delivery per webhook of each event's workflow that wants it. The webhooks
    of the events' workflows are read in one query per poll, not one per event: most events
    (every routed document) go to workflows without any."""
    wanted = []
    for event in events:
        names, workflow_id = event_names(event), id_in(event.data, "workflow_id")
        if names and workflow_id is not None:
            wanted.append((event, names, workflow_id))
    if not wanted:
        return 0
    hooks: dict[uuid.UUID, list[Webhook]] = defaultdict(list)
    for hook in session.scalars(
        select(Webhook).where(
            Webhook.workflow_id.in_({workflow_id for _, _, workflow_id in wanted}),
            Webhook.deleted_at.is_(None),
        )
    ):
        hooks[hook.workflow_id].append(hook)
    added = 0
    for event, names, workflow_id in wanted:
        for hook in hooks.get(workflow_id, []):
            if hook.created_at > event.time:
                continue
            for name in names:
                if name not in hook.events or _exists(session, hook.id, event.id, name):
                    continue
                payload = delivery_payload(event, name)
                session.add(
                    WebhookDelivery(
                        webhook_id=hook.id,
                        event_id=event.id,
                        event_type=name,
                        payload=payload,
                        status="pending",
                        attempts=0,
                        next_attempt_at=datetime.now(UTC),
                    )
                )
                added += 1
    return added


def delivery_payload(event: Event[Any], name: str) -> dict[str, Any]:
    """What a webhook gets of an event (before the delivery's own fields): its data as the
    event's schema version has it, so a v1 `document.routed` carries no `part`, and a recall of
    a reclassified document no stack fields (not nulls)."""
    return {
        "id": event.id,
        "type": name,
        "time": event.time.isoformat(),
        "workflow_id": str(event.data.workflow_id),
        "data": data_as_sent(event),
    }


def private_target(url: str) -> str | None:
    """Why `url` points into a private network (loopback, RFC 1918, link-local...); None if not."""
    host = httpx.URL(url).host
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return None  # unresolvable: the POST fails and is retried
    for address in sorted(addresses):
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        if not ip.is_global:
            return f"{host} resolves to {ip}, a non-public address"
    return None


def backoff_s(settings: WebhookSettings, attempts: int) -> float:
    return float(min(settings.retry_base_s * 2 ** (attempts - 1), settings.max_backoff_s))


class WebhookWorker:
    """`start()`/`stop()`; the consumer and the sender each in a daemon thread."""

    def __init__(self, settings: ApiSettings, sessions: SessionFactory) -> None:
        self._settings = settings
        self._hooks = settings.webhooks
        self._sessions = sessions
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._consume_forever, name="webhook-consumer", daemon=True),
            threading.Thread(target=self._send_forever, name="webhook-sender", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)

    def _consume_forever(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                consumer = self._connect()
            except KafkaError as exc:
                logger.warning("webhook consumer cannot connect, retrying in %.1fs: %s", delay, exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)
                continue
            try:
                self._consume(consumer)
                delay = 0.5
            except (KafkaError, TransientError, OperationalError) as exc:
                logger.warning("webhook consumer failed, reconnecting in %.1fs: %s", delay, exc)
                self._stop.wait(delay)
            finally:
                consumer.close(autocommit=False)

    def _connect(self) -> KafkaConsumer:
        kafka = self._settings.kafka
        return KafkaConsumer(
            *TOPICS,
            **client_options(kafka),
            group_id=f"{self._settings.consumer_group}-webhooks",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=kafka.session_timeout_ms,
            heartbeat_interval_ms=kafka.heartbeat_interval_ms,
            # On no document's way, and the sender looks for due deliveries every `poll_s`
            # anyway: the long wait of the background consumers, not kafka-python's 500 ms.
            fetch_max_wait_ms=kafka.background_fetch_max_wait_ms,
        )

    def _consume(self, consumer: KafkaConsumer) -> None:
        while not self._stop.is_set():
            batch = consumer.poll(timeout_ms=1000)
            if not batch:
                continue
            events = []
            for records in batch.values():
                for record in records:
                    try:
                        events.append(decode(record.value))
                    except InvalidEventError as exc:
                        logger.warning("webhooks skip an invalid event: %s", exc)
            with self._sessions() as session:
                record_deliveries(session, events)
                session.commit()
            consumer.commit()

    def _send_forever(self) -> None:
        with httpx.Client(timeout=self._hooks.timeout_s, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    sent = self._send_due(client)
                except (OperationalError, TransientError) as exc:
                    logger.warning("webhook sender: %s", exc)
                    sent = 0
                if not sent:
                    self._stop.wait(self._hooks.poll_s)

    def _send_due(self, client: httpx.Client) -> int:
        now = datetime.now(UTC)
        with self._sessions() as session:
            due = list(
                session.scalars(
                    select(WebhookDelivery.id)
                    .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                    .where(or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now))
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(20)
                )
            )
        return sum(self._send_one(client, delivery_id) for delivery_id in due)

    def _send_one(self, client: httpx.Client, delivery_id: Any) -> bool:
        now = datetime.now(UTC)
        with self._sessions() as session:
            lease = (
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending")
                .where(or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now))
                .values(locked_until=now + timedelta(seconds=LEASE_S))
            )
            # An UPDATE's result is a cursor result (rows matched); the session's signature says Result.
            claimed = cast("CursorResult[Any]", session.execute(lease)).rowcount
            session.commit()
            if not claimed:
                return False
            delivery = session.get_one(WebhookDelivery, delivery_id)
            hook = session.get(Webhook, delivery.webhook_id)
            gone = hook is None or hook.deleted_at is not None
            status_code: int | None
            error: str | None
            if hook is None or gone:
                status_code, error = None, "the webhook was deleted"
            else:
                status_code, error = self._post(client, hook, delivery)
            final = gone or (error or "").startswith("refused:")
            self._record(delivery, status_code, error, final=final)
            session.commit()
        return True

    def _post(
        self, client: httpx.Client, hook: Webhook, delivery: WebhookDelivery
    ) -> tuple[int | None, str | None]:
        refused = None if self._hooks.private_targets else private_target(hook.url)
        if refused:
            return None, f"refused: {refused} (set webhooks.private_targets to allow)"
        sent_at = datetime.now(UTC)
        body = json.dumps(
            {
                **delivery.payload,
                "delivery_id": str(delivery.id),
                "attempt": delivery.attempts + 1,
                "sent_at": int(sent_at.timestamp()),
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "docroute-webhooks/1",
            "X-Docroute-Event": delivery.event_type,
            "X-Docroute-Delivery": str(delivery.id),
            "X-Docroute-Timestamp": str(int(sent_at.timestamp())),
            "X-Docroute-Signature": sign(hook.secret, body),
        }
        try:
            response = client.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:1000]
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"answered {response.status_code}: {response.text[:200]}"

    def _record(
        self, delivery: WebhookDelivery, status_code: int | None, error: str | None, *, final: bool
    ) -> None:
        now = datetime.now(UTC)
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error, delivery.locked_until = status_code, error, None
        if error is None:
            delivery.status, delivery.delivered_at = "delivered", now
        elif final or delivery.attempts >= self._hooks.max_attempts:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + timedelta(seconds=backoff_s(self._hooks, delivery.attempts))
        log = logger.info if error is None else logger.warning
        log(
            "webhook delivery %s: attempt %d, %s",
            delivery.id,
            delivery.attempts,
            error or "delivered",
            extra={"event_type": delivery.event_type},
        )


def _exists(session: Session, webhook_id: Any, event_id: str, name: str) -> bool:
    return (
        session.scalar(
            select(WebhookDelivery.id).where(
                WebhookDelivery.webhook_id == webhook_id,
                WebhookDelivery.event_id == event_id,
                WebhookDelivery.event_type == name,
            )
        )
        is not None
    )
