"""The S3 adapter against the real local S3 server: claim checks, conditional writes, errors."""

from __future__ import annotations

import time
import uuid

import pytest

from docroute.blobstore import PARALLEL_READS, BlobRef, BlobStore
from docroute.errors import BlobNotFoundError, StorageUnavailableError
from docroute.processes import LOCAL_S3_KEY, free_port
from docroute.settings import S3Settings


def test_round_trip_refs_and_put_if_absent(blobstore: BlobStore) -> None:
    key = f"test/{uuid.uuid4()}"
    ref = blobstore.put(key, b"one")
    assert str(ref) == f"s3://{blobstore.bucket}/{key}" and BlobRef.parse(str(ref)) == ref
    assert blobstore.get(str(ref)) == b"one"
    assert blobstore.put_if_absent(key, b"two") is False
    assert blobstore.get(key) == b"one"
    assert blobstore.put_if_absent(key + "-new", b"two") is True
    assert blobstore.list_keys(key) == [key, key + "-new"]
    blobstore.delete(key)
    assert not blobstore.exists(key)
    assert blobstore.reachable()


def test_many_json_objects_read_at_once_come_back_in_order(blobstore: BlobStore) -> None:
    prefix = f"test/{uuid.uuid4()}"
    keys = [f"{prefix}/{n:03d}.json" for n in range(3 * PARALLEL_READS)]
    for n, key in enumerate(keys):
        blobstore.put_json(key, {"n": n})
    shuffled = keys[1::2] + keys[::2]

    assert blobstore.get_json_many(shuffled) == [{"n": keys.index(k)} for k in shuffled]
    assert blobstore.get_json_many([keys[0]]) == [{"n": 0}] and blobstore.get_json_many([]) == []
    with pytest.raises(BlobNotFoundError):
        blobstore.get_json_many([*keys, f"{prefix}/missing.json"])


def test_missing_is_permanent_and_unreachable_is_transient(blobstore: BlobStore) -> None:
    with pytest.raises(BlobNotFoundError):
        blobstore.get(f"test/{uuid.uuid4()}")
    with pytest.raises(BlobNotFoundError):
        blobstore.get("s3://another-bucket/x")
    closed = BlobStore(
        S3Settings(
            endpoint_url=f"http://127.0.0.1:{free_port()}",
            bucket="b",
            access_key_id=LOCAL_S3_KEY,
            secret_access_key=LOCAL_S3_KEY,
        )
    )
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError):
        closed.get("x")
    with pytest.raises(StorageUnavailableError):
        closed.put("x", b"one")
    with pytest.raises(StorageUnavailableError):
        closed.put_if_absent("x", b"one")
    assert not closed.reachable()
    assert time.monotonic() - started < 30


def test_an_object_keeps_its_content_type(blobstore: BlobStore) -> None:
    """Objects are written by obstore and listed, read back and deleted by boto3: one bucket."""
    key = f"test/{uuid.uuid4()}.json"
    blobstore.put(key, b"{}", content_type="application/json")
    assert blobstore.put_if_absent(key + ".pdf", b"%PDF", content_type="application/pdf")
    heads = {k: blobstore._client.head_object(Bucket=blobstore.bucket, Key=k) for k in (key, key + ".pdf")}
    assert {k: h["ContentType"] for k, h in heads.items()} == {
        key: "application/json",
        key + ".pdf": "application/pdf",
    }
    assert {k: h["ContentLength"] for k, h in heads.items()} == {key: 2, key + ".pdf": 4}
