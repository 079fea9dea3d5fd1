"""Probes and metrics: `/healthz` (alive), `/readyz` (database, broker, S3), `/metrics`.

Both probes carry the projection's detail (state, lag per topic, last applied event; see
`projection/service/health.py`). Being behind does not make the API unready: every replica writes the
one shared database, so taking a replica out of the Service makes no one's view fresher, while
a backlog would take every replica out at once and stop uploads, which do not need the
projection. Clients see staleness in the detail instead. A broker that is gone does make it
unready (the projection has not joined its group; uploads cannot be produced either), and a
projection that is stuck or failed with a bug makes `/healthz` 503.
"""

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
    """Alive: the process answers and, when it runs, the projection thread is neither stuck nor
    failing with an unexpected error. Reconnecting to a broker that is gone is alive."""
    projection = resources.projection
    if projection is None:
        return JSONResponse({"alive": True})
    health = projection.health()
    alive = projection.alive() and health.state != "failed"
    body = {"alive": alive, "projection": health.as_dict()}
    return JSONResponse(body, status_code=200 if alive else 503)


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
    body: dict[str, object] = {"ready": ready, "checks": checks}
    if resources.projection is not None:
        body["projection"] = resources.projection.health().as_dict()
    return JSONResponse(body, status_code=200 if ready else 503)


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
