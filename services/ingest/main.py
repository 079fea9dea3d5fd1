"""Wiring: settings -> logging -> workflow directory, S3, page ledger -> handler -> stream loop."""

from __future__ import annotations

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.bus import StreamService
from docroute.intake import IntakeLimits
from docroute.logging import configure_logging
from docroute.quota import Ledger
from docroute.workflows import WorkflowDirectory
from services.ingest.attachments import AttachmentReader
from services.ingest.core import Inbox
from services.ingest.handler import IngestHandler
from services.ingest.quota_gate import QuotaGate
from services.ingest.settings import IngestSettings


def run() -> None:
    settings = IngestSettings()
    configure_logging("ingest", settings.log_level)
    mailroom = settings.mailroom
    inbox = Inbox.configured(
        mailroom.inbox_bucket, mailroom.inbox_prefix, mailroom.inbox_per_workflow, settings.s3.bucket
    )
    workflows = WorkflowDirectory(settings.kafka)
    workflows.start()
    limits = IntakeLimits(
        max_file_bytes=settings.max_file_bytes,
        max_zip_members=settings.max_zip_members,
        max_zip_total_bytes=settings.max_zip_total_bytes,
    )
    store = BlobStore(settings.s3)
    inbox_store = BlobStore(settings.s3.model_copy(update={"bucket": inbox.bucket}))
    reader = AttachmentReader(store, inbox_store, inbox, settings.max_inline_bytes)
    ledger = None
    if mailroom.quota_policy != "meter_only":
        ledger = Ledger(settings.database.url, settings.usage.plans, settings.usage.default_plan)
    quota = QuotaGate(ledger, mailroom.quota_policy)
    handler = IngestHandler(workflows, store, reader, limits, quota, max_pages=settings.max_pages)
    routes = {topics.MAILROOM_INCOMING: handler.on_mailroom, topics.INGEST_UPLOADS: handler.on_upload}
    StreamService("ingest", settings, routes).run()
