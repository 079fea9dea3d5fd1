"""Kodak patch-code separator sheets (issue 8): read on scanned sheets however they were fed,
never on pages of real documents."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw

from services.ocr.core.patch_codes import PATCHES
from services.ocr.core.pdf import PdfFile
from services.ocr.core.splitting import (
    DETECT_DPI,
    PageRange,
    Separator,
    find_separator,
    plan_parts,
    separators_in_use,
)
from tests.factories.documents import render_scanned_page
from tests.factories.patch_sheets import PATTERNS, patch_sheet
from tests.factories.stacks import blank_sheet

REAL = Path(__file__).parents[2] / "data" / "real_documents" / "known"


def test_the_six_patches_are_kodaks() -> None:
    assert {code: pattern for pattern, code in PATCHES.items()} == PATTERNS


@pytest.mark.parametrize("patch", sorted(PATTERNS))
@pytest.mark.parametrize(("end_fed", "skew_deg"), [(False, 0.0), (False, 1.5), (True, -1.0)])
def test_a_patch_sheet_is_a_separator_with_its_patch(patch: str, end_fed: bool, skew_deg: float) -> None:
    sheet = patch_sheet(patch, seed=ord(patch), end_fed=end_fed, skew_deg=skew_deg)
    assert find_separator(4, sheet) == Separator(4, "barcode", f"PATCH {patch}")


def test_a_patch_as_short_as_kodak_allows_is_read_and_a_shorter_one_is_not() -> None:
    assert find_separator(0, patch_sheet("2", length_in=0.8)) == Separator(0, "barcode", "PATCH 2")
    assert find_separator(0, patch_sheet("2", length_in=0.4)) is None


@pytest.mark.parametrize("pattern", ["NNNN", "WWWW", "WNN", "WWWNN", "NWNWN"])
def test_bars_of_no_patch_are_no_separator(pattern: str) -> None:
    """Four bars of other widths, three, or a patch's four among more bars (no quiet zone)."""
    assert find_separator(0, patch_sheet("1", pattern=pattern)) is None


def _real_page(path: Path) -> Image.Image:
    lines = [line[:70] for line in path.read_text().splitlines() if line.strip()][:30]
    return render_scanned_page(lines, background=False)


@pytest.mark.parametrize("path", sorted(REAL.glob("*/*.txt")), ids=lambda p: p.name)
def test_pages_of_real_documents_carry_no_patch(path: Path) -> None:
    assert find_separator(0, _real_page(path)) is None


def test_a_form_with_thick_rules_and_bold_bars_is_no_patch() -> None:
    """Four filled bands a patch's length, but spaced and sized like a form's, not a patch's."""
    page = _real_page(sorted(REAL.glob("*/*.txt"))[0]).convert("L")
    draw = ImageDraw.Draw(page)
    for n, thickness in enumerate((16, 40, 16, 40)):
        top = 1500 + n * 70  # spaces of 30-54 px at 200 dpi: wider than a patch's 16
        draw.rectangle((200, top, 1400, top + thickness - 1), fill=20)
    assert find_separator(0, page.convert("RGB")) is None


def _pdf(pages: list[Image.Image]) -> bytes:
    pdf = FPDF(unit="mm", format="A4")
    for image in pages:
        pdf.add_page()
        buffer = io.BytesIO()
        image.convert("L").save(buffer, format="PNG")
        pdf.image(io.BytesIO(buffer.getvalue()), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def test_a_stack_marked_with_patch_sheets_is_split_only_at_them() -> None:
    """A rendered PDF stack: document, patch T, document with a blank back, patch 2, document.
    The patches divide it; the blank back stays in its document, as with barcode sheets."""
    text = _real_page(sorted(REAL.glob("*/*.txt"))[1])
    pages = [text, patch_sheet("T", seed=1), text, blank_sheet(2), patch_sheet("2", seed=3), text]
    with PdfFile(_pdf(pages)) as pdf:
        found = [s for i in range(pdf.page_count) if (s := find_separator(i, pdf.render(i, DETECT_DPI)))]
    in_use = separators_in_use(found, len(pages))
    assert in_use == [Separator(1, "barcode", "PATCH T"), Separator(4, "barcode", "PATCH 2")]
    assert plan_parts(len(pages), "separator", {s.page for s in in_use}) == [
        PageRange(0, 0),
        PageRange(2, 3),
        PageRange(5, 5),
    ]
