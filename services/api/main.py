"""Wiring: settings -> logging -> migrations -> app (adapters, projection, routes) -> uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from docroute.errors import TransientError
from docroute.logging import configure_logging
from services.api.adapters import Resources
from services.api.db import upgrade
from services.api.limits import BodySizeLimit
from services.api.projection import Projection
from services.api.routes import documents, health, processing, samples, workflows
from services.api.settings import MIB, ApiSettings

logger = logging.getLogger(__name__)

PROBE_PATHS = ("/healthz", "/readyz", "/metrics")


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
        if settings.projection_enabled:
            resources.projection = Projection(settings, resources.sessions, resources.producer)
            resources.projection.start()
        app.state.resources = resources
        try:
            yield
        finally:
            await run_in_threadpool(resources.close)

    app = FastAPI(
        title="docroute",
        summary="Train your own document classifier; upload, classify and route documents.",
        lifespan=lifespan,
    )
    # Multipart framing around the file: the file itself is capped exactly by the door.
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_upload_bytes + MIB)
    app.add_exception_handler(TransientError, _unavailable)
    for module in (workflows, samples, processing, documents, health):
        app.include_router(module.router)
    return app


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A dependency (broker, S3) is down: 503, try again later."""
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": f"a dependency is unavailable, try again later: {exc}"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


class _QuietProbes(logging.Filter):
    """Drops access-log lines of probes and scrapes, which come every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(f" {path} " in record.getMessage() for path in PROBE_PATHS)


def run() -> None:
    """`python -m services.api`: migrate the database, then serve on settings.host:port."""
    settings = ApiSettings()
    configure_logging("api", settings.log_level)
    logging.getLogger("uvicorn.access").addFilter(_QuietProbes())
    upgrade(settings.database.url)
    logger.info("API listening on http://%s:%s", settings.host, settings.port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
