"""A document's page as PNG: PDF pages rendered, images and TIFF frames scaled, bad pages refused."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from docroute.intake import AcceptedFile, IntakeLimits, take_in
from services.api.documents.service.pages import MAX_RENDER_PIXELS, page_png
from services.api.errors import NotFoundError, UnsupportedError
from tests.factories.documents import make_scanned_tiff, make_text_pdf


def _image(png: bytes) -> Image.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(png))


def test_a_pdf_page_is_rendered_at_the_asked_width() -> None:
    pdf = make_text_pdf(["Invoice 42", "Total 10.00"], pages=2)
    image = _image(page_png(pdf, "application/pdf", 2, 400))
    assert image.width == 400
    assert image.height > 400  # portrait
    assert image.convert("L").getextrema()[0] < 100  # the text is drawn


def test_a_tiff_frame_is_a_page() -> None:
    tiff = make_scanned_tiff([["first page"], ["second page"]])
    assert _image(page_png(tiff, "image/tiff", 2, 300)).width == 300
    with pytest.raises(NotFoundError, match="2 page"):
        page_png(tiff, "image/tiff", 3, 300)


def test_a_page_past_the_end_and_a_non_document_are_refused() -> None:
    with pytest.raises(NotFoundError, match="1 page"):
        page_png(make_text_pdf(["one"]), "application/pdf", 2, 300)
    with pytest.raises(UnsupportedError):
        page_png(b"plain text, not a page", "text/plain", 1, 300)


def test_pages_asked_for_at_once_while_uploads_are_counted_all_come_out_right() -> None:
    """A browser asks for a document's pages at once and the API renders them on its thread pool,
    beside uploads whose pages are counted: PDFium is not thread-safe, and without one lock such
    requests failed ("Failed to load page", a 3-page file read as one) or crashed the API."""
    pdf = make_text_pdf(["Invoice number 123 total 45.00 EUR"] * 40, pages=3)
    wrong: list[str] = []

    def render() -> None:
        for _ in range(40):
            for page in (1, 2, 3):
                try:
                    width = _image(page_png(pdf, "application/pdf", page, 500)).width
                except Exception as exc:  # noqa: BLE001 - every failure is the finding
                    wrong.append(f"page {page}: {exc!r}")
                    continue
                if width != 500:
                    wrong.append(f"page {page}: {width} pixels wide")

    def count() -> None:
        for _ in range(30):
            [accepted] = take_in("upload.pdf", pdf, IntakeLimits())
            if not isinstance(accepted, AcceptedFile) or accepted.page_count != 3:
                wrong.append(f"counted {accepted}")

    threads = [threading.Thread(target=render) for _ in range(8)] + [threading.Thread(target=count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_a_very_long_pdf_page_is_rendered_within_the_pixel_cap() -> None:
    """A tiny file of one 500 x 14,400 pt page, asked for 2,000 pixels wide, rendered at that width
    took 115 million pixels (1.3 GB); it is drawn smaller instead, its shape kept."""
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(500, 14_400)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    image = _image(page_png(out.getvalue(), "application/pdf", 1, 2000))
    assert image.width * image.height <= MAX_RENDER_PIXELS * 1.01  # pdfium rounds each side up
    assert image.height / image.width == pytest.approx(14_400 / 500, rel=0.01)


def test_a_photo_is_shown_at_the_asked_width_in_its_colours() -> None:
    """A phone photo is decoded reduced (JPEG's draft) and scaled the rest of the way."""
    photo = Image.new("RGB", (4000, 3000), (200, 30, 30))
    photo.paste((20, 40, 220), (0, 0, 2000, 3000))  # left half blue
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90)
    for width in (900, 2000):
        image = _image(page_png(out.getvalue(), "image/jpeg", 1, width)).convert("RGB")
        assert image.size == (width, width * 3 // 4)
        blue, red = image.getpixel((width // 4, 10)), image.getpixel((width * 3 // 4, 10))
        assert isinstance(blue, tuple) and isinstance(red, tuple)
        assert blue[2] > 180 > blue[0] and red[0] > 180 > red[2]


# A child process asks for the page image of one large PNG from `threads` threads at once and
# prints how far its peak memory rose (KiB) and the images' sizes.
_LARGE_PAGES_AT_ONCE = """
import io, re, sys, threading
from PIL import Image
from services.api.documents.service.pages import page_png

def peak_kib():  # this process's own high-water mark (ru_maxrss would carry the parent's over exec)
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))

data, threads = open(sys.argv[1], "rb").read(), int(sys.argv[2])
sizes = []
before = peak_kib()
def show():
    sizes.append(Image.open(io.BytesIO(page_png(data, "image/png", 1, 900))).size)

pool = [threading.Thread(target=show) for _ in range(threads)]
for thread in pool:
    thread.start()
for thread in pool:
    thread.join()
print(peak_kib() - before, sorted(set(sizes)), len(sizes))
"""


def test_large_images_asked_for_at_once_are_decoded_one_at_a_time(tmp_path: Path) -> None:
    """A PNG has no reduced decode: four 30-megapixel pages asked for at once held four whole
    decodes (and their copies) in the API's memory at the same moment, 1 GB for 40-megapixel
    pages, the API's whole limit. One large decode at a time: four cost about what one does."""
    big = tmp_path / "scan.png"
    Image.linear_gradient("L").resize((6000, 5000)).convert("RGB").save(big)
    peaks = {}
    for threads in (1, 4):
        out = subprocess.run(
            [sys.executable, "-c", _LARGE_PAGES_AT_ONCE, str(big), str(threads)],
            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[3],
        ).stdout.split(" ", 1)  # fmt: skip
        peaks[threads] = int(out[0])
        assert out[1].strip() == f"[(900, 750)] {threads}"
    one_decode = 6000 * 5000 * 3 // 1024
    assert peaks[1] > one_decode // 2  # the measure sees a whole decode at all
    assert peaks[4] < peaks[1] + one_decode
