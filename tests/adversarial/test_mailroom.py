"""Hostile messages on `mailroom.incoming`: each becomes a dead letter with its reason code,
and a good mail sent right behind it (same key, so the same partition) is still read.

Bytes that are no event at all are dead-lettered by the bus (`invalid_event`, keyed by the
message key); events that are mail are dead-lettered by ingest per attachment (or whole,
for an unknown workflow), their dead letters naming the mail's event id.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from docroute import topics
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import encode, new_event
from docroute.intake import mail_document_id
from tests.adversarial import bad_files
from tests.adversarial.conftest import Mailroom, inline, mail_with
from tests.factories.documents import make_corrupt_pdf, make_encrypted_pdf


def _event_json(workflow_id: str) -> dict[str, Any]:
    """A valid `mail.received` envelope as JSON, to be broken by a case."""
    mail = MailReceived(
        mail_id=f"mail-{uuid.uuid4()}", workflow_id=workflow_id, attachments=[inline(bad_files.small_pdf())]
    )
    return dict(
        json.loads(encode(new_event("mail.received", mail, source="adversarial", subject=mail.mail_id)))
    )


def _broken(change: Callable[[dict[str, Any]], Any]) -> Callable[[str], bytes]:
    def build(workflow_id: str) -> bytes:
        envelope = _event_json(workflow_id)
        change(envelope)
        return json.dumps(envelope).encode()

    return build


RAW_MESSAGES: dict[str, Callable[[str], bytes]] = {
    "not-json": lambda _: b"{this is not json",
    "not-utf-8": lambda _: b"\xff\xfe\x00garbage",
    "empty-message": lambda _: b"",
    "json-array": lambda _: b'[{"type": "mail.received"}]',
    "envelope-without-specversion": _broken(lambda e: e.pop("specversion")),
    "envelope-without-data": _broken(lambda e: e.pop("data")),
    "unknown-event-type": _broken(lambda e: e.update(type="mail.exploded")),
    "unknown-schema-version": _broken(lambda e: e.update(dataschema="urn:docroute:schema:mail.received:v99")),
    "attachments-not-a-list": _broken(lambda e: e["data"].update(attachments="a.pdf")),
    "field-the-schema-lacks": _broken(lambda e: e["data"].update(priority="urgent")),
    "workflow-id-not-a-uuid": _broken(lambda e: e["data"].update(workflow_id="../../other")),
    "nan-as-model-version": lambda w: json.dumps(
        _event_json(w) | {"data": {**_event_json(w)["data"], "model_version": float("nan")}}
    ).encode(),
    "filename-over-255": _broken(lambda e: e["data"]["attachments"][0].update(filename="a" * 300 + ".pdf")),
    "mail-id-empty": _broken(lambda e: e["data"].update(mail_id="")),
}


@pytest.mark.parametrize("case", list(RAW_MESSAGES))
def test_messages_that_are_no_valid_mail_are_dead_lettered(
    mailroom: Mailroom, workflow_key: str, dead_letter_for: Any, good_document: Any, case: str
) -> None:
    key = f"bad-{uuid.uuid4()}"
    mailroom.send_raw(RAW_MESSAGES[case](workflow_key), key)
    failed = dead_letter_for(key)
    assert failed.reason_code == "invalid_event", failed
    assert failed.original.topic == "mailroom.incoming" and failed.reason
    good_document.via_mailroom(partition_key=key)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


ATTACHMENTS: dict[str, tuple[Callable[[], Attachment], str]] = {
    "bad-base64": (
        lambda: Attachment(filename="a.pdf", content_base64="%%%not base64%%%"),
        "invalid_attachment",
    ),
    "neither-content-nor-ref": (lambda: Attachment(filename="a.pdf"), "invalid_attachment"),
    "inline-over-the-cap": (lambda: inline(b"%PDF-1.4\n" + bytes(300 * 1024)), "too_large"),
    "empty": (lambda: inline(b""), "empty_file"),
    "plain-text": (lambda: inline(bad_files.text_named_pdf()), "unsupported_type"),
    "corrupt-pdf": (lambda: inline(make_corrupt_pdf()), "corrupt_file"),
    "tiff-with-a-121-megapixel-second-page": (
        lambda: inline(bad_files.tiff_with_a_huge_later_page(), "scan.tiff"),
        "too_large",
    ),
    "encrypted-pdf": (lambda: inline(make_encrypted_pdf()), "encrypted_file"),
    "polyglot-png-signature-then-pdf": (lambda: inline(bad_files.png_header_on_a_pdf()), "corrupt_file"),
    "zip-bomb-by-ratio": (lambda: inline(bad_files.zip_bomb_by_ratio(), "bomb.zip"), "zip_bomb"),
    "zip-with-too-many-members": (
        lambda: inline(bad_files.zip_with_too_many_members(), "many.zip"),
        "zip_bomb",
    ),
    "zip-in-a-zip": (lambda: inline(bad_files.nested_zip(), "nested.zip"), "zip_nesting"),
    "zip-member-climbing-out": (lambda: inline(bad_files.zip_climbing_out(), "climb.zip"), "unsafe_path"),
    "zip-member-symlink": (lambda: inline(bad_files.zip_with_symlink(), "link.zip"), "unsafe_path"),
    "corrupt-zip": (lambda: inline(bad_files.corrupt_zip(), "broken.zip"), "corrupt_file"),
}


@pytest.mark.parametrize("case", list(ATTACHMENTS))
def test_bad_attachments_are_dead_lettered_with_their_reason(
    mailroom: Mailroom, workflow_key: str, dead_letter_for: Any, good_document: Any, case: str
) -> None:
    build, reason_code = ATTACHMENTS[case]
    sent = mailroom.send(mail_with(workflow_key, build()))
    failed = dead_letter_for(sent.event_id)
    assert failed.reason_code == reason_code, failed
    assert failed.stage == "ingest" and failed.reason
    good_document.via_mailroom(partition_key=sent.key)


def test_mail_for_an_unknown_workflow_is_dead_lettered(
    mailroom: Mailroom, dead_letter_for: Any, good_document: Any
) -> None:
    sent = mailroom.send(mail_with(str(uuid.uuid4()), inline(bad_files.small_pdf())))
    assert dead_letter_for(sent.event_id).reason_code == "unknown_workflow"
    good_document.via_mailroom(partition_key=sent.key)


def test_mail_for_an_archived_workflow_is_dead_lettered(
    api: httpx.Client,
    new_workflow: Callable[..., str],
    mailroom: Mailroom,
    dead_letter_for: Any,
    good_document: Any,
) -> None:
    """Refused by ingest, or (when the mail overtakes the archiving on its way to ingest) by
    the next stage: a dead letter for its document either way."""
    archived = new_workflow(name="archived")
    assert api.post(f"/workflows/{archived}/archive").status_code == 200
    mail = mail_with(archived, inline(bad_files.small_pdf(), "a.pdf"))
    sent = mailroom.send(mail)
    failed = dead_letter_for(sent.event_id, mail_document_id(archived, mail.mail_id, 0, "a.pdf"))
    assert failed.reason_code == "unknown_workflow", failed
    good_document.via_mailroom(partition_key=sent.key)


def test_a_lone_surrogate_in_a_name_is_dead_lettered(
    mailroom: Mailroom, workflow_key: str, dead_letter_for: Any, good_document: Any
) -> None:
    """Not encodable as UTF-8: the event is refused before anything stores the name."""
    envelope = _event_json(workflow_key)
    envelope["data"]["attachments"][0]["filename"] = "\ud800.pdf"
    key = f"bad-{uuid.uuid4()}"
    mailroom.send_raw(json.dumps(envelope).encode(), key)  # json escapes it: \\ud800
    assert dead_letter_for(key).reason_code == "invalid_event"
    good_document.via_mailroom(partition_key=key)


def test_a_pdf_past_the_page_cap_is_read_from_its_first_pages(
    mailroom: Mailroom, workflow_key: str, intake_events: Any, good_document: Any
) -> None:
    """The mailroom door follows the upload door: a long document is read, not refused."""
    mail = mail_with(workflow_key, inline(bad_files.pdf_over_page_cap(), "long.pdf"))
    mailroom.send(mail)
    document_id = mail_document_id(workflow_key, mail.mail_id, 0, "long.pdf")
    good_document.wait_until_read(document_id)
    [(_, read)] = intake_events.matching(
        lambda t, e: t == topics.DOCUMENT_TEXT_EXTRACTED and e.subject == document_id
    )
    assert read.data.page_count == bad_files.PAGE_CAP + 1
    assert read.data.pages_used == list(range(bad_files.PAGE_CAP))
