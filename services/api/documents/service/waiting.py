"""`?wait=`: answer with the result when the document gets there in time, else the acceptance."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext, suppress

from fastapi import Response
from fastapi.concurrency import run_in_threadpool

from services.api.adapters import Resources
from services.api.documents.models import Document
from services.api.documents.schemas import DocumentAccepted, ProcessingResult
from services.api.documents.service import records
from services.api.documents.service.results import build_result

POLL_S = 0.2


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
    with watching as applied:
        while True:
            if applied is not None:
                applied.clear()  # before reading: an event applied meanwhile wakes the wait below
            status = await run_in_threadpool(_status, resources, accepted.document_id)
            if status is not None and done(status):
                response.status_code = 200
                return await run_in_threadpool(_result, resources, accepted.document_id)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                accepted.status = status or accepted.status
                return accepted
            await _woken(applied, min(POLL_S, remaining))


async def _woken(applied: asyncio.Event | None, timeout_s: float) -> None:
    """Until the document's next event is applied, or `timeout_s`."""
    if applied is None:
        await asyncio.sleep(timeout_s)
        return
    with suppress(TimeoutError):
        await asyncio.wait_for(applied.wait(), timeout_s)


def _status(resources: Resources, document_id: uuid.UUID) -> str | None:
    with resources.sessions() as session:
        return records.effective_status(session, document_id)


def _result(resources: Resources, document_id: uuid.UUID) -> ProcessingResult:
    with resources.sessions() as session:
        document = session.get_one(Document, document_id)
        return build_result(session, resources.blobstore, document)
