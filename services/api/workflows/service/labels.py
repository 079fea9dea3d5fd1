"""A workflow's labels: add, rename, retire and restore, with every change kept.

`Workflow.labels` is the active set, in the order the labels were created; the label rows keep
retired labels and every change. The workflow's samples follow their label:

- rename: samples labelled with the old name take the new one, each announced as
  `sample.labelled`, so the next model version predicts the new name (the live one keeps the old
  name until then, and the router routes it to the old name's topic);
- retire: the samples leave the training set (`sample.labelled` with no label) and keep their
  label in the database, so a later restore brings them back.

Labels must stay unique by topic name (`extract_topic`) among the active ones; a workflow keeps
at least two active labels.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from docroute.events import Outgoing
from docroute.topics import class_slug, extract_topic
from services.api import outgoing
from services.api.documents.models import Document
from services.api.errors import ConflictError, InvalidError, NotFoundError
from services.api.workflows.models import LabelChange, Workflow, WorkflowLabel
from services.api.workflows.schemas import LabelChangePublic, LabelPublic
from services.api.workflows.service import routing

MIN_ACTIVE = 2


def _rows(session: Session, workflow: Workflow) -> list[WorkflowLabel]:
    """Every label row of the workflow, made from `Workflow.labels` if it has none yet."""
    query = select(WorkflowLabel).where(WorkflowLabel.workflow_id == workflow.id).order_by(WorkflowLabel.id)
    rows = list(session.scalars(query))
    if not rows:
        rows = record_created(session, workflow, api_key_id=None)
    return rows


def record_created(session: Session, workflow: Workflow, api_key_id: uuid.UUID | None) -> list[WorkflowLabel]:
    """Label rows and `created` entries for a new workflow's labels."""
    rows = [WorkflowLabel(workflow_id=workflow.id, name=name) for name in workflow.labels]
    session.add_all(rows)
    session.flush()
    for row in rows:
        _log(session, row, "created", None, row.name, api_key_id)
    return rows


def _log(
    session: Session,
    row: WorkflowLabel,
    action: str,
    old: str | None,
    new: str | None,
    api_key_id: uuid.UUID | None,
) -> None:
    session.add(
        LabelChange(
            workflow_id=row.workflow_id,
            label_id=row.id,
            action=action,
            old_name=old,
            new_name=new,
            api_key_id=api_key_id,
            changed_at=datetime.now(UTC),
        )
    )


def _sync(workflow: Workflow, rows: Sequence[WorkflowLabel], renamed: dict[str, str]) -> None:
    """The active set from the rows; per-class thresholds follow renames and retirements."""
    active = [r.name for r in rows if r.retired_at is None]
    workflow.labels = active
    thresholds = {renamed.get(k, k): v for k, v in workflow.class_thresholds.items()}
    workflow.class_thresholds = {k: v for k, v in thresholds.items() if k in active}
    if workflow.routing and workflow.routing.get("class_topics"):
        named = {renamed.get(k, k): v for k, v in workflow.routing["class_topics"].items()}
        class_topics = {k: v for k, v in named.items() if k in active}
        workflow.routing = {**workflow.routing, "class_topics": class_topics}


def _clash(
    rows: Sequence[WorkflowLabel], name: str, ignore: WorkflowLabel | None, *, retired_too: bool
) -> None:
    """409 when `name` routes to the topic of another active (or retired) label."""
    slug = _slug(name)
    for row in rows:
        if row is ignore or class_slug(row.name) != slug:
            continue
        if row.retired_at is None:
            raise ConflictError(
                f"label {name!r} clashes with active label {row.name!r}: "
                f"both route to {extract_topic(name)!r}",
            )
        if retired_too:
            raise ConflictError(
                f"label {name!r} is retired (its samples keep it): add it to restore it instead",
            )


def _slug(name: str) -> str:
    try:
        return class_slug(name)
    except ValueError as exc:
        raise InvalidError(str(exc)) from exc


def _find(rows: Sequence[WorkflowLabel], label_id: int) -> WorkflowLabel:
    for row in rows:
        if row.id == label_id:
            return row
    raise NotFoundError(f"no label with id {label_id}")


def add(
    session: Session, workflow: Workflow, name: str, api_key_id: uuid.UUID | None
) -> tuple[WorkflowLabel, list[Outgoing]]:
    """A new active label, or a retired one of the same topic name restored (samples too)."""
    rows = _rows(session, workflow)
    _clash(rows, name, ignore=None, retired_too=False)
    slug = _slug(name)
    retired = [r for r in rows if r.retired_at is not None and class_slug(r.name) == slug]
    events: list[Outgoing] = []
    if retired:
        row = retired[-1]
        old = row.name
        row.name, row.retired_at = name, None
        _log(session, row, "restored", old, name, api_key_id)
        events = relabel_samples(session, workflow.id, old, name)
    else:
        row = WorkflowLabel(workflow_id=workflow.id, name=name)
        session.add(row)
        session.flush()
        rows.append(row)
        _log(session, row, "added", None, name, api_key_id)
    _sync(workflow, rows, {})
    return row, events


def rename(
    session: Session, workflow: Workflow, label_id: int, name: str, api_key_id: uuid.UUID | None
) -> tuple[WorkflowLabel, list[Outgoing]]:
    rows = _rows(session, workflow)
    row = _find(rows, label_id)
    if row.retired_at is not None:
        raise ConflictError(f"label {row.name!r} is retired: restore it first")
    if row.name == name:
        return row, []
    _clash(rows, name, ignore=row, retired_too=True)
    old = row.name
    row.name = name
    _log(session, row, "renamed", old, name, api_key_id)
    _sync(workflow, rows, {old: name})
    return row, relabel_samples(session, workflow.id, old, name)


def retire(
    session: Session, workflow: Workflow, label_id: int, api_key_id: uuid.UUID | None
) -> tuple[WorkflowLabel, list[Outgoing]]:
    rows = _rows(session, workflow)
    row = _find(rows, label_id)
    if row.retired_at is not None:
        return row, []
    if sum(r.retired_at is None for r in rows) <= MIN_ACTIVE:
        raise ConflictError(
            f"cannot retire {row.name!r}: a workflow keeps at least {MIN_ACTIVE} active labels",
        )
    row.retired_at = datetime.now(UTC)
    _log(session, row, "retired", row.name, None, api_key_id)
    _sync(workflow, rows, {})
    return row, relabel_samples(session, workflow.id, row.name, None)


def relabel_samples(session: Session, workflow_id: uuid.UUID, old: str, new: str | None) -> list[Outgoing]:
    """Move the samples labelled `old` to `new`; None takes them out of the training set and
    leaves their label in the database (for a restore).

    Returns `sample.labelled` for those whose text is extracted; the others are announced by
    the projection when their text arrives, with the label they then have.
    """
    query = select(Document).where(
        Document.workflow_id == workflow_id,
        Document.label == old,
        Document.sample_removed.is_(False),  # a removed sample stays out of the training set
    )
    events = []
    for doc in session.scalars(query):
        if new is not None:
            doc.label = new
        if doc.ocr_ref:
            events.append(
                outgoing.sample_labelled(
                    document_id=doc.id, workflow_id=workflow_id, label=new, ocr_ref=doc.ocr_ref
                )
            )
    return events


def public(session: Session, workflow: Workflow) -> list[LabelPublic]:
    """Every label (active first, then retired), each with its history."""
    rows = _rows(session, workflow)
    changes = session.scalars(
        select(LabelChange).where(LabelChange.workflow_id == workflow.id).order_by(LabelChange.id)
    )
    history: dict[int, list[LabelChangePublic]] = {}
    for change in changes:
        history.setdefault(change.label_id, []).append(LabelChangePublic.model_validate(change))
    shown = sorted(rows, key=lambda r: (r.retired_at is not None, r.id))
    return [one(workflow, r, history.get(r.id, [])) for r in shown]


def one(workflow: Workflow, row: WorkflowLabel, history: list[LabelChangePublic]) -> LabelPublic:
    return LabelPublic(
        id=row.id,
        name=row.name,
        status="retired" if row.retired_at else "active",
        extract_topic=routing.topic_of(workflow, row.name),
        created_at=row.created_at,
        retired_at=row.retired_at,
        history=history,
    )
