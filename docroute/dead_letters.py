"""A message a stream service gives up on: its `document.failed` on the dead-letter topic.

Built before it is sent, reported (logged, counted) once the broker has acknowledged it: a
dead letter whose produce failed is built again with the batch's retry, and must not be
counted twice.
"""

from __future__ import annotations

import logging
from typing import Any

from docroute import metrics, topics
from docroute.contracts._generated import DocumentFailed, Original
from docroute.errors import PermanentError
from docroute.events import Event, Outgoing, decode, emit

logger = logging.getLogger(__name__)


def dead_letter(stage: str, message: Any, exc: PermanentError) -> Outgoing:
    """The `document.failed` of `message` (a consumed record) given up by `stage` for `exc`:
    which document and workflow, when the message says; otherwise an excerpt of its bytes."""
    event = _try_decode(message.value)
    data = event.data if event is not None else None
    document_id = (
        _attr(data, "document_id")
        or _attr(data, "sample_id")
        or (message.key or b"").decode(errors="replace")
        or None
    )
    failed = DocumentFailed(
        document_id=str(document_id) if document_id else None,
        workflow_id=str(_attr(data, "workflow_id")) if _attr(data, "workflow_id") else None,
        stage=stage,
        reason_code=exc.reason_code,
        reason=str(exc)[:2000],
        original=Original(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            event_id=event.id if event else None,
            event_type=event.type if event else None,
            excerpt=None if event else bytes(message.value or b"")[:500].decode(errors="replace"),
        ),
        blob_ref=_attr(_attr(data, "blob"), "ref"),
        filename=_attr(_attr(data, "origin"), "filename"),
    )
    return emit(
        topics.DEAD_LETTER,
        "document.failed",
        failed,
        source=stage,
        key=failed.document_id or "unknown",
        step="failed",
        about=(message.topic, message.partition, message.offset),  # a message fails once
    )


def report_dead_letter(
    stage: str, message: Any, sent: Outgoing, exc: PermanentError, raised: Exception
) -> None:
    """Log and count a dead letter the broker acknowledged. `raised`: the error as the handler
    raised it, logged with its traceback when it was not a permanent one (a bug)."""
    if raised is not exc:
        logger.error("handler failed", exc_info=raised, extra=where(message))
    logger.warning(
        "dead-lettered (%s): %s",
        exc.reason_code,
        exc,
        extra={**where(message), "document_id": sent.event.data.document_id, "reason_code": exc.reason_code},
    )
    metrics.DEAD_LETTERED.labels(stage, exc.reason_code).inc()


def where(message: Any) -> dict[str, Any]:
    """A consumed record's place, for log lines."""
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset}


def _try_decode(raw: bytes | None) -> Event[Any] | None:
    try:
        return decode(raw or b"")
    except PermanentError:
        return None


def _attr(obj: Any, name: str) -> Any:
    return getattr(obj, name, None) if obj is not None else None
