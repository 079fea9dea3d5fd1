"""One workflow's OpenAPI document, from the app's own: narrowed, key filled in, classes as enums."""

from __future__ import annotations

from services.api.main import create_app
from services.api.settings import ApiSettings, RateLimitSettings
from services.api.workflows.service.openapi import limits, snippets, workflow_openapi

KEY = "3f1c2b1e-0000-4000-8000-000000000001"


def test_narrowed_document_with_enums_samples_and_limits() -> None:
    settings = ApiSettings(rate_limit=RateLimitSettings(per_second=0))
    full = create_app(settings).openapi()
    doc = workflow_openapi(
        full,
        workflow_id=KEY,
        name="Post",
        classes=["a", "b"],
        server_url="https://x.test/",
        lim=limits(settings, None),
    )
    assert full["components"]["schemas"]["Classification"]["properties"]["class"].get("enum") is None
    assert all(KEY in path or path.startswith("/documents/") for path in doc["paths"])
    assert doc["components"]["schemas"]["Classification"]["properties"]["class"]["enum"] == [
        "a",
        "b",
    ]
    samples = doc["paths"][f"/processing/{KEY}"]["post"]["x-codeSamples"]
    assert f"https://x.test/processing/{KEY}" in samples[0]["source"]
    description = doc["info"]["description"]
    assert "Rate limit: none" in description and "Monthly pages: unlimited" in description
    refs = str(doc["paths"])
    assert all(f"#/components/schemas/{name}'" in str(doc) for name in doc["components"]["schemas"])
    assert "WorkflowUpdate" in refs  # PATCH /workflows/{key} is the workflow's own


def test_snippets_quote_the_url() -> None:
    url = 'https://x.test/processing/a"b'
    python = snippets(url).python
    compile(python, "snippet.py", "exec")
    assert '"https://x.test/processing/a\\"b"' in python
