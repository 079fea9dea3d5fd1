"""The embedded default: broker, S3, database and every service on 127.0.0.1, with all data
under one directory so workflows, samples, models and documents survive a restart.

Anything configured from outside (KAFKA_BOOTSTRAP_SERVERS, an S3 endpoint, DATABASE_URL) is
used instead of starting the local one.

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
from functools import partial
from pathlib import Path

from pydantic import SecretStr

from docroute.blobstore import BlobStore
from docroute.errors import BrokerUnavailableError
from docroute.kafka import provision_topics
from docroute.processes import (
    HOST,
    LOCAL_S3_KEY,
    ManagedProcess,
    free_port,
    start_broker,
    start_s3_server,
    start_service,
    wait_for_port,
)
from docroute.restart_policy import RestartPolicy
from docroute.settings import KafkaSettings, S3Settings, ServiceSettings
from docroute.supervisor import Supervisor

logger = logging.getLogger(__name__)

PIPELINE_SERVICES = ("ingest", "ocr", "classify", "router", "trainer")
BROKER_BUCKET = "tansu"
API_START_TIMEOUT_S = 60.0


@dataclass
class EmbeddedStack:
    """Starts what is missing, then the services, and restarts any that exits (see `wait`);
    `stop()` stops all in reverse order."""

    data_dir: Path
    api_port: int = 8080
    policy: RestartPolicy = field(default_factory=RestartPolicy)
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
        logs = self.data_dir / "logs"
        env = dict(os.environ)
        s3_settings = self._start_s3(configured.s3, env, logs)
        # Tansu keeps its log in the local S3 server, so topics survive a restart too (with an
        # external S3 whose credentials Tansu does not get, it runs in memory).
        storage = s3_settings.endpoint_url if configured.s3.endpoint_url is None else None
        kafka_settings = self._start_broker(configured.kafka, storage, env, logs)
        if "DATABASE_URL" not in os.environ and "DOCROUTE_DATABASE__URL" not in os.environ:
            env["DOCROUTE_DATABASE__URL"] = f"sqlite:///{self.data_dir / 'docroute.db'}"
        if "DOCROUTE_ADMIN_API_KEY" not in env:
            env["DOCROUTE_ADMIN_API_KEY"] = _admin_key(self.data_dir)
        env.setdefault("DOCROUTE_DATA_DIR", str(self.data_dir / "services"))
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.env = env
        BlobStore(s3_settings).ensure_bucket()
        provision_topics(kafka_settings)
        for name in PIPELINE_SERVICES:
            service_env = {**env, "DOCROUTE_HEALTH_PORT": str(free_port())}
            self.supervisor.launch(name, partial(start_service, name, service_env, logs))
        api_env = {**env, "DOCROUTE_PORT": str(self.api_port)}
        # Restarts do not wait for the port: a slow start is not a crash.
        api = self.supervisor.launch("api", partial(start_service, "api", api_env, logs))
        try:
            wait_for_port(self.api_port, timeout_s=API_START_TIMEOUT_S, process=api.process)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"api failed to start ({exc}); see {api.log_path}") from exc
        logger.info("docroute is up: API on http://%s:%d/docs, logs in %s", HOST, self.api_port, logs)

    def wait(self) -> None:
        """Restart whatever exits, with backoff; raises CrashLoopError when one keeps crashing."""
        self.supervisor.watch()

    def stop(self) -> None:
        """Services first (together: each finishes its message and commits), then broker, then S3."""
        self.supervisor.stop()

    def _start_s3(self, settings: S3Settings, env: dict[str, str], logs: Path) -> S3Settings:
        """The local S3 server, unless one is configured; restarted on its port and folder."""
        if settings.endpoint_url is not None:
            return settings
        port = free_port()
        self.supervisor.launch(
            "s3", partial(start_s3_server, self.data_dir / "s3", logs, port), infrastructure=True
        )
        local = S3Settings(
            endpoint_url=f"http://{HOST}:{port}",
            bucket=settings.bucket,
            access_key_id=SecretStr(LOCAL_S3_KEY),
            secret_access_key=SecretStr(LOCAL_S3_KEY),
        )
        env.update(
            DOCROUTE_S3__ENDPOINT_URL=str(local.endpoint_url),
            DOCROUTE_S3__ACCESS_KEY_ID=LOCAL_S3_KEY,
            DOCROUTE_S3__SECRET_ACCESS_KEY=LOCAL_S3_KEY,
        )
        BlobStore(local.model_copy(update={"bucket": BROKER_BUCKET})).ensure_bucket()
        return local

    def _start_broker(
        self, settings: KafkaSettings, storage: str | None, env: dict[str, str], logs: Path
    ) -> KafkaSettings:
        """Tansu, unless a broker is configured; restarted on its port and storage."""
        if "KAFKA_BOOTSTRAP_SERVERS" in os.environ or "DOCROUTE_KAFKA__BOOTSTRAP_SERVERS" in os.environ:
            return settings
        port = free_port()
        local = settings.model_copy(update={"bootstrap_servers": f"{HOST}:{port}"})

        started: list[ManagedProcess] = []

        def launch() -> ManagedProcess:
            if started and storage is None:
                logger.warning("the broker kept its log in memory: messages not yet consumed are lost")
            broker = start_broker(logs, port, s3_endpoint=storage, bucket=BROKER_BUCKET)
            try:
                provision_topics(local)  # after a restart in memory, the topics are gone
            except BrokerUnavailableError as exc:
                broker.stop()
                raise RuntimeError(f"broker started but took no topics: {exc}") from exc
            started.append(broker)
            return broker

        self.supervisor.launch("broker", launch, infrastructure=True)
        env["DOCROUTE_KAFKA__BOOTSTRAP_SERVERS"] = local.bootstrap_servers
        return local


def _admin_key(data_dir: Path) -> str:
    """The embedded default's admin API key: made once, kept (owner-only) under the data dir."""
    path = data_dir / "admin-api-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    logger.info("admin API key: %s (send it as `Authorization: Bearer ...`)", path.resolve())
    return path.read_text().strip()
