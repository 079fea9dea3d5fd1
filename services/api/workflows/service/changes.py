"""Changing a workflow: which settings may change, applying a change, publishing the result.

Fixed after creation (a change is refused with 409 naming the field), because they decide the
text every training sample was read into, and a model trained on one text cannot classify another:

- `document_spec.character_set`: the OCR language (Latin or Japanese models);
- `document_spec.text_style`: printed, handwritten or both select different OCR behaviour;
- `document_spec.ocr_engine`: engines differ in how they split and spell words;
- `document_spec.cropping`: cropped and uncropped photos give different text.

`document_spec.relevant_pages` may change until the workflow's first training sample arrives: the
OCR service reads only the relevant pages of samples too, so afterwards the samples' text and new
documents' text would come from different pages. Everything else (name, description,
thresholds, retrain_every) may change at any time, and labels change through their own endpoints.
The routing (class -> topic) changes with the admin key only: a topic decides which extraction
service, and so which team, receives the documents (`docroute.routing`).

Every change is published as the workflow's full `workflow.updated` event (the services learn
settings only from it); the database commits only once the broker has acknowledged it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from docroute.events import Outgoing
from docroute.kafka import provision_topics
from docroute.routing import Routing
from services.api import outgoing
from services.api.adapters import Resources
from services.api.documents.models import Document
from services.api.errors import ConflictError, InvalidError
from services.api.workflows.models import Workflow
from services.api.workflows.schemas import WorkflowCreate, WorkflowUpdate
from services.api.workflows.service import routing

logger = logging.getLogger(__name__)

FIXED_SPEC_FIELDS: dict[str, str] = {
    "character_set": "the OCR language every training sample was read with",
    "text_style": "how every training sample was read (printed, handwritten or both)",
    "ocr_engine": "the OCR engine every training sample was read with",
    "cropping": "whether every training sample was cropped before OCR",
}


def refuse(field: str, why: str) -> ConflictError:
    """409 naming the setting that cannot change."""
    return ConflictError(
        f"{field} cannot be changed: {why}. Create a new workflow for different settings.",
    )


def has_training_samples(session: Session, workflow: Workflow) -> bool:
    query = select(Document.id).where(Document.workflow_id == workflow.id, Document.purpose == "training")
    return session.scalars(query.limit(1)).first() is not None


def apply_update(session: Session, workflow: Workflow, body: WorkflowUpdate) -> list[str]:
    """Apply `body` to `workflow`; returns the fields that changed (409/422 when refused)."""
    fields = body.model_dump(exclude_unset=True)
    changed: list[str] = []
    spec_patch = fields.pop("document_spec", None) or {}
    spec = dict(workflow.document_spec)
    for name, value in spec_patch.items():
        if spec.get(name) == value:
            continue
        if name in FIXED_SPEC_FIELDS:
            raise refuse(f"document_spec.{name}", f"it is fixed after creation ({FIXED_SPEC_FIELDS[name]})")
        if name == "relevant_pages" and has_training_samples(session, workflow):
            raise refuse(
                "document_spec.relevant_pages",
                "the workflow's training samples were read with the current relevant pages",
            )
        spec[name] = value
        changed.append(f"document_spec.{name}")
    if changed:
        workflow.document_spec = spec
    thresholds = fields.get("class_thresholds")
    if thresholds is not None:
        unknown = sorted(set(thresholds) - set(workflow.labels))
        if unknown:
            raise InvalidError(
                f"class_thresholds name classes that are not active labels: {unknown}",
            )
    rule = fields.pop("routing", None)
    if rule is not None and _set_routing(workflow, Routing.from_dict(rule)):
        changed.append("routing")
    if "splitting" in fields:
        fields["splitting"] = None if fields["splitting"] == "none" else fields["splitting"]
    if "wording_languages" in fields:
        gate = fields["wording_languages"]
        fields["wording_languages"] = None if gate == "class" else gate
    for name, value in fields.items():
        if getattr(workflow, name) != value:
            setattr(workflow, name, value)
            changed.append(name)
    return changed


def _set_routing(workflow: Workflow, rule: Routing) -> bool:
    """Replace the routing rule (422 for classes it names that are not active labels)."""
    unknown = sorted(set(rule.class_topics) - set(workflow.labels))
    if unknown:
        raise InvalidError(
            f"routing.class_topics name classes that are not active labels: {unknown}",
        )
    if routing.rule_of(workflow) == rule:
        return False
    workflow.routing = rule.to_dict()
    return True


def save_and_publish(
    session: Session,
    resources: Resources,
    workflow: Workflow,
    *,
    new_labels: Iterable[str] = (),
    extra: Iterable[Outgoing] = (),
    routing_changed: bool = False,
) -> None:
    """Check the routing, provision the topics of the workflow's classes (every one when the
    routing changed, else `new_labels`'), publish `workflow.updated` (then `extra`), commit.

    All or nothing: when the broker fails, the session rolls back and the caller gets 503; a
    topic that cannot be used (422) changes nothing.
    """
    new_labels = list(new_labels)
    if routing_changed or new_labels:
        routing.check(workflow)
    session.flush()
    labels = workflow.labels if routing_changed else new_labels
    topics = sorted(set(routing.topics_of(workflow, labels).values()))
    if topics:
        provision_topics(resources.settings.kafka, extra=topics)
    resources.producer.send([outgoing.workflow_updated(workflow), *extra])
    session.commit()
    logger.info("workflow %r updated", workflow.name, extra={"workflow_id": workflow.id})


def new_workflow(body: WorkflowCreate) -> Workflow:
    return Workflow(
        id=uuid.uuid4(),
        name=body.name,
        description=body.description,
        labels=list(body.labels),
        document_spec=body.document_spec.model_dump(mode="json"),
        threshold=body.threshold,
        class_thresholds=dict(body.class_thresholds),
        retrain_every=body.retrain_every,
        archived=False,
        splitting=None if body.splitting == "none" else body.splitting,
        wording_languages=None if body.wording_languages == "class" else body.wording_languages,
    )
