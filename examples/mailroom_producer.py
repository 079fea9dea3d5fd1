"""Publish files to docroute's mailroom door (`mailroom.incoming`) as one mail.

    python examples/mailroom_producer.py --workflow KEY letter.pdf scan.png

A small file travels inline (base64); a larger one is put in the operator's inbox
(`--inbox s3://<bucket>/inbox/`, under `<workflow>/`) and sent as an `s3_ref`. The Kafka key is
the mail id; the same mail id sent again yields the same documents (default: derived from the
files' content, so running this twice publishes one mail). Refusals arrive on
`document.dead-letter` with `original.event_id` = the event id printed here. Settings:
KAFKA_BOOTSTRAP_SERVERS; for the inbox, boto3's AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...
See docs/integrate.md and schemas/asyncapi.yaml.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

# base64 adds a third: 512 KiB stays under a broker's default 1 MiB message (message.max.bytes).
INLINE_LIMIT = 512 * 1024


def attachment(path: Path, index: int, args: argparse.Namespace, mail_id: str) -> dict[str, str]:
    """One attachment: inline when small, else put in the workflow's inbox folder and referenced."""
    data = path.read_bytes()
    if len(data) <= args.inline_limit:
        return {"filename": path.name, "content_base64": base64.b64encode(data).decode()}
    if not args.inbox:
        sys.exit(f"{path} is over {args.inline_limit} bytes: give --inbox s3://<bucket>/<prefix>")
    import boto3  # only needed for the inbox

    bucket, _, prefix = args.inbox.removeprefix("s3://").partition("/")
    # A key of plain characters: the door refuses `..`, `//`, `%`, `?`, `#`, `\` in a reference.
    key = f"{prefix}{args.workflow}/{hashlib.sha256(mail_id.encode()).hexdigest()[:32]}/{index}"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)
    return {"filename": path.name, "s3_ref": f"s3://{bucket}/{key}"}


def mail_event(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The mail id and the CloudEvents envelope around `mail.received`."""
    content = hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for p in args.files))
    mail_id = args.mail_id or f"files-{content.hexdigest()[:40]}"
    data = {
        "mail_id": mail_id,
        "workflow_id": args.workflow,
        "sender": args.sender,
        "attachments": [attachment(p, i, args, mail_id) for i, p in enumerate(args.files)],
    }
    return mail_id, {
        "specversion": "1.0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mail:{args.workflow}:{mail_id}")),
        "source": "/mailroom/example-producer",
        "type": "mail.received",
        "time": datetime.now(UTC).isoformat(),
        "subject": mail_id,
        "dataschema": "urn:docroute:schema:mail.received:v1",
        "datacontenttype": "application/json",
        "data": data,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--workflow", required=True, help="the workflow's key (UUID)")
    parser.add_argument("--mail-id", help="your id of the mail (default: from the files' content)")
    parser.add_argument("--sender", help="sender address, informational")
    parser.add_argument("--inbox", default=os.environ.get("DOCROUTE_INBOX"), help="s3://bucket/prefix/")
    parser.add_argument("--inline-limit", type=int, default=INLINE_LIMIT, help="bytes")
    parser.add_argument("--topic", default="mailroom.incoming")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    args = parser.parse_args()
    mail_id, event = mail_event(args)
    producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all", max_request_size=8 << 20)
    producer.send(args.topic, key=mail_id.encode(), value=json.dumps(event).encode()).get(timeout=60)
    producer.close()
    refs = sum("s3_ref" in a for a in event["data"]["attachments"])
    sys.stdout.write(json.dumps({"mail_id": mail_id, "event_id": event["id"], "by_reference": refs}) + "\n")


if __name__ == "__main__":
    main()
