"""Magic-byte detection: real files made in memory, plus the edge cases of each signature."""

from __future__ import annotations

import io
import zipfile

import pytest
from fpdf import FPDF
from PIL import Image

from docroute.filetypes import ACCEPTED_MEDIA_TYPES, detect_media_type


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format=fmt)
    return buf.getvalue()


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="hello")
    return bytes(pdf.output())


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.pdf", _pdf())
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_pdf, "application/pdf"),
        (lambda: _image("PNG"), "image/png"),
        (lambda: _image("JPEG"), "image/jpeg"),
        (lambda: _image("TIFF"), "image/tiff"),
        (_zip, "application/zip"),
    ],
)
def test_real_files_are_detected(make, expected) -> None:
    assert detect_media_type(make()) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b"II+\x00\x08\x00\x00\x00", "image/tiff"),
        (b"PK\x05\x06" + b"\x00" * 18, "application/zip"),
        (b"\xef\xbb\xbf%PDF-1.4\n", "application/pdf"),
        (b"\x00" * 100 + b"%PDF-1.7\n", "application/pdf"),
    ],
)
def test_signature_variants(data: bytes, expected: str) -> None:
    assert detect_media_type(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PD",
        b"\x89PNG",
        b"GIF89a\x01\x00\x01\x00",
        b"hello, plain text",
        b"PK\x07\x08spanned",
        b"\x00" * 1024 + b"%PDF-1.7\n",
        b"<html><body>%PDF</body></html>",
    ],
)
def test_other_or_truncated_bytes_are_none(data: bytes) -> None:
    assert detect_media_type(data) is None


def test_accepts_memoryview_and_bytearray() -> None:
    data = _image("PNG")
    assert detect_media_type(bytearray(data)) == "image/png"
    assert detect_media_type(memoryview(data)) == "image/png"  # type: ignore[arg-type]


def test_accepted_types_are_the_five() -> None:
    assert set(ACCEPTED_MEDIA_TYPES) == {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/tiff",
        "application/zip",
    }
