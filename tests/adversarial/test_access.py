"""Keys that should not open anything, webhook targets that must not be called, workflows and
labels that do not exist: each a clear 4xx, and the stack serves a good document afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.adversarial.bad_files import small_pdf

PDF = small_pdf()
ANOTHER_SECRET = "drk_" + "0" * 32 + "_not-a-real-secret"


@pytest.fixture(scope="module")
def other_workflow_key(new_workflow: Callable[..., str]) -> str:
    return new_workflow(name="someone else's")


@pytest.fixture(scope="module")
def own_key(mint_api_key: Callable[..., str], workflow_key: str) -> str:
    return mint_api_key(workflow_key, name="own")


@pytest.fixture(scope="module")
def revoked_key(api: httpx.Client, mint_api_key: Callable[..., str], workflow_key: str) -> str:
    secret = mint_api_key(workflow_key, name="revoked")
    key_id = uuid.UUID(hex=secret.split("_")[1])  # drk_<key id>_<secret>
    assert api.delete(f"/api-keys/{key_id}").status_code == 200
    return secret


def _headers(case: str, own: str, revoked: str) -> dict[str, str | bytes]:
    return {
        "no-key": {},
        "unknown-key": {"X-API-Key": ANOTHER_SECRET},
        "not-a-key-at-all": {"Authorization": "Bearer " + "x" * 5000},
        "empty-bearer": {"Authorization": "Bearer"},
        "basic-auth-instead": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "revoked-key": {"Authorization": f"Bearer {revoked}"},
        "two-different-keys": {"Authorization": f"Bearer {own}", "X-API-Key": ANOTHER_SECRET},
        "non-ascii-key": {"X-API-Key": "schl\u00fcssel".encode("latin-1")},
    }[case]


AUTH_CASES = {
    "no-key": 401,
    "unknown-key": 401,
    "not-a-key-at-all": 401,
    "empty-bearer": 401,
    "basic-auth-instead": 401,
    "revoked-key": 401,
    "two-different-keys": 400,
    "non-ascii-key": 401,
}


@pytest.mark.parametrize("case", list(AUTH_CASES))
def test_uploads_without_a_valid_key_are_refused(
    client_for: Callable[..., httpx.Client],
    workflow_key: str,
    own_key: str,
    revoked_key: str,
    good_document: Any,
    case: str,
) -> None:
    client = client_for(None, **_headers(case, own_key, revoked_key))
    response = client.post(f"/processing/{workflow_key}", files={"file": ("a.pdf", PDF)})
    assert response.status_code == AUTH_CASES[case], response.text
    assert ANOTHER_SECRET not in response.text and len(response.text) < 500
    good_document.via_upload()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/processing/{other}"),
        ("POST", "/workflows/{other}/samples"),
        ("GET", "/workflows/{other}/labels"),
        ("GET", "/workflows/{other}/documents"),
        ("POST", "/workflows/{other}/webhooks"),
        ("GET", "/documents/{other_document}"),
    ],
    ids=["upload", "sample", "labels", "documents", "webhooks", "a-document"],
)
def test_a_key_of_another_workflow_finds_nothing(
    api: httpx.Client,
    client_for: Callable[..., httpx.Client],
    own_key: str,
    other_workflow_key: str,
    good_document: Any,
    method: str,
    path: str,
) -> None:
    other_document = api.post(f"/processing/{other_workflow_key}", files={"file": ("b.pdf", PDF)})
    assert other_document.status_code == 202, other_document.text
    url = path.format(other=other_workflow_key, other_document=other_document.json()["document_id"])
    files = {"file": ("a.pdf", PDF)} if method == "POST" else None
    response = client_for(own_key).request(
        method, url, files=files, data={"label": "invoice"} if files else None
    )
    assert response.status_code == 404, response.text
    good_document.via_upload()


def test_one_key_in_both_headers_is_accepted(
    client_for: Callable[..., httpx.Client], own_key: str, workflow_key: str
) -> None:
    client = client_for(own_key, **{"X-API-Key": own_key})
    assert client.post(f"/processing/{workflow_key}", files={"file": ("a.pdf", PDF)}).status_code == 202


def test_a_workflow_key_cannot_administer(client_for: Callable[..., httpx.Client], own_key: str) -> None:
    response = client_for(own_key).post("/workflows", json={"name": "mine", "labels": ["a", "b"]})
    assert response.status_code == 403


WEBHOOK_URLS = {
    "file-scheme": "file:///etc/passwd",
    "ftp-scheme": "ftp://example.com/hook",
    "javascript-scheme": "javascript:alert(1)",
    "gopher-scheme": "gopher://example.com:70/_hook",
    "data-scheme": "data:text/plain,hook",
    "no-scheme": "example.com/hook",
    "loopback": "http://127.0.0.1:8080/hook",
    "localhost-name": "http://localhost/hook",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data/",
    "private-network": "http://10.0.0.7/hook",
    "ipv6-loopback": "http://[::1]/hook",
    "longer-than-2048": "https://example.com/" + "a" * 2100,
}
WEBHOOK_EVENTS = {
    "unknown-event": ["document.exploded"],
    "no-events": [],
    "events-as-a-string": "model.published",
    "too-many-events": ["model.published"] * 6,
    "an-event-twice": ["model.published", "document.routed", "model.published"],
}


@pytest.mark.parametrize("case", list(WEBHOOK_URLS) + list(WEBHOOK_EVENTS))
def test_webhooks_to_bad_targets_or_for_bad_events_are_refused(
    api: httpx.Client, workflow_key: str, good_document: Any, case: str
) -> None:
    url = WEBHOOK_URLS.get(case, "https://example.com/hook")
    events = WEBHOOK_EVENTS.get(case, ["model.published"])
    response = api.post(f"/workflows/{workflow_key}/webhooks", json={"url": url, "events": events})
    assert response.status_code == 422, response.text
    assert len(response.text) < 2000
    hooks = api.get(f"/workflows/{workflow_key}/webhooks").json()
    assert url not in {hook["url"] for hook in hooks}
    good_document.via_upload()


UNKNOWN_TARGETS = {
    "upload-to-unknown-workflow": ("POST", "/processing/{uuid}", 404),
    "upload-to-a-non-uuid-key": ("POST", "/processing/not-a-workflow", 404),
    "labels-of-unknown-workflow": ("GET", "/workflows/{uuid}/labels", 404),
    "rename-unknown-label": ("PATCH", "/workflows/{key}/labels/999999", 404),
    "retire-unknown-label": ("DELETE", "/workflows/{key}/labels/999999", 404),
    "relabel-unknown-sample": ("PUT", "/workflows/{key}/samples/{uuid}/label", 404),
    "review-unknown-document": ("POST", "/documents/{uuid}/review", 404),
    "unknown-document": ("GET", "/documents/{uuid}", 404),
}
BODIES = {
    "PATCH": {"name": "renamed"},
    "PUT": {"label": "invoice"},
    "POST": {"class": "invoice", "reviewer": "adversary"},
}


@pytest.mark.parametrize("case", list(UNKNOWN_TARGETS))
def test_unknown_workflows_labels_and_documents_are_404(
    api: httpx.Client, workflow_key: str, good_document: Any, case: str
) -> None:
    method, path, status = UNKNOWN_TARGETS[case]
    url = path.format(uuid=uuid.uuid4(), key=workflow_key)
    uploads = method == "POST" and url.startswith("/processing")
    response = api.request(
        method,
        url,
        files={"file": ("a.pdf", PDF)} if uploads else None,
        json=None if uploads or method in ("GET", "DELETE") else BODIES[method],
    )
    assert response.status_code == status, response.text
    good_document.via_upload()


def test_a_review_naming_an_unknown_class_is_refused(api: httpx.Client, workflow_key: str) -> None:
    document = api.post(f"/processing/{workflow_key}", files={"file": ("a.pdf", PDF)}).json()["document_id"]
    response = api.post(
        f"/documents/{document}/review", json={"class": "no-such-class", "reviewer": "adversary"}
    )
    assert 400 <= response.status_code < 500, response.text
