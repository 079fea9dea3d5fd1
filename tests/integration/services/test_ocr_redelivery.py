"""A stack redelivered after a release, or a change of its workflow's splitting, that divides it
differently (issue 8: every page in exactly one part, also on redelivery), against the real S3
server: OCR sends the division it made the first time again, the same parts and event ids, not a
new one beside it; a document it read as one it reads as one again."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from docroute.blobstore import BlobStore
from docroute.contracts._generated import DocumentReceived
from docroute.events import Event, Outgoing, new_event
from services.ocr import stacks
from services.ocr.adapters import EngineSet
from services.ocr.core.splitting import Separator
from services.ocr.decided import divided_key, reading_key
from services.ocr.handler import OcrHandler
from services.ocr.stacks import division_key
from tests.factories.documents import document_lines
from tests.factories.originals import stored_received
from tests.factories.stacks import make_stack_pdf
from tests.factories.workflows import OneWorkflow, workflow_settings

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "photos"


def _handler(
    blobstore: BlobStore, splitting: str, changed_after: Event[DocumentReceived] | None = None
) -> OcrHandler:
    """OCR of a workflow splitting as ``splitting``, set after ``changed_after`` was sent (None:
    before every document)."""
    workflow = workflow_settings(labels=["invoice", "payslip", "receipt"], splitting=splitting)
    changed_at = changed_after.time + timedelta(seconds=1) if changed_after else None
    return OcrHandler(blobstore, OneWorkflow(workflow, changed_at), EngineSet(), max_pages=200)  # type: ignore[arg-type]


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


def _texts(out: Sequence[Outgoing]) -> list[str]:
    """The event ids of the documents read as one."""
    return [o.event.id for o in out if o.event.type == "document.text_extracted"]


def _no_sheets(found: Sequence[Separator], page_count: int) -> list[Separator]:
    """A release that sees no separator sheet in a stack."""
    return []


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


def test_a_stack_read_as_one_is_read_as_one_again_by_a_release_that_would_divide_it(
    blobstore: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = _stack(blobstore)
    with monkeypatch.context() as patched:
        patched.setattr(stacks, "separators_in_use", _no_sheets)
        first = _handler(blobstore, "separator").on_received(event)
    assert len(_texts(first)) == 1 and not _parts(first)

    again = _handler(blobstore, "separator").on_received(event)
    assert _texts(again) == _texts(first) and not _parts(again)

    # Without its kept reading this release divides it: pages in a part and in the whole.
    blobstore.delete(reading_key(str(event.data.document_id)))
    anew = _handler(blobstore, "separator").on_received(event)
    assert [(p[1], p[2]) for p in _parts(anew)] == [(0, 1), (3, 3), (5, 5)]


def test_a_stack_redelivered_after_its_workflow_stopped_splitting_gets_its_parts_again(
    blobstore: BlobStore,
) -> None:
    event = _stack(blobstore)
    first = _handler(blobstore, "separator").on_received(event)
    assert len(_parts(first)) == 3

    again = _handler(blobstore, "none", changed_after=event).on_received(event)
    assert [o.event.id for o in again] == [o.event.id for o in first] and not _texts(again)

    # Settings older than the document: no division could have been made, none is looked for.
    later = _handler(blobstore, "none").on_received(event)
    assert len(_texts(later)) == 1 and not _parts(later)


def test_a_stack_read_as_one_before_its_workflow_started_splitting_is_read_as_one_again(
    blobstore: BlobStore,
) -> None:
    event = _stack(blobstore)
    first = _handler(blobstore, "none").on_received(event)
    assert len(_texts(first)) == 1

    again = _handler(blobstore, "separator", changed_after=event).on_received(event)
    assert _texts(again) == _texts(first) and not _parts(again)
    assert not blobstore.exists(divided_key(str(event.data.document_id)))


def test_a_stack_a_person_divided_after_it_was_read_as_one_is_not_read_again(blobstore: BlobStore) -> None:
    event = _stack(blobstore)
    assert _texts(_handler(blobstore, "none").on_received(event))
    blobstore.put_json(division_key(str(event.data.document_id)), {"parts": []})
    assert _handler(blobstore, "separator", changed_after=event).on_received(event) == []
