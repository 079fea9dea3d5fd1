"""The upload door: check a file, record it, store it in S3, hand it to ingest.

Nothing accepted is lost: the document row is committed before anything else, and when S3 or
the broker fails afterwards the row is marked failed with the reason (the caller gets 503).
"""

from __future__ import annotations

import logging
import os
import uuid

from fastapi import HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool

from docroute.errors import BrokerUnavailableError, TransientError
from docroute.filetypes import MediaType, detect_media_type
from services.api import crud, outgoing
from services.api.adapters import Resources
from services.api.metrics import UPLOADS
from services.api.models import Document, Workflow
from services.api.schemas import DocumentAccepted

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
ACCEPTED_NAMES = "PDF, PNG, JPEG, TIFF or a ZIP of these"


async def read_capped(upload: UploadFile, limit: int) -> bytes:
    """The uploaded bytes, read in chunks; 413 as soon as they pass `limit`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"file is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check_file(data: bytes) -> MediaType:
    """The media type of an upload; 422 when empty, 415 when not an accepted type."""
    if not data:
        raise HTTPException(422, "the file is empty")
    media_type = detect_media_type(data)
    if media_type is None:
        raise HTTPException(
            415,
            f"unsupported file type: send {ACCEPTED_NAMES} (detected by content, not by name)",
        )
    return media_type


def safe_filename(name: str | None) -> str:
    """The file name without directories, at most 255 characters."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(c for c in base if c.isprintable())  # no NUL or control characters in the database
    return (base or "upload")[-255:]


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
        raise HTTPException(415, "this endpoint takes one document: send a PDF or an image, not a zip")
    return await run_in_threadpool(
        accept,
        resources,
        workflow,
        data=data,
        media_type=media_type,
        filename=safe_filename(file.filename),
        purpose=purpose,
        label=label,
        model_version=model_version,
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
) -> DocumentAccepted:
    """Record, store and announce one upload; raises TransientError (-> 503) when S3/broker fail.

    `batch_id` ties a training file to its upload batch; `model_version` is a preview's version.
    """
    document_id = uuid.uuid4()
    upload_id = str(uuid.uuid4())
    log_extra = {"document_id": document_id, "workflow_id": workflow.id}
    with resources.sessions() as session:
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
            crud.mark_failed(session, document_id, stage="api", reason_code=code, reason=str(exc))
            UPLOADS.labels(purpose=purpose, outcome="failed").inc()
            raise
    UPLOADS.labels(purpose=purpose, outcome="accepted").inc()
    logger.info("accepted %s upload %s (%s)", purpose, filename, media_type, extra=log_extra)
    return DocumentAccepted(document_id=document_id, workflow_id=workflow.id, status="received")
