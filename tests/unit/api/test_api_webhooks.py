"""Webhook signing, event names and backoff."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import pytest

from docroute import topics
from docroute.contracts._generated import Blob, DocumentRouted, DocumentSuperseded, ReplacedByItem, ReroutedTo
from docroute.events import new_event
from docroute.settings import KafkaSettings
from services.api.settings import ApiSettings, WebhookSettings
from services.api.webhooks import service as webhooks_service
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
