"""CPU and wall time a call of the S3 object calls on a document's way, obstore (what
`docroute.blobstore.BlobStore` uses for an object's bytes) against boto3 (what it used until
2026-12-03, and still uses for the bucket, listings and deletes), side by side (not a test).

Run from the repository root (about 20 s)::

    .venv/bin/python -m bench.s3_calls [--calls 300] [--rounds 3] [--size 8000]

One local S3 server (`docroute.s3_localbucket`, as in the tests and the embedded default), one
`BlobStore`; each round runs every call `--calls` times through each client in turn: put, get,
and put if absent (`If-None-Match: *`, the router's decision record). Printed: per call and
client, the caller's CPU ms a call (user + system of this process: obstore's Rust threads
included) and wall ms a call, median over the rounds, and their ratio. The server's own CPU is
the same for both and not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench`, `docroute` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from docroute.blobstore import BlobStore
from docroute.processes import HOST, LOCAL_S3_KEY, start_s3_server
from docroute.settings import S3Settings

CLIENTS = ("boto3", "obstore")
CALLS = ("put", "get", "put_if_absent")


def _calls(store: BlobStore, payload: bytes) -> dict[tuple[str, str], Callable[[str], object]]:
    """(client, call) -> one call on a key; boto3 is the store's own client, configured as before."""
    boto3 = store._client  # the same endpoint, credentials, retries and path addressing
    bucket = store.bucket
    return {
        ("boto3", "put"): lambda key: boto3.put_object(Bucket=bucket, Key=key, Body=payload),
        ("boto3", "get"): lambda key: boto3.get_object(Bucket=bucket, Key=key)["Body"].read(),
        ("boto3", "put_if_absent"): lambda key: boto3.put_object(
            Bucket=bucket, Key=key + ".claim", Body=payload, IfNoneMatch="*"
        ),
        ("obstore", "put"): lambda key: store.put(key, payload),
        ("obstore", "get"): lambda key: store.get(key),
        ("obstore", "put_if_absent"): lambda key: store.put_if_absent(key + ".claim", payload),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=8000, help="bytes an object (a text PDF: 5-15 KB)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docroute-s3-calls-"))
    server = start_s3_server(work / "data", work)
    try:
        store = BlobStore(
            S3Settings(
                endpoint_url=f"http://{HOST}:{server.port}",
                bucket="bench",
                access_key_id=SecretStr(LOCAL_S3_KEY),
                secret_access_key=SecretStr(LOCAL_S3_KEY),
            )
        )
        store.ensure_bucket()
        calls = _calls(store, os.urandom(args.size))
        cpu: dict[tuple[str, str], list[float]] = {key: [] for key in calls}
        wall: dict[tuple[str, str], list[float]] = {key: [] for key in calls}
        for round_ in range(args.rounds):
            for call in CALLS:
                for client in CLIENTS:
                    one = calls[(client, call)]
                    keys = [f"{client}/{round_}/{n}" for n in range(args.calls)]
                    c0, t0 = time.process_time(), time.perf_counter()
                    for key in keys:
                        one(key)
                    cpu[(client, call)].append((time.process_time() - c0) / args.calls * 1000)
                    wall[(client, call)].append((time.perf_counter() - t0) / args.calls * 1000)
    finally:
        server.stop()
    print(f"## S3 object calls, {args.calls} x {args.rounds} rounds, {args.size} B objects, local S3 server")
    print()
    print("| call | boto3 CPU / wall ms | obstore CPU / wall ms | CPU boto3 / obstore |")
    print("|---|---|---|---|")
    for call in CALLS:
        b_cpu, o_cpu = (statistics.median(cpu[(c, call)]) for c in CLIENTS)
        b_wall, o_wall = (statistics.median(wall[(c, call)]) for c in CLIENTS)
        print(f"| {call} | {b_cpu:.3f} / {b_wall:.3f} | {o_cpu:.3f} / {o_wall:.3f} | {b_cpu / o_cpu:.1f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
