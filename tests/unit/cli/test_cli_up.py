"""`docroute up --crash-loop CRASHES/SECONDS`."""

from __future__ import annotations

import pytest

from docroute.cli import _crash_loop, main


def test_crash_loop_reads_crashes_and_seconds() -> None:
    assert _crash_loop("3/600") == (3, 600.0)
    assert _crash_loop("5/0.5") == (5, 0.5)


@pytest.mark.parametrize("value", ["five", "5", "5/", "0/60", "5/-1", "/60"])
def test_crash_loop_refuses_anything_else(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["up", "--crash-loop", value])
    assert exited.value.code == 2
    assert "--crash-loop" in capsys.readouterr().err
