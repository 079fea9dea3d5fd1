"""A workflow's routing as the API applies it: the rule from its row, its topics, their checks."""

from __future__ import annotations

from collections.abc import Iterable

from docroute.routing import Routing, routing_problems
from services.api.errors import InvalidError
from services.api.workflows.models import Workflow


def rule_of(workflow: Workflow) -> Routing:
    """The workflow's routing rule (a null column is the shared default)."""
    return Routing.from_dict(workflow.routing)


def topic_of(workflow: Workflow, label: str) -> str:
    """Where a confident (or reviewed) document of class `label` goes."""
    return rule_of(workflow).topic_for(str(workflow.id), label)


def topics_of(workflow: Workflow, labels: Iterable[str] | None = None) -> dict[str, str]:
    """Class -> topic for `labels` (default: the active ones)."""
    labels = workflow.labels if labels is None else labels
    return rule_of(workflow).topic_map(str(workflow.id), labels)


def check(workflow: Workflow) -> None:
    """422 naming each class whose topic cannot be used (internal, another's namespace...)."""
    problems = routing_problems(rule_of(workflow), str(workflow.id), workflow.labels)
    if problems:
        raise InvalidError("routing: " + "; ".join(problems))
