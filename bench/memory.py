"""Peak memory of every service on real documents against its manifest, with the CPU seconds per
page of each stage and the time from a training request to serving (prints figures; not a test).

Run from the repository root (about 10 minutes on 2 busy cores)::

    .venv/bin/python -m bench.memory [--samples 100] [--text 30] [--scans 12] [--json PATH]

One run of the real pipeline (bench/_stack.py: localbucket, Tansu, PostgreSQL and the six
services as separate processes, on the code of the last commit): a workflow with 7 kinds of the
real corpus (bench/corpus: invoices, papers and tax forms as they are, PDFs; receipts, photos
and scans, JPEG; manuals, minutes and policies, text sources set into PDFs), `--samples`
labelled samples dealt over the kinds, a training timed from the request to the first document
classified by the new version (bench/_phases.py), then a burst of `--text` real text PDFs and
one of `--scans` real receipt images, none of them a sample. The stack's sampler keeps each
process's RSS (and the kernel's high-water mark, VmHWM); the table compares the peak with
`resources.requests.memory` and `limits.memory` of deploy/k8s/base/<service>.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute`, `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import pypdfium2
import yaml

from bench import _phases
from bench._corpus import Doc
from bench._events import EventLog, Mailroom
from bench._realdocs import load_manifest
from bench._stack import ROOT, SERVICES, Stack, freeze_code
from bench.corpus.build import DEFAULT_OUT
from tests.factories.documents import make_text_pdf

PDF_KINDS = ("invoice", "paper", "tax_form")
IMAGE_KINDS = ("receipt",)
TEXT_KINDS = ("manual", "minutes", "policy")  # text sources: set into a PDF (the doors take no .txt)
KINDS = PDF_KINDS + IMAGE_KINDS + TEXT_KINDS
MiB = 2**20


def _doc(entry: dict[str, Any]) -> Doc:
    """A corpus entry as a file the doors accept, with its page count."""
    data = (DEFAULT_OUT / entry["path"]).read_bytes()
    name = Path(entry["path"]).name
    if entry["kind"] in TEXT_KINDS:
        text = data.decode("utf-8", "replace")[:20_000].replace("\t", "    ")
        data, name = make_text_pdf(text.splitlines() or [" "]), f"{name}.pdf"
    pages = len(pypdfium2.PdfDocument(data)) if data.startswith(b"%PDF") else 1
    return Doc(name, entry["kind"], data, pages)


def _documents(n_samples: int, n_text: int, n_scans: int) -> dict[str, list[Doc]]:
    """Samples dealt over the kinds, then text PDFs and receipts that are not samples."""
    rng = random.Random(9)
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for entry in load_manifest():
        if entry["kind"] in by_kind and (DEFAULT_OUT / entry["path"]).is_file():
            by_kind[entry["kind"]].append(entry)
    for entries in by_kind.values():
        rng.shuffle(entries)
    samples = [by_kind[KINDS[i % len(KINDS)]].pop() for i in range(n_samples)]
    rest_pdfs = [e for kind in PDF_KINDS for e in by_kind[kind]]
    rng.shuffle(rest_pdfs)
    return {
        "samples": [_doc(e) for e in samples],
        "text": [_doc(e) for e in rest_pdfs[:n_text]],
        "scans": [_doc(e) for e in by_kind["receipt"][:n_scans]],
    }


def manifest_memory(service: str) -> tuple[str, str]:
    """(request, limit) memory of the service's container in deploy/k8s/base, '-' where none."""
    path = ROOT / "deploy" / "k8s" / "base" / f"{service}.yaml"
    if not path.is_file():
        return "-", "-"
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc.get("kind") == "Deployment":
            resources = doc["spec"]["template"]["spec"]["containers"][0].get("resources", {})
            return (
                str(resources.get("requests", {}).get("memory", "-")),
                str(resources.get("limits", {}).get("memory", "-")),
            )
    return "-", "-"


def mebibytes(quantity: str) -> float | None:
    """A Kubernetes memory quantity (512Mi, 3Gi, 1G, 1500M) in MiB; None for '-'."""
    units = {"Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0, "K": 1e3 / MiB, "M": 1e6 / MiB, "G": 1e9 / MiB}
    for suffix in sorted(units, key=len, reverse=True):
        if quantity.endswith(suffix):
            return float(quantity[: -len(suffix)]) * units[suffix]
    return None if quantity == "-" else float(quantity) / MiB


def _run(stack: Stack, docs: dict[str, list[Doc]]) -> dict[str, Any]:
    stack.start()
    log = EventLog(stack.kafka)
    headers = {"Authorization": f"Bearer {stack.admin_api_key}"}
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=60) as api:
        key = _phases.create_workflow(api, "memory-bench", KINDS)
        mailroom = Mailroom(stack.kafka, key)
        try:
            print(f"{len(docs['samples'])} real samples in {len(KINDS)} kinds", flush=True)
            _phases.load_samples(log, mailroom, stack, key, docs["samples"])
            print("training v1", flush=True)
            cpu_before = stack.cpu_seconds()
            training = _phases.measure_training(api, log, mailroom, key, 1, docs["text"][0], timeout_s=900)
            # CPU, not wall: on a shared machine the wall time says more about the neighbours.
            training["trainer_cpu_s"] = stack.cpu_seconds()["trainer"] - cpu_before["trainer"]
            bursts = {}
            for kind in ("text", "scans"):
                print(f"burst: {len(docs[kind]) - (kind == 'text')} {kind}", flush=True)
                chunk = docs[kind][1:] if kind == "text" else docs[kind]
                bursts[kind] = _phases.measure_burst(log, mailroom, stack, chunk, timeout_s=1800)
        finally:
            mailroom.close()
            log.close()
    return {"training": training, "bursts": bursts, "peak_rss": stack.peak_rss()}


def _report(r: dict[str, Any], docs: dict[str, list[Doc]], load: list[list[float]]) -> str:
    t = r["training"]
    lines = [
        f"## Memory per service, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"{os.cpu_count()} cores; load average {load[0]} -> {load[1]}; last commit's code",
        f"samples: {len(docs['samples'])} real documents in {len(KINDS)} kinds, "
        f"{sum(d.pages for d in docs['samples'])} pages; training request -> published "
        f"{t['request_to_published_s']:.1f} s, -> serving {t['request_to_serving_s']:.1f} s "
        f"(trainer {t['training_seconds']:.1f} s wall, {t['trainer_cpu_s']:.1f} CPU-s; out-of-fold accuracy "
        f"{t['accuracy']:.2f})",
    ]
    for kind, burst in r["bursts"].items():
        rate = burst.pages / burst.seconds
        lines.append(f"{kind}: {len(burst.submitted)} documents, {burst.pages} pages, {rate:.2f} pages/s")
    lines += [
        "",
        "| process | peak RSS MiB | request | limit | peak / request | CPU s/page text | CPU s/page scans |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, peak in sorted(r["peak_rss"].items()):
        request, limit = manifest_memory(name) if name in SERVICES else ("-", "-")
        asked = mebibytes(request)
        ratio = f"{peak / MiB / asked:.2f}" if asked else "-"
        cpu = [b.cpu_s.get(name, 0.0) / b.pages for b in (r["bursts"]["text"], r["bursts"]["scans"])]
        lines.append(
            f"| {name} | {peak / MiB:.0f} | {request} | {limit} | {ratio} | {cpu[0]:.4f} | {cpu[1]:.4f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--text", type=int, default=30, help="real text PDFs in the burst")
    parser.add_argument("--scans", type=int, default=12, help="real receipt images in the burst")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.chdir(ROOT)
    load_before = [round(v, 2) for v in os.getloadavg()]
    docs = _documents(args.samples, args.text + 1, args.scans)  # +1: the training probe
    run_dir = Path(tempfile.mkdtemp(prefix="docroute-memory-"))
    stack = Stack(run_dir, code_dir=freeze_code(run_dir))
    try:
        results = _run(stack, docs)
    finally:
        stack.stop()
    shutil.rmtree(run_dir, ignore_errors=True)
    print(_report(results, docs, [load_before, [round(v, 2) for v in os.getloadavg()]]))
    if args.json:
        bursts = {
            k: {"pages": b.pages, "seconds": b.seconds, "cpu_s": b.cpu_s}
            for k, b in results["bursts"].items()
        }
        peaks = {n: round(b / MiB, 1) for n, b in results["peak_rss"].items()}
        training = {k: v for k, v in results["training"].items() if k != "artifact_ref"}
        args.json.write_text(
            json.dumps({"training": training, "bursts": bursts, "peak_rss_mib": peaks}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
