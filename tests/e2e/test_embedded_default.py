"""The README's first command: `docroute up` starts everything on 127.0.0.1, keeps workflows
across a restart, and Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx
import psutil

from docroute.processes import free_port
from tests.fixtures.polling import wait_until

# What the test session configured for its own broker, S3 and database must not leak in.
_EXTERNAL = ("DOCROUTE_", "KAFKA_", "AWS_", "DATABASE_URL")


def _up(data_dir: Path, port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_EXTERNAL)}
    return subprocess.Popen(
        [sys.executable, "-m", "docroute.cli", "up", "--data-dir", str(data_dir), "--api-port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _interrupt(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """Ctrl-C the command; returns the children it had, to check they are gone."""
    children = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGINT)
    assert process.wait(120) == 0
    return children


def test_up_keeps_data_and_stops_cleanly(tmp_path: Path) -> None:
    with (tmp_path / "up.log").open("ab") as log:
        _run_twice(tmp_path / "data", free_port(), log)


def _run_twice(data_dir: Path, port: int, log: IO[bytes]) -> None:
    first = _up(data_dir, port, log)
    try:
        wait_until(lambda: _ready(port), 240, "docroute up never became ready")
        admin = {"Authorization": f"Bearer {(data_dir / 'admin-api-key').read_text().strip()}"}
        created = httpx.post(
            f"http://127.0.0.1:{port}/workflows",
            headers=admin,
            timeout=30,
            json={"name": "kept", "labels": ["invoice", "payslip"]},
        )
        assert created.status_code == 201, created.text
        key = created.json()["key"]
    finally:
        children = _interrupt(first)
    assert len(children) >= 8  # S3, broker, five pipeline services, the API
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]

    second = _up(data_dir, port, log)
    try:
        wait_until(lambda: _ready(port), 240, "docroute up did not come back")
        again = httpx.get(f"http://127.0.0.1:{port}/workflows/{key}", headers=admin, timeout=30)
        assert again.status_code == 200 and again.json()["name"] == "kept"
    finally:
        _interrupt(second)
