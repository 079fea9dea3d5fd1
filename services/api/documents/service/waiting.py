"""`?wait=`: answer with the result when the document gets there in time, else the acceptance.

The answer follows the route by the time it takes to see it: the projection applies the routed
event and wakes the request, which reads the status and, when done, builds the result in the
same trip to the database. The OCR JSON is read from S3 while the document is still on its way,
as soon as its `ocr_ref` is known, so the final answer does not wait on S3 for it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass

from fastapi import Response
from fastapi.concurrency import run_in_threadpool

from services.api.adapters import Resources
from services.api.documents.models import Document
from services.api.documents.schemas import DocumentAccepted, OcrOut, ProcessingResult
from services.api.documents.service import records
from services.api.documents.service.results import build_result, load_ocr

POLL_S = 0.2


@dataclass
class _Seen:
    """One read of the waited-on document: its status (None: unknown yet), its OCR ref, and its
    result when the status was done."""

    status: str | None
    ocr_ref: str | None = None
    workflow_id: uuid.UUID | None = None
    result: ProcessingResult | None = None


async def result_within(
    resources: Resources,
    accepted: DocumentAccepted,
    wait_s: float,
    response: Response,
    done: Callable[[str], bool],
) -> ProcessingResult | DocumentAccepted:
    """Until `done(status)` (then 200 and the result) or `wait_s` is over (202, latest status).

    The status is read again as soon as this replica's projection applies an event of the
    document, and every POLL_S in any case (another replica's projection may apply it)."""
    deadline = time.monotonic() + min(wait_s, resources.settings.max_wait_s)
    projection = resources.projection
    watching = projection.signals.watch(accepted.document_id) if projection else nullcontext(None)
    reading: dict[str, asyncio.Task[OcrOut | None]] = {}  # OCR views read ahead, by ref
    try:
        with watching as applied:
            while True:
                if applied is not None:
                    applied.clear()  # before reading: an event applied meanwhile wakes the wait below
                fetched = _fetched(reading)
                seen = await run_in_threadpool(_read, resources, accepted.document_id, done, fetched)
                if seen.result is not None:
                    response.status_code = 200
                    return seen.result
                if seen.ocr_ref and seen.ocr_ref not in reading:
                    reading[seen.ocr_ref] = _read_ahead(
                        resources, seen.ocr_ref, accepted.document_id, seen.workflow_id
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    accepted.status = seen.status or accepted.status
                    return accepted
                await _woken(applied, min(POLL_S, remaining))
    finally:
        for task in reading.values():
            task.cancel()  # the thread finishes its read; nobody waits for it
            _fetched({"": task})  # a failed read is retrieved, not reported as never retrieved


def _read_ahead(
    resources: Resources, ocr_ref: str, document_id: uuid.UUID, workflow_id: uuid.UUID | None
) -> asyncio.Task[OcrOut | None]:
    """The OCR view under `ocr_ref`, read in a worker thread while the request waits."""
    read = run_in_threadpool(load_ocr, resources.blobstore, ocr_ref, document_id, workflow_id)
    return asyncio.create_task(read)


def _fetched(reading: dict[str, asyncio.Task[OcrOut | None]]) -> dict[str, OcrOut | None]:
    """The reads ahead that succeeded; a failed one (S3 away) is read again with the result."""
    return {
        ref: task.result()
        for ref, task in reading.items()
        if task.done() and not task.cancelled() and task.exception() is None
    }


async def _woken(applied: asyncio.Event | None, timeout_s: float) -> None:
    """Until the document's next event is applied, or `timeout_s`."""
    if applied is None:
        await asyncio.sleep(timeout_s)
        return
    with suppress(TimeoutError):
        await asyncio.wait_for(applied.wait(), timeout_s)


def _read(
    resources: Resources,
    document_id: uuid.UUID,
    done: Callable[[str], bool],
    fetched: dict[str, OcrOut | None],
) -> _Seen:
    """The document's status and, when `done`, its result, in one session."""
    with resources.sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            return _Seen(status=None)
        children = records.members(session, document)
        status = records.status_with(document, children)
        if not done(status):
            return _Seen(status, document.ocr_ref, document.workflow_id)
        result = build_result(session, resources.blobstore, document, children=children, fetched_ocr=fetched)
        return _Seen(status, document.ocr_ref, document.workflow_id, result)
