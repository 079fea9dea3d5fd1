"""The cues of a gap between two pages of a stack, as the boundary model weighs them.

Each page is seen through one TF-IDF vocabulary, fitted on the samples' pages: its whole text
and its head (the first characters, where a letterhead, a title or "Page 2 of 3" sits). Two
linear models read those rows: a page classifier (the workflow's classes, learnt from every page
of every sample) and a classifier of page states (a class, first page or later), whose
first-page states make the first-page detector (a sample's first page against its other pages).
A third, on a page's form rather than its words (`page_form`: an e-mail or web address, a date,
short and capitalised lines, a section heading or a reference list at the top), says whether it
looks like a first page in documents no sample resembles. For each page but the first, the
combiner (a small logistic regression blended with boosted trees, `docroute.classifier.trees`)
weighs the cues that the page starts a new document, each in the direction it points
(`CUE_DIRECTIONS`): the first-page scores (words, form) and how far they rise from the page
before (the words' only as far as the two pages are of one class), the change of class from the
page before (the chance that the two pages' classes differ, and the distance between their class
probabilities, which is small for two pages equally unsure between the same classes), how alike
the two pages are (text, head), how alike the three pages before and the three from it are and
how deep a dip that is against the gaps around it (TextTiling,
`docroute.classifier.page_similarity`; once in the samples' vocabulary, once in the stack's own
words, which holds a document's names and terms no sample has), page numbers ("Page 1 of 2",
"2/3", a bare "4" after "3"; one that says the page before was the last, or that more follow,
settles the gap; a running header's "6" beside its title after the page before's "5"), and the
text flow (a page starting in lower case, the page before ending mid-sentence). A labelled page
number with its count anywhere on a page ("Seite 1/1" amid an invoice's text), or without it on a
short line of the page's head ("RECHNUNGS-KORREKTUR Seite 1"), settles a gap as one in the head or
tail does; a page that opens with an abstract, or with a title and its authors, after a page ending
in references begins a new paper; a page that opens with references goes on the document before
it, and so does a page that opens with a line of the page before (a table's header repeated, a
list running on); and a page whose head names a document number other than the last one named
("Handelsrechnung Nr. TX-471102"), or that number with other dates (`document_head`), begins a new
document. A page with next to no text (the empty back of a duplex scan) never starts a document
and the page after it is compared with the last page that had text. The cues read off one page or a pair of
pages are `docroute.classifier.page_cues`; this module weighs them, and
`docroute.classifier.division` divides a stack by the scores.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from docroute.classifier.features import TfidfConfig, TfidfState
from docroute.classifier.model import softmax
from docroute.classifier.page_cues import (
    PageNumber,
    abstract_head,
    document_head,
    edge_number_follows,
    ends_in_references,
    ends_open,
    first_line_goes_on,
    has_text,
    labelled_page_number,
    line_keys,
    opens_with_references,
    page_form,
    page_number,
    pages_before,
    starts_lowercase,
    title_and_authors,
)
from docroute.classifier.page_similarity import similarity_depths, stack_term_rows, window_similarities

F64 = npt.NDArray[np.float64]

# The pages' vocabulary: words and word pairs, the most frequent kept.
PAGE_TFIDF = TfidfConfig(analyzer="word", ngram_range=(1, 2), max_features=20_000)

# A page's head: where letterheads, titles and running headers sit.
HEAD_CHARS = 400

FEATURES = (
    "first_page",
    "first_page_rise",
    "class_change",
    "similarity",
    "head_similarity",
    "numbered_first",
    "numbered_later",
    "previous_numbered_last",
    "previous_numbered_before_last",
    "number_follows",
    "starts_lowercase",
    "previous_ends_open",
    "window_similarity",
    "similarity_depth",
    "stack_window_similarity",
    "stack_similarity_depth",
    "edge_number_follows",
    "form_first_page",
    "form_first_rise",
    "references_then_abstract",
    "labelled_start",
    "labelled_goes_on",
    "new_document_number",
    "class_distance",
    "first_page_rise_in_class",
    "opens_with_references",
    "first_line_goes_on",
    "references_then_title",
)

# The cues of models stored by earlier releases, which load and decide as they did (a cue they
# lack is not read): before a paper's end and labelled page numbers amid a page (2026-12-02);
# before a new document number in a page's head (2026-12-03); before the class distance
# (2026-12-03, models without a class model of their own); before the rise read within a class
# (2026-12-05); before a page opening with references (2026-12-07); before a page opening with
# a line of the page before (2026-12-07).
EARLIER_FEATURES = (
    FEATURES[: FEATURES.index("references_then_abstract")],
    FEATURES[: FEATURES.index("new_document_number")],
    FEATURES[: FEATURES.index("class_distance")],
    FEATURES[: FEATURES.index("first_page_rise_in_class")],
    FEATURES[: FEATURES.index("opens_with_references")],
    FEATURES[: FEATURES.index("first_line_goes_on")],
    FEATURES[: FEATURES.index("references_then_title")],
)

# Cues still read for the models stored before that weigh them, but given no weight by a model
# trained now (`weighed_cues`): the rise read across two kinds compares unlike detectors (an
# invoice's letterhead scores far above a paper's title page, so the gap between them read as a
# fall: -4.6 log-odds against a class change's +4.0, bench/splitting.py seed 4); its successor
# `first_page_rise_in_class` reads it only as far as the two pages are of one class.
RETIRED_FEATURES = ("first_page_rise",)

# Which way each cue moves the odds that a page begins a document (+1 up, -1 down). A combiner
# learns how much a cue weighs from the samples, never its direction (`cue_directions`): fitted
# freely on a workflow's few samples, it learnt that a page shaped like a first page is less
# likely one (`form_first_page` weighed -0.66, seed 7: the words' detector already knew the
# samples' own first pages), and split no invoice of a template no sample had, where the form
# alone knew their first pages.
CUE_DIRECTIONS: dict[str, int] = {
    "first_page": 1,
    "first_page_rise": 1,
    "class_change": 1,
    "similarity": -1,
    "head_similarity": -1,
    "numbered_first": 1,
    "numbered_later": -1,
    "previous_numbered_last": 1,
    "previous_numbered_before_last": -1,
    "number_follows": -1,
    "starts_lowercase": -1,
    "previous_ends_open": -1,
    "window_similarity": -1,
    "similarity_depth": 1,
    "stack_window_similarity": -1,
    "stack_similarity_depth": 1,
    "edge_number_follows": -1,
    "form_first_page": 1,
    "form_first_rise": 1,
    "references_then_abstract": 1,
    "labelled_start": 1,
    "labelled_goes_on": -1,
    "new_document_number": 1,
    "class_distance": 1,
    "first_page_rise_in_class": 1,
    "opens_with_references": -1,
    "first_line_goes_on": -1,
    "references_then_title": 1,
}


def cue_directions(classes: int) -> npt.NDArray[np.int64]:
    """CUE_DIRECTIONS for each column of `pair_features`' rows (the cues, then their copies for
    each of `classes` classes: a copy is the cue times a probability, so it points the same way)."""
    return np.tile(np.array([CUE_DIRECTIONS[cue] for cue in FEATURES], dtype=np.int64), 1 + classes)


def cue_columns(cues: Collection[str], classes: int) -> npt.NDArray[np.bool_]:
    """Which columns of `pair_features`' rows (FEATURES, then a copy for each of `classes`
    classes) hold one of `cues`."""
    return np.tile([cue in cues for cue in FEATURES], 1 + classes)


def without_cues(features: F64, cues: Collection[str]) -> F64:
    """`pair_features`' rows with `cues` (and their class copies) set to 0."""
    cleared = cue_columns(cues, features.shape[1] // len(FEATURES) - 1)
    return np.asarray(np.where(cleared, 0.0, features), dtype=np.float64)


def weighed_cues(features: F64) -> F64:
    """`pair_features`' rows as a combiner is fitted on them: RETIRED_FEATURES (and their class
    copies) set to 0, so a model trained now gives them no weight and its trees never read them."""
    return without_cues(features, RETIRED_FEATURES)


@dataclass(frozen=True, eq=False)
class PageModels:
    """The page-level model: a vocabulary and one linear classifier of page states, a state
    being a class and whether the page is a first page ("invoice, first page", "invoice, later
    page", ...). What a first page looks like differs from kind to kind (a paper's title and
    abstract, an invoice's letterhead); a state per kind learns each and gives the page's
    first-page score (the first-page states). The page's class comes from a classifier of its
    own (`page_classes`)."""

    labels: tuple[str, ...]
    tfidf: TfidfState
    state_coef: F64  # (n_states, 2 * vocabulary): whole text, then head
    state_intercept: F64
    state_class: npt.NDArray[np.int64]  # each state's class, an index into labels
    state_first: npt.NDArray[np.bool_]
    form_coef: F64  # (len(FORM),): a page's form -> log-odds that it is a first page
    form_intercept: float
    # A page's class alone, first page or not: (classes, 2 * vocabulary) and (classes,); None in
    # a model stored before, whose classes are its states summed (`page_classes`)
    class_coef: F64 | None = None
    class_intercept: F64 | None = None

    def rows(self, texts: Sequence[str]) -> F64:
        """[whole text | head] TF-IDF rows of the pages."""
        return np.hstack([self.tfidf.transform(texts), self.tfidf.transform([t[:HEAD_CHARS] for t in texts])])

    def state_probabilities(self, rows: F64) -> F64:
        return np.asarray(softmax(rows @ self.state_coef.T + self.state_intercept), dtype=np.float64)

    def class_probabilities(self, states: F64) -> F64:
        """Each page's classes as its states summed (a model stored before `class_coef`)."""
        out = np.zeros((len(states), len(self.labels)))
        for state, label in enumerate(self.state_class):
            out[:, label] += states[:, state]
        return out

    def page_classes(self, rows: F64, states: F64) -> F64:
        """Each page's class probabilities: from the class model where there is one. The states
        summed read a later page of a class whose samples are mostly one page long as another
        class's later page (few of its own to learn from), a change of class in mid-document
        (bench/splitting.py: a workflow's invoices one page, a ZUGFeRD invoice's page 2)."""
        if self.class_coef is None or self.class_intercept is None:
            return self.class_probabilities(states)
        return np.asarray(softmax(rows @ self.class_coef.T + self.class_intercept), dtype=np.float64)

    def form_scores(self, texts: Sequence[str], forms: F64 | None = None) -> F64:
        """Log-odds that each page is a first page, from its form alone (`page_form`; `forms`:
        the pages' forms when the caller has them)."""
        if not texts:
            return np.zeros(0)
        forms = np.vstack([page_form(t) for t in texts]) if forms is None else forms
        scores = forms @ self.form_coef + self.form_intercept
        return np.asarray(np.clip(scores, -10.0, 10.0), dtype=np.float64)

    def first_scores(self, states: F64) -> F64:
        """Log-odds that a page is a first page, clipped: > 0 looks like one."""
        first = np.clip(states[:, self.state_first].sum(axis=1), 1e-6, 1 - 1e-6)
        return np.asarray(np.clip(np.log(first / (1 - first)), -10.0, 10.0), dtype=np.float64)


def pair_features(
    pages: PageModels,
    texts: Sequence[str],
    rows: F64 | None = None,
    states: F64 | None = None,
    classes: F64 | None = None,
    forms: F64 | None = None,
) -> F64:
    """One row per page but the first: the cues that it starts a new document (FEATURES), then
    for each class the same cues times how likely the two pages are of that class (the mean of
    their class probabilities). What a cue means differs from kind to kind: two alike pages are
    a paper going on, but often two invoices of one vendor; a first page stands out less in a
    paper than on an invoice. The class copies let the combiner weigh each cue per kind (one
    linear model for all kinds: bench/splitting.py 0.617 -> 0.667 of stacks exact). The page
    before a page is the last one with text before it. `rows`: `pages.rows(texts)` when the
    caller has them (a training, from the pages' term counts kept since they arrived); `states`:
    `pages.state_probabilities(rows)` and `classes`: `pages.page_classes(rows, states)`, when the
    caller has them (it weighs the parts' lengths by the same classes); `forms`: the pages'
    `page_form` rows, when the caller has them (a training, which reads each page many times)."""
    rows = pages.rows(texts) if rows is None else rows
    states = pages.state_probabilities(rows) if states is None else states
    probabilities = pages.page_classes(rows, states) if classes is None else classes
    first = pages.first_scores(states)
    form = pages.form_scores(texts, forms)
    vocabulary = pages.tfidf.size
    numbers = [page_number(text) for text in texts]
    labelled = [labelled_page_number(text) for text in texts]
    heads = [document_head(text) for text in texts]
    lines = [line_keys(text) for text in texts]
    ended = [ends_in_references(text) for text in texts]  # a paper's end, read once a page
    last_head = heads[0]  # the head of the last page before that named a document number
    out = np.zeros((max(len(texts) - 1, 0), len(FEATURES)), dtype=np.float64)
    gates = np.zeros((max(len(texts) - 1, 0), len(pages.labels)), dtype=np.float64)
    # Window similarities over the pages with text: a page without text never starts a
    # document, the gap before the next page with text is read without it.
    text_on = [has_text(text) for text in texts]
    with_text = [n for n, on in enumerate(text_on) if on]
    windows = window_similarities(rows[with_text, :vocabulary])
    depths = similarity_depths(windows)
    own = window_similarities(stack_term_rows([texts[n] for n in with_text]))
    own_depths = similarity_depths(own)
    gap_before = {page: gap for gap, page in enumerate(with_text[1:])}
    compared = pages_before(text_on)
    for page in range(1, len(texts)):
        previous = compared[page - 1]
        before, here = numbers[previous], numbers[page]
        # The chance that the two pages are of one class.
        same_class = float(probabilities[previous] @ probabilities[page])
        out[page - 1] = (
            first[page],
            first[page] - first[previous],
            1.0 - same_class,
            float(rows[previous, :vocabulary] @ rows[page, :vocabulary]),
            float(rows[previous, vocabulary:] @ rows[page, vocabulary:]),
            here is not None and here.number == 1,
            here is not None and here.number > 1,
            before is not None and before.total is not None and before.number == before.total,
            before is not None and before.total is not None and before.number < before.total,
            before is not None and here is not None and here.number == before.number + 1,
            starts_lowercase(texts[page]),
            ends_open(texts[previous]),
            windows[gap_before[page]] if page in gap_before else 1.0,
            depths[gap_before[page]] if page in gap_before else 0.0,
            own[gap_before[page]] if page in gap_before else 1.0,
            own_depths[gap_before[page]] if page in gap_before else 0.0,
            edge_number_follows(texts[previous], texts[page]),
            form[page],
            form[page] - form[previous],
            ended[previous] and abstract_head(texts[page]),
            _labelled_start(labelled[previous], labelled[page]),
            _labelled_goes_on(labelled[previous], labelled[page]),
            heads[page].names_another(last_head),
            0.5 * float(np.abs(probabilities[previous] - probabilities[page]).sum()),
            (first[page] - first[previous]) * same_class,
            opens_with_references(texts[page]),
            first_line_goes_on(lines[previous], lines[page]),
            ended[previous] and title_and_authors(texts[page]),
        )
        last_head = heads[page] if heads[page].numbers else last_head
        gates[page - 1] = (probabilities[previous] + probabilities[page]) / 2
    return np.hstack([out] + [out * gates[:, [c]] for c in range(len(pages.labels))])


def _labelled_start(before: PageNumber | None, here: PageNumber | None) -> bool:
    """The page before says it is its document's last ("1/1", "3 of 3"), or this page its first."""
    says = (before is not None and before.number == before.total) or (here is not None and here.number == 1)
    return says and not _labelled_goes_on(before, here)


def _labelled_goes_on(before: PageNumber | None, here: PageNumber | None) -> bool:
    """The page before says more follow ("1 of 3"), or this page is not its document's first."""
    more = before is not None and before.total is not None and before.number < before.total
    return more or (here is not None and here.number > 1)


# Printed page numbers that settle a gap whatever the other cues say: the page before says it
# is the last ("2 of 2") -> a new document begins; it says more follow ("1 of 3"), or this page
# carries the next number -> the same document goes on. On the corpus's stacks (bench/
# splitting.py, 3 x 100 stacks) each held without exception: 313 "n of n" before a new document,
# 476 "n of more" and 1,865 next numbers inside one; the combiner, fitted on a few samples that
# print them, weighed them too lightly to outvote a similar-looking page. A page ending in
# references before one opening with an abstract (`references_then_abstract`) begins a new
# document the same way, unless page numbers say the document goes on. So does a labelled page
# number with its count anywhere on a page (`labelled_page_number`: "Seite 1/1" amid an invoice's
# text, where its PDF's text order puts the footer): on the corpus's stacks (1-30 pages, seeds
# 1-6) 908 of 908 "n of n" before a new document, 895 of 895 "n of more" inside one, 895 "1 of n"
# first pages and 909 later ones, each without exception; 27 of the 35 starts of an invoice
# after an invoice that the model before missed (seeds 1-3) print one; and a page's own number
# without its count on a short line of its head ("RECHNUNGS-KORREKTUR Seite 1"). So does a page
# whose head names a document number other than the last one named (`new_document_number`): on the
# stacks of seeds 1-18 (1-30 pages) 3,689 of its 3,725 gaps are true starts, the other 36 one
# invoice's "Page 2 / 2", whose page number outranks it; two invoices of one template are where
# it tells what the samples did not (seed 7: 0.29 -> 0.43 of stacks exact). A page that opens with
# references (`opens_with_references`) goes on the document before it: on the corpus's PDFs 50
# of their 2,142 pages (the first 30 of each) open so, none of them a first page; the combiner,
# which sees few in a workflow's samples, read such a page's short lines, years and web
# addresses as a first page's form (bench/splitting.py seeds 43-54: 27 of 317 wrong gaps, 23 of
# them one paper's references page). A page that opens with a line of the page before
# (`first_line_goes_on`) goes on its document too, unless a cue that settles a start says
# otherwise: on the stacks of seeds 1-10 it is true of 287 of 3,412 pages inside invoices and 128
# of 21,310 inside papers, and of none of 4,992 first pages; of the corpus's 93,330 pairs of one
# document's last page before another's first, none. Weighed by the combiner it moved nothing
# (the samples' stacks show it where other cues already decide); settled it cuts the ZUGFeRD
# stylesheet's page 2 that opens with the seller's address block after a list of fields running
# on (bench/splitting.py: 292 -> 181 splits inside invoices over sixty-six draws). A page
# ending in references before one opening with a title and its authors (`references_then_title`,
# a title page without an abstract heading) begins a new paper as the abstract does: true at
# 2,527 gaps between documents over the sixty-six draws and at none inside one; the combiner
# alone missed 178 of them (of its 433 papers missed after a paper).
_SETTLED = 12.0

_SAYS_LAST = FEATURES.index("previous_numbered_last")

_SAYS_MORE = FEATURES.index("previous_numbered_before_last")

_FOLLOWS = FEATURES.index("number_follows")

_PAPER_ENDS = FEATURES.index("references_then_abstract")

_LABELLED_START = FEATURES.index("labelled_start")

_LABELLED_GOES_ON = FEATURES.index("labelled_goes_on")

_NEW_NUMBER = FEATURES.index("new_document_number")

_OPENS_WITH_REFERENCES = FEATURES.index("opens_with_references")

_FIRST_LINE_GOES_ON = FEATURES.index("first_line_goes_on")

_PAPER_ENDS_TITLE = FEATURES.index("references_then_title")


def _settled_start(features: F64, *, new_numbers: bool = True) -> npt.NDArray[np.bool_]:
    """Gaps a cue says begin a new document: the page before says it is the last, a paper ends
    (`references_then_abstract`, `references_then_title`), a labelled number says a document
    starts, or (`new_numbers`) the page's head names a document number other than the last one
    named, or that number with other dates (`new_document_number`)."""
    says = (
        (features[:, _SAYS_LAST] > 0)
        | (features[:, _PAPER_ENDS] > 0)
        | (features[:, _PAPER_ENDS_TITLE] > 0)
        | (features[:, _LABELLED_START] > 0)
    )
    return np.asarray(says | (new_numbers & (features[:, _NEW_NUMBER] > 0)))


def _settled_goes_on(features: F64) -> npt.NDArray[np.bool_]:
    """Gaps page numbers say lie inside one document (more follow, or the next number), those
    before a page that opens with references, and those before a page that opens with a line of
    the page before where no cue settles a start (page numbers outrank it)."""
    return np.asarray(
        (features[:, _SAYS_MORE] > 0)
        | (features[:, _FOLLOWS] > 0)
        | (features[:, _LABELLED_GOES_ON] > 0)
        | (features[:, _OPENS_WITH_REFERENCES] > 0)
        | ((features[:, _FIRST_LINE_GOES_ON] > 0) & ~_settled_start(features))
    )


def settled(features: F64, *, new_numbers: bool = True) -> npt.NDArray[np.bool_]:
    """The gaps that printed page numbers or a paper's end settle (`start_logits`), and with
    `new_numbers` those a new document number settles."""
    return _settled_start(features, new_numbers=new_numbers) | _settled_goes_on(features)


# The cues that settle a gap whatever the others say (`_settled_start`, `_settled_goes_on`),
# a new document number aside: the combiner learns what it says beside the others.
SETTLING_CUES = tuple(
    FEATURES[n]
    for n in (
        _SAYS_LAST,
        _SAYS_MORE,
        _FOLLOWS,
        _PAPER_ENDS,
        _LABELLED_START,
        _LABELLED_GOES_ON,
        _OPENS_WITH_REFERENCES,
        _FIRST_LINE_GOES_ON,
        _PAPER_ENDS_TITLE,
    )
)


def unsettled(features: F64) -> F64:
    """`pair_features`' rows with SETTLING_CUES (and their class copies) set to 0: what the other
    cues say of each gap, as a combiner is fitted on them. A gap that page numbers settle still
    shows what a start or a continuation looks like to the other cues, which decide the gaps
    no number settles (`fit_combiner`)."""
    return without_cues(features, SETTLING_CUES)


# The combiner's log-odds: the linear model's and the boosted trees' (where the model has them),
# this much of the trees'. Over 18 draws of training samples on the bench's stacks (bench/
# splitting.py's `auto_jobs`, 1-30 pages, whole documents) 0.761 of stacks were split exactly by
# the linear model alone, 0.753 by the trees alone, 0.791-0.801 by the two at 0.3-0.7 of the
# trees'; set at 0.4 there, then on 12 draws looked at by nobody before: 0.668 -> 0.718, no draw
# lower (bench/README.md).
TREES_SHARE = 0.4


def start_logits(features: F64, weights: F64, bias: float, tree_logits: F64 | None = None) -> F64:
    """The combiner's log-odds that each gap begins a new document (the linear model's, blended
    with the trees' log-odds `tree_logits` where the model has trees: TREES_SHARE), printed page
    numbers that settle a gap (a page saying it is the last, or that more follow, or a next
    number), a paper's end (`references_then_abstract`, `references_then_title`: a new document,
    unless page numbers say it goes on) and a page opening with references (the document goes on)
    applied; a page opening with a line of the page before goes on where no cue settles a start."""
    logits = features @ weights + bias
    if tree_logits is not None:
        logits = (1.0 - TREES_SHARE) * logits + TREES_SHARE * tree_logits
    logits = np.where(_settled_start(features), np.maximum(logits, _SETTLED), logits)
    return np.asarray(
        np.where(_settled_goes_on(features), np.minimum(logits, -_SETTLED), logits), dtype=np.float64
    )
