"""The pipeline with a setting changed against the defaults, side by side in one run: one
document alone (submit -> routed per stage) and, with --bursts, throughput (prints figures; not a
test).

Run from the repository root (about 3 minutes on 2 cores; with --bursts 3 about 15)::

    .venv/bin/python -m bench.ab_settings [--compare DOCROUTE_KAFKA__FETCH_MAX_WAIT_MS=1500] \
        [--text 10] [--scans 3] [--bursts 3] [--json PATH]
    .venv/bin/python -m bench.ab_settings --compare ocr:DOCROUTE_STREAM_CONCURRENCY=2  # one service's setting

Two whole stacks run at once (`bench._stack.Stack`: localbucket, Tansu, PostgreSQL or SQLite,
the six services as separate processes), one with the setting given by --compare, one with the
defaults; each gets the bench workflow, with no model version (classify answers "no model", the
router sends the document to review: every stage still runs) or with --train v1 trained on
bench/pipeline.py's 30 samples. Documents go one at a time,
alternating between the stacks, each waiting for the previous one to be routed, so the machine's
load falls on both alike. p50 / p95 per stage from the events' `time` attributes, as
bench/pipeline.py's "alone" rows. --bursts N: then N rounds of bench/pipeline.py's bursts (40 text
PDFs x 2 pages, then 12 scans, fresh documents each), each round on one stack and then the other
(which goes first alternates); pages/s from the first submit to the last routed, median of the
rounds, and the ratio of the two stacks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute`, `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench import _corpus, _phases
from bench._events import EventLog, Mailroom
from bench._phases import STAGE_SPANS, outcome
from bench._stack import ROOT, Stack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--compare",
        default="DOCROUTE_KAFKA__FETCH_MAX_WAIT_MS=1500",
        metavar="[SERVICE:]NAME=VALUE",
        help="the setting for every service, or for one (ocr:DOCROUTE_STREAM_CONCURRENCY=2)",
    )
    parser.add_argument("--text", type=int, default=10, help="one-page text PDFs per stack")
    parser.add_argument("--scans", type=int, default=3, help="one-page PNG scans per stack")
    parser.add_argument("--bursts", type=int, default=0, help="rounds of throughput bursts (0: none)")
    parser.add_argument("--train", action="store_true", help="train v1 on 30 samples first (else no model)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.chdir(ROOT)
    setting, value = args.compare.split("=", 1)
    service, _, name = setting.rpartition(":")
    rng = random.Random(7)
    docs = {
        "text": _corpus.text_docs(2 * args.text, 1, rng, prefix="alone"),
        "scans": _corpus.scan_docs(2 * args.scans, rng, prefix="alone-scan"),
    }
    sizes = _corpus.DEFAULT
    samples = _corpus.training_samples(sizes.samples_per_class, rng)
    [probe] = _corpus.text_docs(1, 1, rng, prefix="probe")
    burst_docs = {
        "text": _corpus.text_docs(2 * sizes.text_docs * args.bursts, sizes.text_pages, rng),
        "scans": _corpus.scan_docs(2 * sizes.scans * args.bursts, rng),
    }
    variants = {args.compare: {name: value}, "defaults": {}}
    load_before = [round(v, 2) for v in os.getloadavg()]
    run_dirs = {v: Path(tempfile.mkdtemp(prefix="docroute-lone-")) for v in variants}

    def stack(variant: str, env: dict[str, str]) -> Stack:
        """A stack with the setting for one service (SERVICE:NAME=VALUE), or for every one."""
        if service:
            return Stack(run_dirs[variant], one_service_env={service: env})
        return Stack(run_dirs[variant], service_env=env)

    stacks = {v: stack(v, env) for v, env in variants.items()}
    logs: dict[str, EventLog] = {}
    mailrooms: dict[str, Mailroom] = {}
    results: dict[str, Any] = {}
    try:
        _phases.start_variants(stacks, logs, mailrooms, samples if args.train else None, probe)
        for kind, kind_docs in docs.items():
            print(f"{len(kind_docs)} {kind} documents, one at a time, alternating", flush=True)
            submitted: dict[str, list[Any]] = {v: [] for v in variants}
            for i, doc in enumerate(kind_docs):
                variant = list(variants)[i % 2]
                [one] = mailrooms[variant].submit([doc])
                logs[variant].wait_done([one.document_id], timeout_s=300)
                submitted[variant].append(one)
            results[kind] = {v: outcome(logs[v], submitted[v]) for v in variants}
        throughput = _bursts(args.bursts, burst_docs, list(variants), logs, mailrooms, stacks)
    finally:
        _phases.close_variants([*mailrooms.values(), *logs.values()], stacks, run_dirs.values())
    load_after = [round(v, 2) for v in os.getloadavg()]
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"\n## One document alone, {args.compare} vs the defaults, {date}")
    print(
        f"{os.cpu_count()} cores; load average before {load_before}, after {load_after}; two stacks at once\n"
    )
    print("| p50 / p95 s | " + " | ".join(f"{kind}: {v}" for kind in results for v in variants) + " |")
    print("|---|" + "---|" * (len(results) * len(variants)))
    for span, _, _ in STAGE_SPANS:
        cells = [
            "{p50:.2f} / {p95:.2f}".format(**results[kind][v]["latency_s"][span])
            for kind in results
            for v in variants
        ]
        print(f"| {span} | " + " | ".join(cells) + " |")
    failed = {f"{kind} {v}": len(results[kind][v]["failed"]) for kind in results for v in variants}
    print(f"\nfailed: {failed}")
    if throughput:
        a, b = variants
        print(f"\n| burst pages/s, median (range) of {args.bursts} | {a} | {b} | {b} / {a} |")
        print("|---|---|---|---|")
        for kind, by_variant in throughput.items():
            pa, pb = by_variant[a]["pages_per_s"], by_variant[b]["pages_per_s"]
            cells = [f"{pa:.2f} ({_range(by_variant[a])})", f"{pb:.2f} ({_range(by_variant[b])})"]
            print(f"| {kind} | " + " | ".join(cells) + f" | {pb / pa:.2f} |")
    if args.json:
        figures = {"results": results, "throughput": throughput, "load": [load_before, load_after]}
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


def _bursts(
    rounds: int,
    docs: dict[str, list[Any]],
    variants: list[str],
    logs: dict[str, EventLog],
    mailrooms: dict[str, Mailroom],
    stacks: dict[str, Stack],
) -> dict[str, Any]:
    """Pages/s of `rounds` bursts per kind on each stack, the stacks taking turns."""
    if not rounds:
        return {}
    out: dict[str, Any] = {}
    for kind, kind_docs in docs.items():
        size = len(kind_docs) // (2 * rounds)
        runs: dict[str, list[_phases.Burst]] = {v: [] for v in variants}
        for r in range(rounds):
            order = variants if r % 2 == 0 else variants[::-1]
            for i, variant in enumerate(order):
                chunk = kind_docs[(2 * r + i) * size : (2 * r + i + 1) * size]
                print(f"burst {r + 1}/{rounds}: {len(chunk)} {kind} documents on {variant}", flush=True)
                runs[variant].append(
                    _phases.measure_burst(
                        logs[variant], mailrooms[variant], stacks[variant], chunk, timeout_s=900
                    )
                )
        out[kind] = {v: _phases.summarize_bursts(logs[v], runs[v]) for v in variants}
    return out


def _range(summary: dict[str, Any]) -> str:
    runs = summary["pages_per_s_runs"]
    return f"{min(runs):.2f}-{max(runs):.2f}"


if __name__ == "__main__":
    sys.exit(main())
