"""Usage on the live API: delivered documents are metered once, credits priced, the free plan's
100 pages a month end in 429 with Retry-After, a larger plan reopens the door; pages are reserved
at the door, so a burst never takes more than the allowance, and a failure gives them back."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from docroute import topics
from docroute.contracts._generated import Blob, DocumentFailed, DocumentRouted, Original
from docroute.events import Outgoing, new_event
from services.api.access.service.usage import month_of, next_month_start
from tests.factories.documents import make_text_pdf
from tests.fixtures.polling import wait_until

PDF = make_text_pdf(["hand-made"])  # a real PDF: the door counts its pages


def create_workflow(api: httpx.Client) -> str:
    response = api.post("/workflows", json={"name": "usage", "labels": ["invoice", "payslip"]})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def upload(client: httpx.Client, key: str) -> httpx.Response:
    return client.post(f"/processing/{key}", files={"file": ("a.pdf", PDF)})


def deliver(producer, blobstore, key: str, document_id: str, pages: int) -> None:
    """The router's `document.routed` for a document (what meters it)."""
    sha = hashlib.sha256(PDF).hexdigest()
    routed = DocumentRouted(
        document_id=document_id,
        workflow_id=key,
        route="extract",
        topic="extract.invoice",
        document_class="invoice",
        confidence=0.9,
        threshold=0.8,
        model_version=1,
        reason="invoice at 0.90 >= 0.80",
        probabilities={"invoice": 0.9, "payslip": 0.1},
        blob=Blob(
            ref=str(blobstore.ref(f"x/{sha}")),
            sha256=sha,
            size=len(PDF),
            media_type="application/pdf",
        ),
        ocr_ref=str(blobstore.ref(f"ocr/{document_id}.json")),
        page_count=pages,
    )
    event = new_event("document.routed", routed, source="test", subject=document_id)
    producer.send([Outgoing(topics.DOCUMENT_ROUTED, document_id, event)])


def usage_once(api: httpx.Client, key: str, documents: int) -> dict:
    """The usage report once it counts `documents` delivered documents."""

    def counted() -> dict | None:
        report = api.get(f"/workflows/{key}/usage").json()
        return report if report["documents"] >= documents else None

    return wait_until(counted, 30, f"usage never counted {documents} documents")


def projection_caught_up(api: httpx.Client) -> bool:
    """The API has applied every event on the topics it projects (its /readyz says so)."""
    projection = api.get("/readyz").json()["projection"]
    return projection["state"] == "current" and projection["total_lag"] == 0


def test_delivered_documents_are_metered_once_and_priced(api: httpx.Client, producer, blobstore) -> None:
    key = create_workflow(api)
    empty = api.get(f"/workflows/{key}/usage").json()
    month = month_of(datetime.now(UTC))
    assert (empty["month"], empty["plan"], empty["page_allowance"]) == (month, "free", 100)
    assert (empty["pages"], empty["documents"], empty["credits"]["total"]) == (0, 0, 0)

    first, second = (upload(api, key).json()["document_id"] for _ in range(2))
    sample = api.post(f"/workflows/{key}/samples", files={"file": PDF}, data={"label": "invoice"})
    deliver(producer, blobstore, key, first, pages=3)
    deliver(producer, blobstore, key, first, pages=3)  # redelivered: counted once
    deliver(producer, blobstore, key, sample.json()["document_id"], pages=5)  # training: free
    deliver(producer, blobstore, key, second, pages=2)
    report = usage_once(api, key, documents=2)
    # Anything counted twice shows once the projection has read every delivery.
    wait_until(lambda: projection_caught_up(api), 30, "the projection did not catch up")
    report = api.get(f"/workflows/{key}/usage").json()
    assert (report["pages"], report["documents"], report["pages_left"]) == (5, 2, 95)
    assert report["credits"] == {
        "per_page": 15,
        "per_document": 30,
        "pages": 75,
        "documents": 60,
        "total": 135,
    }
    assert report["exhausted"] is False
    assert report["resets_at"].startswith(next_month_start(month).isoformat()[:19])

    old = api.get(f"/workflows/{key}/usage", params={"month": "2020-01"}).json()
    assert (old["month"], old["pages"]) == ("2020-01", 0)
    for bad in ("2020-13", "0000-01", "9999-12", "2020-1"):
        assert api.get(f"/workflows/{key}/usage", params={"month": bad}).status_code == 422


def test_over_the_free_plan_is_429_until_a_larger_plan(
    api: httpx.Client, producer, blobstore, keyed_client, mint_api_key
) -> None:
    key = create_workflow(api)
    client = keyed_client(mint_api_key(key))
    document_id = upload(client, key).json()["document_id"]
    deliver(producer, blobstore, key, document_id, pages=100)
    assert usage_once(client, key, documents=1)["exhausted"] is True

    refused = upload(client, key)
    assert refused.status_code == 429
    detail = refused.json()["detail"]
    assert "100 of the 100 pages" in detail and "'free'" in detail
    retry_after = int(refused.headers["Retry-After"])
    expected = (next_month_start(month_of(datetime.now(UTC))) - datetime.now(UTC)).total_seconds()
    assert abs(retry_after - expected) < 60
    # Only processing is capped: samples and reads go on.
    assert (
        client.post(f"/workflows/{key}/samples", files={"file": PDF}, data={"label": "invoice"}).status_code
        == 202
    )
    assert client.get(f"/workflows/{key}").status_code == 200

    plans = {p["name"]: p for p in client.get("/plans").json()}
    assert plans["free"] == {"name": "free", "monthly_pages": 100, "default": True}
    assert plans["unlimited"]["monthly_pages"] is None
    assert api.put(f"/workflows/{key}/plan", json={"plan": "gold"}).status_code == 422
    changed = api.put(f"/workflows/{key}/plan", json={"plan": "starter"})
    assert changed.status_code == 200 and changed.json()["plan"] == "starter"
    assert upload(client, key).status_code == 202
    assert client.get(f"/workflows/{key}/usage").json()["page_allowance"] == 5000


def test_a_burst_never_takes_more_pages_than_the_allowance(
    api: httpx.Client, keyed_client, mint_api_key, producer, blobstore
) -> None:
    """Issue 12: 40 documents at once to a free workflow took 444 pages of 100."""
    key = create_workflow(api)
    elevens = [make_text_pdf([f"invoice {i}"], pages=11) for i in range(40)]
    clients = [keyed_client(mint_api_key(key)) for _ in range(4)]  # rate limits are per key

    def send(i: int) -> httpx.Response:
        return clients[i % 4].post(f"/processing/{key}", files={"file": (f"{i}.pdf", elevens[i])})

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(send, range(40)))
    codes = sorted(a.status_code for a in answers)
    assert set(codes) == {202, 429}, codes
    assert codes.count(202) == 9  # 99 pages; a tenth would make 110 of 100
    refused = next(a for a in answers if a.status_code == 429)
    assert "11 pages do not fit" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) == 30  # in flight: they may yet fail and free pages
    report = api.get(f"/workflows/{key}/usage").json()
    assert (report["pages"], report["pages_reserved"], report["pages_left"]) == (0, 99, 1)

    # Delivery turns a reservation into used pages: none counted twice, none freed.
    delivered = next(a.json()["document_id"] for a in answers if a.status_code == 202)
    deliver(producer, blobstore, key, delivered, pages=11)
    wait_until(lambda: api.get(f"/workflows/{key}/usage").json()["pages_reserved"] == 88, 30, "not settled")
    report = api.get(f"/workflows/{key}/usage").json()
    assert (report["pages"], report["pages_reserved"], report["pages_left"]) == (11, 88, 1)


def test_a_failed_document_gives_its_pages_back(api: httpx.Client, producer) -> None:
    key = create_workflow(api)
    fifty = make_text_pdf(["statement"], pages=50)
    first, second = (api.post(f"/processing/{key}", files={"file": ("a.pdf", fifty)}) for _ in range(2))
    assert (first.status_code, second.status_code) == (202, 202)
    assert api.post(f"/processing/{key}", files={"file": ("a.pdf", PDF)}).status_code == 429
    document_id = first.json()["document_id"]
    failed = DocumentFailed(
        document_id=document_id,
        workflow_id=key,
        stage="ocr",
        reason_code="corrupt_file",
        reason="the page cannot be rendered",
        original=Original(topic=topics.DOCUMENT_RECEIVED, event_type="document.received"),
    )
    event = new_event("document.failed", failed, source="test", subject=document_id)
    producer.send([Outgoing(topics.DEAD_LETTER, document_id, event)])
    wait_until(
        lambda: api.get(f"/workflows/{key}/usage").json()["pages_reserved"] == 50,
        30,
        "the failed document's pages were not given back",
    )
    assert api.post(f"/processing/{key}", files={"file": ("a.pdf", PDF)}).status_code == 202


def test_a_long_document_is_billed_for_the_pages_read(api: httpx.Client, producer, blobstore) -> None:
    """Issue 13: a 300-page PDF on the free plan (100 pages) is taken; it reserves and is metered
    for the pages OCR reads (the workflow's `relevant_pages`, at most DOCROUTE_MAX_PAGES), while
    the document keeps its 300 pages."""
    long_pdf = make_text_pdf(["operating manual"], pages=300)
    response = api.post(
        "/workflows",
        json={
            "name": "manuals",
            "labels": ["invoice", "payslip"],
            "document_spec": {"relevant_pages": "first 3"},
        },
    )
    assert response.status_code == 201, response.text
    key = str(response.json()["key"])
    accepted = api.post(f"/processing/{key}", files={"file": ("manual.pdf", long_pdf)})
    assert accepted.status_code == 202, accepted.text
    report = api.get(f"/workflows/{key}/usage").json()
    assert (report["plan"], report["pages"], report["pages_reserved"]) == ("free", 0, 3)

    document_id = accepted.json()["document_id"]
    deliver(producer, blobstore, key, document_id, pages=300)
    report = usage_once(api, key, documents=1)
    assert (report["pages"], report["pages_reserved"], report["pages_left"]) == (3, 0, 97)
    assert api.get(f"/documents/{document_id}").json()["page_count"] == 300

    # Without relevant pages the first DOCROUTE_MAX_PAGES (200 here) are read, and billed.
    everything = create_workflow(api)
    refused = api.post(f"/processing/{everything}", files={"file": ("manual.pdf", long_pdf)})
    assert refused.status_code == 429
    assert "200 pages do not fit" in refused.json()["detail"]
