"""The unknown rule's wording view: class language models of character n-grams over a background
one, speaking only in the languages a class was trained in, stored as plain arrays."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from docroute.classifier.artifact import decode_artifact, encode_artifact
from docroute.classifier.errors import ModelArtifactError, NewerModelError
from docroute.classifier.model import ClassifierModel
from docroute.classifier.openset import BACKGROUND, UnknownConfig, UnknownVerdict, with_wording
from docroute.classifier.wording import WORDING, WordingRule, languages_of, wording_counts
from services.trainer.core.outlier_exposure import conformal_limit
from services.trainer.core.training import Background, TrainingConfig, train_classifier
from services.trainer.core.wording import WordingSamples, fit_wording_rule
from services.trainer.promotion import config_from_recipe, recipe

DIM = 16
ENGLISH = {
    "invoice": "Invoice number {n}. Total amount due {n} EUR, VAT included, payable within thirty days.",
    "letter": "Dear Madam, thank you for your letter of {n} May. We shall reply to you soon. Kind regards.",
}
GERMAN_INVOICE = (
    "Rechnung Nummer {n}. Gesamtbetrag {n} EUR inklusive Mehrwertsteuer, zahlbar innerhalb von dreißig Tagen."
)
BACKGROUND_TEXTS = (
    "The committee reviewed the annual budget and the statistical tables of the survey.",
    "Population estimates by county, household income and employment figures for the year.",
    "Guidance for applicants: eligibility, deadlines and the documents required for a grant.",
)


def _samples() -> tuple[list[str], np.ndarray, list[str], Background]:
    rng = np.random.default_rng(3)
    texts = [ENGLISH[k].format(n=rng.integers(100, 999)) for k in ENGLISH for _ in range(10)]
    labels = [k for k in ENGLISH for _ in range(10)]
    centers = {"invoice": np.eye(DIM)[0], "letter": np.eye(DIM)[1]}
    rows = np.vstack([centers[k] + 0.05 * rng.normal(size=DIM) for k in labels])
    background = np.vstack([np.eye(DIM)[4 + i % 10] + 0.3 * rng.normal(size=DIM) for i in range(30)])
    unit = lambda x: (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)  # noqa: E731
    return texts, unit(rows), labels, Background(unit(background), "test-set", BACKGROUND_TEXTS)


def _train(background: Background, unknown: UnknownConfig | None = None) -> ClassifierModel:
    texts, emb, labels, _ = _samples()
    return train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(len(texts))], embedder_id="usem3",
        version="1", background=background, config=TrainingConfig(unknown=unknown or UnknownConfig()),
    ).model  # fmt: skip


def test_a_document_scores_its_class_model_over_the_background() -> None:
    """llr_c(d) = 1/|d| sum_w count_d(w) log p_c(w) / p_bg(w), p_c smoothed towards p_bg with mu."""
    counts = [Counter({"aaa": 3, "bbb": 1}), Counter({"aaa": 1, "ccc": 2}), Counter({"ddd": 4})]
    y = np.array([0, 0, 1])
    background = [Counter({"aaa": 1, "eee": 5})]
    mu = 7.0
    rule = fit_wording_rule(
        counts, y, 2, ["eng"] * 3, background, np.array([0, 1, 2]), flag_share=0.02, mu=mu
    )
    pooled = Counter()
    for doc in [*counts, *background]:
        pooled.update(doc)
    total, seen = sum(pooled.values()), len(pooled)

    def expected(doc: Counter[str], c: int) -> float:
        n_c = Counter()
        for d, label in zip(counts, y, strict=True):
            if label == c:
                n_c.update(d)
        size = sum(n_c.values())
        score = 0.0
        for w, k in doc.items():
            p_bg = (pooled.get(w, 0) + 1.0) / (total + seen + 1.0)
            score += k * math.log((n_c.get(w, 0) + mu * p_bg) / ((size + mu) * p_bg))
        return score / sum(doc.values())

    # "zzz" is in no sample and no background document: it costs what any unseen n-gram does.
    docs = [Counter({"aaa": 2, "ddd": 1}), Counter({"eee": 3, "zzz": 1}), Counter({"ccc": 1})]
    got = rule.scores(docs)
    want = np.array([[expected(d, c) for c in range(2)] for d in docs])
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(rule.novelty(docs), -want.max(axis=1), rtol=1e-5)
    # Only n-grams some class used are stored; "eee" scores the unseen cost.
    assert rule.vocabulary == ("aaa", "bbb", "ccc", "ddd")


def test_the_limit_is_taken_over_the_held_out_samples_it_speaks_on() -> None:
    """A held-out sample whose language no other sample of its class is in does not set the limit:
    the view would be silent on such a document."""
    counts = [Counter({f"w{i}": 2, "aaa": 3}) for i in range(8)] + [Counter({"zzz": 9})]
    y = np.zeros(9, dtype=np.int64)
    folds = np.arange(9)
    langs: list[str | None] = ["eng"] * 8 + ["ita"]
    background = [Counter({"bbb": 1})]
    rule = fit_wording_rule(counts, y, 1, langs, background, folds, flag_share=0.02, mu=10.0)
    # Each English sample held out, scored by the model of the other eight (the Italian among them).
    held = []
    for i in range(8):
        rest = [j for j in range(9) if j != i]
        others = fit_wording_rule(
            [counts[j] for j in rest], y[rest], 1, [langs[j] for j in rest], background, folds[rest],
            flag_share=0.02, mu=10.0,
        )  # fmt: skip
        held.append(float(others.novelty([counts[i]])[0]))
    assert rule.limit == pytest.approx(conformal_limit(np.array(held), 0.02))
    # The Italian sample is the most novel of all: counted, it would raise the limit.
    everyone = fit_wording_rule(counts, y, 1, ["eng"] * 9, background, folds, flag_share=0.02, mu=10.0)
    assert everyone.limit > rule.limit
    assert rule.languages == (("eng", "ita"),)


def test_it_decides_in_its_classes_languages_and_is_silent_elsewhere() -> None:
    texts, emb, _, background = _samples()
    model = _train(background)
    assert model.unknown_rule is not None and model.unknown_rule.wording is not None
    wording = model.unknown_rule.wording
    assert wording.languages == (("eng",), ("eng",))
    known = model.unknown_verdicts(texts, emb)
    assert {v.view for v in known} == {WORDING} and not any(v.unknown for v in known), [
        v.reason for v in known
    ]
    assert known[0].reason.startswith("worded like a trained class in its language: novelty ")
    # An English text worded like no class, near a class in the embedding: the wording view flags it.
    stranger = "The recipe: whisk three eggs with flour and sugar, bake forty minutes, serve with cream."
    verdict = model.unknown_verdicts([stranger], emb[:1])[0]
    assert verdict.unknown and verdict.view == WORDING and verdict.distance > verdict.threshold, (
        verdict.reason
    )
    assert verdict.reason.startswith("worded like none of the classes in its language: novelty ")
    # A German invoice: no class has German samples, so the other views decide (the embedding
    # here puts it inside the invoices, as a multilingual embedder would).
    german = GERMAN_INVOICE.format(n=417)
    assert languages_of([german]) == ["deu"]
    verdict = model.unknown_verdicts([german], emb[:1])[0]
    assert verdict.view == BACKGROUND and not verdict.unknown, verdict.reason


def test_a_recipe_without_it_or_without_the_background_texts_trains_none() -> None:
    _, _, _, background = _samples()
    off = _train(background, UnknownConfig(wording_flag_share=0.0))
    assert off.unknown_rule is not None and off.unknown_rule.wording is None
    no_texts = _train(background._replace(texts=()))
    assert no_texts.unknown_rule is not None and no_texts.unknown_rule.wording is None
    assert no_texts.unknown_rule.background is not None


def test_the_samples_kept_at_arrival_give_the_same_rule() -> None:
    texts, emb, labels, background = _samples()
    kept = WordingSamples()
    kept.add(texts)
    assert kept.counts(texts) == wording_counts(texts)
    assert kept.languages(texts) == languages_of(texts)
    from_kept = train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(len(texts))], embedder_id="usem3",
        version="1", background=background, wording=kept,
    ).model  # fmt: skip
    fresh = _train(background)
    # The same artifact but for the second each was trained in.
    assert replace(from_kept, created_at=fresh.created_at).save() == fresh.save()
    kept.forget(texts[0])
    assert kept.languages(texts[:1]) == ["eng"]  # told again when asked after being forgotten


def test_the_rule_is_stored_as_arrays_and_read_back() -> None:
    _, emb, _, background = _samples()
    model = _train(background)
    files = model.save()
    again = ClassifierModel.load(files)
    rule, read = model.unknown_rule.wording, again.unknown_rule.wording  # type: ignore[union-attr]
    assert read is not None and rule is not None
    assert read.vocabulary == rule.vocabulary and read.languages == rule.languages
    assert read.limit == rule.limit
    np.testing.assert_array_equal(read.ratios, rule.ratios)
    np.testing.assert_array_equal(read.unseen, rule.unseen)
    texts = ["Invoice number 5, total due 12 EUR", "Dear Madam, kind regards"]
    assert [v.reason for v in again.unknown_verdicts(texts, emb[[0, 10]])] == [
        v.reason for v in model.unknown_verdicts(texts, emb[[0, 10]])
    ]
    assert again.save() == files


def _resaved(model: ClassifierModel, **changes: object) -> dict[str, bytes]:
    rule = model.unknown_rule
    assert rule is not None and rule.wording is not None
    wording = replace(rule.wording, **changes)  # type: ignore[arg-type]
    return replace(model, unknown_rule=replace(rule, wording=wording)).save()


def test_a_malformed_rule_is_refused() -> None:
    _, _, _, background = _samples()
    model = _train(background)
    rule = model.unknown_rule.wording  # type: ignore[union-attr]
    assert rule is not None
    with pytest.raises(ModelArtifactError, match="wording vocabulary must be sorted"):
        ClassifierModel.load(_resaved(model, vocabulary=tuple(reversed(rule.vocabulary))))
    with pytest.raises(ModelArtifactError, match="unknown_rule does not fit"):
        ClassifierModel.load(_resaved(model, ratios=rule.ratios[:-1]))
    nan = rule.unseen.copy()
    nan[0] = np.nan
    with pytest.raises(ModelArtifactError, match="unknown_rule does not fit"):
        ClassifierModel.load(_resaved(model, unseen=nan))
    with pytest.raises(ModelArtifactError, match="unknown_rule does not fit"):
        ClassifierModel.load(_resaved(model, languages=rule.languages[:1]))
    # Arrays without their settings, or settings without their arrays.
    files = model.save()
    without = ClassifierModel.load(files)
    plain = replace(without, unknown_rule=replace(without.unknown_rule, wording=None)).save()  # type: ignore[arg-type]
    mixed = {**files, "model.json": plain["model.json"]}
    with pytest.raises(ModelArtifactError, match="wording arrays and settings must come together"):
        ClassifierModel.load(mixed)
    assert ClassifierModel.load(plain).unknown_rule.wording is None  # type: ignore[union-attr]


def test_a_rule_is_checked_when_built() -> None:
    rule = WordingRule(
        ("aaa",), np.zeros((1, 2), dtype=np.float32), np.zeros(2, dtype=np.float32), ((), ()), 0.1
    )
    assert rule.fits(2) and not rule.fits(3)
    assert not replace(rule, ratios=np.zeros((1, 2), dtype=np.float64)).fits(2)
    assert not replace(rule, limit=float("nan")).fits(2)


GERMAN_LETTER = (
    "Sehr geehrte Frau Weber, vielen Dank für Ihren Brief vom {n}. Mai. Wir werden Ihnen bald "
    "antworten. Mit freundlichen Grüßen."
)


def _two_languages(gate: str) -> tuple[ClassifierModel, np.ndarray]:
    """English invoices and German letters, the wording view gated by `gate`."""
    rng = np.random.default_rng(5)
    texts = [ENGLISH["invoice"].format(n=rng.integers(100, 999)) for _ in range(10)]
    texts += [GERMAN_LETTER.format(n=rng.integers(1, 28)) for _ in range(10)]
    labels = ["invoice"] * 10 + ["letter"] * 10
    _, emb, _, background = _samples()  # invoices near axis 0, letters near axis 1
    model = train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(20)], embedder_id="usem3", version="1",
        background=background, config=TrainingConfig(unknown=UnknownConfig(wording_gate=gate)),  # type: ignore[arg-type]
    ).model  # fmt: skip
    return model, emb


def test_the_workflow_gate_judges_every_language_of_the_samples() -> None:
    """A German invoice read as the English-trained invoice class: the class gate leaves it to the
    other views (a class is recognised across languages); the workflow gate judges it against the
    German letters too, and it is worded like no class."""
    german_invoice = GERMAN_INVOICE.format(n=417)
    by_class, emb = _two_languages("class")
    by_workflow, _ = _two_languages("workflow")
    assert by_workflow.unknown_rule.wording.gate == "workflow"  # type: ignore[union-attr]
    assert by_class.predict_proba([german_invoice], emb[:1]).argmax() == 0  # read as the invoice class
    silent = by_class.unknown_verdicts([german_invoice], emb[:1])[0]
    assert silent.view == BACKGROUND and not silent.unknown, silent.reason
    judged = by_workflow.unknown_verdicts([german_invoice], emb[:1])[0]
    assert judged.view == WORDING and judged.unknown, judged.reason
    # The workflow's own samples stay known under either gate.
    texts = [ENGLISH["invoice"].format(n=250), GERMAN_LETTER.format(n=3)]
    assert not any(v.unknown for v in by_workflow.unknown_verdicts(texts, emb[[0, 10]]))
    # A language no sample is in: silent under either gate.
    italian = "Fattura numero 417. Importo totale dovuto 250 EUR, IVA inclusa, pagabile entro trenta giorni."
    assert by_workflow.unknown_verdicts([italian], emb[:1])[0].view == BACKGROUND


def test_the_gate_is_stored_and_a_newer_one_refused() -> None:
    model, _ = _two_languages("workflow")
    files = model.save()
    assert ClassifierModel.load(files).unknown_rule.wording.gate == "workflow"  # type: ignore[union-attr]
    # Written only when not the class gate: an artifact of the class gate reads as before it.
    by_class, _ = _two_languages("class")
    assert b'"gate"' not in by_class.save()["model.json"]
    assert ClassifierModel.load(by_class.save()).unknown_rule.wording.gate == "class"  # type: ignore[union-attr]
    newer = files["model.json"].replace(b'"gate": "workflow"', b'"gate": "everywhere"')
    assert newer != files["model.json"]
    with pytest.raises(NewerModelError, match="wording gate 'everywhere'"):
        ClassifierModel.load({**files, "model.json": newer})


GERMAN_INVOICE_OTHER_SENDER = (
    "Faktura {n} der Stadtwerke: Summe netto, zuzüglich Umsatzsteuer. Zahlungsziel vierzehn Tage, "
    "Bankverbindung siehe unten. Bei Fragen erreichen Sie unseren Kundendienst werktags."
)


def _one_reviewed_german_invoice(language_samples: int) -> tuple[ClassifierModel, np.ndarray]:
    """English invoices and letters, and one German invoice a reviewer labelled."""
    texts, emb, labels, background = _samples()
    texts = [*texts, GERMAN_INVOICE.format(n=512)]
    emb = np.vstack([emb, emb[:1]])
    labels = [*labels, "invoice"]
    unknown = UnknownConfig(wording_language_samples=language_samples)
    model = train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(len(texts))], embedder_id="usem3",
        version="1", background=background, config=TrainingConfig(unknown=unknown),
    ).model  # fmt: skip
    return model, emb


def test_a_language_counts_for_a_class_once_enough_of_its_samples_are_in_it() -> None:
    """One reviewed German invoice does not make German a language of the invoice class: the
    next German invoice, from another sender and worded otherwise, is left to the other views
    instead of being judged by that one document's wording."""
    other = GERMAN_INVOICE_OTHER_SENDER.format(n=2291)
    assert languages_of([other]) == ["deu"]
    on_one, emb = _one_reviewed_german_invoice(1)
    assert on_one.unknown_rule.wording.languages == (("deu", "eng"), ("eng",))  # type: ignore[union-attr]
    judged = on_one.unknown_verdicts([other], emb[:1])[0]
    assert judged.view == WORDING and judged.unknown, judged.reason
    on_three, _ = _one_reviewed_german_invoice(3)
    assert on_three.unknown_rule.wording.languages == (("eng",), ("eng",))  # type: ignore[union-attr]
    silent = on_three.unknown_verdicts([other], emb[:1])[0]
    assert silent.view == BACKGROUND and not silent.unknown, silent.reason
    # The held-out limit is taken the same way: a sample whose language its class's other
    # samples hold fewer than three times is not one the view speaks on.
    counts = [Counter({f"w{i}": 2, "aaa": 3}) for i in range(8)] + [Counter({"zzz": 9}), Counter({"yyy": 9})]
    langs: list[str | None] = ["eng"] * 8 + ["ita"] * 2
    y, folds, background = np.zeros(10, dtype=np.int64), np.arange(10), [Counter({"bbb": 1})]
    fit = lambda m, gate="class": fit_wording_rule(  # noqa: E731
        counts, y, 1, langs, background, folds, flag_share=0.02, mu=10.0, gate=gate, language_samples=m
    )
    assert fit(3).languages == (("eng",),) and fit(2).languages == (("eng", "ita"),)
    # Held out, each Italian sample sees one other: counted at 1, each raises the limit.
    assert fit(3).limit == fit(2).limit < fit(1).limit
    # The workflow gate judges every language any sample is in: a rare one is what it is for.
    assert fit(3, "workflow").languages == (("eng", "ita"),) and fit(3, "workflow").limit == fit(1).limit


def test_a_recipe_stored_before_the_language_count_speaks_on_one_sample() -> None:
    settings = recipe("usem3", TrainingConfig())
    assert (
        settings["config"]["unknown"]["wording_language_samples"] == UnknownConfig().wording_language_samples
    )
    del settings["config"]["unknown"]["wording_language_samples"]
    unknown = config_from_recipe(settings).unknown
    assert unknown is not None and unknown.wording_language_samples == 1


def _two_languages_corroborated(lean: float, nearest: float = 0.0) -> tuple[ClassifierModel, np.ndarray]:
    """English invoices and German letters under the class gate, corroborated at `lean` of
    outlier exposure's limit, or (`nearest` > 0) by the nearest background document."""
    rng = np.random.default_rng(5)
    texts = [ENGLISH["invoice"].format(n=rng.integers(100, 999)) for _ in range(10)]
    texts += [GERMAN_LETTER.format(n=rng.integers(1, 28)) for _ in range(10)]
    labels = ["invoice"] * 10 + ["letter"] * 10
    _, emb, _, background = _samples()
    unknown = UnknownConfig(wording_corroboration=lean, wording_nearest_lean=nearest)
    model = train_classifier(
        texts, emb, labels, sample_ids=[str(i) for i in range(20)], embedder_id="usem3", version="1",
        background=background, config=TrainingConfig(unknown=unknown),
    ).model  # fmt: skip
    return model, emb


def _leaning(
    model: ClassifierModel, start: np.ndarray, towards: np.ndarray, low: float, high: float
) -> np.ndarray:
    """A unit row on the way from `start` to `towards` whose outlier-exposure lean (the
    background's probability over its limit) lies in [low, high)."""
    background = model.unknown_rule.background  # type: ignore[union-attr]
    assert background is not None
    for t in np.linspace(0.0, 1.0, 201):
        row = (1 - t) * start + t * towards
        row = (row / np.linalg.norm(row)).astype(np.float32)[None, :]
        lean = float(background.probability(row)[0]) / background.threshold
        if low <= lean < high:
            return row
    raise AssertionError(f"no row leans within [{low}, {high})")


def test_the_wording_view_speaks_corroborated_where_another_class_holds_the_language() -> None:
    """A German invoice read as the English-trained invoice class, where only the letters are
    German: the class gate is silent. Its wording (like none of the German samples') counts once
    outlier exposure leans at least half-way to its limit, and not before; a German invoice
    inside the invoice class's embedding is a known class met in a new language, left alone.
    (Outlier exposure's lean: the rule of models trained before the nearest-background lean.)"""
    german_invoice = GERMAN_INVOICE.format(n=417)
    model, emb = _two_languages_corroborated(0.5)
    rule = model.unknown_rule.wording  # type: ignore[union-attr]
    assert rule is not None and rule.lean == 0.5 and rule.wider_languages == ("deu", "eng")
    assert rule.languages == (("eng",), ("deu",))
    # The wider limit is the workflow gate's: the same held-out samples, every language of the others.
    assert rule.wider_limit == pytest.approx(_two_languages("workflow")[0].unknown_rule.wording.limit)  # type: ignore[union-attr]
    background_row = model.unknown_rule.background.coef[-1]  # type: ignore[union-attr]
    leaning = _leaning(model, emb[0], background_row, 0.5, 1.0)
    assert model.predict_proba([german_invoice], leaning).argmax() == 0  # read as the invoice class
    judged = model.unknown_verdicts([german_invoice], leaning)[0]
    assert judged.view == WORDING and judged.unknown and judged.lean is not None, judged.reason
    assert 0.5 <= judged.lean < 1.0 and judged.threshold == rule.wider_limit
    assert "too few samples" in judged.reason and f"{judged.lean:.2f} of its limit" in judged.reason
    # Outlier exposure alone would let it through; so does the rule without the corroborated view.
    off, _ = _two_languages_corroborated(0.0)
    assert off.unknown_rule.wording.lean == 0.0 and off.unknown_rule.wording.wider_languages == ()  # type: ignore[union-attr]
    assert not off.unknown_verdicts([german_invoice], leaning)[0].unknown
    # Leaning less than half-way: the view's verdict does not count.
    shy = _leaning(model, emb[0], background_row, 0.0, 0.5)
    assert model.predict_proba([german_invoice], shy).argmax() == 0
    let_through = model.unknown_verdicts([german_invoice], shy)[0]
    assert let_through.view == BACKGROUND and not let_through.unknown, let_through.reason
    # Worded like the class's samples in a language the class holds: the class gate decides.
    english = ENGLISH["invoice"].format(n=250)
    assert model.unknown_verdicts([english], leaning)[0].lean is None
    # A language no sample is in: silent, however far it leans.
    italian = "Fattura numero 417. Importo totale dovuto 250 EUR, IVA inclusa, pagabile entro trenta giorni."
    assert model.unknown_verdicts([italian], leaning)[0].view == BACKGROUND


def _with_one_document(model: ClassifierModel, row: np.ndarray, similarity: float) -> ClassifierModel:
    """The model with one background document whose cosine to `row` is `similarity`."""
    rule = model.unknown_rule
    assert rule is not None and rule.background is not None
    other = np.roll(row[0], 1) - (np.roll(row[0], 1) @ row[0]) * row[0]
    document = similarity * row[0] + math.sqrt(1 - similarity**2) * other / np.linalg.norm(other)
    background = replace(rule.background, documents=document[None, :].astype(np.float32))
    return replace(model, unknown_rule=replace(rule, background=background))


def test_the_corroborated_view_leans_by_the_nearest_background_document() -> None:
    """The default since 2026-12-06: the German invoice's wording counts where the most similar
    background document is at least 0.6 as similar to it as its most similar invoice sample,
    whatever outlier exposure's one line through the embedding says; and not where the
    invoice samples are much nearer (a known class met in a new language)."""
    german_invoice = GERMAN_INVOICE.format(n=417)
    model, emb = _two_languages_corroborated(0.5, nearest=UnknownConfig().wording_nearest_lean)
    rule = model.unknown_rule
    assert rule is not None and rule.wording is not None and rule.background is not None
    assert rule.wording.nearest_lean == 0.6 and rule.wording.lean == 0.5
    documents = rule.background.documents
    assert documents is not None and documents.shape == (30, emb.shape[1])  # the whole set, unit rows
    assert np.allclose(np.linalg.norm(documents, axis=1), 1.0, atol=1e-5)
    row = emb[:1]  # an invoice sample's embedding: inside the class, outlier exposure silent
    assert model.predict_proba([german_invoice], row).argmax() == 0  # read as the invoice class
    assert float(rule.background.probability(row)[0]) < rule.background.threshold * 0.5
    # The shipped set's documents are far from it: a known class in a new language, let through.
    assert not model.unknown_verdicts([german_invoice], row)[0].unknown
    # A background document 0.75 as similar as its nearest sample (itself): the wording counts.
    near = _with_one_document(model, row, 0.75)
    judged = near.unknown_verdicts([german_invoice], row)[0]
    assert judged.view == WORDING and judged.unknown and judged.lean == pytest.approx(0.75, abs=1e-3)
    assert judged.threshold == rule.wording.wider_limit
    assert "as similar to it as 0.75 of its most similar sample of the class" in judged.reason
    # 0.55 as similar: under the lean, the view's verdict does not count.
    assert not _with_one_document(model, row, 0.55).unknown_verdicts([german_invoice], row)[0].unknown
    # Read back from the artifact (float16 rows), deciding the same.
    loaded = ClassifierModel.load(near.save())
    assert loaded.unknown_rule.wording.nearest_lean == 0.6  # type: ignore[union-attr]
    assert loaded.unknown_verdicts([german_invoice], row)[0].unknown
    # The lean is read only for the rows where the view may speak corroborated: not for an
    # English invoice (the class gate speaks), for the German one.
    read: list[list[int]] = []

    def lean_of(rows: np.ndarray) -> np.ndarray:
        read.append(rows.tolist())
        return np.full(len(rows), 0.75)

    english = ENGLISH["invoice"].format(n=250)
    let_pass = [UnknownVerdict(False, BACKGROUND, 0.0, 1.0)] * 2
    judged_two = with_wording(let_pass, rule.wording, [english, german_invoice], np.array([0, 0]), lean_of)
    assert read == [[1]] and not judged_two[0].unknown and judged_two[1].unknown and judged_two[1].nearest
    # Under outlier exposure's lean the model keeps no documents, and lets the row through.
    by_oe, _ = _two_languages_corroborated(0.5)
    assert by_oe.unknown_rule.background.documents is None  # type: ignore[union-attr]
    assert not by_oe.unknown_verdicts([german_invoice], row)[0].unknown


def test_the_nearest_lean_is_read_only_with_its_documents() -> None:
    model, _ = _two_languages_corroborated(0.5, nearest=0.6)
    files = model.save()
    meta = json.loads(files["model.json"])
    assert meta["unknown_rule"]["wording"]["corroboration"]["nearest_lean"] == 0.6
    # A release before it reads "lean", outlier exposure's, and finds its setting as it was.
    assert meta["unknown_rule"]["wording"]["corroboration"]["lean"] == 0.5
    del meta["unknown_rule"]["wording"]["corroboration"]["nearest_lean"]
    as_before = ClassifierModel.load({**files, "model.json": json.dumps(meta).encode()})
    assert as_before.unknown_rule.wording.nearest_lean == 0.0  # type: ignore[union-attr]
    # Documents of another width than the embedding's, or not finite, are refused.
    arrays, stored = decode_artifact(files)
    for bad in (
        arrays["unknown.background.documents"][:, :-1],
        np.full_like(arrays["unknown.background.documents"], np.nan),
    ):
        with pytest.raises(ModelArtifactError, match="unknown_rule does not fit"):
            ClassifierModel.load(encode_artifact({**arrays, "unknown.background.documents": bad}, stored))
    # The lean without the documents it reads is refused.
    off, _ = _two_languages_corroborated(0.5)
    off_meta = json.loads(off.save()["model.json"])
    off_meta["unknown_rule"]["wording"]["corroboration"]["nearest_lean"] = 0.6
    with pytest.raises(ModelArtifactError, match="needs the background documents"):
        ClassifierModel.load({**off.save(), "model.json": json.dumps(off_meta).encode()})


def test_a_recipe_stored_before_the_nearest_lean_reads_outlier_exposure() -> None:
    settings = recipe("usem3", TrainingConfig())
    assert settings["config"]["unknown"]["wording_nearest_lean"] == UnknownConfig().wording_nearest_lean > 0
    del settings["config"]["unknown"]["wording_nearest_lean"]
    unknown = config_from_recipe(settings).unknown
    assert unknown is not None and unknown.wording_nearest_lean == 0.0


def test_the_corroborated_view_is_stored_only_when_on_and_read_back() -> None:
    model, _ = _two_languages_corroborated(0.5)
    files = model.save()
    assert b'"corroboration"' in files["model.json"]
    rule = ClassifierModel.load(files).unknown_rule.wording  # type: ignore[union-attr]
    assert rule is not None and (rule.wider_languages, rule.wider_limit, rule.lean) == (
        ("deu", "eng"),
        pytest.approx(model.unknown_rule.wording.wider_limit),  # type: ignore[union-attr]
        0.5,
    )
    off, _ = _two_languages_corroborated(0.0)
    assert b'"corroboration"' not in off.save()["model.json"]  # an artifact without it reads as before
    with pytest.raises(ModelArtifactError, match="malformed wording corroboration"):
        ClassifierModel.load(_with_corroboration(files, {"languages": "deu", "limit": 1.0, "lean": 0.5}))
    with pytest.raises(ModelArtifactError, match="expected a list of strings"):
        ClassifierModel.load(_with_corroboration(files, {"languages": [1], "limit": 1.0, "lean": 0.5}))
    with pytest.raises(ModelArtifactError, match="unknown_rule does not fit"):
        ClassifierModel.load(_with_corroboration(files, {"languages": ["deu"], "limit": 1.0, "lean": -1}))
    assert not replace(rule, lean=float("nan")).fits(2)
    assert not replace(rule, wider_limit=float("inf")).fits(2)
    # The workflow gate speaks wherever the corroborated view would: it holds none.
    by_workflow, _ = _two_languages("workflow")
    assert by_workflow.unknown_rule.wording.lean == 0.0  # type: ignore[union-attr]


def _with_corroboration(files: dict[str, bytes], corroboration: object) -> dict[str, bytes]:
    meta = json.loads(files["model.json"])
    meta["unknown_rule"]["wording"]["corroboration"] = corroboration
    return {**files, "model.json": json.dumps(meta).encode()}


def test_a_recipe_stored_before_the_corroborated_view_has_none() -> None:
    settings = recipe("usem3", TrainingConfig())
    assert settings["config"]["unknown"]["wording_corroboration"] == UnknownConfig().wording_corroboration > 0
    del settings["config"]["unknown"]["wording_corroboration"]
    unknown = config_from_recipe(settings).unknown
    assert unknown is not None and unknown.wording_corroboration == 0.0


def test_the_corroborated_view_opens_on_the_other_classes_languages() -> None:
    """Per class, the corroborated view may speak in the languages of the other classes' samples,
    and its limit is taken over the held-out samples in such a language."""
    counts = [Counter({f"e{i}": 5}) for i in range(6)]  # English invoices, each worded its own way
    counts += [Counter({"rechnung": 3, "betrag": 2}) for _ in range(2)]  # two German invoices
    counts += [Counter({"brief": 3, "gruss": 2}) for _ in range(6)]  # German letters
    langs: list[str | None] = ["eng"] * 6 + ["deu"] * 8
    y = np.array([0] * 8 + [1] * 6, dtype=np.int64)
    folds, background = np.arange(14), [Counter({"bbb": 1})]

    def fit(languages: str) -> WordingRule:
        return fit_wording_rule(
            counts, y, 2, langs, background, folds, flag_share=0.02, mu=10.0, language_samples=3,
            corroboration=0.5, corroboration_languages=languages,  # type: ignore[arg-type]
        )  # fmt: skip

    other, workflow = fit("other"), fit("workflow")
    assert other.wider_by_class == (("deu",), ("deu", "eng")) and workflow.wider_by_class == ()
    assert other.wider_languages == workflow.wider_languages == ("deu", "eng")
    # Held out, an English invoice is in no other class's language: its novelty (each is worded
    # like no other sample) does not raise the limit, as it does over every language.
    assert other.wider_limit < workflow.wider_limit
    # A German document read as the invoice class (the class gate silent: two German samples).
    invoice = np.array([0])
    assert other.corroborates(["deu"], invoice).all() and workflow.corroborates(["deu"], invoice).all()
    assert not other.corroborates(["ita"], invoice).any()
    # One language list per class, or none.
    assert other.fits(2) and not replace(other, wider_by_class=(("deu",),)).fits(2)


def test_a_class_s_own_reviewed_document_does_not_open_the_corroborated_view() -> None:
    """A reviewer's first German invoice joins the English invoices: the next German invoice, of
    another sender, stays with the rest of the rule however near a background document lies,
    where any sample's languages opened the view on it (the rule of recipes stored before)."""
    other_sender = GERMAN_INVOICE_OTHER_SENDER.format(n=2291)

    def trained(languages: str) -> ClassifierModel:
        texts, emb, labels, background = _samples()
        unknown = UnknownConfig(wording_corroboration_languages=languages)  # type: ignore[arg-type]
        return train_classifier(
            [*texts, GERMAN_INVOICE.format(n=512)], np.vstack([emb, emb[:1]]), [*labels, "invoice"],
            sample_ids=[str(i) for i in range(21)], embedder_id="usem3", version="1",
            background=background, config=TrainingConfig(unknown=unknown),
        ).model  # fmt: skip

    _, emb, _, _ = _samples()
    row = emb[:1]
    before = _with_one_document(trained("workflow"), row, 0.75)
    assert before.unknown_rule.wording.languages == (("eng",), ("eng",))  # type: ignore[union-attr]
    assert before.predict_proba([other_sender], row).argmax() == 0  # read as the invoice class
    flagged = before.unknown_verdicts([other_sender], row)[0]
    assert flagged.view == WORDING and flagged.unknown and flagged.nearest, flagged.reason
    now = _with_one_document(trained("other"), row, 0.75)
    assert now.unknown_rule.wording.wider_by_class == (("eng",), ("deu", "eng"))  # type: ignore[union-attr]
    let_through = now.unknown_verdicts([other_sender], row)[0]
    assert not let_through.unknown and let_through.lean is None, let_through.reason
    # Stored, read back deciding the same; without `by_class` (a model stored before) every
    # sample's language opens it again.
    files = now.save()
    assert not ClassifierModel.load(files).unknown_verdicts([other_sender], row)[0].unknown
    meta = json.loads(files["model.json"])
    assert meta["unknown_rule"]["wording"]["corroboration"]["by_class"] == [["eng"], ["deu", "eng"]]
    del meta["unknown_rule"]["wording"]["corroboration"]["by_class"]
    as_before = ClassifierModel.load({**files, "model.json": json.dumps(meta).encode()})
    assert as_before.unknown_rule.wording.wider_by_class == ()  # type: ignore[union-attr]
    assert as_before.unknown_verdicts([other_sender], row)[0].unknown
    meta["unknown_rule"]["wording"]["corroboration"]["by_class"] = [["eng"]]
    with pytest.raises(ModelArtifactError, match="unknown_rule does not fit"):
        ClassifierModel.load({**files, "model.json": json.dumps(meta).encode()})
    meta["unknown_rule"]["wording"]["corroboration"]["by_class"] = "eng"
    with pytest.raises(ModelArtifactError, match="malformed wording corroboration languages"):
        ClassifierModel.load({**files, "model.json": json.dumps(meta).encode()})


def test_a_recipe_stored_before_the_other_classes_languages_reads_any_sample_s() -> None:
    settings = recipe("usem3", TrainingConfig())
    assert settings["config"]["unknown"]["wording_corroboration_languages"] == "other"
    del settings["config"]["unknown"]["wording_corroboration_languages"]
    unknown = config_from_recipe(settings).unknown
    assert unknown is not None and unknown.wording_corroboration_languages == "workflow"


def test_the_limit_is_set_over_the_languages_the_trained_view_speaks_on() -> None:
    """A class of six English samples and a count of five: the trained view speaks on its English
    documents, so its held-out samples set the limit too, though their class keeps four English
    samples in the other folds (counted there, the limit was set over the other class alone)."""
    counts = [Counter({f"e{i}": 5}) for i in range(6)]  # worded each its own way
    counts += [Counter({"invoice": 3, "total": 2}) for _ in range(10)]
    langs: list[str | None] = ["eng"] * 16
    y = np.array([0] * 6 + [1] * 10, dtype=np.int64)
    folds = np.array([0, 0, 1, 1, 2, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    background = [Counter({"bbb": 1})]

    def fit(count_over: str) -> WordingRule:
        return fit_wording_rule(
            counts, y, 2, langs, background, folds, flag_share=0.02, mu=10.0, language_samples=5,
            count_over=count_over,  # type: ignore[arg-type]
        )  # fmt: skip

    over_samples, over_folds = fit("samples"), fit("folds")
    assert over_samples.languages == over_folds.languages == (("eng",), ("eng",))
    assert over_samples.limit > over_folds.limit
    held = fit_wording_rule(counts, y, 2, langs, background, folds, flag_share=0.02, mu=10.0).limit
    assert over_samples.limit == pytest.approx(held)  # every held-out sample, as with a count of one


def test_the_count_over_setting_is_a_recipe_s_and_one_stored_before_counts_in_the_other_folds() -> None:
    unknown = replace(UnknownConfig(), wording_language_count_over="samples")
    settings = recipe("usem3", TrainingConfig(unknown=unknown))
    assert settings["config"]["unknown"]["wording_language_count_over"] == "samples"
    read = config_from_recipe(settings).unknown
    assert read is not None and read.wording_language_count_over == "samples"
    del settings["config"]["unknown"]["wording_language_count_over"]
    before = config_from_recipe(settings).unknown
    assert before is not None and before.wording_language_count_over == "folds"
