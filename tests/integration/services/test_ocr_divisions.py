"""A stack a person divided in review (issue 8: `document.received` v3 `division`), against the
real S3 server: OCR cuts the new parts it names, and a redelivered copy of the stack's first
message divides nothing again."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from functools import partial

from pypdfium2 import PdfDocument

from docroute.blobstore import BlobStore
from docroute.contracts._generated import DivisionItem, DocumentReceived
from docroute.events import Outgoing
from services.ocr.core.splitting import PageRange
from services.ocr.stacks import StackSplitter, part_id
from tests.factories.documents import document_lines
from tests.factories.originals import stored_received
from tests.factories.stacks import make_stack_pdf


def _stack(blobstore: BlobStore) -> DocumentReceived:
    rng = random.Random(4)
    pages = [[document_lines(kind, rng)[:8]] for kind in ("invoice", "payslip", "invoice", "payslip")]
    return stored_received(blobstore, make_stack_pdf(pages, separator="none"), filename="stack.pdf")


def _split(blobstore: BlobStore, stack: DocumentReceived) -> Sequence[Outgoing] | None:
    return StackSplitter(blobstore).split(stack, "every_page", partial(blobstore.get, stack.blob.ref))


def test_a_division_cuts_the_new_parts_it_names_and_a_redelivered_stack_divides_nothing(
    blobstore: BlobStore,
) -> None:
    stack = _stack(blobstore)
    before = _split(blobstore, stack)
    assert before is not None and len(before) == 5  # four parts, one split
    new = [str(uuid.uuid4()), str(uuid.uuid4())]
    division = [
        DivisionItem(document_id=new[0], index=1, count=3, first_page=1, last_page=2),
        DivisionItem(document_id=new[1], index=2, count=3, first_page=3, last_page=3),
    ]
    corrected = stack.model_copy(update={"division": division})
    out = _split(blobstore, corrected)
    assert out is not None and [o.event.type for o in out] == ["document.received"] * 2
    parts = [o.event.data for o in out]
    assert [str(p.document_id) for p in parts] == new
    assert [(p.part.index, p.part.count, p.part.first_page, p.part.last_page) for p in parts] == [
        (1, 3, 1, 2),
        (2, 3, 3, 3),
    ]
    assert [p.page_count for p in parts] == [2, 1] and {p.parent_id for p in parts} == {
        str(stack.document_id)
    }
    assert all(p.division is None and p.boundary_confidence is None for p in parts)
    assert len(PdfDocument(blobstore.get(parts[0].blob.ref))) == 2  # its own pages only
    # The same division again: the same events (ids derive from the parts).
    again = _split(blobstore, corrected)
    assert again is not None and [o.event.id for o in again] == [o.event.id for o in out]
    # The stack's first message redelivered: its first division is superseded, nothing goes out.
    assert _split(blobstore, stack) == []
    assert part_id(str(stack.document_id), PageRange(0, 0)) == str(before[0].event.data.document_id)
