"""Synthetic documents for tests and benchmarks: digital PDFs, scans, photos, broken files.

Usage::

    rng = random.Random(7)
    lines = document_lines("invoice", rng, language="de")
    pdf = make_text_pdf(lines)                      # digital PDF with a text layer
    scan = make_scanned_image(lines, background=False)  # flat scan, PNG bytes
    photo = make_scanned_image(lines, format="JPEG")    # page on a dark table, tilted
    scanned_pdf = make_image_pdf(lines)             # image-only PDF, no text layer

Scans are rendered at 200 dpi (A4 = 1654 x 2339 px) with 32 px text, about what an office
scanner produces. Japanese lines need a CJK font (``fonts-ipafont-gothic``); without one,
:func:`find_font` raises ``LookupError``.
"""

from __future__ import annotations

import functools
import io
import math
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TypedDict

import cv2
import numpy as np
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from typing_extensions import Unpack

from tests.factories.document_texts import (
    DOCUMENT_KINDS,
    LANGUAGES,
    Language,
    document_lines,
    pages_of,
)

__all__ = [
    "A4_200DPI",
    "DOCUMENT_KINDS",
    "LANGUAGES",
    "ImageFormat",
    "Language",
    "ScanOptions",
    "document_lines",
    "find_font",
    "make_corrupt_pdf",
    "make_encrypted_pdf",
    "make_image_pdf",
    "make_scanned_image",
    "make_scanned_tiff",
    "make_text_pdf",
    "pages_of",
    "render_scanned_page",
]

A4_200DPI = (1654, 2339)
ImageFormat = Literal["PNG", "JPEG", "TIFF"]
_MM_PER_INCH = 25.4
_LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    str(Path(cv2.__file__).parent / "qt" / "fonts" / "DejaVuSans.ttf"),
)


def _is_wide(text: str) -> bool:
    """Whether ``text`` holds CJK (full-width) characters."""
    import unicodedata

    return any(unicodedata.east_asian_width(char) in ("W", "F") for char in text)


@functools.cache
def find_font(cjk: bool = False) -> str:
    """Path of a TrueType font for Latin text, or for Japanese text when ``cjk``.

    :raises LookupError: when no suitable font is installed.
    """
    if not cjk:
        for path in _LATIN_FONTS:
            if Path(path).is_file():
                return path
    query = ":lang=ja" if cjk else ":lang=en:style=Book"
    try:
        listing = subprocess.run(
            ["fc-list", query, "file"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except FileNotFoundError:
        listing = ""
    files = sorted(line.split(":")[0] for line in listing.splitlines() if line.strip())
    if not files:
        hint = "apt-get install fonts-ipafont-gothic" if cjk else "apt-get install fonts-dejavu-core"
        raise LookupError(f"no {'Japanese' if cjk else 'Latin'} TrueType font found; {hint}")
    return files[0]


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Split ``text`` into pieces no wider than ``width`` pixels."""
    pieces: list[str] = []
    current = ""
    # CJK text has no spaces, so it wraps per character; Latin text per word.
    tokens = list(text) if _is_wide(text) else text.split(" ")
    joiner = "" if _is_wide(text) else " "
    for token in tokens:
        candidate = f"{current}{joiner}{token}" if current else token
        if current and draw.textlength(candidate, font=font) > width:
            pieces.append(current)
            current = token
        else:
            current = candidate
    return [*pieces, current] if current else pieces


def _draw_page(lines: Sequence[str], size: tuple[int, int], font_px: int) -> Image.Image:
    """A clean white page with ``lines`` typeset from the top left."""
    page = Image.new("L", size, 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(find_font(cjk=any(_is_wide(line) for line in lines)), font_px)
    margin, step = size[0] // 13, round(font_px * 1.6)
    y = margin
    for line in lines:
        for piece in _wrap(draw, line, font, size[0] - 2 * margin) or [""]:
            if y + step > size[1] - margin:
                raise ValueError(f"{len(lines)} lines do not fit on a {size} page at {font_px} px")
            draw.text((margin, y), piece, fill=25, font=font)
            y += step
    return page


def _table(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A dark wooden desk under a lamp: grain stripes, knots and uneven light."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    # Wavy stripes give the long straight-ish edges that fool a naive edge detector.
    wobble = 6 * np.sin(xs / rng.uniform(90, 160)) + rng.uniform(0, 6)
    grain = 14 * np.sin(ys / rng.uniform(9, 15) + wobble)
    light = 40 + 50 * xs / width + 20 * ys / height
    noise = cv2.GaussianBlur(rng.normal(0, 14, (height, width)).astype(np.float32), (0, 0), 2)
    table = light + grain + noise
    for _ in range(3):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(table, centre, int(rng.integers(20, 70)), (float(rng.uniform(15, 35)),), -1)
    return np.asarray(np.clip(table, 0, 255), dtype=np.uint8)


def _on_table(page: np.ndarray, rotate_deg: float, rng: np.random.Generator) -> np.ndarray:
    """``page`` photographed on a table: tilted, in perspective, lit unevenly, desk around it."""
    height, width = page.shape
    canvas = (round(width * 1.45), round(height * 1.35))
    centre = np.array([canvas[0] / 2, canvas[1] / 2])
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    angle = math.radians(rotate_deg)
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    # Jittered corners give the keystone of a phone held not quite parallel to the page.
    target = (source - source.mean(axis=0)) @ turn.T + centre
    target += rng.uniform(-0.05, 0.05, (4, 2)) * np.array([width, height])
    matrix = cv2.getPerspectiveTransform(source, target.astype(np.float32))
    warped = cv2.warpPerspective(page, matrix, canvas, flags=cv2.INTER_LINEAR).astype(np.float32)
    mask = cv2.warpPerspective(np.full_like(page, 255), matrix, canvas, flags=cv2.INTER_LINEAR)
    # The phone's shadow: the page darkens towards one corner.
    shade = np.linspace(1.0, rng.uniform(0.7, 0.85), canvas[0], dtype=np.float32)[None, :]
    background = _table(canvas, rng).astype(np.float32)
    alpha = mask.astype(np.float32) / 255
    return (warped * shade * alpha + background * (1 - alpha)).astype(np.uint8)


class ScanOptions(TypedDict, total=False):
    """Keywords of :func:`render_scanned_page`, accepted by the other scan factories."""

    background: bool
    rotate_deg: float
    noise: bool
    size: tuple[int, int]
    font_px: int
    seed: int


def render_scanned_page(
    lines: Sequence[str],
    *,
    background: bool = True,
    rotate_deg: float = 1.5,
    noise: bool = True,
    size: tuple[int, int] = A4_200DPI,
    font_px: int = 32,
    seed: int = 0,
) -> Image.Image:
    """An RGB image of ``lines`` printed on a page: a flat scan or, with ``background``, a photo.

    :raises ValueError: when the lines do not fit on one page.
    """
    rng = np.random.default_rng(seed)
    page = _draw_page(lines, size, font_px)
    if background:
        pixels = _on_table(np.asarray(page), rotate_deg, rng)
    else:
        pixels = np.asarray(page.rotate(rotate_deg, resample=Image.Resampling.BILINEAR, fillcolor=250))
    if noise:
        pixels = np.clip(pixels + rng.normal(0, 8, pixels.shape), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels).convert("RGB")
    return image.filter(ImageFilter.GaussianBlur(0.7)) if noise else image


def _encode(image: Image.Image, fmt: ImageFormat) -> bytes:
    """``image`` encoded as ``fmt``."""
    out = io.BytesIO()
    options: dict[str, dict[str, Any]] = {"JPEG": {"quality": 85}, "TIFF": {"compression": "tiff_lzw"}}
    image.save(out, format=fmt, **options.get(fmt, {}))
    return out.getvalue()


def make_scanned_image(
    lines: Sequence[str],
    *,
    format: ImageFormat = "PNG",  # noqa: A002 - the name PIL's Image.save uses
    **render: Unpack[ScanOptions],
) -> bytes:
    """``lines`` rendered by :func:`render_scanned_page` (same keywords), encoded as ``format``."""
    return _encode(render_scanned_page(lines, **render), format)


def make_scanned_tiff(pages: Sequence[Sequence[str]], **render: Unpack[ScanOptions]) -> bytes:
    """A multi-page TIFF, one frame per entry of ``pages``; flat grey scans unless told otherwise."""
    render.setdefault("background", False)
    frames = [render_scanned_page(lines, **render).convert("L") for lines in pages]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    return out.getvalue()


def _new_pdf(lines: Sequence[str]) -> FPDF:
    """An A4 FPDF with a Unicode font suited to ``lines`` selected."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_margins(20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font("body", fname=find_font(cjk=any(_is_wide(line) for line in lines)))
    pdf.set_font("body", size=11)
    return pdf


def make_text_pdf(lines: Sequence[str], pages: int = 1, *, password: str | None = None) -> bytes:
    """A digital PDF with ``lines`` on each of ``pages`` pages, followed by "Page i of n".

    :param password: encrypt the PDF so that it opens only with this password.
    """
    pdf = _new_pdf(lines)
    if password is not None:
        pdf.set_encryption(owner_password=password, user_password=password)
    for number in range(1, pages + 1):
        pdf.add_page()
        for line in [*lines, f"Page {number} of {pages}"]:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_encrypted_pdf(lines: Sequence[str] = ("Confidential",), password: str = "secret") -> bytes:
    """A PDF that opens only with ``password``."""
    return make_text_pdf(lines, password=password)


def make_image_pdf(
    lines: Sequence[str] | Sequence[Sequence[str]], *, pages: int = 1, **render: Unpack[ScanOptions]
) -> bytes:
    """An image-only ("scanned") PDF without a text layer, one JPEG per page at 200 dpi.

    ``lines`` is one page's lines (repeated ``pages`` times) or a list of per-page line lists.
    """
    per_page: list[Sequence[str]] = (
        [[str(line) for line in lines]] * pages
        if not lines or isinstance(lines[0], str)
        else [list(page) for page in lines]
    )
    render.setdefault("background", False)
    pdf = FPDF(unit="mm")
    for page_lines in per_page:
        image = render_scanned_page(page_lines, **render)
        width, height = (px / 200 * _MM_PER_INCH for px in image.size)
        pdf.add_page(format=(width, height))
        pdf.image(io.BytesIO(_encode(image, "JPEG")), x=0, y=0, w=width, h=height)
    return bytes(pdf.output())


def make_corrupt_pdf() -> bytes:
    """Bytes that start like a PDF but are not one."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


# A German invoice's lines: the text of the garbled-layer tests, which OCR must read back.
GERMAN_INVOICE_LINES = (
    "Schneider Technik AG, Lindenallee 155, 10115 Berlin",
    "Rechnung Nr. 71503 vom 02.05.2024, zahlbar bis 01.06.2024",
    "Sehr geehrte Damen und Herren, wir berechnen Ihnen die folgenden Leistungen:",
    "Druckertoner schwarz, 4 Stück zu 59,90 Euro, Wartung des Kopierers im Mai",
    "Gesamtbetrag 318,36 Euro inklusive Umsatzsteuer. Vielen Dank für Ihren Auftrag.",
)


def make_garbled_text_pdf(lines: Sequence[str], pages: int = 1) -> bytes:
    """A digital PDF like :func:`make_text_pdf` that prints ``lines`` correctly but whose text
    layer is mojibake: the font's ToUnicode map gives each glyph the character 32 + its glyph id
    (``!``, ``"``, ``#``...) instead of its own, as PDFs with broken font encodings do. Spaces
    keep their mapping, so the garbage comes in word-like runs.
    """
    pdf = _new_pdf(lines)
    pdf.set_compression(False)
    for number in range(1, pages + 1):
        pdf.add_page()
        for line in [*lines, f"Page {number} of {pages}"]:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    data = bytes(pdf.output())
    start = data.index(b"beginbfchar")
    end = data.index(b"endbfchar", start)

    def wrong(match: re.Match[bytes]) -> bytes:
        glyph, char = int(match[1], 16), int(match[2], 16)
        if glyph == 0 or char == 0x20:
            return match[0]
        return b"<%04X> <%04X>" % (glyph, 0x20 + glyph % 0x5E + 1)  # same length: offsets hold

    cmap = re.sub(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>", wrong, data[start:end])
    return data[:start] + cmap + data[end:]
