"""The API's description, and one workflow's own OpenAPI document with code snippets.

`workflow_openapi` narrows the full document to what a workflow's key holder calls (its
`/processing`, `/workflows/{key}/...` and `/documents/...` operations), puts the key into the
paths, makes every class field an enum of the workflow's labels, adds `x-codeSamples` (curl,
Python, JavaScript) to the processing operation, states the limits and the Kafka topics each
class is routed to (`info.x-docroute-routing`), which an extraction team subscribes to.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from services.api.settings import MIB, ApiSettings
from services.api.workflows.schemas import Snippets

API_DESCRIPTION = """\
**Authentication.** Every endpoint but `/healthz`, `/readyz` and `/metrics` needs an API key, sent
as `Authorization: Bearer <key>` or `X-API-Key: <key>` (both only with the same key: two different
keys are 400, neither header takes precedence). The operator's admin key
(`DOCROUTE_ADMIN_API_KEY`) creates workflows, mints keys (`POST /api-keys`) and sets plans; a
minted key sees only its workflows, and any other workflow is 404 to it.

**Limits.** Per key: a request rate (token bucket, per API replica) answered with 429 and
`Retry-After`. Per workflow: the plan's monthly page allowance, past which `POST /processing/{key}`
answers 429 until the next month (`GET /workflows/{key}/usage`). Each workflow's own document,
with its classes and code snippets: `GET /workflows/{key}/openapi.json`.
"""

CLASS_SCHEMAS = ("Classification",)
RESULT_SCHEMAS = ("ProcessingResult",)


def snippets(url: str) -> Snippets:
    """curl, Python and JavaScript calls of `url` (the workflow's processing endpoint)."""
    curl = (
        f'curl -X POST "{url}?wait=30" \\\n'
        '  -H "Authorization: Bearer $DOCROUTE_API_KEY" \\\n'
        '  -F "file=@document.pdf"\n'
    )
    python = (
        "import os\n\nimport requests\n\n"
        'with open("document.pdf", "rb") as f:\n'
        "    response = requests.post(\n"
        f"        {json.dumps(url)},\n"
        '        params={"wait": 30},\n'
        '        headers={"Authorization": f"Bearer {os.environ[\'DOCROUTE_API_KEY\']}"},\n'
        '        files={"file": ("document.pdf", f)},\n'
        "        timeout=90,\n"
        "    )\n"
        "response.raise_for_status()\n"
        "result = response.json()  # 200: final result; 202: poll result['url']\n"
        'print(result.get("predicted_class"), result.get("confidence"))\n'
    )
    javascript = (
        'import { readFile } from "node:fs/promises";\n\n'
        "const form = new FormData();\n"
        'form.append("file", new Blob([await readFile("document.pdf")]), "document.pdf");\n'
        f"const response = await fetch({json.dumps(url + '?wait=30')}, {{\n"
        '  method: "POST",\n'
        "  headers: { Authorization: `Bearer ${process.env.DOCROUTE_API_KEY}` },\n"
        "  body: form,\n"
        "});\n"
        "const result = await response.json(); // 200: final result; 202: poll result.url\n"
        "console.log(result.predicted_class, result.confidence);\n"
    )
    return Snippets(url=url, curl=curl, python=python, javascript=javascript)


def limits(settings: ApiSettings, page_allowance: int | None) -> dict[str, Any]:
    rate = settings.rate_limit
    return {
        "max_upload_bytes": settings.max_upload_bytes,
        "accepted_types": [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/tiff",
            "application/zip",
        ],
        "max_pages_read": settings.max_pages,
        "max_wait_s": settings.max_wait_s,
        "rate_limit": {
            "requests_per_second": rate.per_second or None,
            "burst": rate.burst,
            "scope": "per API key and per API replica",
        },
        "monthly_pages": page_allowance,
    }


def _limits_text(lim: dict[str, Any]) -> str:
    rate = lim["rate_limit"]
    rate_text = (
        f"{rate['requests_per_second']:g} requests/s per API key (bursts of {rate['burst']}), "
        "counted by each API replica"
        if rate["requests_per_second"]
        else "none"
    )
    pages = lim["monthly_pages"]
    return (
        f"- Payload: one file of at most {lim['max_upload_bytes'] / MIB:g} MiB (PDF, PNG, JPEG, "
        "TIFF or a ZIP of these); 413 when larger.\n"
        f"- Pages: at most {lim['max_pages_read']} pages of a document are read for classification "
        "(the first ones, or the workflow's `relevant_pages`); a longer document is accepted, "
        "kept whole and routed.\n"
        f"- Waiting: `wait` is capped at {lim['max_wait_s']:g} s.\n"
        f"- Rate limit: {rate_text}; 429 with `Retry-After` past it.\n"
        f"- Monthly pages: {pages if pages is not None else 'unlimited'} (the plan); 429 until "
        "the next month past it. A document is billed for the pages read, at most "
        f"{lim['max_pages_read']}.\n"
    )


def workflow_openapi(
    full: dict[str, Any],
    *,
    workflow_id: str,
    name: str,
    classes: list[str],
    server_url: str,
    lim: dict[str, Any],
    routing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The full document narrowed to one workflow, its classes as enums, snippets, limits and
    routing (`{"naming": ..., "topics": {class: topic}}`)."""
    doc = copy.deepcopy(full)
    paths: dict[str, Any] = {}
    for template, item in doc.get("paths", {}).items():
        if not template.startswith(("/processing/{key}", "/workflows/{key}", "/documents/")):
            continue
        for operation in item.values():
            params = operation.get("parameters", [])
            operation["parameters"] = [p for p in params if (p.get("in"), p.get("name")) != ("path", "key")]
        paths[template.replace("{key}", workflow_id)] = item
    doc["paths"] = paths
    process = paths.get(f"/processing/{workflow_id}", {}).get("post")
    if process is not None:
        sample = snippets(f"{server_url.rstrip('/')}/processing/{workflow_id}")
        process["x-codeSamples"] = [
            {"lang": "Shell", "label": "curl", "source": sample.curl},
            {"lang": "Python", "label": "Python", "source": sample.python},
            {"lang": "JavaScript", "label": "JavaScript", "source": sample.javascript},
        ]
    schemas = doc.get("components", {}).get("schemas", {})
    _enum_classes(schemas, classes)
    doc["info"] = {
        **doc.get("info", {}),
        "title": f"docroute workflow {name}",
        "description": f"Classes: {', '.join(classes)}.\n\n**Limits**\n\n{_limits_text(lim)}\n"
        + (f"**Routing**\n\n{_routing_text(routing)}\n" if routing else "")
        + API_DESCRIPTION,
        "x-docroute-limits": lim,
    }
    if routing:
        doc["info"]["x-docroute-routing"] = routing
    doc["servers"] = [{"url": server_url}]
    # The topics' side: served by the same API (services.api.workflows.routes.docs.event_docs).
    doc["externalDocs"] = {
        "description": "The event API (Kafka topics such as this workflow's extract.*) as AsyncAPI 3.0",
        "url": f"{server_url.rstrip('/')}/asyncapi.html",
    }
    _prune_components(doc)
    return doc


def _routing_text(routing: dict[str, Any]) -> str:
    lines = "".join(f"- `{label}` -> `{topic}`\n" for label, topic in routing["topics"].items())
    return (
        "Confident documents are published on the Kafka topic of their class (a "
        "`document.routed` event, key = document id); the others wait on "
        f"`{routing['review_topic']}` for a person. The events are described in the AsyncAPI "
        "document (`/asyncapi.html`, `/asyncapi.yaml`; see externalDocs).\n"
        f"{lines}"
    )


def _enum_classes(schemas: dict[str, Any], classes: list[str]) -> None:
    enum = {"type": "string", "enum": classes}
    for schema_name, schema in schemas.items():
        props = schema.get("properties", {})
        if schema_name.startswith(CLASS_SCHEMAS) and "class" in props:
            props["class"] = {**enum, "title": "Class"}
        if schema_name.startswith(RESULT_SCHEMAS) and "predicted_class" in props:
            props["predicted_class"] = {
                "anyOf": [enum, {"type": "null"}],
                "title": "Predicted Class",
            }


def _prune_components(doc: dict[str, Any]) -> None:
    """Drop component schemas nothing in the paths refers to (directly or not)."""
    schemas = doc.get("components", {}).get("schemas")
    if not schemas:
        return
    prefix = "#/components/schemas/"
    seen: set[str] = set()
    todo = [doc["paths"]]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix) :] not in seen:
                seen.add(ref[len(prefix) :])
                todo.append(schemas.get(ref[len(prefix) :], {}))
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    doc["components"]["schemas"] = {k: v for k, v in schemas.items() if k in seen}
