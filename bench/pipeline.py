"""Throughput, latency, training-to-serving time and memory of the whole pipeline (prints figures;
not a test).

Run from the repository root (default about 2.5 minutes on 2 cores, --quick about 1)::

    .venv/bin/python bench/pipeline.py [--quick] [--json PATH] [--database sqlite] [--durable-broker]

One run: start localbucket, Tansu, PostgreSQL (SQLite when none answers) and the six services as
separate processes on 127.0.0.1, as tests/fixtures/infra.py does; create a workflow with five
classes; send labelled text PDFs to mailroom.incoming and train v1 (timed by probes, see
below); then

1. burst throughput: 40 text PDFs x 2 pages, then 12 PNG scans, each burst sent back to back
   as `mail.received` with inline base64, three times with fresh documents; pages / (first
   submit -> the last `document.routed` event's CloudEvents `time`), median of the repeats;
   and once the pipeline is full, the pages after the first routed document / (its route ->
   the last), which leaves out the time the first document crosses the stages alone;
   `--text-docs` and `--scans` size the bursts;
2. the same documents through the pure cores in this process, after the stack is stopped;
3. p50/p95 per stage from the events' `time` attributes, in the bursts (queueing included) and
   with one document at a time (an idle pipeline);
4. POST /workflows/{key}/train -> `model.published`, and -> the first `document.classified`
   carrying the new version (a probe document is sent every 0.5 s until one does), for v1 and v2;
5. peak RSS (kernel high-water mark) and CPU seconds per page of every process, set beside the
   in-process CPU of the stage that calls the same core, and each process's CPU per second
   while idle (10 s with nothing sent), which a burst's CPU per page includes while it lasts.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import random
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute`, `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psutil

from bench import _corpus, _phases
from bench._corpus import Sizes
from bench._events import EventLog, Mailroom
from bench._inprocess import InProcessPipeline, summary
from bench._report import render
from bench._stack import ROOT, Stack, settings_of


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run (< 3 minutes)")
    parser.add_argument("--json", type=Path, help="also save the figures to this file")
    parser.add_argument(
        "--database",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="the API's database (postgres falls back to sqlite when none answers)",
    )
    parser.add_argument(
        "--durable-broker",
        action="store_true",
        help="keep Tansu's log in localbucket as `docroute up` does (tests: in memory)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run directory (logs, S3 data)")
    parser.add_argument("--text-docs", type=int, help="text PDFs a burst (default 40)")
    parser.add_argument("--scans", type=int, help="scans a burst (default 12)")
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every service, e.g. DOCROUTE_KAFKA__FETCH_MAX_WAIT_MS=1500 (repeatable)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even where started with it ignored
    os.chdir(ROOT)
    started = time.monotonic()
    load_before = list(os.getloadavg())
    sizes = _corpus.QUICK if args.quick else _corpus.DEFAULT
    sizes = dataclasses.replace(
        sizes, text_docs=args.text_docs or sizes.text_docs, scans=args.scans or sizes.scans
    )
    print("generating documents", flush=True)
    corpus = _make_corpus(sizes)
    run_dir = Path(tempfile.mkdtemp(prefix="docroute-bench-"))
    service_env = settings_of(args.service_env)
    stack = Stack(
        run_dir, database=args.database, durable_broker=args.durable_broker, service_env=service_env
    )
    ok = False
    try:
        results = _run_stack(stack, corpus, sizes)
        print("in-process run (stack stopped)", flush=True)
        results["in_process"] = _run_in_process(results.pop("_model"), corpus, sizes.repeats)
        ok = True
    finally:
        stack.stop()
        if ok and not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            print(f"logs and data kept in {run_dir}", flush=True)
    results.update(quick=args.quick, sizes=sizes.__dict__, runtime_s=round(time.monotonic() - started, 1))
    results["machine"] = _machine(load_before, stack.database, args.durable_broker)
    results["machine"]["service_env"] = service_env
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"\nfigures saved to {args.json}")
    return 0


def _make_corpus(sizes: Sizes) -> dict[str, list[_corpus.Doc]]:
    rng = random.Random(2024)
    return {
        "samples": _corpus.training_samples(sizes.samples_per_class, rng),
        "probe": _corpus.text_docs(1, 1, rng, prefix="probe"),
        # Fresh documents for every repeat, so no stage meets bytes it has seen before.
        "text": _corpus.text_docs(sizes.text_docs * sizes.repeats, sizes.text_pages, rng),
        "scans": _corpus.scan_docs(sizes.scans * sizes.repeats, rng),
        "alone_text": _corpus.text_docs(sizes.idle_text, sizes.text_pages, rng, prefix="alone"),
        "alone_scans": _corpus.scan_docs(sizes.idle_scans, rng, prefix="alone-scan"),
    }


def _run_stack(stack: Stack, corpus: dict[str, list[_corpus.Doc]], sizes: Sizes) -> dict[str, Any]:
    """Every phase that needs the running pipeline; stops nothing (the caller does)."""
    results: dict[str, Any] = {}
    log: EventLog | None = None
    mailroom: Mailroom | None = None
    try:
        print("starting broker, S3, database and 6 services", flush=True)
        t0 = time.monotonic()
        stack.start()
        results["startup_s"] = round(time.monotonic() - t0, 1)
        log = EventLog(stack.kafka)
        headers = {"Authorization": f"Bearer {stack.admin_api_key}"}
        with httpx.Client(base_url=stack.api_url, headers=headers, timeout=60) as api:
            key = _phases.create_workflow(api)
            mailroom = Mailroom(stack.kafka, key)
            print(f"up in {results['startup_s']} s; {len(corpus['samples'])} samples, then v1", flush=True)
            _phases.load_samples(log, mailroom, stack, key, corpus["samples"])
            probe = corpus["probe"][0]
            training = [_phases.measure_training(api, log, mailroom, key, 1, probe)]
            results["_model"] = _phases.load_model(stack, training[0]["artifact_ref"])
            bursts: dict[str, list[_phases.Burst]] = {"text": [], "scans": []}
            for repeat in range(sizes.repeats):
                for kind, docs in bursts.items():
                    chunk = _chunks(corpus[kind], sizes.repeats)[repeat]
                    print(f"burst {repeat + 1}/{sizes.repeats}: {len(chunk)} {kind} documents", flush=True)
                    docs.append(_phases.measure_burst(log, mailroom, stack, chunk, timeout_s=900))
            results["pipeline"] = {k: _phases.summarize_bursts(log, b) for k, b in bursts.items()}
            print("idle: 10 s with nothing sent", flush=True)
            results["idle_cpu_s_per_s"] = _phases.measure_idle(stack, 10.0)
            print("one document at a time", flush=True)
            results["one_at_a_time"] = {
                kind: _phases.measure_one_at_a_time(log, mailroom, corpus[f"alone_{kind}"], timeout_s=300)
                for kind in ("text", "scans")
            }
            print("training v2 (same samples)", flush=True)
            training.append(_phases.measure_training(api, log, mailroom, key, 2, probe))
            results["training"] = training
        results["peak_rss_mib"] = {n: round(b / 2**20, 1) for n, b in stack.peak_rss().items()}
        results["load_after_pipeline"] = list(os.getloadavg())
    finally:
        if mailroom is not None:
            mailroom.close()
        if log is not None:
            log.close()
        stack.stop()
    return results


def _chunks(docs: list[_corpus.Doc], parts: int) -> list[list[_corpus.Doc]]:
    size = len(docs) // parts
    return [docs[i * size : (i + 1) * size] for i in range(parts)]


def _run_in_process(model: Any, corpus: dict[str, list[_corpus.Doc]], repeats: int) -> dict[str, Any]:
    pipeline = InProcessPipeline(model, cropping=True, threshold=_phases.THRESHOLD)
    try:
        out: dict[str, Any] = {"load_s": round(pipeline.load_seconds, 2)}
        for kind in ("text", "scans"):
            out[kind] = summary([pipeline.run(chunk) for chunk in _chunks(corpus[kind], repeats)])
        return out
    finally:
        pipeline.close()


def _machine(load_before: list[float], database: str, durable_broker: bool) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    load_after = [round(v, 2) for v in os.getloadavg()]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": load_after,
        "database": database,
        "broker": "log in localbucket" if durable_broker else "in memory",
    }


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the processes


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; every process the bench started is stopped", file=sys.stderr)
        sys.exit(130)
