"""What every gateway door does with a file it took: check it with the intake rule, then publish
it as one mail on `mailroom.incoming` (inline up to a limit, else put in the inbox and referenced).

Shared by the hot folder (`docroute.gateway_folder`) and the mailbox (`docroute.gateway_imap`);
each door derives the mail id from what it read, so publishing the same file again after a crash
is the same mail, and ingest and the router give its document one route.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pybase64

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import emit
from docroute.intake import IntakeLimits, RejectedFile, take_in
from docroute.kafka import EventProducer


@dataclass(frozen=True)
class Inbox:
    """Where files too large to send inline go: `s3://<store bucket>/<prefix><workflow>/...`."""

    store: BlobStore
    prefix: str


@dataclass
class MailPublisher:
    """Publishes one file as one mail of `workflow_id`, as `source` (e.g. `gateway-folder`)."""

    workflow_id: str
    producer: EventProducer
    source: str
    inbox: Inbox | None = None
    inline_limit: int = 512 * 1024
    limits: IntakeLimits = field(default_factory=IntakeLimits)

    def refusal(self, filename: str, data: bytes) -> str | None:
        """Why the file is not published (`<reason code>: <reason>` lines); None when it goes."""
        refused = [r for r in take_in(filename, data, self.limits) if isinstance(r, RejectedFile)]
        if refused:
            return "\n".join(f"{r.reason_code}: {r.reason}" for r in refused)
        if len(data) > self.inline_limit and self.inbox is None:
            return f"too_large: over {self.inline_limit} bytes and no inbox configured"
        return None

    def publish(
        self, mail_id: str, filename: str, data: bytes, *, step: str, sender: str | None = None
    ) -> None:
        """Send the file (checked with `refusal` first) as mail `mail_id`; the event id derives
        from `step` and the mail id, so a republished mail repeats it."""
        if len(data) <= self.inline_limit:
            attachment = Attachment(filename=filename, content_base64=pybase64.b64encode(data).decode())
        else:
            assert self.inbox is not None, "refusal() refuses a large file without an inbox"
            ref = self.inbox.store.put(f"{self.inbox.prefix}{self.workflow_id}/{mail_id}", data)
            attachment = Attachment(filename=filename, s3_ref=str(ref))
        mail = MailReceived(
            mail_id=mail_id, workflow_id=self.workflow_id, sender=sender, attachments=[attachment]
        )
        self.producer.send(
            [
                emit(
                    topics.MAILROOM_INCOMING, "mail.received", mail, source=self.source,
                    key=mail_id, step=step, about=(self.workflow_id, mail_id),
                )
            ]
        )  # fmt: skip
