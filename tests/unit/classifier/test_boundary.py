"""The boundary model of `splitting: auto` (issue 8): page-number cues, pages without text, and
the artifact round trip (plain data, refused when malformed)."""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import pytest
import safetensors.numpy

from docroute.classifier.boundary import BoundaryModel, read_metadata
from docroute.classifier.boundary_cues import (
    CUE_DIRECTIONS,
    EARLIER_FEATURES,
    FEATURES,
    RETIRED_FEATURES,
    SETTLING_CUES,
    cue_columns,
    cue_directions,
    pair_features,
    settled,
    unsettled,
)
from docroute.classifier.errors import ModelArtifactError
from docroute.classifier.page_cues import (
    FORM,
    DocumentHead,
    PageNumber,
    abstract_head,
    document_head,
    edge_number_follows,
    edge_numbers,
    ends_in_references,
    ends_open,
    first_line_goes_on,
    has_text,
    labelled_page_number,
    line_keys,
    opens_with_references,
    page_form,
    page_number,
    starts_lowercase,
    title_and_authors,
)
from docroute.classifier.page_similarity import similarity_depths, stack_term_rows, window_similarities
from services.trainer.core.boundaries import train_boundary_model
from tests.factories.documents import document_lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INVOICE\nNo. 4\n...\nPage 1 of 3", PageNumber(1, 3)),
        ("Seite 2 von 2\nRechnung", PageNumber(2, 2)),
        ("Report\nbody text\n- 4 -", PageNumber(4)),
        ("Summary\nbody\n2/5", PageNumber(2, 5)),
        ("Dear Sir," + " body" * 80 + " as shown on page 7 of the manual" + " body" * 80, None),
        ("Total due: $14.00", None),
        ("Page 5 of 3", None),
    ],
)
def test_page_numbers_are_read_in_the_head_and_tail_only(text: str, expected: PageNumber | None) -> None:
    assert page_number(text) == expected


def test_running_headers_count_pages_beside_their_title() -> None:
    before = "VOL. 99 NO. 1 VARIAN: ONLINE AD AUCTIONS 5\nbody text of the page\nmore body"
    here = "6 THE AMERICAN ECONOMIC REVIEW JANUARY 2009\nVII. Summary\nThere is a growing literature"
    assert edge_numbers(before) == {1, 5, 99}
    assert 6 in edge_numbers(here) and 2009 not in edge_numbers(here)
    assert edge_number_follows(before, here)
    # Amounts, dates and codes are no page numbers; nor does a number two on follow.
    assert not edge_numbers("Total 14.00\n2015-10-08 RE-504/1\n50%")
    # A conference's year on a cover page's last line neither ("USENIX ATC '15", "ATC \u201915").
    cover_page_end = "Open access is sponsored by USENIX.\n(USENIX ATC '15) and ATC \u201915 \u201814"
    assert not edge_numbers(cover_page_end)
    assert not edge_number_follows("the page before ends\n14", cover_page_end)
    assert not edge_number_follows("Report 3\nbody", "Report 5\nbody")


def test_a_first_pages_form_is_read_whatever_its_words() -> None:
    title_page = (
        "In Search of an Understandable Consensus Algorithm\nDiego Ongaro and John Ousterhout\n"
        "Stanford University\nongaro@cs.stanford.edu\n(Draft of October 7, 2013)\nAbstract\n"
        "Raft is a consensus algorithm for managing a replicated log."
    )
    later_page = (
        "5.2 Leader election\n"
        "the leader sends heartbeats to all followers in order to maintain its authority. if a\n"
        "follower receives no communication over a period of time called the election timeout,\n"
    )
    references = "[1] Lamport, L. The part-time parliament. ACM TOCS 16, 2 (1998).\n[2] Ongaro, D."
    pages = (title_page, later_page, references)
    first, later, refs = (dict(zip(FORM, page_form(t), strict=True)) for t in pages)
    assert first["email"] == 1.0 and later["email"] == 0.0
    assert first["capitalised_lines"] > 0.5 > later["capitalised_lines"]
    assert first["short_lines"] > later["short_lines"]
    assert later["section_heading"] == 1.0 and first["section_heading"] == 0.0
    assert later["starts_lowercase"] == 0.0  # a heading first, then the carried-over sentence
    assert refs["reference_list"] == 1.0
    assert all(0.0 <= v <= 1.0 for v in (*first.values(), *later.values()))
    assert page_form("").shape == (len(FORM),)


def test_a_sentence_carried_over_a_page_break_is_seen_on_both_sides() -> None:
    assert starts_lowercase("3\nof the replicas, which then agree.")
    assert not starts_lowercase("Running Header\nThe protocol begins")
    assert ends_open("the coordinator sends the value to all\n12")  # the page number left aside
    assert not ends_open("Thank you for your business.\nPage 1 of 1.")


def test_a_page_without_text_is_no_page_of_its_own() -> None:
    assert not has_text("  \n 3 \n")
    assert has_text("Dear Sir, thank you for your letter.")


def test_windows_of_pages_dip_where_a_document_ends() -> None:
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    rows = np.vstack([a, a, a, b, b])
    similarities = window_similarities(rows, width=2)
    assert similarities.round(3).tolist() == [1.0, 0.707, 0.0, 0.707]
    assert window_similarities(rows[:1]).shape == (0,)


def test_a_dip_is_measured_against_the_gaps_around_it() -> None:
    depths = similarity_depths(np.array([0.5, 0.45, 0.1, 0.5, 0.4]))
    assert depths[2] == pytest.approx(0.4)  # (0.5 + 0.5) / 2 - 0.1
    assert depths[0] == 0.0  # a peak
    assert depths[4] == pytest.approx(0.1)  # one side at the stack's end
    assert similarity_depths(np.array([0.3])).tolist() == [0.0]


def test_the_stacks_own_words_tie_a_documents_pages_together() -> None:
    # Words no sample holds (a protocol's name, a vendor's) and a word on every page.
    raft = "the raft leader replicates its log; raft followers vote for the leader"
    squeak = "the squeak virtual machine interprets smalltalk bytecodes; squeak images"
    rows = stack_term_rows([raft, raft + " term", raft, squeak, squeak + " image"])
    assert rows.shape[0] == 5
    similarities = window_similarities(rows, width=2)
    assert similarities[2] == pytest.approx(0.0)  # raft | squeak: no word of their own shared
    assert min(similarities[0], similarities[1], similarities[3]) > 0.5
    # A word on every page of the stack weighs nothing: these pages share none of their own.
    common = stack_term_rows(["the cat sat there", "the dog ran off", "the owl flew"])
    assert (common @ common.T).toarray()[0, 1] == 0.0
    assert stack_term_rows(["", "12 34"]).nnz == 0


def test_printed_page_numbers_settle_a_gap_whatever_the_other_cues_say(model: BoundaryModel) -> None:
    rng = random.Random(3)
    invoice, other = _two_page("invoice", rng), _two_page("invoice", rng)
    # A page saying it is the last: what follows begins a document, even a look-alike page.
    ends = model.start_probabilities([invoice[0] + "\nPage 1 of 1", invoice[0]])
    assert ends[0] > 0.99
    # A page saying more follow, or the next number: the same document goes on.
    goes_on = model.start_probabilities([invoice[0] + "\nPage 1 of 2", other[0]])
    assert goes_on[0] < 0.01
    follows = model.start_probabilities([invoice[0] + "\n- 3 -", other[0] + "\n- 4 -"])
    assert follows[0] < 0.01


_PAPER = "A hash table is a data structure that maps keys to values.\n" * 5
_REFERENCES = (
    "hashing with chaining keeps the load factor low.\nReferences\n"
    "[1] Knuth, D. The Art of Computer Programming, vol. 3, 1973.\n"
    "[2] Pagh, R., Rodler, F. Cuckoo hashing. J. Algorithms 51, 2 (2004)."
)
_TITLE_PAGE = (
    "Ideal Hash Trees\nPhil Bagwell\nEPFL, Lausanne\nAbstract\n"
    "Hash Trees with nearly ideal characteristics are described.\n"
)


def references_then_abstract(before: str, here: str) -> bool:
    """The paper's-end cue as `pair_features` reads it off two pages."""
    return ends_in_references(before) and abstract_head(here)


def references_then_title(before: str, here: str) -> bool:
    """The title-page cue as `pair_features` reads it off two pages."""
    return ends_in_references(before) and title_and_authors(here)


def test_a_page_ending_in_references_before_one_opening_with_an_abstract_ends_a_paper() -> None:
    assert references_then_abstract(_REFERENCES, _TITLE_PAGE)
    assert references_then_abstract("[Wir82] N. Wirth. Programming in Modula-II. 1982.\n23", _TITLE_PAGE)
    assert not references_then_abstract(_PAPER, _TITLE_PAGE)  # a cover page, then the title page
    assert not references_then_abstract(_REFERENCES, _PAPER)  # an appendix after the references
    # An abstract named in a page's body, far below its head, opens nothing.
    assert not references_then_abstract(_REFERENCES, "body line\n" * 40 + "Abstract\nmore")
    # Nor does a line of the body that begins with the word ("abstract syntax of Fig. 2 ...").
    assert not references_then_abstract(_REFERENCES, "abstract syntax of Fig. 2. The rules are grouped\n")


def test_a_paper_that_ends_in_references_before_an_abstract_is_split_there_whatever_the_combiner_says(
    model: BoundaryModel,
) -> None:
    never = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=-10.0)
    stack = [_PAPER, _REFERENCES, _TITLE_PAGE, _PAPER]
    assert never.starts(stack) == [0, 2]
    # Printed page numbers that say the document goes on still win.
    assert never.starts([_PAPER, _REFERENCES + "\n- 7 -", _TITLE_PAGE + "\n- 8 -", _PAPER]) == [0]


# A title page without an abstract heading (Lamport's "Paxos Made Simple", Dijkstra's note).
_TITLE_AND_AUTHORS = (
    "Self-stabilizing Systems in\nSpite of Distributed Control\nEdsger W. Dijkstra\nBurroughs Corporation\n"
    "The synchronization task between loosely coupled cyclic sequential processes can be described.\n"
)


def test_a_page_ending_in_references_before_a_title_and_its_authors_ends_a_paper() -> None:
    assert references_then_title(_REFERENCES, _TITLE_AND_AUTHORS)
    assert references_then_title(_REFERENCES, "Paxos Made Simple\nLeslie Lamport\n01 Nov 2001")
    assert not references_then_title(_PAPER, _TITLE_AND_AUTHORS)  # no paper ended before it
    # Names on the first line alone, no title above them (a running header, the references going on).
    running_on = "Leslie Lamport\n[3] Lamport, L. Paxos made simple. 2001.\n"
    assert not references_then_title(_REFERENCES, running_on)
    # A running header with its page number is no title.
    assert not references_then_title(_REFERENCES, "Ideal Hash Trees 19\nDonald Knuth\n")
    # A heading of two capitalised words after the page's prose is no list of authors.
    prose = "the algorithm keeps every replica of the log in the same order as the leader does.\n"
    assert not references_then_title(_REFERENCES, "Consensus Made Simple\n" + prose + "Final Reflections\n")
    # Nor are names below the page's head.
    assert not references_then_title(_REFERENCES, "Paxos Made Simple\n" + "1 2 3\n" * 8 + "Leslie Lamport\n")


def test_a_paper_that_ends_in_references_before_a_title_page_is_split_there_whatever_the_combiner_says(
    model: BoundaryModel,
) -> None:
    never = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=-10.0)
    assert never.starts([_PAPER, _REFERENCES, _TITLE_AND_AUTHORS, _PAPER]) == [0, 2]
    # Printed page numbers that say the document goes on still win.
    numbered = [_PAPER, _REFERENCES + "\n- 7 -", _TITLE_AND_AUTHORS + "\n- 8 -", _PAPER]
    assert never.starts(numbered) == [0]
    # A model stored before the cue decides that gap as its combiner says.
    stored = _stored_before(never, "references_then_title")
    assert stored.start_probabilities([_REFERENCES, _TITLE_AND_AUTHORS])[0] < 0.01


_REFERENCES_PAGE = (
    "IDEAL HASH TREES 11\nReferences\n"
    "Bagwell P. (2000): Fast and space efficient trie searches.\n(http://lampwww.epfl.ch/papers)\n"
    "Knuth D. (1973): The Art of Computer Programming, vol. 3.\n"
)


def test_a_page_that_opens_with_references_is_read_as_such() -> None:
    assert opens_with_references(_REFERENCES_PAGE)  # below a running header
    assert opens_with_references("[12] Pagh, R. Cuckoo hashing. J. Algorithms 51, 2 (2004).\n[13] ...")
    assert opens_with_references("Bibliography\nKnuth D. (1973)")
    assert not opens_with_references(_PAPER + _REFERENCES)  # the heading amid the page: a paper ends
    assert not opens_with_references(_TITLE_PAGE)
    assert not opens_with_references("References to the order 4711\nInvoice")


def test_a_page_that_opens_with_references_goes_on_the_document_whatever_the_combiner_says(
    model: BoundaryModel,
) -> None:
    always = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=10.0)
    assert always.starts([_PAPER, _PAPER, _REFERENCES_PAGE, _TITLE_PAGE]) == [0, 1, 3]
    assert always.start_probabilities([_PAPER, _REFERENCES_PAGE])[0] < 0.01
    # A model stored before the cue decides that gap as its combiner says.
    stored = _stored_before(always, "opens_with_references")
    assert stored.start_probabilities([_PAPER, _REFERENCES_PAGE])[0] > 0.99


def _stored_before(model: BoundaryModel, cue: str) -> BoundaryModel:
    """``model`` as the release before ``cue`` stored it: without the cue's weights."""
    earlier = FEATURES[: FEATURES.index(cue)]
    assert earlier in EARLIER_FEATURES
    keep = np.tile([name in earlier for name in FEATURES], 1 + len(model.pages.labels))
    stored = dataclasses.replace(model, weights=model.weights[keep], features=earlier)
    return BoundaryModel.load(stored.save())


# The ZUGFeRD stylesheet's view of an invoice: page 2 opens with the last field of page 1's list
# ("Qualifizierung der Textart"), then the seller's address block, which reads as a letterhead.
_FIELDS_PAGE = (
    "Handelsrechnung Nr. KR87654321012 vom 06.10.2018\nWährung : EUR\nVerkäufer:\nNummer : 549910\n"
    "MUSTERLIEFERANT GMBH\nDE 40235 DUESSELDORF\n"
    "Qualifizierung der Textart: AAK, Qualifizierung des Textes: ST3\n"
    "Es bestehen Rabatt- oder Bonusvereinbarungen.\n"
    "Qualifizierung der Textart: AAJ, Qualifizierung des Textes: EEV\n"
    "Der Verkäufer bleibt Eigentümer der Waren bis zur vollständigen Erfüllung der Kaufpreisforderung.\n"
)
_FIELDS_GO_ON = (
    "Qualifizierung der Textart: REG\nMUSTERLIEFERANT GMBH\nBAHNHOFSTRASSE 99\n99199 MUSTERHAUSEN\n"
    "Geschäftsführung:\nMax Mustermann\nUSt-IdNr: DE123456789\nwww.musterlieferant.de\n"
)
_TABLE_ENDS = (
    "Pos Artikel Menge Betrag\n"
    + "".join(f"{n} Kopierpapier A4 10 12,10\n" for n in range(1, 9))
    + "Zahlungsbedingungen:\nBeschreibung Fälligkeit Teilzahlung\n"
)
_TABLE_GOES_ON = "Beschreibung Fälligkeit Teilzahlung\nSkonto 10 Tage 2 %\nBelegsummen:\nZahlbetrag 480,22\n"


def _runs_on(before: str, here: str) -> bool:
    return first_line_goes_on(line_keys(before), line_keys(here))


def test_a_page_that_opens_with_a_line_of_the_page_before_runs_on_from_it() -> None:
    assert _runs_on(_FIELDS_PAGE, _FIELDS_GO_ON)  # the first words of a last line
    assert _runs_on(_TABLE_ENDS, _TABLE_GOES_ON)  # a table's header repeated
    entries = _PAPER + "[16] Leslie Lamport. Composition: A way to make proofs harder. 1998.\n"
    assert _runs_on(entries, "[17] Leslie Lamport. Specifying Systems. Addison-Wesley, 2002.\n")
    # Not a letterhead in the page before's head, which the next document of a sender opens with,
    assert not _runs_on(
        "ACME Office Supplies GmbH\nInvoice 1\nTotal 12,00\n", "ACME Office Supplies GmbH\nInvoice 2\n"
    )
    # nor a town that both pages name, nor a name alone that a footer opens with,
    assert not _runs_on(_PAPER + "\n69100 VILLEURBANNE\n", "69100 VILLEURBANNE\nFacture 562044387\n")
    footer = _PAPER + "Stadtwerke München GmbH, Emmy-Noether-Straße 2, 80992 München\n"
    assert not _runs_on(footer, "Stadtwerke München GmbH\nIhre Rechnung\n")
    # nor a few common words ("To appear in ...").
    assert not _runs_on(
        _PAPER + "To appear in OSDI 2012\n", "To appear in Proceedings of the 10th USENIX Symposium\n"
    )
    assert not _runs_on(_PAPER, _TITLE_PAGE)


def test_a_page_that_runs_on_from_the_page_before_goes_on_the_document_unless_page_numbers_say_it_begins_one(
    model: BoundaryModel,
) -> None:
    always = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=10.0)
    assert always.starts([_FIELDS_PAGE, _FIELDS_GO_ON, _TITLE_PAGE]) == [0, 2]
    # The page before saying it is its document's last outranks the run-on.
    assert always.starts([_FIELDS_PAGE + "Seite 1 von 1\n", _FIELDS_GO_ON]) == [0, 1]
    # A model stored before the cue decides that gap as its combiner says.
    stored = _stored_before(always, "first_line_goes_on")
    assert stored.start_probabilities([_FIELDS_PAGE, _FIELDS_GO_ON])[0] > 0.99


def _invoice_page(number: str, footer: str) -> str:
    """An invoice page whose PDF text order puts its footer ("Seite 1/1") amid the page, far
    from its head and tail."""
    items = "".join(f"{n},00 Luftballon: Bunt, ca. 500ml 19% 0,79 EUR\n" for n in range(12))
    bank = "".join(f"IBAN DE88 2008 0000 0970 3757 0{n} BIC COBADEFFXXX Commerzbank\n" for n in range(6))
    return f"Rechnung # RE-{number} vom 18.11.2017\nKundennummer: 2\n{items}{footer}\n{bank}"


def test_a_labelled_page_number_is_read_anywhere_on_a_page() -> None:
    page = _invoice_page("20171118/506", "Seite 1/1")
    assert page_number(page) is None  # not in the head or tail
    assert labelled_page_number(page) == PageNumber(1, 1)
    assert labelled_page_number(_invoice_page("1", "Page 2 of 3")) == PageNumber(2, 3)
    # A number without its count, or a count below it, is none.
    assert labelled_page_number(_invoice_page("1", "see page 7 of the manual")) is None
    assert labelled_page_number(_invoice_page("1", "Seite 5 von 3")) is None


def _headed_invoice(head_label: str) -> str:
    """A ZUGFeRD stylesheet's invoice page: its own page number below the parties' addresses."""
    parties = (
        "Lieferant\nGLN 4333741000005\nMUSTERLIEFERANT GMBH\nBAHNHOFSTRASSE 99\nKäufer\nMUSTER-KUNDE GMBH\n"
    )
    items = "".join(f"{n} Trennblätter A4 20 Stk. 9,90 19 %\n" for n in range(25))
    return f"{parties}{head_label}\nBeleg-Datum : 16.09.2013\n{items}"


def test_a_pages_own_number_in_its_head_is_read_without_its_count() -> None:
    assert labelled_page_number(_headed_invoice("RECHNUNGS-KORREKTUR Seite 1")) == PageNumber(1)
    assert labelled_page_number(_headed_invoice("Schedule B (Form 1116) Page 2")) == PageNumber(2)
    # A line pointing to another page, a decimal, or a number below the head is none.
    assert labelled_page_number(_headed_invoice("Subtotal from page 1")) is None
    assert labelled_page_number(_headed_invoice("siehe Seite 1")) is None
    assert labelled_page_number(_headed_invoice("Seite 1.5")) is None
    assert labelled_page_number(_headed_invoice("Beleg") + "W A R E N R E C H N U N G Seite 1\n") is None


def test_a_pages_own_number_in_its_head_settles_a_gap_whatever_the_combiner_says(
    model: BoundaryModel,
) -> None:
    never = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=-10.0)
    always = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=10.0)
    first = _headed_invoice("RECHNUNGS-KORREKTUR Seite 1")
    assert never.starts([first, _headed_invoice("W A R E N R E C H N U N G Seite 1")]) == [0, 1]
    assert always.starts([first, _headed_invoice("RECHNUNGS-KORREKTUR Seite 2")]) == [0]


def test_a_labelled_page_number_amid_a_page_settles_a_gap_whatever_the_combiner_says(
    model: BoundaryModel,
) -> None:
    never = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=-10.0)
    always = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=10.0)
    # Two one-page invoices of one template: the first says it is its last page.
    one, two = _invoice_page("20171118/506", "Seite 1/1"), _invoice_page("20151008/504", "Seite 1/1")
    assert never.starts([one, two]) == [0, 1]
    # A page saying more follow, or a later page, keeps the next one in its document.
    first, second = _invoice_page("7", "Seite 1/2"), _invoice_page("7", "Seite 2/2")
    assert always.starts([first, second]) == [0]
    assert always.starts([_invoice_page("7", "no number"), second]) == [0]


@pytest.mark.parametrize(
    ("head", "numbers"),
    [
        (
            "Stylesheet zur Lesbarmachung\nHandelsrechnung\xa0Nr.\xa0TX-471102\xa0vom\xa030.10.2018",
            {"TX-471102"},
        ),
        ("ACME Ltd\n1 High Street\nInvoice No: 2019-114\nDate: 4 May 2019", {"2019-114"}),
        ("Free SAS\nFacture n°562044387 du 02 Juillet 2015", {"562044387"}),
        ("Order #A1234\nShipped to", {"A1234"}),
        ("Rechnungsersteller\nLieferant GmbH\n80333 München Rechnungsnummer 471102", {"471102"}),
        ("Beleg-Nr : R87654321012345\nBeleg-Datum : 06.08.2013", {"R87654321012345"}),
        ("Invoice INV/2023/03/0008\nDescription Quantity", {"INV/2023/03/0008"}),
        ("Rechnung # RE-20140703/502 vom 03.07.2014", {"RE-20140703/502"}),
        ("Invoice Date: 04/05/2019\nDue 2019", set()),  # an invoice's word before no number
        ("Kundennummer GE2020211", set()),  # the label inside another word
        ("Bestell-Nr : B123456789", set()),  # an order's number, not the document's
        ("Ursprungsbeleg-Nr : R87654321012345", set()),  # another document's number
        ("Unsere Art.-\nNr.: TB100A4\nTrennblätter", set()),  # a word broken at the line's end
        ("Lieferung Nr. 2018-51112 in Rechnung zu stellen:", set()),  # introduces what follows
        ("Technical Report No. 1822, Cambridge, Mass., December, 1981.", set()),  # a sentence
        ("2. Branstad, D.K. AIAA Paper No. 73-427, AIAA", set()),  # a list's entry
        ("of the leader's proposal\nnumber 141 to the next command requested by a client", set()),  # prose
        ("N° 562044387 du 02 Juillet 2015", {"562044387"}),
        ("Invoice No. 12", set()),  # too short for a document's number
        ("Pos Menge Preis\n" * 8 + "Invoice No. 2019-114", set()),  # below the head
        ("Invoice No. 2019-114 " + "for the goods delivered to your warehouse" * 3, set()),  # a long line
    ],
)
def test_a_pages_head_names_its_documents_number(head: str, numbers: set[str]) -> None:
    assert _head(head).numbers == numbers


def _head(text: str) -> DocumentHead:
    """The head of a page that opens with ``text``."""
    return document_head(text + "\nbody text of the page")


def test_a_head_names_another_document_by_its_number_or_the_same_number_with_another_date() -> None:
    first = _head("Handelsrechnung Nr. 471102 vom 13.11.2019")
    assert first == DocumentHead(frozenset({"471102"}), frozenset({"13.11.2019"}))
    assert _head("Rechnung Nr. 471199 vom 13.11.2019").names_another(first)
    assert _head("RECHNUNG Rechnungsnummer 471102\nRechnungsdatum 05.03.2013").names_another(first)
    # One document's later page: its number again, with its date or with none.
    assert not _head("Handelsrechnung Nr. 471102 vom 13.11.2019 Seite 2").names_another(first)
    assert not _head("Rechnungsnummer 471102\nLieferant GmbH").names_another(first)
    # No number here, or none before: nothing said; a bare year or a date in prose is no date.
    assert not _head("Lieferant GmbH\nam 05.03.2013").names_another(first)
    assert not first.names_another(_head("Lieferant GmbH"))
    assert _head("Handelsrechnung Nr. 471102 von 2019").dates == frozenset()
    # Dates are read only where a number is named.
    assert _head("Lieferant GmbH\nDatum 05.03.2013").dates == frozenset()


def _numbered_invoice(number: str | None, page: int, date: str = "30.10.2018") -> str:
    """A page of an invoice of one template: its first page names the invoice's number."""
    head = f"Stylesheet zur Lesbarmachung\nHandelsrechnung Nr. {number} vom {date}\n" if number else ""
    items = "".join(
        f"{n} Stadtfahrt 2,00 Euro je Kilometer 7 % 13,00\n" for n in range(10 * page, 10 * page + 10)
    )
    return f"{head}{items}Rechnungssumme ohne USt. 16,90\nZahlbetrag 18,08"


def test_a_new_document_number_in_a_pages_head_settles_a_gap_whatever_the_combiner_says(
    model: BoundaryModel,
) -> None:
    never = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=-10.0)
    always = dataclasses.replace(model, trees=None, weights=np.zeros_like(model.weights), bias=10.0)
    # Two invoices of one template, two pages each: the second names another number.
    stack = [
        _numbered_invoice("TX-471102", 0),
        _numbered_invoice(None, 1),
        _numbered_invoice("TX-471199", 0),
        _numbered_invoice(None, 1),
    ]
    assert never.starts(stack) == [0, 2]
    # The same number with another date is another document (sample invoices of one number).
    redated = [stack[0], stack[1], _numbered_invoice("TX-471102", 0, "05.03.2020"), stack[3]]
    assert never.starts(redated) == [0, 2]
    # The same number in a running header, or no number before, settles nothing.
    assert never.starts([_numbered_invoice("TX-471102", 0), _numbered_invoice("TX-471102", 1)]) == [0]
    assert never.starts([_numbered_invoice(None, 0), _numbered_invoice("TX-471199", 1)]) == [0]
    # Page numbers saying the document goes on outrank it.
    going_on = [_numbered_invoice("TX-471102", 0) + "\nSeite 1 von 2", _numbered_invoice("TX-471199", 1)]
    assert always.starts(going_on) == [0]
    # A model stored before the cue does not read it: it decides as it did.
    earlier = FEATURES[: FEATURES.index("new_document_number")]
    assert earlier in EARLIER_FEATURES
    keep = np.tile([cue in earlier for cue in FEATURES], 1 + len(model.pages.labels))
    stored = BoundaryModel.load(
        dataclasses.replace(never, weights=never.weights[keep], features=earlier).save()
    )
    assert stored.features == earlier
    assert stored.starts(stack) == [0]


def _as_an_earlier_release_stored_it(model: BoundaryModel) -> dict[str, bytes]:
    """The model's files as the release before "references_then_abstract" wrote them: its cues,
    and no class model of its own (its classes were its states summed)."""
    earlier = EARLIER_FEATURES[0]
    keep = np.tile([cue in earlier for cue in FEATURES], 1 + len(model.pages.labels))
    pages = dataclasses.replace(model.pages, class_coef=None, class_intercept=None)
    stored = dataclasses.replace(
        model, pages=pages, weights=model.weights[keep], features=earlier, trees=None
    )
    files = stored.save()
    assert json.loads(files["boundary.json"])["features"] == list(earlier)
    assert b"class_coef" not in files["boundary.safetensors"]
    assert b"tree_feature" not in files["boundary.safetensors"]
    return files


def test_a_model_stored_by_an_earlier_release_loads_and_decides_as_it_did(model: BoundaryModel) -> None:
    earlier = BoundaryModel.load(_as_an_earlier_release_stored_it(model))
    assert earlier.features == EARLIER_FEATURES[0]
    texts = _two_page("invoice", random.Random(1)) + _two_page("payslip", random.Random(2))
    # Its classes are its states summed, as that release read them.
    rows = earlier.pages.rows(texts)
    states = earlier.pages.state_probabilities(rows)
    assert earlier.pages.class_coef is None
    assert np.array_equal(earlier.pages.page_classes(rows, states), earlier.pages.class_probabilities(states))
    # Read with this release's cues, those it lacks weighed 0: the same decisions.
    keep = np.tile([cue in earlier.features for cue in FEATURES], 1 + len(model.pages.labels))
    weights = np.zeros(len(keep))
    weights[keep] = earlier.weights
    as_now = dataclasses.replace(earlier, weights=weights, features=FEATURES)
    assert np.allclose(earlier.start_probabilities(texts), as_now.start_probabilities(texts))
    assert earlier.starts(texts) == as_now.starts(texts)
    # It does not read the cue it lacks; saved again, it keeps its cues.
    never = dataclasses.replace(earlier, weights=np.zeros_like(earlier.weights), bias=-10.0)
    assert never.starts([_PAPER, _REFERENCES, _TITLE_PAGE, _PAPER]) == [0]
    one, two = _invoice_page("20171118/506", "Seite 1/1"), _invoice_page("20151008/504", "Seite 1/1")
    assert never.starts([one, two]) == [0]
    assert BoundaryModel.load(earlier.save()).features == EARLIER_FEATURES[0]
    # Cues of no release this code knows are refused.
    meta = json.loads(model.save()["boundary.json"])
    with pytest.raises(ModelArtifactError):
        read_metadata(json.dumps({**meta, "features": meta["features"][1:]}).encode())


def _two_page(kind: str, rng: random.Random) -> list[str]:
    lines = document_lines(kind, rng)
    return ["\n".join(lines[: len(lines) // 2]), "\n".join(lines[len(lines) // 2 :])]


@pytest.fixture(scope="module")
def model() -> BoundaryModel:
    rng = random.Random(5)
    kinds = ["invoice", "payslip"] * 6
    trained = train_boundary_model([_two_page(k, rng) for k in kinds], kinds)
    assert trained is not None
    return trained[0]


def test_a_blank_back_side_stays_in_its_document_and_the_next_page_is_judged_on_the_last_text(
    model: BoundaryModel,
) -> None:
    rng = random.Random(9)
    invoice, payslip = _two_page("invoice", rng), _two_page("payslip", rng)
    texts = [invoice[0], "", invoice[1], payslip[0], " ", payslip[1]]
    probabilities = model.start_probabilities(texts)
    assert probabilities[0] == 0.0 and probabilities[3] == 0.0  # the blank pages
    assert model.starts(texts) == [0, 3]


def test_each_class_has_its_own_copy_of_the_cues(model: BoundaryModel) -> None:
    rng = random.Random(4)
    texts = _two_page("invoice", rng) + _two_page("payslip", rng)
    features = pair_features(model.pages, texts)
    cues = len(FEATURES)
    assert features.shape == (3, cues * (1 + len(model.pages.labels)))
    # The copies are the cues weighed by class probabilities, which sum to one.
    assert np.allclose(features[:, cues : 2 * cues] + features[:, 2 * cues :], features[:, :cues])
    payslip = 1 + model.pages.labels.index("payslip")
    assert (features[2, payslip * cues : (payslip + 1) * cues] != 0).any()


def test_the_artifact_round_trips_and_a_broken_one_is_refused(model: BoundaryModel) -> None:
    files = model.save()
    again = BoundaryModel.load(files)
    texts = _two_page("invoice", random.Random(1)) + _two_page("payslip", random.Random(2))
    assert np.allclose(again.start_probabilities(texts), model.start_probabilities(texts))
    assert b"pickle" not in files["boundary.json"]
    # Its trees travel as arrays; without them (a model stored before) it decides by its weights.
    assert model.trees is not None and again.trees is not None
    assert np.array_equal(again.trees.feature, model.trees.feature)
    linear = dataclasses.replace(model, trees=None)
    assert b"tree_feature" not in linear.save()["boundary.safetensors"]
    assert BoundaryModel.load(linear.save()).trees is None
    assert not np.allclose(linear.start_probabilities(texts), model.start_probabilities(texts))
    # Some of the trees' arrays but not all: refused.
    arrays = safetensors.numpy.load(files["boundary.safetensors"])
    del arrays["tree_right"]
    with pytest.raises(ModelArtifactError):
        BoundaryModel.load({**files, "boundary.safetensors": safetensors.numpy.save(arrays)})
    with pytest.raises(ModelArtifactError):
        BoundaryModel.load({**files, "boundary.json": b'{"format": "docroute.boundary/0"}'})
    with pytest.raises(ModelArtifactError):
        BoundaryModel.load({"boundary.json": files["boundary.json"]})
    # A class model that does not fit the classes is refused.
    broken = dataclasses.replace(
        model, pages=dataclasses.replace(model.pages, class_intercept=np.zeros(len(model.pages.labels) + 1))
    )
    with pytest.raises(ModelArtifactError):
        BoundaryModel.load(broken.save())


def _pages_of(kind: str, count: int, rng: random.Random) -> list[str]:
    lines = document_lines(kind, rng)
    size = len(lines) // count
    return ["\n".join(lines[n * size : (n + 1) * size if n < count - 1 else None]) for n in range(count)]


def test_a_later_page_of_a_class_sampled_in_one_page_documents_reads_as_that_class() -> None:
    rng = random.Random(3)
    kinds = ["invoice"] * 8 + ["payslip"] * 8 + ["bank_statement"] * 8
    trained = train_boundary_model([_pages_of(k, 1 if k == "invoice" else 3, rng) for k in kinds], kinds)
    assert trained is not None
    pages = trained[0].pages
    invoice = pages.labels.index("invoice")
    # No sample shows an invoice's later page: no state holds one.
    assert not any(
        c == invoice and not first for c, first in zip(pages.state_class, pages.state_first, strict=True)
    )
    assert pages.class_coef is not None
    rng = random.Random(99)
    texts = _pages_of("invoice", 2, rng) + _pages_of("payslip", 3, rng)
    rows = pages.rows(texts)
    classes = pages.page_classes(rows, pages.state_probabilities(rows))
    assert classes.argmax(axis=1).tolist()[:2] == [invoice, invoice]  # the line items too
    # The class distance: small across the invoice's own gap, large where the payslip begins.
    distance = pair_features(pages, texts)[:, FEATURES.index("class_distance")]
    assert distance[0] < 0.2 < 0.8 < distance[1]
    assert np.allclose(distance, 0.5 * np.abs(np.diff(classes, axis=0)).sum(axis=1))
    # Stored and loaded, the class model reads the same.
    loaded = BoundaryModel.load(trained[0].save()).pages
    assert np.allclose(loaded.page_classes(rows, loaded.state_probabilities(rows)), classes)


def test_every_cue_has_a_direction_and_its_class_copies_share_it() -> None:
    assert set(CUE_DIRECTIONS) == set(FEATURES)
    assert set(CUE_DIRECTIONS.values()) <= {-1, 1}
    directions = cue_directions(2)
    assert directions.shape == (3 * len(FEATURES),)
    assert (directions.reshape(3, len(FEATURES)) == directions[: len(FEATURES)]).all()


def test_a_model_trained_now_weighs_each_cue_in_its_direction_and_the_retired_rise_not_at_all(
    model: BoundaryModel,
) -> None:
    directions = cue_directions(len(model.pages.labels))
    assert (model.weights * directions >= 0).all()
    retired = cue_columns(RETIRED_FEATURES, len(model.pages.labels))
    assert retired.sum() == 1 + len(model.pages.labels)  # the rise and its class copies
    assert (model.weights[retired] == 0).all()
    assert model.trees is not None
    assert not np.isin(model.trees.feature, np.flatnonzero(retired)).any()


def test_the_first_page_rise_is_read_within_a_class(model: BoundaryModel) -> None:
    rng = random.Random(4)
    texts = _two_page("invoice", rng) + _two_page("payslip", rng)
    features = pair_features(model.pages, texts)
    rise = features[:, FEATURES.index("first_page_rise")]
    within = features[:, FEATURES.index("first_page_rise_in_class")]
    same_class = 1.0 - features[:, FEATURES.index("class_change")]
    assert np.allclose(within, rise * same_class)
    # Between the invoice and the payslip (the second gap) the two pages' detectors are of two kinds:
    # next to nothing of the rise is read.
    assert same_class[1] < 0.2 and abs(within[1]) < 0.2 * abs(rise[1]) + 1e-9
    assert same_class[0] > 0.8 and same_class[2] > 0.8  # within the invoice, within the payslip


def test_the_settling_cues_are_those_that_settle_a_gap() -> None:
    """`unsettled` clears the cues that settle a gap and keeps every other (a new document number,
    which the combiner weighs beside the others, among them), in the cues and their class copies."""
    for n, cue in enumerate(FEATURES):
        row = np.zeros((1, 3 * len(FEATURES)))  # the cues, then two classes' copies
        row[0, [n, len(FEATURES) + n, 2 * len(FEATURES) + n]] = 1.0
        assert bool(settled(row, new_numbers=False)[0]) == (cue in SETTLING_CUES), cue
        kept = unsettled(row)
        assert (kept == 0).all() if cue in SETTLING_CUES else np.array_equal(kept, row), cue
