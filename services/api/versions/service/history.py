"""Which version is live, how it got there, and where a rollback goes.

The projection writes it from the `model.published` topic in topic order (`on_published`,
`on_model_promoted`); the routes read it (`live_state`, `rollback_target`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from docroute.contracts._generated import ModelPromoted, ModelPublished
from docroute.events import Outgoing
from services.api.versions.models import ModelVersion, VersionChange

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveState:
    """The live version (0: no model) and whether it is pinned."""

    version: int
    pinned: bool


def live_state(session: Session, workflow_id: uuid.UUID) -> LiveState:
    last = session.scalar(
        select(VersionChange)
        .where(VersionChange.workflow_id == workflow_id)
        .order_by(VersionChange.id.desc())
        .limit(1)
    )
    if last is not None:
        return LiveState(last.version, last.pinned)
    live = _live_row(session, workflow_id)  # versions published before the history existed
    return LiveState(live.version if live else 0, False)


def rollback_target(session: Session, workflow_id: uuid.UUID) -> int | None:
    """The version that was live before the current one went live (0: no model).

    Rollbacks are skipped while walking back, so rolling back twice goes two steps back
    instead of toggling between two versions. None when there is no earlier version.
    """
    current = live_state(session, workflow_id).version
    changes = session.scalars(
        select(VersionChange)
        .where(VersionChange.workflow_id == workflow_id, VersionChange.version == current)
        .where(VersionChange.action != "rollback")
        .order_by(VersionChange.id.desc())
        .limit(1)
    )
    change = next(iter(changes), None)
    if change is None or change.previous_version is None or change.previous_version == current:
        return None
    return change.previous_version


def on_published(session: Session, data: ModelPublished) -> None:
    """Called by the projection before it stores the version: a live one is a change."""
    if not data.live:
        return
    previous = live_state(session, data.workflow_id)
    _record(
        session,
        event_id=f"published:{data.workflow_id}:{data.version}",
        workflow_id=data.workflow_id,
        version=data.version,
        previous=previous.version,
        action="published",
        pinned=False,
        requested_by=None,
        reason=data.reason,
    )


def on_model_promoted(session: Session, data: ModelPromoted) -> list[Outgoing]:
    previous = live_state(session, data.workflow_id)
    # A replayed event adds no second history row but still sets the flags: events after it
    # in the batch were replayed too, in order, so the last one decides again.
    _record(
        session,
        event_id=str(data.promotion_id),
        workflow_id=data.workflow_id,
        version=data.version,
        previous=previous.version,
        action=data.action,
        pinned=data.pinned,
        requested_by=data.requested_by,
        reason=data.reason,
    )
    session.execute(
        update(ModelVersion)
        .where(ModelVersion.workflow_id == data.workflow_id)
        .values(live=ModelVersion.version == data.version)
    )
    logger.info(
        "%s: v%d live (was v%d)",
        data.action,
        data.version,
        previous.version,
        extra={"workflow_id": data.workflow_id, "version": data.version},
    )
    return []


def _record(session: Session, *, event_id: str, **fields: object) -> bool:
    """Add the change unless this event was recorded already; True when added."""
    if session.scalar(select(VersionChange.id).where(VersionChange.event_id == event_id)):
        return False
    session.add(VersionChange(event_id=event_id, **{_column(k): v for k, v in fields.items()}))
    session.flush()
    return True


def _column(name: str) -> str:
    return "previous_version" if name == "previous" else name


def _live_row(session: Session, workflow_id: uuid.UUID) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.workflow_id == workflow_id, ModelVersion.live)
    )


def versions(session: Session, workflow_id: uuid.UUID) -> list[ModelVersion]:
    query = (
        select(ModelVersion)
        .where(ModelVersion.workflow_id == workflow_id)
        .order_by(ModelVersion.version.desc())
    )
    return list(session.scalars(query))
