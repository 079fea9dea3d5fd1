"""The doors' trust rules, pure: which `s3_ref` a message may name, and which fields each door
may set. File checks, labels and page counts are the shared intake (`docroute.intake`).

`mailroom.incoming` is written by mail gateways outside docroute, so its messages are checked
like HTTP requests: an attachment comes inline or from the operator's inbox, never from the
product's own objects. `ingest.uploads` is written by the API alone (Kafka ACLs), and carries
only the API's own upload objects, `uploads/<upload id>` of the product bucket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What docroute itself writes into its bucket: an inbox there must stay clear of these.
PRODUCT_PREFIXES = ("originals/", "ocr/", "models/", "uploads/", "thumbnails/", "trainsets/", "routes/")
# Upload ids are UUIDs the API makes.
_UPLOAD_KEY = re.compile(r"^uploads/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Inbox:
    """Where mail gateways put attachments: one bucket and prefix, optionally a folder per workflow."""

    bucket: str
    prefix: str
    per_workflow: bool

    @classmethod
    def configured(cls, bucket: str | None, prefix: str, per_workflow: bool, product_bucket: str) -> Inbox:
        """The inbox from settings; ValueError when it would expose the product's objects."""
        prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        inbox = cls(bucket or product_bucket, prefix, per_workflow)
        if inbox.bucket == product_bucket and (not prefix or prefix.startswith(PRODUCT_PREFIXES)):
            raise ValueError(
                f"the mailroom inbox {prefix!r} in the product bucket must be a prefix of its own, "
                f"not empty and not under {', '.join(PRODUCT_PREFIXES)}"
            )
        if unsafe_key_reason(prefix.rstrip("/") or "x"):
            raise ValueError(f"the mailroom inbox prefix {prefix!r} is not a plain S3 key prefix")
        return inbox

    def folder(self, workflow_id: str) -> str:
        """The key prefix a mail of this workflow may name."""
        return f"{self.prefix}{workflow_id}/" if self.per_workflow else self.prefix


def unsafe_key_reason(key: str) -> str | None:
    """Why a key is not a plain path: encoded or control characters, empty or dot segments."""
    if any(c in key for c in "%\\?#") or not key.isprintable():
        return "encoded, control or escape characters"
    parts = key.split("/")
    if key.startswith("/") or "" in parts:
        return "an empty path segment (// or a leading or trailing /)"
    if any(part in (".", "..") for part in parts):
        return "a . or .. path segment"
    return None


def mailroom_ref_reason(ref: str, inbox: Inbox, workflow_id: str) -> str | None:
    """Why a mailroom attachment may not read `ref`; None when it lies in the workflow's inbox."""
    if not ref.startswith("s3://"):
        return "not an s3:// reference"
    bucket, _, key = ref[5:].partition("/")
    where = f"s3://{inbox.bucket}/{inbox.folder(workflow_id)}"
    if bucket != inbox.bucket:
        return f"bucket {bucket[:100]!r} is not the mailroom inbox; attachments must lie under {where}"
    unsafe = unsafe_key_reason(key)
    if unsafe:
        return f"the key has {unsafe}"
    if not key.startswith(inbox.folder(workflow_id)) or key == inbox.folder(workflow_id):
        return f"the key is outside this workflow's inbox; attachments must lie under {where}"
    return None


def upload_ref_reason(ref: str, product_bucket: str) -> str | None:
    """Why an `ingest.uploads` attachment may not read `ref`: only the API's `uploads/<id>`."""
    if not ref.startswith("s3://"):
        return "not an s3:// reference"
    bucket, _, key = ref[5:].partition("/")
    if bucket != product_bucket or not _UPLOAD_KEY.match(key):
        return f"uploads name only s3://{product_bucket}/uploads/<upload id>"
    return None
