"""Intake, the one rule of both doors: type by magic bytes, caps, page counts, zip expansion,
and the label a training document may carry.

No document is refused for its length: OCR reads at most `ServiceSettings.max_pages` of its
relevant pages for classification and the whole file is kept and routed. Bytes, pixels, zip
members and the pages of one TIFF (for the cost of parsing them) are what is capped.

The HTTP door (the API) runs it to refuse bad files at once and to know the pages it reserves
against the plan; ingest runs it again on every `mail.received` (uploads and the mailroom),
so a message that skipped the API meets the same checks. Every file either becomes an
`AcceptedFile` or a `RejectedFile` with a reason code; nothing is dropped silently except
archive clutter (`__MACOSX/`, `.DS_Store`, folders).
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import warnings
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath

import pypdfium2
from PIL import Image, UnidentifiedImageError

from docroute.events import stable_id
from docroute.filetypes import DocumentMediaType, detect_media_type
from docroute.pdfium_lock import PDFIUM_LOCK

_OBJECT_REPR = re.compile(r"<[^<>]* object at 0x[0-9a-fA-F]+>")
_CLUTTER = ("__MACOSX/", ".DS_Store", "Thumbs.db")


@dataclass(frozen=True)
class IntakeLimits:
    """Caps that protect the pipeline from huge or hostile input (none on pages: a long document
    is read from its relevant pages, see `ServiceSettings.max_pages`)."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_zip_members: int = 500
    max_zip_total_bytes: int = 512 * 1024 * 1024
    max_compression_ratio: float = 200.0
    max_image_pixels: int = 120_000_000
    # Not a length cap: Pillow parses a TIFF's pages one after another (~0.1 ms each), so a 50 MB
    # file of tiny pages (400,000) would hold each door for a minute. A scanner's batch is far
    # shorter; a longer one is refused before its pages are walked.
    max_tiff_pages: int = 5_000


@dataclass(frozen=True)
class AcceptedFile:
    """A document fit for the pipeline."""

    filename: str
    member_path: str | None
    data: bytes
    media_type: DocumentMediaType
    page_count: int

    @cached_property
    def sha256(self) -> str:
        """The bytes' SHA-256, hex: hashed once (a scan's 3 MB take ~2 ms)."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class RejectedFile:
    """A file that cannot be processed, and why."""

    filename: str
    member_path: str | None
    reason_code: str
    reason: str


IntakeResult = AcceptedFile | RejectedFile


def safe_filename(name: str | None, default: str = "upload") -> str:
    """The file name without directories or unprintable characters, at most 255 characters.

    Both doors store names through this: a NUL or control character from a sender never
    reaches the database, the logs or a terminal.
    """
    base = PurePosixPath((name or "").replace("\\", "/")).name.strip()
    return (_printable(base) or default)[-255:]


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isprintable())


def _said(exc: BaseException) -> str:
    """A library's error message without object reprs (`<_io.BytesIO object at 0x...>`)."""
    return _OBJECT_REPR.sub("the data", str(exc))[:300]


def take_in(filename: str, data: bytes, limits: IntakeLimits) -> list[IntakeResult]:
    """Check one received file; a zip yields one result per member."""
    name = safe_filename(filename, default="unnamed")
    if len(data) > limits.max_file_bytes:
        return [_too_large(name, None, len(data), limits)]
    if detect_media_type(data) == "application/zip":
        return _expand_zip(name, data, limits)
    return [_check_document(name, None, data, limits)]


def _check_document(
    filename: str, member_path: str | None, data: bytes, limits: IntakeLimits
) -> IntakeResult:
    media_type = detect_media_type(data)
    if not data:
        return RejectedFile(filename, member_path, "empty_file", "the file is empty")
    if media_type is None:
        return RejectedFile(
            filename,
            member_path,
            "unsupported_type",
            "not a PDF, PNG, JPEG, TIFF or ZIP file (judged by its content, not its name)",
        )
    if media_type == "application/zip":
        return RejectedFile(
            filename, member_path, "zip_nesting", "zip archives inside zip archives are not expanded"
        )
    try:
        pages = _count_pages(data, media_type, limits)
    except _UnreadableError as exc:
        return RejectedFile(filename, member_path, exc.reason_code, str(exc))
    return AcceptedFile(filename, member_path, data, media_type, pages)


class _UnreadableError(Exception):
    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code


def _count_pages(data: bytes, media_type: str, limits: IntakeLimits) -> int:
    if media_type == "application/pdf":
        with PDFIUM_LOCK:
            try:
                pdf = pypdfium2.PdfDocument(data)
            except pypdfium2.PdfiumError as exc:
                if "password" in str(exc).lower():
                    raise _UnreadableError("encrypted_file", "the PDF is password-protected") from exc
                raise _UnreadableError("corrupt_file", f"the PDF cannot be read: {_said(exc)}") from exc
            try:
                return len(pdf)
            finally:
                pdf.close()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format == "TIFF":
                    frames = _tiff_pages(image, limits)
                    image.seek(0)
                else:
                    # One page, as OCR reads it: a phone JPEG's extra frames are previews.
                    _check_pixels(image, "", limits)
                    frames = 1
                image.verify()
                return frames
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _UnreadableError("too_large", f"the image is too large to decode safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _UnreadableError("corrupt_file", f"the image cannot be read: {_said(exc)}") from exc


def _tiff_pages(image: Image.Image, limits: IntakeLimits) -> int:
    """A TIFF's pages, each held to the pixel cap: a small first page can hide a bomb behind it,
    which OCR would meet only when it decodes that page. Seeking reads a page's header only."""
    for page in range(limits.max_tiff_pages + 1):
        try:
            image.seek(page)
        except EOFError:
            return page
        _check_pixels(image, f"page {page + 1}: ", limits)
    raise _UnreadableError("too_large", f"more than {limits.max_tiff_pages} pages in one TIFF")


def _check_pixels(image: Image.Image, which: str, limits: IntakeLimits) -> None:
    if image.width * image.height > limits.max_image_pixels:
        raise _UnreadableError(
            "too_large", f"{which}{image.width}x{image.height} pixels is more than the limit"
        )


def _expand_zip(filename: str, data: bytes, limits: IntakeLimits) -> list[IntakeResult]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
        return [RejectedFile(filename, None, "corrupt_file", f"the zip archive cannot be read: {_said(exc)}")]
    files = [m for m in members if not m.is_dir() and not any(c in m.filename for c in _CLUTTER)]
    if not files:
        return [RejectedFile(filename, None, "empty_archive", "the zip archive holds no files")]
    if len(files) > limits.max_zip_members:
        return [
            RejectedFile(
                filename, None, "zip_bomb", f"{len(files)} members; the limit is {limits.max_zip_members}"
            )
        ]
    declared = sum(m.file_size for m in files)
    if declared > limits.max_zip_total_bytes:
        return [
            RejectedFile(
                filename,
                None,
                "zip_bomb",
                f"expands to {declared} bytes; the limit is {limits.max_zip_total_bytes}",
            )
        ]
    return [_read_member(archive, member, filename, limits) for member in files]


def _read_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str, limits: IntakeLimits
) -> IntakeResult:
    path = _printable(member.filename)[-1000:]
    name = safe_filename(path, default="")
    unsafe = _unsafe_path_reason(member)
    if unsafe:
        return RejectedFile(name or filename, path, "unsafe_path", unsafe)
    if member.flag_bits & 0x1:
        return RejectedFile(name, path, "encrypted_file", "the zip member is password-protected")
    if member.file_size > limits.max_file_bytes:
        return _too_large(name, path, member.file_size, limits)
    if member.compress_size and member.file_size / member.compress_size > limits.max_compression_ratio:
        return RejectedFile(
            name, path, "zip_bomb", f"compression ratio above {limits.max_compression_ratio:.0f}:1"
        )
    try:
        with archive.open(member) as stream:
            # Read one byte past the cap: headers can lie about the size.
            content = stream.read(limits.max_file_bytes + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        return RejectedFile(name, path, "corrupt_file", f"the zip member cannot be read: {_said(exc)}")
    if len(content) > limits.max_file_bytes:
        return _too_large(name, path, len(content), limits)
    return _check_document(name, path, content, limits)


def _unsafe_path_reason(member: zipfile.ZipInfo) -> str | None:
    path = member.filename.replace("\\", "/")
    parts = PurePosixPath(path).parts
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return f"absolute path {member.filename!r} in the archive"
    if ".." in parts:
        return f"path {member.filename!r} climbs out of the archive"
    if stat.S_ISLNK(member.external_attr >> 16):
        return f"{member.filename!r} is a symbolic link"
    return None


def _too_large(filename: str, member_path: str | None, size: int, limits: IntakeLimits) -> RejectedFile:
    return RejectedFile(
        filename, member_path, "too_large", f"{size} bytes; the limit is {limits.max_file_bytes} bytes"
    )


def folder_label(member_path: str | None, labels: list[str]) -> str | None:
    """The class a zip member's top folder names (case-insensitive), if any."""
    if not member_path:
        return None
    parts = PurePosixPath(member_path.replace("\\", "/")).parts
    if len(parts) < 2:
        return None
    by_lower = {label.lower(): label for label in labels}
    return by_lower.get(parts[-2].lower()) or by_lower.get(parts[0].lower())


def mail_document_id(workflow_id: object, mail_id: str, index: int, filename: str) -> str:
    """The document id of a mail's attachment: derived, never chosen by the sender, so a
    redelivered mail repeats it and another workflow's mail can never name it."""
    return stable_id("attachment", workflow_id, mail_id, index, filename)


def member_document_id(parent_id: str, member_path: str | None) -> str:
    """The document id of a file taken in: the upload's own, or one derived per zip member
    (the API reserves pages under the ids ingest will give the members)."""
    return parent_id if member_path is None else stable_id("member", parent_id, member_path)


def sample_label(member_path: str | None, given: str | None, labels: list[str]) -> str | None:
    """The label a training document gets: its zip class folder's, else the one sent with it."""
    return folder_label(member_path, labels) or given


def unknown_label_reason(label: str | None, labels: list[str]) -> str | None:
    """Why `label` may not label a sample (it is not one of the workflow's active labels)."""
    if label is None or label in labels:
        return None
    return f"label {label[:100]!r} is not one of the workflow's labels {labels}"
