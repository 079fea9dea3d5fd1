"""Label by groups: unlabelled samples grouped by the similarity of their text, so a person can
label a whole group with one key after pulling out the odd ones.

The text of each sample (its OCR) becomes a TF-IDF vector of words and character 3-5-grams
(sublinear, L2-normalised: cosine similarity is a dot product); k-means on those vectors finds
the groups (k: asked, else the workflow's number of classes). In each group the members come
most typical first (similarity to the group's centre); those well below the group's own typical
similarity are marked `odd`: probably of another kind. Pure: texts in, groups out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

# A member is odd when its similarity to the centre is below the group's median minus this many
# median absolute deviations (and below ODD_MAX_SIMILARITY).
ODD_MADS = 3.0
ODD_MAX_SIMILARITY = 0.5
TOP_TERMS = 8


@dataclass(frozen=True)
class Member:
    index: int  # position in the texts given
    similarity: float  # cosine to the group's centre
    odd: bool


@dataclass(frozen=True)
class Group:
    members: list[Member]
    terms: list[str]  # the words that weigh most in the centre


def default_groups(classes: int, samples: int) -> int:
    """Twice the classes for a large set: purer groups (bench/sample_groups.py, real documents
    of 5 kinds: purity 0.96 with 10 groups, 0.89 with 5) for twice the key presses; as many
    as the classes for a small one (about 10 samples a group), at most 50."""
    return max(1, min(50, 2 * classes, max(classes, samples // 10)))


def group_texts(texts: Sequence[str], k: int, seed: int = 0) -> list[Group]:
    """Groups of `texts` (at most `k`, at least 1), largest first."""
    if not texts:
        return []
    k = max(1, min(k, len(texts)))
    words = TfidfVectorizer(sublinear_tf=True, min_df=1, max_df=0.95 if len(texts) > 5 else 1.0)
    chars = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5), max_features=50_000)
    safe = [t if t.strip() else "(empty)" for t in texts]
    word_matrix = words.fit_transform(safe)
    vectors = normalize(hstack([word_matrix, chars.fit_transform(safe)]).tocsr())
    labels = (
        KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
        if k > 1
        else np.zeros(len(texts), int)
    )
    vocabulary = np.array(words.get_feature_names_out())
    groups = []
    for g in range(k):
        rows = np.flatnonzero(labels == g)
        if rows.size == 0:
            continue
        centre = np.asarray(vectors[rows].mean(axis=0)).ravel()
        centre /= np.linalg.norm(centre) or 1.0
        similarity = vectors[rows] @ centre
        median = float(np.median(similarity))
        spread = float(np.median(np.abs(similarity - median))) or 0.01
        word_centre = np.asarray(word_matrix[rows].mean(axis=0)).ravel()
        terms = [str(t) for t in vocabulary[np.argsort(-word_centre)[:TOP_TERMS]] if len(t) > 2]
        members = [
            Member(
                index=int(row),
                similarity=round(float(s), 4),
                odd=bool(s < median - ODD_MADS * spread and s < ODD_MAX_SIMILARITY),
            )
            for row, s in sorted(zip(rows, similarity, strict=True), key=lambda pair: -pair[1])
        ]
        groups.append(Group(members=members, terms=terms))
    return sorted(groups, key=lambda group: -len(group.members))


def purity(groups: Sequence[Group], truth: Sequence[str]) -> float:
    """Share of members whose group's majority kind is their own (1.0: every group is one kind)."""
    total = sum(len(g.members) for g in groups)
    if not total:
        return 1.0
    right = 0
    for group in groups:
        kinds = [truth[m.index] for m in group.members]
        right += max(kinds.count(kind) for kind in set(kinds))
    return right / total
