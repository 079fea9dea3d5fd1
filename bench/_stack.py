"""The whole pipeline as separate processes on the development stack the tests use
(`docroute.devstack`): localbucket S3, Tansu, PostgreSQL (SQLite where none answers), then every
service, each on 127.0.0.1.

A sampler thread follows each process's RSS and CPU time with psutil; `stop()` stops them all
and drops the database, and is safe to call twice. `restart()` stops one process with a signal
and starts it again as it was (same port, same environment; the broker on the same storage).

`console_stack()` is that stack plus the web console (services/console), in a temporary folder.

With `code_dir` (see `freeze_code`), every process runs a copy of the code taken when the run
began, not the working tree: a service restarted mid-run otherwise loads whatever the tree holds
by then, and an event contract changed meanwhile makes the services disagree (the likely cause
of one fault run's 18 `invalid_event` dead letters: it ran while `escalated_pages` was added to
`document.text_extracted` v1; OCR, restarted, sent it, and classify, started before, refused it).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from docroute import devstack
from docroute.devstack import DatabaseUnavailableError, DevStack, wait_ready
from docroute.kafka import provision_topics
from docroute.processes import HOST, ManagedProcess, free_port
from docroute.settings import KafkaSettings, S3Settings

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("ingest", "ocr", "classify", "router", "trainer", "api")
POSTGRES_ADMIN_URL = os.environ.get("DOCROUTE_TEST_POSTGRES", devstack.POSTGRES_ADMIN_URL)
BUCKET = "docroute-bench"
# What the services load at run time: their code, the shared package, the event contracts.
RUNTIME_CODE = ("docroute", "services", "schemas")


def settings_of(pairs: Sequence[str]) -> dict[str, str]:
    """Service settings from a bench's NAME=VALUE arguments (`--env`, `--service-env`)."""
    return dict(pair.split("=", 1) for pair in pairs)


def _histogram_totals(port: int, family_name: str) -> tuple[float, float]:
    """(sum, count) of the histogram `family_name` over its labels, from /metrics on `port`;
    (0, 0) when the process has no such histogram."""
    text = httpx.get(f"http://{HOST}:{port}/metrics", timeout=5).text
    total = count = 0.0
    for family in text_string_to_metric_families(text):
        if family.name == family_name:
            for sample in family.samples:
                total += sample.value if sample.name.endswith("_sum") else 0.0
                count += sample.value if sample.name.endswith("_count") else 0.0
    return total, count


def handled_on(port: int) -> tuple[float, float]:
    """(seconds, messages) the handlers of the service whose metrics are on `port` took so far,
    produce included, from `docroute_processing_seconds`."""
    return _histogram_totals(port, "docroute_processing_seconds")


def projected_on(port: int) -> tuple[float, float]:
    """(events, batches) the API's projection on `port` applied so far, from
    `docroute_api_projection_batch_events`; (0, 0) from code without it."""
    return _histogram_totals(port, "docroute_api_projection_batch_events")


def batched_on(port: int) -> tuple[float, float]:
    """(messages, batches) the batch handler of the service on `port` took so far, from
    `docroute_batch_messages`; (0, 0) from code without it."""
    return _histogram_totals(port, "docroute_batch_messages")


def freeze_code(run_dir: Path, *, committed: bool = True, commit: str = "HEAD") -> Path:
    """A copy of the code the services run, under `run_dir`; pass it to `Stack` as `code_dir`.

    `committed`: the code of `commit` (`git archive`), without the edits in progress that a
    shared working tree holds; otherwise the working tree as it is now.
    """
    code_dir = run_dir / "code"
    if committed:
        code_dir.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, *RUNTIME_CODE], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(code_dir, filter="data")
        return code_dir
    for name in RUNTIME_CODE:
        shutil.copytree(ROOT / name, code_dir / name, ignore=shutil.ignore_patterns("__pycache__"))
    return code_dir


class Stack:
    """Starts broker, S3, database and the six services; `stop()` undoes all of it."""

    def __init__(
        self,
        run_dir: Path,
        *,
        database: str = "postgres",
        durable_broker: bool = False,
        service_env: dict[str, str] | None = None,
        one_service_env: dict[str, dict[str, str]] | None = None,
        code_dir: Path | None = None,
    ) -> None:
        self.run_dir = run_dir
        # Children start in it: `python -m services.<name>` imports from the working directory
        # first (before PYTHONPATH and the editable install).
        self.code_dir = code_dir or ROOT
        # Settings for every service (DOCROUTE_...=...), e.g. to compare one knob's values.
        self.service_env = dict(service_env or {})
        # Settings for one service only ({"ocr": {...}}), over those above.
        self.one_service_env = {name: dict(env) for name, env in (one_service_env or {}).items()}
        self.database = database
        self.durable_broker = durable_broker
        self.dev = DevStack(run_dir)
        self.ports: dict[str, int] = {}
        self.database_url = ""
        # The operator's key (DOCROUTE_ADMIN_API_KEY): the API asks for a key; the admin's has no rate limit.
        self.admin_api_key = secrets.token_urlsafe(32)
        self.kafka = KafkaSettings()
        self.s3 = S3Settings()
        self._pg_url: str | None = None
        self._peak_rss: dict[str, int] = {}
        self._handles: dict[str, psutil.Process] = {}
        self._stop_sampling = threading.Event()
        self._sampler = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    @property
    def processes(self) -> dict[str, ManagedProcess]:
        return self.dev.processes

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.ports['api']}"

    def start(self, ready_timeout_s: float = 240.0) -> None:
        """Start everything, services all at once, and wait until each answers /readyz."""
        with contextlib.chdir(self.code_dir):
            self._start()
        for name in SERVICES:
            self._wait_ready(name, ready_timeout_s)

    def _start(self) -> None:
        self.s3 = self.dev.start_s3(BUCKET)
        self.kafka = self.dev.start_broker(
            KafkaSettings(partitions=2), durable=self.durable_broker, provision=False
        )
        self.database_url = self._create_database()
        self.dev.use_database(self.database_url)
        provision_topics(self.kafka)
        self.dev.env.update(
            DOCROUTE_ADMIN_API_KEY=self.admin_api_key,
            DOCROUTE_LOG_LEVEL="INFO",
            OMP_THREAD_LIMIT="1",
            PYTHONPATH=str(self.code_dir),
            **self.service_env,
        )
        for process in self.processes.values():
            self._track(process)
        self._sampler.start()
        for name in SERVICES:
            port = self.ports[name] = free_port()
            self._track(self.dev.start_service(name, port=port, **self.one_service_env.get(name, {})))

    def restart(self, name: str, sig: signal.Signals, stop_timeout_s: float = 60.0) -> float:
        """Stop `name` with `sig` (SIGKILL after `stop_timeout_s`) and start it again as it was;
        returns the seconds it took to exit. Does not wait for readiness: see `wait_ready`."""
        process = self.processes[name]
        began = time.monotonic()
        if process.running():
            process.process.send_signal(sig)
        process.stop(stop_timeout_s)  # waits; SIGTERM then SIGKILL if it is still there
        exited = time.monotonic() - began
        with contextlib.chdir(self.code_dir):
            self._track(self.dev.relaunch(name))
        return exited

    def wait_ready(self, name: str, timeout_s: float = 240.0) -> None:
        """Until the service `name` answers /readyz with 200."""
        self._wait_ready(name, timeout_s)

    def check_running(self) -> None:
        """Raise with the log's tail when a process has died."""
        for name, process in self.processes.items():
            if not process.running():
                tail = process.log_path.read_text(errors="replace")[-2000:] if process.log_path else ""
                raise RuntimeError(f"{name} exited with {process.process.returncode}:\n{tail}")

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU seconds each process has used so far."""
        out = {}
        for name, handle in list(self._handles.items()):
            try:
                times = handle.cpu_times()
                out[name] = times.user + times.system
            except psutil.Error:
                continue
        return out

    def handling(self) -> dict[str, tuple[float, float]]:
        """Per stream service: (seconds, messages) its handlers took so far, produce included,
        from `docroute_processing_seconds` on its /metrics; "api projection": (events, batches);
        "classify batches": (messages, batches) its batch handler took."""
        out = {}
        for name in SERVICES[:-1]:
            try:
                out[name] = handled_on(self.ports[name])
            except httpx.HTTPError:
                continue
        with contextlib.suppress(httpx.HTTPError):  # the API: (events, batches) its projection applied
            out["api projection"] = projected_on(self.ports["api"])
        with contextlib.suppress(httpx.HTTPError):
            out["classify batches"] = batched_on(self.ports["classify"])
        return out

    def peak_rss(self) -> dict[str, int]:
        """Peak RSS per process in bytes: the kernel's high-water mark, else the sampled maximum."""
        peaks = dict(self._peak_rss)
        for name, process in self.processes.items():
            try:
                for line in Path(f"/proc/{process.process.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[name] = max(peaks.get(name, 0), int(line.split()[1]) * 1024)
            except OSError:
                continue
        return peaks

    def stop(self) -> None:
        """Services together (SIGTERM to all first, so their shutdowns overlap), then broker, then S3."""
        self._stop_sampling.set()
        self.dev.stop()
        if self._pg_url is not None:
            devstack.drop_postgres_database(self._pg_url, POSTGRES_ADMIN_URL)
            self._pg_url = None

    def _track(self, process: ManagedProcess) -> None:
        self._handles[process.name] = psutil.Process(process.process.pid)

    def _create_database(self) -> str:
        if self.database == "postgres":
            try:
                self._pg_url = devstack.create_postgres_database("docroute_bench", POSTGRES_ADMIN_URL)
            except DatabaseUnavailableError as exc:
                logger.warning("%s; using SQLite", exc)
            else:
                return self._pg_url
        self.database = "sqlite"
        return f"sqlite:///{self.run_dir / 'docroute.db'}"

    def _wait_ready(self, name: str, timeout_s: float) -> None:
        url = f"http://{HOST}:{self.ports[name]}/readyz"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_running()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{name} not ready after {timeout_s}s; see {self.processes[name].log_path}")

    def _sample(self) -> None:
        while not self._stop_sampling.wait(0.5):
            for name, handle in list(self._handles.items()):
                try:
                    rss = handle.memory_info().rss
                except psutil.Error:
                    continue
                self._peak_rss[name] = max(self._peak_rss.get(name, 0), rss)


@contextlib.contextmanager
def console_stack(prefix: str, ready_timeout_s: float = 120.0) -> Iterator[tuple[Stack, str]]:
    """The stack and the console in a temporary folder named `prefix...`: yields the stack and the
    console's address once both answer; stops everything and removes the folder on the way out."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        stack = Stack(Path(tmp))
        try:
            stack.start()
            port = free_port()
            console = stack.dev.start_service(
                "console", port=port, wait_for_port=True, DOCROUTE_API_URL=stack.api_url
            )
            wait_ready(console, port, ready_timeout_s)
            yield stack, f"http://{HOST}:{port}"
        finally:
            stack.stop()
