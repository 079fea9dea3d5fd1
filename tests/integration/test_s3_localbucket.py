"""The local S3 server honours the conditional requests Tansu's S3 storage is built on: a
compare-and-swap `PUT` (`If-Match`), a create-only `PUT` (`If-None-Match: *`), a revalidating
`GET` (`If-None-Match: <ETag>`), also under concurrent writers."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from docroute.processes import LOCAL_S3_KEY


@pytest.fixture
def s3(s3_endpoint: str) -> BaseClient:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=LOCAL_S3_KEY,
        aws_secret_access_key=LOCAL_S3_KEY,
        region_name="us-east-1",
        config=Config(max_pool_connections=16, retries={"max_attempts": 1}),
    )
    return client


@pytest.fixture
def bucket(s3: BaseClient) -> str:
    name = f"cas-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    return name


def _status(error: ClientError) -> int:
    return int(error.response["ResponseMetadata"]["HTTPStatusCode"])


def test_put_with_a_stale_etag_is_refused(s3: BaseClient, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="watermark.json", Body=b'{"high":1}')["ETag"]
    second = s3.put_object(Bucket=bucket, Key="watermark.json", Body=b'{"high":2}', IfMatch=first)["ETag"]

    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="watermark.json", Body=b'{"high":0}', IfMatch=first)

    assert _status(refused.value) == 412
    assert s3.get_object(Bucket=bucket, Key="watermark.json")["Body"].read() == b'{"high":2}'
    assert s3.head_object(Bucket=bucket, Key="watermark.json")["ETag"] == second


def test_put_if_match_on_a_missing_key_is_not_found(s3: BaseClient, bucket: str) -> None:
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="absent.json", Body=b"{}", IfMatch='"0123"')
    assert _status(refused.value) == 404


def test_create_only_put_is_refused_when_the_key_exists(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="records/0.batch", Body=b"a", IfNoneMatch="*")
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="records/0.batch", Body=b"b", IfNoneMatch="*")
    assert _status(refused.value) == 412


def test_get_with_the_current_etag_is_not_modified(s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="meta.json", Body=b"{}")["ETag"]
    with pytest.raises(ClientError) as unchanged:
        s3.get_object(Bucket=bucket, Key="meta.json", IfNoneMatch=etag)
    assert _status(unchanged.value) == 304

    s3.put_object(Bucket=bucket, Key="meta.json", Body=b'{"changed":true}')
    changed = s3.get_object(Bucket=bucket, Key="meta.json", IfNoneMatch=etag)
    assert changed["Body"].read() == b'{"changed":true}'


def test_concurrent_compare_and_swap_loses_no_update(s3: BaseClient, bucket: str) -> None:
    """Eight writers increment one counter by read, then PUT If-Match, re-reading on 412: as
    Tansu updates a partition's watermark. Every increment must survive."""
    s3.put_object(Bucket=bucket, Key="counter.json", Body=json.dumps({"n": 0}).encode())
    writers, increments = 8, 25

    def increment() -> None:
        for _ in range(increments):
            while True:
                current = s3.get_object(Bucket=bucket, Key="counter.json")
                value = json.loads(current["Body"].read())["n"]
                body = json.dumps({"n": value + 1}).encode()
                try:
                    s3.put_object(Bucket=bucket, Key="counter.json", Body=body, IfMatch=current["ETag"])
                    break
                except ClientError as exc:
                    if _status(exc) != 412:
                        raise

    threads = [threading.Thread(target=increment) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    final = json.loads(s3.get_object(Bucket=bucket, Key="counter.json")["Body"].read())
    assert final["n"] == writers * increments


def test_listing_gives_last_modified_below_the_second(s3: BaseClient, bucket: str) -> None:
    for offset in range(5):
        s3.put_object(Bucket=bucket, Key=f"records/{offset:020}.batch", Body=b"x")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="records/")["Contents"]
    stamps = [item["LastModified"] for item in listed]
    assert len(set(stamps)) == len(stamps)
    assert stamps == sorted(stamps)


def _listed(s3: BaseClient, bucket: str, **params: str | int) -> tuple[list[str], list[str]]:
    """Every key and common prefix of a listing, following its pages."""
    keys: list[str] = []
    prefixes: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, **params):
        keys += [item["Key"] for item in page.get("Contents", [])]
        prefixes += [item["Prefix"] for item in page.get("CommonPrefixes", [])]
    return keys, prefixes


def test_listing_a_folder_sees_exactly_what_the_prefix_names(s3: BaseClient, bucket: str) -> None:
    """Listings walk only the prefix's folder; they must still page, group and start after
    markers as over the whole bucket."""
    keys = [
        "a/records/0001.batch",
        "a/records/0002.batch",
        "a/records/0003.batch",
        "a/records/x/0004.batch",
        "a/recordsX",
        "a/watermark.json",
        "ab/records/0001.batch",
        "b/records/0001.batch",
        "top.json",
    ]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    assert _listed(s3, bucket, Prefix="a/records/") == (keys[:4], [])
    assert _listed(s3, bucket, Prefix="a/records/", PaginationConfig={"PageSize": 1}) == (keys[:4], [])
    assert _listed(s3, bucket, Prefix="a/records/", StartAfter="a/records/0002.batch") == (keys[2:4], [])
    assert _listed(s3, bucket, Prefix="a/records/", StartAfter="a/") == (keys[:4], [])
    assert _listed(s3, bucket, Prefix="a/records/", StartAfter="a/z") == ([], [])
    assert _listed(s3, bucket, Prefix="a/records/", Delimiter="/") == (keys[:3], ["a/records/x/"])
    assert _listed(s3, bucket, Prefix="a/rec") == (keys[:5], [])
    assert _listed(s3, bucket, Prefix="a/", Delimiter="/") == (
        ["a/recordsX", "a/watermark.json"],
        ["a/records/"],
    )
    assert _listed(s3, bucket, Prefix="a") == (keys[:7], [])
    assert _listed(s3, bucket, Prefix="c/records/") == ([], [])
    assert _listed(s3, bucket, Prefix="../") == ([], [])
    assert _listed(s3, bucket) == (keys, [])


def _put_cut_short(endpoint: str, bucket: str, key: str, body: bytes, sent: int, headers: str = "") -> bytes:
    """A PUT that declares all of `body` but sends only its first `sent` bytes, then closes
    its side, as a client killed mid-upload does; returns what the server answered."""
    url = urlsplit(endpoint)
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(
            f"PUT /{bucket}/{key} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: {len(body)}\r\n"
            f"{headers}Content-Type: application/json\r\n\r\n".encode()
            + body[:sent]
        )
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("create_only", [False, True], ids=["put", "put-if-absent"])
def test_a_put_cut_short_stores_nothing(
    s3_endpoint: str, s3: BaseClient, bucket: str, create_only: bool
) -> None:
    """A writer killed mid-body must leave no object: a truncated JSON stored under its key
    (and found "already there" by the retry's create-only PUT) is what the next stage reads."""
    body = json.dumps({"sent": False, "routed": {"text": "x" * 4000}}).encode()

    answer = _put_cut_short(
        s3_endpoint,
        bucket,
        "routes/doc.json",
        body,
        len(body) // 2,
        "If-None-Match: *\r\n" if create_only else "",
    )

    assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="routes/doc.json")
    assert _status(missing.value) == 404
    s3.put_object(Bucket=bucket, Key="routes/doc.json", Body=body, IfNoneMatch="*")  # the retry writes it
    assert s3.get_object(Bucket=bucket, Key="routes/doc.json")["Body"].read() == body


def test_a_put_cut_short_keeps_the_previous_version(s3_endpoint: str, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="watermark.json", Body=b'{"high":1}')

    _put_cut_short(s3_endpoint, bucket, "watermark.json", b'{"high":2,"pad":"' + b"y" * 100 + b'"}', 9)

    assert s3.get_object(Bucket=bucket, Key="watermark.json")["Body"].read() == b'{"high":1}'


def test_a_listing_shows_every_acknowledged_change_at_once(s3: BaseClient, bucket: str) -> None:
    """Listings are cached per folder: a write, an overwrite, a delete or a write further down
    must show in the very next listing, as Tansu reads a batch's offset from them."""
    s3.put_object(Bucket=bucket, Key="t/records/0001.batch", Body=b"x")
    assert _listed(s3, bucket, Prefix="t/records/") == (["t/records/0001.batch"], [])
    assert _listed(s3, bucket, Prefix="t/records/") == (["t/records/0001.batch"], [])  # from the cache

    s3.put_object(Bucket=bucket, Key="t/records/0002.batch", Body=b"x")
    assert _listed(s3, bucket, Prefix="t/records/")[0] == ["t/records/0001.batch", "t/records/0002.batch"]

    s3.put_object(Bucket=bucket, Key="t/records/0002.batch", Body=b"longer")
    sizes = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="t/records/")["Contents"]}
    assert sizes["t/records/0002.batch"] == len(b"longer")

    s3.delete_object(Bucket=bucket, Key="t/records/0001.batch")
    assert _listed(s3, bucket, Prefix="t/records/")[0] == ["t/records/0002.batch"]

    assert _listed(s3, bucket, Prefix="t/")[0] == ["t/records/0002.batch"]
    s3.put_object(Bucket=bucket, Key="t/records/deep/0003.batch", Body=b"x")
    assert _listed(s3, bucket, Prefix="t/")[0] == ["t/records/0002.batch", "t/records/deep/0003.batch"]
    assert _listed(s3, bucket)[0] == ["t/records/0002.batch", "t/records/deep/0003.batch"]


def test_listings_racing_writes_never_miss_an_acknowledged_batch(s3: BaseClient, bucket: str) -> None:
    """Readers list the folder while a writer adds batches: every listing begun after a batch's
    PUT was acknowledged holds it (a listing cached from before the write would not)."""
    acknowledged: list[int] = []
    done = threading.Event()
    stale: list[str] = []

    def write() -> None:
        for offset in range(60):
            s3.put_object(Bucket=bucket, Key=f"r/records/{offset:04d}.batch", Body=b"x")
            acknowledged.append(offset)
        done.set()

    def read() -> None:
        while not done.is_set():
            expected = len(acknowledged)
            listed = _listed(s3, bucket, Prefix="r/records/")[0]
            if len(listed) < expected:
                stale.append(f"listed {len(listed)} after {expected} acknowledged")

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    write()
    for reader in readers:
        reader.join(60)

    assert not stale, stale[:3]
    assert len(_listed(s3, bucket, Prefix="r/records/")[0]) == 60


def test_a_listing_stops_before_a_batch_taken_and_not_stored(s3: BaseClient, bucket: str) -> None:
    """Tansu takes offsets 0 and 1 by two swaps of the watermark; batch 1 is stored first."""
    partition = "clusters/c/topics/t/partitions/0000000000"
    records = f"{partition}/records/"

    def listed() -> list[str]:
        return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=records).get("Contents", [])]

    etag = s3.put_object(Bucket=bucket, Key=f"{partition}/watermark.json", Body=b'{"low":null,"high":0}')[
        "ETag"
    ]
    for high in (1, 2):
        body = json.dumps({"low": None, "high": high}).encode()
        etag = s3.put_object(Bucket=bucket, Key=f"{partition}/watermark.json", Body=body, IfMatch=etag)[
            "ETag"
        ]
    s3.put_object(Bucket=bucket, Key=f"{records}{1:020d}.batch", Body=b"one", IfNoneMatch="*")

    assert listed() == []  # batch 1 waits for batch 0

    s3.put_object(Bucket=bucket, Key=f"{records}{0:020d}.batch", Body=b"zero", IfNoneMatch="*")

    assert listed() == [f"{records}{0:020d}.batch", f"{records}{1:020d}.batch"]
