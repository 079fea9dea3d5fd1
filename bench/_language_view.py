"""Language-aware reading (bench/quality.py's readings; not in the product).

The word and character TF-IDF blocks read words: a document in a language that some class's
training samples are not in shares words only with the classes that have that language, so those
blocks pull it towards them whatever its kind (an English invoice towards English receipts when
the invoices trained are German). The embedding is multilingual, and the trainer already fits
its weights to classify alone (each sample again with its TF-IDF blocks zeroed,
`TrainingConfig.embedding_dropout`). A reading here replaces the full model's probabilities by
those of the embedding weights alone (the model's temperature) for the documents its rule picks:

- absent: the document's language is in no training sample;
- absent from the predicted class: not in the samples of the class the full model picks;
- absent from the top two: not in the samples of one of the full model's two likeliest classes
  (the contest the lexical blocks decide unfairly).

Languages are detected as the OCR service detects them (langdetect, seeded, the 16 Latin
languages), on the first 3,000 characters; a text it cannot tell is read as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from docroute.classifier.model import ClassifierModel, softmax
from docroute.languages import detect_latin_language

F32 = npt.NDArray[np.float32]
DETECT_CHARS = 3000


def detect(texts: Sequence[str]) -> list[str | None]:
    return [detect_latin_language(text[:DETECT_CHARS]) for text in texts]


def embedding_only_proba(model: ClassifierModel, embeddings: npt.NDArray[np.floating]) -> F32:
    """The model's probabilities with every TF-IDF block zeroed: its embedding weights alone."""
    d = model.layout.embedding_dim
    x = np.asarray(embeddings, dtype=np.float32) * np.float32(model.layout.embedding_weight)
    logits = x @ model.coef[:, :d].T + model.intercept
    return softmax(logits / model.temperature)


# Which documents a reading sends to the embedding view: (document language, the full model's
# probabilities, each class's training languages) -> bool.
Pick = Callable[[str, npt.NDArray[np.float32], list[set[str]]], bool]


def _absent(lang: str, p: npt.NDArray[np.float32], langs: list[set[str]]) -> bool:
    return not any(lang in own for own in langs)


def _absent_predicted(lang: str, p: npt.NDArray[np.float32], langs: list[set[str]]) -> bool:
    return lang not in langs[int(p.argmax())]


def _absent_top_two(lang: str, p: npt.NDArray[np.float32], langs: list[set[str]]) -> bool:
    return any(lang not in langs[int(c)] for c in np.argsort(p)[-2:])


READINGS: dict[str, Pick] = {
    "language absent from training: embedding alone": _absent,
    "language absent from the predicted class: embedding alone": _absent_predicted,
    "language absent from a top-2 class: embedding alone": _absent_top_two,
}


def read(
    pick: Pick,
    model: ClassifierModel,
    train_langs: Sequence[str | None],
    train_labels: Sequence[str],
    doc_langs: Sequence[str | None],
    embeddings: npt.NDArray[np.floating],
    probs: F32,
) -> tuple[F32, npt.NDArray[np.bool_]]:
    """The reading's probabilities, and which documents it read by the embedding alone."""
    langs: list[set[str]] = [set() for _ in model.labels]
    for lang, label in zip(train_langs, train_labels, strict=True):
        if lang is not None:
            langs[model.labels.index(label)].add(lang)
    picked = np.array(
        [lang is not None and pick(lang, p, langs) for lang, p in zip(doc_langs, probs, strict=True)],
        dtype=bool,
    )
    out = probs.copy()
    if picked.any():
        out[picked] = embedding_only_proba(model, np.asarray(embeddings)[picked])
    return out, picked
