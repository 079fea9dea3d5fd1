"""The dead letter of a file a door refused: `document.failed` with the reason code, naming the
message (topic and event) it came in."""

from __future__ import annotations

import logging

from docroute import metrics, topics
from docroute.contracts._generated import DocumentFailed, MailReceived, Original
from docroute.events import Event, Outgoing, emit
from docroute.intake import RejectedFile

logger = logging.getLogger(__name__)


def dead_letter(
    event: Event[MailReceived],
    topic: str,
    document_id: str,
    rejected: RejectedFile,
    parent_id: str | None,
    blob_ref: str | None = None,
) -> Outgoing:
    """`document.failed` for a refused file (a zip member names its archive as parent);
    `blob_ref` where the original was kept for reprocessing."""
    filename, reason_code, reason = rejected.filename, rejected.reason_code, rejected.reason
    where = f"{filename} ({rejected.member_path})" if rejected.member_path else filename
    failed = DocumentFailed(
        document_id=document_id,
        workflow_id=str(event.data.workflow_id),
        parent_id=parent_id,
        stage="ingest",
        reason_code=reason_code,
        reason=f"{where}: {reason}",
        original=Original(
            topic=topic,
            event_id=event.id,
            event_type=event.type,
        ),
        filename=filename[:255],
        blob_ref=blob_ref,
    )
    metrics.DEAD_LETTERED.labels("ingest", reason_code).inc()
    logger.warning(
        "rejected %s: %s", where, reason, extra={"document_id": document_id, "reason_code": reason_code}
    )
    return emit(
        topics.DEAD_LETTER,
        "document.failed",
        failed,
        source="ingest",
        key=document_id,
        step="failed",
        about=("ingest", document_id),  # the document at this stage; other stages fail it apart
    )
