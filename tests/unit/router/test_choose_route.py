"""The routing policy."""

from __future__ import annotations

from docroute.routing import Routing
from services.router.core import choose_route

WORKFLOW = "5a0c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f"


def _route(**overrides: object):
    args = dict(
        predicted_class="W-9",
        confidence=0.9,
        unknown=False,
        model_version=3,
        threshold=0.8,
        class_thresholds={},
        workflow_id=WORKFLOW,
    )
    args.update(overrides)
    return choose_route(**args)  # type: ignore[arg-type]


def test_confident_goes_to_its_extraction_topic() -> None:
    decision = _route()
    assert (decision.route, decision.topic, decision.threshold) == ("extract", "extract.w-9", 0.8)


def test_threshold_is_inclusive() -> None:
    assert _route(confidence=0.8).route == "extract"
    assert _route(confidence=0.7999).route == "review"


def test_class_threshold_overrides_workflow_threshold() -> None:
    decision = _route(class_thresholds={"W-9": 0.95})
    assert (decision.route, decision.threshold) == ("review", 0.95)
    assert "below the threshold 0.95" in decision.reason


def test_no_model_and_unknown_go_to_review() -> None:
    assert "no trained model" in _route(model_version=0, predicted_class=None, confidence=0.0).reason
    unknown = _route(unknown=True, confidence=0.99)
    assert unknown.route == "review" and "unlike every class" in unknown.reason


def test_per_workflow_naming_puts_the_workflow_key_in_the_topic() -> None:
    decision = _route(routing=Routing("per_workflow"))
    assert decision.topic == f"extract.{WORKFLOW}.w-9"


def test_operator_topic_overrides_the_naming_for_its_class_only() -> None:
    routing = Routing("per_workflow", {"W-9": "acme-tax-forms"})
    assert _route(routing=routing).topic == "acme-tax-forms"
    assert _route(routing=routing, predicted_class="Invoice").topic == f"extract.{WORKFLOW}.invoice"


def test_review_ignores_the_routing() -> None:
    decision = _route(routing=Routing("per_workflow", {"W-9": "acme"}), confidence=0.5)
    assert (decision.route, decision.topic) == ("review", "review.pending")


def test_a_part_whose_boundary_is_in_doubt_goes_to_review_however_sure_its_class() -> None:
    decision = _route(confidence=0.99, boundary_confidence=0.62)
    assert (decision.route, decision.topic) == ("review", "review.pending")
    assert decision.reason.startswith("boundary in doubt") and "0.62" in decision.reason
    assert decision.document_class == "W-9" and decision.confidence == 0.99


def test_a_part_sure_of_its_boundaries_is_routed_by_its_class() -> None:
    assert _route(confidence=0.99, boundary_confidence=0.8).route == "extract"
    assert _route(confidence=0.99, boundary_confidence=None).route == "extract"
    # The class's own doubt still sends it to review, with its own reason.
    assert "below the threshold" in _route(confidence=0.5, boundary_confidence=0.95).reason
