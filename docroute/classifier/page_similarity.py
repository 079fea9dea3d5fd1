"""How alike the pages on either side of each gap of a stack are (TextTiling): the block of
pages before against the block after, in the samples' vocabulary or the stack's own words, and
how deep a dip that is against the gaps around it. A cue of the boundary model
(`docroute.classifier.boundary_cues`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

F64 = npt.NDArray[np.float64]

# Pages of text on each side of a gap that `window_similarities` compares.
WINDOW_PAGES = 3


def window_similarities(rows: F64 | sparse.csr_matrix, width: int = WINDOW_PAGES) -> F64:
    """For each gap between two consecutive rows: the cosine of the sum of the ``width`` rows
    before it and the sum of the ``width`` rows after it (TextTiling's block comparison). A
    document's pages share its words, so a dip marks where one ends; a block of pages is steadier
    than one page against the next (a page of references, a table)."""
    out = np.zeros(max(rows.shape[0] - 1, 0), dtype=np.float64)
    for gap in range(1, rows.shape[0]):
        left = np.asarray(rows[max(gap - width, 0) : gap].sum(axis=0)).ravel()
        right = np.asarray(rows[gap : gap + width].sum(axis=0)).ravel()
        norms = float(np.linalg.norm(left) * np.linalg.norm(right))
        out[gap - 1] = float(left @ right) / norms if norms > 0 else 0.0
    return out


_WORD = re.compile(r"[^\W\d_]{3,}")


def stack_term_rows(texts: Sequence[str]) -> sparse.csr_matrix:
    """Each page's words (3 letters or more, lower case) weighed by how few of the stack's pages
    hold them: sublinear tf x log(pages / pages holding the word), rows L2-normalised. The
    stack's own vocabulary, not the samples': a document's names and terms (a vendor, a
    protocol, an author) are mostly in no sample, and a word on every page of the stack (the
    language's) weighs nothing."""
    counts: list[dict[str, int]] = []
    for text in texts:
        page: dict[str, int] = {}
        for word in _WORD.findall(text.lower()):
            page[word] = page.get(word, 0) + 1
        counts.append(page)
    holding: dict[str, int] = {}
    for page in counts:
        for word in page:
            holding[word] = holding.get(word, 0) + 1
    column = {word: n for n, word in enumerate(holding)}
    idf = np.log(len(texts) / np.array(list(holding.values()), dtype=np.float64))
    indptr, indices, values = [0], [], []
    for page in counts:
        indices += [column[w] for w in page]
        values += [1.0 + np.log(c) for c in page.values()]
        indptr.append(len(indices))
    rows = sparse.csr_matrix(
        (np.array(values, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(len(texts), len(column)),
    )
    rows = sparse.csr_matrix(rows @ sparse.diags(idf)) if len(column) else rows
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    rows = sparse.csr_matrix(sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ rows)
    rows.eliminate_zeros()
    return rows


def similarity_depths(similarities: F64, reach: int = 2) -> F64:
    """How far each similarity lies below the highest ones within ``reach`` gaps on either side
    (their mean; one side alone at a stack's edge; 0 at a peak). A dip against its neighbours is
    what TextTiling reads as a boundary: how alike a document's pages are differs from kind to
    kind (an invoice's pages share most words, a paper's fewer), a dip less so."""
    out = np.zeros(len(similarities), dtype=np.float64)
    for at, here in enumerate(similarities):
        sides = [
            float(side.max())
            for side in (similarities[max(at - reach, 0) : at], similarities[at + 1 : at + 1 + reach])
            if len(side)
        ]
        out[at] = max(float(np.mean(sides)) - float(here), 0.0) if sides else 0.0
    return out
