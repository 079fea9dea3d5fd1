"""Hostile files through the HTTP door: refused at the door with a clear 4xx, or accepted
(202) and dead-lettered by ingest, either way with the reason code; then a good document
still goes through.

Size, emptiness and the type by content are the door's own answers (413, 422, 415). For the
rest (unreadable, encrypted, pixels, zip members) the door and ingest apply one intake rule:
which of them refuses a file is theirs to decide, the reason code is the contract. Length is not
refused: a PDF past the page cap is read from its first pages (the cap applies to pages read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from docroute import topics
from tests.adversarial import bad_files
from tests.factories.documents import make_corrupt_pdf, make_encrypted_pdf

REFUSED_AT_THE_DOOR: dict[str, tuple[Callable[[], bytes], int, str]] = {
    "empty-file": (lambda: b"", 422, "empty"),
    "over-the-size-cap": (bad_files.file_over_cap, 413, "larger than"),
    "text-named-pdf": (bad_files.text_named_pdf, 415, "unsupported file type"),
    "elf-binary-named-pdf": (bad_files.elf_binary, 415, "unsupported file type"),
    "gif-image": (bad_files.gif_image, 415, "unsupported file type"),
}

REFUSED_WITH_A_REASON: dict[str, tuple[Callable[[], bytes], str]] = {
    "corrupt-pdf": (make_corrupt_pdf, "corrupt_file"),
    "encrypted-pdf": (make_encrypted_pdf, "encrypted_file"),
    "image-of-121-megapixels": (bad_files.image_with_too_many_pixels, "too_large"),
    "tiff-with-a-121-megapixel-second-page": (bad_files.tiff_with_a_huge_later_page, "too_large"),
    "truncated-png": (bad_files.truncated_png, "corrupt_file"),
    "polyglot-png-signature-then-pdf": (bad_files.png_header_on_a_pdf, "corrupt_file"),
    "polyglot-html-with-pdf-header": (bad_files.html_with_a_pdf_header, "corrupt_file"),
    "zip-bomb-by-ratio": (bad_files.zip_bomb_by_ratio, "zip_bomb"),
    "zip-with-too-many-members": (bad_files.zip_with_too_many_members, "zip_bomb"),
    "zip-in-a-zip": (bad_files.nested_zip, "zip_nesting"),
    "zip-member-climbing-out": (bad_files.zip_climbing_out, "unsafe_path"),
    "zip-member-absolute-path": (bad_files.zip_with_absolute_path, "unsafe_path"),
    "zip-member-symlink": (bad_files.zip_with_symlink, "unsafe_path"),
    "zip-member-encrypted": (bad_files.zip_with_encrypted_member, "encrypted_file"),
    "zip-member-empty": (bad_files.zip_with_empty_member, "empty_file"),
    "zip-of-folders-only": (bad_files.empty_zip, "empty_archive"),
    "corrupt-zip": (bad_files.corrupt_zip, "corrupt_file"),
}


def _upload(api: httpx.Client, key: str, data: bytes, filename: str = "invoice.pdf") -> httpx.Response:
    return api.post(f"/processing/{key}", files={"file": (filename, data)})


@pytest.mark.parametrize("case", list(REFUSED_AT_THE_DOOR))
def test_refused_at_the_door(api: httpx.Client, workflow_key: str, good_document: Any, case: str) -> None:
    build, status, says = REFUSED_AT_THE_DOOR[case]
    response = _upload(api, workflow_key, build())
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert len(response.text) < 1000
    good_document.via_upload()


@pytest.mark.parametrize("case", list(REFUSED_WITH_A_REASON))
def test_refused_or_dead_lettered_with_its_reason(
    api: httpx.Client, workflow_key: str, upload_refusal: Any, good_document: Any, case: str
) -> None:
    build, reason_code = REFUSED_WITH_A_REASON[case]
    refusal = upload_refusal(_upload(api, workflow_key, build()))
    assert refusal.reason_code == reason_code, refusal
    good_document.via_upload()


def test_a_pdf_past_the_page_cap_is_read_from_its_first_pages(
    api: httpx.Client, workflow_key: str, intake_events: Any, good_document: Any
) -> None:
    response = _upload(api, workflow_key, bad_files.pdf_over_page_cap())
    assert response.status_code == 202, response.text
    document_id = response.json()["document_id"]
    good_document.wait_until_read(document_id)
    [(_, read)] = intake_events.matching(
        lambda t, e: t == topics.DOCUMENT_TEXT_EXTRACTED and e.subject == document_id
    )
    assert read.data.page_count == bad_files.PAGE_CAP + 1
    assert read.data.pages_used == list(range(bad_files.PAGE_CAP))
    good_document.via_upload()


def test_a_pdf_with_a_zip_appended_is_read_as_one_pdf(
    api: httpx.Client, workflow_key: str, intake_events: Any, good_document: Any
) -> None:
    """A polyglot goes by its leading bytes: one PDF, its hidden zip never expanded."""
    response = _upload(api, workflow_key, bad_files.pdf_with_a_zip_appended())
    assert response.status_code == 202, response.text
    document_id = response.json()["document_id"]
    good_document.wait_until_read(document_id)
    received = intake_events.matching(
        lambda t, e: t == topics.DOCUMENT_RECEIVED and document_id in (e.subject, str(e.data.parent_id))
    )
    assert [e.data.blob.media_type for _, e in received] == ["application/pdf"]
    good_document.via_upload()
