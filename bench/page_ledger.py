"""CPU and wall time of one page reservation, the call ingest makes for every document, in this
tree against another (a worktree of an earlier commit), side by side (not a test).

Run from the repository root (about 30 s)::

    .venv/bin/python -m bench.page_ledger --baseline /tmp/wt-before [--calls 1000] [--rounds 3]

A fresh database on the PostgreSQL the tests use (`docroute.devstack`), the ledger's tables made
from its own metadata; each round runs `--calls` reservations of one two-page document through
`docroute.quota.Ledger` of each tree in turn, in a child process per tree (both import
`docroute`). Printed: per tree, CPU ms (user + system of the caller) and wall ms a reservation,
median over the rounds, and their ratio. The database server's own CPU is not counted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run in a child with the tree's root first on sys.path: prints one JSON line of figures.
_CHILD = """
import json, sys, time, uuid
from sqlalchemy import create_engine
from docroute import quota
from docroute.devstack import create_postgres_database, drop_postgres_database

calls, rounds = int(sys.argv[1]), int(sys.argv[2])
url = create_postgres_database("ledger_bench")
try:
    engine = create_engine(url)
    quota.COUNTERS.metadata.create_all(engine)
    engine.dispose()
    ledger = quota.Ledger(url, {"free": 10**9}, "free")
    workflow = uuid.uuid4()
    for _ in range(50):  # warm: pool connected, statements compiled
        ledger.reserve(workflow, [(uuid.uuid4(), 2)])
    figures = []
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(calls):
            plan, refusal = ledger.reserve(workflow, [(uuid.uuid4(), 2)])
            assert refusal is None, refusal
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        figures.append((cpu / calls * 1e3, wall / calls * 1e3))
    ledger.close()
    print(json.dumps(figures))
finally:
    drop_postgres_database(url)
"""


def measure(tree: Path, calls: int, rounds: int) -> tuple[float, float]:
    """(CPU ms, wall ms) a reservation through `tree`'s ledger, medians over the rounds."""
    code = f"import sys; sys.path.insert(0, {str(tree)!r})\n{_CHILD}"
    out = subprocess.run(
        [sys.executable, "-c", code, str(calls), str(rounds)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tree,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    return statistics.median(f[0] for f in figures), statistics.median(f[1] for f in figures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="root of the tree to compare with")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # baseline, this tree, this tree, baseline: a machine that drifts favours neither
    first = measure(args.baseline.resolve(), args.calls, args.rounds)
    middle = [measure(ROOT, args.calls, args.rounds) for _ in range(2)]
    last = measure(args.baseline.resolve(), args.calls, args.rounds)
    before = [statistics.mean(pair) for pair in zip(first, last, strict=True)]
    after = [statistics.mean(pair) for pair in zip(*middle, strict=True)]
    title = f"a page reservation (PostgreSQL, {args.calls} calls x {args.rounds}, each tree twice)"
    print(f"| {title} | baseline | this tree | ratio |")
    print("|---|---|---|---|")
    print(f"| CPU ms a call | {before[0]:.3f} | {after[0]:.3f} | {after[0] / before[0]:.2f} |")
    print(f"| wall ms a call | {before[1]:.3f} | {after[1]:.3f} | {after[1] / before[1]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
