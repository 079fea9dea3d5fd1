"""The mailroom door's trust rules: which s3_refs a mail may name, which inbox is allowed."""

from __future__ import annotations

import pytest

from services.ingest.core import Inbox, mailroom_ref_reason, unsafe_key_reason, upload_ref_reason

A = "11111111-1111-4111-8111-111111111111"
B = "22222222-2222-4222-8222-222222222222"
INBOX = Inbox.configured(None, "inbox", True, "docroute")


def test_inbox_is_normalised_and_per_workflow() -> None:
    assert (INBOX.bucket, INBOX.prefix, INBOX.folder(A)) == ("docroute", "inbox/", f"inbox/{A}/")
    shared = Inbox.configured("mail-drop", "", False, "docroute")
    assert (shared.bucket, shared.folder(A)) == ("mail-drop", "")


@pytest.mark.parametrize(
    "prefix", ["", "/", "originals/", "uploads", "models/x/", "ocr/", "in%2fbox", "a//b"]
)
def test_an_inbox_that_would_expose_the_product_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="inbox"):
        Inbox.configured(None, prefix, True, "docroute")


def test_the_workflows_own_inbox_is_readable() -> None:
    assert mailroom_ref_reason(f"s3://docroute/inbox/{A}/scan 1.pdf", INBOX, A) is None
    assert mailroom_ref_reason(f"s3://docroute/inbox/{A}/2026/März.pdf", INBOX, A) is None


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("s3://docroute/originals/sha256/" + "a" * 64, "outside this workflow's inbox"),
        ("s3://docroute/ocr/doc.json", "outside this workflow's inbox"),
        ("s3://docroute/models/x/v1/manifest.json", "outside this workflow's inbox"),
        ("s3://docroute/uploads/3f1c", "outside this workflow's inbox"),
        (f"s3://docroute/inbox/{B}/their.pdf", "outside this workflow's inbox"),
        (f"s3://docroute/inbox/{A}", "outside this workflow's inbox"),
        (f"s3://docroute/inbox/{A}/", "empty path segment"),
        ("s3://other-bucket/inbox/x.pdf", "is not the mailroom inbox"),
        (f"s3://docroute/inbox/{A}/../../originals/sha256/x", "a . or .. path segment"),
        (f"s3://docroute/inbox/{A}/./x.pdf", "a . or .. path segment"),
        (f"s3://docroute/inbox/{A}//x.pdf", "empty path segment"),
        (f"s3://docroute/inbox/{A}/%2e%2e/%2e%2e/originals/x", "encoded"),
        (f"s3://docroute/inbox/{A}/..%2foriginals", "encoded"),
        (f"s3://docroute/inbox/{A}/x\\..\\..\\originals", "encoded"),
        (f"s3://docroute/inbox/{A}/x.pdf?versionId=1", "encoded"),
        (f"s3://docroute/inbox/{A}/x\x00.pdf", "control"),
        ("https://docroute/inbox/x.pdf", "not an s3:// reference"),
    ],
)
def test_everything_else_is_forbidden_with_a_reason(ref: str, why: str) -> None:
    reason = mailroom_ref_reason(ref, INBOX, A)
    assert reason is not None and why in reason


def test_without_folders_per_workflow_the_whole_prefix_is_the_inbox() -> None:
    shared = Inbox.configured(None, "inbox/", False, "docroute")
    assert mailroom_ref_reason(f"s3://docroute/inbox/{B}/x.pdf", shared, A) is None
    assert mailroom_ref_reason("s3://docroute/inboxes/x.pdf", shared, A) is not None


def test_uploads_name_only_the_apis_upload_objects() -> None:
    upload = "s3://docroute/uploads/0b5e2f4e-3c1d-4f7a-9b8e-2d6c5a4b3f21"
    assert upload_ref_reason(upload, "docroute") is None
    for bad in (
        upload.replace("docroute", "other"),
        "s3://docroute/originals/sha256/abc",
        upload + "/../x",
        "s3://docroute/uploads/../originals/x",
        f"s3://docroute/inbox/{A}/x.pdf",
    ):
        assert upload_ref_reason(bad, "docroute") is not None, bad


def test_unsafe_keys() -> None:
    assert unsafe_key_reason("inbox/a/b.pdf") is None
    assert unsafe_key_reason("/inbox/a") is not None
    assert unsafe_key_reason("inbox/a/") is not None
