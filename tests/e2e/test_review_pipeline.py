"""Results, unknown documents and review end to end, every service a real process: after training
on 3 classes, a result explains itself, a bank statement (a kind never trained) goes to review as
unknown, what the thresholds mean is reported from the trainer's out-of-fold predictions, and a
corrected document is routed to its extraction topic and joins the trainer's training set."""

from __future__ import annotations

import random

import httpx
import pytest

from docroute.blobstore import BlobStore
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.polling import wait_until
from tests.fixtures.training_set import train_through_api

CLASSES = {"invoice": "invoice", "payslip": "payslip", "rental-contract": "rental_contract"}
SAMPLES_PER_CLASS = 8


@pytest.fixture(scope="module")
def trained(pipeline: httpx.Client, blobstore: BlobStore) -> str:
    rng = random.Random(5)
    response = pipeline.post(
        "/workflows", json={"name": "review e2e", "labels": list(CLASSES), "retrain_every": 1000}
    )
    assert response.status_code == 201, response.text
    key = response.json()["key"]
    train_through_api(pipeline, blobstore, key, CLASSES, SAMPLES_PER_CLASS, rng)
    return key


def _process(pipeline: httpx.Client, key: str, lines: list[str], name: str) -> dict:
    response = pipeline.post(
        f"/processing/{key}", params={"wait": 60}, files={"file": (name, make_text_pdf(lines))}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_result_explains_itself(pipeline: httpx.Client, trained: str) -> None:
    result = _process(pipeline, trained, document_lines("payslip", random.Random(1)), "payslip.pdf")
    assert result["route"]["topic"] == "extract.payslip" and result["unknown"] is False
    assert {c["class"] for c in result["classifications"]} == set(CLASSES)
    explanation = result["explanation"]
    assert [n["label"] for n in explanation["nearest_samples"]] == ["payslip"] * 5
    assert len(explanation["terms"]) == 10 and explanation["novelty"] < explanation["unknown_threshold"]


def test_an_untrained_kind_goes_to_review_as_unknown(pipeline: httpx.Client, trained: str) -> None:
    result = _process(pipeline, trained, document_lines("bank_statement", random.Random(2)), "statement.pdf")
    assert result["route"]["route"] == "review" and result["unknown"] is True
    assert "unlike every class seen in training" in result["route"]["reason"]
    assert "unlike every class seen in training" in result["unknown_reason"]
    # In the classifier's own words (document.classified v4): the view that decided, its figure.
    assert any(view in result["unknown_reason"] for view in ("worded like none", "looks like none")), result
    queue = pipeline.get(f"/workflows/{trained}/review", params={"unknown": True}).json()
    assert result["document_id"] in [item["document_id"] for item in queue["items"]]


def test_thresholds_come_from_the_trainer(pipeline: httpx.Client, trained: str) -> None:
    report = pipeline.get(f"/workflows/{trained}/thresholds").json()
    assert report["n_samples"] == 3 * SAMPLES_PER_CLASS and report["threshold"] == 0.8
    assert set(report["current_per_class"]) == set(CLASSES)
    assert 0.0 <= report["current"]["routed_share"] <= 1.0


def test_a_correction_is_routed_and_trained_on(
    pipeline: httpx.Client, trained: str, blobstore: BlobStore, topic_reader_factory
) -> None:
    rng = random.Random(3)
    mixed = document_lines("invoice", rng)[:8] + document_lines("payslip", rng)[:8]
    result = _process(pipeline, trained, mixed, "mixed.pdf")
    assert result["route"]["route"] == "review"
    reader = topic_reader_factory(r"^extract\.payslip$")
    document_id = result["document_id"]
    response = pipeline.post(f"/documents/{document_id}/review", json={"class": "payslip", "reviewer": "e2e"})
    assert response.status_code == 200, response.text
    reader.wait_for(lambda t, e: e.subject == document_id and e.data.reason.endswith("by e2e"))
    sample_key = f"trainsets/{trained}/samples/{document_id}.json"
    record = wait_until(
        lambda: blobstore.exists(sample_key) and blobstore.get_json(sample_key),
        60,
        "the trainer never stored the reviewed document as a sample",
    )
    assert record["label"] == "payslip"
    assert pipeline.post(f"/workflows/{trained}/train").status_code == 202
    grown = 3 * SAMPLES_PER_CLASS + 1
    wait_until(
        lambda: any(
            v.get("n_samples") == grown or v.get("metrics", {}).get("n_samples") == grown
            for v in pipeline.get(f"/workflows/{trained}/versions").json()
        ),
        180,
        "no version trained with the reviewed document",
    )
