"""Wiring: settings -> logging -> workflow directory + S3 -> handler -> stream loop."""

from __future__ import annotations

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.bus import StreamService
from docroute.logging import configure_logging
from docroute.settings import ServiceSettings
from docroute.workflows import WorkflowDirectory
from services.router.handler import RouterHandler


def run() -> None:
    settings = ServiceSettings()
    configure_logging("router", settings.log_level)
    workflows = WorkflowDirectory(settings.kafka)
    workflows.start()
    handler = RouterHandler(workflows, BlobStore(settings.s3))
    StreamService(
        "router",
        settings,
        {topics.DOCUMENT_CLASSIFIED: handler.on_classified},
        on_produced=handler.on_sent,
    ).run()
