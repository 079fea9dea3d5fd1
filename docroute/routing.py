"""Where a workflow's documents go: its map from class to extraction topic.

Chosen per workflow (the `routing` of `workflow.updated`; absent means the shared default):

- `shared` (default): `extract.<class>`, one topic per class whatever the workflow. Fits one
  team; two workflows with a class `invoice` share `extract.invoice`.
- `per_workflow`: `extract.<workflow key>.<class>`, so an extraction service reads only its
  workflow's documents and an ACL on the prefix `extract.<workflow key>.` grants exactly them.
- `class_topics`: any topic the operator names for a class; it overrides either naming.

The workflow part is the workflow's key, not a slug of its name: the key never changes and is
unique by construction, so a topic never has to be renamed when a workflow is, and no two
workflows can claim one namespace. It also makes every namespace recognisable by its shape, so
`topic_problem` refuses a topic inside another workflow's namespace without looking workflows
up (the ACL on `extract.<key>.` would otherwise admit another team's documents). Names are
for people, and the per-workflow OpenAPI document shows the topics next to the workflow's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from docroute.topics import EXTRACT_PREFIX, PIPELINE_TOPICS, class_slug

RoutingNaming = Literal["shared", "per_workflow"]
NAMINGS: tuple[RoutingNaming, ...] = ("shared", "per_workflow")

MAX_TOPIC_CHARS = 249  # Kafka's limit
_LEGAL = re.compile(r"^[A-Za-z0-9._-]+$")
_WORKFLOW_NAMESPACE = re.compile(
    r"^extract\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\."
)
# docroute's own topics and families, and what Kafka and faust keep for themselves. Compared
# with `_` read as `.` (Kafka refuses names that differ only so: its metric names collide).
_RESERVED_PREFIXES = (
    "mailroom.",
    "ingest.",
    "document.",
    "review.",
    "sample.",
    "training.",
    "model.",
    "workflow.",
    "..",  # `__consumer_offsets`, `__transaction_state`, faust's `__assignor`
)
_RESERVED_SUFFIXES = (".dead-letter", "-changelog", "-repartition")


@dataclass(frozen=True)
class Routing:
    """A workflow's routing rule: its naming and the operator's topics per class."""

    naming: RoutingNaming = "shared"
    class_topics: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any] | None) -> Routing:
        """The rule as stored and carried (None: the shared default)."""
        if not value:
            return cls()
        return cls(value.get("naming") or "shared", dict(value.get("class_topics") or {}))

    def to_dict(self) -> dict[str, Any]:
        return {"naming": self.naming, "class_topics": dict(self.class_topics)}

    def topic_for(self, workflow_id: str, label: str) -> str:
        """The extraction topic of `label`'s documents in this workflow."""
        named = self.class_topics.get(label)
        if named:
            return named
        if self.naming == "per_workflow":
            return workflow_prefix(workflow_id) + class_slug(label)
        return EXTRACT_PREFIX + class_slug(label)

    def topic_map(self, workflow_id: str, labels: Iterable[str]) -> dict[str, str]:
        """Class -> topic for every label, in the labels' order."""
        return {label: self.topic_for(workflow_id, label) for label in labels}


def workflow_prefix(workflow_id: str) -> str:
    """The per-workflow namespace: `extract.<workflow key>.` (an ACL prefix)."""
    return f"{EXTRACT_PREFIX}{str(workflow_id).lower()}."


def topic_name_problem(topic: str) -> str | None:
    """Why `topic` cannot be an extraction topic at all; None when it can.

    Kafka's rules (1-249 of `A-Z a-z 0-9 . _ -`, not `.` or `..`) and none of docroute's own
    topics or Kafka's and faust's internal ones.
    """
    if not topic or len(topic) > MAX_TOPIC_CHARS:
        return f"a topic name has 1 to {MAX_TOPIC_CHARS} characters"
    if not _LEGAL.match(topic) or topic in {".", ".."}:
        return "a topic name has only letters, digits, '.', '_' and '-' (and is not '.' or '..')"
    folded = topic.lower().replace("_", ".")
    internal = {spec.name.replace("_", ".") for spec in PIPELINE_TOPICS}
    if folded in internal or folded.startswith(_RESERVED_PREFIXES) or folded.endswith(_RESERVED_SUFFIXES):
        return f"{topic!r} is one of docroute's or Kafka's internal topics (or looks like one)"
    return None


def topic_problem(topic: str, workflow_id: str) -> str | None:
    """Why `topic` cannot take `workflow_id`'s documents; None when it can: a legal extraction
    topic (`topic_name_problem`) outside every other workflow's `extract.<key>.`."""
    why = topic_name_problem(topic)
    if why:
        return why
    namespace = _WORKFLOW_NAMESPACE.match(topic.lower().replace("_", "."))
    if namespace and namespace.group(1) != str(workflow_id).lower():
        return f"{topic!r} is in another workflow's namespace ({namespace.group(0)})"
    return None


def routing_problems(routing: Routing, workflow_id: str, labels: Iterable[str]) -> list[str]:
    """Every reason the workflow's topics cannot be used, one line per class; [] when fine."""
    problems = []
    for label, topic in routing.topic_map(workflow_id, labels).items():
        why = topic_problem(topic, workflow_id)
        if why:
            problems.append(f"class {label!r} -> {topic!r}: {why}")
    return problems
