import pytest

from docroute.classifier.person_names import names_line


@pytest.mark.parametrize(
    "line",
    [
        "Leslie Lamport",
        "J.H. Saltzer, D.P. Reed and D.D. Clark*",
        "By Hal R. Varian∗",
        "K. MANI CHANDY",
        "Michael A. Bender, Martin Farach-Colton, William Jannen, Rob Johnson,",
        "Asaf Cidon1, Robert Escriva2, Sachin Katti1, Mendel Rosenblum1, and Emin Gün Sirer2",
        "Gerth Stølting Brodal∗",
        "Lu´ıs Rodrigues",  # an accent set apart from its letter by TeX
        "Ludwig van Beethoven & Clara Schumann",
    ],
)
def test_a_line_of_authors_is_read_as_names(line: str) -> None:
    assert names_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Seite 2 von 4",  # a page number
        "Hints for Computer System Design July 1983 25",  # a running header
        "Figure 3. Results",
        "the quick brown fox",
        "Leslie",  # one word
        "Operating Systems Are Not Here For Us",  # more than four words a name
        "van Beethoven",  # a particle opens no name
        "Invoice No. 4711",
        "MUSTERLIEFERANT GMBH, BAHNHOFSTRASSE 99",
        "",
    ],
)
def test_other_lines_are_not(line: str) -> None:
    assert not names_line(line)
