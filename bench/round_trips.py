"""What one document costs in the per-message writes that at-least-once needs (issue 9): the
router's decision record on S3, ingest's page reservation and the API's settling of it on
PostgreSQL, and the API projection's four events of a document, one a poll. Prints the caller's
CPU and wall time per document, S3 requests and the S3 server's CPU per document, and SQL
statements per document, for the working tree's commit and a baseline, alternating, on one S3
server and one database (not a test).

Run from the repository root (about a minute; PostgreSQL on 127.0.0.1:5432 as the suite uses)::

    .venv/bin/python bench/round_trips.py --baseline 51e584d [--documents 300] [--rounds 2]

Each version runs in a child process that imports a copy of that commit's code (`git archive`),
so the two share nothing but the servers.
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# A child imports the code of the version it measures (its working directory), the parent this
# repository's.
sys.path.insert(0, os.getcwd() if "--child" in sys.argv else str(Path(__file__).resolve().parents[1]))

import psutil


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="the commit to compare HEAD with")
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--events-a-poll", type=int, default=1,
        help="the projection's events a poll (documents interleaved as in a burst); 1: one a poll",
    )  # fmt: skip
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(json.loads(args.child), args.documents, args.events_a_poll)))
        return 0
    from bench._stack import ROOT, freeze_code
    from docroute.devstack import DevStack, create_postgres_database, drop_postgres_database

    run_dir = Path(tempfile.mkdtemp(prefix="round-trips-"))
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    versions = {
        f"baseline {args.baseline}": freeze_code(run_dir / "base", commit=args.baseline),
        f"HEAD {head.stdout.strip()}": freeze_code(run_dir / "head", commit="HEAD"),
    }
    stack = DevStack(run_dir)
    database = create_postgres_database("roundtrips")
    try:
        s3 = stack.start_s3("round-trips")
        s3_pid = stack.processes["s3"].process.pid
        print(f"load before {os.getloadavg()[0]:.2f}", flush=True)
        for round_ in range(args.rounds):
            for name, code in versions.items():
                setup = {"s3": s3.model_dump(mode="json"), "database": database, "s3_pid": s3_pid}
                out = subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), "--baseline", args.baseline,
                     "--documents", str(args.documents), "--events-a-poll", str(args.events_a_poll),
                     "--child", json.dumps(setup)],
                    cwd=code, stdout=subprocess.PIPE, text=True, check=True,  # its errors show
                )  # fmt: skip
                figures = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"round {round_ + 1}, {name} (load {os.getloadavg()[0]:.2f}):", flush=True)
                for step, values in figures.items():
                    print(f"  {step}: " + ", ".join(f"{k} {v}" for k, v in values.items()), flush=True)
    finally:
        stack.stop()
        drop_postgres_database(database)
    return 0


def _measure(setup: dict[str, Any], documents: int, events_a_poll: int = 1) -> dict[str, dict[str, float]]:
    """In the child: the code of one version, imported from the working directory."""
    from sqlalchemy import Engine, create_engine, event

    from docroute import quota
    from docroute.blobstore import BlobStore
    from docroute.settings import S3Settings
    from services.api.db import upgrade
    from services.router.handler import RouterHandler

    statements: list[str] = []
    event.listen(Engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    s3_server = psutil.Process(setup["s3_pid"])
    store = BlobStore(S3Settings(**setup["s3"]))
    store.ensure_bucket()
    workflow_id = str(uuid.uuid4())
    router = RouterHandler(_Workflows(workflow_id), store)  # type: ignore[arg-type]
    # The hook the bus calls after the broker's acknowledgement (its name changed with issue 9).
    after_ack = getattr(router, "on_sent", None) or getattr(router, "mark_sent")  # noqa: B009

    def route() -> None:
        classified = _classified(workflow_id)
        after_ack(classified, router.on_classified(classified))

    figures = {"router": _timed(route, documents, statements, s3_server, store)}
    upgrade(setup["database"])
    ledger = quota.Ledger(setup["database"], {"free": None}, "free")
    workflow = uuid.uuid4()
    figures["ingest reserve"] = _timed(
        lambda: ledger.reserve(workflow, [(uuid.uuid4(), 2)]), documents, statements, s3_server, store
    )
    engine = create_engine(setup["database"])
    reserved = [uuid.uuid4() for _ in range(documents + 1)]
    with engine.begin() as conn:
        quota.reserve(conn, workflow, [(d, 2) for d in reserved], None)
    left = iter(reserved)

    def settle() -> None:
        with engine.begin() as conn:
            quota.settle(conn, next(left), workflow, 2, datetime.now(UTC))

    figures["api settle"] = _timed(settle, documents, statements, s3_server, store)
    figures["api projection"] = _projection(
        setup["database"], documents, statements, s3_server, store, events_a_poll
    )
    ledger.close()
    engine.dispose()
    return figures


def _projection(
    url: str, documents: int, statements: list[str], s3_server: Any, store: Any, events_a_poll: int = 1
) -> dict[str, float]:
    """A document's four events through the API's projection, each in a poll of its own (as in
    a burst, where a poll holds one or two events): SQL statements and CPU per document.

    `events_a_poll` > 1: the documents' events interleaved as a burst brings them (each tick the
    next document's `document.received` and the three before it one stage further), in polls of
    that many events, as the projection's linger gathers them; the figures still per document."""
    from sqlalchemy import create_engine

    from docroute import quota
    from services.api.db import make_sessionmaker
    from services.api.projection.service import projector
    from services.api.workflows.models import Workflow

    engine = create_engine(url)  # the projection's engine: no ping before a transaction
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        workflow = Workflow(name="trips", labels=["invoice", "w-9"], document_spec={}, class_thresholds={})
        session.add(workflow)
        session.commit()
        workflow_id = workflow.id
    ids = [uuid.uuid4() for _ in range(documents + 1 + events_a_poll)]
    with engine.begin() as conn:  # what ingest reserved at the door
        quota.reserve(conn, workflow_id, [(d, 1) for d in ids], None)
    left, offsets = iter(ids), iter(range(10**9))

    if events_a_poll <= 1:

        def project() -> None:
            for event in _document_events(next(left), workflow_id, offsets):
                with sessions() as session:
                    projector.apply_batch(session, [event])
                    session.commit()

        figures = _timed(project, documents, statements, s3_server, store)
        engine.dispose()
        return figures
    each = [_document_events(document_id, workflow_id, offsets) for document_id in ids]
    stream = [each[t - j][j] for t in range(len(each) + 3) for j in range(4) if 0 <= t - j < len(each)]
    polls = iter([stream[i : i + events_a_poll] for i in range(0, len(stream), events_a_poll)])

    def apply_poll() -> None:
        with sessions() as session:
            projector.apply_batch(session, next(polls))
            session.commit()

    n_polls = documents * 4 // events_a_poll  # the first poll warms up, as a document does above
    per_poll = _timed(apply_poll, n_polls, statements, s3_server, store)
    engine.dispose()
    # Per document: what the polls spent over the documents their events belong to.
    return {k: round(v * n_polls / documents, 2) for k, v in per_poll.items()}


def _timed(
    step: Callable[[], object], n: int, statements: list[str], s3_server: Any, store: Any
) -> dict[str, float]:
    step()  # warm: connections, compiled statements
    requests = _count_requests(store)
    statements.clear()
    server_before = sum(s3_server.cpu_times()[:2])
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        step()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "cpu_ms": round(cpu / n * 1000, 2),
        "wall_ms": round(wall / n * 1000, 2),
        "s3_requests": round(requests() / n, 2),
        "s3_server_cpu_ms": round((sum(s3_server.cpu_times()[:2]) - server_before) / n * 1000, 2),
        "sql_statements": round(len(statements) / n, 2),
    }


def _count_requests(store: Any) -> Callable[[], int]:
    """Counts the S3 requests the store's client sends from now on."""
    sent = [0]

    def count(**_: Any) -> None:
        sent[0] += 1

    store._client.meta.events.register("before-send.s3", count)
    return lambda: sent[0]


class _Workflows:
    def __init__(self, workflow_id: str) -> None:
        from docroute.contracts._generated import DocumentSpec, WorkflowUpdated

        spec = DocumentSpec(cropping=False, character_set="latin", text_style="printed")
        self.workflow = WorkflowUpdated(
            workflow_id=workflow_id, name="round-trips", labels=["invoice", "w-9"], document_spec=spec,
            threshold=0.8, class_thresholds={}, retrain_every=1000, archived=False,
        )  # fmt: skip

    def get(self, workflow_id: str, *, as_of: datetime | None = None) -> Any:
        return self.workflow


def _classified(workflow_id: str) -> Any:
    from docroute.contracts._generated import Blob, DocumentClassified
    from docroute.events import new_event

    data = DocumentClassified(
        document_id=uuid.uuid4(), workflow_id=workflow_id, purpose="processing",
        blob=Blob(ref="s3://b/originals/x", sha256="0" * 64, size=1, media_type="application/pdf"),
        ocr_ref="s3://b/ocr/x.json", page_count=2, model_version=1, embedder_id="usem3",
        probabilities={"invoice": 0.9, "w-9": 0.1}, predicted_class="invoice", confidence=0.9, unknown=False,
    )  # fmt: skip
    return new_event("document.classified", data, source="bench")


def _document_events(document_id: uuid.UUID, workflow_id: uuid.UUID, offsets: Any) -> list[Any]:
    """A mailroom document's four events as the services send them, positioned as polled."""
    from docroute import topics
    from docroute.contracts._generated import (
        Blob,
        DocumentClassified,
        DocumentReceived,
        DocumentRouted,
        DocumentTextExtracted,
        Origin,
    )  # fmt: skip
    from docroute.events import new_event
    from services.api.projection.service.positions import PositionedEvent

    blob = Blob(ref="s3://b/originals/x", sha256="0" * 64, size=1, media_type="application/pdf")
    common: dict[str, Any] = {"document_id": document_id, "workflow_id": workflow_id, "blob": blob}
    seen = {"ocr_ref": "s3://b/ocr/x.json", "page_count": 1}
    probabilities = {"invoice": 0.9, "w-9": 0.1}
    decided = {"probabilities": probabilities, "confidence": 0.9, "model_version": 1}
    events = [
        (topics.DOCUMENT_RECEIVED, "document.received", DocumentReceived(
            **common, purpose="processing", origin=Origin(door="mailroom", filename="a.pdf"), page_count=1,
        )),
        (topics.DOCUMENT_TEXT_EXTRACTED, "document.text_extracted", DocumentTextExtracted(
            **common, **seen, purpose="processing", pages_used=[0], sources=["text-layer"], text_chars=10,
        )),
        (topics.DOCUMENT_CLASSIFIED, "document.classified", DocumentClassified(
            **common, **seen, **decided, purpose="processing", embedder_id="usem3", predicted_class="invoice",
            unknown=False,
        )),
        (topics.DOCUMENT_ROUTED, "document.routed", DocumentRouted(
            **common, **seen, **decided, route="extract", topic="extract.invoice", document_class="invoice",
            threshold=0.8, reason="invoice at 0.90 >= 0.80",
        )),
    ]  # fmt: skip
    return [
        PositionedEvent(topic, 0, next(offsets), new_event(kind, data, source="bench"))
        for topic, kind, data in events
    ]


if __name__ == "__main__":
    sys.exit(main())
