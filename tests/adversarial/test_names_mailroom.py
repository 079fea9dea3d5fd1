"""Hostile attachment names through the mailroom door: a dead letter, or a document under a
plain name (as the HTTP door makes them) that the API reports like any other.

Its own file, run after the other mailroom cases: a name the database refuses has stopped
the API's projection (it retries the same event for ever), which would fail every later
test that reads documents through the API.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from docroute import topics
from tests.adversarial.bad_files import small_pdf
from tests.adversarial.conftest import Mailroom, inline, mail_with
from tests.fixtures.polling import wait_until


@pytest.mark.parametrize(
    "filename",
    # NUL last: the database refuses it, which has stopped the API's projection for good.
    ["../../etc/passwd.pdf", "C:\\Windows\\evil.pdf", "in\x1bvoice.pdf", "in\x00voice.pdf"],
    ids=["parent-dirs", "windows-path", "escape-character", "nul"],
)
def test_hostile_attachment_names_are_refused_or_made_plain(
    api: httpx.Client,
    mailroom: Mailroom,
    workflow_key: str,
    intake_events: Any,
    good_document: Any,
    filename: str,
) -> None:
    """A dead letter, or a document under a plain name that the API reports like any other."""
    sent = mailroom.send(mail_with(workflow_key, inline(small_pdf(), filename)), key=f"name-{uuid.uuid4()}")

    def outcome(topic: str, event: Any) -> bool:
        if topic == topics.DEAD_LETTER:
            return str(event.data.original.event_id) == sent.event_id
        return topic == topics.DOCUMENT_RECEIVED and event.data.origin.mail_id == sent.mail_id

    topic, event = intake_events.wait_for(outcome, timeout_s=60)
    if topic == topics.DEAD_LETTER:
        assert event.data.reason_code, event.data
    else:
        name = event.data.origin.filename
        assert name.isprintable() and "/" not in name and "\\" not in name, name
        wait_until(
            lambda: api.get(f"/documents/{event.data.document_id}").status_code == 200, 30, "API sees it"
        )
    good_document.via_mailroom(partition_key=sent.key)
