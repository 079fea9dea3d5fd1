"""Files of several pages holding photos (a phone's scanner app), against the real S3 server:
each page that holds two documents or more is divided into them, every other page is a part of
its own, and a file where no page holds two is left to the stack splitter.

The receipts are real (SROIE scans, tests/data/photos); the pages are PDFs made of them here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import pytest
from PIL import Image

from docroute.blobstore import BlobStore
from docroute.contracts._generated import DocumentReceived
from docroute.events import Outgoing, new_event
from services.ocr import photos, stacks
from services.ocr.adapters import EngineSet
from services.ocr.core.pdf import PdfFile
from services.ocr.core.splitting import Separator, find_separator, is_blank
from services.ocr.handler import OcrHandler
from services.ocr.photos import MAX_PHOTO_PAGES, PhotoSplitter
from tests.factories.documents import make_text_pdf
from tests.factories.originals import stored_received
from tests.factories.workflows import OneWorkflow, workflow_settings

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "photos"


def _on_a_page(name: str) -> Image.Image:
    """The photo amid a white margin, as a phone's scanner app puts it on a PDF page."""
    photo = Image.open(PHOTOS / name).convert("RGB")
    page = Image.new("RGB", (photo.width + 240, photo.height + 320), "white")
    page.paste(photo, (120, 160))
    return page


def _blank() -> Image.Image:
    return Image.new("RGB", (1240, 1754), "white")


def _pdf(pages: Sequence[Image.Image]) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", resolution=200.0, save_all=True, append_images=list(pages[1:]))
    return buffer.getvalue()


def _received(blobstore: BlobStore, data: bytes, media_type: str = "application/pdf") -> DocumentReceived:
    return stored_received(blobstore, data, media_type, filename="receipts")


def _split(blobstore: BlobStore, doc: DocumentReceived, splitting: str) -> Sequence[Outgoing] | None:
    return PhotoSplitter(blobstore).split(doc, splitting, partial(blobstore.get, doc.blob.ref)).events


def test_a_page_of_two_receipts_is_divided_and_the_next_page_is_a_part_of_its_own(
    blobstore: BlobStore,
) -> None:
    pdf = _received(blobstore, _pdf([_on_a_page("two-receipts.jpg"), _on_a_page("receipt-scan.jpg")]))
    out = _split(blobstore, pdf, "auto")
    assert out is not None
    assert [o.event.type for o in out] == ["document.received"] * 3 + ["document.split"]
    parts = [o.event.data for o in out[:3]]
    assert [(p.part.index, p.part.count, p.part.first_page, p.part.last_page) for p in parts] == [
        (0, 3, 0, 0),
        (1, 3, 0, 0),
        (2, 3, 1, 1),
    ]
    assert len({p.document_id for p in parts}) == 3 and {p.parent_id for p in parts} == {str(pdf.document_id)}
    sizes = [Image.open(io.BytesIO(blobstore.get(p.blob.ref))).size for p in parts[:2]]
    # Page 1's two receipts cut out (taller than wide); page 2 whole: a copy of the PDF's page.
    assert all(height > 1.5 * width for width, height in sizes), sizes
    assert parts[2].blob.media_type == "application/pdf"
    with PdfFile(blobstore.get(parts[2].blob.ref)) as whole:
        assert whole.page_count == 1 and whole.render(0).width > 1.5 * sizes[0][0]
    split = out[3].event.data
    assert [(str(d.document_id), d.first_page, d.last_page) for d in split.documents] == [
        (str(p.document_id), p.part.first_page, p.part.last_page) for p in parts
    ]
    assert split.page_count == 2 and split.separators == []
    # Redelivered: the same parts, the same event ids.
    again = _split(blobstore, pdf, "auto")
    assert again is not None and [o.event.id for o in again] == [o.event.id for o in out]


def test_separator_sheets_are_left_out_of_a_divided_file(blobstore: BlobStore) -> None:
    pages = [_on_a_page("two-receipts.jpg"), _blank(), _on_a_page("receipt-scan.jpg")]
    out = _split(blobstore, _received(blobstore, _pdf(pages)), "separator")
    assert out is not None
    parts = [o.event.data for o in out[:-1]]
    assert [(p.part.first_page, p.part.count) for p in parts] == [(0, 3), (0, 3), (2, 3)]
    assert [(s.page, s.kind) for s in out[-1].event.data.separators] == [(1, "blank")]


def test_files_without_a_page_of_several_documents_are_left_to_the_stack_splitter(
    blobstore: BlobStore,
) -> None:
    one_each = _pdf([_on_a_page("receipt-scan.jpg"), _on_a_page("receipt-scan.jpg")])
    assert _split(blobstore, _received(blobstore, one_each), "separator") is None
    letters = make_text_pdf(["Dear Sir,", "Invoice 2024-17"], pages=2)
    assert _split(blobstore, _received(blobstore, letters), "separator") is None
    # A mailroom's batch: longer than a scanner app's file, its pages are never looked at.
    batch = _pdf([_on_a_page("two-receipts.jpg")] + [_blank()] * MAX_PHOTO_PAGES)
    assert _split(blobstore, _received(blobstore, batch), "separator") is None


def test_a_tiff_of_photo_pages_is_divided_page_by_page(blobstore: BlobStore) -> None:
    buffer = io.BytesIO()
    first, second = Image.open(PHOTOS / "two-receipts.jpg"), Image.open(PHOTOS / "receipt-scan.jpg")
    first.convert("RGB").save(buffer, "TIFF", save_all=True, append_images=[second.convert("RGB")])
    tiff = _received(blobstore, buffer.getvalue(), "image/tiff")
    assert tiff.page_count == 2
    out = _split(blobstore, tiff, "every_page")
    assert out is not None
    parts = [o.event.data for o in out[:-1]]
    assert [(p.part.first_page, p.blob.media_type) for p in parts] == [(0, "image/png")] * 2 + [
        (1, "image/tiff")
    ]
    # The second page whole: the scan as it was.
    assert Image.open(io.BytesIO(blobstore.get(parts[2].blob.ref))).size == second.size


def test_the_other_pages_are_grouped_as_the_workflows_splitting_groups_a_stacks(
    blobstore: BlobStore,
) -> None:
    """A page of two receipts in a `separator` workflow's file does not cut its other pages into
    pages: the two pages between the blank sheet and the end are one document, copied whole; a
    page of several documents ends the part before it, and the next page begins one."""
    receipts, one = _on_a_page("two-receipts.jpg"), _on_a_page("receipt-scan.jpg")
    out = _split(blobstore, _received(blobstore, _pdf([one, receipts, _blank(), one, one])), "separator")
    assert out is not None
    parts = [o.event.data for o in out[:-1]]
    assert [(p.part.first_page, p.part.last_page, p.page_count) for p in parts] == [
        (0, 0, 1),
        (1, 1, 1),
        (1, 1, 1),
        (3, 4, 2),
    ]
    with PdfFile(blobstore.get(parts[3].blob.ref)) as last:
        assert last.page_count == 2
    assert [(s.page, s.kind) for s in out[-1].event.data.separators] == [(2, "blank")]
    # `every_page` keeps one part a printed page, its blank back with it; a blank sheet before
    # the first printed page is in no part.
    # New images: Pillow keeps an image's last save options, and its appended pages came again.
    receipts, one = _on_a_page("two-receipts.jpg"), _on_a_page("receipt-scan.jpg")
    pages = [_blank(), receipts, one, _blank(), one]
    out = _split(blobstore, _received(blobstore, _pdf(pages)), "every_page")
    assert out is not None
    assert [(o.event.data.part.first_page, o.event.data.part.last_page) for o in out[:-1]] == [
        (1, 1),
        (1, 1),
        (2, 3),
        (4, 4),
    ]
    assert [(s.page, s.kind) for s in out[-1].event.data.separators] == [(0, "blank")]


def test_a_separator_workflows_scanned_file_is_searched_for_separators_once(
    blobstore: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scanner app's file of one receipt a page, with a blank sheet between: the photo
    splitter looks at every page (no page holds two) and finds the blank sheet on the way; the
    stack splitter divides the file at it without rendering and searching the pages again."""
    searched: list[int] = []

    def counted(page: int, image: Image.Image) -> Separator | None:
        searched.append(page)
        return find_separator(page, image)

    monkeypatch.setattr(photos, "find_separator", counted)
    monkeypatch.setattr(stacks, "find_separator", counted)
    doc = _received(
        blobstore, _pdf([_on_a_page("receipt-scan.jpg"), _blank(), _on_a_page("receipt-scan.jpg")])
    )
    handler = OcrHandler(
        blobstore,
        OneWorkflow(workflow_settings(labels=["receipt"], splitting="separator")),  # type: ignore[arg-type]
        EngineSet(),
        max_pages=200,
    )
    out = handler.on_received(new_event("document.received", doc, source="test"))
    parts = [o.event.data.part for o in out if o.event.type == "document.received"]
    assert [(p.first_page, p.last_page) for p in parts] == [(0, 0), (2, 2)]
    [split] = [o.event.data for o in out if o.event.type == "document.split"]
    assert [(s.page, s.kind) for s in split.separators] == [(1, "blank")]
    assert sorted(searched) == [0, 1, 2]  # each page once (the stack splitter looked again: 6)


def test_an_every_page_workflows_scanned_file_is_looked_at_for_blank_pages_once(
    blobstore: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One receipt a page, each with its blank back: the photo splitter finds the blank pages as
    it looks for documents, and the stack splitter keeps each back with its page without looking
    at the pages again."""
    looked: list[bool] = []

    def counted(image: Image.Image) -> bool:
        looked.append(True)
        return is_blank(image)

    monkeypatch.setattr(photos, "is_blank", counted)
    monkeypatch.setattr(stacks, "is_blank", counted)
    pages = [_on_a_page("receipt-scan.jpg"), _blank(), _on_a_page("receipt-scan.jpg"), _blank()]
    handler = OcrHandler(
        blobstore,
        OneWorkflow(workflow_settings(labels=["receipt"], splitting="every_page")),  # type: ignore[arg-type]
        EngineSet(),
        max_pages=200,
    )
    doc = _received(blobstore, _pdf(pages))
    out = handler.on_received(new_event("document.received", doc, source="test"))
    parts = [o.event.data.part for o in out if o.event.type == "document.received"]
    assert [(p.first_page, p.last_page) for p in parts] == [(0, 1), (2, 3)]
    assert len(looked) == 4  # each page once (the stack splitter looked again: 8)
