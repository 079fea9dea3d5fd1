"""Rendered Kubernetes manifests for the deploy tests.

With `kubectl` on PATH every overlay and scenario under deploy/k8s is rendered by kustomize, as
CI deploys it. Without it only the base files are parsed (PyYAML), and the tests that need an
overlay's patches or components are skipped with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBECTL = shutil.which("kubectl")
NO_KUBECTL = "kubectl not on PATH: overlays cannot be rendered (bash .ci/validate-deploy installs it)"


@dataclass
class Rendering:
    """One kustomization's objects."""

    name: str
    docs: list[dict[str, Any]]
    rendered: bool  # False: base files parsed without kustomize
    by_kind: dict[str, list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_kind = {}
        for doc in self.docs:
            self.by_kind.setdefault(doc["kind"], []).append(doc)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return self.by_kind.get(kind, [])

    def named(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((d for d in self.of(kind) if d["metadata"]["name"] == name), None)


def _kustomizations() -> list[Path]:
    dirs = [K8S / "base"]
    for group in ("overlays", "tests"):
        dirs += sorted(p.parent for p in (K8S / group).glob("*/kustomization.yaml"))
    return dirs


def _load(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def _render(path: Path) -> Rendering:
    name = str(path.relative_to(K8S))
    if KUBECTL:
        out = subprocess.run(
            [KUBECTL, "kustomize", str(path)], capture_output=True, text=True, check=False, timeout=120
        )
        assert out.returncode == 0, f"kubectl kustomize {name} failed:\n{out.stderr}"
        return Rendering(name, _load(out.stdout), rendered=True)
    docs: list[dict[str, Any]] = []
    for file in sorted((K8S / "base").glob("*.yaml")):
        if file.name != "kustomization.yaml":
            docs += _load(file.read_text())
    return Rendering(name, docs, rendered=False)


KUSTOMIZATIONS = _kustomizations() if KUBECTL else [K8S / "base"]


@pytest.fixture(scope="session", params=KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(K8S)))
def rendering(request: pytest.FixtureRequest) -> Rendering:
    return _render(request.param)


@pytest.fixture(scope="session")
def overlays() -> dict[str, Rendering]:
    if not KUBECTL:
        pytest.skip(NO_KUBECTL)
    return {p.name: _render(p) for p in _kustomizations() if p.parent.name == "overlays"}
