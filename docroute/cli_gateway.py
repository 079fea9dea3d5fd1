"""`docroute gateway folder DIR --workflow KEY`: the hot-folder door (docroute.gateway_folder)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

from docroute.blobstore import BlobStore
from docroute.gateway_folder import FolderGateway, Inbox
from docroute.kafka import EventProducer
from docroute.logging import configure_logging
from docroute.settings import MailroomSettings, ServiceSettings


class GatewaySettings(ServiceSettings):
    """The broker, S3 and the inbox ingest accepts references to (`DOCROUTE_MAILROOM__...`)."""

    mailroom: MailroomSettings = MailroomSettings()


def add_parser(commands: Any) -> None:
    gateway = commands.add_parser("gateway", help="doors for a mailroom: publish to mailroom.incoming")
    doors = gateway.add_subparsers(dest="door", required=True)
    folder = doors.add_parser(
        "folder", help="publish files dropped in a folder, then move them to done/ or failed/"
    )
    folder.add_argument("directory", type=Path)
    folder.add_argument("--workflow", required=True, help="the workflow's key (UUID)")
    folder.add_argument("--settle", type=float, default=2.0, help="seconds a file must be unchanged")
    folder.add_argument(
        "--inline-limit", type=int, default=512 * 1024, help="bytes; larger files go via the inbox"
    )


def run(args: argparse.Namespace) -> int:
    settings = GatewaySettings()
    configure_logging("gateway-folder", settings.log_level)
    bucket = settings.mailroom.inbox_bucket or settings.s3.bucket
    prefix = settings.mailroom.inbox_prefix.strip("/") + "/"  # as ingest reads it
    inbox = Inbox(BlobStore(settings.s3.model_copy(update={"bucket": bucket})), prefix)
    producer = EventProducer(settings.kafka)
    gateway = FolderGateway(
        args.directory, args.workflow, producer, inbox, inline_limit=args.inline_limit, settle_s=args.settle
    )
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    try:
        gateway.run(lambda: len(stopping) > 0)
    except KeyboardInterrupt:
        pass
    finally:
        producer.close()
    return 0
