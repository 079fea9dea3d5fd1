"""A 300-page document through every service, both doors: accepted whole, classified from its
first pages (the page cap, `DOCROUTE_MAX_PAGES`, applies to the pages read) and routed."""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import Outgoing, new_event
from docroute.processes import ManagedProcess
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.auth import bearer
from tests.fixtures.training_set import train_through_api

CLASSES = {"invoice": "invoice", "payslip": "payslip"}
SAMPLES_PER_CLASS = 6
PAGES = 300
PAGE_CAP = 20
# A document is billed for the pages read (PAGE_CAP); the unlimited plan keeps samples and both
# doors' copies clear of the free plan's allowance whatever the cap.
ENV = {"DOCROUTE_MAX_PAGES": str(PAGE_CAP), "DOCROUTE_USAGE__DEFAULT_PLAN": "unlimited"}


@pytest.fixture(scope="module")
def pipeline(
    start_docroute_service: Callable[..., ManagedProcess], admin_api_key: str
) -> Iterator[httpx.Client]:
    """Every service with the page cap at 20, the API's client holding the admin key."""
    for name in ("ingest", "ocr", "classify", "router", "trainer"):
        start_docroute_service(name, **ENV)
    api = start_docroute_service("api", DOCROUTE_ADMIN_API_KEY=admin_api_key, **ENV)
    base_url = f"http://127.0.0.1:{api.port}"
    with httpx.Client(base_url=base_url, timeout=90, headers=bearer(admin_api_key)) as client:
        yield client


@pytest.fixture(scope="module")
def trained(pipeline: httpx.Client, blobstore: BlobStore) -> str:
    rng = random.Random(13)
    response = pipeline.post(
        "/workflows", json={"name": "long documents", "labels": list(CLASSES), "retrain_every": 1000}
    )
    assert response.status_code == 201, response.text
    key = str(response.json()["key"])
    train_through_api(pipeline, blobstore, key, CLASSES, SAMPLES_PER_CLASS, rng)
    return key


def _long_invoice() -> bytes:
    return make_text_pdf(document_lines("invoice", random.Random(99)), pages=PAGES)


def test_a_300_page_upload_is_classified_from_its_first_pages_and_routed(
    pipeline: httpx.Client, trained: str
) -> None:
    response = pipeline.post(
        f"/processing/{trained}", params={"wait": 60}, files={"file": ("manual.pdf", _long_invoice())}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["page_count"] == PAGES
    assert [page["index"] for page in result["ocr"]["pages"]] == list(range(PAGE_CAP))
    assert result["predicted_class"] == "invoice"
    assert result["route"]["topic"] == "extract.invoice", result["route"]


def test_a_300_page_mail_is_routed_too(
    pipeline: httpx.Client, trained: str, producer, topic_reader_factory
) -> None:
    reader = topic_reader_factory(r"^document\.routed$")
    data = _long_invoice()
    mail = MailReceived(
        mail_id=f"mail-{uuid.uuid4()}",
        workflow_id=trained,
        attachments=[Attachment(filename="manual.pdf", content_base64=base64.b64encode(data).decode())],
    )
    producer.send(
        [Outgoing(topics.MAILROOM_INCOMING, mail.mail_id, new_event("mail.received", mail, source="test"))]
    )
    _, routed = reader.wait_for(
        lambda t, e: str(e.data.workflow_id) == trained and e.data.blob.size == len(data), 120
    )
    assert routed.data.page_count == PAGES
    assert routed.data.topic == "extract.invoice", routed.data
