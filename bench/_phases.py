"""The measured phases on a running stack: samples, training, bursts, one-at-a-time documents."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._corpus import LABELS, Doc
from bench._events import EventLog, Mailroom, Submitted
from bench._stack import Stack
from docroute.blobstore import BlobRef, BlobStore
from docroute.classifier.model import ClassifierModel

STAGE_SPANS = (
    ("ingest", None, "document.received"),
    ("ocr", "document.received", "document.text_extracted"),
    ("classify", "document.text_extracted", "document.classified"),
    ("router", "document.classified", "document.routed"),
    ("end-to-end", None, "document.routed"),
)
THRESHOLD = 0.8


def create_workflow(api: httpx.Client, name: str = "bench", labels: Sequence[str] = LABELS) -> str:
    """The bench workflow (no retraining but on request, cropping, the bench threshold) on the
    unlimited plan."""
    response = api.post(
        "/workflows",
        json={
            "name": name,
            "labels": list(labels),
            "retrain_every": 100_000,
            "threshold": THRESHOLD,
            "document_spec": {"cropping": True, "character_set": "latin", "text_style": "printed"},
        },
    )
    response.raise_for_status()
    key = str(response.json()["key"])
    # Both doors hold a plan's monthly pages (the free plan's 100 would stop the run).
    api.put(f"/workflows/{key}/plan", json={"plan": "unlimited"}).raise_for_status()
    return key


def start_variants(
    stacks: dict[str, Stack],
    logs: dict[str, EventLog],
    mailrooms: dict[str, Mailroom],
    samples: list[Doc] | None,
    probe: Doc,
) -> None:
    """Start each variant's stack with a workflow of its own and, given `samples`, train its v1
    on them. `logs` and `mailrooms` are filled as each stack starts, so the caller closes what
    was opened also when a later one fails."""
    for variant, stack in stacks.items():
        print(f"starting a stack with {variant}", flush=True)
        stack.start()
        logs[variant] = EventLog(stack.kafka)
        headers = {"Authorization": f"Bearer {stack.admin_api_key}"}
        with httpx.Client(base_url=stack.api_url, headers=headers, timeout=60) as api:
            key = create_workflow(api)
            mailrooms[variant] = Mailroom(stack.kafka, key)
            if samples is not None:
                print(f"training v1 on {len(samples)} samples", flush=True)
                load_samples(logs[variant], mailrooms[variant], stack, key, samples)
                measure_training(api, logs[variant], mailrooms[variant], key, 1, probe)


def close_variants(
    closables: Iterable[Mailroom | EventLog | httpx.Client],
    stacks: dict[str, Stack],
    run_dirs: Iterable[Path],
) -> None:
    """Close the clients of the variants' stacks, stop the stacks and remove their run folders."""
    for closable in closables:
        closable.close()
    for stack in stacks.values():
        stack.stop()
    for run_dir in run_dirs:
        shutil.rmtree(run_dir, ignore_errors=True)


def load_samples(log: EventLog, mailroom: Mailroom, stack: Stack, key: str, samples: list[Doc]) -> None:
    """Send labelled samples and wait until the trainer has stored every one. It stores a sample
    once its own work is done (text read, embedded, terms counted), so a training requested after
    this holds no per-sample work."""
    ids = [s.document_id for s in mailroom.submit(samples, purpose="training", labelled=True)]
    log.wait(lambda: all(i in log.labelled for i in ids), 300, "samples were not all labelled")
    store = BlobStore(stack.s3)
    deadline = time.monotonic() + 300  # embedding 100 long samples takes a while on busy cores
    while len(store.list_keys(f"trainsets/{key}/samples/")) < len(ids):
        if time.monotonic() > deadline:
            raise TimeoutError("the trainer did not store every sample")
        time.sleep(0.3)


def measure_training(
    api: httpx.Client,
    log: EventLog,
    mailroom: Mailroom,
    key: str,
    version: int,
    probe: Doc,
    interval_s: float = 0.5,
    timeout_s: float = 300,
) -> dict[str, Any]:
    """POST /train, then probe with a document every `interval_s` until one is classified by
    `version`: request -> model.published, and request -> first document.classified with it."""
    requested = time.time()
    api.post(f"/workflows/{key}/train").raise_for_status()
    probes: list[Submitted] = []
    last_probe = 0.0
    while True:
        serving = _first_classified(log, probes, version)
        if serving is not None:
            break
        if time.time() - requested > timeout_s:
            raise TimeoutError(f"version {version} never served after {timeout_s}s")
        if time.monotonic() - last_probe >= interval_s:
            probes += mailroom.submit([probe])
            last_probe = time.monotonic()
        time.sleep(0.05)
    published = log.published_version(key, version)
    if published is None:
        raise RuntimeError(f"version {version} served without a model.published event")
    log.wait_done([p.document_id for p in probes], 300)  # leave nothing in flight
    at, data = published
    return {
        "version": version,
        "n_samples": data["metrics"]["n_samples"],
        "training_seconds": data["metrics"]["training_seconds"],
        "accuracy": data["metrics"]["accuracy"],
        "request_to_published_s": round(at - requested, 3),
        "request_to_serving_s": round(serving - requested, 3),
        "probes": len(probes),
        "probe_interval_s": interval_s,
        "artifact_ref": data["artifact_ref"],
        "embedder_id": data["embedder_id"],
    }


def _first_classified(log: EventLog, probes: list[Submitted], version: int) -> float | None:
    hits = [events.get("document.classified") for events in log.events_of([p.document_id for p in probes])]
    times = [at for at, data in filter(None, hits) if data["model_version"] >= version]
    return min(times) if times else None


def load_model(stack: Stack, artifact_ref: str) -> ClassifierModel:
    """The published artifact, read from S3 the way classify reads it."""
    store, prefix = BlobStore(stack.s3), BlobRef.parse(artifact_ref).key
    return ClassifierModel.load({n: store.get(prefix + n) for n in ("model.safetensors", "model.json")})


@dataclass
class Burst:
    """One burst: what was sent, how long until the last route, and what the processes spent."""

    submitted: list[Submitted]
    pages: int
    seconds: float
    cpu_s: dict[str, float]
    handled: dict[str, tuple[float, float]]
    # Once the pipeline is full: the pages routed after the first routed document, and the time
    # from that route to the last (a burst's first document crosses every stage alone first).
    full_pages: int = 0
    full_seconds: float = 0.0


def measure_burst(
    log: EventLog, mailroom: Mailroom, stack: Stack, docs: list[Doc], timeout_s: float
) -> Burst:
    """Submit every document back to back; first submit -> the last document.routed's `time`."""
    cpu_before, handled_before = stack.cpu_seconds(), stack.handling()
    submitted = mailroom.submit(docs)
    ids = [s.document_id for s in submitted]
    log.wait_done(ids, timeout_s)
    cpu_after, handled_after = stack.cpu_seconds(), stack.handling()
    stack.check_running()
    routed = [events.get("document.routed", (0.0, {}))[0] for events in log.events_of(ids)]
    last = max(routed)
    return Burst(
        submitted,
        sum(d.pages for d in docs),
        last - submitted[0].at,
        {n: cpu_after[n] - cpu_before.get(n, 0.0) for n in cpu_after},
        {
            n: (s - handled_before.get(n, (0.0, 0.0))[0], c - handled_before.get(n, (0.0, 0.0))[1])
            for n, (s, c) in handled_after.items()
        },
        *once_full(routed, [d.pages for d in docs]),
    )


def once_full(routed: list[float], pages: list[int]) -> tuple[int, float]:
    """The pages routed after the first document routed (``routed``: each document's route time,
    ``pages`` its pages), and the time from that route to the last: the pipeline's rate once
    every stage has work, without the fill (the first document crossing the stages alone)."""
    first = min(range(len(routed)), key=routed.__getitem__)
    return sum(pages) - pages[first], max(routed) - routed[first]


def summarize_bursts(log: EventLog, bursts: list[Burst]) -> dict[str, Any]:
    """Median pages/s over the bursts; latencies, CPU and handler time pooled over all of them."""
    rates = [b.pages / b.seconds for b in bursts]
    full = [b.full_pages / b.full_seconds for b in bursts if b.full_seconds > 0]
    pages = sum(b.pages for b in bursts)
    names = {n for b in bursts for n in b.cpu_s}
    handled = {n: [sum(b.handled.get(n, (0.0, 0.0))[i] for b in bursts) for i in (0, 1)] for n in names}
    return {
        "repeats": len(bursts),
        "docs": len(bursts[0].submitted),
        "pages": bursts[0].pages,
        "pages_per_s": round(float(np.median(rates)), 3),
        "pages_per_s_runs": [round(r, 3) for r in rates],
        "pages_per_s_full": round(float(np.median(full)), 3) if full else None,
        "pages_per_s_full_runs": [round(r, 3) for r in full],
        "seconds_runs": [round(b.seconds, 3) for b in bursts],
        **outcome(log, [s for b in bursts for s in b.submitted]),
        "cpu_s_per_page": {n: round(sum(b.cpu_s.get(n, 0.0) for b in bursts) / pages, 4) for n in names},
        "handling_s_per_message": {n: round(s / c, 4) for n, (s, c) in handled.items() if c},
        "api_events_per_batch": _per_batch(bursts, "api projection"),
        "classify_messages_per_batch": _per_batch(bursts, "classify batches"),
    }


def _per_batch(bursts: list[Burst], name: str) -> float | None:
    """Items a batch of the `name` entry of the bursts' `handled` (items, batches); None without."""
    items, batches = (sum(b.handled.get(name, (0.0, 0.0))[i] for b in bursts) for i in (0, 1))
    return round(items / batches, 2) if batches else None


def measure_idle(stack: Stack, seconds: float, settle_s: float = 3.0) -> dict[str, float]:
    """CPU seconds per second of each process while nothing is sent (after `settle_s`, past the
    services' active fetch window): what they spend on their own (fetch polls, heartbeats,
    timers, the views' consumers). A burst's CPU per page includes it for as long as it lasts."""
    time.sleep(settle_s)
    before, started = stack.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    after, elapsed = stack.cpu_seconds(), time.monotonic() - started
    return {n: round((after[n] - before.get(n, 0.0)) / elapsed, 4) for n in after}


def measure_one_at_a_time(
    log: EventLog, mailroom: Mailroom, docs: list[Doc], timeout_s: float
) -> dict[str, Any]:
    """Latency with an idle pipeline: each document waits for the previous one to be routed."""
    submitted = []
    for doc in docs:
        [one] = mailroom.submit([doc])
        log.wait_done([one.document_id], timeout_s)
        submitted.append(one)
    return {"docs": len(docs), **outcome(log, submitted)}


def outcome(log: EventLog, submitted: list[Submitted]) -> dict[str, Any]:
    """Failures, right classes and p50/p95 of each stage span over `submitted`."""
    spans: dict[str, list[float]] = {name: [] for name, _, _ in STAGE_SPANS}
    correct = 0
    tracks = log.events_of([s.document_id for s in submitted])
    for sub, events in zip(submitted, tracks, strict=True):
        if "document.routed" not in events:
            continue
        correct += events["document.routed"][1].get("document_class") == sub.doc.kind
        for name, start, end in STAGE_SPANS:
            began = sub.at if start is None else events[start][0]
            spans[name].append(events[end][0] - began)
    return {
        "failed": log.failed([s.document_id for s in submitted]),
        "accuracy": round(correct / len(submitted), 3),
        "latency_s": {name: percentiles(values) for name, values in spans.items()},
    }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "n": 0}
    p50, p95 = np.percentile(values, [50, 95])
    return {"p50": round(float(p50), 3), "p95": round(float(p95), 3), "n": len(values)}
