"""A child process that ends when the process that started it dies, however it dies.

A child started in a session of its own (so Ctrl-C in a terminal reaches only the parent, which
stops its children in order) outlives a parent killed with SIGKILL: the broker, the S3 server
and the services of a cut-off test run or a killed `docroute up` kept running, holding ports and
CPU. Linux's PR_SET_PDEATHSIG has the kernel send the child SIGTERM, which every docroute service
and Tansu handle as a graceful stop. Elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def exit_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for `subprocess.Popen` that asks the kernel to send the child SIGTERM when
    this process dies; None where that cannot be asked for. Only from the main thread: the
    signal follows the thread that started the child, and another thread may end before the
    process does."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    # Loaded here, not in the child: between fork and exec the child only makes two calls.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request was made
            os.kill(os.getpid(), signal.SIGTERM)

    return in_child
