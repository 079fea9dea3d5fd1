"""Training data in batches: many files per request, handed to ingest in the background.

The request checks and reads every file, records the batch and answers 202 at once; a
background task then stores each file in S3 and announces it to ingest (`door.accept`), one
commit per file, so the batch's progress moves while it works. Progress is counted from the
batch's documents: a zip counts as its members once ingest has expanded them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from docroute.errors import TransientError
from docroute.intake import safe_filename, unknown_label_reason
from services.api.adapters import Resources
from services.api.documents.models import Document
from services.api.documents.service import door
from services.api.documents.service.status import RANK
from services.api.errors import InvalidError
from services.api.settings import ApiSettings
from services.api.training.models import TrainingBatch
from services.api.training.schemas import BatchFailure, BatchProgress, RejectedFile
from services.api.workflows.models import Workflow

logger = logging.getLogger(__name__)

ZIP = "application/zip"


@dataclass(frozen=True)
class IncomingFile:
    """A checked file of a batch request, waiting to be handed on."""

    filename: str
    data: bytes
    media_type: str
    label: str | None


def labels_for(
    files: Sequence[UploadFile], label: str | None, labels: list[str] | None, workflow: Workflow
) -> list[str | None]:
    """One label (or None) per file: `labels` one each ('' for none), else `label` for all."""
    if labels is not None and label is not None:
        raise InvalidError("send either `label` (for every file) or `labels` (one per file)")
    chosen: list[str | None]
    if labels is not None:
        if len(labels) != len(files):
            raise InvalidError(f"{len(labels)} labels for {len(files)} files: send one per file")
        chosen = [x.strip() or None for x in labels]
    else:
        chosen = [label.strip() or None if label is not None else None] * len(files)
    labels = list(workflow.labels)
    unknown = sorted({x for x in chosen if x is not None and unknown_label_reason(x, labels)})
    if unknown:
        raise InvalidError(
            f"labels {unknown} are not among the workflow's labels {workflow.labels} (unknown_label)"
        )
    return chosen


async def read_files(
    files: Sequence[UploadFile], labels: Sequence[str | None], settings: ApiSettings
) -> tuple[list[IncomingFile], list[RejectedFile]]:
    """Read and check each file (ingest's intake, `door.count_pages`); bad ones are rejected
    with their reason, not the whole request."""
    accepted, rejected = [], []
    limits = door.intake_limits(settings)
    for upload, label in zip(files, labels, strict=True):
        filename = safe_filename(upload.filename)
        try:
            data = await door.read_capped(upload, settings.max_upload_bytes)
            media_type = door.check_file(data)
            await run_in_threadpool(door.count_pages, filename, data, limits)
        except door.RefusedFileError as exc:
            reason = str(exc.detail)
            rejected.append(RejectedFile(filename=filename, reason_code=exc.reason_code, reason=reason))
            continue
        accepted.append(IncomingFile(filename, data, media_type, label))
    return accepted, rejected


def open_batch(session: Session, workflow_id: uuid.UUID, created_by: str | None) -> TrainingBatch:
    batch = TrainingBatch(
        id=uuid.uuid4(),
        workflow_id=workflow_id,
        files_total=0,
        files_accepted=0,
        rejected=[],
        created_by=created_by,
    )
    session.add(batch)
    return batch


def add_files(session: Session, batch: TrainingBatch, files: int, rejected: Sequence[RejectedFile]) -> None:
    """Count a request's files into the batch (before the background task hands them on).

    An existing batch comes locked (`with_for_update`): requests adding to one batch at once
    would each add to a stale copy.
    """
    batch.files_total += files + len(rejected)
    batch.rejected = [*batch.rejected, *(r.model_dump() for r in rejected)]
    session.commit()


def hand_on(resources: Resources, workflow: Workflow, batch_id: uuid.UUID, files: list[IncomingFile]) -> None:
    """The background task: store and announce each file; a failure is recorded, not fatal."""
    for item in files:
        try:
            door.accept(
                resources,
                workflow,
                data=item.data,
                media_type=item.media_type,  # type: ignore[arg-type]
                filename=item.filename,
                purpose="training",
                label=item.label,
                batch_id=batch_id,
            )
        except TransientError as exc:
            # door.accept marked the document failed with the reason; the batch shows it.
            logger.warning(
                "batch file %s not handed on: %s",
                item.filename,
                exc,
                extra={"workflow_id": workflow.id, "batch_id": batch_id},
            )
            continue
        with resources.sessions() as session:
            # One UPDATE: background tasks of one batch count at once; read-add-write lost counts.
            session.execute(
                update(TrainingBatch)
                .where(TrainingBatch.id == batch_id)
                .values(files_accepted=TrainingBatch.files_accepted + 1)
            )
            session.commit()
    logger.info(
        "batch handed on: %d files", len(files), extra={"workflow_id": workflow.id, "batch_id": batch_id}
    )


def progress(session: Session, batch: TrainingBatch) -> BatchProgress:
    """The batch's counts; a zip not yet expanded by ingest counts as pending."""
    documents = list(session.scalars(select(Document).where(Document.batch_id == batch.id)))
    parents = [str(d.id) for d in documents]
    members: dict[str, list[Document]] = {}
    if parents:
        for member in session.scalars(select(Document).where(Document.parent_id.in_(parents))):
            members.setdefault(str(member.parent_id), []).append(member)
    leaves: list[Document] = []
    unexpanded = 0
    for doc in documents:
        if members.get(str(doc.id)):
            leaves += members[str(doc.id)]
        elif doc.media_type == ZIP and doc.status != "failed":
            unexpanded += 1
        else:
            leaves.append(doc)
    failed = [d for d in leaves if d.status == "failed"]
    read = [d for d in leaves if d.status != "failed" and RANK[d.status] >= RANK["extracted"]]
    labelled = [d for d in read if d.label and not d.sample_removed]
    in_flight = len(leaves) - len(failed) - len(read)
    not_handed = batch.files_total - len(batch.rejected) - len(documents)
    pending = unexpanded + in_flight + max(not_handed, 0)
    return BatchProgress(
        batch_id=batch.id,
        workflow_id=batch.workflow_id,
        files_total=batch.files_total,
        files_accepted=batch.files_accepted,
        files_rejected=len(batch.rejected),
        documents_received=sum(d.sha256 is not None for d in leaves),
        documents_ocred=len(read),
        documents_labelled=len(labelled),
        documents_unlabelled=len(read) - len(labelled),
        documents_failed=len(failed),
        documents_pending=pending,
        done=pending == 0,
        rejected=[RejectedFile.model_validate(r) for r in batch.rejected],
        failures=[
            BatchFailure(
                document_id=d.id,
                filename=d.filename,
                member_path=d.member_path,
                stage=d.failed_stage,
                reason_code=d.reason_code,
                reason=d.reason,
            )
            for d in failed
        ],
        created_at=batch.created_at,
    )
