"""Consumer lag per partition, from offsets a consumer may not know: just after an assignment
(no fetch yet), after a broker restart, or for a partition revoked while it is measured."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiokafka.errors import KafkaError
from faust.exceptions import ConsumerNotStarted

from docroute import metrics

logger = logging.getLogger(__name__)


class LagSource(Protocol):
    """What faust's consumer offers for measuring lag."""

    def assignment(self) -> set[Any]: ...

    async def position(self, tp: Any) -> int | None: ...

    def highwater(self, tp: Any) -> int | None: ...


def partition_lag(highwater: int | None, position: int | None) -> int | None:
    """Records between the consumer's position and the partition's end; None when either is unknown."""
    if highwater is None or position is None:
        return None
    return max(0, highwater - position)


class LagGauge:
    """Keeps `docroute_consumer_lag_messages` to the partitions this consumer holds now."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._labelled: set[tuple[str, int]] = set()

    async def measure(self, consumer: LagSource) -> None:
        """Set the gauge of each assigned partition that can be measured; forget revoked ones."""
        try:
            assigned = list(consumer.assignment())
        except ConsumerNotStarted:
            return
        held = {(tp.topic, tp.partition) for tp in assigned}
        for topic, partition in self._labelled - held:
            metrics.CONSUMER_LAG.remove(self._service, topic, str(partition))
        self._labelled &= held
        for tp in assigned:
            lag = await _read_lag(consumer, tp)
            if lag is not None:
                metrics.CONSUMER_LAG.labels(self._service, tp.topic, str(tp.partition)).set(lag)
                self._labelled.add((tp.topic, tp.partition))


async def _read_lag(consumer: LagSource, tp: Any) -> int | None:
    try:
        position = await consumer.position(tp)
        highwater = consumer.highwater(tp)
    # Revoked between assignment() and here: aiokafka raises IllegalStateError (a KafkaError) from
    # position() and asserts in highwater().
    except (KafkaError, AssertionError, ConsumerNotStarted) as exc:
        logger.debug("lag of %s[%s] not measured: %r", tp.topic, tp.partition, exc)
        return None
    return partition_lag(highwater, position)
