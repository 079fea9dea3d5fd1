"""`POST /processing/{key}?wait=`: how long after the route the synchronous answer comes, the
committed code against the working tree, side by side in one run (prints figures; not a test).

Run from the repository root (about 5 minutes on 2 cores)::

    .venv/bin/python -m bench.wait_answer [--documents 20] [--env NAME=VALUE]

Two whole stacks run at once (`bench._stack.Stack`), one on the last commit's code, one on the
working tree's; each gets the bench workflow without a model (every document goes to review:
every stage runs). One-page text PDFs go one at a time through `?wait=30`, alternating between
the stacks. Per document: the answer's delay after the route, from the router's
`document.routed` event time (set when it decided) to the response's arrival at the client,
and submit -> answer. Both clocks are this machine's.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute`, `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench import _corpus, _phases
from bench._events import EventLog
from bench._stack import ROOT, Stack, freeze_code, settings_of

VARIANTS = {"last commit": True, "working tree": False}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20, help="one-page text PDFs per stack")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="working tree only")
    args = parser.parse_args()
    env = settings_of(args.env)
    os.chdir(ROOT)
    docs = _corpus.text_docs(2 * args.documents, 1, random.Random(7), prefix="wait")
    load_before = [round(v, 2) for v in os.getloadavg()]
    run_dirs = {v: Path(tempfile.mkdtemp(prefix="docroute-wait-")) for v in VARIANTS}
    stacks = {
        v: Stack(
            run_dirs[v],
            code_dir=freeze_code(run_dirs[v], committed=committed),
            service_env=None if committed else env,
        )
        for v, committed in VARIANTS.items()
    }
    logs: dict[str, EventLog] = {}
    clients: dict[str, httpx.Client] = {}
    keys: dict[str, str] = {}
    delays: dict[str, list[float]] = {v: [] for v in VARIANTS}
    totals: dict[str, list[float]] = {v: [] for v in VARIANTS}
    try:
        for variant, stack in stacks.items():
            print(f"starting a stack on the {variant}", flush=True)
            stack.start()
            logs[variant] = EventLog(stack.kafka)
            headers = {"Authorization": f"Bearer {stack.admin_api_key}"}
            clients[variant] = httpx.Client(base_url=stack.api_url, headers=headers, timeout=60)
            keys[variant] = _phases.create_workflow(clients[variant])
        for i, doc in enumerate(docs):
            variant = list(VARIANTS)[i % 2]
            delay, total = _one(clients[variant], logs[variant], keys[variant], doc)
            delays[variant].append(delay)
            totals[variant].append(total)
    finally:
        _phases.close_variants([*clients.values(), *logs.values()], stacks, run_dirs.values())
    load_after = [round(v, 2) for v in os.getloadavg()]
    print(f"\n## ?wait= answer after the route, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{os.cpu_count()} cores; load before {load_before}, after {load_after}; two stacks at once")
    print(f"working tree's settings: {env or 'defaults'}\n")
    print("| p50 / p95 ms | " + " | ".join(VARIANTS) + " |")
    print("|---|---|---|")
    rows = {"route -> answer at the client": delays, "submit -> answer": totals}
    for name, values in rows.items():
        cells = ["{p50:.0f} / {p95:.0f}".format(**_ms(values[v])) for v in VARIANTS]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


def _one(api: httpx.Client, log: EventLog, key: str, doc: _corpus.Doc) -> tuple[float, float]:
    """(route -> answer, submit -> answer) of one document, seconds."""
    started = time.time()
    response = api.post(f"/processing/{key}?wait=30", files={"file": (doc.filename, doc.data)})
    answered = time.time()
    if response.status_code != 200:
        raise RuntimeError(f"no result within the wait: {response.status_code} {response.text[:200]}")
    document_id = str(response.json()["document_id"])
    [events] = log.events_of([document_id])
    if "document.routed" not in events:  # the bench's own reader may trail the API's
        log.wait(lambda: "document.routed" in log.events_of([document_id])[0], 30, "no route seen")
        [events] = log.events_of([document_id])
    routed_at = events["document.routed"][0]
    return answered - routed_at, answered - started


def _ms(values: list[float]) -> dict[str, Any]:
    return {k: v * 1000 if k != "n" else v for k, v in _phases.percentiles(values).items()}


if __name__ == "__main__":
    sys.exit(main())
