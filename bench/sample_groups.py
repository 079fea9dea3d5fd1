"""Label by groups on real documents: the purity of the API's grouping (TF-IDF of words and
character n-grams, k-means; services/api/training/service/grouping.py) on the real-document
corpus (bench/corpus, its text as the OCR service reads it, cached by bench/_realdocs.py).

    .venv/bin/python bench/sample_groups.py [--json PATH]

Purity: share of documents whose group's majority kind is their own. Also: the share of a
group's members left checked (not `odd`) that are of the majority kind - what one key labels.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._realdocs import load_corpus
from services.api.training.service.grouping import group_texts, purity

MAX_TEXT_CHARS = 5000  # as the API's route


def _run(name: str, docs: list, k: int) -> dict[str, object]:  # type: ignore[type-arg]
    texts = [d.text[:MAX_TEXT_CHARS] for d in docs]
    truth = [d.kind for d in docs]
    began = time.perf_counter()
    groups = group_texts(texts, k)
    seconds = time.perf_counter() - began
    checked = right = odd = 0
    for group in groups:
        majority = Counter(truth[m.index] for m in group.members).most_common(1)[0][0]
        for m in group.members:
            if m.odd:
                odd += 1
                continue
            checked += 1
            right += truth[m.index] == majority
    return {
        "set": name,
        "documents": len(docs),
        "kinds": len(set(truth)),
        "k": k,
        "purity": round(purity(groups, truth), 3),
        "checked_right": round(right / checked, 3) if checked else None,
        "odd": odd,
        "seconds": round(seconds, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    corpus = [d for d in load_corpus(verbose=False) if d.text.strip()]
    kinds = Counter(d.kind for d in corpus)
    rng = random.Random(1)
    five = [k for k, _ in kinds.most_common(5)]
    subset = [
        d for kind in five for d in rng.sample([d for d in corpus if d.kind == kind], min(100, kinds[kind]))
    ]
    results = [
        _run("all kinds", corpus, len(kinds)),
        _run("5 largest kinds, <= 100 each", subset, 5),
        _run("5 largest kinds, twice as many groups", subset, 10),
    ]
    for r in results:
        print(json.dumps(r))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
