"""Keeps the embedded stack's children running: a child that exits is restarted with backoff
(`docroute.restart_policy`) and the log says which, how it ended, the attempt, the delay and its
log file. A crash loop ends the watch with the reason; stopping is the caller's choice."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

from docroute.processes import ManagedProcess, stop_all
from docroute.restart_policy import CrashHistory, RestartPolicy

logger = logging.getLogger(__name__)

Launch = Callable[[], ManagedProcess]


class CrashLoopError(RuntimeError):
    """A child crashed too often to restart it again."""


@dataclass
class _Child:
    name: str
    launch: Launch
    process: ManagedProcess
    history: CrashHistory
    infrastructure: bool
    started_at: float = field(default_factory=time.monotonic)
    restart_at: float | None = None


class Supervisor:
    """Starts children and restarts those that exit, until a crash loop.

    Usage::

        supervisor = Supervisor()
        supervisor.launch("s3", lambda: start_s3_server(data, logs, port=port), infrastructure=True)
        try:
            supervisor.watch()  # returns only by raising: CrashLoopError, KeyboardInterrupt
        finally:
            supervisor.stop()
    """

    def __init__(self, policy: RestartPolicy | None = None, poll_s: float = 0.25) -> None:
        self._policy = policy or RestartPolicy()
        self._poll_s = poll_s
        self._children: list[_Child] = []

    @property
    def processes(self) -> list[ManagedProcess]:
        return [child.process for child in self._children]

    def launch(self, name: str, launch: Launch, *, infrastructure: bool = False) -> ManagedProcess:
        """Start a child; `launch` must start it again the same way (same ports, same data)."""
        process = launch()
        self._children.append(_Child(name, launch, process, CrashHistory(self._policy), infrastructure))
        return process

    def replace(self, name: str, process: ManagedProcess) -> ManagedProcess:
        """`process` is now the child `name` (restarted by the caller, e.g. after a signal)."""
        child = next(c for c in reversed(self._children) if c.name == name)
        child.process, child.started_at, child.restart_at = process, time.monotonic(), None
        return process

    def remove(self, processes: list[ManagedProcess]) -> None:
        """Stop these children together and forget them."""
        stop_all(processes)
        self._children = [c for c in self._children if c.process not in processes]

    def watch(self) -> NoReturn:
        """Restart children that exit; raises CrashLoopError when one keeps crashing."""
        while True:
            self.check(time.monotonic())
            time.sleep(self._poll_s)

    def check(self, now: float) -> None:
        for child in self._children:
            if child.restart_at is None and not child.process.running():
                self._on_exit(child, now, _describe_exit(child.process.process.returncode))
            elif child.restart_at is not None and now >= child.restart_at:
                self._restart(child, now)

    def stop(self) -> None:
        """Services first (together: each finishes its message and commits), then infrastructure
        in reverse order of start."""
        stop_all([c.process for c in self._children if not c.infrastructure])
        for child in reversed([c for c in self._children if c.infrastructure]):
            child.process.stop()
        self._children.clear()

    def _on_exit(self, child: _Child, now: float, how: str) -> None:
        decision = child.history.on_crash(now, ran_for_s=now - child.started_at)
        log = child.process.log_path
        if not decision.restart:
            raise CrashLoopError(f"{child.name} {decision.give_up_reason} (last: {how}); see {log}")
        logger.warning(
            "%s %s; restart %d in %.1fs; see %s",
            child.name,
            how,
            decision.attempt,
            decision.delay_s,
            log,
            extra={"child": child.name, "attempt": decision.attempt, "delay_s": decision.delay_s},
        )
        child.restart_at = now + decision.delay_s

    def _restart(self, child: _Child, now: float) -> None:
        child.restart_at = None
        child.process.stop()  # exited already: releases its log file
        try:
            child.process = child.launch()
        except RuntimeError as exc:
            child.started_at = now
            self._on_exit(child, now, f"did not start again ({exc})")
            return
        child.started_at = time.monotonic()
        logger.info("%s restarted (pid %d)", child.name, child.process.process.pid)


def _describe_exit(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name} (exit code {returncode})"
    return f"exited with code {returncode}"
