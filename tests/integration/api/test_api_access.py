"""API keys on the live API: every endpoint but the probes needs one, a key sees only its
workflows (others are 404, not 403), the admin key alone administers, keys revoke, rates cap."""

from __future__ import annotations

import uuid

import httpx

from services.api.settings import RateLimitSettings
from tests.factories.documents import make_text_pdf

PDF = make_text_pdf(["hand-made"])  # a real PDF: the door counts its pages


def create_workflow(api: httpx.Client, name: str = "access") -> str:
    response = api.post("/workflows", json={"name": name, "labels": ["invoice", "payslip"]})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def test_every_endpoint_but_the_probes_needs_a_key(api: httpx.Client, keyed_client) -> None:
    key = create_workflow(api)
    anonymous, wrong = keyed_client(None), keyed_client("drk_" + "0" * 32 + "_nope")
    calls = [
        ("GET", "/workflows"),
        ("GET", f"/workflows/{key}"),
        ("POST", f"/processing/{key}"),
        ("GET", f"/documents/{uuid.uuid4()}"),
        ("GET", f"/workflows/{key}/usage"),
        ("GET", f"/workflows/{key}/openapi.json"),
        ("GET", "/api-keys/me"),
    ]
    for method, path in calls:
        for client in (anonymous, wrong):
            response = client.request(method, path)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "API key is required" in anonymous.get("/workflows").json()["detail"]
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert anonymous.get(probe).status_code == 200


def test_a_key_for_workflow_a_cannot_see_workflow_b(api: httpx.Client, keyed_client, mint_api_key) -> None:
    a, b = create_workflow(api, "A"), create_workflow(api, "B")
    client = keyed_client(mint_api_key(a))
    assert client.get(f"/workflows/{a}").status_code == 200
    assert [w["key"] for w in client.get("/workflows").json()] == [a]

    b_upload = api.post(f"/processing/{b}", files={"file": ("a.pdf", PDF)})
    assert b_upload.status_code == 202, b_upload.text
    b_document = b_upload.json()["document_id"]
    forbidden = [
        ("GET", f"/workflows/{b}", None),
        ("PATCH", f"/workflows/{b}", {"name": "mine now"}),
        ("POST", f"/workflows/{b}/archive", None),
        ("GET", f"/workflows/{b}/labels", None),
        ("GET", f"/workflows/{b}/usage", None),
        ("GET", f"/workflows/{b}/openapi.json", None),
        ("POST", f"/workflows/{b}/train", None),
        ("GET", f"/documents/{b_document}", None),
    ]
    for method, path, body in forbidden:
        response = client.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.status_code)
    # The same answer as for a workflow that does not exist: nothing tells B exists.
    unknown = uuid.uuid4()
    assert client.get(f"/workflows/{b}").json()["detail"].replace(b, "?") == client.get(
        f"/workflows/{unknown}"
    ).json()["detail"].replace(str(unknown), "?")
    upload = client.post(f"/processing/{b}", files={"file": ("a.pdf", PDF)})
    assert upload.status_code == 404
    sample = client.post(f"/workflows/{b}/samples", files={"file": PDF}, data={"label": "invoice"})
    assert sample.status_code == 404

    mine = client.post(f"/processing/{a}", files={"file": ("a.pdf", PDF)})
    assert mine.status_code == 202
    assert client.get(f"/documents/{mine.json()['document_id']}").status_code == 200


def test_one_key_for_several_workflows_and_the_x_api_key_header(
    api: httpx.Client, keyed_client, mint_api_key
) -> None:
    a, b = create_workflow(api), create_workflow(api)
    secret = mint_api_key(a, b, name="both")
    anonymous = keyed_client(None)
    me = anonymous.get("/api-keys/me", headers={"X-API-Key": secret})
    assert me.status_code == 200
    assert (me.json()["name"], me.json()["admin"]) == ("both", False)
    assert sorted(me.json()["workflow_keys"]) == sorted([a, b])
    for key in (a, b):
        assert anonymous.get(f"/workflows/{key}", headers={"X-API-Key": secret}).status_code == 200


def test_only_the_admin_key_administers(api: httpx.Client, keyed_client, mint_api_key) -> None:
    a = create_workflow(api)
    client = keyed_client(mint_api_key(a))
    body = {"name": "x", "labels": ["a", "b"]}
    assert client.post("/workflows", json=body).status_code == 403
    assert client.post("/api-keys", json={"name": "x", "workflow_keys": [a]}).status_code == 403
    assert client.get("/api-keys").status_code == 403
    assert client.put(f"/workflows/{a}/plan", json={"plan": "unlimited"}).status_code == 403
    assert api.get("/api-keys/me").json()["admin"] is True

    missing = api.post("/api-keys", json={"name": "x", "workflow_keys": [str(uuid.uuid4())]})
    assert missing.status_code == 422
    assert "no workflows" in missing.json()["detail"]


def test_a_revoked_key_stops_working_and_stays_listed(api: httpx.Client, keyed_client) -> None:
    a = create_workflow(api)
    created = api.post("/api-keys", json={"name": "leaked", "workflow_keys": [a]}).json()
    client = keyed_client(created["key"])
    assert client.get(f"/workflows/{a}").status_code == 200
    listed = {k["id"]: k for k in api.get("/api-keys").json()}
    assert listed[created["id"]]["workflow_keys"] == [a]
    assert "key" not in listed[created["id"]]  # the secret is shown once only

    revoked = api.delete(f"/api-keys/{created['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get(f"/workflows/{a}").status_code == 401
    still = {k["id"]: k for k in api.get("/api-keys").json()}[created["id"]]
    assert still["revoked_at"] == revoked.json()["revoked_at"]
    assert api.delete(f"/api-keys/{uuid.uuid4()}").status_code == 404


def test_the_rate_limit_answers_429_with_retry_after(api: httpx.Client, serve_api, mint_api_key) -> None:
    a = create_workflow(api)
    secret = mint_api_key(a)
    with serve_api(rate_limit=RateLimitSettings(per_second=0.5, burst=3)) as limited:
        headers = {"Authorization": f"Bearer {secret}"}
        codes = [limited.get(f"/workflows/{a}", headers=headers).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429]
        refused = limited.get(f"/workflows/{a}", headers=headers)
        assert int(refused.headers["Retry-After"]) >= 1
        assert "per API key and replica" in refused.json()["detail"]
        # The admin key (the operator) is not limited.
        assert all(limited.get(f"/workflows/{a}").status_code == 200 for _ in range(5))


def test_two_headers_with_different_keys_are_refused_not_resolved(
    api: httpx.Client, keyed_client, mint_api_key
) -> None:
    """No precedence between `Authorization` and `X-API-Key`: different keys are a 400, so a
    proxy that adds one header cannot silently decide whose workflows a request sees."""
    a = create_workflow(api)
    secret = mint_api_key(a)
    anonymous = keyed_client(None)
    both = {"Authorization": f"Bearer {secret}", "X-API-Key": secret}
    assert anonymous.get(f"/workflows/{a}", headers=both).status_code == 200
    for headers in (
        {"Authorization": f"Bearer {secret}", "X-API-Key": "drk_" + "0" * 32 + "_other"},
        {"X-API-Key": secret},  # and the admin key as Bearer: the `api` client's own header
    ):
        client = api if "Authorization" not in headers else anonymous
        refused = client.get(f"/workflows/{a}", headers=headers)
        assert refused.status_code == 400, refused.text
        assert "different keys" in refused.json()["detail"]
    # Another scheme than Bearer is not a key: the X-API-Key decides.
    basic = {"Authorization": "Basic dXNlcjpwYXNz", "X-API-Key": secret}
    assert anonymous.get(f"/workflows/{a}", headers=basic).status_code == 200

    schemes = api.get("/openapi.json").json()["components"]["securitySchemes"]
    assert all("same key" in scheme["description"] for scheme in schemes.values())
