"""One document alone through the whole pipeline, an earlier commit against the working tree,
side by side in one run: submit -> routed per stage, with documents back to back (each sent as
soon as the one before was routed) and after the pipeline stood idle, and the stacks' CPU while
idle and per document (prints figures; not a test).

Run from the repository root (about 4 minutes on 2 cores)::

    .venv/bin/python -m bench.lone_document [--baseline HEAD] [--text 10] [--scans 3] \\
        [--idle-gap 3] [--idle-s 20] [--train] [--env NAME=VALUE] [--json PATH]

Two whole stacks run at once (`bench._stack.Stack`), one on `--baseline`'s code (`git archive`:
a clean copy of that commit, not the shared working tree), one on the working tree's; each gets
the bench workflow without a model (classify answers "no model", the router sends the document
to review: every stage runs; classify then reads `model.published` to its end at most every few
seconds, in case a first version overtook it) or, with --train, v1 trained on
bench/pipeline.py's 30 samples. Documents go one at a time, alternating between the stacks. Rows:
one-page text PDFs back to back; the same after `--idle-gap` s with nothing sent (longer than
the services' active fetch window, `docroute.fetch_wait`); PNG scans back to back, with the
end-to-end time less the OCR stage (the goal for scans: OCR + 0.3 s). Then both stacks stand
idle for `--idle-s` s (after 3 s of quiet): CPU-s per second of each process. Per-stage times
come from the events' `time` attributes, as bench/pipeline.py's "alone" rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute`, `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench import _corpus, _phases
from bench._events import EventLog, Mailroom, Submitted
from bench._phases import STAGE_SPANS, outcome
from bench._stack import ROOT, Stack, freeze_code, settings_of

# Per document: submit -> routed less its OCR stage (the goal for scans: OCR + 0.3 s).
BEYOND_OCR = "end-to-end less ocr"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="HEAD", help="the commit to compare against")
    parser.add_argument("--text", type=int, default=10, help="one-page text PDFs per stack and row")
    parser.add_argument("--scans", type=int, default=3, help="one-page PNG scans per stack")
    parser.add_argument("--idle-gap", type=float, default=3.0, help="s of quiet before each 'after idle' one")
    parser.add_argument("--idle-s", type=float, default=20.0, help="s of idle CPU measured")
    parser.add_argument("--train", action="store_true", help="train v1 on 30 samples first (else no model)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="working tree only")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    env = settings_of(args.env)
    os.chdir(ROOT)
    rng = random.Random(7)
    rows = {
        "text, back to back": (_corpus.text_docs(2 * args.text, 1, rng, prefix="alone"), 0.0),
        f"text, after {args.idle_gap:g} s idle": (
            _corpus.text_docs(2 * args.text, 1, rng, prefix="idle"),
            args.idle_gap,
        ),
        "scans, back to back": (_corpus.scan_docs(2 * args.scans, rng, prefix="alone-scan"), 0.0),
    }
    samples = _corpus.training_samples(_corpus.DEFAULT.samples_per_class, rng)
    [probe] = _corpus.text_docs(1, 1, rng, prefix="probe")
    variants = {f"baseline {args.baseline}": args.baseline, "working tree": None}
    load_before = [round(v, 2) for v in os.getloadavg()]
    run_dirs = {v: Path(tempfile.mkdtemp(prefix="docroute-lone-")) for v in variants}
    stacks = {
        v: Stack(
            run_dirs[v],
            code_dir=freeze_code(run_dirs[v], committed=commit is not None, commit=commit or "HEAD"),
            service_env=None if commit is not None else env,
        )
        for v, commit in variants.items()
    }
    logs: dict[str, EventLog] = {}
    mailrooms: dict[str, Mailroom] = {}
    results: dict[str, Any] = {}
    cpu_per_doc: dict[str, dict[str, float]] = {}
    idle: dict[str, dict[str, float]] = {}
    try:
        _phases.start_variants(stacks, logs, mailrooms, samples if args.train else None, probe)
        for row, (docs, gap) in rows.items():
            print(f"{row}: {len(docs)} documents, alternating", flush=True)
            submitted: dict[str, list[Submitted]] = {v: [] for v in variants}
            cpu_before = {v: sum(s.cpu_seconds().values()) for v, s in stacks.items()}
            for i, doc in enumerate(docs):
                variant = list(variants)[i % 2]
                time.sleep(gap)
                [one] = mailrooms[variant].submit([doc])
                logs[variant].wait_done([one.document_id], timeout_s=300)
                submitted[variant].append(one)
            results[row] = {v: outcome(logs[v], submitted[v]) for v in variants}
            for v in variants:
                results[row][v]["latency_s"][BEYOND_OCR] = _beyond_ocr(logs[v], submitted[v])
            if row == "text, back to back":
                cpu_per_doc[row] = {
                    v: (sum(s.cpu_seconds().values()) - cpu_before[v]) / len(submitted[v])
                    for v, s in stacks.items()
                }
        time.sleep(3.0)  # past the active fetch window (and faust's 1 s turn)
        before = {v: s.cpu_seconds() for v, s in stacks.items()}
        time.sleep(args.idle_s)
        for v, s in stacks.items():
            after = s.cpu_seconds()
            idle[v] = {name: (after[name] - before[v].get(name, 0.0)) / args.idle_s for name in after}
    finally:
        _phases.close_variants([*mailrooms.values(), *logs.values()], stacks, run_dirs.values())
    load_after = [round(v, 2) for v in os.getloadavg()]
    _print(args, env, variants, results, cpu_per_doc, idle, load_before, load_after)
    if args.json:
        figures = {"results": results, "cpu_per_doc": cpu_per_doc, "idle_cpu": idle}
        args.json.write_text(json.dumps({**figures, "load": [load_before, load_after]}, indent=2))
    return 0


def _beyond_ocr(log: EventLog, submitted: list[Submitted]) -> dict[str, float]:
    """p50 / p95 of each document's submit -> routed less its OCR stage (received -> text)."""
    spans = []
    for sub, events in zip(submitted, log.events_of([s.document_id for s in submitted]), strict=True):
        if "document.routed" in events:
            ocr = events["document.text_extracted"][0] - events["document.received"][0]
            spans.append(events["document.routed"][0] - sub.at - ocr)
    return _phases.percentiles(spans)


def _print(
    args: argparse.Namespace,
    env: dict[str, str],
    variants: dict[str, str | None],
    results: dict[str, Any],
    cpu_per_doc: dict[str, dict[str, float]],
    idle: dict[str, dict[str, float]],
    load_before: list[float],
    load_after: list[float],
) -> None:
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"\n## One document alone, {date}")
    print(f"{os.cpu_count()} cores; load before {load_before}, after {load_after}; two stacks at once")
    print(f"working tree's settings: {env or 'defaults'}; {'v1 trained' if args.train else 'no model'}\n")
    names = list(variants)
    print("| p50 / p95 s | " + " | ".join(f"{row}: {v}" for row in results for v in names) + " |")
    print("|---|" + "---|" * (len(results) * len(names)))
    for span in [name for name, _, _ in STAGE_SPANS] + [BEYOND_OCR]:
        latencies = [results[row][v]["latency_s"][span] for row in results for v in names]
        cells = ["{p50:.3f} / {p95:.3f}".format(**latency) for latency in latencies]
        print(f"| {span} | " + " | ".join(cells) + " |")
    failed = {f"{row} {v}": len(results[row][v]["failed"]) for row in results for v in names}
    print(f"\nfailed: {failed}")
    for row, by_variant in cpu_per_doc.items():
        figures = ", ".join(f"{v} {cpu:.2f}" for v, cpu in by_variant.items())
        print(f"CPU-s per document, {row} (all processes of a stack): {figures}")
    print("\n| idle, ms of CPU per s | " + " | ".join(names) + " |")
    print("|---|---|---|")
    processes = sorted({p for v in names for p in idle.get(v, {})})
    for process in [*processes, "all"]:
        cells = [
            f"{1000 * (sum(idle[v].values()) if process == 'all' else idle[v].get(process, 0.0)):.0f}"
            for v in names
        ]
        print(f"| {process} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
