"""`/healthz`, `/readyz` and `/metrics` for the stream services, on a small HTTP thread."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

logger = logging.getLogger(__name__)

ReadyCheck = Callable[[], bool]


class Health:
    """Liveness from a heartbeat the event loop beats; readiness from named checks."""

    def __init__(self, *, stale_after_s: float = 30.0) -> None:
        self._last_beat = time.monotonic()
        self._stale_after_s = stale_after_s
        self._checks: dict[str, ReadyCheck] = {}

    def beat(self) -> None:
        self._last_beat = time.monotonic()

    def add_check(self, name: str, check: ReadyCheck) -> None:
        self._checks[name] = check

    def alive(self) -> bool:
        return time.monotonic() - self._last_beat < self._stale_after_s

    def readiness(self) -> dict[str, bool]:
        return {name: bool(check()) for name, check in self._checks.items()}


def serve_health(health: Health, host: str, port: int) -> ThreadingHTTPServer:
    """Start the HTTP thread; returns the server (its `server_port` is the bound port)."""

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._reply(200, generate_latest(), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                ok = health.alive()
                self._reply(200 if ok else 503, json.dumps({"alive": ok}).encode())
            elif self.path == "/readyz":
                checks = health.readiness()
                ok = all(checks.values())
                self._reply(200 if ok else 503, json.dumps({"ready": ok, "checks": checks}).encode())
            else:
                self._reply(404, b'{"detail":"not found"}')

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # probes every few seconds would drown the logs

    server = ThreadingHTTPServer((host, port), _Handler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    logger.info("health endpoints on http://%s:%s", host, server.server_port)
    return server
