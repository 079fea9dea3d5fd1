"""Image documents (PNG, JPEG, TIFF) as page images; TIFF frames are pages."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from PIL import Image, ImageOps, UnidentifiedImageError

from services.ocr.core.errors import CorruptDocumentError


@contextmanager
def _open(data: bytes) -> Iterator[Image.Image]:
    """Open ``data`` with Pillow, mapping every decoding failure to ``CorruptDocumentError``."""
    try:
        with warnings.catch_warnings():
            # Over ~89 MP Pillow only warns; such an image is a decompression bomb to us.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                yield image
    # Pillow reports broken files as OSError, ValueError, SyntaxError or EOFError.
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise CorruptDocumentError(f"not a readable image: {exc}") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise CorruptDocumentError(f"image too large: {exc}") from exc


def _frame_count(image: Image.Image) -> int:
    """Pages in ``image``: all frames of a TIFF, one for anything else."""
    # Phone JPEGs (MPO) carry extra frames (previews, depth maps) that are not pages.
    return getattr(image, "n_frames", 1) if image.format == "TIFF" else 1


def count_image_pages(data: bytes) -> int:
    """Number of pages of the image ``data``.

    :raises CorruptDocumentError: when ``data`` is not a readable image.
    """
    with _open(data) as image:
        return _frame_count(image)


def load_image_pages(data: bytes, indexes: Sequence[int] | None = None) -> list[Image.Image]:
    """Pages ``indexes`` (default: all) of the image ``data`` as upright RGB images.

    :raises CorruptDocumentError: when ``data`` is not a readable image.
    """
    pages = []
    with _open(data) as image:
        count = _frame_count(image)
        for index in range(count) if indexes is None else indexes:
            if not 0 <= index < count:
                raise IndexError(f"page {index} out of range for {count} pages")
            image.seek(index)
            # EXIF orientation: phones store photos sideways and set a flag instead.
            pages.append(ImageOps.exif_transpose(image).convert("RGB"))
    return pages
