"""A settings topic's view follows the topic with the configured fetch wait, as the stream
services do: the local broker answers a fetch only when its wait is over, so kafka-python's
default (500 ms) let a mail overtake its workflow's archiving through every stage."""

from __future__ import annotations

from typing import Any

from docroute import topics
from docroute.catalog import TopicView


def test_a_view_fetches_with_the_configured_wait(settings: Any, topics_ready: None) -> None:
    kafka = settings.kafka.model_copy(update={"fetch_max_wait_ms": 37})
    consumer = TopicView(kafka, topics.WORKFLOW_UPDATED)._connect()
    try:
        assert consumer.config["fetch_max_wait_ms"] == 37
    finally:
        consumer.close()
