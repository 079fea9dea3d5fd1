"""CPU ms a page of each process of the pipeline, text bursts (or scan bursts) only, optionally
profiled (prints one JSON line; not a test).

Run from the repository root (about 80 s on 2 cores; with `--scans` about 40 s a burst)::

    .venv/bin/python -m bench.text_cpu [--bursts 6] [--scans 12] [--env NAME=VALUE] [--profile DIR]

The phases of bench/pipeline.py cut down to what a change of per-message cost moves: the stack
up (`bench._stack.Stack`, the working tree's code), v1 trained on the 30 samples, one warm-up
burst of 40 two-page text PDFs, then `--bursts` more; printed: each process's CPU ms a page
over those (user + system, and system alone), the four stages' and every process's sums, each
burst's pages/s. No in-process run and no scans: twice as many pairs fit in the time of one
bench/pipeline.py run, which is what a before / after of a small change needs on a noisy
machine. `--profile DIR` records each service with py-spy (`--gil --threads -r 200 -f raw`, not
a project dependency: `pip install py-spy`) for the bursts' first 40 s, one file a service.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute`, `services` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench import _corpus, _phases
from bench._events import EventLog, Mailroom
from bench._stack import ROOT, SERVICES, Stack, settings_of

STAGES = ("ingest", "ocr", "classify", "router")
BURST_DOCS = 40
PROFILE_S = 40


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=6, help="measured bursts after the warm-up one")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a setting for every service"
    )
    parser.add_argument("--profile", type=Path, help="py-spy each service into this folder")
    parser.add_argument("--scans", type=int, default=0, help="bursts of this many scans, not text PDFs")
    args = parser.parse_args()
    os.chdir(ROOT)
    rng = random.Random(7)
    samples = _corpus.training_samples(6, rng)
    probe = _corpus.text_docs(1, 1, rng, prefix="probe")[0]
    size = args.scans or BURST_DOCS
    if args.scans:
        sent = _corpus.scan_docs(size * (args.bursts + 1), rng)
    else:
        sent = _corpus.text_docs(size * (args.bursts + 1), 2, rng)
    stack = Stack(
        Path(tempfile.mkdtemp(prefix="docroute-text-cpu-")),
        service_env=settings_of(args.env),
    )
    log: EventLog | None = None
    mailroom: Mailroom | None = None
    try:
        stack.start()
        log = EventLog(stack.kafka)
        headers = {"Authorization": f"Bearer {stack.admin_api_key}"}
        with httpx.Client(base_url=stack.api_url, headers=headers, timeout=60) as api:
            key = _phases.create_workflow(api)
            mailroom = Mailroom(stack.kafka, key)
            _phases.load_samples(log, mailroom, stack, key, samples)
            _phases.measure_training(api, log, mailroom, key, 1, probe)
            _phases.measure_burst(log, mailroom, stack, sent[:size], timeout_s=300)
            spies = _start_profiles(stack, args.profile) if args.profile else []
            system_before = _system_seconds(stack)
            cpu: dict[str, float] = {}
            pages = 0
            rates = []
            for i in range(1, args.bursts + 1):
                docs = sent[i * size : (i + 1) * size]
                burst = _phases.measure_burst(log, mailroom, stack, docs, timeout_s=300)
                pages += burst.pages
                rates.append(round(burst.pages / burst.seconds, 1))
                for name, seconds in burst.cpu_s.items():
                    cpu[name] = cpu.get(name, 0.0) + seconds
            system_after = _system_seconds(stack)
            for spy in spies:
                spy.wait()
    finally:
        if mailroom is not None:
            mailroom.close()
        if log is not None:
            log.close()
        stack.stop()
    per_page = {name: round(1000 * seconds / pages, 2) for name, seconds in cpu.items()}
    system = {
        name: round(1000 * (system_after[name] - system_before.get(name, 0.0)) / pages, 2)
        for name in system_after
    }
    print(
        json.dumps(
            {
                "env": args.env,
                "documents": "scans" if args.scans else "text",
                "load": [round(x, 1) for x in os.getloadavg()],
                "pages_per_s": rates,
                "four_stages_ms": round(sum(per_page.get(n, 0.0) for n in STAGES), 1),
                "every_process_ms": round(sum(per_page.values()), 1),
                "cpu_ms_a_page": per_page,
                "system_ms_a_page": system,
            }
        )
    )
    return 0


def _system_seconds(stack: Stack) -> dict[str, float]:
    """Kernel CPU seconds of each process so far (`Stack.cpu_seconds` sums user and system)."""
    out = {}
    for name, process in stack.processes.items():
        try:
            out[name] = _system_of(process.process.pid)
        except OSError:
            continue
    return out


def _system_of(pid: int) -> float:
    """System CPU seconds of `pid` from /proc (field 15, stime, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[12]) / os.sysconf("SC_CLK_TCK")


def _start_profiles(stack: Stack, folder: Path) -> list[subprocess.Popen[bytes]]:
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(stack.processes[name].process.pid),
                "-r",
                "200",
                "-d",
                str(PROFILE_S),
                "-f",
                "raw",
                "-o",
                str(folder / f"{name}.txt"),
                "--threads",
                "--gil",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in SERVICES
    ]


if __name__ == "__main__":
    sys.exit(main())
