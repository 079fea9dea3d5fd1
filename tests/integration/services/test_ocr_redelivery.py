"""A stack redelivered after a release that divides stacks differently (issue 8: every page in
exactly one part, also on redelivery), against the real S3 server: OCR sends the division it
made the first time again, the same parts and event ids, not a new one beside it."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image

from docroute.blobstore import BlobStore
from docroute.contracts._generated import DocumentReceived
from docroute.events import Event, Outgoing, new_event
from services.ocr import stacks
from services.ocr.adapters import EngineSet
from services.ocr.core.splitting import Separator
from services.ocr.decided import divided_key
from services.ocr.handler import OcrHandler
from services.ocr.stacks import division_key
from tests.factories.documents import document_lines
from tests.factories.originals import stored_received
from tests.factories.stacks import make_stack_pdf
from tests.factories.workflows import OneWorkflow, workflow_settings

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "photos"


def _handler(blobstore: BlobStore, splitting: str) -> OcrHandler:
    workflow = workflow_settings(labels=["invoice", "payslip", "receipt"], splitting=splitting)
    return OcrHandler(blobstore, OneWorkflow(workflow), EngineSet(), max_pages=200)  # type: ignore[arg-type]


def _stack(blobstore: BlobStore) -> Event[DocumentReceived]:
    """Invoice (2 pages) | blank | payslip | blank | invoice."""
    rng = random.Random(8)
    invoice, payslip, other = (document_lines(kind, rng) for kind in ("invoice", "payslip", "invoice"))
    data = make_stack_pdf([[invoice[:12], invoice[12:]], [payslip], [other]], separator="blank")
    doc = stored_received(blobstore, data, filename="stack.pdf")
    return new_event("document.received", doc, source="test")


def _parts(out: Sequence[Outgoing]) -> list[tuple[str, int, int]]:
    return [
        (str(o.event.data.document_id), o.event.data.part.first_page, o.event.data.part.last_page)
        for o in out
        if o.event.type == "document.received"
    ]


def _first_sheet_only(found: Sequence[Separator], page_count: int) -> list[Separator]:
    """A release that reads a stack's sheets otherwise: only its first sheet divides it."""
    return list(found[:1])


def test_a_stack_redelivered_after_a_release_that_divides_it_otherwise_is_divided_as_before(
    blobstore: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = _stack(blobstore)
    first = _handler(blobstore, "separator").on_received(event)
    assert [(p[1], p[2]) for p in _parts(first)] == [(0, 1), (3, 3), (5, 5)]
    assert blobstore.exists(divided_key(str(event.data.document_id)))

    monkeypatch.setattr(stacks, "separators_in_use", _first_sheet_only)
    again = _handler(blobstore, "separator").on_received(event)
    assert [o.event.id for o in again] == [o.event.id for o in first]
    assert _parts(again) == _parts(first)
    assert [o.event.type for o in again] == ["document.received"] * 3 + ["document.split"]

    # Without the kept division the new release would name other parts: pages 3-5 in two parts.
    blobstore.delete(divided_key(str(event.data.document_id)))
    anew = _handler(blobstore, "separator").on_received(event)
    assert [(p[1], p[2]) for p in _parts(anew)] == [(0, 1), (3, 5)]


def test_a_stack_a_person_divided_since_is_not_divided_again_on_redelivery(blobstore: BlobStore) -> None:
    event = _stack(blobstore)
    assert _handler(blobstore, "separator").on_received(event)
    blobstore.put_json(division_key(str(event.data.document_id)), {"parts": []})
    assert _handler(blobstore, "separator").on_received(event) == []


def test_a_photo_of_two_receipts_redelivered_gets_its_first_parts_again(blobstore: BlobStore) -> None:
    photo = Image.open(PHOTOS / "two-receipts.jpg").convert("RGB")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    doc = stored_received(blobstore, buffer.getvalue(), "image/jpeg", filename="receipts.jpg")
    event = new_event("document.received", doc, source="test")
    first = _handler(blobstore, "separator").on_received(event)
    assert len(_parts(first)) == 2
    # Redelivered after the workflow's splitting changed: the division made stands.
    again = _handler(blobstore, "every_page").on_received(event)
    assert [o.event.id for o in again] == [o.event.id for o in first]
    assert [o.event.data.mode for o in again if o.event.type == "document.split"] == ["separator"]
