"""Consume a class's extraction topic: each routed document once, with its original and its OCR.

    python examples/extraction_consumer.py --topics extract.invoice --group invoice-extractor

Reads `document.routed` events (key = document id), one consumer group per extraction service,
and `document.superseded` recalls of documents routed earlier that a person's correction replaced.
Original and OCR from the API with a workflow-scoped key (`--read api`: DOCROUTE_API_URL,
DOCROUTE_API_KEY) or from S3 by the claim checks (`--read s3`: boto3's AWS_*). Offsets are
committed after handling (at least once: duplicates dropped by event id). See docs/integrate.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from kafka import KafkaConsumer

# v2 is v1 plus `part`: a part of a stack its workflow split (the stack's id and the part's pages);
# v3 is v2 plus `boundary_confidence`: how sure `splitting: auto` was of that part's pages.
ROUTED = {f"urn:docroute:schema:document.routed:v{n}" for n in (1, 2, 3)}
# A recall of a document routed here earlier: v1, a person's correction of its stack's boundaries
# replaced it (its pages arrive again as the new documents `replaced_by` names); v2 also, a
# person gave it a class routed to another topic (`rerouted_to`: it went there instead).
SUPERSEDED = {f"urn:docroute:schema:document.superseded:v{n}" for n in (1, 2)}
KNOWN_SCHEMAS = {*ROUTED, *SUPERSEDED}


def from_api(path: str, attempt: int = 0) -> bytes:
    """GET from the API; a 404 is retried a while (the API may not have seen the document yet)."""
    url, key = os.environ["DOCROUTE_API_URL"].rstrip("/") + path, os.environ["DOCROUTE_API_KEY"]
    try:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code != 404 or attempt >= 7:
            raise
        time.sleep(0.5 * 2**attempt)
        return from_api(path, attempt + 1)


def from_s3(ref: str) -> bytes:
    import boto3  # only needed with --read s3

    bucket, _, key = ref.removeprefix("s3://").partition("/")
    return bytes(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def recall(event: dict[str, Any]) -> dict[str, Any]:
    """Undo what was done with a superseded document; here, say which and what replaces it."""
    data = event["data"]
    if "rerouted_to" in data:
        return {"event_id": event["id"], "recalled": data["document_id"], "rerouted_to": data["rerouted_to"]}
    return {
        "event_id": event["id"],
        "recalled": data["document_id"],
        "replaced_by": [part["document_id"] for part in data["replaced_by"]],
    }


def handle(event: dict[str, Any], read: str) -> dict[str, Any]:
    """Fetch what an extractor needs; here, check it and summarise it."""
    data = event["data"]
    if read == "api":
        original = from_api(f"/documents/{data['document_id']}/original")
        text = json.loads(from_api(f"/documents/{data['document_id']}/ocr"))["text"]
    else:
        original = from_s3(data["blob"]["ref"])
        text = "\n".join(page["text"] for page in json.loads(from_s3(data["ocr_ref"]))["pages"])
    return {
        "event_id": event["id"],
        "document_id": data["document_id"],
        "class": data["document_class"],
        "confidence": data["confidence"],
        "original_bytes": len(original),
        "sha256_ok": hashlib.sha256(original).hexdigest() == data["blob"]["sha256"],
        "text": text[:200],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", required=True, help="comma-separated, e.g. extract.invoice")
    parser.add_argument("--group", required=True, help="one per extraction service")
    parser.add_argument("--read", choices=("api", "s3"), default="api")
    parser.add_argument("--max", type=int, help="stop after this many documents")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    args = parser.parse_args()
    consumer = KafkaConsumer(
        *args.topics.split(","),
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    seen: set[str] = set()  # in production: a table keyed by event id that survives restarts
    while args.max is None or len(seen) < args.max:
        for records in consumer.poll(timeout_ms=1000).values():
            for record in records:
                event = json.loads(record.value)
                if event["dataschema"] not in KNOWN_SCHEMAS:
                    sys.exit(f"unknown {event['dataschema']}: upgrade this consumer first")
                if event["id"] not in seen:
                    done = recall(event) if event["dataschema"] in SUPERSEDED else handle(event, args.read)
                    print(json.dumps(done), flush=True)  # noqa: T201
                    seen.add(event["id"])
        consumer.commit()  # after handling: a crash before it redelivers, never loses
    consumer.close()


if __name__ == "__main__":
    main()
