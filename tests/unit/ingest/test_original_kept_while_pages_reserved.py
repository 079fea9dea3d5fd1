"""Ingest stores a mailroom document's original while the page ledger reserves its pages, not
after: both are on every document's path, and neither needs the other's answer."""

from __future__ import annotations

import base64
import threading
import uuid
from types import SimpleNamespace
from typing import Any

from docroute.blobstore import BlobRef
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import new_event
from docroute.intake import IntakeLimits
from docroute.quota import Charge, Refusal
from services.ingest.attachments import AttachmentReader
from services.ingest.core import Inbox
from services.ingest.handler import IngestHandler
from services.ingest.quota_gate import QuotaGate
from tests.factories.documents import make_text_pdf

WORKFLOW = uuid.uuid4()
# Both calls meet here: one made after the other has returned waits alone and breaks it.
TIMEOUT_S = 10.0


class Workflows:
    def get(self, workflow_id: str, **_: Any) -> Any:
        return SimpleNamespace(labels=["invoice"], document_spec=SimpleNamespace(relevant_pages=None))


class Store:
    bucket = "docroute"

    def __init__(self, both_in_flight: threading.Barrier) -> None:
        self._both_in_flight = both_in_flight
        self.kept: dict[str, bytes] = {}

    def put_if_absent(self, key: str, data: bytes, *, content_type: str = "") -> bool:
        self._both_in_flight.wait()
        self.kept[key] = data
        return True

    def ref(self, key: str) -> BlobRef:
        return BlobRef(self.bucket, key)


class Ledger:
    def __init__(self, both_in_flight: threading.Barrier, refusal: Refusal | None) -> None:
        self._both_in_flight = both_in_flight
        self._refusal = refusal

    def reserve(self, workflow_id: uuid.UUID, charges: list[Charge]) -> tuple[str, Refusal | None]:
        self._both_in_flight.wait()
        return "free", self._refusal


def _handle(refusal: Refusal | None) -> tuple[Store, list[Any]]:
    both_in_flight = threading.Barrier(2, timeout=TIMEOUT_S)
    store = Store(both_in_flight)
    inbox = Inbox.configured(None, "inbox", False, store.bucket)
    reader = AttachmentReader(store, store, inbox, 1 << 20)  # type: ignore[arg-type]
    handler = IngestHandler(
        Workflows(),  # type: ignore[arg-type]
        store,  # type: ignore[arg-type]
        reader,
        IntakeLimits(max_file_bytes=1 << 20, max_zip_members=10, max_zip_total_bytes=1 << 20),
        QuotaGate(Ledger(both_in_flight, refusal), "dead_letter"),
    )
    pdf = make_text_pdf(["Invoice 42"])
    mail = MailReceived(
        mail_id="mail-1",
        workflow_id=WORKFLOW,
        door="mailroom",
        attachments=[Attachment(filename="a.pdf", content_base64=base64.b64encode(pdf).decode())],
    )
    return store, list(handler.on_mailroom(new_event("mail.received", mail, source="test")))


def test_the_original_is_stored_while_its_pages_are_reserved() -> None:
    store, outgoing = _handle(None)
    [received] = outgoing
    assert received.event.type == "document.received"
    assert received.event.data.blob.ref == f"s3://docroute/{next(iter(store.kept))}"


def test_a_document_over_its_allowance_is_refused_with_its_original_kept() -> None:
    store, outgoing = _handle(Refusal(month="2026-12", allowance=1, used=1, reserved=0, pages=1))
    [failed] = outgoing
    assert failed.event.data.reason_code == "quota_exceeded"
    assert failed.event.data.blob_ref == f"s3://docroute/{next(iter(store.kept))}"
