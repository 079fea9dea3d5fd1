"""`examples/extraction_consumer.py` against the real broker: a recall (`document.superseded` v1
of a stack's correction, v2 of a class correction) on an extraction topic is understood, not a
reason to stop, and handled once per event id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from docroute.contracts._generated import DocumentSuperseded, ReplacedByItem, ReroutedTo
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
    reclassified = uuid.uuid4()
    rerouted = DocumentSuperseded(
        document_id=reclassified,
        workflow_id=uuid.uuid4(),
        topic=topic,
        document_class="invoice",
        rerouted_to=ReroutedTo(topic="extract.payslip", document_class="payslip"),
        corrected_by="ana",
        reason="class corrected from 'invoice' to 'payslip' by ana",
    )
    moved = emit(
        topic, "document.superseded", rerouted, source="api", key=str(reclassified), step="superseded"
    )
    assert (event.event.version, moved.event.version) == (1, 2)
    producer.send([event, replace(event), moved])  # the same recall twice: handled once
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DOCROUTE_", "KAFKA_"))},
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--topics", topic, "--group", "recall-reader", "--max", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    # Keyed by document: the two recalls may lie on different partitions, read in either order.
    assert {line["recalled"]: line for line in lines} == {
        str(stack): {"event_id": event.event.id, "recalled": str(stack), "replaced_by": [str(part)]},
        str(reclassified): {
            "event_id": moved.event.id,
            "recalled": str(reclassified),
            "rerouted_to": {"topic": "extract.payslip", "document_class": "payslip"},
        },
    }
    assert len(lines) == 2
