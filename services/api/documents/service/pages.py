"""A document's page as a PNG, for people looking at it (the console's labelling and review
panes): PDF pages rendered with pdfium, images (TIFF frames too) scaled; width capped."""

from __future__ import annotations

import io
import math
import threading
from contextlib import AbstractContextManager, closing, nullcontext

import pypdfium2 as pdfium
from PIL import Image, ImageSequence, UnidentifiedImageError

from docroute.pdfium_lock import PDFIUM_LOCK
from services.api.errors import InvalidError, NotFoundError, UnsupportedError

MAX_WIDTH = 2000
# A page is never larger than this many pixels before scaling (decompression bombs).
MAX_SOURCE_PIXELS = 80_000_000
# A PDF page is rendered at most this large (~48 MB of pixels): a 500 x 14,400 pt page asked for
# 2,000 pixels wide was 115 million pixels, 1.3 GB of the API's memory for a blank page.
MAX_RENDER_PIXELS = 12_000_000
# An image larger than MAX_RENDER_PIXELS is decoded whole before it is scaled (a PNG or TIFF has no
# reduced decode): 40 megapixels held 306 MB at its peak, and the console asks for a document's
# pages at once (four such pages: 1.1 GB, over the API's memory limit in deploy/k8s). One such
# decode at a time; the smaller ones, and JPEGs decoded reduced, go on beside it.
LARGE_DECODE = threading.BoundedSemaphore(1)


def page_png(data: bytes, media_type: str | None, page: int, width: int) -> bytes:
    """Page `page` (1-based) of the file as PNG, `width` pixels wide (at most MAX_WIDTH).

    :raises NotFoundError: the file has no such page.
    :raises UnsupportedError: not a PDF or an image.
    """
    if not 1 <= width <= MAX_WIDTH:
        raise InvalidError(f"width must be 1-{MAX_WIDTH}")
    if media_type == "application/pdf" or data[:5] == b"%PDF-":
        image = _pdf_page(data, page, width)
    else:
        image = _image_page(data, page, width)
    image = _to_width(image, width)
    out = io.BytesIO()
    image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode).save(out, "PNG", optimize=False)
    return out.getvalue()


def _pdf_page(data: bytes, page: int, width: int) -> Image.Image:
    # A browser asks for a document's pages at once, on the thread pool: PDFium takes one.
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise UnsupportedError(f"the PDF cannot be opened: {exc}") from exc
        with closing(pdf):
            if page > len(pdf):
                raise NotFoundError(f"the document has {len(pdf)} page(s), not {page}")
            with closing(pdf[page - 1]) as pdf_page:
                page_width, page_height = pdf_page.get_size()
                area = max(page_width * page_height, 1.0)
                scale = min(width / max(page_width, 1.0), 4.0, math.sqrt(MAX_RENDER_PIXELS / area))
                with closing(pdf_page.render(scale=scale)) as bitmap:
                    # to_pil() shares the bitmap's buffer: copied before the bitmap is freed.
                    return bitmap.to_pil().copy()  # type: ignore[no-any-return]


def _image_page(data: bytes, page: int, width: int) -> Image.Image:
    """The image's frame ``page``, at most ``width`` pixels wide."""
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError) as exc:
        raise UnsupportedError("this file is neither a PDF nor an image") from exc
    if image.width * image.height > MAX_SOURCE_PIXELS:
        raise UnsupportedError("the image is too large to render")
    if image.format == "JPEG" and image.width > width:
        # A phone photo decoded at a half, quarter or eighth of its size, still at least as wide
        # as asked: a 12-megapixel photo shown 900 pixels wide is decoded at 1/4.
        image.draft("RGB", (width, max(1, image.height * width // image.width)))
    frames = getattr(image, "n_frames", 1)
    if page > frames:
        raise NotFoundError(f"the document has {frames} page(s), not {page}")
    frame = ImageSequence.Iterator(image)[page - 1]
    large = frame.width * frame.height > MAX_RENDER_PIXELS
    guard: AbstractContextManager[object] = LARGE_DECODE if large else nullcontext()
    with guard:
        frame.load()
        if frame.width <= width:
            return frame.copy()  # a frame of a TIFF is the file's object, seeked: detached
        # Scaled inside the guard: the whole decode is freed before the next one starts.
        return _to_width(frame, width)


def _to_width(image: Image.Image, width: int) -> Image.Image:
    """``image`` scaled down to ``width`` pixels wide, its shape kept; as it is when narrower."""
    if image.width <= width:
        return image
    return image.resize((width, max(1, round(image.height * width / image.width))))
