"""The Kafka ACLs (Strimzi KafkaUsers, components/kafka-acls) against the code: docroute's user
may use every topic it needs, an extraction user only reads its own workflow's topics."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from docroute import topics
from docroute.routing import Routing, topic_problem, workflow_prefix
from tests.deploy.conftest import K8S

COMPONENT = K8S / "components" / "kafka-acls"
KEY = re.compile(r"^extract\.([0-9a-f-]{36})\.$")


def _users() -> dict[str, dict[str, Any]]:
    names = yaml.safe_load((COMPONENT / "kustomization.yaml").read_text())["resources"]
    docs = [yaml.safe_load((COMPONENT / name).read_text()) for name in names]
    assert all(d["apiVersion"] == "kafka.strimzi.io/v1beta2" and d["kind"] == "KafkaUser" for d in docs)
    return {d["metadata"]["name"]: d for d in docs}


def _allows(user: dict[str, Any], kind: str, name: str, operation: str) -> bool:
    """Simple authorization: does an ACL of `user` allow `operation` on resource `name`?"""
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        if resource["type"] != kind or operation not in acl["operations"]:
            continue
        pattern = resource.get("patternType", "literal")
        if resource["name"] == "*" or resource["name"] == name:
            return True
        if pattern == "prefix" and name.startswith(resource["name"]):
            return True
    return False


def _extraction_users() -> list[dict[str, Any]]:
    return [u for name, u in _users().items() if name.startswith("extraction-")]


def test_every_user_is_simple_authorization_over_scram() -> None:
    for user in _users().values():
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        assert user["spec"]["authorization"]["type"] == "simple"
        assert user["metadata"]["labels"]["strimzi.io/cluster"]


@pytest.mark.parametrize("spec", topics.PIPELINE_TOPICS, ids=lambda s: s.name)
def test_docroute_may_create_and_describe_every_pipeline_topic(spec: topics.TopicSpec) -> None:
    docroute = _users()["docroute"]
    assert _allows(docroute, "topic", spec.name, "Create")
    assert _allows(docroute, "topic", spec.name, "Describe")


def test_docroute_writes_every_extraction_topic_but_reads_none() -> None:
    docroute = _users()["docroute"]
    workflow = "5a0c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f"
    for rule in (Routing(), Routing("per_workflow")):
        topic = rule.topic_for(workflow, "invoice")
        assert _allows(docroute, "topic", topic, "Write") and _allows(docroute, "topic", topic, "Create")
        assert not _allows(docroute, "topic", topic, "Read")
    for group in ("docroute-ocr", "docroute-classify", "docroute-api"):
        assert _allows(docroute, "group", group, "Read")


def test_an_extraction_user_reads_only_its_workflows_topics() -> None:
    users = _extraction_users()
    assert users, "an example extraction user"
    for user in users:
        topic_acls = [a for a in user["spec"]["authorization"]["acls"] if a["resource"]["type"] == "topic"]
        assert topic_acls
        for acl in topic_acls:
            assert set(acl["operations"]) <= {"Read", "Describe"}, "an extraction service writes nothing"
            name = acl["resource"]["name"]
            match = KEY.match(name) if acl["resource"].get("patternType") == "prefix" else None
            assert match or acl["resource"].get("patternType", "literal") == "literal", name
            if match:
                assert name == workflow_prefix(match.group(1))
                mine, other = match.group(1), "0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e"
                per_workflow = Routing("per_workflow")
                assert _allows(user, "topic", per_workflow.topic_for(mine, "invoice"), "Read")
                assert not _allows(user, "topic", per_workflow.topic_for(other, "invoice"), "Read")
                assert not _allows(user, "topic", Routing().topic_for(mine, "invoice"), "Read")
                # The API refuses every topic another workflow could route into this namespace.
                assert topic_problem(per_workflow.topic_for(mine, "invoice"), other)
            else:
                assert topic_problem(name, "0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e") is None
        for spec in topics.PIPELINE_TOPICS:
            assert not _allows(user, "topic", spec.name, "Read"), spec.name
