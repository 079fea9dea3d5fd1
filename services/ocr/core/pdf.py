"""PDF pages with pypdfium2: page count, text layer (text and word boxes) and rendering.

PDFium is not thread-safe, so every call into it holds the process-wide `PDFIUM_LOCK`.
"""

from __future__ import annotations

import ctypes
import io
import math
import unicodedata
from dataclasses import dataclass
from types import TracebackType

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from docroute.ocr_result import OcrWord
from docroute.pdfium_lock import PDFIUM_LOCK
from services.ocr.core.errors import CorruptDocumentError, EncryptedDocumentError

RENDER_DPI = 200
# Fewer real characters than this is not a text layer: scanner apps stamp short texts
# ("Scanned by CamScanner", 19 letters) onto image-only pages.
MIN_TEXT_LAYER_CHARS = 32
# Caps rendering of oversized pages (posters, CAD sheets) at ~75 MB of RGB pixels.
MAX_RENDER_PIXELS = 25_000_000
_POINTS_PER_INCH = 72


@dataclass(frozen=True)
class TextLayer:
    """A page's embedded text, its words with boxes, and the page size at the render dpi."""

    text: str
    words: tuple[OcrWord, ...]
    width: int
    height: int


def has_text_layer(text: str, min_chars: int = MIN_TEXT_LAYER_CHARS) -> bool:
    """Whether ``text`` has at least ``min_chars`` letters or digits."""
    return sum(char.isalnum() for char in text) >= min_chars


def _keep(char: str) -> bool:
    """Whether a character from the text layer belongs in the text."""
    # Broken ToUnicode maps yield control characters and lone surrogates that cannot be UTF-8.
    return char == "\n" or unicodedata.category(char) not in ("Cc", "Cs", "Cn")


class PdfFile:
    """An open PDF document; close it, or use it as a context manager.

    Usage::

        with PdfFile(data) as pdf:
            layer = pdf.text_layer(0)
            image = None if has_text_layer(layer.text) else pdf.render(0)
    """

    def __init__(self, data: bytes) -> None:
        """Open ``data``.

        :raises EncryptedDocumentError: for a password-protected PDF.
        :raises CorruptDocumentError: when ``data`` is not a readable PDF.
        """
        with PDFIUM_LOCK:
            try:
                self._doc = pdfium.PdfDocument(data)
                self.page_count = len(self._doc)
            except pdfium.PdfiumError as exc:
                if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                    raise EncryptedDocumentError("the PDF is password-protected") from exc
                raise CorruptDocumentError(f"not a readable PDF: {exc}") from exc
        if self.page_count == 0:
            self.close()
            raise CorruptDocumentError("the PDF has no pages")

    def __enter__(self) -> PdfFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the document."""
        with PDFIUM_LOCK:
            self._doc.close()

    def _page(self, index: int) -> pdfium.PdfPage:
        """Load page ``index`` (caller holds the lock)."""
        if not 0 <= index < self.page_count:
            raise IndexError(f"page {index} out of range for {self.page_count} pages")
        try:
            return self._doc[index]
        except pdfium.PdfiumError as exc:
            raise CorruptDocumentError(f"page {index + 1} cannot be loaded: {exc}") from exc

    @staticmethod
    def _scale(page: pdfium.PdfPage, dpi: int) -> float:
        """Render scale for ``dpi``, reduced so the page stays under ``MAX_RENDER_PIXELS``."""
        width, height = page.get_size()
        scale = dpi / _POINTS_PER_INCH
        return min(scale, math.sqrt(MAX_RENDER_PIXELS / max(width * height, 1.0)))

    def text_layer(self, index: int, dpi: int = RENDER_DPI) -> TextLayer:
        """Text and words of page ``index``; boxes in pixels of the page rendered at ``dpi``."""
        with PDFIUM_LOCK:
            page = self._page(index)
            try:
                width_pt, height_pt = page.get_size()
                scale = self._scale(page, dpi)
                # The same rounding as PdfPage.render, so boxes match the rendered image.
                size = (math.ceil(width_pt * scale), math.ceil(height_pt * scale))
                textpage = page.get_textpage()
                try:
                    return _read_text_layer(page, textpage, size)
                finally:
                    textpage.close()
            finally:
                page.close()

    def extract(self, indexes: range) -> bytes:
        """A new PDF of pages ``indexes`` (the part of a stack, see ``core.splitting``)."""
        with PDFIUM_LOCK:
            part = pdfium.PdfDocument.new()
            try:
                part.import_pages(self._doc, list(indexes))
                out = io.BytesIO()
                part.save(out)
                return out.getvalue()
            except pdfium.PdfiumError as exc:
                raise CorruptDocumentError(
                    f"pages {indexes.start + 1}-{indexes.stop} cannot be copied: {exc}"
                ) from exc
            finally:
                part.close()

    def render(self, index: int, dpi: int = RENDER_DPI) -> Image.Image:
        """Page ``index`` as an RGB image at ``dpi`` (less for oversized pages)."""
        with PDFIUM_LOCK:
            page = self._page(index)
            try:
                bitmap = page.render(scale=self._scale(page, dpi))
                # to_pil() shares the bitmap's buffer; convert copies before the bitmap goes.
                image: Image.Image = bitmap.to_pil().convert("RGB")
                return image
            except pdfium.PdfiumError as exc:
                raise CorruptDocumentError(f"page {index + 1} cannot be rendered: {exc}") from exc
            finally:
                page.close()


def _read_text_layer(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, size: tuple[int, int]) -> TextLayer:
    """Walk the characters of ``textpage`` once, collecting text and word boxes."""
    text: list[str] = []
    words: list[OcrWord] = []
    word: list[str] = []
    box: list[float] = []
    line = 0

    def flush() -> None:
        if word:
            words.append(
                OcrWord(text="".join(word), confidence=1.0, line=line, box=_device_box(page, size, box))
            )
            word.clear()
            box.clear()

    for index in range(textpage.count_chars()):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, index))
        if char == "\r" or not _keep(char):
            continue
        text.append(char)
        if char.isspace():
            flush()
            line += char == "\n"
            continue
        left, bottom, right, top = textpage.get_charbox(index)
        box[:] = (
            [left, bottom, right, top]
            if not box
            else [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
        )
        word.append(char)
    flush()
    return TextLayer("".join(text), tuple(words), size[0], size[1])


def _device_box(page: pdfium.PdfPage, size: tuple[int, int], box: list[float]) -> tuple[int, int, int, int]:
    """PDF-space ``box`` (left, bottom, right, top) as pixels ``[x0, y0, x1, y1]``."""
    points = []
    for x, y in ((box[0], box[1]), (box[2], box[3])):
        device_x, device_y = ctypes.c_int(), ctypes.c_int()
        # PageToDevice applies the page's /Rotate and crop box, as rendering does.
        pdfium_c.FPDF_PageToDevice(
            page, 0, 0, size[0], size[1], 0, x, y, ctypes.byref(device_x), ctypes.byref(device_y)
        )
        points.append((device_x.value, device_y.value))
    (ax, ay), (bx, by) = points
    return (max(min(ax, bx), 0), max(min(ay, by), 0), max(ax, bx), max(ay, by))
