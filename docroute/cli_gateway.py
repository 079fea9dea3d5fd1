"""`docroute gateway folder DIR --workflow KEY` and `docroute gateway imap --workflow KEY`: the
hot-folder door (docroute.gateway_folder) and the mailbox door (docroute.gateway_imap)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from docroute.blobstore import BlobStore
from docroute.gateway_folder import FolderGateway
from docroute.gateway_imap import ImapGateway, Mailbox, Tls
from docroute.gateway_publish import Inbox, MailPublisher
from docroute.health import Health, serve_health
from docroute.kafka import EventProducer
from docroute.logging import configure_logging
from docroute.settings import MailroomSettings, ServiceSettings


class ImapSettings(BaseModel):
    """The mailbox (`DOCROUTE_IMAP__HOST`, `..._PORT`, `..._USER`, `..._PASSWORD`, `..._FOLDER`,
    `..._TLS`); the command line's options win, except the password, which is read only here."""

    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int | None = None  # 993 with tls=ssl, else 143
    user: str = ""
    password: SecretStr = SecretStr("")
    folder: str = "INBOX"
    tls: Tls = "ssl"


class GatewaySettings(ServiceSettings):
    """The broker, S3, the inbox ingest accepts references to (`DOCROUTE_MAILROOM__...`) and
    the mailbox (`DOCROUTE_IMAP__...`)."""

    mailroom: MailroomSettings = MailroomSettings()
    imap: ImapSettings = ImapSettings()


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
    imap = doors.add_parser(
        "imap", help="publish the attachments of new mails in an IMAP folder, then flag the mails"
    )
    imap.add_argument("--workflow", required=True, help="the workflow's key (UUID)")
    imap.add_argument("--host", help="IMAP server (DOCROUTE_IMAP__HOST)")
    imap.add_argument("--port", type=int, help="default 993 with --tls ssl, else 143 (DOCROUTE_IMAP__PORT)")
    imap.add_argument("--user", help="login (DOCROUTE_IMAP__USER); the password: DOCROUTE_IMAP__PASSWORD")
    imap.add_argument("--folder", help="the folder to read (DOCROUTE_IMAP__FOLDER, default INBOX)")
    imap.add_argument(
        "--tls", choices=["ssl", "starttls", "none"], help="how to secure the connection (default ssl)"
    )
    imap.add_argument("--interval", type=float, default=10.0, help="seconds between polls")
    imap.add_argument(
        "--inline-limit", type=int, default=512 * 1024, help="bytes; larger files go via the inbox"
    )


def run(args: argparse.Namespace) -> int:
    settings = GatewaySettings()
    configure_logging(f"gateway-{args.door}", settings.log_level)
    bucket = settings.mailroom.inbox_bucket or settings.s3.bucket
    prefix = settings.mailroom.inbox_prefix.strip("/") + "/"  # as ingest reads it
    inbox = Inbox(BlobStore(settings.s3.model_copy(update={"bucket": bucket})), prefix)
    producer = EventProducer(settings.kafka)
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    # /healthz: the loop turns; /readyz: the folder or the mailbox could be read at the last round.
    interval = 1.0 if args.door == "folder" else args.interval
    health = Health(stale_after_s=max(60.0, 6 * interval))
    server = serve_health(health, settings.health_host, settings.health_port)
    try:
        if args.door == "folder":
            gateway = FolderGateway(
                args.directory, args.workflow, producer, inbox,
                inline_limit=args.inline_limit, settle_s=args.settle,
            )  # fmt: skip
            health.add_check("folder", args.directory.is_dir)
            gateway.run(lambda: len(stopping) > 0, interval, health.beat)
        else:
            publisher = MailPublisher(
                args.workflow, producer, "gateway-imap", inbox, inline_limit=args.inline_limit
            )
            mailbox = ImapGateway(_mailbox(settings.imap, args), publisher)
            health.add_check("mailbox", lambda: mailbox.reachable)
            try:
                mailbox.run(lambda: len(stopping) > 0, interval, health.beat)
            finally:
                mailbox.close()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        producer.close()
    return 0


def _mailbox(imap: ImapSettings, args: argparse.Namespace) -> Mailbox:
    """The mailbox from the options, else the settings."""
    tls: Tls = args.tls or imap.tls
    port = args.port or imap.port or (993 if tls == "ssl" else 143)
    return Mailbox(
        host=args.host or imap.host,
        port=port,
        user=args.user or imap.user,
        password=imap.password.get_secret_value(),
        folder=args.folder or imap.folder,
        tls=tls,
    )
