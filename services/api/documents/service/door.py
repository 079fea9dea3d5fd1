"""The upload door: check a file, record it, store it in S3, hand it to ingest.

The file checks are ingest's own (`docroute.intake`, one rule for both doors): what ingest would
refuse as a whole is refused here at once (413/415/422 with its reason code), and the pages it
counts are reserved against the plan (429 when they do not fit). A zip member ingest would refuse
is let through; ingest dead-letters it with its reason, as it does for a mailroom zip.

Nothing accepted is lost: the document row (and its reservation) is committed before anything
else, and when S3 or the broker fails afterwards the row is marked failed with the reason and its
pages are released (the caller gets 503).
"""

from __future__ import annotations

import logging
import uuid

from fastapi import UploadFile
from fastapi.concurrency import run_in_threadpool

from docroute.errors import BrokerUnavailableError, TransientError
from docroute.filetypes import MediaType, detect_media_type
from docroute.intake import (
    AcceptedFile,
    IntakeLimits,
    RejectedFile,
    member_document_id,
    safe_filename,
    take_in,
)
from services.api import outgoing
from services.api.access.service import usage
from services.api.adapters import Resources
from services.api.documents.models import Document
from services.api.documents.schemas import DocumentAccepted
from services.api.documents.service import records
from services.api.errors import DomainError, UnsupportedError
from services.api.metrics import UPLOADS
from services.api.settings import ApiSettings
from services.api.workflows.models import Workflow

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
ACCEPTED_NAMES = "PDF, PNG, JPEG, TIFF or a ZIP of these"
# Ingest's reason codes as HTTP statuses; the rest (corrupt, encrypted, zip bomb...) are 422.
_STATUS_OF = {"too_large": 413, "unsupported_type": 415}

# (zip member path or None, pages) of each document a file holds.
Pages = list[tuple[str | None, int]]


class RefusedFileError(DomainError):
    """A file the door refuses, with ingest's reason code (batches list files with theirs); its
    status follows the code (413 too large, 415 unsupported type, 422 the rest)."""

    def __init__(self, status_code: int, detail: str, reason_code: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.reason_code = reason_code


async def read_capped(upload: UploadFile, limit: int) -> bytes:
    """The uploaded bytes, read in chunks; 413 as soon as they pass `limit`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise RefusedFileError(413, f"file is larger than {limit} bytes", "too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def check_file(data: bytes) -> MediaType:
    """The media type of an upload; 422 when empty, 415 when not an accepted type."""
    if not data:
        raise RefusedFileError(422, "the file is empty", "empty_file")
    media_type = detect_media_type(data)
    if media_type is None:
        raise RefusedFileError(
            415,
            f"unsupported file type: send {ACCEPTED_NAMES} (detected by content, not by name)",
            "unsupported_type",
        )
    return media_type


def intake_limits(settings: ApiSettings) -> IntakeLimits:
    """Ingest's caps, as far as the API knows them (its upload limit; pages are not capped)."""
    return IntakeLimits(max_file_bytes=settings.max_upload_bytes)


def count_pages(filename: str, data: bytes, limits: IntakeLimits) -> Pages:
    """Run the shared intake: the pages of each document in the file; 4xx when ingest would
    refuse the file as a whole (a zip member it would refuse is left to ingest's dead letter)."""
    results = take_in(filename, data, limits)
    whole = [r for r in results if isinstance(r, RejectedFile) and r.member_path is None]
    if whole:
        code = whole[0].reason_code
        raise RefusedFileError(_STATUS_OF.get(code, 422), f"{whole[0].reason} ({code})", code)
    return [(r.member_path, r.page_count) for r in results if isinstance(r, AcceptedFile)]


async def take_upload(
    resources: Resources,
    workflow: Workflow,
    file: UploadFile,
    *,
    purpose: str,
    label: str | None = None,
    model_version: int | None = None,
    allow_zip: bool = True,
) -> DocumentAccepted:
    """The door for one uploaded file: read it (capped), check its type, then `accept` it."""
    data = await read_capped(file, resources.settings.max_upload_bytes)
    media_type = check_file(data)
    if not allow_zip and media_type == "application/zip":
        raise UnsupportedError("this endpoint takes one document: send a PDF or an image, not a zip")
    filename = safe_filename(file.filename)
    pages = await run_in_threadpool(count_pages, filename, data, intake_limits(resources.settings))
    return await run_in_threadpool(
        accept,
        resources,
        workflow,
        data=data,
        media_type=media_type,
        filename=filename,
        purpose=purpose,
        label=label,
        model_version=model_version,
        pages=pages,
    )


def accept(
    resources: Resources,
    workflow: Workflow,
    *,
    data: bytes,
    media_type: MediaType,
    filename: str,
    purpose: str,
    label: str | None,
    batch_id: uuid.UUID | None = None,
    model_version: int | None = None,
    pages: Pages | None = None,
) -> DocumentAccepted:
    """Record, store and announce one upload; raises TransientError (-> 503) when S3/broker fail.

    `batch_id` ties a training file to its upload batch; `model_version` is a preview's version;
    `pages` (from `count_pages`): the pages read of each (`usage.billed_pages`) are reserved for a
    processing document (429 when over the plan).
    """
    document_id = uuid.uuid4()
    upload_id = str(uuid.uuid4())
    log_extra = {"document_id": document_id, "workflow_id": workflow.id}
    cap = resources.settings.max_pages
    charges = [
        (uuid.UUID(member_document_id(str(document_id), path)), usage.billed_pages(workflow, count, cap))
        for path, count in pages or []
    ]
    with resources.sessions() as session:
        if purpose not in usage.NOT_METERED:
            usage.reserve(session, resources.settings.usage, workflow, charges)
        session.add(
            Document(
                id=document_id,
                workflow_id=workflow.id,
                purpose=purpose,
                label=label,
                status="received",
                door="upload",
                upload_id=upload_id,
                filename=filename,
                media_type=media_type,
                size=len(data),
                batch_id=batch_id,
            )
        )
        session.commit()
        try:
            ref = resources.blobstore.put(f"uploads/{upload_id}", data, content_type=media_type)
            resources.producer.send(
                [
                    outgoing.upload_received(
                        workflow_id=workflow.id,
                        document_id=document_id,
                        upload_id=upload_id,
                        s3_ref=str(ref),
                        filename=filename,
                        purpose=purpose,
                        label=label,
                        model_version=model_version,
                    )
                ]
            )
        except TransientError as exc:
            broker = isinstance(exc, BrokerUnavailableError)
            code = "broker_unavailable" if broker else "storage_unavailable"
            logger.warning("upload not handed to ingest: %s", exc, extra=log_extra)
            usage.release(session, [charge for charge, _ in charges])
            records.mark_failed(session, document_id, stage="api", reason_code=code, reason=str(exc))
            UPLOADS.labels(purpose=purpose, outcome="failed").inc()
            raise
    UPLOADS.labels(purpose=purpose, outcome="accepted").inc()
    logger.info("accepted %s upload %s (%s)", purpose, filename, media_type, extra=log_extra)
    return DocumentAccepted(document_id=document_id, workflow_id=workflow.id, status="received")
