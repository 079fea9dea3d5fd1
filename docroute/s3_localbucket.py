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

Run: `python -m docroute.s3_localbucket DATA_DIR --host 127.0.0.1 --port PORT`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO

import localbucket

# Striped locks: a lock per key would grow with every record batch ever written.
_KEY_LOCKS = tuple(threading.Lock() for _ in range(64))


def _lock_for(path: Path) -> threading.Lock:
    return _KEY_LOCKS[zlib.crc32(str(path).encode()) % len(_KEY_LOCKS)]


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
            etag: str = super()._write_object(bucket, key, write)
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
        """localbucket's listing, over the folder named by the prefix's part up to its last `/`.

        Every key there shares that folder's path, so the relative keys sort, page and group
        under the delimiter as the whole keys do; keys anywhere else cannot match the prefix.
        """
        folder, slash, rest = prefix.rpartition("/")
        root = (bucket_dir / folder).resolve()
        if not slash or not root.is_relative_to(bucket_dir.resolve()):
            return self._list_bucket(bucket_dir, prefix, delimiter, marker, marker_is_prefix, max_keys)
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
        return (
            [(base + key, path) for key, path in contents],
            [base + prefix for prefix in common],
            truncated,
            last[:2] + base + last[2:] if last else "",
        )

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
