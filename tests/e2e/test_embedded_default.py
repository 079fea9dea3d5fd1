"""The README's first command: `docroute up` starts everything on 127.0.0.1, keeps workflows
across a restart, restarts a child that dies, ends a crash loop with its reason, writes only
under its data directory, and Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx
import psutil

from docroute.processes import free_port
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.polling import wait_until

# What the test session configured for its own broker, S3 and database must not leak in.
_EXTERNAL = ("DOCROUTE_", "KAFKA_", "AWS_", "DATABASE_URL")


def _up(
    data_dir: Path | None,
    port: int,
    log: IO[bytes],
    *options: str,
    cwd: Path | None = None,
    **extra_env: str,
) -> subprocess.Popen[bytes]:
    """`docroute up`; without `data_dir`, its default (`.docroute` in `cwd`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_EXTERNAL)} | extra_env
    argv = [sys.executable, "-m", "docroute.cli", "up", "--api-port", str(port), *options]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)


def _ready(port: int | str) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# How each child's command line ends in its name.
_PROGRAMS = {"ocr": "services.ocr", "api": "services.api", "s3": "localbucket"}


def _child(up: subprocess.Popen[bytes], name: str) -> psutil.Process | None:
    """The running process `name` that `docroute up` started."""
    for child in psutil.Process(up.pid).children():
        try:
            running = child.status() != psutil.STATUS_ZOMBIE
            if running and any(arg.endswith(_PROGRAMS[name]) for arg in child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def _replaced(up: subprocess.Popen[bytes], service: str, old_pid: int) -> psutil.Process | None:
    child = _child(up, service)
    return child if child is not None and child.pid != old_pid else None


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


def test_up_restarts_killed_children_and_writes_only_under_its_data_dir(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    port = free_port()
    log_path = tmp_path / "up.log"
    with log_path.open("ab") as log:
        up = _up(None, port, log, cwd=work)
        try:
            _kill_and_check_restarts(up, port, work / ".docroute", log_path)
        finally:
            children = _interrupt(up)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    # faust's `docroute-*-data` folders and everything else live under the data directory.
    assert [p.name for p in work.iterdir()] == [".docroute"]
    assert (work / ".docroute" / "services" / "docroute-ocr-data").is_dir()


def _kill_and_check_restarts(up: subprocess.Popen[bytes], port: int, data_dir: Path, log_path: Path) -> None:
    wait_until(lambda: _ready(port), 240, "docroute up never became ready")
    admin = {"Authorization": f"Bearer {(data_dir / 'admin-api-key').read_text().strip()}"}
    created = httpx.post(
        f"http://127.0.0.1:{port}/workflows",
        headers=admin,
        timeout=30,
        json={"name": "healing", "labels": ["invoice", "payslip"]},
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    killed = {name: wait_until(lambda n=name: _child(up, n), 60, f"no {name}") for name in _PROGRAMS}
    for process in killed.values():
        process.kill()

    for name, old in killed.items():
        wait_until(lambda n=name, o=old: _replaced(up, n, o.pid), 120, f"{name} was not restarted")
    ocr = _child(up, "ocr")
    assert ocr is not None
    wait_until(lambda: _ready(ocr.environ()["DOCROUTE_HEALTH_PORT"]), 180, "restarted ocr never ready")
    wait_until(lambda: _ready(port), 180, "restarted api never ready")
    logs = data_dir.resolve() / "logs"
    said = log_path.read_text()
    for name in _PROGRAMS:
        assert (
            f"{name} was killed by SIGKILL (exit code -9); restart 1 in 1.0s; see {logs / name}.log" in said
        )

    # The restarted stack serves: a sample goes through the door, S3, ingest and the new OCR.
    rng = random.Random(3)
    upload = httpx.post(
        f"http://127.0.0.1:{port}/workflows/{key}/samples",
        headers=admin,
        timeout=30,
        files={"file": ("invoice.pdf", make_text_pdf(document_lines("invoice", rng)))},
        data={"label": "invoice"},
    )
    assert upload.status_code == 202, upload.text
    document = f"http://127.0.0.1:{port}/documents/{upload.json()['document_id']}"

    def extracted() -> bool:
        status = httpx.get(document, headers=admin, timeout=30).json()["status"]
        assert status != "failed"
        return status == "extracted"

    wait_until(extracted, 180, "the sample was not OCR'd after the restarts")


def test_up_ends_a_crash_loop_with_the_reason(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "up.log"
    with log_path.open("ab") as log:
        # An engine OCR does not have: its settings fail at every start.
        up = _up(tmp_path / "data", port, log, "--crash-loop", "3/600", DOCROUTE_WARM_ENGINES='["none"]')
        try:
            wait_until(lambda: "ocr exited with code 1; restart 1 in 1.0s" in log_path.read_text(), 240)
            children = psutil.Process(up.pid).children(recursive=True)
            assert up.wait(240) == 1
        finally:
            if up.poll() is None:
                _interrupt(up)
    said = log_path.read_text()
    assert "ocr exited with code 1; restart 2 in 2.0s" in said
    assert "stopping everything: ocr crashed 3 times within 600s (last: exited with code 1); see" in said
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
