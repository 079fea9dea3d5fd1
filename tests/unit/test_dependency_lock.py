"""constraints.txt holds every dependency pyproject.toml names, at a version its range allows.

A dependency added or re-ranged in pyproject.toml without `make lock` fails here: otherwise the
install would still work, with that package unpinned, and two installs would differ again.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {}).values()
    return [Requirement(line) for group in [project["dependencies"], *extras] for line in group]


def _locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version.strip())
    return pins


def test_the_lock_pins_every_declared_dependency_within_its_range() -> None:
    locked = _locked()
    declared = _declared()
    assert declared
    missing = [str(r) for r in declared if canonicalize_name(r.name) not in locked]
    outside = [
        f"{r} (locked {locked[canonicalize_name(r.name)]})"
        for r in declared
        if canonicalize_name(r.name) in locked
        and not r.specifier.contains(locked[canonicalize_name(r.name)], prereleases=True)
    ]
    assert not missing, f"not in constraints.txt (run `make lock`): {missing}"
    assert not outside, f"locked outside pyproject.toml's range (run `make lock`): {outside}"


def test_every_lock_line_is_an_exact_pin() -> None:
    lines = [
        line
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines
    assert all("==" in line and " @ " not in line for line in lines), [
        line for line in lines if "==" not in line or " @ " in line
    ]
