"""ingest as a process: the mailroom door, zip expansion, and dead letters with reasons; the
door's trust rule (s3_ref only from the workflow's inbox, labels the workflow has) and its
quota policies against the real page ledger."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import create_engine

from docroute import quota, topics
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import Outgoing, new_event
from docroute.intake import mail_document_id
from docroute.processes import HOST
from services.api.db import upgrade
from tests.factories.documents import make_scanned_image, make_text_pdf
from tests.factories.workflows import send_workflow, workflow_settings
from tests.fixtures.polling import wait_until


@pytest.fixture(scope="module", autouse=True)
def ledger_tables(database_url: str) -> None:
    """The page ledger's tables (the API migrates them in a deployment)."""
    upgrade(database_url)


def _mail(workflow_id: str, attachments: list[Attachment], **extra: object) -> tuple[str, Outgoing]:
    mail_id = f"mail-{uuid.uuid4()}"
    mail = MailReceived(mail_id=mail_id, workflow_id=workflow_id, attachments=attachments, **extra)
    return mail_id, Outgoing(
        topics.MAILROOM_INCOMING, mail_id, new_event("mail.received", mail, source="test", subject=mail_id)
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_mail_attachments_become_documents_or_dead_letters(
    start_docroute_service, producer, topic_reader_factory, blobstore
):
    workflow_id = send_workflow(producer, workflow_settings(labels=["invoice", "payslip"]))
    start_docroute_service("ingest")
    reader = topic_reader_factory(r"^(document\.received|document\.dead-letter)$")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("invoice/one.pdf", make_text_pdf(["Invoice 1"]))
        zf.writestr("../escape.pdf", make_text_pdf(["x"]))
    pdf = make_text_pdf(["Invoice 7"], pages=2)
    _, message = _mail(
        workflow_id,
        [
            Attachment(filename="a.pdf", content_base64=_b64(pdf)),
            Attachment(filename="scan.png", content_base64=_b64(make_scanned_image(["Payslip"]))),
            Attachment(filename="batch.zip", content_base64=_b64(archive.getvalue())),
            Attachment(filename="notes.txt", content_base64=_b64(b"just text")),
        ],
        purpose="training",
    )
    producer.send([message])

    def from_mail(topic: str, event) -> bool:
        return (
            getattr(event.data, "workflow_id", None) is not None
            and str(event.data.workflow_id) == workflow_id
        )

    seen: list = []
    for _ in range(5):
        seen.append(reader.wait_for(lambda t, e: from_mail(t, e) and e.id not in {x.id for _, x in seen}))
    received = {e.data.origin.filename: e.data for t, e in seen if t == topics.DOCUMENT_RECEIVED}
    failed = {e.data.filename: e.data for t, e in seen if t == topics.DEAD_LETTER}
    assert set(received) == {"a.pdf", "scan.png", "one.pdf"}
    assert received["a.pdf"].page_count == 2
    assert blobstore.get(received["a.pdf"].blob.ref) == pdf
    assert received["one.pdf"].label == "invoice"  # labelled by its zip folder
    assert received["one.pdf"].parent_id is not None
    assert {f.reason_code for f in failed.values()} == {"unsafe_path", "unsupported_type"}


def test_unknown_workflow_is_dead_lettered(start_docroute_service, producer, topic_reader_factory):
    start_docroute_service("ingest")
    reader = topic_reader_factory(r"^document\.dead-letter$")
    unknown = str(uuid.uuid4())
    _, message = _mail(unknown, [Attachment(filename="a.pdf", content_base64=_b64(make_text_pdf(["x"])))])
    producer.send([message])
    _, dead = reader.wait_for(lambda t, e: e.data.workflow_id == unknown)
    assert dead.data.reason_code == "unknown_workflow"
    assert dead.data.original.topic == topics.MAILROOM_INCOMING


def _filename(topic: str, event) -> str:
    return event.data.filename if topic == topics.DEAD_LETTER else event.data.origin.filename


def test_a_mail_may_read_only_its_workflows_inbox(
    start_docroute_service, producer, topic_reader_factory, blobstore
):
    """The attack of issue 12: a mail for A naming B's original must not make it A's document."""
    a, b = (send_workflow(producer, workflow_settings(labels=["invoice", "payslip"])) for _ in range(2))
    start_docroute_service("ingest")
    reader = topic_reader_factory(r"^(document\.received|document\.dead-letter)$")
    secret = make_text_pdf([f"B's confidential invoice {uuid.uuid4()}"])
    _, to_b = _mail(b, [Attachment(filename="b.pdf", content_base64=_b64(secret))])
    producer.send([to_b])
    _, received = reader.wait_for(lambda t, e: str(e.data.workflow_id) == b)
    b_original = received.data.blob.ref
    assert "/originals/sha256/" in b_original

    own = make_text_pdf([f"A's own invoice {uuid.uuid4()}"])
    blobstore.put(f"inbox/{a}/scan.pdf", own)
    blobstore.put(f"inbox/{b}/their.pdf", secret)
    bucket = blobstore.bucket
    refs = {
        "original.pdf": b_original,
        "ocr.json": f"s3://{bucket}/ocr/{received.data.document_id}.json",
        "other-inbox.pdf": f"s3://{bucket}/inbox/{b}/their.pdf",
        "climb.pdf": f"s3://{bucket}/inbox/{a}/../{b}/their.pdf",
        "encoded.pdf": f"s3://{bucket}/inbox/{a}/%2e%2e/{b}/their.pdf",
        "other-bucket.pdf": f"s3://not-{bucket}/inbox/{a}/scan.pdf",
        "own.pdf": f"s3://{bucket}/inbox/{a}/scan.pdf",
    }
    _, attack = _mail(a, [Attachment(filename=name, s3_ref=ref) for name, ref in refs.items()])
    producer.send([attack])

    seen: dict = {}
    while len(seen) < len(refs):
        topic, event = reader.wait_for(
            lambda t, e: str(e.data.workflow_id) == a and _filename(t, e) not in seen
        )
        seen[_filename(topic, event)] = event.data
    assert seen["own.pdf"].blob.sha256 == hashlib.sha256(own).hexdigest()
    for name in set(refs) - {"own.pdf"}:
        assert seen[name].reason_code == "ref_forbidden", name
        assert seen[name].original.topic == topics.MAILROOM_INCOMING
        assert seen[name].blob_ref is None


def test_a_sample_label_the_workflow_lacks_is_dead_lettered_not_stored(
    start_docroute_service, producer, topic_reader_factory, blobstore
):
    workflow_id = send_workflow(producer, workflow_settings(labels=["invoice", "tax_form"]))
    start_docroute_service("ingest")
    reader = topic_reader_factory(r"^(document\.received|document\.dead-letter)$")
    pdf = make_text_pdf([f"not a label {uuid.uuid4()}"])
    _, message = _mail(
        workflow_id,
        [Attachment(filename="x.pdf", content_base64=_b64(pdf))],
        purpose="training",
        label="no-such-label",
    )
    producer.send([message])
    topic, event = reader.wait_for(lambda t, e: str(e.data.workflow_id) == workflow_id)
    assert (topic, event.data.reason_code) == (topics.DEAD_LETTER, "unknown_label")
    assert "no-such-label" in event.data.reason and "invoice" in event.data.reason
    assert not blobstore.exists(f"originals/sha256/{hashlib.sha256(pdf).hexdigest()}")


def _held(port: int) -> float:
    """How often ingest held a mail for its quota (its /metrics)."""
    body = httpx.get(f"http://{HOST}:{port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("docroute_transient_errors_total{") and 'error="QuotaHeldError"' in line
    )


def test_the_mailroom_quota_policies(start_docroute_service, producer, topic_reader_factory, database_url):
    """Free plan at 3 pages: dead_letter refuses, hold waits for pages, meter_only takes it."""
    plans = '{"free": 3, "unlimited": null}'
    workflow_id = send_workflow(producer, workflow_settings(labels=["invoice", "payslip"]))
    reader = topic_reader_factory(r"^(document\.received|document\.dead-letter)$")

    def send_and_wait(pages: int, timeout_s: float = 60):
        pdf = make_text_pdf([f"invoice {uuid.uuid4()}"], pages=pages)
        mail_id, message = _mail(workflow_id, [Attachment(filename="a.pdf", content_base64=_b64(pdf))])
        producer.send([message])
        document_id = mail_document_id(workflow_id, mail_id, 0, "a.pdf")
        return reader.wait_for(lambda t, e: str(e.data.document_id) == document_id, timeout_s)

    start_docroute_service("ingest").stop()  # the module's ingest runs with the default plans
    ingest = start_docroute_service("ingest", DOCROUTE_USAGE__PLANS=plans)
    topic, first = send_and_wait(2)
    assert topic == topics.DOCUMENT_RECEIVED
    topic, refused = send_and_wait(2)
    assert (topic, refused.data.reason_code) == (topics.DEAD_LETTER, "quota_exceeded")
    assert "2 pages do not fit" in refused.data.reason and "allows 3 pages" in refused.data.reason

    ingest.stop()
    ingest = start_docroute_service(
        "ingest", DOCROUTE_USAGE__PLANS=plans, DOCROUTE_MAILROOM__QUOTA_POLICY="hold"
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(send_and_wait, 2, 120)
        wait_until(lambda: _held(ingest.port) >= 1, 60, "the mail was not held")
        engine = create_engine(database_url)
        with engine.begin() as conn:  # the first document failed downstream: its pages come back
            assert quota.release(conn, [first.data.document_id]) == 2
        engine.dispose()
        topic, _ = held.result()
    assert topic == topics.DOCUMENT_RECEIVED

    ingest.stop()
    start_docroute_service(
        "ingest", DOCROUTE_USAGE__PLANS=plans, DOCROUTE_MAILROOM__QUOTA_POLICY="meter_only"
    )
    topic, _ = send_and_wait(5)
    assert topic == topics.DOCUMENT_RECEIVED
