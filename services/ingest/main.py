"""Wiring: settings -> logging -> workflow directory + S3 -> handler -> stream loop."""

from __future__ import annotations

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.bus import StreamService
from docroute.logging import configure_logging
from docroute.workflows import WorkflowDirectory
from services.ingest.core import IntakeLimits
from services.ingest.handler import IngestHandler
from services.ingest.settings import IngestSettings


def run() -> None:
    settings = IngestSettings()
    configure_logging("ingest", settings.log_level)
    workflows = WorkflowDirectory(settings.kafka)
    workflows.start()
    limits = IntakeLimits(
        max_file_bytes=settings.max_file_bytes,
        max_pages=settings.max_pages,
        max_zip_members=settings.max_zip_members,
        max_zip_total_bytes=settings.max_zip_total_bytes,
    )
    handler = IngestHandler(workflows, BlobStore(settings.s3), limits, settings.max_inline_bytes)
    routes = {topics.MAILROOM_INCOMING: handler.on_mail, topics.INGEST_UPLOADS: handler.on_mail}
    StreamService("ingest", settings, routes).run()
