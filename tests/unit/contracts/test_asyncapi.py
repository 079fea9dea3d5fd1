"""The AsyncAPI document: valid AsyncAPI 3.0.0, generated from schemas/ and fresh, and true of
what the services really put on the topics."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker

from docroute import topics
from docroute.contracts import asyncapi
from docroute.contracts._generated import Blob, DocumentRouted
from docroute.contracts.schemas import load_schemas
from docroute.events import EVENT_MODELS, emit, encode
from docroute.routing import Routing

VENDORED = Path(__file__).parents[2] / "data" / "asyncapi" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(asyncapi.DOCUMENT.read_text())
    return loaded


@pytest.fixture(scope="module")
def official() -> Draft7Validator:
    schema = json.loads(VENDORED.read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=FormatChecker())


def test_document_is_valid_asyncapi_3(document: dict[str, Any], official: Draft7Validator) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in official.iter_errors(document)
    ]
    assert not errors, errors[:5]


def test_the_official_schema_refuses_a_broken_document(
    document: dict[str, Any], official: Draft7Validator
) -> None:
    broken = copy.deepcopy(document)
    next(iter(broken["operations"].values()))["action"] = "publish"  # AsyncAPI 2's word
    del broken["info"]["title"]
    assert len(list(official.iter_errors(broken))) >= 2


def test_committed_document_and_page_are_fresh() -> None:
    text, html = asyncapi.render()
    assert asyncapi.DOCUMENT.read_text() == text, "run: python -m docroute.contracts.asyncapi"
    assert asyncapi.HTML.read_text() == html, "run: python -m docroute.contracts.asyncapi"


def test_a_changed_schema_makes_the_committed_document_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = copy.deepcopy(load_schemas())
    changed[("document.routed", 1)]["properties"]["reason"]["description"] = "changed"
    monkeypatch.setattr(asyncapi, "load_schemas", lambda: changed)
    assert asyncapi.render()[0] != asyncapi.DOCUMENT.read_text()


def test_every_topic_and_event_type_is_described(document: dict[str, Any]) -> None:
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {spec.name for spec in topics.PIPELINE_TOPICS} <= addresses
    assert {"extract.{class}", "extract.{workflow}.{class}"} <= addresses
    assert {m["name"] for m in document["components"]["messages"].values()} == set(EVENT_MODELS)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = (
                [node["$ref"]] if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") else []
            )
            return own + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    found = refs({k: v for k, v in document.items() if k != "components"})
    found += refs(document["components"]["messages"])
    assert len(found) > 50
    for ref in found:
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def test_extract_topics_fit_their_channel_addresses() -> None:
    workflow = str(uuid.uuid4())
    shared = Routing().topic_for(workflow, "Tax Form 1040")
    per_workflow = Routing(naming="per_workflow").topic_for(workflow, "Tax Form 1040")
    assert shared == "extract.tax-form-1040"
    assert per_workflow == f"extract.{workflow}.tax-form-1040"


def test_payload_schema_accepts_what_the_router_emits_and_nothing_else(document: dict[str, Any]) -> None:
    document_id, workflow_id = uuid.uuid4(), uuid.uuid4()
    routed = DocumentRouted(
        document_id=document_id,
        workflow_id=workflow_id,
        route="extract",
        topic="extract.invoice",
        document_class="invoice",
        confidence=0.93,
        threshold=0.8,
        model_version=3,
        reason="confident",
        probabilities={"invoice": 0.93, "other": 0.07},
        blob=Blob(
            ref="s3://docroute/originals/sha256/ab", sha256="a" * 64, size=10, media_type="application/pdf"
        ),
        ocr_ref="s3://docroute/ocr/x.json",
        page_count=1,
    )
    out = emit(
        "extract.invoice", "document.routed", routed, source="router", key=str(document_id), step="routed"
    )
    value = json.loads(encode(out.event))
    payload = document["components"]["schemas"]["document.routed.v1"]
    assert payload["schemaFormat"] == asyncapi.SCHEMA_FORMAT
    validator = Draft202012Validator(payload["schema"], format_checker=FormatChecker())
    assert not list(validator.iter_errors(value))
    assert list(validator.iter_errors({**value, "type": "document.failed"}))
    assert list(validator.iter_errors({**value, "data": {**value["data"], "confidence": 2}}))
    assert list(validator.iter_errors({k: v for k, v in value.items() if k != "id"}))
