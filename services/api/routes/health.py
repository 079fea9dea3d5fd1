"""Probes and metrics: `/healthz` (alive), `/readyz` (database, broker, S3), `/metrics`."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from docroute.errors import DocrouteError
from services.api.adapters import Resources
from services.api.db import ping
from services.api.deps import ResourcesDep

router = APIRouter(tags=["health"])

READY_PROBE_KEY = "health/readyz-probe"


@router.get("/healthz")
def healthz(resources: ResourcesDep) -> JSONResponse:
    """Alive: the process answers and, when it runs, the projection thread is not stuck."""
    projection = resources.projection
    alive = projection is None or projection.alive()
    return JSONResponse({"alive": alive}, status_code=200 if alive else 503)


@router.get("/readyz")
def readyz(resources: ResourcesDep) -> JSONResponse:
    """Ready when the database answers, the producer is connected, the projection has joined
    its group, and S3 answers."""
    checks = {
        "database": ping(resources.engine),
        "broker": _broker_ok(resources),
        "s3": _s3_ok(resources),
    }
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _broker_ok(resources: Resources) -> bool:
    projection = resources.projection
    connected = projection is None or projection.joined()
    return resources.producer.ready() and connected


def _s3_ok(resources: Resources) -> bool:
    try:
        resources.blobstore.exists(READY_PROBE_KEY)
    except DocrouteError:
        return False
    return True
