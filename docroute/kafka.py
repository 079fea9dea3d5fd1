"""kafka-python for the synchronous edges: producing from the API and CLI, creating topics,
reading settings topics whole. Kafka errors are translated here into docroute errors."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from docroute.errors import BrokerUnavailableError
from docroute.events import Outgoing, encode
from docroute.settings import KafkaSettings
from docroute.topics import PIPELINE_TOPICS, TopicSpec

logger = logging.getLogger(__name__)


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Connection options common to every kafka-python client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.servers,
        "security_protocol": settings.security_protocol,
    }
    if settings.sasl_mechanism:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return options


class EventProducer:
    """Produces validated events and waits for the broker's acknowledgement.

    Usage::

        producer = EventProducer(settings.kafka)
        producer.send([Outgoing(topic, key=document_id, event=event)])
    """

    def __init__(self, settings: KafkaSettings) -> None:
        try:
            self._producer = KafkaProducer(
                **client_options(settings),
                acks="all",
                linger_ms=2,
                retries=5,
                max_request_size=8 * 1024 * 1024,
            )
        except KafkaError as exc:
            raise BrokerUnavailableError(f"cannot connect producer: {exc}") from exc

    def send(self, outgoing: Iterable[Outgoing], timeout_s: float = 15.0) -> None:
        """Produce every event in order and block until all are acknowledged."""
        try:
            futures = [
                self._producer.send(o.topic, key=o.key.encode(), value=encode(o.event)) for o in outgoing
            ]
            for future in futures:
                future.get(timeout=timeout_s)
        except KafkaError as exc:
            raise BrokerUnavailableError(f"produce failed: {exc}") from exc

    def close(self) -> None:
        self._producer.close(timeout=5)


def provision_topics(settings: KafkaSettings, extra: Iterable[str] = ()) -> list[str]:
    """Create the pipeline topics (and `extra` ones) that do not exist yet; returns those created."""
    specs = list(PIPELINE_TOPICS) + [TopicSpec(name) for name in extra]
    try:
        admin = KafkaAdminClient(**client_options(settings), request_timeout_ms=15000)
    except KafkaError as exc:
        raise BrokerUnavailableError(f"cannot connect admin client: {exc}") from exc
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name=spec.name,
                num_partitions=spec.partitions or settings.partitions,
                replication_factor=settings.replication_factor,
                topic_configs={"retention.ms": str(spec.retention_ms)} if spec.retention_ms else {},
            )
            for spec in specs
            if spec.name not in existing
        ]
        created: list[str] = []
        for topic in wanted:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # a concurrent provisioner won
        if created:
            logger.info("created topics %s", ", ".join(created))
        return created
    except KafkaError as exc:
        raise BrokerUnavailableError(f"topic provisioning failed: {exc}") from exc
    finally:
        admin.close()
