"""The mailbox door: attachments of new mails in an IMAP folder become mails on `mailroom.incoming`.

`docroute gateway imap --workflow KEY` polls one folder of one mailbox. A mail is new while it
lacks the keyword `$DocrouteSent` (mails a person has read count too: the keyword, not \\Seen,
is the gateway's state). Each attachment is checked and published as its own mail with the
folder door's code (`docroute.gateway_publish`); then the mail gets `\\Seen $DocrouteSent`, and
a mail with attachments the intake rule refused also gets `$DocrouteRefused` (the reasons are
logged). Mails without attachments are only flagged.

Restarts: the mailbox is the state. The mail id of an attachment is derived from the mail's
Message-ID (or, without one, the whole message) and the attachment's content, so a mail published
just before a crash and published again before it was flagged is the same mail, and ingest and
the router give its documents one route each.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import imaplib
import logging
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any, Literal

from docroute.errors import DocrouteError
from docroute.gateway_publish import MailPublisher

logger = logging.getLogger(__name__)

SENT, REFUSED = "$DocrouteSent", "$DocrouteRefused"
Tls = Literal["ssl", "starttls", "none"]


class MailboxError(DocrouteError):
    """The IMAP server refused a command (login, select, fetch, store); the message says which."""


@dataclass(frozen=True)
class Mailbox:
    """Where to read: host, port, credentials, folder and how the connection is secured."""

    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    tls: Tls = "ssl"


@dataclass(frozen=True)
class Taken:
    """One attachment of a mail: its file name and bytes."""

    filename: str
    data: bytes


def attachments(message: EmailMessage) -> Iterator[Taken]:
    """The mail's attachments (parts with a file name), in order; inline text is not one."""
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            yield Taken(filename, payload)


def mail_id_of(raw: bytes, message: EmailMessage, data: bytes) -> str:
    """`imap-<hash>` of the Message-ID (the raw message without one) and the attachment's bytes."""
    identity = str(message.get("Message-ID", "")).strip().encode() or hashlib.sha256(raw).digest()
    return "imap-" + hashlib.sha256(identity + b"\0" + hashlib.sha256(data).digest()).hexdigest()[:40]


class ImapGateway:
    """One poll at a time over a mailbox folder; `poll()` returns the mail ids it published."""

    def __init__(self, mailbox: Mailbox, publisher: MailPublisher) -> None:
        self._mailbox = mailbox
        self._publisher = publisher
        self._connection: imaplib.IMAP4 | None = None
        self.reachable = False

    def poll(self) -> list[str]:
        """Publish the attachments of every new mail, then flag it."""
        imap = self._connect()
        uids = _ok(imap.uid("SEARCH", "UNKEYWORD", SENT), "search")[0].decode().split()
        published: list[str] = []
        for uid in uids:
            fetched = _ok(imap.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is None:
                continue  # expunged meanwhile
            published += self._take(imap, uid, raw)
        return published

    def run(
        self, stop: Callable[[], bool], interval_s: float = 10.0, beat: Callable[[], None] = lambda: None
    ) -> None:
        """Poll until `stop()` says so; a lost connection is opened again at the next poll.
        `beat()` after each poll (liveness); `reachable` says whether the last one worked."""
        while not stop():
            try:
                self.poll()
                self.reachable = True
            except (OSError, imaplib.IMAP4.error, MailboxError) as exc:
                logger.warning("mailbox poll failed, retrying: %s", exc)
                self.reachable = False
                self.close()
            beat()
            time.sleep(interval_s)

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self._connection.logout()
            self._connection = None

    def _take(self, imap: imaplib.IMAP4, uid: str, raw: bytes) -> list[str]:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        sender = parseaddr(str(message.get("From", "")))[1][:320] or None
        published, refused = [], []
        for attachment in attachments(message):
            reason = self._publisher.refusal(attachment.filename, attachment.data)
            if reason:
                refused.append(f"{attachment.filename}: {reason}")
                continue
            mail_id = mail_id_of(raw, message, attachment.data)
            self._publisher.publish(mail_id, attachment.filename, attachment.data, step="imap", sender=sender)
            published.append(mail_id)
            logger.info("published %s of mail %s as %s", attachment.filename, uid, mail_id)
        flags = f"(\\Seen {SENT} {REFUSED})" if refused else f"(\\Seen {SENT})"
        _ok(imap.uid("STORE", uid, "+FLAGS", flags), "store")
        for line in refused:
            logger.warning("refused %s", line)
        return published

    def _connect(self) -> imaplib.IMAP4:
        if self._connection is not None:
            try:
                self._connection.noop()
                return self._connection
            except (OSError, imaplib.IMAP4.error):
                self.close()
        box = self._mailbox
        if box.tls == "ssl":
            context = ssl.create_default_context()
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=context)
        else:
            imap = imaplib.IMAP4(box.host, box.port)
            if box.tls == "starttls":
                imap.starttls(ssl.create_default_context())
        _ok(imap.login(box.user, box.password), "login")
        _ok(imap.select(_quoted(box.folder)), f"select {box.folder}")
        self._connection = imap
        return imap


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(answer: tuple[str, Sequence[Any]], what: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        raise MailboxError(f"IMAP {what} answered {status}: {data!r}"[:500])
    return list(data)
