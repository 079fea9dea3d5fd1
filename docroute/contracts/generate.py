"""Generate `_generated.py` (pydantic v2 models) from the JSON Schemas in `schemas/`.

Run `python -m docroute.contracts.generate` after editing a schema; a test fails while the
committed models are stale.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from docroute.contracts.schemas import SCHEMA_DIR, load_schemas

GENERATED = Path(__file__).with_name("_generated.py")


def render() -> str:
    """Return the source of the generated models for every data schema (latest versions)."""
    defs = {}
    for (event_type, _version), schema in sorted(load_schemas().items()):
        if event_type == "envelope":
            continue
        body = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
        defs[schema["title"]] = body
    combined = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Contracts",
        "$defs": defs,
    }
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "contracts.json"
        target = Path(tmp) / "out.py"
        source.write_text(json.dumps(combined))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "datamodel_code_generator",
                "--input",
                str(source),
                "--input-file-type",
                "jsonschema",
                "--output",
                str(target),
                "--output-model-type",
                "pydantic_v2.BaseModel",
                "--target-python-version",
                "3.11",
                "--use-standard-collections",
                "--use-union-operator",
                "--use-field-description",
                "--use-schema-description",
                "--enum-field-as-literal",
                "all",
                "--field-constraints",
                "--use-annotated",
                "--disable-timestamp",
                "--collapse-root-models",
                "--formatters",
                "ruff-format",
                "--custom-file-header",
                f"# Generated from {SCHEMA_DIR.name}/ by docroute.contracts.generate: do not edit.",
            ],
            check=True,
        )
        return target.read_text()


def main() -> None:
    GENERATED.write_text(render())


if __name__ == "__main__":
    main()
