"""Workflow changes on an in-memory database: fixed settings, relevant pages until the first
sample, thresholds naming labels; labels renamed, retired and restored with their history."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from services.api.documents.models import Document
from services.api.errors import DomainError
from services.api.workflows.models import Workflow
from services.api.workflows.schemas import WorkflowUpdate
from services.api.workflows.service import labels
from services.api.workflows.service.changes import FIXED_SPEC_FIELDS, apply_update

SPEC = {
    "cropping": False,
    "character_set": "latin",
    "text_style": "printed",
    "relevant_pages": None,
    "ocr_engine": "tesseract",
}


@pytest.fixture
def workflow(session: Session) -> Workflow:
    row = Workflow(name="w", labels=["a", "b", "c"], document_spec=dict(SPEC), class_thresholds={"a": 0.9})
    session.add(row)
    session.flush()
    labels.record_created(session, row, api_key_id=None)
    return row


def update(session: Session, workflow: Workflow, **body: object) -> list[str]:
    return apply_update(session, workflow, WorkflowUpdate.model_validate(body))


# text_style is fixed too, but its only other values are refused before any rule (422: no
# handwriting recognizer), so no change of it reaches the rules (test_api_schemas).
@pytest.mark.parametrize("field", sorted(set(FIXED_SPEC_FIELDS) - {"text_style"}))
def test_fixed_spec_fields_refuse_a_change_but_not_their_value(
    session: Session, workflow: Workflow, field: str
) -> None:
    other = {
        "cropping": True,
        "character_set": "japanese",
        "ocr_engine": "paddle",
    }
    with pytest.raises(DomainError) as refused:
        update(session, workflow, document_spec={field: other[field]})
    assert refused.value.status_code == 409 and f"document_spec.{field}" in str(refused.value.detail)
    assert update(session, workflow, document_spec={field: SPEC[field]}) == []


def test_relevant_pages_change_until_the_first_sample(session: Session, workflow: Workflow) -> None:
    assert update(session, workflow, document_spec={"relevant_pages": "First 2"}) == [
        "document_spec.relevant_pages"
    ]
    assert workflow.document_spec["relevant_pages"] == "first 2"
    assert update(session, workflow, document_spec={"relevant_pages": None}) == [
        "document_spec.relevant_pages"
    ]
    session.add(Document(id=uuid.uuid4(), workflow_id=workflow.id, purpose="training"))
    session.flush()
    with pytest.raises(DomainError) as refused:
        update(session, workflow, document_spec={"relevant_pages": "1"})
    assert refused.value.status_code == 409


def test_plain_settings_and_thresholds(session: Session, workflow: Workflow) -> None:
    assert update(session, workflow, name="n", threshold=0.5, retrain_every=3) == [
        "name",
        "threshold",
        "retrain_every",
    ]
    assert update(session, workflow, name="n") == []
    with pytest.raises(DomainError, match="not active labels"):
        update(session, workflow, class_thresholds={"zzz": 0.5})
    with pytest.raises(ValueError, match="cannot be null"):
        WorkflowUpdate.model_validate({"threshold": None})


def test_rename_retire_restore_keep_history(session: Session, workflow: Workflow) -> None:
    ids = {row.name: row.id for row in labels._rows(session, workflow)}
    labels.rename(session, workflow, ids["a"], "A2", None)
    assert (workflow.labels, workflow.class_thresholds) == (["A2", "b", "c"], {"A2": 0.9})
    labels.retire(session, workflow, ids["a"], None)
    assert (workflow.labels, workflow.class_thresholds) == (["b", "c"], {})
    with pytest.raises(DomainError, match="at least 2"):
        labels.retire(session, workflow, ids["b"], None)
    row, _ = labels.add(session, workflow, "a2", None)
    assert (row.id, row.name, workflow.labels) == (ids["a"], "a2", ["a2", "b", "c"])
    shown = {label.name: label for label in labels.public(session, workflow)}
    assert [h.action for h in shown["a2"].history] == ["created", "renamed", "retired", "restored"]
    with pytest.raises(DomainError, match="clashes"):
        labels.add(session, workflow, "B", None)
