"""A service that crashes in a test module is reported with the end of its log (the fault
handler's stacks), not only by the tests after it failing to connect."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from docroute.processes import spawn
from tests.fixtures.infra import crash_report

CRASH = "import faulthandler, os, signal; faulthandler.enable(); print('reading page 2', flush=True); os.kill(os.getpid(), signal.SIGSEGV)"  # noqa: E501


def test_a_crashed_service_is_reported_with_its_stacks(tmp_path: Path) -> None:
    crashed = spawn("api", [sys.executable, "-c", CRASH], log_dir=tmp_path)
    crashed.process.wait(30)
    report = crash_report(crashed)
    crashed.stop()
    assert report is not None
    assert report.startswith("api crashed (SIGSEGV)")
    assert "reading page 2" in report and "Fatal Python error: Segmentation fault" in report


def test_a_service_stopped_killed_or_exited_is_not_a_crash(tmp_path: Path) -> None:
    waiting = spawn("ocr", [sys.executable, "-c", "import signal; signal.pause()"], log_dir=tmp_path)
    assert crash_report(waiting) is None  # running, until a signal ends it
    waiting.process.send_signal(signal.SIGKILL)
    waiting.process.wait(30)
    assert crash_report(waiting) is None
    waiting.stop()
    done = spawn("router", [sys.executable, "-c", "raise SystemExit(3)"], log_dir=tmp_path)
    done.process.wait(30)
    assert crash_report(done) is None
    done.stop()
