"""Versions, promotion and webhooks through the API, on the real broker, S3 and database.

Versions are published by hand (what the trainer sends), so this runs without training: the
list shows the gate's verdict, the detail reads the version's records from S3, promote, pin and
roll back publish `model.promoted`, which the API and a classify-style follower both apply.
Webhooks go to a tiny receiver on 127.0.0.1 that fails once, then answers 200.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Evaluation, Metrics, ModelPublished
from docroute.events import Outgoing, new_event
from docroute.kafka import EventProducer
from docroute.model_versions import ModelVersions
from docroute.processes import HOST
from services.api.settings import ApiSettings, WebhookSettings
from tests.fixtures.auth import bearer
from tests.fixtures.polling import wait_until
from tests.integration.api.conftest import serve

LABELS = ["invoice", "payslip"]


@pytest.fixture(scope="module")
def api(api_settings: ApiSettings, admin_api_key: str) -> Iterator[httpx.Client]:
    """This module's API: webhook retries after 0.3 s instead of 5 s, loopback receivers allowed."""
    fast = api_settings.model_copy(
        update={
            "consumer_group": f"{api_settings.consumer_group}-versions",
            "webhooks": WebhookSettings(retry_base_s=0.3, poll_s=0.1, max_attempts=3, private_targets=True),
        }
    )
    with serve(fast, bearer(admin_api_key)) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, timeout_s=60)
        yield client


class Receiver:
    """Records POSTs; answers each with the next status of `answers` (then 200)."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)  # loopback only
        self.url = f"http://{HOST}:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver([500])
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def create_workflow(api: httpx.Client) -> str:
    response = api.post("/workflows", json={"name": "versions", "labels": LABELS})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def publish(producer: EventProducer, store: BlobStore, workflow_id: str, version: int, live: bool) -> None:
    """What the trainer writes and sends for a version (records in S3, then the event)."""
    prefix = f"models/{workflow_id}/v{version}/"
    store.put_json(
        prefix + "manifest.json",
        {
            "training_set": ["s1", "s2"],
            "trained_at": "2026-11-22T10:00:00+00:00",
            "recipe": {"embedder_id": "usem3", "config": {}},
        },
    )
    store.put_json(
        prefix + "metrics.json",
        {
            "labels": LABELS,
            "confusion_matrix": [[9, 1], [0, 10]],
            "warnings": [],
            "per_class": {
                "invoice": {"precision": 1.0, "recall": 0.9, "f1": 0.947, "support": 10},
                "payslip": {"precision": 0.909, "recall": 1.0, "f1": 0.952, "support": 10},
            },
            "threshold_table": [{"threshold": 0.5, "routed_share": 1.0, "n_routed": 20, "error_rate": 0.05}],
        },
    )
    data = ModelPublished(
        workflow_id=workflow_id,
        version=version,
        artifact_ref=str(store.ref(prefix)),
        embedder_id="usem3",
        labels=LABELS,
        metrics=Metrics(accuracy=0.95, macro_f1=0.95, ece=0.03, n_samples=20, training_seconds=1.5),
        live=live,
        reason=None if live else "on 8 samples v1 never saw the candidate got 5 right, v1 8: worse",
        evaluation=Evaluation(method="unseen_samples", live_version=1, n_samples=8) if version > 1 else None,
    )
    event = new_event("model.published", data, source="test", subject=workflow_id)
    producer.send([Outgoing(topics.MODEL_PUBLISHED, workflow_id, event)])


def live_version(api: httpx.Client, key: str) -> int | None:
    live = [v["version"] for v in api.get(f"/workflows/{key}/versions").json() if v["live"]]
    return live[0] if live else 0


def test_versions_show_their_records_and_change_by_hand(
    api: httpx.Client,
    producer: EventProducer,
    blobstore: BlobStore,
    settings: Any,
    keyed_client: Any,
    mint_api_key: Any,
) -> None:
    key = create_workflow(api)
    follower = ModelVersions(settings.kafka)  # what classify (and the trainer) follow
    follower.start()
    publish(producer, blobstore, key, 1, live=True)
    publish(producer, blobstore, key, 2, live=False)
    versions = wait_until(
        lambda: (
            len(api.get(f"/workflows/{key}/versions").json()) == 2
            and api.get(f"/workflows/{key}/versions").json()
        )
    )
    assert [(v["version"], v["live"]) for v in versions] == [(2, False), (1, True)]
    assert "worse" in versions[0]["reason"] and versions[0]["evaluation"]["method"] == "unseen_samples"
    figures = versions[1]["metrics"]
    assert (figures["accuracy"], figures["ece"], figures["n_samples"]) == (0.95, 0.03, 20)

    detail = api.get(f"/workflows/{key}/versions/1").json()
    assert detail["training_set"] == ["s1", "s2"] and detail["embedder_id"] == "usem3"
    assert detail["per_class"]["invoice"]["recall"] == 0.9
    assert detail["confusion_matrix"] == [[9, 1], [0, 10]] and detail["metrics"]["training_seconds"] == 1.5
    assert api.get(f"/workflows/{key}/versions/0").json()["reason"].startswith("version 0 means no model")
    assert api.get(f"/workflows/{key}/versions/7").status_code == 404
    readiness = api.get(f"/workflows/{key}/readiness").json()
    assert readiness["live_version"] == 1
    assert readiness["confusions"][0] == {
        "true_class": "invoice",
        "predicted_class": "payslip",
        "count": 1,
        "share": 0.1,
    }
    assert "add more invoice and payslip: v1 took 1 of invoice (10%) for payslip" in readiness["advice"]

    other = keyed_client(mint_api_key(create_workflow(api)))  # a key for another workflow
    assert other.get(f"/workflows/{key}/versions").status_code == 404
    assert other.post(f"/workflows/{key}/versions/2/promote").status_code == 404

    promoted = api.post(f"/workflows/{key}/versions/2/promote", json={"reason": "previewed, looks right"})
    assert promoted.status_code == 202, promoted.text
    assert promoted.json() == {
        "workflow_id": key,
        "version": 2,
        "previous_version": 1,
        "action": "promote",
        "pinned": False,
    }
    wait_until(lambda: live_version(api, key) == 2)
    assert follower.sync() and follower.live(key).version == 2

    rolled = api.post(f"/workflows/{key}/versions/rollback")
    assert rolled.status_code == 202 and rolled.json()["version"] == 1 and rolled.json()["pinned"]
    wait_until(lambda: live_version(api, key) == 1)
    assert follower.sync() and follower.live(key).version == 1 and follower.live(key).pinned
    assert [v["pinned"] for v in api.get(f"/workflows/{key}/versions").json()] == [False, True]

    assert api.post(f"/workflows/{key}/versions/0/pin").status_code == 202  # no model at all
    wait_until(lambda: live_version(api, key) == 0)
    assert follower.sync() and follower.live(key).artifact_ref is None
    assert api.post(f"/workflows/{key}/versions/9/promote").status_code == 404
    follower.stop()


def test_webhook_deliveries_are_signed_and_retried(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore, receiver: Receiver
) -> None:
    key = create_workflow(api)
    created = api.post(f"/workflows/{key}/webhooks", json={"url": receiver.url, "events": ["model.promoted"]})
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_")
    listed = api.get(f"/workflows/{key}/webhooks").json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert (
        api.post(
            f"/workflows/{key}/webhooks", json={"url": "ftp://x", "events": ["model.promoted"]}
        ).status_code
        == 422
    )
    assert (
        api.post(f"/workflows/{key}/webhooks", json={"url": receiver.url, "events": ["nope"]}).status_code
        == 422
    )

    publish(producer, blobstore, key, 1, live=True)  # not subscribed: no delivery
    wait_until(lambda: live_version(api, key) == 1)
    assert api.post(f"/workflows/{key}/versions/1/pin").status_code == 202

    deliveries = f"/workflows/{key}/webhooks/{hook['id']}/deliveries"
    [delivery] = wait_until(
        lambda: [d for d in api.get(deliveries).json() if d["status"] == "delivered"],
        timeout_s=30,
        what="a delivered webhook",
    )
    assert (delivery["event_type"], delivery["attempts"], delivery["last_status_code"]) == (
        "model.promoted",
        2,
        200,
    )
    assert len(receiver.requests) == 2  # a 500, then the retry
    for headers, body in receiver.requests:
        expected = "sha256=" + hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Docroute-Signature"], expected)
        payload = json.loads(body)
        assert headers["X-Docroute-Timestamp"] == str(payload["sent_at"])
        assert (payload["type"], payload["workflow_id"], payload["data"]["version"]) == (
            "model.promoted",
            key,
            1,
        )
        assert payload["data"]["action"] == "pin"
    assert [json.loads(b)["attempt"] for _, b in receiver.requests] == [1, 2]

    assert api.delete(f"/workflows/{key}/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/workflows/{key}/webhooks").json() == []
    assert len(api.get(deliveries).json()) == 1  # the log stays
    assert api.delete(f"/workflows/{key}/webhooks/{uuid.uuid4()}").status_code == 404


def test_webhooks_into_private_networks_are_refused_by_default(api: httpx.Client, serve_api: Any) -> None:
    key = create_workflow(api)
    with serve_api() as guarded:  # default settings: private targets refused
        body = {"url": "http://127.0.0.1:9/hook", "events": ["document.routed"]}
        refused = guarded.post(f"/workflows/{key}/webhooks", json=body)
        assert refused.status_code == 422 and "non-public" in refused.text


def test_a_first_version_published_a_moment_ago_is_served_not_missed(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore, settings: Any
) -> None:
    """A document can reach classify moments after its workflow's first version was published
    (trained in a second), before the follower read that event: asking then reads the topic to
    its end instead of answering "no model" (the e2e pipeline once routed a new invoice to
    review that way)."""
    key = create_workflow(api)
    follower = ModelVersions(settings.kafka)
    follower.start()
    try:
        assert follower.sync()  # caught up, then the first version goes out
        publish(producer, blobstore, key, 1, live=True)
        live = follower.live_or_catch_up(key)
        assert live is not None and live.version == 1
    finally:
        follower.stop()
