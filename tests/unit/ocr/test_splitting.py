"""Separator sheets and parts of a scanned stack (issue 8), on pages rendered from real texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from docroute.classifier.division import COVER_COST, COVER_GOES_ON, COVER_HALF_COST
from services.ocr.core.images import count_image_pages
from services.ocr.core.pdf import PdfFile
from services.ocr.core.splitting import (
    DETECT_DPI,
    PageRange,
    Separator,
    SplitMode,
    cover_backs,
    every_page_parts,
    find_separator,
    ink_share,
    is_blank,
    measured,
    parts_from_starts,
    plan_around,
    plan_parts,
    scanned_duplex,
    separators_in_use,
    sheets_after_lone_pages,
    tiff_pages,
)
from tests.factories.documents import make_scanned_tiff, render_scanned_page
from tests.factories.stacks import barcode_sheet, blank_sheet, make_stack_pdf

REAL = Path(__file__).parents[2] / "data" / "real_documents" / "known"


def _real_lines(name: str, count: int = 30) -> list[str]:
    """The first lines of a real document's text, cut to fit a page's width."""
    return [line[:70] for line in (REAL / name).read_text().splitlines() if line.strip()][:count]


@pytest.mark.parametrize("seed", range(4))
def test_a_blank_sheet_with_scanner_noise_is_a_separator(seed: int) -> None:
    assert find_separator(3, blank_sheet(seed, tone=235 + 5 * seed, edge=seed % 2 == 0)) == Separator(
        3, "blank"
    )


@pytest.mark.parametrize(
    "name", ["manual/man-en-ls.1.txt", "policy/policy-github-terms--github-event-terms.txt"]
)
def test_a_page_of_a_real_document_is_no_separator(name: str) -> None:
    page = render_scanned_page(_real_lines(name), background=False)
    assert ink_share(measured(page)) > 0.01
    assert find_separator(0, page) is None


def test_a_page_with_one_short_line_is_not_blank() -> None:
    page = render_scanned_page(["Dear Sir,"], background=False)
    assert ink_share(measured(page)) > 0
    assert find_separator(0, page) is None


@pytest.mark.parametrize("upside_down", [False, True])
def test_a_barcode_sheet_is_a_separator_with_its_code(upside_down: bool) -> None:
    sheet = barcode_sheet("DOCSEP-7")
    if upside_down:
        sheet = sheet.rotate(180)
    assert find_separator(5, sheet) == Separator(5, "barcode", "DOCSEP-7")


def test_a_document_page_carrying_a_barcode_is_no_separator() -> None:
    page = render_scanned_page(_real_lines("manual/man-en-ls.1.txt", 30), background=False)
    code = barcode_sheet("INV-123").crop((0, 1100, 1654, 1400))
    page.paste(code, (0, 1900))
    assert find_separator(0, page) is None


def test_pages_of_a_digital_stack_rendered_for_detection() -> None:
    text = _real_lines("manual/man-en-ls.1.txt", 30)
    data = make_stack_pdf([[text], [text, text]], separator="blank")
    with PdfFile(data) as pdf:
        found = [find_separator(i, pdf.render(i, DETECT_DPI)) for i in range(pdf.page_count)]
    assert found == [None, Separator(1, "blank"), None, None]


@pytest.mark.parametrize(
    ("page_count", "separators", "parts"),
    [
        (7, {2, 5}, [PageRange(0, 1), PageRange(3, 4), PageRange(6, 6)]),
        (5, {0, 1, 4}, [PageRange(2, 3)]),  # leading, doubled and trailing sheets
        (3, set(), [PageRange(0, 2)]),
        (2, {0, 1}, []),
    ],
)
def test_parts_lie_between_separators(page_count: int, separators: set[int], parts: list[PageRange]) -> None:
    planned = plan_parts(page_count, "separator", separators)
    assert planned == parts
    covered = [page for part in planned for page in part.pages]
    assert sorted(covered + sorted(separators)) == list(range(page_count))  # each page once


def test_every_page_is_a_part_of_its_own() -> None:
    assert plan_parts(3, "every_page", {1}) == [PageRange(0, 0), PageRange(1, 1), PageRange(2, 2)]


@pytest.mark.parametrize(
    ("mode", "separators", "alone", "parts"),
    [
        # A page of several documents ends the part before it; the next page begins one.
        ("separator", {3}, {1}, [(0, 0), (1, 1), (2, 2), (4, 5)]),
        ("separator", set(), {0, 5}, [(0, 0), (1, 4), (5, 5)]),
        # Such a page is never a separator (a barcode sheet read as two documents is kept).
        ("separator", {2}, {2}, [(0, 1), (2, 2), (3, 5)]),
        ("every_page", set(), {1}, [(p, p) for p in range(6)]),
        ("auto", set(), {1}, [(p, p) for p in range(6)]),
    ],
)
def test_pages_of_several_documents_stand_alone_in_the_plan(
    mode: SplitMode, separators: set[int], alone: set[int], parts: list[tuple[int, int]]
) -> None:
    planned = plan_around(6, mode, separators, alone)
    assert planned == [PageRange(first, last) for first, last in parts]
    covered = sorted(page for part in planned for page in part.pages)
    assert covered == sorted(set(range(6)) - (separators - alone))  # each page once, sheets left out


def test_a_part_is_cut_out_as_a_file_of_its_own() -> None:
    data = make_stack_pdf([[["first"]], [["second a"], ["second b"]]], separator="none")
    with PdfFile(data) as pdf:
        part = pdf.extract(range(1, 3))
    with PdfFile(part) as cut:
        assert cut.page_count == 2
        assert "second a" in cut.text_layer(0).text
    tiff = make_scanned_tiff([["one"], ["two"], ["three"]])
    assert count_image_pages(tiff_pages(tiff, range(1, 3))) == 2


def test_a_stack_marked_with_barcode_sheets_keeps_its_blank_pages_in_its_documents() -> None:
    found = [Separator(1, "blank"), Separator(3, "barcode", "DOCSEP"), Separator(6, "blank")]
    assert separators_in_use(found, 8) == [Separator(3, "barcode", "DOCSEP")]
    # Scanned on both sides: the barcode sheet's blank back is no page of the next document.
    duplex = [Separator(2, "barcode", "DOCSEP"), Separator(3, "blank"), Separator(5, "blank")]
    assert separators_in_use(duplex, 8) == duplex[:2]
    blanks = [Separator(1, "blank"), Separator(6, "blank")]
    assert separators_in_use(blanks, 8) == blanks


def _planned(blank: set[int], page_count: int) -> tuple[set[int], list[tuple[int, int]]]:
    in_use = separators_in_use([Separator(page, "blank") for page in sorted(blank)], page_count)
    sheets = {s.page for s in in_use}
    planned = plan_parts(page_count, "separator", sheets)
    # Every page is in exactly one part or is a sheet.
    assert sorted([*sheets, *(page for p in planned for page in p.pages)]) == list(range(page_count))
    return sheets, [(p.first, p.last) for p in planned]


@pytest.mark.parametrize(
    ("blank", "page_count", "sheets", "parts"),
    [
        # A document's own blank last page, then the sheet: the page stays in its document.
        ({2, 3}, 7, {3}, [(0, 2), (4, 6)]),
        # Three blank pages in a row between two documents: one sheet, the last.
        ({1, 2, 3}, 5, {3}, [(0, 2), (4, 4)]),
        # Blank pages after the last document are its own; before the first, sheets. A blank
        # front (page 0) with a printed back is no duplex scan: every lone blank page is a sheet.
        ({0, 2, 4, 5}, 6, {0, 2}, [(1, 1), (3, 5)]),
        # A stack of blank pages only: nothing to keep them in.
        ({0, 1}, 2, {0, 1}, []),
    ],
)
def test_of_blank_pages_in_a_row_only_the_last_before_a_document_is_a_sheet(
    blank: set[int], page_count: int, sheets: set[int], parts: list[tuple[int, int]]
) -> None:
    assert not scanned_duplex(blank, page_count) or not parts
    assert _planned(blank, page_count) == (sheets, parts)


@pytest.mark.parametrize(
    ("blank", "parts"),
    [
        # Letters printed on one side, scanned on both: A1 - A2 - | sheet | B1 -
        ({1, 3, 4, 5, 7}, [(0, 3), (6, 7)]),
        # A 3-page letter printed on both sides: A1 A2 | A3 - | sheet | B1 B2
        ({3, 4, 5}, [(0, 3), (6, 7)]),
        # An e-invoice whose third page is blank: A1 A2 | - - | sheet | B1 -
        ({2, 3, 4, 5, 7}, [(0, 3), (6, 7)]),
        # A book's blank page on a sheet's front: A1 - | - A4 | sheet | B1 -, and A3 stays in A.
        ({1, 2, 4, 5, 7}, [(0, 3), (6, 7)]),
    ],
)
def test_a_stack_scanned_on_both_sides_is_split_at_blank_sheets_not_at_blank_backs(
    blank: set[int], parts: list[tuple[int, int]]
) -> None:
    assert scanned_duplex(blank, 8)
    assert _planned(blank, 8) == ({4, 5}, parts)
    # Every blank page a sheet cuts letters at their backs, or takes a blank page from them.
    assert plan_parts(8, "separator", blank) != [PageRange(*part) for part in parts]


@pytest.mark.parametrize(
    ("blank", "page_count", "found"),
    [
        # A cover and its back first, a report, a sheet, a letter: the first sheet follows a part
        # of one page, the second a part of three.
        ({1, 5}, 8, {1: 0}),
        # Two one-page letters, each before a sheet, then a report's cover and its back.
        ({1, 3, 5}, 8, {1: 0, 3: 2, 5: 4}),
        # Blank pages in a row: the last is the sheet and the part before it holds the others.
        ({2, 3}, 6, {}),
        # Scanned on both sides: a sheet is two pages, a blank back no sheet.
        ({1, 3, 4, 5, 7}, 8, {}),
        # A blank page after the last document is its own, and a leading sheet follows nothing.
        ({0, 5}, 6, {}),
    ],
)
def test_the_blank_sheets_after_a_lone_page_are_where_a_cover_may_be(
    blank: set[int], page_count: int, found: dict[int, int]
) -> None:
    in_use = separators_in_use([Separator(page, "blank") for page in sorted(blank)], page_count)
    assert sheets_after_lone_pages(in_use, page_count) == found
    # A barcode sheet is put in on purpose: never a cover's back.
    assert sheets_after_lone_pages([Separator(1, "barcode", "DOCSEP")], 6) == {}


def test_a_lone_sheet_is_a_covers_back_where_its_page_alone_costs_more_than_a_sheet_weighs() -> None:
    # Letter | sheet | cover | back | report | sheet | letter
    in_use = separators_in_use([Separator(page, "blank") for page in (1, 3, 6)], 8)
    texts = {0: "a one-page letter", 2: "REPORT 2026"}
    read: list[int] = []

    def page_text(page: int) -> str | None:
        read.append(page)
        return texts.get(page)

    def alone_cost(text: str) -> float:
        return -(COVER_COST + 1) if text.isupper() else -(COVER_HALF_COST - 0.5)

    def goes_on(before: str, after: str) -> float | None:
        raise AssertionError("a page that costs nothing or more than a sheet weighs asks nothing more")

    assert cover_backs(in_use, 8, page_text, alone_cost, goes_on) == {3}
    assert read == [0, 2]  # only the single pages before a lone sheet are read
    # A page that cannot be read leaves its sheet a separator.
    assert cover_backs(in_use, 8, lambda page: None, alone_cost, goes_on) == set()


@pytest.mark.parametrize(
    ("cost", "going_on", "back"),
    [
        # A cover that reads a little like a one-page kind: the title page after it goes on.
        (-(COVER_HALF_COST + 0.5), COVER_GOES_ON, True),
        # The same page, the page after as likely a new document as not: a sheet.
        (-(COVER_HALF_COST + 0.5), 0.5, False),
        # Held going on, but a page alone costs less than half a sheet's weight: a sheet (a
        # model can read two invoices of one vendor as one).
        (-(COVER_HALF_COST - 0.5), 1.0, False),
        (0.0, 1.0, False),
        # The page after has no text: nothing to tell by.
        (-(COVER_HALF_COST + 0.5), None, False),
    ],
)
def test_a_page_that_costs_less_than_a_sheet_weighs_is_a_cover_where_the_page_after_goes_on(
    cost: float, going_on: float | None, back: bool
) -> None:
    # Cover | back | title page | 2nd page | sheet | letter
    in_use = separators_in_use([Separator(page, "blank") for page in (1, 4)], 6)
    texts = {0: "A Technical Report", 2: "A Technical Report: its title page"}
    asked: list[tuple[str, str]] = []

    def goes_on(before: str, after: str) -> float | None:
        asked.append((before, after))
        return going_on

    found = cover_backs(in_use, 6, texts.get, lambda text: cost, goes_on)
    assert found == ({1} if back else set())
    # The page after is read only where the page before costs something.
    assert asked == ([(texts[0], texts[2])] if cost < -COVER_HALF_COST else [])


def test_parts_from_starts_put_every_page_in_exactly_one_part() -> None:
    assert parts_from_starts(6, [0, 2, 5]) == [PageRange(0, 1), PageRange(2, 4), PageRange(5, 5)]
    assert parts_from_starts(3, [2, 2, 7, -1]) == [
        PageRange(0, 1),
        PageRange(2, 2),
    ]  # page 0 always begins one
    assert parts_from_starts(4, []) == [PageRange(0, 3)]


@pytest.mark.parametrize(
    ("blank", "page_count", "parts", "in_none"),
    [
        # Forms scanned on both sides: each with its blank back.
        ({1, 3}, 4, [(0, 1), (2, 3)], []),
        # A leading blank sheet is in no part; two blank pages after a page are both its.
        ({0, 2, 3}, 5, [(1, 3), (4, 4)], [0]),
        ({0, 1}, 2, [(0, 0), (1, 1)], []),
        (set(), 3, [(0, 0), (1, 1), (2, 2)], []),
    ],
)
def test_every_page_keeps_a_pages_blank_back_with_it(
    blank: set[int], page_count: int, parts: list[tuple[int, int]], in_none: list[int]
) -> None:
    planned, leading = every_page_parts(page_count, blank)
    assert [(p.first, p.last) for p in planned] == parts and leading == in_none
    assert sorted([*leading, *(page for p in planned for page in p.pages)]) == list(range(page_count))


def test_a_blank_sheet_is_blank_and_a_page_of_print_is_not() -> None:
    assert is_blank(blank_sheet(3))
    assert not is_blank(render_scanned_page(["Dear Sir,"], seed=3))
