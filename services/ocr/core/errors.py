"""Errors raised by the OCR core for documents that cannot be read.

```
OcrInputError                  the document itself is unusable: retrying will not help
 +-- CorruptDocumentError      not a readable PDF/image (truncated, wrong type, garbage)
 +-- EncryptedDocumentError    password-protected PDF
 +-- PageSelectionError        `relevant_pages` unreadable or selects no page (a ValueError too)
 +-- UnsupportedMediaTypeError not PDF, PNG, JPEG or TIFF
```
"""

from __future__ import annotations

from docroute.page_selection import PageSelectionError as BasePageSelectionError


class OcrInputError(Exception):
    """The input document cannot be OCR'd; retrying will not help."""


class CorruptDocumentError(OcrInputError):
    """The document is not a readable PDF or image."""


class EncryptedDocumentError(OcrInputError):
    """The PDF is password-protected."""


class PageSelectionError(OcrInputError, BasePageSelectionError):
    """The relevant pages select no page of this document."""


class UnsupportedMediaTypeError(OcrInputError):
    """The document's media type is not one the OCR service reads."""
