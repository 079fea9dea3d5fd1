"""ingest as a process: the mailroom door, zip expansion, and dead letters with reasons."""

from __future__ import annotations

import base64
import io
import uuid
import zipfile

from docroute import topics
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import Outgoing, new_event
from tests.factories.documents import make_scanned_image, make_text_pdf
from tests.factories.workflows import publish_workflow


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
    workflow_id = publish_workflow(producer, labels=["invoice", "payslip"])
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
