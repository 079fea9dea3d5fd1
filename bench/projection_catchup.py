"""The API projection's catch-up rate: events/s applied into PostgreSQL and into SQLite.

Usage::

    .venv/bin/python bench/projection_catchup.py                  # 1,500 documents = 6,000 events
    .venv/bin/python bench/projection_catchup.py --documents 3000 --database postgresql

What one run does: starts a Tansu broker of its own (in memory) on 127.0.0.1, puts every event of
N processed documents on the document topics (received, text extracted, classified, routed: the
events the services send, made by `tests/factories/pipeline_events.py`), then for each database
starts the projection in a fresh consumer group on a fresh, migrated database and times it from
its first applied document until every document's row says `routed` and every event position is
recorded. The join of the group (a few seconds with Tansu) is reported apart.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from pydantic import SecretStr
from sqlalchemy import func, select

from docroute import topics
from docroute.contracts._generated import Blob
from docroute.events import Outgoing, new_event
from docroute.kafka import EventProducer, provision_topics
from docroute.processes import HOST, start_broker
from docroute.settings import DatabaseSettings, KafkaSettings
from services.api.adapters import LazyProducer
from services.api.db import make_engine, make_sessionmaker, upgrade
from services.api.documents.models import Document
from services.api.projection.models import EventPosition
from services.api.projection.service.thread import Projection
from services.api.settings import ApiSettings
from tests.factories.pipeline_events import FakeDocument

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PROBABILITIES = ({"invoice": 0.93, "payslip": 0.07}, {"invoice": 0.55, "payslip": 0.45})


def documents(n: int, workflows: int = 4) -> Iterator[list[Outgoing]]:
    """The four events of each of `n` documents, spread over a few workflows."""
    workflow_ids = [str(uuid.uuid4()) for _ in range(workflows)]
    for i in range(n):
        sha = uuid.uuid4().hex * 2
        blob = Blob(
            ref=f"s3://docroute/originals/sha256/{sha}", sha256=sha, size=2048, media_type="application/pdf"
        )
        doc = FakeDocument(
            str(uuid.uuid4()),
            workflow_ids[i % workflows],
            blob,
            f"s3://docroute/ocr/{i}.json",
            f"scan-{i}.pdf",
        )
        probabilities = PROBABILITIES[i % 2]
        route = "extract" if i % 2 == 0 else "review"
        events = [
            (topics.DOCUMENT_RECEIVED, "document.received", doc.received()),
            (topics.DOCUMENT_TEXT_EXTRACTED, "document.text_extracted", doc.extracted()),
            (topics.DOCUMENT_CLASSIFIED, "document.classified", doc.classified(probabilities)),
            (topics.DOCUMENT_ROUTED, "document.routed", doc.routed(probabilities, route)),
        ]
        yield [
            Outgoing(topic, doc.document_id, new_event(kind, data, source="bench", subject=doc.document_id))
            for topic, kind, data in events
        ]


def load(kafka: KafkaSettings, n: int) -> float:
    """Produce every event; returns the seconds it took."""
    producer = EventProducer(kafka)
    started = time.monotonic()
    chunk: list[Outgoing] = []
    for events in documents(n):
        chunk += events
        if len(chunk) >= 400:
            producer.send(chunk)
            chunk = []
    producer.send(chunk)
    producer.close()
    return time.monotonic() - started


@contextmanager
def database(kind: str, run_dir: Path) -> Iterator[str]:
    """A fresh, migrated database: its SQLAlchemy URL."""
    if kind == "sqlite":
        url = f"sqlite:///{run_dir / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        upgrade(url)
        yield url
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def catch_up(kafka: KafkaSettings, url: str, n: int, timeout_s: float) -> dict[str, float]:
    """Run the projection from the topics' start until all `n` documents are routed."""
    settings = ApiSettings(
        kafka=kafka,
        database=DatabaseSettings(url=url),
        consumer_group=f"bench-{uuid.uuid4().hex[:8]}",
        admin_api_key=SecretStr("bench-admin-key-0123456789abcdef"),
    )
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    producer = LazyProducer(kafka)
    projection = Projection(settings, sessions, producer)
    started = time.monotonic()
    projection.start()
    first = done = None
    try:
        while time.monotonic() - started < timeout_s:
            with sessions() as session:
                routed = session.scalar(
                    select(func.count())
                    .select_from(Document)
                    .where(Document.status.in_(("routed", "review")))
                )
                positions = session.scalar(select(func.count()).select_from(EventPosition))
            if first is None and positions:
                first = time.monotonic()
            if routed == n and positions == 4 * n:
                done = time.monotonic()
                break
            time.sleep(0.1)
    finally:
        projection.stop()
        producer.close()
        engine.dispose()
    if first is None or done is None:
        raise TimeoutError(f"not caught up after {timeout_s}s")
    return {"join_s": first - started, "apply_s": done - first, "events_per_s": 4 * n / (done - first)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1500, help="documents (4 events each)")
    parser.add_argument("--database", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if args.database == "both" else [args.database]
    with tempfile.TemporaryDirectory(prefix="bench-projection-") as tmp:
        run_dir = Path(tmp)
        broker = start_broker(run_dir / "logs")
        try:
            kafka = KafkaSettings(bootstrap_servers=f"{HOST}:{broker.port}", partitions=args.partitions)
            provision_topics(kafka)
            load_s = load(kafka, args.documents)
            n_events = 4 * args.documents
            print(
                f"{n_events} events of {args.documents} documents on the topics in {load_s:.1f} s", flush=True
            )
            for kind in kinds:
                with database(kind, run_dir) as url:
                    figures = catch_up(kafka, url, args.documents, args.timeout)
                rate, apply_s, join_s = figures["events_per_s"], figures["apply_s"], figures["join_s"]
                print(
                    f"{kind}: {rate:.0f} events/s ({n_events} events applied in {apply_s:.1f} s; "
                    f"group join {join_s:.1f} s before)",
                    flush=True,
                )
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
