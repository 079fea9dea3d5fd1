"""Dividing a scanned stack into its documents: separator sheets, and the parts between them.

A production scanner turns a stack of opened mail into one file; the mailroom puts a separator
sheet between two documents: a blank page, or a sheet with a barcode on it. ``find_separator``
tells such a page from a page of a document, ``plan_parts`` turns the separators into the page
ranges of the parts. Every page of a stack ends up in exactly one part or is a separator, and
separators belong to no part.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import zxingcpp
from PIL import Image

from docroute.classifier.division import COVER_COST, COVER_GOES_ON, COVER_HALF_COST
from services.ocr.core.images import load_image_pages
from services.ocr.core.patch_codes import read_patch_code

SplitMode = Literal["separator", "every_page", "auto"]
SeparatorKind = Literal["blank", "barcode"]

# A PDF's pages are rendered at this resolution to look for separators.
DETECT_DPI = 100
# Long side pages are measured at (about 100 dpi on A4/Letter).
_MEASURE_SIDE = 1100
# The long side of the pages a mailroom scans, inches: between A4's 11.7 and Letter's 11.
_LONG_SIDE_IN = 11.35
# Scanners leave dark borders and shadows along the edges of a sheet: not ink.
_MARGIN = 0.04
# A pixel is ink when it is this much darker than the paper (0-255 grey levels).
_INK_CONTRAST = 80
# Share of a page's area in ink at or below which it is blank. "Dear Sir," alone covers 0.03 %
# of an A4 page; scanner speckle left after averaging, none.
BLANK_MAX_INK = 0.0001
# A barcode sheet holds its code and at most a caption: this much ink outside the code.
BARCODE_SHEET_MAX_OTHER_INK = 0.01


# Codes separator sheets carry: linear barcodes (Code 39 and 128 above all), QR and Data Matrix.
_SHEET_FORMATS = zxingcpp.BarcodeFormats(
    (zxingcpp.BarcodeFormat.AllLinear, zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.DataMatrix)
)


@dataclass(frozen=True)
class Separator:
    """A separator sheet: its 0-based page index in the stack, its kind, what its code reads."""

    page: int
    kind: SeparatorKind
    code: str | None = None


@dataclass(frozen=True)
class PageRange:
    """A part's pages in the stack: 0-based, ``last`` inclusive."""

    first: int
    last: int

    @property
    def pages(self) -> range:
        return range(self.first, self.last + 1)


def measured(image: Image.Image) -> Image.Image:
    """The page in grey at about 100 dpi, the resolution separators are looked for at.

    Averaging blocks of pixels (``reduce``) also despeckles: an isolated dark dot of scanner
    noise is diluted below the contrast that counts as ink, while strokes of print stay dark.
    """
    grey = image.convert("L")
    return grey.reduce(max(1, round(max(grey.size) / _MEASURE_SIDE)))


def ink_mask(grey: Image.Image) -> np.ndarray:
    """Boolean mask of the ink on a ``measured`` page, the margins left out.

    Robust to what scanners add: a grey or yellowed paper tone (ink is measured against the
    paper's own brightness), speckle (see ``measured``) and dark edges (the margins).
    """
    mask: np.ndarray = np.asarray(grey) < _paper_level(grey) - _INK_CONTRAST
    dy, dx = round(mask.shape[0] * _MARGIN), round(mask.shape[1] * _MARGIN)
    mask[:dy], mask[mask.shape[0] - dy :] = False, False
    mask[:, :dx], mask[:, mask.shape[1] - dx :] = False, False
    return mask


def _paper_level(grey: Image.Image) -> int:
    """Grey level of the paper: the 90th percentile of the page's pixels."""
    counts = np.cumsum(grey.histogram())
    return int(np.searchsorted(counts, 0.9 * counts[-1]))


def ink_share(grey: Image.Image) -> float:
    """Share of a ``measured`` page's area (inside the margins) covered by ink, 0..1."""
    mask = ink_mask(grey)
    inside = (1 - 2 * _MARGIN) ** 2 * mask.size
    return float(mask.sum()) / inside if inside else 0.0


def read_sheet_barcode(grey: Image.Image) -> str | None:
    """What the code of a barcode separator sheet reads (a ``measured`` page); None when the
    page is no such sheet.

    A page of a document may carry a code too (a payment slip's QR code, a parcel label): only
    a page with little ink beside its codes counts as a sheet. Codes are read as the sheet lies
    on the scanner, upright or upside down (a linear code reads both ways); a sheet fed sideways
    is not looked for, which would cost three more reads of every page.
    """
    found = zxingcpp.read_barcodes(
        grey, formats=_SHEET_FORMATS, try_rotate=False, try_downscale=False, try_invert=False
    )
    if not found:
        return None
    mask = ink_mask(grey)
    for code in found:
        corners = (
            code.position.top_left,
            code.position.top_right,
            code.position.bottom_left,
            code.position.bottom_right,
        )
        xs, ys = [p.x for p in corners], [p.y for p in corners]
        # A linear code's position is a line across its bars: keep its whole height free.
        pad_x, pad_y = (max(xs) - min(xs)) * 0.2 + 4, max((max(ys) - min(ys)) * 0.2, 0.08 * grey.height)
        top, bottom = max(0, int(min(ys) - pad_y)), max(0, int(max(ys) + pad_y) + 1)
        left, right = max(0, int(min(xs) - pad_x)), max(0, int(max(xs) + pad_x) + 1)
        mask[top:bottom, left:right] = False
    if mask.size and float(mask.mean()) > BARCODE_SHEET_MAX_OTHER_INK:
        return None
    return str(found[0].text)[:200]


def read_sheet_patch(grey: Image.Image) -> str | None:
    """``PATCH 1``..``PATCH T`` for a page carrying a Kodak patch code (a ``measured`` page,
    margins included: a patch may sit 0.25 in from an edge); None otherwise."""
    mask = np.asarray(grey) < _paper_level(grey) - _INK_CONTRAST
    # ``measured`` pages are ~1100 px on their long side: A4 (11.7 in) or Letter (11 in).
    patch = read_patch_code(mask, dpi=max(grey.size) / _LONG_SIDE_IN)
    return f"PATCH {patch}" if patch is not None else None


def is_blank(image: Image.Image) -> bool:
    """Whether a page holds no ink (paper tone, scanner noise and dark edges aside)."""
    return ink_share(measured(image)) <= BLANK_MAX_INK


def find_separator(page: int, image: Image.Image) -> Separator | None:
    """The separator sheet page ``page`` is (blank, or a barcode or patch-code sheet, both of
    kind ``barcode``), or None for a document's page."""
    grey = measured(image)
    if ink_share(grey) <= BLANK_MAX_INK:
        return Separator(page, "blank")
    code = read_sheet_barcode(grey) or read_sheet_patch(grey)
    return Separator(page, "barcode", code) if code is not None else None


def separators_in_use(found: Sequence[Separator], page_count: int) -> list[Separator]:
    """The separators a stack of ``page_count`` pages is split at: its barcode sheets when it has
    any, else the blank sheets that separate two documents.

    A mailroom marks a batch with one kind of sheet. Where it uses barcode sheets, a blank page
    is a document's own (the empty back of a duplex scan, a page left blank on purpose) and
    splitting there would cut a document in two (in the real-document bench such pages were every
    false boundary), but for the back of a barcode sheet, which is a separator too.
    Where it uses blank sheets, one sheet separates two documents: of a run of blank sheets
    between two documents only the last is the separator, the others are the empty
    last pages of the document before (an e-invoice's blank third page), and blank sheets after
    the last document are its own: keeping such a page in a part costs nothing, dropping it as a
    sheet takes a page from its document. Blank sheets before the first document are separators
    (a sheet put before each document). In a stack scanned on both sides (`scanned_duplex`) a
    sheet is two pages, and a blank back behind a printed front is its document's own page.
    """
    barcodes = [s for s in found if s.kind == "barcode"]
    if barcodes:
        # A blank page right after a barcode sheet is its back (a duplex scan): no document
        # begins with an empty page.
        after = {s.page + 1 for s in barcodes}
        return [s for s in found if s.kind == "barcode" or s.page in after]
    blank = {s.page for s in found}
    sides = 1
    if scanned_duplex(blank, page_count):
        blank, sides = {page for page in blank if page ^ 1 in blank}, 2
    inked = [page for page in range(page_count) if page not in blank]
    if not inked:
        return list(found)

    def separates(page: int) -> bool:
        next_sheet = page - page % sides + sides
        return page < inked[0] or (page < inked[-1] and next_sheet not in blank)

    return [s for s in found if s.page in blank and separates(s.page)]


def sheets_after_lone_pages(separators: Sequence[Separator], page_count: int) -> dict[int, int]:
    """The lone blank sheets in use (`separators_in_use`) that follow a part of a single page,
    each with that page (sheet -> page). Scanned on one side, a report's cover and its empty
    back are such a page and sheet, which no look at the pages tells from a one-page document
    and a separator (bench/README.md); what the workflow's samples say of that page alone can
    (`services.ocr.stacks`). A sheet of two pages (both sides scanned) or a barcode sheet is no
    such place, nor a sheet the last page of the stack."""
    at = {s.page for s in separators}
    found: dict[int, int] = {}
    for sheet in separators:
        page = sheet.page - 1
        lone = sheet.kind == "blank" and page >= 0 and sheet.page + 1 < page_count
        if lone and page not in at and sheet.page + 1 not in at and (page == 0 or page - 1 in at):
            found[sheet.page] = page
    return found


def cover_backs(
    separators: Sequence[Separator],
    page_count: int,
    page_text: Callable[[int], str | None],
    alone_cost: Callable[[str], float],
    goes_on: Callable[[str, str], float | None],
) -> set[int]:
    """The lone blank sheets (`sheets_after_lone_pages`) that are the back of the page before
    them: that page (``page_text``; None where it cannot be read) alone would cost a division more
    than COVER_COST (``alone_cost``: the workflow's boundary model's `alone_cost`), as a report's
    cover does where its class's samples are never one page long; or more than COVER_HALF_COST
    and the page after the sheet goes on from it at COVER_GOES_ON or more (``goes_on``: the
    boundary model's `goes_on`), as a report's title page does from its cover. The page after is
    read only for a page of such a cost: a one-page document of a kind the samples hold costs none."""
    backs = set()
    for sheet, page in sheets_after_lone_pages(separators, page_count).items():
        text = page_text(page)
        if text is None:
            continue
        cost = alone_cost(text)
        if cost < -COVER_COST:
            backs.add(sheet)
        elif cost < -COVER_HALF_COST:
            after = page_text(sheet + 1)
            going_on = None if after is None else goes_on(text, after)
            if going_on is not None and going_on >= COVER_GOES_ON:
                backs.add(sheet)
    return backs


def scanned_duplex(blank: Collection[int], page_count: int) -> bool:
    """Whether a stack whose pages ``blank`` (0-based) are blank was scanned on both sides of each
    sheet: an even number of pages, a sheet blank on both sides (a separator sheet), and fewer
    sheets blank in front alone (a printed back behind an empty front: a document's own blank
    page on an odd page, rare) than sheets blank at the back alone (a page printed on one side),
    or none.

    A duplex scan of documents printed on one side holds a blank back behind every page, which
    splitting at each blank page would cut into single sheets. A simplex scan passes only when a
    document's own blank page lies beside a sheet (a blank sheet there is one page) and its lone
    blank pages, each a separator sheet, fall on odd pages more often than on even ones.
    """
    fronts = sum(page % 2 == 0 and page + 1 not in blank for page in blank)
    backs = sum(page % 2 == 1 and page - 1 not in blank for page in blank)
    return (
        page_count % 2 == 0
        and any(page % 2 == 0 and page + 1 in blank for page in blank)
        and (fronts == 0 or fronts < backs)
    )


def tiff_pages(data: bytes, indexes: range) -> bytes:
    """A new multi-page TIFF of frames ``indexes`` of the TIFF ``data`` (a part of a stack)."""
    frames = load_image_pages(data, indexes)
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    return out.getvalue()


def plan_parts(page_count: int, mode: SplitMode, separators: Collection[int] = ()) -> list[PageRange]:
    """The parts of a stack of ``page_count`` pages: one per page (``every_page``), or the runs
    of pages between separators (``separator``). Separator pages are in no part; every other
    page is in exactly one."""
    if mode == "every_page":
        return [PageRange(page, page) for page in range(page_count)]
    parts: list[PageRange] = []
    first: int | None = None
    for page in range(page_count):
        if page in separators:
            if first is not None:
                parts.append(PageRange(first, page - 1))
            first = None
        elif first is None:
            first = page
    if first is not None:
        parts.append(PageRange(first, page_count - 1))
    return parts


def every_page_parts(page_count: int, blank: Collection[int]) -> tuple[list[PageRange], list[int]]:
    """The parts of `every_page` splitting, and the pages in none: one part a printed page, the
    blank pages after it in its part (the empty back of its sheet in a duplex scan: a part of its
    own would be a document with nothing to read), the blank pages before the first printed page
    in none (a leading sheet). A stack of blank pages only is one part a page."""
    printed = [page for page in range(page_count) if page not in blank]
    if not printed:
        return [PageRange(page, page) for page in range(page_count)], []
    ends = [*printed[1:], page_count]
    parts = [PageRange(first, end - 1) for first, end in zip(printed, ends, strict=True)]
    return parts, list(range(printed[0]))


def plan_around(
    page_count: int,
    mode: SplitMode,
    separators: Collection[int],
    alone: Collection[int],
    blank: Collection[int] = (),
) -> list[PageRange]:
    """``plan_parts`` with each page of ``alone`` a part of its own: a page that holds several
    documents (a photo of receipts) is divided by itself, so it ends the part before it and the
    next page begins one. `auto` groups no pages here (one part a page): its boundary model reads
    whole stacks only. `every_page` keeps the ``blank`` pages after a page with it
    (`every_page_parts`). A page of ``alone`` is never a separator, nor blank."""
    parts: list[PageRange] = []
    if mode == "every_page":
        planned = every_page_parts(page_count, set(blank) - set(alone))[0]
    else:
        grouped: SplitMode = "every_page" if mode == "auto" else mode
        planned = plan_parts(page_count, grouped, set(separators) - set(alone))
    for part in planned:
        run: list[int] = []
        for page in part.pages:
            if page not in alone:
                run.append(page)
                continue
            parts += [PageRange(run[0], run[-1])] if run else []
            parts.append(PageRange(page, page))
            run = []
        parts += [PageRange(run[0], run[-1])] if run else []
    return parts


def parts_from_starts(page_count: int, starts: Collection[int]) -> list[PageRange]:
    """The parts of a stack of ``page_count`` pages that begin at ``starts`` (page 0 always
    begins one): every page in exactly one part, in page order."""
    firsts = sorted({0, *(s for s in starts if 0 < s < page_count)}) if page_count else []
    return [
        PageRange(first, (firsts[n + 1] if n + 1 < len(firsts) else page_count) - 1)
        for n, first in enumerate(firsts)
    ]
