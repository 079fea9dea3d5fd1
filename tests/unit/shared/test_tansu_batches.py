"""The record batches the local S3 server holds back from listings until Tansu stored the ones
before them (docroute.tansu_batches)."""

from __future__ import annotations

from docroute.tansu_batches import PendingBatches, batch_of, high_of, watermark_partition

PARTITION = "tansu/clusters/c/topics/mailroom.incoming/partitions/0000000001"


def _batch(offset: int) -> str:
    return f"{PARTITION}/records/{offset:020d}.batch"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _never_stored(offset: int) -> bool:
    return False


def test_keys_and_watermarks_are_read_as_tansu_writes_them() -> None:
    assert watermark_partition(f"{PARTITION}/watermark.json") == PARTITION
    assert watermark_partition(f"{PARTITION}/records/x.json") is None
    assert batch_of(_batch(23)) == (PARTITION, 23)
    assert batch_of(f"{PARTITION}/watermark.json") is None
    assert high_of(b'{"low":null,"high":33,"timestamps":null}') == 33
    assert high_of(None) == 0
    assert high_of(b"not json") == 0


def test_batches_after_one_taken_and_not_stored_are_hidden_until_it_is() -> None:
    pending = PendingBatches(clock=Clock())
    pending.taken(PARTITION, 21, 22, _never_stored)
    pending.taken(PARTITION, 22, 25, _never_stored)  # a batch of three records at 22
    pending.stored(PARTITION, 22)

    assert pending.visible([_batch(20), _batch(21), _batch(22), f"{PARTITION}/watermark.json"]) == [
        True,
        False,
        False,
        True,
    ]

    pending.stored(PARTITION, 21)

    assert pending.visible([_batch(20), _batch(21), _batch(22)]) == [True, True, True]
    assert not pending.any_missing("tansu/")


def test_a_batch_stored_before_its_watermark_is_not_waited_for() -> None:
    pending = PendingBatches(clock=Clock())
    pending.taken(PARTITION, 4, 5, stored=lambda offset: offset == 4)
    pending.taken(PARTITION, 5, 5, _never_stored)  # the watermark rewritten, no offset taken

    assert pending.first_missing(PARTITION) is None


def test_an_offset_never_stored_is_given_up_and_readers_skip_its_gap() -> None:
    clock = Clock()
    pending = PendingBatches(clock=clock, give_up_s=10.0)
    pending.taken(PARTITION, 7, 8, _never_stored)  # the broker killed before it stored batch 7

    clock.now += 9.0
    assert pending.visible([_batch(8)]) == [False]
    assert pending.any_missing("tansu/")
    clock.now += 2.0
    assert not pending.any_missing("tansu/")  # given up: no listing waits for it any more
    assert pending.visible([_batch(8)]) == [True]


def test_partitions_wait_on_their_own_batches_only() -> None:
    pending = PendingBatches(clock=Clock())
    pending.taken(PARTITION, 3, 4, _never_stored)
    other = PARTITION.replace("0000000001", "0000000000")

    assert pending.visible([f"{other}/records/{9:020d}.batch", _batch(9)]) == [True, False]
