"""A workflow's class -> topic rule and the checks on the topics it names."""

from __future__ import annotations

import pytest

from docroute.routing import Routing, routing_problems, topic_name_problem, topic_problem

MINE = "5a0c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f"
OTHER = "0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e"


def test_shared_default_is_todays_topic_per_class() -> None:
    assert Routing().topic_map(MINE, ["Invoice", "Tax Form 1040"]) == {
        "Invoice": "extract.invoice",
        "Tax Form 1040": "extract.tax-form-1040",
    }


def test_per_workflow_naming_differs_between_workflows_for_one_class() -> None:
    rule = Routing("per_workflow")
    assert rule.topic_for(MINE, "invoice") == f"extract.{MINE}.invoice"
    assert rule.topic_for(OTHER, "invoice") == f"extract.{OTHER}.invoice"


def test_stored_rule_round_trips_and_null_is_the_default() -> None:
    rule = Routing("per_workflow", {"invoice": "acme.invoices"})
    assert Routing.from_dict(rule.to_dict()) == rule
    assert Routing.from_dict(None) == Routing() == Routing.from_dict({})


@pytest.mark.parametrize(
    "topic",
    [
        "acme.invoices",
        "acme_invoices-v2",
        "extract.invoice",
        f"extract.{MINE}.invoice",
        "A" * 249,
    ],
)
def test_legal_topics_pass(topic: str) -> None:
    assert topic_problem(topic, MINE) is None


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ("", "1 to 249"),
        ("a" * 250, "1 to 249"),
        ("acme invoices", "only letters"),
        ("acme/invoices", "only letters"),
        ("rechnungen-ä", "only letters"),
        (".", "only letters"),
        ("..", "only letters"),
        ("mailroom.incoming", "internal"),
        ("mailroom_incoming", "internal"),
        ("Mailroom.Incoming", "internal"),
        ("document.routed", "internal"),
        ("document.anything-new", "internal"),
        ("document.dead-letter", "internal"),
        ("review.pending", "internal"),
        ("review.escalated", "internal"),
        ("ingest.uploads", "internal"),
        ("sample.labelled", "internal"),
        ("sample.deleted", "internal"),
        ("model.published", "internal"),
        ("workflow.updated", "internal"),
        ("training.requested", "internal"),
        ("acme.dead-letter", "internal"),
        ("__consumer_offsets", "internal"),
        ("ocr-documents-changelog", "internal"),
        (f"extract.{OTHER}.invoice", "another workflow's namespace"),
        (f"extract_{OTHER}_invoice", "another workflow's namespace"),
        (f"EXTRACT.{OTHER.upper()}.invoice", "another workflow's namespace"),
    ],
)
def test_illegal_internal_and_foreign_topics_are_refused_with_a_reason(topic: str, why: str) -> None:
    problem = topic_problem(topic, MINE)
    assert problem is not None and why in problem


def test_name_check_alone_does_not_know_namespaces() -> None:
    assert topic_name_problem(f"extract.{OTHER}.invoice") is None


def test_problems_name_the_class_and_its_topic() -> None:
    rule = Routing("shared", {"invoice": "review.pending", "w-9": "acme.w9"})
    problems = routing_problems(rule, MINE, ["invoice", "w-9", "payslip"])
    assert len(problems) == 1 and problems[0].startswith("class 'invoice' -> 'review.pending'")


def test_a_shared_label_cannot_reach_into_a_workflow_namespace() -> None:
    problems = routing_problems(Routing(), MINE, [f"{OTHER}.invoice"])
    assert len(problems) == 1 and "another workflow's namespace" in problems[0]
