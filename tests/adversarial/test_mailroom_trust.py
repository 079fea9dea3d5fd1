"""The mailroom door's trust rule under attack (issue 12, points 1-3): a mail may read only its
workflow's inbox, may not label samples with labels the workflow lacks, cannot name another
workflow's document, cannot pass for the API's door, and meets the plan's page allowance.

Each case asserts a dead letter with its reason code (or the harmless outcome), then that the
stack still serves a good document behind it in the same partition.
"""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Attachment, DocumentRouted, MailReceived
from docroute.events import Event, Outgoing, new_event
from docroute.intake import mail_document_id
from docroute.kafka import EventProducer
from tests.adversarial.conftest import GoodDocument, Mailroom, mail_with
from tests.factories.documents import make_text_pdf
from tests.fixtures.polling import wait_until
from tests.fixtures.topic_reader import TopicReader

A_PDF = make_text_pdf(["Invoice of workflow A"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _received(events: TopicReader, document_id: str) -> Event[Any]:
    _, event = events.wait_for(lambda t, e: str(e.data.document_id) == document_id, timeout_s=60)
    return event


@pytest.fixture(scope="module")
def victim(api: httpx.Client, new_workflow: Callable[..., str], intake_events: TopicReader) -> dict[str, str]:
    """Workflow B with one processed document: the objects an attacker of A would like to read."""
    key = new_workflow(name="victim")
    secret = make_text_pdf([f"B's confidential invoice {uuid.uuid4()}"])
    response = api.post(f"/processing/{key}", files={"file": ("secret.pdf", secret)})
    assert response.status_code == 202, response.text
    document_id = response.json()["document_id"]
    received = _received(intake_events, document_id)
    return {"key": key, "document_id": document_id, "original": received.data.blob.ref}


def _refs(bucket: str, a: str, b: dict[str, str]) -> dict[str, str]:
    inbox = f"s3://{bucket}/inbox"
    return {
        "b-original": b["original"],
        "b-ocr": f"s3://{bucket}/ocr/{b['document_id']}.json",
        "b-upload": f"s3://{bucket}/uploads/{uuid.uuid4()}",
        "b-model": f"s3://{bucket}/models/{b['key']}/v1/manifest.json",
        "b-trainset": f"s3://{bucket}/trainsets/{b['key']}/samples/x.json",
        "b-route": f"s3://{bucket}/routes/{b['document_id']}.json",
        "b-inbox": f"{inbox}/{b['key']}/their.pdf",
        "inbox-root": f"{inbox}/loose.pdf",
        "other-bucket": f"s3://{bucket}-elsewhere/inbox/{a}/a.pdf",
        "dot-dot": f"{inbox}/{a}/../{b['key']}/their.pdf",
        "dot": f"{inbox}/{a}/./a.pdf",
        "double-slash": f"{inbox}/{a}//a.pdf",
        "leading-slash": f"s3://{bucket}//inbox/{a}/a.pdf",
        "percent-encoded": f"{inbox}/{a}/%2e%2e/{b['key']}/their.pdf",
        "encoded-slash": f"{inbox}/{a}/..%2f..%2foriginals",
        "backslash": f"{inbox}/{a}/..\\..\\originals\\x",
        "query": f"{inbox}/{a}/a.pdf?versionId=1",
        "control-char": f"{inbox}/{a}/a\x07.pdf",
        "folder-itself": f"{inbox}/{a}/",
    }


REF_CASES = list(_refs("bucket", "a", {"key": "b", "document_id": "d", "original": "o"}))


@pytest.mark.parametrize("case", REF_CASES)
def test_an_s3_ref_outside_the_workflows_inbox_is_dead_lettered(
    case: str,
    victim: dict[str, str],
    workflow_key: str,
    blobstore: BlobStore,
    mailroom: Mailroom,
    dead_letter_for: Any,
    good_document: GoodDocument,
) -> None:
    blobstore.put(f"inbox/{victim['key']}/their.pdf", make_text_pdf(["B's inbox"]))
    ref = _refs(blobstore.bucket, workflow_key, victim)[case]
    mail = mail_with(workflow_key, Attachment(filename="a.pdf", s3_ref=ref))
    sent = mailroom.send(mail)
    failed = dead_letter_for(mail_document_id(workflow_key, mail.mail_id, 0, "a.pdf"))
    assert failed.reason_code == "ref_forbidden", failed
    assert failed.stage == "ingest" and failed.original.topic == topics.MAILROOM_INCOMING
    assert failed.blob_ref is None
    good_document.via_mailroom(partition_key=sent.key)


def test_a_cannot_read_bs_file_through_the_mailroom(
    victim: dict[str, str],
    workflow_key: str,
    mailroom: Mailroom,
    dead_letter_for: Any,
    client_for: Callable[..., httpx.Client],
    mint_api_key: Callable[..., str],
    api: httpx.Client,
) -> None:
    """Issue 12's attack end to end: A's document naming B's original, read with A's key."""
    mail = mail_with(workflow_key, Attachment(filename="stolen.pdf", s3_ref=victim["original"]))
    mailroom.send(mail)
    stolen = mail_document_id(workflow_key, mail.mail_id, 0, "stolen.pdf")
    assert dead_letter_for(stolen).reason_code == "ref_forbidden"
    a = client_for(mint_api_key(workflow_key))

    def shown_failed() -> bool:
        return a.get(f"/documents/{stolen}").json().get("status") == "failed"

    wait_until(shown_failed, 30, "A's refused document is not shown as failed")
    assert a.get(f"/documents/{stolen}").json()["failure"]["reason_code"] == "ref_forbidden"
    assert a.get(f"/documents/{stolen}/original").status_code == 404
    assert a.get(f"/documents/{stolen}/ocr").status_code == 404
    assert a.get(f"/documents/{victim['document_id']}/original").status_code == 404
    assert api.get(f"/documents/{victim['document_id']}").json()["filename"] == "secret.pdf"


def test_a_sender_cannot_name_another_workflows_document(
    victim: dict[str, str],
    workflow_key: str,
    mailroom: Mailroom,
    intake_events: TopicReader,
    api: httpx.Client,
    good_document: GoodDocument,
) -> None:
    """The mail's document id is derived; an id the sender chose (B's) is ignored."""
    attachment = Attachment(filename="a.pdf", content_base64=_b64(A_PDF), document_id=victim["document_id"])
    mail = mail_with(workflow_key, attachment)
    sent = mailroom.send(mail)
    received = _received(intake_events, mail_document_id(workflow_key, mail.mail_id, 0, "a.pdf"))
    assert str(received.data.workflow_id) == workflow_key
    assert str(received.data.document_id) != victim["document_id"]
    assert api.get(f"/documents/{victim['document_id']}").json()["filename"] == "secret.pdf"
    good_document.via_mailroom(partition_key=sent.key)


def test_a_mail_cannot_pass_for_the_apis_upload_door(
    workflow_key: str, mailroom: Mailroom, dead_letter_for: Any, good_document: GoodDocument
) -> None:
    mail = mail_with(workflow_key, Attachment(filename="a.pdf", content_base64=_b64(A_PDF)), door="upload")
    sent = mailroom.send(mail)
    failed = dead_letter_for(sent.key)
    assert failed.reason_code == "door_mismatch" and "mailroom.incoming" in failed.reason
    good_document.via_mailroom(partition_key=sent.key)


@pytest.mark.parametrize("door", ["upload", "mailroom"], ids=["forged-ref", "claims-mailroom"])
def test_the_internal_upload_topic_takes_only_the_apis_uploads(
    door: str,
    victim: dict[str, str],
    workflow_key: str,
    producer: EventProducer,
    dead_letter_for: Any,
    good_document: GoodDocument,
) -> None:
    """Defence in depth behind the ACLs: only `uploads/<id>` of the product bucket, as the API."""
    attachment = Attachment(filename="a.pdf", s3_ref=victim["original"], document_id=str(uuid.uuid4()))
    mail = MailReceived(
        mail_id=str(uuid.uuid4()), door=door, workflow_id=workflow_key, attachments=[attachment]
    )
    event = new_event("mail.received", mail, source="adversarial", subject=mail.mail_id)
    producer.send([Outgoing(topics.INGEST_UPLOADS, mail.mail_id, event)])
    expected = {
        "upload": ("ref_forbidden", str(attachment.document_id)),
        "mailroom": ("door_mismatch", mail.mail_id),
    }
    code, about = expected[door]
    failed = dead_letter_for(about)
    assert failed.reason_code == code, failed
    assert failed.original.topic == topics.INGEST_UPLOADS
    good_document.via_upload()


def test_a_sample_label_the_workflow_lacks_is_refused_and_not_stored(
    workflow_key: str,
    mailroom: Mailroom,
    dead_letter_for: Any,
    blobstore: BlobStore,
    good_document: GoodDocument,
) -> None:
    """Issue 12 point 2: `no-such-label` became one of the model's labels."""
    pdf = make_text_pdf([f"a sample {uuid.uuid4()}"])
    attachment = Attachment(filename="s.pdf", content_base64=_b64(pdf))
    mail = mail_with(workflow_key, attachment, purpose="training", label="no-such-label")
    sent = mailroom.send(mail)
    failed = dead_letter_for(mail_document_id(workflow_key, mail.mail_id, 0, "s.pdf"))
    assert failed.reason_code == "unknown_label" and "no-such-label" in failed.reason
    assert not blobstore.exists(f"originals/sha256/{hashlib.sha256(pdf).hexdigest()}")
    good_document.via_mailroom(partition_key=sent.key)


def test_a_zip_folder_never_invents_a_label(
    workflow_key: str, mailroom: Mailroom, intake_events: TopicReader, good_document: GoodDocument
) -> None:
    """Folders name labels only when they match one (as at the HTTP door); others stay unlabelled."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("no-such-label/a.pdf", make_text_pdf([f"a {uuid.uuid4()}"]))
        zf.writestr("Invoice/b.pdf", make_text_pdf([f"b {uuid.uuid4()}"]))
    attachment = Attachment(filename="set.zip", content_base64=_b64(archive.getvalue()))
    mail = mail_with(workflow_key, attachment, purpose="training")
    sent = mailroom.send(mail)
    labels = {}
    while len(labels) < 2:
        _, event = intake_events.wait_for(
            lambda t, e: (
                t == topics.DOCUMENT_RECEIVED
                and e.data.origin.mail_id == mail.mail_id
                and e.data.origin.member_path not in labels
            )
        )
        labels[event.data.origin.member_path] = event.data.label
    assert labels == {"no-such-label/a.pdf": None, "Invoice/b.pdf": "invoice"}
    good_document.via_mailroom(partition_key=sent.key)


def test_mail_past_the_free_plan_is_dead_lettered_with_quota_exceeded(
    api: httpx.Client,
    new_workflow: Callable[..., str],
    mailroom: Mailroom,
    intake_events: TopicReader,
    good_document: GoodDocument,
) -> None:
    """Issue 12 point 3 at the mailroom (default policy `dead_letter`): 21 x 5 pages on 100."""
    key = new_workflow(name="free")
    assert api.put(f"/workflows/{key}/plan", json={"plan": "free"}).status_code == 200
    fives = [make_text_pdf([f"invoice {i}"], pages=5) for i in range(21)]
    attachments = [Attachment(filename=f"{i}.pdf", content_base64=_b64(pdf)) for i, pdf in enumerate(fives)]
    mail = mail_with(key, *attachments)
    sent = mailroom.send(mail)
    outcomes: dict[str, str] = {}
    while len(outcomes) < 21:
        topic, event = intake_events.wait_for(
            lambda t, e: (
                t in (topics.DOCUMENT_RECEIVED, topics.DEAD_LETTER)
                and str(e.data.workflow_id) == key
                and str(e.data.document_id) not in outcomes
            )
        )
        outcomes[str(event.data.document_id)] = (
            event.data.reason_code if topic == topics.DEAD_LETTER else "ok"
        )
    assert sorted(outcomes.values()).count("ok") == 20
    assert [c for c in outcomes.values() if c != "ok"] == ["quota_exceeded"]
    usage = api.get(f"/workflows/{key}/usage").json()
    assert usage["pages"] + usage["pages_reserved"] <= 100
    good_document.via_mailroom(partition_key=sent.key)


def test_a_long_document_is_billed_for_the_pages_read_at_both_doors(
    api: httpx.Client,
    new_workflow: Callable[..., str],
    mailroom: Mailroom,
    intake_events: TopicReader,
    producer: EventProducer,
    good_document: GoodDocument,
) -> None:
    """Issue 13: a 300-page PDF on the free plan (100 pages) is taken at both doors; each reserves,
    and is metered for, the pages OCR reads (the stack's DOCROUTE_MAX_PAGES, 5), not its 300."""
    key = new_workflow(name="manuals")
    assert api.put(f"/workflows/{key}/plan", json={"plan": "free"}).status_code == 200
    long_pdf = make_text_pdf(["operating manual"], pages=300)
    mail = mail_with(key, Attachment(filename="manual.pdf", content_base64=_b64(long_pdf)))
    sent = mailroom.send(mail)
    document_id = mail_document_id(key, mail.mail_id, 0, "manual.pdf")
    topic, received = intake_events.wait_for(
        lambda t, e: t in (topics.DOCUMENT_RECEIVED, topics.DEAD_LETTER) and e.subject == document_id
    )
    assert topic == topics.DOCUMENT_RECEIVED, received.data
    assert received.data.page_count == 300
    _, read = intake_events.wait_for(
        lambda t, e: t == topics.DOCUMENT_TEXT_EXTRACTED and e.subject == document_id, timeout_s=120
    )
    pages_read = len(read.data.pages_used)
    assert pages_read == 5
    usage = api.get(f"/workflows/{key}/usage").json()
    assert (usage["pages"], usage["pages_reserved"]) == (0, pages_read)

    uploaded = api.post(f"/processing/{key}", files={"file": ("manual.pdf", long_pdf)})
    assert uploaded.status_code == 202, uploaded.text
    assert api.get(f"/workflows/{key}/usage").json()["pages_reserved"] == 2 * pages_read

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
        blob=received.data.blob,
        ocr_ref=read.data.ocr_ref,
        page_count=300,
    )
    event = new_event("document.routed", routed, source="adversarial", subject=document_id)
    producer.send([Outgoing(topics.DOCUMENT_ROUTED, document_id, event)])
    wait_until(
        lambda: api.get(f"/workflows/{key}/usage").json()["pages"] == pages_read,
        30,
        "the delivered mail was not metered for the pages read",
    )
    usage = api.get(f"/workflows/{key}/usage").json()
    assert (usage["pages"], usage["pages_reserved"], usage["documents"]) == (pages_read, pages_read, 1)
    assert api.get(f"/documents/{document_id}").json()["page_count"] == 300
    good_document.via_mailroom(partition_key=sent.key)
