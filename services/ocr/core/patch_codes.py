"""Kodak patch codes: the separator sheets production scanners are set up to recognise.

A patch code is four parallel black bars, two wide (0.20 in) and two narrow (0.08 in), with
narrow spaces (0.08 in) between them: 0.80 in across, its bars at least 0.75 in long (Kodak's
"Patch Code Information", A-61599). The order of wide and narrow bars names the patch; the
scanner reads it as the sheet passes, so the bars lie parallel to the sheet's leading edge, or
across it for a sheet fed end first. zxing-cpp reads no patch codes, hence this reader: the
code is a fixed geometry, measured on the ink mask the separator detector already has.

It is read across the bars, one line of pixels at a time, as a scanner's patch reader does:
each line that crosses four dark runs of a patch's widths and spaces reads that patch, and a
patch counts when lines next to each other read it over at least 0.75 in of the bars' length.
Reading across the bars keeps their widths right on a sheet scanned askew; a line through
text crosses strokes one or two pixels apart, and no run of text reads the same patch over
three quarters of an inch.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

# Patch name by the order of its bars, wide (W) or narrow (N), from the leading edge.
PATCHES = {"WWNN": "1", "WNNW": "2", "WNWN": "3", "NWWN": "4", "NNWW": "6", "NWNW": "T"}
_CODES = {pattern: n for n, pattern in enumerate(PATCHES, start=1)}

_NARROW_IN, _WIDE_IN = 0.08, 0.20
# Printing, scanning and the ink threshold widen or thin a bar by a pixel or two at 100 dpi.
_NARROW_TOLERANCE_IN, _WIDE_TOLERANCE_IN = 0.035, 0.045
# The shortest patch any Kodak scanner reads.
_MIN_LENGTH_IN = 0.75
# Lines across the bars that may fail to read inside a patch (a speck of dust, a thin bar).
_MISSED_SHARE = 0.2


def read_patch_code(mask: npt.NDArray[np.bool_], dpi: float) -> str | None:
    """The patch (`1`, `2`, `3`, `4`, `6` or `T`) printed on a page, from its ink mask at
    ``dpi`` dots per inch; None when the page carries none. Both ways are looked at (bars
    across the page or down it)."""
    for across in (mask, mask.T):
        code = _read(np.ascontiguousarray(across), dpi)
        if code is not None:
            return code
    return None


def _read(mask: npt.NDArray[np.bool_], dpi: float) -> str | None:
    """A patch whose bars run along the rows of ``mask``, read down its columns."""
    per_column = _column_codes(mask, dpi)
    needed = _MIN_LENGTH_IN * dpi
    for pattern, code in _CODES.items():
        columns = np.flatnonzero(per_column == code)
        if columns.size >= needed * (1 - _MISSED_SHARE) and _longest_span(columns, dpi) >= needed:
            return PATCHES[pattern]
    return None


def _column_codes(mask: npt.NDArray[np.bool_], dpi: float) -> npt.NDArray[np.int64]:
    """For each column, the patch (its number in ``_CODES``) its dark runs read first; 0 for
    none."""
    edges = np.diff(np.pad(mask, ((1, 1), (0, 0))).astype(np.int8), axis=0)
    # Transposed, nonzero walks column by column, top to bottom: the n-th end closes the n-th start.
    cols, tops = np.nonzero(edges.T == 1)
    _, bottoms = np.nonzero(edges.T == -1)
    codes = np.zeros(mask.shape[1], dtype=np.int64)
    if cols.size < 4:
        return codes
    widths = _widths(bottoms - tops, dpi)
    bar = widths != ""
    # Consecutive runs of one column, a narrow space apart.
    joined = (cols[1:] == cols[:-1]) & (
        np.abs((tops[1:] - bottoms[:-1]) - _NARROW_IN * dpi) <= _NARROW_TOLERANCE_IN * dpi
    )
    # Run n starts a patch when it and the next three are bars of its column, narrow apart, and
    # no bar is a narrow space before or after them (four of five bars are no patch).
    four_bars = bar[:-3] & bar[1:-2] & bar[2:-1] & bar[3:]
    alone = ~np.concatenate(([False], joined))[:-3] & ~np.concatenate((joined, [False]))[3:]
    starts = np.flatnonzero(four_bars & joined[:-2] & joined[1:-1] & joined[2:] & alone)
    for n in starts[::-1]:  # reversed: a column's first patch is written last
        code = _CODES.get("".join(widths[n : n + 4]), 0)
        if code:
            codes[cols[n]] = code
    return codes


def _widths(thickness: npt.NDArray[np.int64], dpi: float) -> npt.NDArray[np.str_]:
    """``N`` or ``W`` for a run as thick as a narrow or a wide bar; empty for any other."""
    narrow = np.abs(thickness - _NARROW_IN * dpi) <= _NARROW_TOLERANCE_IN * dpi
    wide = np.abs(thickness - _WIDE_IN * dpi) <= _WIDE_TOLERANCE_IN * dpi
    return np.where(narrow, "N", np.where(wide, "W", ""))


def _longest_span(columns: npt.NDArray[np.int64], dpi: float) -> int:
    """The longest stretch of ``columns`` (sorted) without a hole wider than a narrow bar."""
    holes = np.flatnonzero(np.diff(columns) > _NARROW_IN * dpi)
    bounds = np.concatenate(([0], holes + 1, [columns.size]))
    return max(int(columns[b - 1] - columns[a]) + 1 for a, b in itertools.pairwise(bounds))
