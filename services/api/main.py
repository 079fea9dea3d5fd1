"""Wiring: settings -> logging -> schema (migrate, or wait) -> app (adapters, projection, routes)
-> uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi_offline import FastAPIOffline

from docroute.errors import TransientError
from docroute.logging import configure_logging
from services.api import health
from services.api.access import routes as access
from services.api.access.service.ratelimit import RateLimiter
from services.api.adapters import Resources
from services.api.deps import get_current_key, refuse_repeated_form_fields
from services.api.documents import routes as documents
from services.api.documents.service.retention import RetentionSweeper
from services.api.errors import add_error_handlers
from services.api.input_guard import InputGuard
from services.api.limits import BodySizeLimit
from services.api.migrate import SchemaNotReadyError, migrate, wait_for_schema
from services.api.projection.service.thread import Projection
from services.api.review import routes as review
from services.api.settings import MIB, ApiSettings
from services.api.training import routes as training
from services.api.versions import routes as versions
from services.api.webhooks import routes as webhooks
from services.api.webhooks.service import WebhookWorker
from services.api.workflows import routes as workflows
from services.api.workflows.service.openapi import API_DESCRIPTION

logger = logging.getLogger(__name__)

PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
# In the order they were always included (paths, and the OpenAPI document, keep their order).
GUARDED_ROUTERS = (
    workflows.workflows,
    workflows.labels,
    workflows.thumbnails,
    access.usage,
    workflows.docs,
    access.keys,
    training.samples,
    documents.processing,
    documents.results,
    training.batches,
    training.annotations,
    training.readiness,
    versions.versions,
    training.preview,
    webhooks,
    review,
    versions.thresholds,
    documents.documents,
    documents.events,
    documents.pages,
    training.groups,
    access.usage_days,
    documents.reprocess,
)


def create_app(settings: ApiSettings) -> FastAPI:
    """The API; its lifespan connects the adapters and runs the projection thread."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = Resources.connect(settings)
        try:
            await run_in_threadpool(resources.blobstore.ensure_bucket)
        except TransientError as exc:
            logger.warning("S3 not reachable at start (readyz will say so): %s", exc)
        resources.producer.ready()  # connect in the background
        background = resources.background_sessions or resources.sessions
        if settings.projection_enabled:
            resources.projection = Projection(settings, background, resources.producer)
            resources.projection.start()
        # Deploy notifications: with the projection, since both are this process's consumers.
        notifier = None
        if settings.projection_enabled and settings.webhooks.enabled:
            notifier = WebhookWorker(settings, background)
            notifier.start()
        sweeper = None
        if settings.retention_interval_s > 0:
            sweeper = RetentionSweeper(resources, settings.retention_interval_s)
            sweeper.start()
        app.state.resources = resources
        try:
            yield
        finally:
            if sweeper is not None:
                await run_in_threadpool(sweeper.stop)
            if notifier is not None:
                await run_in_threadpool(notifier.stop)
            await run_in_threadpool(resources.close)

    # /docs and /redoc with Swagger UI and ReDoc served from the package, not a CDN (air-gapped).
    app = FastAPIOffline(
        title="docroute",
        summary="Train your own document classifier; upload, classify and route documents.",
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.rate_limiter = RateLimiter(settings.rate_limit.per_second, settings.rate_limit.burst)
    if settings.admin_api_key is None:
        logger.warning("DOCROUTE_ADMIN_API_KEY is not set: only minted workflow keys will work")
    # NaN, lone surrogates, NUL: refused before any route (inside the body cap, the outer layer).
    app.add_middleware(InputGuard)
    # Multipart framing around the file: the file itself is capped exactly by the door.
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_upload_bytes + MIB)
    add_error_handlers(app)
    # Every router but health's needs an API key; WorkflowDep adds the workflow scope check.
    guards = [Depends(get_current_key), Depends(refuse_repeated_form_fields)]
    for module in GUARDED_ROUTERS:
        app.include_router(module.router, dependencies=guards)
    app.include_router(health.router)
    app.include_router(workflows.docs.event_docs)
    return app


class _QuietProbes(logging.Filter):
    """Drops access-log lines of probes and scrapes, which come every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(f" {path} " in record.getMessage() for path in PROBE_PATHS)


def run() -> None:
    """`python -m services.api`: the schema it needs (see `schema_at_start`), then serve on
    settings.host:port."""
    settings = ApiSettings()
    configure_logging("api", settings.log_level)
    logging.getLogger("uvicorn.access").addFilter(_QuietProbes())
    if settings.schema_at_start == "migrate":
        migrate(settings.database.url)
    else:
        try:
            wait_for_schema(settings.database.url, settings.schema_wait_s)
        except SchemaNotReadyError as exc:
            logger.error("%s", exc)
            raise SystemExit(1) from exc
    logger.info("API listening on http://%s:%s", settings.host, settings.port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
