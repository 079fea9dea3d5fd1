"""The embedded default: broker, S3, database and every service on 127.0.0.1, with all data
under one directory so workflows, samples, models and documents survive a restart.

Anything configured from outside (KAFKA_BOOTSTRAP_SERVERS, an S3 endpoint, DATABASE_URL) is
used instead of starting the local one.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from docroute.blobstore import BlobStore
from docroute.kafka import provision_topics
from docroute.processes import (
    HOST,
    LOCAL_S3_KEY,
    ManagedProcess,
    free_port,
    start_broker,
    start_s3_server,
    start_service,
    stop_all,
)
from docroute.settings import S3Settings, ServiceSettings

logger = logging.getLogger(__name__)

PIPELINE_SERVICES = ("ingest", "ocr", "classify", "router", "trainer")
BROKER_BUCKET = "tansu"


@dataclass
class EmbeddedStack:
    """Starts what is missing, then the services; `stop()` stops all in reverse order."""

    data_dir: Path
    api_port: int = 8080
    processes: list[ManagedProcess] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        configured = ServiceSettings()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        logs = self.data_dir / "logs"
        env = dict(os.environ)
        s3_settings, kafka_settings = configured.s3, configured.kafka
        local_s3 = s3_settings.endpoint_url is None
        if local_s3:
            s3 = start_s3_server(self.data_dir / "s3", logs)
            self.processes.append(s3)
            s3_settings = S3Settings(
                endpoint_url=f"http://{HOST}:{s3.port}",
                bucket=s3_settings.bucket,
                access_key_id=SecretStr(LOCAL_S3_KEY),
                secret_access_key=SecretStr(LOCAL_S3_KEY),
            )
            env.update(
                DOCROUTE_S3__ENDPOINT_URL=str(s3_settings.endpoint_url),
                DOCROUTE_S3__ACCESS_KEY_ID=LOCAL_S3_KEY,
                DOCROUTE_S3__SECRET_ACCESS_KEY=LOCAL_S3_KEY,
            )
            BlobStore(s3_settings.model_copy(update={"bucket": BROKER_BUCKET})).ensure_bucket()
        if (
            "KAFKA_BOOTSTRAP_SERVERS" not in os.environ
            and "DOCROUTE_KAFKA__BOOTSTRAP_SERVERS" not in os.environ
        ):
            # Tansu keeps its log in the local S3 server, so topics survive a restart too (with an
            # external S3 whose credentials Tansu does not get, it runs in memory).
            broker_s3 = s3_settings.endpoint_url if local_s3 else None
            broker = start_broker(logs, s3_endpoint=broker_s3, bucket=BROKER_BUCKET)
            self.processes.append(broker)
            kafka_settings = kafka_settings.model_copy(update={"bootstrap_servers": f"{HOST}:{broker.port}"})
            env["DOCROUTE_KAFKA__BOOTSTRAP_SERVERS"] = kafka_settings.bootstrap_servers
        if "DATABASE_URL" not in os.environ and "DOCROUTE_DATABASE__URL" not in os.environ:
            env["DOCROUTE_DATABASE__URL"] = f"sqlite:///{(self.data_dir / 'docroute.db').resolve()}"
        if "DOCROUTE_ADMIN_API_KEY" not in env:
            env["DOCROUTE_ADMIN_API_KEY"] = _admin_key(self.data_dir)
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.env = env
        BlobStore(s3_settings).ensure_bucket()
        provision_topics(kafka_settings)
        for name in PIPELINE_SERVICES:
            self.processes.append(
                start_service(name, {**env, "DOCROUTE_HEALTH_PORT": str(free_port())}, logs)
            )
        self.processes.append(
            start_service("api", {**env, "DOCROUTE_PORT": str(self.api_port)}, logs, port=self.api_port)
        )
        logger.info("docroute is up: API on http://%s:%d/docs, logs in %s", HOST, self.api_port, logs)

    def wait(self) -> None:
        """Block until a process dies (then say which) or the user interrupts."""
        while True:
            for process in self.processes:
                if not process.running():
                    raise RuntimeError(f"{process.name} stopped unexpectedly; see {process.log_path}")
            time.sleep(1)

    def stop(self) -> None:
        """Services first (together: each finishes its message and commits), then broker, then S3."""
        infrastructure = [p for p in self.processes if p.name in ("broker", "s3")]
        stop_all([p for p in self.processes if p not in infrastructure])
        for process in reversed(infrastructure):
            process.stop()
        self.processes.clear()


def _admin_key(data_dir: Path) -> str:
    """The embedded default's admin API key: made once, kept (owner-only) under the data dir."""
    path = data_dir / "admin-api-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    logger.info("admin API key: %s (send it as `Authorization: Bearer ...`)", path.resolve())
    return path.read_text().strip()
