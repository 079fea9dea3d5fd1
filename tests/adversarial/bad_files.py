"""Hostile files, as bytes: for both doors (an upload's file, a mail's attachment).

Sizes refer to the caps in `conftest.STACK_ENV` (4 MiB per file, 20 zip members, 5 pages).
"""

from __future__ import annotations

import io
import stat
import zipfile

from PIL import Image

from tests.factories.documents import make_text_pdf

MIB = 1024 * 1024
FILE_CAP = 4 * MIB
ZIP_MEMBER_CAP = 20
PAGE_CAP = 5

_PDF = make_text_pdf(["Invoice 17", "Total 99.00"])


def small_pdf() -> bytes:
    return _PDF


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb_by_ratio() -> bytes:
    """3 MiB of zeros deflated to a few KiB: a ratio far above 200:1, yet under the file cap."""
    return _zip({"zeros.pdf": b"%PDF-1.4\n" + bytes(3 * MIB)})


def zip_with_too_many_members() -> bytes:
    return _zip({f"doc-{i}.pdf": _PDF for i in range(ZIP_MEMBER_CAP + 1)})


def nested_zip() -> bytes:
    return _zip({"inner.zip": _zip({"a.pdf": _PDF})})


def zip_climbing_out() -> bytes:
    return _zip({"../../escape.pdf": _PDF})


def zip_with_absolute_path() -> bytes:
    return _zip({"/etc/cron.d/evil.pdf": _PDF})


def zip_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link.pdf")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def zip_with_encrypted_member() -> bytes:
    """A member whose header says it is encrypted (zipfile cannot write real ZipCrypto)."""
    data = bytearray(_zip({"secret.pdf": _PDF}, zipfile.ZIP_STORED))
    data[6] |= 0x1  # general purpose flag, local header
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1  # the same flag in the central directory
    return bytes(data)


def empty_zip() -> bytes:
    return _zip({"folder/": b""})


def corrupt_zip() -> bytes:
    return b"PK\x03\x04" + bytes(range(256)) * 4


def zip_with_empty_member() -> bytes:
    return _zip({"empty.pdf": b""})


def pdf_over_page_cap() -> bytes:
    return make_text_pdf(["Page"], pages=PAGE_CAP + 1)


def file_over_cap() -> bytes:
    return b"%PDF-1.4\n" + b"0" * FILE_CAP


def image_with_too_many_pixels() -> bytes:
    """11,000 x 11,000 one-bit pixels: 121 megapixels in a small PNG (a decompression bomb)."""
    buffer = io.BytesIO()
    Image.new("1", (11_000, 11_000)).save(buffer, "PNG")
    return buffer.getvalue()


def tiff_with_a_huge_later_page() -> bytes:
    """A small first page, then 121 megapixels of one-bit pixels: a bomb behind a harmless page."""
    buffer = io.BytesIO()
    first, bomb = Image.new("1", (850, 1100), 1), Image.new("1", (11_000, 11_000), 1)
    first.save(buffer, "TIFF", save_all=True, append_images=[bomb], compression="group4")
    return buffer.getvalue()


def truncated_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, "PNG")
    return buffer.getvalue()[:200]


def png_header_on_a_pdf() -> bytes:
    """A polyglot: PNG's signature, then a PDF."""
    return b"\x89PNG\r\n\x1a\n" + _PDF


def pdf_with_a_zip_appended() -> bytes:
    """A polyglot: a PDF that is also a zip (readers find the zip's directory at the end)."""
    return _PDF + _zip({"hidden.pdf": _PDF})


def html_with_a_pdf_header() -> bytes:
    """A polyglot: HTML with a script, `%PDF-` inside the first KiB."""
    return b"<html><script>alert(1)</script><!-- %PDF-1.4 --></html>"


def text_named_pdf() -> bytes:
    return b"Dear customer, this is plain text in a file called invoice.pdf\n"


def elf_binary() -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(200)


def gif_image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "GIF")
    return buffer.getvalue()
