"""Every operation needs an API key but the probes: a route added to a guarded router, or a
router added to the app without the guard, cannot skip the check unnoticed.

Read from the OpenAPI document (FastAPI lists the key schemes of `get_current_key` on every
operation whose dependencies include it), so it sees the routes as the app serves them.
"""

from __future__ import annotations

from services.api.main import create_app
from services.api.settings import ApiSettings

PUBLIC = {"/healthz", "/readyz", "/metrics"}
KEY_SCHEMES = [{"HTTPBearer": []}, {"APIKeyHeader": []}]


def test_every_operation_but_the_probes_needs_a_key() -> None:
    doc = create_app(ApiSettings()).openapi()
    operations = {
        f"{method.upper()} {path}": operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    }
    assert {"POST /processing/{key}", "POST /workflows", "POST /api-keys", "GET /healthz"} <= set(operations)
    unguarded = sorted(
        name
        for name, operation in operations.items()
        if name.split(" ", 1)[1] not in PUBLIC and operation.get("security") != KEY_SCHEMES
    )
    assert unguarded == []
    assert all("security" not in operations[f"GET {path}"] for path in PUBLIC)
