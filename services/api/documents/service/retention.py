"""Retention: delete documents older than their workflow's `retention_days`, S3 objects included.

Processed documents only (processing and preview): training samples are the training set and
leave it through annotation. A reviewed document is a sample too: deleting it here also makes
the live models forget it at once (`deletion.py`, `sample.deleted`). `sweep()` does one pass
and is what the API's `RetentionSweeper` thread runs every `retention_interval_s`, and what
POST /workflows/{key}/retention/run runs at once. Several API replicas may sweep together:
each document is locked while it is deleted, and deleting a deleted document does nothing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from docroute.errors import TransientError
from services.api.adapters import Resources
from services.api.documents.models import Document
from services.api.documents.service.deletion import StillProcessingError, delete_document
from services.api.workflows.models import Workflow

logger = logging.getLogger(__name__)

ACTOR = "retention"
BATCH = 200
FIRST_SWEEP_MAX_S = 60.0


def sweep(
    resources: Resources, *, workflow_id: uuid.UUID | None = None, now: datetime | None = None
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Delete every expired document (of one workflow, or of all); returns the ids per workflow."""
    now = now or datetime.now(UTC)
    with resources.sessions() as session:
        query = select(Workflow.id, Workflow.retention_days).where(Workflow.retention_days.is_not(None))
        if workflow_id is not None:
            query = query.where(Workflow.id == workflow_id)
        policies = [(row[0], row[1]) for row in session.execute(query)]
    return {wf: _sweep_workflow(resources, wf, now - timedelta(days=days)) for wf, days in policies if days}


def _sweep_workflow(resources: Resources, workflow_id: uuid.UUID, cutoff: datetime) -> list[uuid.UUID]:
    deleted: list[uuid.UUID] = []
    skipped: set[uuid.UUID] = set()
    while True:
        with resources.sessions() as session:
            query = (
                select(Document.id)
                .where(
                    Document.workflow_id == workflow_id,
                    Document.deleted_at.is_(None),
                    Document.purpose != "training",
                    Document.created_at < cutoff,
                )
                .order_by(Document.created_at)
                .limit(BATCH + len(skipped))
            )
            batch = [i for i in session.scalars(query) if i not in skipped]
        if not batch:
            return deleted
        for document_id in batch:
            with resources.sessions() as session:
                document = session.get(Document, document_id, with_for_update=True)
                if document is None or document.deleted_at is not None:
                    continue
                try:
                    deleted += delete_document(
                        session, resources.blobstore, resources.producer, document, actor=ACTOR
                    )
                except StillProcessingError:
                    skipped.add(document_id)  # stuck or slow: the next sweep tries again
        if len(batch) < BATCH:
            if deleted:
                extra = {"workflow_id": str(workflow_id)}
                logger.info("retention deleted %d documents", len(deleted), extra=extra)
            return deleted


class RetentionSweeper:
    """Runs `sweep()` every `interval_s` on a daemon thread; `stop()` ends it."""

    def __init__(self, resources: Resources, interval_s: float) -> None:
        self._resources = resources
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        # Soon after start too: replicas restarted more often than the interval still sweep.
        wait_s = min(self._interval_s, FIRST_SWEEP_MAX_S)
        while not self._stop.wait(wait_s):
            try:
                sweep(self._resources)
            except (TransientError, SQLAlchemyError) as exc:
                logger.warning("retention sweep failed, next one in %.0fs: %s", self._interval_s, exc)
            wait_s = self._interval_s
