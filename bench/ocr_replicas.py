"""Scan throughput through the real pipeline with one OCR replica, then two (issue 9's scaling).

    nice -n 10 .venv/bin/python -m bench.ocr_replicas [--scans 16] [--rounds 2] [--receipts] [--json PATH]

The stack of `bench/_stack.py` (2 partitions per topic, one replica of every service), a workflow
without a model (classify sends each document to review: the least work after OCR), then rounds
of two bursts of fresh scans (flat 200-dpi PNGs, Tesseract): one with the single OCR replica,
one with a second replica started beside it (and stopped after). With `--receipts` the scans
are real ones instead: the corpus's SROIE receipt scans (`bench/corpus/build.py`), each sent
once, read as the workflow reads them (Tesseract, PaddleOCR for the pages it reads poorly;
every replica loads both before it is ready).
Both bursts of a round send the same scans. The first's land alternately on the two partitions
of `document.received`; the second's are split into halves of equal OCR time as the single
replica measured it (a receipt read again by PaddleOCR costs ten of the others), each half on
one partition (document ids are the mailroom's rule of a mail id, so the bench picks mail ids
that hash there): the figure is the replicas' scaling, not the keys' luck.

Prints per burst: pages/s (first submit -> the last `document.routed`), the ratio two / one
replicas side by side in each round, pages/s per replica, what each replica handled, and CPU-s
per page of every process. Two replicas reach 2x only with two cores free for OCR: the other
stages, the broker and S3 share them (their CPU per page is printed beside).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
from kafka.partitioner.default import murmur2

from bench import _corpus, _phases
from bench._corpus import Doc
from bench._events import EventLog, Mailroom, Submitted
from bench._realdocs import load_manifest
from bench._stack import Stack, handled_on, settings_of
from bench.corpus.build import DEFAULT_OUT
from docroute.intake import mail_document_id
from docroute.processes import ManagedProcess, free_port, start_service

PARTITIONS = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=16, help="scans per burst (even)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of one burst per replica count")
    parser.add_argument("--receipts", action="store_true", help="the corpus's real receipt scans")
    parser.add_argument("--json", type=Path, help="also save the figures to this file")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a setting for every service"
    )
    args = parser.parse_args()
    receipts = iter(_receipts()) if args.receipts else None
    load_before = os.getloadavg()
    rng = random.Random(9)
    run_dir = Path(tempfile.mkdtemp(prefix="docroute-ocr-replicas-"))
    # Receipts escalate to PaddleOCR: every replica loads it before it is ready, so a replica
    # started for a burst does not load it during the burst.
    warm = {"DOCROUTE_WARM_ENGINES": '["tesseract", "paddle"]'} if args.receipts else {}
    stack = Stack(run_dir, service_env=warm | settings_of(args.env))
    log: EventLog | None = None
    mailroom: BalancedMailroom | None = None
    results: dict[str, Any] = {"bursts": []}
    try:
        print("starting the stack", flush=True)
        stack.start()
        log = EventLog(stack.kafka)
        headers = {"Authorization": f"Bearer {stack.admin_api_key}"}
        with httpx.Client(base_url=stack.api_url, headers=headers, timeout=60) as api:
            key = _phases.create_workflow(api, name="ocr-replicas")
        mailroom = BalancedMailroom(stack, key)
        # Warm: every stage has loaded what it loads on its first document.
        mailroom.burst(log, _corpus.scan_docs(PARTITIONS, rng, prefix="warm"))
        for round_ in range(args.rounds):
            # The same scans for both bursts of a round: like for like.
            if receipts is not None:
                scans = [next(receipts) for _ in range(args.scans)]
            else:
                scans = _corpus.scan_docs(args.scans, rng, prefix=f"r{round_}")
            partitions = [i % PARTITIONS for i in range(len(scans))]
            for replicas in (1, 2):
                extra = _start_replica(stack, run_dir, mailroom, log, rng) if replicas == 2 else None
                try:
                    burst = mailroom.burst(log, scans, partitions, extra)
                finally:
                    if extra is not None:
                        extra.stop(60)
                        # The next burst starts once the first replica holds both partitions.
                        mailroom.probe(log, rng)
                # The two replicas get halves of equal OCR time as the single one measured it
                # (real receipts differ: one read again by PaddleOCR costs ten of the others).
                partitions = _balanced_partitions(burst.pop("ocr_s"))
                burst.update(round=round_, replicas=replicas)
                results["bursts"].append(burst)
                print(_line(burst), flush=True)
        results["load"] = [round(x, 2) for x in (*load_before, *os.getloadavg())]
    finally:
        if mailroom is not None:
            mailroom.close()
        if log is not None:
            log.close()
        stack.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    print(_report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


class BalancedMailroom:
    """Sends bursts whose documents fall half on each partition, and times them."""

    def __init__(self, stack: Stack, workflow_key: str) -> None:
        self._stack = stack
        self._key = workflow_key
        self._mailroom = Mailroom(stack.kafka, workflow_key)

    def burst(
        self,
        log: EventLog,
        docs: list[Doc],
        partitions: list[int] | None = None,
        extra: ManagedProcess | None = None,
    ) -> dict[str, Any]:
        """Submit `docs` back to back, each to its partition (default: alternating), and
        wait until all are routed. `ocr_s` in the answer: each document's OCR seconds (its text
        after the one before it, or after it arrived: exact with one replica)."""
        mail_ids = _mail_ids_for(self._key, docs, partitions or [i % PARTITIONS for i in range(len(docs))])
        replicas = {"ocr": _handled(self._stack.ports["ocr"])}
        if extra is not None and extra.port is not None:
            replicas["ocr-2"] = _handled(extra.port)
        cpu_before = self._cpu(extra)
        submitted = self._mailroom.submit(docs, mail_ids=mail_ids)
        ids = [s.document_id for s in submitted]
        log.wait_done(ids, 900)
        seconds = _last_routed(log, ids) - submitted[0].at
        cpu = {n: s - cpu_before.get(n, 0.0) for n, s in self._cpu(extra).items()}
        handled = {"ocr": _handled(self._stack.ports["ocr"]) - replicas["ocr"]}
        if extra is not None and extra.port is not None:
            handled["ocr-2"] = _handled(extra.port) - replicas["ocr-2"]
        pages = sum(d.pages for d in docs)
        tracks = log.events_of(ids)
        ocr_s, done = [0.0] * len(tracks), 0.0
        for index in sorted(range(len(tracks)), key=lambda i: tracks[i]["document.text_extracted"][0]):
            extracted = tracks[index]["document.text_extracted"][0]
            ocr_s[index] = extracted - max(done, tracks[index]["document.received"][0])
            done = extracted
        return {
            "ocr_s": ocr_s,
            "pages": pages,
            "seconds": round(seconds, 3),
            "pages_per_s": round(pages / seconds, 4),
            "handled_by": {n: int(c) for n, c in handled.items()},
            "failed": log.failed(ids),
            "cpu_s_per_page": {n: round(s / pages, 3) for n, s in sorted(cpu.items())},
        }

    def _cpu(self, extra: ManagedProcess | None) -> dict[str, float]:
        cpu = self._stack.cpu_seconds()
        if extra is not None:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(extra.process.pid).cpu_times()
                cpu["ocr-2"] = times.user + times.system
        return cpu

    def submit(self, docs: list[Doc]) -> list[Submitted]:
        partitions = [i % PARTITIONS for i in range(len(docs))]
        return self._mailroom.submit(docs, mail_ids=_mail_ids_for(self._key, docs, partitions))

    def probe(self, log: EventLog, rng: random.Random) -> None:
        """One small text PDF on each partition, until all are routed."""
        probes = _corpus.text_docs(PARTITIONS, 1, rng, prefix="probe")
        log.wait_done([s.document_id for s in self.submit(probes)], 300)

    def close(self) -> None:
        self._mailroom.close()


def _receipts() -> list[Doc]:
    """The corpus's scanned receipts (SROIE), in manifest order."""
    return [
        Doc(Path(entry["path"]).name, "receipt", (DEFAULT_OUT / entry["path"]).read_bytes(), 1)
        for entry in load_manifest()
        if entry["kind"] == "receipt" and entry["media_type"] == "image/jpeg"
    ]


def _balanced_partitions(seconds: list[float]) -> list[int]:
    """A partition per document, the most costly first to the partition with the least so far:
    halves of about equal OCR time (longest processing time first)."""
    load = [0.0] * PARTITIONS
    partitions = [0] * len(seconds)
    for index in sorted(range(len(seconds)), key=lambda i: -seconds[i]):
        partitions[index] = load.index(min(load))
        load[partitions[index]] += seconds[index]
    return partitions


def _mail_ids_for(workflow_key: str, docs: list[Doc], partitions: list[int]) -> list[str]:
    """Mail ids whose documents' keys hash to the given partitions (the default partitioner:
    murmur2 of the key, as ingest's producer keys `document.received` by document id)."""
    ids: list[str] = []
    for doc, partition in zip(docs, partitions, strict=True):
        while True:
            mail_id = f"bench-{uuid.uuid4()}"
            key = mail_document_id(workflow_key, mail_id, 0, doc.filename).encode()
            if (murmur2(key) & 0x7FFFFFFF) % PARTITIONS == partition:
                ids.append(mail_id)
                break
    return ids


def _start_replica(
    stack: Stack, run_dir: Path, mailroom: BalancedMailroom, log: EventLog, rng: random.Random
) -> ManagedProcess:
    """A second OCR replica in the same consumer group; returns once it has read documents of
    its own (the group rebalanced: each replica holds one partition)."""
    port = free_port()
    env = {**stack.dev.env, "DOCROUTE_HEALTH_PORT": str(port), "DOCROUTE_PORT": str(port)}
    with contextlib.chdir(stack.code_dir):
        replica = start_service("ocr", env, run_dir / "logs" / "ocr-2", port=port)
    deadline = time.monotonic() + 180
    while _handled(port) == 0:
        if time.monotonic() > deadline:
            replica.stop()
            raise RuntimeError("the second OCR replica read nothing in 180 s")
        mailroom.probe(log, rng)
    return replica


def _handled(port: int) -> float:
    """Messages the service on `port` has handled."""
    return handled_on(port)[1]


def _last_routed(log: EventLog, ids: list[str]) -> float:
    return max(events["document.routed"][0] for events in log.events_of(ids))


def _line(burst: dict[str, Any]) -> str:
    return (
        f"round {burst['round'] + 1}, {burst['replicas']} OCR replica(s): {burst['pages']} scans in "
        f"{burst['seconds']:.1f} s = {burst['pages_per_s']:.3f} pages/s, handled {burst['handled_by']}"
    )


def _report(results: dict[str, Any]) -> str:
    bursts = results["bursts"]
    lines = ["", "OCR replicas: scans through the pipeline (pages/s)", ""]
    lines.append("| round | 1 replica | 2 replicas | 2 / 1 | per replica (2) |")
    lines.append("|---|---|---|---|---|")
    for round_ in sorted({b["round"] for b in bursts}):
        one, two = (next(b for b in bursts if b["round"] == round_ and b["replicas"] == r) for r in (1, 2))
        ratio = two["pages_per_s"] / one["pages_per_s"]
        lines.append(
            f"| {round_ + 1} | {one['pages_per_s']:.3f} | {two['pages_per_s']:.3f} | {ratio:.2f} | "
            f"{two['pages_per_s'] / 2:.3f} |"
        )
    lines += ["", "CPU-s per page, each process (1 replica / 2 replicas, round 1):"]
    one, two = (next(b for b in bursts if b["round"] == 0 and b["replicas"] == r) for r in (1, 2))
    for name in sorted(set(one["cpu_s_per_page"]) | set(two["cpu_s_per_page"])):
        alone, beside = (b["cpu_s_per_page"].get(name, 0.0) for b in (one, two))
        lines.append(f"  {name:10} {alone:7.3f} {beside:7.3f}")
    lines.append(f"\nload average before (1, 5, 15 min) and after: {results.get('load')}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
