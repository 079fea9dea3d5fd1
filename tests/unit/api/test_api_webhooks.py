"""Webhook signing, event names and backoff."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from docroute import topics
from docroute.contracts._generated import Blob, DocumentRouted, DocumentSuperseded, ReplacedByItem, ReroutedTo
from docroute.events import new_event
from docroute.settings import KafkaSettings
from services.api.settings import ApiSettings, WebhookSettings
from services.api.webhooks import service as webhooks_service
from services.api.webhooks.models import Webhook, WebhookDelivery
from services.api.webhooks.service import backoff_s, delivery_payload, event_names, private_target, sign


def test_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    body = b'{"type":"model.published"}'
    expected = hmac.new(b"whsec_x", body, hashlib.sha256).hexdigest()
    assert sign("whsec_x", body) == f"sha256={expected}"


def test_a_review_route_is_also_review_pending() -> None:
    def routed(route: str) -> DocumentRouted:
        return DocumentRouted(
            document_id=uuid.uuid4(),
            workflow_id=uuid.uuid4(),
            route=route,
            topic=topics.REVIEW_PENDING,
            document_class=None,
            confidence=0.3,
            threshold=0.8,
            model_version=1,
            reason="low",
            probabilities={},
            blob=Blob(ref="s3://b/k", sha256="a" * 64, size=1, media_type="application/pdf"),
            ocr_ref="s3://b/o",
            page_count=1,
        )

    assert event_names(new_event("document.routed", routed("review"), source="t")) == [
        "document.routed",
        "review.pending",
    ]
    assert event_names(new_event("document.routed", routed("extract"), source="t")) == ["document.routed"]


def test_a_recall_is_an_event_of_its_own() -> None:
    recall = DocumentSuperseded(
        document_id=uuid.uuid4(),
        workflow_id=uuid.uuid4(),
        stack_id=uuid.uuid4(),
        topic="extract.invoice",
        document_class="invoice",
        first_page=0,
        last_page=1,
        replaced_by=[ReplacedByItem(document_id=uuid.uuid4(), first_page=0, last_page=1)],
        corrected_by="ana",
        reason="divided again",
    )
    assert event_names(new_event("document.superseded", recall, source="t")) == ["document.superseded"]


def test_backoff_doubles_up_to_the_cap() -> None:
    settings = WebhookSettings(retry_base_s=2, max_backoff_s=10)
    assert [backoff_s(settings, n) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]


def test_private_targets_are_named() -> None:
    assert "non-public" in (private_target("http://127.0.0.1:8080/hook") or "")
    assert "non-public" in (private_target("http://10.1.2.3/hook") or "")
    assert "non-public" in (private_target("http://[::1]/hook") or "")
    assert private_target("http://93.184.215.14/hook") is None


def test_a_delivery_carries_the_data_as_the_events_version_has_it() -> None:
    """Not the model's every field with nulls: a receiver that asks whether a field is there
    gets the answer a consumer of the topic gets."""
    recall = DocumentSuperseded(
        document_id=uuid.uuid4(),
        workflow_id=uuid.uuid4(),
        topic="extract.invoice",
        document_class="invoice",
        rerouted_to=ReroutedTo(topic="extract.payslip", document_class="payslip"),
        corrected_by="ana",
        reason="class corrected",
    )
    payload = delivery_payload(new_event("document.superseded", recall, source="t"), "document.superseded")
    assert payload["workflow_id"] == str(recall.workflow_id) and payload["type"] == "document.superseded"
    assert payload["data"]["rerouted_to"] == {"topic": "extract.payslip", "document_class": "payslip"}
    assert not {"stack_id", "first_page", "last_page", "replaced_by"} & set(payload["data"])


def test_the_webhook_consumer_fetches_with_the_background_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """It is on no document's way: the long wait of the background consumers, not kafka-python's."""
    made: list[dict[str, Any]] = []
    monkeypatch.setattr(webhooks_service, "KafkaConsumer", lambda *topics, **options: made.append(options))
    settings = ApiSettings(kafka=KafkaSettings(background_fetch_max_wait_ms=4321))
    webhooks_service.WebhookWorker(settings, sessions=None)._connect()  # type: ignore[arg-type]
    assert [options["fetch_max_wait_ms"] for options in made] == [4321]


def _routed_event(workflow_id: uuid.UUID, route: str = "extract") -> Any:
    data = DocumentRouted(
        document_id=uuid.uuid4(),
        workflow_id=workflow_id,
        route=route,
        topic="extract.invoice" if route == "extract" else topics.REVIEW_PENDING,
        document_class="invoice",
        confidence=0.9,
        threshold=0.8,
        model_version=1,
        reason="sure",
        probabilities={"invoice": 0.9},
        blob=Blob(ref="s3://b/k", sha256="a" * 64, size=1, media_type="application/pdf"),
        ocr_ref="s3://b/o",
        page_count=1,
    )
    return new_event("document.routed", data, source="t", event_id=str(uuid.uuid4()))


def test_a_poll_of_routes_reads_the_webhooks_once(session: Session) -> None:
    """Issue 9: every routed document reached the webhook consumer's database one query at a
    time; a poll's events now read their workflows' webhooks in one query."""
    events = [_routed_event(uuid.uuid4()) for _ in range(3)] + [_routed_event(uuid.uuid4())] * 2
    sent: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *a: sent.append(a[2]))

    assert webhooks_service.record_deliveries(session, events) == 0
    assert len(sent) == 1, sent


def test_each_subscribed_webhook_gets_one_delivery_per_event(session: Session) -> None:
    ours, other = uuid.uuid4(), uuid.uuid4()
    past = datetime.now(UTC) - timedelta(hours=1)

    def hook(workflow_id: uuid.UUID, wants: str) -> Webhook:
        return Webhook(workflow_id=workflow_id, url="https://h", events=[wants], secret="s", created_at=past)

    routes, review = hook(ours, "document.routed"), hook(ours, "review.pending")
    elsewhere = hook(other, "model.published")
    session.add_all([routes, review, elsewhere])
    session.flush()
    extract, to_review = _routed_event(ours), _routed_event(ours, "review")
    events = [extract, to_review, to_review, _routed_event(other), _routed_event(uuid.uuid4())]

    assert webhooks_service.record_deliveries(session, events) == 3
    session.flush()
    made = session.scalars(select(WebhookDelivery)).all()
    assert sorted((d.webhook_id == routes.id, d.event_id, d.event_type) for d in made) == sorted(
        [
            (True, extract.id, "document.routed"),
            (True, to_review.id, "document.routed"),
            (False, to_review.id, "review.pending"),
        ]
    )
