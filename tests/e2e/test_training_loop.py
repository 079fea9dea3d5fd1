"""The training loop end to end, every service a real process: unlabelled uploads, annotation
through the API, the 20th label trains version 1, a pinned version holds a new candidate back,
and a preview runs that candidate without routing the document; a sample read after the live
version was trained carries that version's guess, and the live version's after a promotion or a
rollback."""

from __future__ import annotations

import io
import random
import zipfile
from typing import Any

import httpx
import pytest

from docroute.blobstore import BlobStore
from docroute.errors import BlobNotFoundError
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.polling import wait_until

KINDS = ("invoice", "payslip")
PER_KIND = 10


@pytest.fixture(scope="module")
def api(pipeline: httpx.Client) -> httpx.Client:
    return pipeline


def _new_labels(store: BlobStore, key: str) -> int:
    try:
        return int(store.get_json(f"trainsets/{key}/state.json")["new_labels"])
    except BlobNotFoundError:
        return 0


def test_the_20th_label_trains_and_a_preview_does_not_route(
    api: httpx.Client, blobstore: BlobStore, topic_reader_factory: Any
) -> None:
    rng = random.Random(21)
    body = {"name": "training loop", "labels": list(KINDS), "retrain_every": 20}
    key = api.post("/workflows", json=body).json()["key"]
    files = [
        ("files", (f"{kind}-{i}.pdf", make_text_pdf(document_lines(kind, rng))))
        for kind in KINDS
        for i in range(PER_KIND)
    ]
    batch = api.post(f"/workflows/{key}/batches", files=files).json()  # no labels: to annotate
    wait_until(lambda: api.get(batch["url"]).json()["done"], 240, "the batch was not read")
    queue = api.get(f"/workflows/{key}/samples", params={"state": "unlabelled"}).json()
    assert len(queue) == 2 * PER_KIND

    def label(sample: dict[str, Any]) -> None:
        kind = sample["filename"].split("-")[0]
        assert (
            api.put(f"/workflows/{key}/samples/{sample['sample_id']}/label", json={"label": kind}).status_code
            == 200
        )

    for sample in queue[:19]:
        label(sample)
    wait_until(lambda: _new_labels(blobstore, key) == 19, 60, "the trainer did not count 19 labels")
    assert api.get(f"/workflows/{key}/versions").json() == []  # 19 labels: no version yet
    label(queue[19])
    [v1] = wait_until(
        lambda: api.get(f"/workflows/{key}/versions").json(), 120, "the 20th label trained nothing"
    )
    assert (v1["version"], v1["live"], v1["metrics"]["n_samples"]) == (1, True, 20)
    assert v1["evaluation"]["method"] == "first_version" and v1["metrics"]["ece"] is not None
    detail = api.get(f"/workflows/{key}/versions/1").json()
    assert sorted(detail["training_set"]) == sorted(s["sample_id"] for s in queue)
    assert set(detail["per_class"]) == set(KINDS) and len(detail["confusion_matrix"]) == 2

    # Pinned, v1 holds: the version trained on request stays a candidate.
    assert api.post(f"/workflows/{key}/versions/1/pin").status_code == 202
    wait_until(lambda: api.get(f"/workflows/{key}/versions").json()[0]["pinned"], 30, "v1 was not pinned")
    assert api.post(f"/workflows/{key}/train").status_code == 202
    v2 = wait_until(
        lambda: next((v for v in api.get(f"/workflows/{key}/versions").json() if v["version"] == 2), None),
        120,
        "no v2",
    )
    assert not v2["live"] and "pinned" in v2["reason"]

    reader = topic_reader_factory(r"^(extract\..*|review\.pending)$")
    invoice = make_text_pdf(document_lines("invoice", rng))
    preview = api.post(
        f"/processing/{key}/preview", params={"wait": 60}, files={"file": ("new.pdf", invoice)}
    )
    assert preview.status_code == 200, preview.text
    result = preview.json()
    assert (result["status"], result["model_version"], result["predicted_class"]) == (
        "classified",
        2,
        "invoice",
    )
    assert result["route"] is None and result["purpose"] == "preview"
    older = api.post(
        f"/processing/{key}/preview", params={"wait": 60, "version": 1}, files={"file": ("a.pdf", invoice)}
    )
    assert older.json()["model_version"] == 1

    # The live version still serves production, which is routed; the previews never are.
    routed = api.post(f"/processing/{key}", params={"wait": 60}, files={"file": ("b.pdf", invoice)}).json()
    assert (routed["model_version"], routed["route"]["topic"]) == (1, "extract.invoice")
    reader.wait_for(lambda t, e: str(e.data.document_id) == routed["document_id"])
    previews = {result["document_id"], older.json()["document_id"]}
    assert reader.matching(lambda t, e: str(e.data.document_id) in previews) == []
    assert api.get(f"/documents/{result['document_id']}").json()["status"] == "classified"


def _live_version(api: httpx.Client, key: str, number: int) -> bool:
    return any(v["version"] == number and v["live"] for v in api.get(f"/workflows/{key}/versions").json())


def test_a_sample_read_after_training_carries_the_live_versions_guess(
    api: httpx.Client, blobstore: BlobStore
) -> None:
    rng = random.Random(22)
    body = {"name": "late samples", "labels": list(KINDS), "retrain_every": 1000}
    key = api.post("/workflows", json=body).json()["key"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for kind in KINDS:
            for i in range(6):
                archive.writestr(f"{kind}/{kind}-{i}.pdf", make_text_pdf(document_lines(kind, rng)))
    batch = api.post(f"/workflows/{key}/batches", files=[("files", ("set.zip", buffer.getvalue()))]).json()
    wait_until(lambda: api.get(batch["url"]).json()["done"], 240, "the labelled set was not read")
    # The request and the labels travel on different topics: train once the trainer has them all.
    wait_until(
        lambda: _new_labels(blobstore, key) == 6 * len(KINDS), 60, "the trainer did not get the labels"
    )
    assert api.post(f"/workflows/{key}/train").status_code == 202
    wait_until(lambda: _live_version(api, key, 1), 120, "v1 did not go live")
    # v1 pinned: v2, trained now, stays a candidate; neither has seen the samples uploaded next.
    assert api.post(f"/workflows/{key}/versions/1/pin").status_code == 202
    wait_until(lambda: api.get(f"/workflows/{key}/versions").json()[0]["pinned"], 30, "v1 was not pinned")
    assert api.post(f"/workflows/{key}/train").status_code == 202
    wait_until(
        lambda: any(v["version"] == 2 for v in api.get(f"/workflows/{key}/versions").json()), 120, "no v2"
    )

    late = [("files", (f"{kind}-late.pdf", make_text_pdf(document_lines(kind, rng)))) for kind in KINDS]
    batch = api.post(f"/workflows/{key}/batches", files=late).json()
    wait_until(lambda: api.get(batch["url"]).json()["done"], 240, "the late samples were not read")
    queue = api.get(f"/workflows/{key}/samples", params={"state": "unlabelled"}).json()
    assert len(queue) == len(KINDS)
    kind_of = {s["sample_id"]: s["filename"].split("-")[0] for s in queue}

    def guesses(version: int) -> dict[str, Any] | None:
        """{sample_id: prediction} once every late sample carries one from `version`."""
        found = {
            s["sample_id"]: s["prediction"]
            for s in api.get(f"/workflows/{key}/samples", params={"state": "unlabelled"}).json()
        }
        done = all(p is not None and p["model_version"] == version for p in found.values())
        return found if done else None

    by_v1 = wait_until(lambda: guesses(1), 120, "the late samples got no guess from the live v1")
    assert {s: p["predicted_class"] for s, p in by_v1.items()} == kind_of
    one = next(iter(kind_of))
    assert api.get(f"/workflows/{key}/samples/{one}").json()["prediction"] == by_v1[one]
    # The pane's queue: the version's guesses, least sure first.
    suggested = api.get(f"/workflows/{key}/samples/suggestions").json()
    assert [(s["model_version"], s["guess"]) for s in suggested] == [
        (1, kind_of[str(s["sample_id"])]) for s in suggested
    ]
    assert [s["confidence"] for s in suggested] == sorted(
        by_v1[str(s["sample_id"])]["confidence"] for s in suggested
    )

    # v2 goes live: it guesses the samples read after it was trained; a rollback brings v1's back.
    assert api.post(f"/workflows/{key}/versions/2/promote").status_code == 202
    by_v2 = wait_until(lambda: guesses(2), 120, "the promoted v2 did not guess the late samples")
    assert {s: p["predicted_class"] for s, p in by_v2.items()} == kind_of
    assert api.post(f"/workflows/{key}/versions/rollback").status_code == 202
    assert wait_until(lambda: guesses(1), 60, "after the rollback the guesses are not v1's") == by_v1
