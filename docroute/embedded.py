"""The embedded default: broker, S3, database and every service on 127.0.0.1, with all data
under one directory so workflows, samples, models and documents survive a restart.

Anything configured from outside (KAFKA_BOOTSTRAP_SERVERS, an S3 endpoint, DATABASE_URL) is
used instead of starting the local one. The parts are the development stack's
(`docroute.devstack`, which the tests and the bench start too); this adds the data directory,
the admin key and the supervisor.

A child that dies is started again the same way (`docroute.supervisor`): services and the API
resume from their committed offsets; the S3 server on its port and folder (nothing is lost but
requests in progress, which clients retry); the broker on its port and storage, then its topics
are provisioned again. A broker in memory (with an external S3) comes back empty: what it held
is lost, and the log says so.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from docroute.devstack import DevStack
from docroute.processes import HOST, ManagedProcess, free_port, wait_for_port
from docroute.restart_policy import RestartPolicy
from docroute.settings import ServiceSettings
from docroute.supervisor import Supervisor

logger = logging.getLogger(__name__)

PIPELINE_SERVICES = ("ingest", "ocr", "classify", "router", "trainer")
API_START_TIMEOUT_S = 60.0


@dataclass
class EmbeddedStack:
    """Starts what is missing, then the services, and restarts any that exits (see `wait`);
    `stop()` stops all in reverse order."""

    data_dir: Path
    api_port: int = 8080
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    # The console (services/console), a client of the API; 0 picks a free port.
    console_port: int = 8090
    env: dict[str, str] = field(default_factory=dict)
    supervisor: Supervisor = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.supervisor = Supervisor(self.policy)

    @property
    def processes(self) -> list[ManagedProcess]:
        return self.supervisor.processes

    def start(self) -> None:
        configured = ServiceSettings()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stack = DevStack(self.data_dir, env=dict(os.environ), supervisor=self.supervisor)
        if configured.s3.endpoint_url is None:
            stack.start_s3(configured.s3.bucket, data_dir=self.data_dir / "s3")
        else:
            stack.use_s3(configured.s3)
        # Tansu keeps its log in the local S3 server, so topics survive a restart too (with an
        # external S3 whose credentials Tansu does not get, it runs in memory).
        if "KAFKA_BOOTSTRAP_SERVERS" in os.environ or "DOCROUTE_KAFKA__BOOTSTRAP_SERVERS" in os.environ:
            stack.use_broker(configured.kafka)
        else:
            stack.start_broker(configured.kafka, durable=configured.s3.endpoint_url is None)
        env = stack.env
        if "DATABASE_URL" not in os.environ and "DOCROUTE_DATABASE__URL" not in os.environ:
            stack.use_database(f"sqlite:///{self.data_dir / 'docroute.db'}")
        if "DOCROUTE_ADMIN_API_KEY" not in env:
            env["DOCROUTE_ADMIN_API_KEY"] = _admin_key(self.data_dir)
        if "DOCROUTE_CONSOLE_SECRET" not in env:
            env["DOCROUTE_CONSOLE_SECRET"] = _secret(self.data_dir / "console-secret")
        env.setdefault("DOCROUTE_DATA_DIR", str(self.data_dir / "services"))
        self.env = env
        for name in PIPELINE_SERVICES:
            stack.start_service(name, port=free_port())
        # Restarts do not wait for the port: a slow start is not a crash.
        api = stack.start_service("api", port=self.api_port)
        try:
            wait_for_port(self.api_port, timeout_s=API_START_TIMEOUT_S, process=api.process)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"api failed to start ({exc}); see {api.log_path}") from exc
        console_port = self.console_port or free_port()
        stack.start_service("console", port=console_port, DOCROUTE_API_URL=f"http://{HOST}:{self.api_port}")
        logger.info(
            "docroute is up: console on http://%s:%d (sign in with the admin API key), API on "
            "http://%s:%d/docs, logs in %s",
            HOST,
            console_port,
            HOST,
            self.api_port,
            stack.logs,
        )

    def wait(self) -> None:
        """Restart whatever exits, with backoff; raises CrashLoopError when one keeps crashing."""
        self.supervisor.watch()

    def stop(self) -> None:
        """Services first (together: each finishes its message and commits), then broker, then S3."""
        self.supervisor.stop()


def _admin_key(data_dir: Path) -> str:
    """The embedded default's admin API key: made once, kept (owner-only) under the data dir."""
    path = data_dir / "admin-api-key"
    key = _secret(path)
    logger.info("admin API key: %s (send it as `Authorization: Bearer ...`)", path.resolve())
    return key


def _secret(path: Path) -> str:
    """A random secret made once and kept (owner-only) at `path`."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()
