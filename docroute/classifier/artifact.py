"""The two-file artifact format: arrays in safetensors, everything else in JSON; no pickles."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import safetensors.numpy
from safetensors import SafetensorError

from docroute.classifier.errors import ModelArtifactError

ARRAYS_FILE = "model.safetensors"
METADATA_FILE = "model.json"
# Bumped on any change a reader of the previous format would misread.
FORMAT = "docroute.classifier/1"


def encode_artifact(arrays: Mapping[str, npt.NDArray[Any]], metadata: Mapping[str, Any]) -> dict[str, bytes]:
    """Serialise arrays and JSON metadata into the artifact's files (byte-for-byte stable)."""
    contiguous = {name: np.ascontiguousarray(value) for name, value in arrays.items()}
    document = {"format": FORMAT, **metadata}
    return {
        ARRAYS_FILE: safetensors.numpy.save(contiguous),
        METADATA_FILE: json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8"),
    }


def decode_artifact(
    files: Mapping[str, bytes],
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """Read the artifact's files back into arrays and metadata.

    :raises ModelArtifactError: for a missing file, bytes that do not parse, or another format.
    """
    missing = sorted({ARRAYS_FILE, METADATA_FILE} - set(files))
    if missing:
        raise ModelArtifactError(f"model artifact lacks {', '.join(missing)}")
    try:
        metadata = json.loads(files[METADATA_FILE].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelArtifactError(f"{METADATA_FILE} is not valid JSON: {exc}") from exc
    if not isinstance(metadata, dict):
        raise ModelArtifactError(f"{METADATA_FILE} must hold a JSON object")
    if metadata.get("format") != FORMAT:
        raise ModelArtifactError(
            f"{METADATA_FILE} has format {metadata.get('format')!r}, this code reads {FORMAT!r}"
        )
    try:
        arrays = safetensors.numpy.load(bytes(files[ARRAYS_FILE]))
    except (SafetensorError, ValueError, TypeError) as exc:
        raise ModelArtifactError(f"{ARRAYS_FILE} is not a safetensors file: {exc}") from exc
    return arrays, metadata


def finite_array(value: object, dtype: type[np.generic], shape: tuple[int, ...]) -> bool:
    """True if `value` is a finite ndarray of exactly this dtype and shape."""
    return (
        isinstance(value, np.ndarray)
        and value.dtype == dtype
        and value.shape == shape
        and bool(np.isfinite(value).all())
    )


def string_list(value: object) -> tuple[str, ...]:
    """Return a JSON list of strings as a tuple; anything else is malformed."""
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ModelArtifactError(f"expected a list of strings, got {type(value).__name__}")
    return tuple(value)
