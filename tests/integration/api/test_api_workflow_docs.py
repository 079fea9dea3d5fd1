"""A workflow's own API documentation on the live API: its classes as an enum, its key in the
paths, code snippets and limits; the snippets run as written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.factories.documents import make_text_pdf

LABELS = ["Invoice", "Pay Slip", "W-9"]


def test_openapi_document_is_customised_for_the_workflow(
    api: httpx.Client, keyed_client, mint_api_key
) -> None:
    key = api.post("/workflows", json={"name": "Mailroom", "labels": LABELS}).json()["key"]
    client = keyed_client(mint_api_key(key))
    response = client.get(f"/workflows/{key}/openapi.json")
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "docroute workflow Mailroom"
    assert f"/processing/{key}" in doc["paths"]
    assert not any("{key}" in path for path in doc["paths"])
    assert not any(path.startswith(("/api-keys", "/plans", "/healthz")) for path in doc["paths"])
    process = doc["paths"][f"/processing/{key}"]["post"]
    assert all(p["name"] != "key" for p in process.get("parameters", []))
    assert [s["label"] for s in process["x-codeSamples"]] == ["curl", "Python", "JavaScript"]
    assert f"/processing/{key}" in process["x-codeSamples"][0]["source"]

    schemas = doc["components"]["schemas"]
    assert schemas["Classification"]["properties"]["class"]["enum"] == LABELS
    predicted = schemas["ProcessingResult"]["properties"]["predicted_class"]["anyOf"]
    assert {"type": "string", "enum": LABELS} in predicted
    assert "WorkflowCreate" not in schemas  # only what the workflow's endpoints use

    limits = doc["info"]["x-docroute-limits"]
    assert limits["max_upload_bytes"] == 50 * 1024 * 1024
    assert limits["monthly_pages"] == 100
    assert limits["rate_limit"]["scope"] == "per API key and per API replica"
    assert "Payload" in doc["info"]["description"] and "Rate limit" in doc["info"]["description"]
    assert doc["servers"] == [{"url": str(api.base_url).rstrip("/")}]
    assert doc["externalDocs"]["url"] == str(api.base_url).rstrip("/") + "/asyncapi.html"
    assert api.get("/asyncapi.html").text.startswith("<!doctype html>")  # served, without a key
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"

    # A renamed label shows at once.
    label_id = client.get(f"/workflows/{key}/labels").json()[0]["id"]
    client.patch(f"/workflows/{key}/labels/{label_id}", json={"name": "Bill"})
    renamed = client.get(f"/workflows/{key}/openapi.json").json()
    assert renamed["components"]["schemas"]["Classification"]["properties"]["class"]["enum"] == [
        "Bill",
        "Pay Slip",
        "W-9",
    ]


def test_snippets_call_the_processing_endpoint(api: httpx.Client) -> None:
    key = api.post("/workflows", json={"name": "s", "labels": LABELS}).json()["key"]
    snippets = api.get(f"/workflows/{key}/snippets").json()
    url = f"{str(api.base_url).rstrip('/')}/processing/{key}"
    assert snippets["url"] == url
    assert f'"{url}?wait=30"' in snippets["curl"] and "$DOCROUTE_API_KEY" in snippets["curl"]
    assert "Authorization: Bearer" in snippets["curl"]
    compile(snippets["python"], "snippet.py", "exec")
    assert "os.environ['DOCROUTE_API_KEY']" in snippets["python"]
    assert "process.env.DOCROUTE_API_KEY" in snippets["javascript"]
    assert f'fetch("{url}?wait=30"' in snippets["javascript"]


@pytest.mark.parametrize("language", ["curl", "python", "javascript"])
def test_snippets_run_as_written(
    api: httpx.Client, serve_api, mint_api_key, tmp_path: Path, language: str
) -> None:
    key = api.post("/workflows", json={"name": "run", "labels": LABELS}).json()["key"]
    secret = mint_api_key(key)
    program = {
        "curl": ["bash", "snippet"],
        "python": [sys.executable, "snippet"],
        "javascript": ["node", "snippet.mjs"],
    }
    if shutil.which(program[language][0]) is None:
        pytest.skip(f"{program[language][0]} is not installed")
    (tmp_path / "document.pdf").write_bytes(make_text_pdf(["hand-made"]))
    with serve_api(max_wait_s=0.2) as server:  # wait=30 is capped: the answer is the 202
        source = server.get(f"/workflows/{key}/snippets").json()[language]
        (tmp_path / program[language][1]).write_text(source)
        env = {**os.environ, "DOCROUTE_API_KEY": secret}
        done = subprocess.run(
            program[language], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 0, done.stderr
    if language == "curl":
        assert json.loads(done.stdout)["status"] == "received"
    else:
        assert done.stdout.strip() in {"None None", "undefined undefined"}
