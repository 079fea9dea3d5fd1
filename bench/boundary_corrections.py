"""Does a person's correction of a stack's boundaries in review teach the boundary model? (issue 8)

Run from the repository root once the corpus is built (`bench/README.md`)::

    python -m bench.boundary_corrections [--train 20] [--review-stacks 40] [--test-stacks 40]

Real corpus PDFs (text layers) of the kinds `bench/splitting.py` uses, dealt by group (no near-copy
of a document in two sets) into training documents (``--train`` per kind), a review pool and
held-out documents. The boundary model is trained with the trainer's code on the training
documents. Stacks of 2-10 review-pool documents are divided by it, and each stack it divides
wrongly is corrected (its true starts), as a person would in review; the model is trained again
with the first N corrected stacks, the trainer's way (their documents join the samples, each
with the class page models fitted on the samples see in it: `services/trainer/pages.py`), and
measured on the same held-out stacks, of documents neither model saw. Printed side by side for
each N: boundary precision, recall and the share of stacks split exactly.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench.corpus.build import DEFAULT_OUT
from bench.splitting import boundaries, corpus_pdfs, page_texts
from docroute.classifier.boundary import BoundaryModel
from services.trainer.core.boundaries import train_boundary_model
from services.trainer.core.corrections import learnt_documents

Stack = tuple[list[str], set[int]]  # page texts, pages that begin a document (but the first)


def compose(docs: list[list[str]], count: int, rng: random.Random) -> list[Stack]:
    """``count`` stacks of 2-10 of ``docs`` in random order."""
    stacks = []
    for _ in range(count):
        chosen = rng.sample(docs, rng.randint(2, min(10, len(docs))))
        stacks.append(([t for d in chosen for t in d], boundaries([len(d) for d in chosen])))
    return stacks


def measure(model: BoundaryModel, stacks: list[Stack]) -> tuple[float, float, float]:
    tp = fp = fn = exact = 0
    for texts, truth in stacks:
        found = set(model.starts(texts)) - {0}
        tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
        exact += found == truth
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return precision, recall, exact / len(stacks)


def deal(entries: list[dict[str, Any]], per_kind: int, rng: random.Random) -> tuple[list[Any], ...]:
    """Training, review-pool and held-out entries, whole groups each; the rest is split between
    the pool and the held-out set alternately by group."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_group.setdefault(e["group"], []).append(e)
    groups = sorted(by_group)
    rng.shuffle(groups)
    train: list[dict[str, Any]] = []
    pool: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for group in groups:
        kind = by_group[group][0]["kind"]
        if counts.get(kind, 0) < per_kind:
            train += by_group[group]
            counts[kind] = counts.get(kind, 0) + len(by_group[group])
        elif len(pool) <= len(held):
            pool += by_group[group]
        else:
            held += by_group[group]
    return train, pool, held


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--train", type=int, default=20, help="training PDFs per kind")
    parser.add_argument("--review-stacks", type=int, default=40)
    parser.add_argument("--test-stacks", type=int, default=40)
    parser.add_argument("--corrections", default="0,5,10,20", help="corrected stacks learnt from")
    parser.add_argument("--max-doc-pages", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    entries = corpus_pdfs(args.corpus)
    if not entries:
        sys.exit(f"no corpus PDFs under {args.corpus}: build the corpus first (bench/README.md)")
    texts = {e["id"]: page_texts(args.corpus, e, args.max_doc_pages) for e in entries}
    readable = [e for e in entries if texts[e["id"]]]
    train, pool, held = deal(readable, args.train, rng)
    samples, labels = [texts[e["id"]] for e in train], [e["kind"] for e in train]
    trained = train_boundary_model(samples, labels, seed=args.seed)
    if trained is None:
        sys.exit("the training documents taught no boundary model")
    model = trained[0]
    review = compose([texts[e["id"]] for e in pool], args.review_stacks, rng)
    test = compose([texts[e["id"]] for e in held], args.test_stacks, rng)
    wrong = [(t, [0, *sorted(truth)]) for t, truth in review if set(model.starts(t)) - {0} != truth]
    print(
        f"{len(train)} training PDFs, {len(pool)} in the review pool ({len(review)} stacks, {len(wrong)}"
        f" divided wrongly), {len(held)} held out ({len(test)} test stacks, {sum(len(t) for t, _ in test)}"
        f" pages)"
    )
    print(f"{'corrected stacks':>16} {'precision':>9} {'recall':>7} {'exact':>7} {'train CPU-s':>11}")
    for count in (int(n) for n in args.corrections.split(",")):
        corrected = wrong[:count]
        cpu = time.process_time()
        documents, guessed = learnt_documents(samples, labels, corrected)
        again = train_boundary_model([*samples, *documents], [*labels, *guessed], seed=args.seed)
        cpu = time.process_time() - cpu
        assert again is not None
        precision, recall, exact = measure(again[0], test)
        print(f"{len(corrected):>16} {precision:>9.3f} {recall:>7.3f} {exact:>7.2f} {cpu:>11.1f}")
    # For comparison: every review-pool document labelled as a sample (a person labelling each
    # document of every stack reviewed, not only moving the boundaries of the wrong ones).
    cpu = time.process_time()
    pool_texts, pool_labels = [texts[e["id"]] for e in pool], [e["kind"] for e in pool]
    labelled = train_boundary_model([*samples, *pool_texts], [*labels, *pool_labels], seed=args.seed)
    cpu = time.process_time() - cpu
    assert labelled is not None
    precision, recall, exact = measure(labelled[0], test)
    print(f"{'pool labelled':>16} {precision:>9.3f} {recall:>7.3f} {exact:>7.2f} {cpu:>11.1f}")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
