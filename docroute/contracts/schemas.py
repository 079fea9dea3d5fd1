"""Load the event contracts (JSON Schema 2020-12) from the repository's `schemas/` folder."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


@cache
def load_schemas() -> dict[tuple[str, int], dict[str, Any]]:
    """Every schema, keyed by (event type, version); `envelope` is the CloudEvents envelope."""
    schemas: dict[tuple[str, int], dict[str, Any]] = {}
    for path in sorted(SCHEMA_DIR.glob("*/v*.json")):
        version = int(path.stem.removeprefix("v"))
        schemas[(path.parent.name, version)] = json.loads(path.read_text())
    return schemas


def schema_urn(event_type: str, version: int) -> str:
    """The `dataschema` attribute for an event type and version."""
    return f"urn:docroute:schema:{event_type}:v{version}"
