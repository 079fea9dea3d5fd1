"""When a supervisor restarts a crashed child: exponential backoff, reset after a stable run,
and a crash loop (too many crashes within a window) that ends the restarts with a reason."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    """Backoff doubles from `first_delay_s` to `max_delay_s`; `loop_crashes` within `loop_window_s`
    is a crash loop; a child that ran `stable_after_s` starts again from the first delay."""

    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    loop_crashes: int = 5
    loop_window_s: float = 120.0
    stable_after_s: float = 60.0


@dataclass(frozen=True)
class RestartDecision:
    """What to do after one crash: restart after `delay_s` (attempt `attempt`), or give up with `reason`."""

    attempt: int
    delay_s: float
    give_up_reason: str | None = None

    @property
    def restart(self) -> bool:
        return self.give_up_reason is None


class CrashHistory:
    """One child's recent crashes; `on_crash` decides what follows each one."""

    def __init__(self, policy: RestartPolicy) -> None:
        self._policy = policy
        self._crashes: deque[float] = deque()
        self._attempt = 0

    def on_crash(self, now: float, ran_for_s: float) -> RestartDecision:
        """A crash at `now` (seconds, any monotonic clock) after running `ran_for_s`."""
        policy = self._policy
        if ran_for_s >= policy.stable_after_s:
            self._attempt = 0
        self._attempt += 1
        self._crashes.append(now)
        while self._crashes and now - self._crashes[0] > policy.loop_window_s:
            self._crashes.popleft()
        delay_s = min(policy.max_delay_s, policy.first_delay_s * 2 ** (self._attempt - 1))
        if len(self._crashes) >= policy.loop_crashes:
            reason = f"crashed {len(self._crashes)} times within {policy.loop_window_s:.0f}s"
            return RestartDecision(self._attempt, delay_s, give_up_reason=reason)
        return RestartDecision(self._attempt, delay_s)
