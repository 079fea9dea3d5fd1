"""`examples/extraction_consumer.py` against the real broker: a recall (`document.superseded` v1)
on an extraction topic is understood, not a reason to stop, and handled once per event id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from docroute.contracts._generated import DocumentSuperseded, ReplacedByItem
from docroute.events import emit
from docroute.kafka import EventProducer
from docroute.settings import ServiceSettings

EXAMPLE = Path(__file__).parents[2] / "examples" / "extraction_consumer.py"


def test_the_example_consumer_reads_a_recall(settings: ServiceSettings, producer: EventProducer) -> None:
    topic = f"extract.recall-{uuid.uuid4().hex[:8]}"
    stack, part = uuid.uuid4(), uuid.uuid4()
    recalled = DocumentSuperseded(
        document_id=stack,
        workflow_id=uuid.uuid4(),
        stack_id=stack,
        topic=topic,
        document_class="invoice",
        first_page=0,
        last_page=2,
        replaced_by=[ReplacedByItem(document_id=part, first_page=0, last_page=2)],
        corrected_by="ana",
        reason="pages 0-2 divided again by ana",
    )
    event = emit(topic, "document.superseded", recalled, source="api", key=str(stack), step="superseded")
    producer.send([event, replace(event)])  # the same recall twice: handled once
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DOCROUTE_", "KAFKA_"))},
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--topics", topic, "--group", "recall-reader", "--max", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines == [{"event_id": event.event.id, "recalled": str(stack), "replaced_by": [str(part)]}]
