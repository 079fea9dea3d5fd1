"""Scanned stacks (issue 8): documents one after another in one file, with separator sheets
between them, as a mailroom's production scanner makes them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Literal

import numpy as np
import zxingcpp
from fpdf import FPDF
from PIL import Image

from tests.factories.documents import A4_200DPI, find_font, render_scanned_page

SeparatorSheet = Literal["blank", "barcode", "none"]


def blank_sheet(seed: int = 0, *, tone: int = 244, edge: bool = True) -> Image.Image:
    """A blank sheet as a scanner sees it: a paper tone, sensor noise, speckle, dark edges."""
    rng = np.random.default_rng(seed)
    width, height = A4_200DPI
    pixels = np.full((height, width), float(tone)) + rng.normal(0, 8, (height, width))
    dots = rng.integers(0, [height, width], size=(60, 2))
    pixels[dots[:, 0], dots[:, 1]] = 30  # dust: single dark pixels
    if edge:
        pixels[:, :18] = 40  # the feeder's shadow along one edge
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")


def barcode_sheet(code: str = "DOCSEP", seed: int = 0, caption: str = "SEPARATOR SHEET") -> Image.Image:
    """A separator sheet: a Code 128 barcode and a caption, scanned (noise, paper tone)."""
    page = render_scanned_page([caption], background=False, rotate_deg=0.0, seed=seed).convert("L")
    bars = Image.fromarray(
        np.asarray(zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.Code128).to_image(scale=4))
    )
    page.paste(bars.resize((bars.width, 180)), ((page.width - bars.width) // 2, page.height // 2))
    return page.convert("RGB")


def document_pages(documents: Sequence[Sequence[Sequence[str]]], seed: int = 0) -> list[Image.Image]:
    """Scanned pages of ``documents`` (each a list of pages, each a list of lines)."""
    return [
        render_scanned_page(lines, background=False, seed=seed + i)
        for i, lines in enumerate(page for document in documents for page in document)
    ]


def make_stack_pdf(
    documents: Sequence[Sequence[Sequence[str]]], separator: SeparatorSheet = "blank", duplex: bool = False
) -> bytes:
    """A digital PDF of ``documents`` (each a list of pages of lines; a page without lines is
    blank), a separator sheet (an image page: blank with scanner noise, or a barcode sheet)
    between two documents; ``duplex``: the sheet scanned on both sides, its blank back after it."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_margins(20, 20)
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("body", fname=find_font())
    pdf.set_font("body", size=11)
    for number, document in enumerate(documents):
        if number and separator != "none":
            sheet = blank_sheet(number) if separator == "blank" else barcode_sheet(seed=number)
            for side in [sheet, blank_sheet(number + 50)] if duplex else [sheet]:
                pdf.add_page()
                buffer = io.BytesIO()
                side.convert("L").save(buffer, format="PNG")
                pdf.image(io.BytesIO(buffer.getvalue()), x=0, y=0, w=210, h=297)
        for page in document:
            pdf.add_page()
            for line in page:
                pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
