"""One development stack for the embedded default (`docroute up`), the test suite and the bench:
the S3 server, the Tansu broker (on that S3 server's storage, or in memory), the database, and
docroute's services with the environment that points them at all three, on 127.0.0.1.

Each caller starts only what it needs, with its own options; the stack provisions the bucket and
the topics, keeps the processes and stops them (services together first, then the broker, then
S3). With a `Supervisor` (the embedded default) a child that exits is started again the same way:
same port, same storage, its topics provisioned again.

Usage::

    stack = DevStack(run_dir)
    stack.start_s3("docroute-test")
    stack.start_broker(KafkaSettings(partitions=2))
    stack.use_database(create_postgres_database("docroute"))
    port = free_port()
    wait_ready(stack.start_service("ocr", port=port), port, timeout_s=120)
    ...
    stack.stop()
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import psycopg
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
)
from docroute.settings import KafkaSettings, S3Settings
from docroute.supervisor import Supervisor

logger = logging.getLogger(__name__)

# The local PostgreSQL of development machines and CI: trust auth, database `test`.
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Where Tansu keeps its log on the local S3 server.
BROKER_BUCKET = "tansu"
# The stream services' fetch wait while documents flow (docroute.fetch_wait): Tansu answers an
# empty fetch when its wait is over, so each hop waited up to 100 ms; idle, they wait 100 ms again.
TANSU_ACTIVE_FETCH_WAIT_MS = 20
# Consumers on no document's way (settings views' followers, the trainer): a change a stage needs
# is read on demand, so this bounds only how late the rest hears of it (a new live version, a
# sample deleted, a training request), here at most a second, for a tenth of the idle fetches.
TANSU_BACKGROUND_FETCH_WAIT_MS = 1000
# What the caller's environment configured for its own broker, S3 and database must not leak in.
_OUTSIDE_SETTINGS = ("DOCROUTE_", "KAFKA_", "AWS_")


class DatabaseUnavailableError(RuntimeError):
    """The PostgreSQL server that should hold the run's database did not answer."""


def create_postgres_database(prefix: str, admin_url: str = POSTGRES_ADMIN_URL) -> str:
    """A new, empty database `<prefix>_<random>` on `admin_url`'s server; its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailableError(f"PostgreSQL did not answer at {admin_url}: {exc}") from exc
    server = admin_url.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+psycopg://{server}/{name}"


def drop_postgres_database(url: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    """Drop the database `create_postgres_database` made, even with sessions still open."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clean_environment() -> dict[str, str]:
    """This process's environment without its DOCROUTE_/KAFKA_/AWS_ settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_OUTSIDE_SETTINGS)}


def wait_ready(process: ManagedProcess, port: int, timeout_s: float) -> None:
    """Until `process` answers /readyz on `port` with 200; raises with its log when it exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not process.running():
            tail = process.log_path.read_text(errors="replace")[-3000:] if process.log_path else ""
            raise RuntimeError(f"{process.name} exited with {process.process.returncode}; log:\n{tail}")
        try:
            if httpx.get(f"http://{HOST}:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{process.name} not ready after {timeout_s}s; see {process.log_path}")


class DevStack:
    """Broker, S3, database and services on 127.0.0.1; `env` is what the services get."""

    def __init__(
        self, run_dir: Path, *, env: dict[str, str] | None = None, supervisor: Supervisor | None = None
    ) -> None:
        self.run_dir = run_dir
        self.logs = run_dir / "logs"
        self.env = clean_environment() if env is None else env
        self.env.setdefault("HF_HUB_OFFLINE", "1")
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        # A native crash (PDFium, Paddle, torch) prints every thread's Python stack to its log.
        self.env.setdefault("PYTHONFAULTHANDLER", "1")
        self.supervisor = supervisor or Supervisor()
        self.s3: S3Settings | None = None
        self.kafka: KafkaSettings | None = None
        self._launchers: dict[str, Callable[[], ManagedProcess]] = {}

    @property
    def processes(self) -> dict[str, ManagedProcess]:
        """The current process of each child, by name."""
        return {process.name: process for process in self.supervisor.processes}

    def start_s3(self, bucket: str, *, data_dir: Path | None = None) -> S3Settings:
        """The local S3 server (buckets as folders under `data_dir`, default `run_dir/s3`) with
        `bucket` made; the services' S3 settings point at it."""
        port = free_port()
        launch = partial(start_s3_server, data_dir or self.run_dir / "s3", self.logs, port)
        self._launch("s3", launch, infrastructure=True)
        self.s3 = S3Settings(
            endpoint_url=f"http://{HOST}:{port}",
            bucket=bucket,
            access_key_id=SecretStr(LOCAL_S3_KEY),
            secret_access_key=SecretStr(LOCAL_S3_KEY),
        )
        self.env.update(
            DOCROUTE_S3__ENDPOINT_URL=str(self.s3.endpoint_url),
            DOCROUTE_S3__ACCESS_KEY_ID=LOCAL_S3_KEY,
            DOCROUTE_S3__SECRET_ACCESS_KEY=LOCAL_S3_KEY,
            DOCROUTE_S3__BUCKET=bucket,
        )
        BlobStore(self.s3).ensure_bucket()
        return self.s3

    def use_s3(self, settings: S3Settings) -> None:
        """An S3 configured from outside (the services have its settings): its bucket made."""
        self.s3 = settings
        BlobStore(settings).ensure_bucket()

    def start_broker(
        self, settings: KafkaSettings, *, durable: bool = False, provision: bool = True
    ) -> KafkaSettings:
        """Tansu with `settings` (partitions, ...): its log in the local S3 server when `durable`
        (kept across restarts), else in memory (lost, and said so, when it restarts). With
        `provision`, the pipeline topics are created at every start."""
        storage = None
        if durable:
            if self.s3 is None or self.s3.endpoint_url is None:
                raise RuntimeError("a durable broker needs the local S3 server: start_s3 first")
            storage = str(self.s3.endpoint_url)
            BlobStore(self.s3.model_copy(update={"bucket": BROKER_BUCKET})).ensure_bucket()
        port = free_port()
        self.kafka = settings.model_copy(update={"bootstrap_servers": f"{HOST}:{port}"})
        self._launch("broker", partial(self._run_broker, port, storage, provision), infrastructure=True)
        self.env.update(
            DOCROUTE_KAFKA__BOOTSTRAP_SERVERS=self.kafka.bootstrap_servers,
            DOCROUTE_KAFKA__PARTITIONS=str(self.kafka.partitions),
        )
        # Tansu answers a fetch only when its wait is over: a short one while documents flow.
        self.env.setdefault("DOCROUTE_KAFKA__ACTIVE_FETCH_MAX_WAIT_MS", str(TANSU_ACTIVE_FETCH_WAIT_MS))
        self.env.setdefault(
            "DOCROUTE_KAFKA__BACKGROUND_FETCH_MAX_WAIT_MS", str(TANSU_BACKGROUND_FETCH_WAIT_MS)
        )
        return self.kafka

    def use_broker(self, settings: KafkaSettings) -> None:
        """A broker configured from outside (the services have its settings): the topics made."""
        self.kafka = settings
        provision_topics(settings)

    def use_database(self, url: str) -> None:
        self.env["DOCROUTE_DATABASE__URL"] = url

    def start_service(
        self, name: str, *, port: int | None = None, wait_for_port: bool = False, **extra_env: str
    ) -> ManagedProcess:
        """`python -m services.<name>` with the stack's env; its health (the API: its own) port
        is `port`. With `wait_for_port`, returns once the port accepts."""
        env = {**self.env, **extra_env}
        if port is not None:
            env.update(DOCROUTE_HEALTH_PORT=str(port), DOCROUTE_PORT=str(port))
        launch = partial(start_service, name, env, self.logs, port=port if wait_for_port else None)
        return self._launch(name, launch, infrastructure=False)

    def relaunch(self, name: str) -> ManagedProcess:
        """Start `name` again as it was started (same port, same environment, same storage);
        the old process must have exited."""
        return self.supervisor.replace(name, self._launchers[name]())

    def stop_services(self, processes: list[ManagedProcess]) -> None:
        """Stop these services together (each finishes its message and commits) and forget them."""
        self.supervisor.remove(processes)

    def stop(self) -> None:
        """Services first (together: each finishes its message and commits), then broker, then S3."""
        self.supervisor.stop()

    def _launch(
        self, name: str, launch: Callable[[], ManagedProcess], *, infrastructure: bool
    ) -> ManagedProcess:
        self._launchers[name] = launch
        return self.supervisor.launch(name, launch, infrastructure=infrastructure)

    def _run_broker(self, port: int, storage: str | None, provision: bool) -> ManagedProcess:
        if "broker" in self.processes and storage is None:
            logger.warning("the broker kept its log in memory: messages not yet consumed are lost")
        broker = start_broker(self.logs, port, s3_endpoint=storage, bucket=BROKER_BUCKET)
        if provision and self.kafka is not None:
            try:
                provision_topics(self.kafka)  # after a restart in memory, the topics are gone
            except BrokerUnavailableError as exc:
                broker.stop()
                raise RuntimeError(f"broker started but took no topics: {exc}") from exc
        return broker
