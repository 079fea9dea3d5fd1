"""The mailbox door against a real IMAP server (Dovecot, started by the fixture), the real broker
and S3: each attachment of a new mail is published as its own mail, the mail is flagged and not
published again (by the next poll or by a restarted gateway), a refused attachment is flagged
and not published, and a large one goes through the inbox."""

from __future__ import annotations

import base64
import email.message
import random
import uuid

from docroute.blobstore import BlobStore
from docroute.gateway_imap import REFUSED, SENT, ImapGateway, Mailbox
from docroute.gateway_publish import Inbox, MailPublisher
from docroute.kafka import EventProducer
from docroute.settings import ServiceSettings
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.dovecot import ImapServer
from tests.integration.test_gateway_folder import _mails


def _deliver(server: ImapServer, *files: tuple[str, bytes], message_id: str | None = None) -> None:
    mail = email.message.EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = (
        "Scanner <scanner@example.com>",
        "docroute@example.com",
        "scan",
    )
    if message_id:
        mail["Message-ID"] = message_id
    mail.set_content("Two documents attached.")
    for name, data in files:
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    imap = server.client()
    try:
        assert imap.append("INBOX", None, None, mail.as_bytes())[0] == "OK"
    finally:
        imap.logout()


def _flags(server: ImapServer) -> list[str]:
    imap = server.client()
    try:
        _, data = imap.uid("FETCH", "1:*", "(FLAGS)")
        return [item.decode() for item in data if isinstance(item, bytes)]
    finally:
        imap.logout()


def _gateway(server: ImapServer, publisher: MailPublisher) -> ImapGateway:
    box = Mailbox(server.host, server.port, server.user, server.password, tls="none")
    return ImapGateway(box, publisher)


def test_attachments_are_published_once_and_the_mail_flagged(
    dovecot: ImapServer, producer: EventProducer, settings: ServiceSettings, blobstore: BlobStore
) -> None:
    workflow_id, rng = str(uuid.uuid4()), random.Random(21)
    invoice = make_text_pdf(document_lines("invoice", rng))
    payslip = make_text_pdf(document_lines("payslip", rng))
    message_id = f"<{uuid.uuid4().hex}@scanner.example.com>"
    _deliver(dovecot, ("invoice.pdf", invoice), ("payslip.pdf", payslip), message_id=message_id)
    _deliver(dovecot, ("bogus.pdf", b"not a pdf at all"))
    files = {"invoice.pdf": invoice, "payslip.pdf": payslip}
    small, large = sorted(files, key=lambda name: len(files[name]))
    assert len(files[small]) < len(files[large])
    inbox = Inbox(blobstore, "inbox/")
    publisher = MailPublisher(workflow_id, producer, "gateway-imap", inbox, inline_limit=len(files[small]))
    gateway = _gateway(dovecot, publisher)
    try:
        first = gateway.poll()
        assert len(first) == 2 and gateway.poll() == []  # flagged: the next poll takes nothing
    finally:
        gateway.close()
    flags = _flags(dovecot)
    assert all(SENT in line and "\\Seen" in line for line in flags), flags
    assert [REFUSED in line for line in flags] == [False, True], flags

    restarted = _gateway(dovecot, publisher)  # a restart: the mailbox is the state
    try:
        assert restarted.poll() == []
    finally:
        restarted.close()

    mails = _mails(settings, workflow_id)
    assert sorted(m["data"]["mail_id"] for m in mails) == sorted(first)
    by_name = {m["data"]["attachments"][0]["filename"]: m for m in mails}
    assert set(by_name) == {"invoice.pdf", "payslip.pdf"}
    assert all(m["data"]["sender"] == "scanner@example.com" for m in mails)
    inline = by_name[small]["data"]["attachments"][0]
    assert base64.b64decode(inline["content_base64"]) == files[small]
    by_ref = by_name[large]["data"]["attachments"][0]  # larger than the inline limit
    assert by_ref["content_base64"] is None and blobstore.get(by_ref["s3_ref"]) == files[large]
