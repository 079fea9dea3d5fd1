"""Labels of a workflow: list with history, add (or restore), rename, retire."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from docroute.events import Outgoing
from services.api.adapters import Resources
from services.api.deps import CurrentKey, ResourcesDep, SessionDep, WorkflowAnyStateDep, WorkflowDep
from services.api.workflows.models import LabelChange, Workflow, WorkflowLabel
from services.api.workflows.schemas import LabelChangePublic, LabelIn, LabelPublic
from services.api.workflows.service import labels
from services.api.workflows.service.changes import save_and_publish

router = APIRouter(prefix="/workflows", tags=["labels"])

LabelId = Path(ge=1, le=2**31 - 1, description="The label's id (GET /workflows/{key}/labels)")
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Clashes with another label, or too few would stay active"}
}


@router.get("/{key}/labels", response_model=list[LabelPublic])
def list_labels(workflow: WorkflowAnyStateDep, session: SessionDep) -> list[LabelPublic]:
    """Every label the workflow has had: active ones first, then retired, each with its history."""
    result = labels.public(session, workflow)
    session.commit()  # label rows made on first sight of an older workflow
    return result


@router.post("/{key}/labels", status_code=201, response_model=LabelPublic, responses=CONFLICT)
def add_label(
    found: WorkflowDep, body: LabelIn, session: SessionDep, resources: ResourcesDep, key: CurrentKey
) -> LabelPublic:
    """Add a label; a retired one of the same name comes back with its samples and history.
    Provisions its extraction topic and publishes `workflow.updated`."""
    return _change(session, resources, found, lambda w: labels.add(session, w, body.name, key.key_id))


@router.patch("/{key}/labels/{label_id}", response_model=LabelPublic, responses=CONFLICT)
def rename_label(
    found: WorkflowDep,
    body: LabelIn,
    session: SessionDep,
    resources: ResourcesDep,
    key: CurrentKey,
    label_id: int = LabelId,
) -> LabelPublic:
    """Rename: the active set changes, samples follow (`sample.labelled`), history keeps the old
    name. The live model predicts the old name until the next version is trained."""
    return _change(
        session,
        resources,
        found,
        lambda w: labels.rename(session, w, label_id, body.name, key.key_id),
    )


@router.delete("/{key}/labels/{label_id}", response_model=LabelPublic, responses=CONFLICT)
def retire_label(
    found: WorkflowDep,
    session: SessionDep,
    resources: ResourcesDep,
    key: CurrentKey,
    label_id: int = LabelId,
) -> LabelPublic:
    """Retire: the label leaves the active set and its samples the training set; it stays in
    the history and can be restored by adding it again."""
    return _change(session, resources, found, lambda w: labels.retire(session, w, label_id, key.key_id))


def _change(
    session: Session,
    resources: Resources,
    found: Workflow,
    change: Callable[[Workflow], tuple[WorkflowLabel, list[Outgoing]]],
) -> LabelPublic:
    workflow = session.get_one(Workflow, found.id)
    before = list(workflow.labels)
    row, events = change(workflow)
    if workflow.labels != before or events:
        new = [name for name in workflow.labels if name not in before]
        save_and_publish(session, resources, workflow, new_labels=new, extra=events)
    else:
        session.commit()  # label rows made on first sight of an older workflow
    query = select(LabelChange).where(LabelChange.label_id == row.id).order_by(LabelChange.id)
    return labels.one(workflow, row, [LabelChangePublic.model_validate(c) for c in session.scalars(query)])
