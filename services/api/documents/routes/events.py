"""A document's events on the broker: where the projection saw each one (for `docroute trace`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.api.deps import CurrentKey, SessionDep
from services.api.documents.service.lookup import find_document
from services.api.projection.service.positions import positions_of

router = APIRouter(prefix="/documents", tags=["documents"])


class EventPositionPublic(BaseModel):
    """One event about the document and the record it is on."""

    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    type: str = Field(description="The event's CloudEvents type, e.g. `document.routed`.")
    time: datetime = Field(description="When the emitting service made the event.")


@router.get("/{document_id}/events", response_model=list[EventPositionPublic])
def read_document_events(
    document_id: str, session: SessionDep, principal: CurrentKey
) -> list[EventPositionPublic]:
    """The document's events as the projection applied them, oldest first: topic, partition and
    offset of each, so a client can read exactly those records. Deleted documents keep theirs."""
    document = find_document(session, principal, document_id, deleted_too=True)
    return [
        EventPositionPublic(
            topic=p.topic, partition=p.partition, offset=p.offset, type=p.event_type, time=p.event_time
        )
        for p in positions_of(session, document.id)
    ]
