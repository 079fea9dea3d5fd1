"""Consumer lag from offsets that may be unknown, and partitions revoked while measured."""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import pytest
from aiokafka.errors import IllegalStateError
from prometheus_client import REGISTRY

from docroute.lag import LagGauge, partition_lag


class TP(NamedTuple):
    topic: str
    partition: int


@pytest.mark.parametrize(
    ("highwater", "position", "expected"),
    [
        (10, 4, 6),
        (10, 10, 0),
        (3, 5, 0),  # position read after a newer highwater: never negative
        (None, 4, None),  # assigned, nothing fetched yet; or the broker just restarted
        (10, None, None),
        (None, None, None),
    ],
)
def test_partition_lag(highwater: int | None, position: int | None, expected: int | None) -> None:
    assert partition_lag(highwater, position) == expected


class _Offsets:
    """Offsets as faust's consumer reports them; `revoke_on_position` drops a partition mid-measure."""

    def __init__(self, highwaters: dict[TP, int | None], positions: dict[TP, int | None]) -> None:
        self.highwaters = highwaters
        self.positions = positions
        self.assigned = set(highwaters)
        self.revoke_on_position: TP | None = None

    def assignment(self) -> set[TP]:
        return set(self.assigned)

    async def position(self, tp: TP) -> int | None:
        if tp == self.revoke_on_position:
            self.assigned.discard(tp)
        if tp not in self.assigned:
            raise IllegalStateError(f"Partition {tp} is not assigned")
        return self.positions[tp]

    def highwater(self, tp: TP) -> int | None:
        assert tp in self.assigned, "Partition is not assigned"  # as aiokafka does
        return self.highwaters[tp]


def _lag(service: str, tp: TP) -> float | None:
    labels = {"service": service, "topic": tp.topic, "partition": str(tp.partition)}
    return REGISTRY.get_sample_value("docroute_consumer_lag_messages", labels)


def test_gauge_skips_unknown_offsets_and_revoked_partitions() -> None:
    measured, fresh, revoked = TP("t", 0), TP("t", 1), TP("t", 2)
    offsets = _Offsets({measured: 9, fresh: None, revoked: 5}, {measured: 2, fresh: 0, revoked: 1})
    offsets.revoke_on_position = revoked
    gauge = LagGauge("unit-lag")

    asyncio.run(gauge.measure(offsets))

    assert _lag("unit-lag", measured) == 7
    assert _lag("unit-lag", fresh) is None
    assert _lag("unit-lag", revoked) is None


def test_gauge_forgets_partitions_no_longer_held() -> None:
    kept, moved = TP("t", 0), TP("t", 1)
    offsets = _Offsets({kept: 4, moved: 8}, {kept: 4, moved: 3})
    gauge = LagGauge("unit-lag-moved")
    asyncio.run(gauge.measure(offsets))
    assert _lag("unit-lag-moved", moved) == 5

    offsets.assigned.discard(moved)
    asyncio.run(gauge.measure(offsets))

    assert _lag("unit-lag-moved", kept) == 0
    assert _lag("unit-lag-moved", moved) is None
