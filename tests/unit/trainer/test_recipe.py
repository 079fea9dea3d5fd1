"""A version's recipe is stored as JSON in its manifest and read back by the promotion gate to
re-run the live version's training: it must come back as the configuration it was."""

from __future__ import annotations

import json

import pytest

from docroute.classifier.errors import NewerModelError
from services.trainer.core import TrainingConfig
from services.trainer.promotion import config_from_recipe, recipe


def test_recipe_round_trips_through_json() -> None:
    config = TrainingConfig()
    stored = json.loads(json.dumps(recipe("usem3", config)))
    assert stored["embedder_id"] == "usem3"
    assert config_from_recipe(stored) == config


def test_a_recipe_from_before_the_per_class_unknown_rule_keeps_the_global_threshold() -> None:
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    del stored["config"]["unknown"]
    assert config_from_recipe(stored).unknown is None


def test_a_recipe_from_before_unknown_views_keeps_both_views() -> None:
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    del stored["config"]["unknown"]["views"]
    unknown = config_from_recipe(stored).unknown
    assert unknown is not None and unknown.views == ("embedding", "tfidf")
    assert TrainingConfig().unknown is not None and TrainingConfig().unknown.views == (
        "background",
        "embedding",
    )


def test_a_recipe_from_before_outlier_exposure_keeps_the_embedding_view() -> None:
    """Recipes stored with views ["embedding"] and no background settings re-run as they were:
    the background view does not switch on for them."""
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    stored["config"]["unknown"]["views"] = ["embedding"]
    for name in ("background_probability", "background_c", "background_few_samples"):
        del stored["config"]["unknown"][name]
    unknown = config_from_recipe(stored).unknown
    assert unknown is not None and unknown.views == ("embedding",)


def test_a_recipe_equals_itself_read_back_from_the_manifest() -> None:
    """The gate compares the live version's stored recipe with the candidate's: equal settings
    must compare equal, or the gate trains the live recipe again for nothing (tuples in the
    settings came back as lists and made every such training twice as long)."""
    fresh = recipe("usem3", TrainingConfig())
    assert json.loads(json.dumps(fresh)) == fresh


def test_the_recipe_reads_the_texts_shape_and_a_recipe_from_before_keeps_its_blocks() -> None:
    """The default adds a block of the texts' shape (layout, number formats: a kind trained in
    one language is recognised in others); the live version's stored recipe, from before it,
    re-runs with its two blocks."""
    assert [block.analyzer for block in TrainingConfig().tfidf] == ["word", "char_wb", "shape"]
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    stored["config"]["tfidf"] = stored["config"]["tfidf"][:2]
    stored["config"]["tfidf_weights"] = [1.0, 1.0]
    before = config_from_recipe(stored)
    assert [block.analyzer for block in before.tfidf] == ["word", "char_wb"]


def test_a_recipe_from_before_the_claim_rule_fits_the_whole_background_set() -> None:
    """The default drops background rows a class claims; a recipe stored without the setting
    re-runs as it was trained."""
    assert TrainingConfig().unknown is not None and TrainingConfig().unknown.background_claims
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    assert config_from_recipe(stored).unknown.background_claims  # type: ignore[union-attr]
    del stored["config"]["unknown"]["background_claims"]
    unknown = config_from_recipe(stored).unknown
    assert unknown is not None and not unknown.background_claims


def test_a_recipe_from_before_the_conformal_limit_keeps_the_few_samples_raise() -> None:
    """The default sets the background limit from held-out samples (conformal, 5 %); a recipe
    stored without that setting re-runs with its few-samples raise."""
    assert TrainingConfig().unknown is not None and TrainingConfig().unknown.background_flag_share == 0.05
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    assert config_from_recipe(stored).unknown.background_flag_share == 0.05  # type: ignore[union-attr]
    del stored["config"]["unknown"]["background_flag_share"]
    stored["config"]["unknown"]["background_few_samples"] = 10
    unknown = config_from_recipe(stored).unknown
    assert unknown is not None and unknown.background_flag_share == 0.0
    assert unknown.background_few_samples == 10


def test_a_recipe_naming_settings_this_release_does_not_know_is_refused_as_newer() -> None:
    """A newer trainer's recipe (a rolling update) is not re-run without what it adds."""
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    stored["config"]["unknown"]["wording_from_the_future"] = 1.0
    with pytest.raises(NewerModelError, match="wording_from_the_future are not known"):
        config_from_recipe(stored)
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    stored["config"]["layout_weight"] = 0.5
    with pytest.raises(NewerModelError, match="layout_weight"):
        config_from_recipe(stored)
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    for name in ("wording_gate", "wording_corroboration_languages", "wording_language_count_over"):
        stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
        stored["config"]["unknown"][name] = "neighbours"
        with pytest.raises(NewerModelError, match=f"{name} 'neighbours' is not known"):
            config_from_recipe(stored)
    stored = json.loads(json.dumps(recipe("usem3", TrainingConfig())))
    stored["config"]["tfidf"][0]["analyzer"] = "glyph"
    with pytest.raises(NewerModelError, match="analyzer 'glyph'"):
        config_from_recipe(stored)
