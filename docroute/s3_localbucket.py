"""`localbucket` with the conditional writes Tansu's S3 storage relies on.

Tansu keeps each partition's watermark, its producers' sequences and each group's state as
JSON objects that it updates by compare-and-swap: `PUT` with `If-Match: <ETag>` of the version
it read, re-reading on 412. localbucket 1.2.1 ignores `If-Match`, and a `GET` racing a `PUT` of
the same key can answer one version's body with the next one's ETag; either way two updates
both win: two batches get one offset (the second `PUT .../records/<offset>.batch` fails with
AlreadyExists), the watermark falls behind the records (docs/tansu-broker-restarts.md).

Here each key's writes and reads hold that key's lock, a `PUT` with `If-Match` is refused with
412 unless the stored object's ETag matches, a `GET` with a matching `If-None-Match` answers
304 (as S3 does), and an ETag is computed from the file that was opened, never from a
separately stat'ed path that a rename may have replaced meanwhile; listings give LastModified
to the microsecond, and walk only the folder their prefix names (localbucket walks and sorts
the whole bucket for every listing, and Tansu lists a partition's batches on every fetch).

A `PUT` whose body ends before its `Content-Length` (or its aws-chunked decoded length, or
that does not match its `Content-MD5`) is refused and stores nothing: localbucket stored what
had arrived, so a writer killed mid-upload (a service's boto3, or Tansu writing a record batch
or its watermark) left a truncated object under the final key, written atomically and
indistinguishable from a whole one; a create-only retry then found it "already there".

Listings are answered from a cache while nothing under their folder changed (`ListingCache`):
Tansu lists a partition's batches on every fetch, so each consumer polling an idle partition
cost a walk, a stat per batch and an XML document that grow with the partition (150-200 ms for
437 batches on the 2-core bench machine; a 1,000-document fault run spent its drain waiting on
them). The server must then be the only writer of its data folder.

A listing of a partition's record batches stops before a batch whose offset Tansu has taken
(its watermark swapped) but whose object is not stored yet: two produces can store their batches
in the other order, and a fetch that saw the later one alone moved its reader past the earlier
one for good (`docroute.tansu_batches`).

Run: `python -m docroute.s3_localbucket DATA_DIR --host 127.0.0.1 --port PORT`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import threading
import xml.etree.ElementTree as ET
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import localbucket

from docroute.tansu_batches import PendingBatches, batch_of, high_of, watermark_partition

# Striped locks: a lock per key would grow with every record batch ever written.
_KEY_LOCKS = tuple(threading.Lock() for _ in range(64))


def _lock_for(path: Path) -> threading.Lock:
    return _KEY_LOCKS[zlib.crc32(str(path).encode()) % len(_KEY_LOCKS)]


class ListingCache:
    """Listing responses per (bucket, query), valid while nothing under the listed folder changed.

    A write marks its key's folder and every folder above it as changing before it starts, and
    bumps their generations when its response has been sent. A listing is served from the cache
    only if no write under its folder is under way and the generation is the one it was built
    at, and it is stored only if that still holds when it was built: a client that saw a write
    acknowledged never gets a listing from before it.
    """

    def __init__(self, capacity: int = 256, max_body_bytes: int = 4 << 20) -> None:
        self._lock = threading.Lock()
        self._writing: dict[tuple[str, str], int] = {}
        self._generation: dict[tuple[str, str], int] = {}
        self._bodies: OrderedDict[tuple[str, str], tuple[int, bytes]] = OrderedDict()
        self._capacity = capacity
        self._max_body_bytes = max_body_bytes

    @contextmanager
    def writing(self, bucket: str, key: str) -> Iterator[None]:
        """Around a request that may change `key` (or, with no key, anything in the bucket)."""
        folders = [(bucket, folder) for folder in _folders_above(key)]
        with self._lock:
            for folder in folders:
                self._writing[folder] = self._writing.get(folder, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                for folder in folders:
                    self._writing[folder] -= 1
                    self._generation[folder] = self._generation.get(folder, 0) + 1

    def generation(self, bucket: str, prefix: str) -> int | None:
        """The generation of the folder `prefix` lists; None while a write under it is under way."""
        folder = (bucket, _folder_of(prefix))
        with self._lock:
            if self._writing.get(folder, 0) or self._writing.get((bucket, "*"), 0):
                return None
            return self._generation.get(folder, 0) + self._generation.get((bucket, "*"), 0)

    def get(self, bucket: str, query: str, generation: int) -> bytes | None:
        with self._lock:
            cached = self._bodies.get((bucket, query))
            if cached is None or cached[0] != generation:
                return None
            self._bodies.move_to_end((bucket, query))
            return cached[1]

    def put(self, bucket: str, prefix: str, query: str, generation: int, body: bytes) -> None:
        """Keep `body`, built at `generation`, if nothing under its folder changed meanwhile."""
        if len(body) > self._max_body_bytes or self.generation(bucket, prefix) != generation:
            return
        with self._lock:
            self._bodies[(bucket, query)] = (generation, body)
            self._bodies.move_to_end((bucket, query))
            while len(self._bodies) > self._capacity:
                self._bodies.popitem(last=False)


def _folder_of(prefix: str) -> str:
    """The folder a listing's prefix names (the part up to its last `/`)."""
    return prefix.rpartition("/")[0]


def _folders_above(key: str) -> list[str]:
    """`a/b/c` -> `a/b`, `a`, ``: every folder whose listing can show `key`; no key: the bucket."""
    if not key:
        return ["*"]
    folders, folder = [], _folder_of(key)
    while folder:
        folders.append(folder)
        folder = _folder_of(folder)
    return [*folders, ""]


LISTINGS = ListingCache()
# Record batches Tansu took an offset for and has not stored yet: listings stop before them.
PENDING = PendingBatches()


def iso_timestamp(epoch: float) -> str:
    """A listing's LastModified to the microsecond (localbucket's has whole seconds).

    Tansu answers ListOffsets(latest) with the batch listed with the newest LastModified, the
    first of equals: with whole seconds, the first batch written in the last second, so end
    offsets fell behind the records stored.
    """
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def object_etag(path: Path) -> str:
    """The MD5 ETag of the file `path` names now; cached per (inode, size, mtime) of that file.

    The cache is filled by writers (under the key's lock) and, where they have not, by readers
    from the file they opened: a hit is right whatever a concurrent rename does.
    """
    with localbucket._etag_lock:
        cached: tuple[tuple[int, int, int, int], str] | None = localbucket._etag_cache.get(str(path))
    if cached and cached[0] == _signature(os.stat(path)):
        return cached[1]  # listings stat every entry: no open on a hit
    with path.open("rb") as file:
        signature = _signature(os.fstat(file.fileno()))
        digest = hashlib.md5()
        while block := file.read(1024 * 1024):
            digest.update(block)
    etag = digest.hexdigest()
    with localbucket._etag_lock:
        localbucket._etag_cache.setdefault(str(path), (signature, etag))
    return etag


def _signature(stat: os.stat_result) -> tuple[int, int, int, int]:
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


class ConditionalS3Handler(localbucket.S3Handler):  # type: ignore[misc]  # localbucket ships no types
    """localbucket's handler; `PutObject` honours `If-Match`, `GetObject` `If-None-Match`."""

    # Headers and body leave in separate writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK, 40 ms on every response, which bounded Tansu's reads to ~25 batches/s.
    disable_nagle_algorithm = True

    def do_PUT(self) -> None:  # noqa: N802  # http.server's names
        with LISTINGS.writing(*self._bucket_and_key()):
            super().do_PUT()

    def do_POST(self) -> None:  # noqa: N802
        with LISTINGS.writing(*self._bucket_and_key()):
            super().do_POST()

    def do_DELETE(self) -> None:  # noqa: N802
        with LISTINGS.writing(*self._bucket_and_key()):
            super().do_DELETE()

    def _bucket_and_key(self) -> tuple[str, str]:
        bucket, _, key = unquote(urlsplit(self.path).path).lstrip("/").partition("/")
        return bucket, key

    def _list_objects(self, bucket: str) -> None:
        self._list_cached(bucket, super()._list_objects)

    def _list_objects_v2(self, bucket: str) -> None:
        self._list_cached(bucket, super()._list_objects_v2)

    def _list_cached(self, bucket: str, list_objects: Callable[[str], None]) -> None:
        prefix, query = self.query.get("prefix", ""), urlsplit(self.path).query
        generation = LISTINGS.generation(bucket, prefix)
        if "/records" in prefix and PENDING.any_missing(f"{bucket}/"):
            generation = None  # what it may show changes without a write: build it anew
        body = LISTINGS.get(bucket, query, generation) if generation is not None else None
        if body is not None:
            self._send(HTTPStatus.OK, body, {"Content-Type": "application/xml"})
            return
        self._listing: bytes | None = None
        list_objects(bucket)
        if generation is not None and self._listing is not None:
            LISTINGS.put(bucket, prefix, query, generation, self._listing)

    def _send_xml(self, root: Any) -> None:
        body = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
        self._listing = body
        self._send(HTTPStatus.OK, body, {"Content-Type": "application/xml"})

    def _write_object(self, bucket: str, key: str, write: Callable[[IO[bytes]], str]) -> str:
        target = self._object_path(bucket, key)
        with _lock_for(target):
            if_match = self.headers.get("If-Match")
            if if_match is not None:
                if not target.is_file():
                    raise localbucket.S3Error(
                        HTTPStatus.NOT_FOUND, "NoSuchKey", "The specified key does not exist."
                    )
                if not localbucket.etag_matches(if_match, object_etag(target)):
                    raise self._precondition_failed_error()
            partition = watermark_partition(key)
            before = high_of(target.read_bytes()) if partition and target.is_file() else 0
            etag: str = super()._write_object(bucket, key, write)
            if partition is not None:
                # Under the watermark's lock: no produce reads the new watermark before this.
                PENDING.taken(
                    f"{bucket}/{partition}",
                    before,
                    high_of(target.read_bytes()),
                    lambda offset: self._object_path(
                        bucket, f"{partition}/records/{offset:020d}.batch"
                    ).is_file(),
                )
            elif (batch := batch_of(key)) is not None:
                PENDING.stored(f"{bucket}/{batch[0]}", batch[1])
            return etag

    def _read_body(self) -> bytes:
        """localbucket's body reading, refusing a body that arrived incomplete or altered."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body: bytes = localbucket.read_chunked(self.rfile)  # raises IncompleteBody when cut
        else:
            declared = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(declared)
            if len(body) != declared:
                raise _incomplete_body(f"The body ended after {len(body)} of {declared} bytes.")
        if self.headers.get("x-amz-content-sha256", "").startswith("STREAMING-") or "aws-chunked" in (
            self.headers.get("Content-Encoding", "")
        ):
            body = localbucket.read_chunked(io.BytesIO(body))
            decoded = self.headers.get("x-amz-decoded-content-length")
            if decoded is not None and int(decoded) != len(body):
                raise _incomplete_body(f"The decoded body has {len(body)} of {decoded} bytes.")
        content_md5 = self.headers.get("Content-MD5")
        if content_md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != content_md5:
            raise localbucket.S3Error(
                HTTPStatus.BAD_REQUEST,
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
            )
        return body

    def _get(self, bucket: str, key: str, include_body: bool) -> None:
        if not bucket or not key:
            super()._get(bucket, key, include_body)
            return
        target = self._object_path(bucket, key)
        with _lock_for(target):
            if_none_match = self.headers.get("If-None-Match")
            if if_none_match and target.is_file():
                etag = object_etag(target)
                if localbucket.etag_matches(if_none_match, etag):
                    self._send_not_modified(etag)
                    return
            super()._get(bucket, key, include_body)

    def _list_entries(
        self,
        bucket_dir: Path,
        prefix: str,
        delimiter: str,
        marker: str,
        marker_is_prefix: bool,
        max_keys: int,
    ) -> tuple[list[tuple[str, Path]], list[str], bool, str]:
        """localbucket's listing, over the folder named by the prefix's part up to its last `/`,
        stopping before a record batch Tansu took an offset for and has not stored yet
        (`docroute.tansu_batches`).

        Every key there shares that folder's path, so the relative keys sort, page and group
        under the delimiter as the whole keys do; keys anywhere else cannot match the prefix.
        """
        folder, slash, rest = prefix.rpartition("/")
        root = (bucket_dir / folder).resolve()
        if not slash or not root.is_relative_to(bucket_dir.resolve()):
            return self._shown(
                self._list_bucket(bucket_dir, prefix, delimiter, marker, marker_is_prefix, max_keys)
            )
        base = folder + slash
        if marker.startswith(base):
            marker = marker[len(base) :]
        elif marker.encode() > base.encode():
            return [], [], False, ""  # every key in the folder sorts before the marker
        else:
            marker, marker_is_prefix = "", False  # none does
        if not root.is_dir():
            return [], [], False, ""
        contents, common, truncated, last = self._list_bucket(
            root, rest, delimiter, marker, marker_is_prefix, max_keys
        )
        return self._shown(
            (
                [(base + key, path) for key, path in contents],
                [base + prefix for prefix in common],
                truncated,
                last[:2] + base + last[2:] if last else "",
            )
        )

    def _shown(
        self, listed: tuple[list[tuple[str, Path]], list[str], bool, str]
    ) -> tuple[list[tuple[str, Path]], list[str], bool, str]:
        """`listed` without the record batches at or after one Tansu has not stored yet."""
        bucket = self._bucket_and_key()[0]
        if not PENDING.any_missing(f"{bucket}/"):
            return listed
        contents, common = listed[0], listed[1]
        visible = PENDING.visible([f"{bucket}/{key}" for key, _ in contents])
        shown = [entry for entry, show in zip(contents, visible, strict=True) if show]
        if len(shown) < len(contents):  # the rest sorts after a batch not stored yet
            return shown, common, False, ""
        return listed

    def _list_bucket(
        self,
        bucket_dir: Path,
        prefix: str,
        delimiter: str,
        marker: str,
        marker_is_prefix: bool,
        max_keys: int,
    ) -> tuple[list[tuple[str, Path]], list[str], bool, str]:
        listed: tuple[list[tuple[str, Path]], list[str], bool, str] = super()._list_entries(
            bucket_dir, prefix, delimiter, marker, marker_is_prefix, max_keys
        )
        return listed

    def _send_not_modified(self, etag: str) -> None:
        self.send_response(HTTPStatus.NOT_MODIFIED)
        self.send_header("ETag", f'"{etag}"')
        self.end_headers()


def _incomplete_body(message: str) -> Exception:
    error: Exception = localbucket.S3Error(HTTPStatus.BAD_REQUEST, "IncompleteBody", message)
    return error


def main(argv: list[str] | None = None) -> None:
    """localbucket's own command line, serving with `ConditionalS3Handler`."""
    # Its listings and GETs call these module functions.
    localbucket.object_etag = object_etag
    localbucket.iso_timestamp = iso_timestamp
    localbucket.S3Handler = ConditionalS3Handler  # main() serves this class
    sys.argv = [sys.argv[0], *(sys.argv[1:] if argv is None else argv)]
    localbucket.main()


if __name__ == "__main__":
    main()
