"""An inline attachment is exactly its base64, decoded strictly: anything else is refused with
`invalid_attachment` (services.ingest.attachments; the decoder is pybase64, not the standard
library's, which took ~15 ms of a 3 MB scan)."""

from __future__ import annotations

import base64
import os
from typing import cast

import pytest

from docroute.blobstore import BlobStore
from docroute.contracts._generated import Attachment
from services.ingest.attachments import AttachmentReader, AttachmentRefusedError
from services.ingest.core import Inbox

# Never read: an inline attachment does not touch S3.
NO_STORE = cast(BlobStore, object())
INBOX = Inbox("inbox", "mailroom/", per_workflow=True)


def _reader(max_inline_bytes: int = 10 << 20) -> AttachmentReader:
    return AttachmentReader(NO_STORE, NO_STORE, INBOX, max_inline_bytes)


def _inline(content: str) -> Attachment:
    return Attachment(filename="scan.png", content_base64=content)


def test_a_scan_sized_attachment_decodes_to_its_bytes() -> None:
    data = os.urandom(3 << 20)
    assert _reader().read(_inline(base64.b64encode(data).decode()), "mailroom", "w") == data


@pytest.mark.parametrize(
    "content",
    [
        "%%%not base64%%%",
        "QUJD\nREVG",  # line breaks: a MIME body pasted as is
        "QUJD REVG",
        "QQ",  # padding missing
        "QQ=A",  # padding inside
        "w6k=\u00e9",  # a character beyond ASCII
    ],
)
def test_anything_but_strict_base64_is_refused(content: str) -> None:
    with pytest.raises(AttachmentRefusedError) as refused:
        _reader().read(_inline(content), "mailroom", "w")
    assert refused.value.reason_code == "invalid_attachment"


def test_a_missing_padding_is_named_as_the_cause() -> None:
    with pytest.raises(AttachmentRefusedError) as refused:
        _reader().read(_inline("QUJDRA"), "mailroom", "w")
    assert refused.value.reason_code == "invalid_attachment"
    assert "not a multiple of 4" in str(refused.value)


def test_an_attachment_over_the_inline_cap_is_refused_before_decoding() -> None:
    content = base64.b64encode(b"x" * 2048).decode()
    with pytest.raises(AttachmentRefusedError) as refused:
        _reader(max_inline_bytes=1024).read(_inline(content), "mailroom", "w")
    assert refused.value.reason_code == "too_large"


def test_the_empty_attachment_decodes_to_no_bytes() -> None:
    # Refused later, by the intake rule (`empty_file`), like an empty upload.
    assert _reader().read(_inline(""), "mailroom", "w") == b""
