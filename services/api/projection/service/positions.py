"""Recording and reading where each document's events lie on the broker (table `event_positions`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Insert, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from docroute.events import Event, id_in
from services.api.projection.models import EventPosition


@dataclass(frozen=True)
class PositionedEvent:
    """A decoded event and the record it came from."""

    topic: str
    partition: int
    offset: int
    event: Event[Any]


def document_id_of(data: Any) -> uuid.UUID | None:
    """The document an event's data names, if any (dead letters carry it as a string)."""
    return id_in(data, "document_id")


def record(session: Session, events: Sequence[PositionedEvent]) -> int:
    """Record the positions of the events that name a document, in one statement; a known
    position is overwritten (see `_upsert`). Returns how many rows were written."""
    rows = [
        {
            "topic": e.topic,
            "partition": e.partition,
            "offset": e.offset,
            "document_id": document_id,
            "event_type": e.event.type,
            "event_time": e.event.time,
        }
        for e in events
        if (document_id := document_id_of(e.event.data)) is not None
    ]
    if rows:
        # On the session's connection, not as an ORM bulk insert: the rows are plain values, and
        # the ORM's bulk path cost about 1.7 ms of CPU a document at one event a poll (issue 9).
        session.flush()
        session.connection().execute(_upsert(session), rows)
    return len(rows)


def positions_of(session: Session, document_id: uuid.UUID) -> list[EventPosition]:
    """A document's recorded events, oldest first."""
    query = (
        select(EventPosition)
        .where(EventPosition.document_id == document_id)
        .order_by(EventPosition.event_time, EventPosition.topic, EventPosition.offset)
    )
    return list(session.scalars(query))


def _upsert(session: Session) -> Insert:
    """Insert, or overwrite what a position held: a replay writes the same values, and after the
    broker's log was replaced (a broker in memory restarted) the position holds another event."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"event positions on {dialect}: PostgreSQL and SQLite only")
    table = cast(Table, EventPosition.__table__)
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return insert.on_conflict_do_update(
        index_elements=["topic", "partition", "offset"],
        set_={name: insert.excluded[name] for name in ("document_id", "event_type", "event_time")},
    )
