"""Detect a document's media type from its first bytes (magic numbers), never from its name.

Shared by the ingest service (intake of both doors) and the API (415 at the upload door).
Only the types docroute accepts are recognised; anything else is ``None``.
"""

from __future__ import annotations

from typing import Final, Literal

# A document's own type: what goes down the pipeline (a zip is only a way to send several).
DocumentMediaType = Literal["application/pdf", "image/png", "image/jpeg", "image/tiff"]
MediaType = DocumentMediaType | Literal["application/zip"]

ACCEPTED_MEDIA_TYPES: Final[tuple[MediaType, ...]] = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "application/zip",
)

# Readers accept "%PDF-" anywhere in the first KiB (PDF 1.7, annex H.3, note 13).
PDF_HEADER_WINDOW: Final = 1024

_PREFIXES: Final[tuple[tuple[bytes, MediaType], ...]] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),  # little-endian TIFF
    (b"MM\x00*", "image/tiff"),  # big-endian TIFF
    (b"II+\x00", "image/tiff"),  # little-endian BigTIFF
    (b"MM\x00+", "image/tiff"),  # big-endian BigTIFF
    (b"PK\x03\x04", "application/zip"),  # local file header: a zip with members
    (b"PK\x05\x06", "application/zip"),  # end of central directory first: an empty zip
)


def detect_media_type(data: bytes) -> MediaType | None:
    """Return the media type the leading bytes of ``data`` announce, or ``None`` if not accepted."""
    head = bytes(data[:PDF_HEADER_WINDOW])
    for prefix, media_type in _PREFIXES:
        if head.startswith(prefix):
            return media_type
    if b"%PDF-" in head:
        return "application/pdf"
    return None
