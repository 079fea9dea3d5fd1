"""The trainer's S3 layout: labelled sets, counters and published versions.

trainsets/<workflow>/samples/<sample>.json   {label, ocr_ref, event_id}
trainsets/<workflow>/unlabelled/<sample>.json {ocr_ref}: read, not labelled yet
trainsets/<workflow>/state.json              {new_labels}
trainsets/<workflow>/boundaries/<stack>.json a person's correction of a stack's boundaries, written
                                             by the API (docroute.boundary_samples)
models/<workflow>/v<N>/                      model.safetensors, model.json, metrics.json,
                                             evaluation.json (out-of-fold probabilities),
                                             predictions.json (its guess for each unlabelled
                                             sample), manifest.json (written last, only if absent)
models/<workflow>/triggers/<trigger>.json    {version}: a redelivered trigger trains no twice
guesses/<workflow>/v<N>/<sample>.json        {class, confidence, runner_up}: the live v<N>'s guess
                                             for a sample its predictions.json lacks (guesses.py)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from docroute.blobstore import BlobRef, BlobStore
from docroute.boundary_samples import CorrectedStack, corrected_stacks_prefix
from docroute.errors import BlobNotFoundError


@dataclass(frozen=True)
class LabelledSample:
    sample_id: str
    label: str
    ocr_ref: str


class TrainingStore:
    """Reads and writes the trainer's objects in S3."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    def put_sample(self, workflow_id: str, sample_id: str, record: dict[str, Any]) -> dict[str, Any] | None:
        """Store a label; returns the record it replaced."""
        previous = self._json_or_none(self._sample_key(workflow_id, sample_id))
        self.store.put_json(self._sample_key(workflow_id, sample_id), record)
        return previous

    def remove_sample(self, workflow_id: str, sample_id: str) -> dict[str, Any] | None:
        previous = self._json_or_none(self._sample_key(workflow_id, sample_id))
        if previous is not None:
            self.store.delete(self._sample_key(workflow_id, sample_id))
        return previous

    def samples(self, workflow_id: str) -> list[LabelledSample]:
        keys = sorted(self.store.list_keys(f"trainsets/{workflow_id}/samples/"))
        return [
            LabelledSample(_sample_id(key), record["label"], record["ocr_ref"])
            for key, record in zip(keys, self.store.get_json_many(keys), strict=True)
        ]

    def corrected_stacks(self, workflow_id: str) -> list[CorrectedStack]:
        """The stacks whose boundaries a person corrected in review, oldest key first."""
        keys = sorted(self.store.list_keys(corrected_stacks_prefix(workflow_id)))
        return [CorrectedStack.from_dict(record) for record in self.store.get_json_many(keys)]

    def put_unlabelled(self, workflow_id: str, sample_id: str, ocr_ref: str) -> None:
        self.store.put_json(self._unlabelled_key(workflow_id, sample_id), {"ocr_ref": ocr_ref})

    def remove_unlabelled(self, workflow_id: str, sample_id: str) -> None:
        self.store.delete(self._unlabelled_key(workflow_id, sample_id))  # absent: a no-op in S3

    def unlabelled(self, workflow_id: str) -> list[tuple[str, str]]:
        """(sample id, ocr_ref) of the samples read but not labelled, oldest key first."""
        keys = sorted(self.store.list_keys(f"trainsets/{workflow_id}/unlabelled/"))
        records = self.store.get_json_many(keys)
        return [(_sample_id(key), str(record["ocr_ref"])) for key, record in zip(keys, records, strict=True)]

    def new_label_count(self, workflow_id: str) -> int:
        state = self._json_or_none(f"trainsets/{workflow_id}/state.json") or {}
        return int(state.get("new_labels", 0))

    def set_new_label_count(self, workflow_id: str, count: int) -> None:
        self.store.put_json(f"trainsets/{workflow_id}/state.json", {"new_labels": count})

    def version_for_trigger(self, workflow_id: str, trigger_id: str) -> int | None:
        record = self._json_or_none(f"models/{workflow_id}/triggers/{trigger_id}.json")
        return int(record["version"]) if record else None

    def latest_version(self, workflow_id: str) -> int:
        versions = [
            int(m.group(1))
            for key in self.store.list_keys(f"models/{workflow_id}/v")
            if (m := re.search(r"/v(\d+)/manifest\.json$", key))
        ]
        return max(versions, default=0)

    def publish(
        self, workflow_id: str, trigger_id: str, files: dict[str, bytes], manifest: dict[str, Any]
    ) -> int:
        """Write a new immutable version: claim its number with the manifest (written only if
        absent), then write the files; `model.published`, sent after this, makes it visible."""
        version = self.latest_version(workflow_id) + 1
        while not self.store.put_if_absent(
            f"models/{workflow_id}/v{version}/manifest.json",
            json.dumps({**manifest, "version": version}).encode(),
            content_type="application/json",
        ):
            version += 1
        for name, data in files.items():
            self.store.put(f"models/{workflow_id}/v{version}/{name}", data)
        self.store.put_json(f"models/{workflow_id}/triggers/{trigger_id}.json", {"version": version})
        return version

    def published_guesses(self, artifact_ref: str) -> set[str]:
        """The samples a version guessed when it was published (its predictions.json)."""
        record = self._json_or_none(BlobRef.parse(artifact_ref).key + "predictions.json") or {}
        return set(record.get("predictions") or {})

    def late_guesses(self, workflow_id: str, version: int) -> set[str]:
        """The samples v<version> guessed after it was published."""
        prefix = self._guesses_prefix(workflow_id, version)
        return {key.removeprefix(prefix).removesuffix(".json") for key in self.store.list_keys(prefix)}

    def put_late_guesses(self, workflow_id: str, version: int, guesses: dict[str, dict[str, Any]]) -> int:
        """Store each guess unless one is there already (a guess never changes); returns how
        many were new."""
        prefix = self._guesses_prefix(workflow_id, version)
        return sum(
            self.store.put_if_absent(
                f"{prefix}{sample_id}.json", json.dumps(guess).encode(), content_type="application/json"
            )
            for sample_id, guess in guesses.items()
        )

    def manifest(self, workflow_id: str, version: int) -> dict[str, Any]:
        result: dict[str, Any] = self.store.get_json(f"models/{workflow_id}/v{version}/manifest.json")
        return result

    def artifact_ref(self, workflow_id: str, version: int) -> str:
        return str(self.store.ref(f"models/{workflow_id}/v{version}/"))

    def _json_or_none(self, key: str) -> dict[str, Any] | None:
        try:
            value: dict[str, Any] = self.store.get_json(key)
        except BlobNotFoundError:
            return None
        return value

    @staticmethod
    def _guesses_prefix(workflow_id: str, version: int) -> str:
        return f"guesses/{workflow_id}/v{version}/"

    @staticmethod
    def _unlabelled_key(workflow_id: str, sample_id: str) -> str:
        return f"trainsets/{workflow_id}/unlabelled/{sample_id}.json"

    @staticmethod
    def _sample_key(workflow_id: str, sample_id: str) -> str:
        return f"trainsets/{workflow_id}/samples/{sample_id}.json"


def _sample_id(key: str) -> str:
    """The sample id of a record's key: trainsets/<workflow>/<set>/<sample>.json."""
    return key.rsplit("/", 1)[1].removesuffix(".json")
