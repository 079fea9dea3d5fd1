"""Lost, doubled and dead-lettered documents, and drain time, when every service and then the
broker is stopped mid-stream (prints figures; not a test: tests/e2e/test_faults.py is).

Run from the repository root::

    .venv/bin/python bench/faults.py [--documents 1000] [--signals kill,term] [--json PATH] [--keep]

For each signal (SIGKILL, SIGTERM), on a fresh stack (bench/_stack.py: the local S3 server,
Tansu with its log in it, PostgreSQL, the six services as processes, all running a copy of the
last commit's code taken at the start (`--uncommitted`: of the working tree), so that edits to
the working tree meanwhile reach no restart): a workflow of five classes trained on 6 text PDFs
per class, then `--documents` one-page text PDFs sent to `mailroom.incoming` in 8 chunks; after
each of the first 7 chunks one process is stopped with the signal and started again (ingest,
ocr, classify, router, trainer, api; then the broker, on the same storage), the next chunk
waiting until the service is ready again. Then, from the topics (`document.routed`,
`document.dead-letter`, read whole): lost (neither routed nor dead-lettered), doubled (routed
as two different events), copies (one event repeated: consumers drop them by id), dead-lettered
(with reason codes); drain time (last mail acknowledged -> every document out); and how many
documents the API reports otherwise than the topics.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute`, `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench._corpus import text_docs, training_samples
from bench._faults import (
    MailStream,
    RoutedLog,
    api_statuses,
    expected_statuses,
    group_lags,
    stream_with_faults,
    trained_workflow,
)
from bench._stack import Stack, freeze_code, settings_of

SIGNALS = {"kill": signal.SIGKILL, "term": signal.SIGTERM}


def run_once(
    sig: signal.Signals,
    documents: int,
    seed: int,
    keep: bool,
    api_wait_s: float,
    committed: bool = True,
    drain_timeout_s: float | None = None,
    service_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One fresh stack, one signal; returns the figures."""
    rng = random.Random(seed)
    run_dir = Path(tempfile.mkdtemp(prefix=f"docroute-faults-{sig.name.lower()}-"))
    # The services run a copy of the code as it is now, also after their restarts.
    code_dir = freeze_code(run_dir, committed=committed)
    stack = Stack(run_dir, durable_broker=True, code_dir=code_dir, service_env=service_env)
    ok = False
    try:
        stack.start()
        headers = {"Authorization": f"Bearer {stack.admin_api_key}"}
        with httpx.Client(base_url=stack.api_url, headers=headers, timeout=60) as api:
            drain_timeout_s = drain_timeout_s or max(600.0, documents * 1.0)
            figures = _measure(stack, api, sig, documents, rng, api_wait_s, drain_timeout_s)
        ok = True
        return figures | {"service_env": dict(service_env or {})}
    finally:
        stack.stop()
        if ok and not keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            print(f"logs and data kept in {run_dir}", flush=True)


def _measure(
    stack: Stack,
    api: httpx.Client,
    sig: signal.Signals,
    documents: int,
    rng: random.Random,
    api_wait_s: float,
    drain_timeout_s: float,
) -> dict[str, Any]:
    probe, *_ = text_docs(1, 1, rng, prefix="probe")
    key = trained_workflow(stack, api, training_samples(6, rng), probe)
    docs = text_docs(documents, 1, rng, prefix="faults")
    log, stream = RoutedLog(stack.kafka), MailStream(stack.kafka, key)
    try:
        began = time.monotonic()
        run = stream_with_faults(stack, stream, docs, sig)
        drain_s: float | None = None
        try:
            drain_s = log.wait_done(run.ids, timeout_s=drain_timeout_s)
        except TimeoutError as exc:  # figures still: the documents not out count as lost
            print(f"drain not over after {drain_timeout_s:.0f} s: {exc}", flush=True)
        tally = log.snapshot()
        held_at = tally.held_at(run.ids)
        lags = group_lags(stack.kafka) if held_at else {}
    finally:
        stream.close()
        log.close()
    expected = expected_statuses(tally, run.ids)
    first_reported = reported = api_statuses(api, run.ids)
    drained_at = time.monotonic()
    while reported != expected and time.monotonic() - drained_at < api_wait_s:
        time.sleep(15)  # a round is one GET per document: leave the API time to project
        reported = api_statuses(api, run.ids)
    api_agrees_after_s = round(time.monotonic() - drained_at, 1) if reported == expected else None
    stack.check_running()
    return {
        "signal": sig.name,
        "documents": len(run.ids),
        "lost": len(tally.lost(run.ids)),
        "doubled": len(tally.doubled(run.ids)),
        "copies": tally.copies(run.ids),
        "dead_lettered": sum(1 for i in run.ids if i in tally.failed),
        "dead_letter_reasons": dict(tally.dead_letter_reasons(run.ids)),
        "dead_letter_examples": sorted({r for i in run.ids for r in tally.failure_reasons.get(i, [])})[:5],
        "unreadable_records": tally.unreadable[:5],
        "not_out_held_at": dict(held_at),
        "group_lags": lags,
        "produce_refused": dict(stream.refused),
        "drain_s": round(drain_s, 1) if drain_s is not None else None,
        "stream_s": round(run.last_sent_at - began, 1),
        "api_disagrees_at_drain": _disagreements(first_reported, expected, run.ids),
        "api_disagrees": _disagreements(reported, expected, run.ids),
        "api_agrees_after_s": api_agrees_after_s,
        "exit_s": {target: round(seconds, 1) for target, seconds in run.exits},
    }


def _disagreements(reported: dict[str, str], expected: dict[str, str], ids: list[str]) -> dict[str, int]:
    """How many documents the API reports otherwise than the topics: "api status -> topics'"."""
    return dict(
        Counter(f"{reported.get(i)} -> {expected.get(i)}" for i in ids if reported.get(i) != expected.get(i))
    )


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        "signal   docs  lost  doubled  copies  dead-lettered  drain s"
        "  API wrong at drain, after  API right after s"
    ]
    for r in results:
        at_drain, then = sum(r["api_disagrees_at_drain"].values()), sum(r["api_disagrees"].values())
        drain = r["drain_s"] if r["drain_s"] is not None else "timeout"
        lines.append(
            f"{r['signal']:<8} {r['documents']:>4}  {r['lost']:>4}  {r['doubled']:>7}  {r['copies']:>6}"
            f"  {r['dead_lettered']:>13}  {drain:>7}  {at_drain:>18}, {then:>5}"
            f"  {r['api_agrees_after_s']}"
        )
    for r in results:
        exits = ", ".join(f"{t} {s}s" for t, s in r["exit_s"].items())
        lines.append(f"{r['signal']}: seconds to exit: {exits}; streaming took {r['stream_s']}s")
        if r.get("service_env"):
            lines.append(f"{r['signal']}: services ran with {r['service_env']}")
        if r["api_disagrees"]:
            lines.append(f"{r['signal']}: API status -> topics' decision, still: {r['api_disagrees']}")
        if r["produce_refused"]:
            lines.append(f"{r['signal']}: mail produces the broker refused: {r['produce_refused']}")
        if r["dead_letter_reasons"]:
            lines.append(f"{r['signal']}: dead-letter reasons: {r['dead_letter_reasons']}")
            lines += [f"  e.g. {example}" for example in r["dead_letter_examples"]]
        if r.get("not_out_held_at"):
            lines.append(f"{r['signal']}: not out, by the last event they got: {r['not_out_held_at']}")
            lines.append(f"{r['signal']}: consumer groups' records not committed: {r['group_lags']}")
        if r["unreadable_records"]:
            lines.append(f"{r['signal']}: records the reader could not read: {r['unreadable_records']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000, help="documents per signal (default 1000)")
    parser.add_argument("--signals", default="kill,term", help="comma-separated: kill, term")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also save the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep each run's directory (logs, S3 data)")
    parser.add_argument("--api-wait", type=float, default=300.0, help="seconds to wait for the API to agree")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        help="seconds to wait for every document to come out (default: 1 per document, >= 600)",
    )
    parser.add_argument(
        "--uncommitted",
        action="store_true",
        help="run the working tree's code (default: the last commit's, without edits in progress)",
    )
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every service (repeatable), e.g. DOCROUTE_KAFKA__FETCH_MAX_WAIT_MS=1500",
    )
    args = parser.parse_args()
    service_env = settings_of(args.service_env)
    results = []
    for name in args.signals.split(","):
        print(f"{name}: {args.documents} documents", flush=True)
        results.append(
            run_once(
                SIGNALS[name],
                args.documents,
                args.seed,
                args.keep,
                args.api_wait,
                not args.uncommitted,
                args.drain_timeout,
                service_env,
            )
        )
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
