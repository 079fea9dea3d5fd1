"""Malformed uploads: missing, repeated, misnamed or oversized form parts get a clear 4xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.adversarial.bad_files import small_pdf

PDF = small_pdf()
BOUNDARY = "adversarial-boundary"


def _multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart body of (field name, filename or None, content) parts, framed by hand."""
    chunks = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(
            f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
        )
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}

# (path below the workflow, headers, body, status, what the answer says)
CASES: dict[str, tuple[str, dict[str, str], bytes, int, str]] = {
    "no-file-part": ("/processing/{key}", MULTIPART, _multipart(("label", None, b"invoice")), 422, "missing"),
    "two-file-parts": (
        "/processing/{key}",
        MULTIPART,
        _multipart(("file", "a.pdf", PDF), ("file", "b.pdf", PDF)),
        422,
        "field_repeated",
    ),
    "two-file-parts-for-a-sample": (
        "/workflows/{key}/samples",
        MULTIPART,
        _multipart(("file", "a.pdf", PDF), ("file", "b.pdf", PDF), ("label", None, b"invoice")),
        422,
        "field_repeated",
    ),
    "two-labels-for-a-sample": (
        "/workflows/{key}/samples",
        MULTIPART,
        _multipart(("file", "a.pdf", PDF), ("label", None, b"invoice"), ("label", None, b"payslip")),
        422,
        "field_repeated",
    ),
    "two-labels-for-a-batch": (
        "/workflows/{key}/batches",
        MULTIPART,
        _multipart(("files", "a.pdf", PDF), ("label", None, b"invoice"), ("label", None, b"payslip")),
        422,
        "field_repeated",
    ),
    "two-files-for-the-preview": (
        "/processing/{key}/preview",
        MULTIPART,
        _multipart(("file", "a.pdf", PDF), ("file", "b.pdf", PDF)),
        422,
        "field_repeated",
    ),
    "wrong-field-name": (
        "/processing/{key}",
        MULTIPART,
        _multipart(("document", "a.pdf", PDF)),
        422,
        "missing",
    ),
    "file-sent-as-text-field": ("/processing/{key}", MULTIPART, _multipart(("file", None, PDF)), 422, "file"),
    "unknown-label-for-a-sample": (
        "/workflows/{key}/samples",
        MULTIPART,
        _multipart(("file", "a.pdf", PDF), ("label", None, b"no-such-label")),
        422,
        "not one of the workflow's labels",
    ),
    "two-mebibyte-label": (
        "/workflows/{key}/samples",
        MULTIPART,
        _multipart(("file", "a.pdf", PDF), ("label", None, b"x" * (2 * 1024 * 1024))),
        400,
        "exceeded maximum size",
    ),
    "two-thousand-fields": (
        "/processing/{key}",
        MULTIPART,
        _multipart(("file", "a.pdf", PDF), *((f"f{i}", None, b"x") for i in range(2000))),
        400,
        "Too many fields",
    ),
    "broken-framing": (
        "/processing/{key}",
        MULTIPART,
        b"--" + BOUNDARY.encode() + b"\r\ngarbage",
        422,
        "missing",
    ),
    "json-instead-of-a-form": (
        "/processing/{key}",
        {"content-type": "application/json"},
        b'{"file": "JVBERi0xLjQ="}',
        422,
        "missing",
    ),
    "urlencoded-instead-of-multipart": (
        "/processing/{key}",
        {"content-type": "application/x-www-form-urlencoded"},
        b"file=%25PDF-1.4",
        422,
        "file",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_uploads_get_a_clear_4xx(
    api: httpx.Client, workflow_key: str, good_document: Any, case: str
) -> None:
    path, headers, body, status, says = CASES[case]
    response = api.post(path.replace("{key}", workflow_key), content=body, headers=headers)
    assert response.status_code == status, response.text
    assert says in response.text
    assert len(response.text) < 2000
    good_document.via_upload()


@pytest.mark.parametrize(
    ("filename", "stored"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Windows\\evil.pdf", "evil.pdf"),
        ("in\x01voice\x7f.pdf", "invoice.pdf"),
    ],
    ids=["parent-directories", "windows-path", "control-characters"],
)
def test_hostile_filenames_are_stored_as_plain_names(
    api: httpx.Client, workflow_key: str, good_document: Any, filename: str, stored: str
) -> None:
    body = _multipart(("file", filename, PDF))  # by hand: httpx would escape the control characters
    response = api.post(f"/processing/{workflow_key}", content=body, headers=MULTIPART)
    assert response.status_code == 202, response.text
    document = api.get(f"/documents/{response.json()['document_id']}").json()
    assert document["filename"] == stored
    good_document.via_upload()
