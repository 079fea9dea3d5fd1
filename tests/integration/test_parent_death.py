"""A process docroute starts (broker, S3 server, service) ends when its parent is killed."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from docroute.parent_death import exit_with_parent

_PARENT = """
import sys
from pathlib import Path
from docroute.processes import spawn
# A child that waits for a signal and nothing else: it ends only if one reaches it.
child = spawn("waiter", [sys.executable, "-c", "import signal; signal.pause()"], log_dir=Path(sys.argv[1]))
print(child.process.pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", _PARENT, str(tmp_path)]
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as parent:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        try:
            assert child.is_running() and child.status() != psutil.STATUS_ZOMBIE
            parent.send_signal(signal.SIGKILL)  # no chance to stop its children itself
            parent.wait(10)
            child.wait(timeout=20)  # raises TimeoutExpired while the child lives on
        finally:
            if child.is_running():
                child.kill()


def test_only_the_main_thread_asks_for_it() -> None:
    # The kernel's signal follows the thread that started the child, which may end first.
    asked: list[object] = []
    thread = threading.Thread(target=lambda: asked.append(exit_with_parent()))
    thread.start()
    thread.join()
    assert asked == [None]
    assert callable(exit_with_parent())
