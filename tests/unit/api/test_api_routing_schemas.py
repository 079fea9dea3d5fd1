"""Routing in workflow requests and responses: what is refused, what is shown."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.api.workflows.schemas import WorkflowCreate, WorkflowPublic, WorkflowUpdate

LABELS = ["invoice", "w-9"]


def _public(routing: dict | None) -> WorkflowPublic:
    now = datetime.now(UTC)
    return WorkflowPublic.model_validate(
        {
            "id": uuid.UUID("5a0c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f"),
            "name": "w",
            "description": "",
            "labels": LABELS,
            "document_spec": {},
            "threshold": 0.8,
            "class_thresholds": {},
            "retrain_every": 20,
            "archived": False,
            "routing": routing,
            "created_at": now,
            "updated_at": now,
        }
    )


def test_a_stored_null_routing_shows_the_shared_default() -> None:
    shown = _public(None)
    assert shown.routing.naming == "shared" and shown.routing.class_topics == {}
    assert shown.extract_topics == {"invoice": "extract.invoice", "w-9": "extract.w-9"}


def test_extract_topics_follow_the_stored_rule() -> None:
    shown = _public({"naming": "per_workflow", "class_topics": {"w-9": "acme.w9"}})
    key = "5a0c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f"
    assert shown.extract_topics == {"invoice": f"extract.{key}.invoice", "w-9": "acme.w9"}


@pytest.mark.parametrize(
    "routing",
    [
        {"naming": "per_team"},
        {"class_topics": {"invoice": "document.routed"}},
        {"class_topics": {"invoice": "review.pending"}},
        {"class_topics": {"invoice": "bad name"}},
        {"class_topics": {"invoice": ""}},
        {"class_topics": {"payslip": "acme"}},  # not a label
        {"class_topics": {"invoice": "acme"}, "extra": 1},
    ],
)
def test_create_refuses_bad_routing(routing: dict) -> None:
    with pytest.raises(ValidationError):
        WorkflowCreate(name="w", labels=LABELS, routing=routing)


def test_update_refuses_internal_topics_and_null() -> None:
    with pytest.raises(ValidationError):
        WorkflowUpdate(routing={"class_topics": {"invoice": "mailroom.incoming"}})
    with pytest.raises(ValidationError):
        WorkflowUpdate.model_validate({"routing": None})
    assert WorkflowUpdate(routing={"naming": "per_workflow"}).routing is not None
