"""Generate `schemas/asyncapi.yaml` (AsyncAPI 3.0.0) and its offline HTML page from `schemas/`.

The event API in one document: a channel per topic of `docroute.topics` (the per-workflow
`extract.*` ones with their parameters), a message per event type and version whose payload is
the CloudEvents envelope with that type's data schema (both bundled from `schemas/`, so the
JSON Schema files stay the one source of truth), the Kafka key, and an operation per service
that sends or receives on a channel. Run `python -m docroute.contracts.asyncapi` after editing a
schema or a topic; a test fails while the committed files are stale.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import yaml

from docroute import topics
from docroute.contracts.asyncapi_html import render_html
from docroute.contracts.schemas import SCHEMA_DIR, load_schemas, schema_urn

DOCUMENT = SCHEMA_DIR / "asyncapi.yaml"
HTML = SCHEMA_DIR / "asyncapi.html"
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"

_KEYS = {
    "mail.received": "The mail id (`mail_id`) on mailroom.incoming; the upload id on ingest.uploads.",
    "document": (
        "The document id (UUID), also the CloudEvents `subject`: one document's events share a "
        "partition and stay in order."
    ),
    "workflow": "The workflow id (UUID): a workflow's settings, samples and models stay in order.",
}
_KEY_OF = {
    "mail.received": "mail.received",
    "document.received": "document",
    "document.text_extracted": "document",
    "document.classified": "document",
    "document.routed": "document",
    "document.failed": "document",
    "document.split": "document",
    "document.superseded": "document",
}


@dataclass(frozen=True)
class Channel:
    """A topic (or family of topics), what travels on it, and who writes and reads it."""

    key: str
    address: str | None
    event_types: tuple[str, ...]
    senders: tuple[str, ...]
    receivers: tuple[str, ...]
    description: str
    parameters: tuple[str, ...] = ()
    partitions: int | None = None


_EVERY_SERVICE = ("ingest", "ocr", "classify", "router", "trainer", "api")
_ROUTED = ("document.routed",)
# A routed document a person's correction superseded (of its stack's boundaries, or of its class
# to another topic) is recalled on the topic it went to and on document.routed
# (schemas/document.superseded).
_RECALLABLE = ("document.routed", "document.superseded")
# Event types only one of a channel's senders sends: the API recalls, the router never does.
_ONLY_SENDER = {"document.superseded": "api"}
_EXTRACT = " The extraction service of the class (outside docroute): one consumer group per service."
CHANNELS: tuple[Channel, ...] = (
    Channel(
        "mailroom.incoming", topics.MAILROOM_INCOMING, ("mail.received",), ("mail-gateway",), ("ingest",),
        "The mailroom door: mail gateways outside docroute publish mail items here. Checked, never "
        "trusted (schemas/README.md, the doors' trust model); a refusal is a document.failed on "
        "document.dead-letter.",
    ),
    Channel(
        "ingest.uploads", topics.INGEST_UPLOADS, ("mail.received",), ("api",), ("ingest",),
        "The HTTP door, internal: only the API writes here (attachments by reference to "
        "uploads/<upload id>).",
    ),
    Channel(
        "document.received", topics.DOCUMENT_RECEIVED, ("document.received",), ("ingest", "ocr"),
        ("ocr", "api"),
        "A document taken in and stored (claim check to its original); OCR sends the parts of a "
        "stack its workflow splits here as documents of their own (v2, `part`).",
    ),
    Channel(
        "document.split", topics.DOCUMENT_SPLIT, ("document.split",), ("ocr",), ("api",),
        "A stack the workflow's splitting divided into its documents: the parts and separators.",
    ),
    Channel(
        "document.text-extracted", topics.DOCUMENT_TEXT_EXTRACTED, ("document.text_extracted",),
        ("ocr",), ("classify", "api", "trainer"),
        "OCR done: the text and per-page result stay in S3, the event carries their reference "
        "(the trainer keeps the unlabelled samples and has the live version guess them).",
    ),
    Channel(
        "document.classified", topics.DOCUMENT_CLASSIFIED, ("document.classified",), ("classify",),
        ("router", "api"),
        "The model's probabilities per class.",
    ),
    Channel(
        "document.routed", topics.DOCUMENT_ROUTED, _RECALLABLE, ("router", "api"), ("api",),
        "Every routing decision (extract or review), for results and webhooks; a recall "
        "(document.superseded) of a routed document a person's correction replaced.",
    ),
    Channel(
        "extract.class", topics.EXTRACT_PREFIX + "{class}", _RECALLABLE, ("router", "api"),
        ("extraction-service",),
        "A class's extraction topic in a workflow with the shared naming (the default): confident "
        "documents of that class, and reviewed ones confirmed or corrected to it; a recall "
        "(document.superseded) of one a correction of its stack's boundaries or of its class "
        "replaced." + _EXTRACT,
        parameters=("class",),
    ),
    Channel(
        "extract.workflow.class", topics.EXTRACT_PREFIX + "{workflow}.{class}", _RECALLABLE,
        ("router", "api"), ("extraction-service",),
        "A class's extraction topic in a workflow with the per_workflow naming, so an ACL on the "
        "prefix extract.<workflow>. grants exactly that workflow's documents." + _EXTRACT,
        parameters=("workflow", "class"),
    ),
    Channel(
        "extract.operator-named", None, _RECALLABLE, ("router", "api"), ("extraction-service",),
        "A topic the operator named for a class in the workflow's routing (class_topics), "
        "overriding the naming; GET /workflows/{key} shows every class's topic as extract_topics, "
        "and so does the workflow's OpenAPI document." + _EXTRACT,
    ),
    Channel(
        "review.pending", topics.REVIEW_PENDING, _ROUTED, ("router",), ("review-tool",),
        "Doubtful, unknown or unmodelled documents waiting for a person (the API's review queue "
        "reads document.routed).",
    ),
    Channel(
        "document.dead-letter", topics.DEAD_LETTER, ("document.failed",), _EVERY_SERVICE,
        ("api", "operator"),
        "Dead letters: what a service could not process, with a reason code, the reason and where "
        "the message was; the API shows it as the document's failure.",
    ),
    Channel(
        "sample.labelled", topics.SAMPLE_LABELLED, ("sample.labelled",), ("api",), ("trainer",),
        "A sample's label was set, changed or removed.",
    ),
    Channel(
        "training.requested", topics.TRAINING_REQUESTED, ("training.requested",), ("api",),
        ("trainer",),
        "Someone asked for a new model version.",
    ),
    Channel(
        "model.published", topics.MODEL_PUBLISHED, ("model.published", "model.promoted"),
        ("trainer", "api"), ("classify", "api", "trainer", "ocr"),
        "Model versions trained and promoted; one ordered partition decides which version is live "
        "(the last event wins). Every classify replica reads it whole; the trainer has a version "
        "going live guess the unlabelled samples it has no guess for; every OCR replica reads it "
        "whole for the live version's boundary model (`splitting: auto`).",
        partitions=1,
    ),
    Channel(
        "workflow.updated", topics.WORKFLOW_UPDATED, ("workflow.updated",), ("api",), _EVERY_SERVICE,
        "A workflow's settings and routing; every replica of every service reads it whole.",
        partitions=1,
    ),
    Channel(
        "sample.deleted", topics.SAMPLE_DELETED, ("sample.deleted",), ("api",), ("classify",),
        "Deleted documents that models may hold as samples; every classify replica reads it whole.",
        partitions=1,
    ),
)  # fmt: skip

_PARAMETERS = {
    "class": (
        "The class's slug: the label lower-cased, every run of characters other than a-z, 0-9, "
        "`.`, `_`, `-` made one `-` (`Tax Form 1040` -> `tax-form-1040`; docroute.topics.class_slug)."
    ),
    "workflow": "The workflow's key (UUID), which never changes.",
}
_SERVICES = {
    "mail-gateway": "A mail gateway outside docroute (mailroom software, a scanner's hot folder).",
    "extraction-service": "An extraction service outside docroute.",
    "review-tool": "A review tool outside docroute.",
    "operator": "Monitoring, alerting and reprocessing of dead letters.",
}


def _versions() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for event_type, version in sorted(load_schemas()):
        if event_type != "envelope":
            found.setdefault(event_type, []).append(version)
    return found


def _payload(event_type: str, version: int) -> dict[str, Any]:
    """The whole Kafka value: the envelope schema and this type's data schema, bundled."""
    schemas = load_schemas()
    envelope = copy.deepcopy(schemas[("envelope", 1)])
    data = copy.deepcopy(schemas[(event_type, version)])
    envelope.pop("$schema", None)
    data.pop("$schema", None)
    urn = schema_urn(event_type, version)
    return {
        "schemaFormat": SCHEMA_FORMAT,
        "schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"{data['title']} event (v{version})",
            "description": (
                f"CloudEvents envelope (schemas/envelope/v1.json) with type {event_type} "
                f"and data as schemas/{event_type}/v{version}.json."
            ),
            "allOf": [{"$ref": envelope["$id"]}],
            "properties": {
                "type": {"const": event_type},
                "dataschema": {"const": urn},
                "data": {"$ref": data["$id"]},
            },
            "$defs": {"envelope": envelope, "data": data},
        },
    }


def _message(event_type: str, version: int) -> dict[str, Any]:
    data = load_schemas()[(event_type, version)]
    key = _KEYS[_KEY_OF.get(event_type, "workflow")]
    return {
        "name": event_type,
        "title": f"{data['title']} v{version}",
        "summary": data["description"],
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{event_type}.v{version}"},
        "bindings": {"kafka": {"key": {"type": "string", "description": key}, "bindingVersion": "0.5.0"}},
        "x-docroute-dataschema": schema_urn(event_type, version),
    }


def _channel(channel: Channel, versions: dict[str, list[int]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "address": channel.address,
        "title": channel.key,
        "description": channel.description,
    }
    out["messages"] = {
        f"{t}.v{v}": {"$ref": f"#/components/messages/{t}.v{v}"}
        for t in channel.event_types
        for v in versions[t]
    }
    if channel.parameters:
        out["parameters"] = {name: {"description": _PARAMETERS[name]} for name in channel.parameters}
    if channel.partitions:
        out["bindings"] = {"kafka": {"partitions": channel.partitions, "bindingVersion": "0.5.0"}}
    return out


def _operation(channel: Channel, service: str, action: str) -> dict[str, Any]:
    who = _SERVICES.get(service, f"docroute's {service} service (services/{service}/).")
    verb = "publishes to" if action == "send" else "consumes"
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel.key}"},
        "summary": f"{service} {verb} {channel.address or channel.key}",
        "description": who,
        "tags": [{"name": service}],
        "messages": [
            {"$ref": f"#/channels/{channel.key}/messages/{m}"}
            for m in _channel_messages(channel, service if action == "send" else None)
        ],
    }


def _channel_messages(channel: Channel, sender: str | None = None) -> list[str]:
    versions = _versions()
    types = [t for t in channel.event_types if sender is None or _ONLY_SENDER.get(t, sender) == sender]
    return [f"{t}.v{v}" for t in types for v in versions[t]]


def build() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document as a dict."""
    versions = _versions()
    operations: dict[str, Any] = {}
    for channel in CHANNELS:
        for action, services in (("send", channel.senders), ("receive", channel.receivers)):
            for service in services:
                operations[f"{service}.{action}.{channel.key}"] = _operation(channel, service, action)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "docroute events",
            "version": "1.0.0",
            "description": (
                "Generated from schemas/ by `python -m docroute.contracts.asyncapi`: do not edit. "
                "Every message is a CloudEvents 1.0 structured-mode JSON envelope whose "
                "`dataschema` names "
                "its data schema; delivery is at least once, event ids are deterministic per "
                "(document, step), so consumers drop duplicates by `id`. Guide: docs/integrate.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The deployment's Kafka-compatible broker (KAFKA_BOOTSTRAP_SERVERS).",
                "variables": {
                    "bootstrap": {"default": "127.0.0.1:9092", "description": "host:port of a broker"}
                },
            }
        },
        "channels": {channel.key: _channel(channel, versions) for channel in CHANNELS},
        "operations": operations,
        "components": {
            "schemas": {f"{t}.v{v}": _payload(t, v) for t, vs in versions.items() for v in vs},
            "messages": {f"{t}.v{v}": _message(t, v) for t, vs in versions.items() for v in vs},
        },
    }


def render() -> tuple[str, str]:
    """The YAML document and its HTML page, as committed."""
    document = build()
    header = "# Generated from schemas/ by `python -m docroute.contracts.asyncapi`: do not edit.\n"
    text = header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return text, render_html(document)


def main() -> None:
    text, html = render()
    DOCUMENT.write_text(text)
    HTML.write_text(html)


if __name__ == "__main__":
    main()
