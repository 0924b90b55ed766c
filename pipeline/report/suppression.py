"""Disclosure control for published count tables: small cells shown as ``<5``.

Why: a count of 1 to 4 households in a region-by-outcome cell can identify a household.

The rule, exactly (``threshold`` t, default 5):

1. Totals are added by this module (a ``Totaal`` column per row and/or a ``Totaal`` row per
   column, and the grand total where both meet), so they are always true sums.
2. Primary: every cell, totals included, with 0 < n < t is suppressed and shown as ``<t``.
3. Secondary: a *line* is one row of inner cells with its row total, or one column of inner
   cells with its column total; the row of column totals and the column of row totals are
   lines too (with the grand total as their total). If a line's total is published and
   exactly one of its inner cells is suppressed, that cell would be total minus the rest,
   so the smallest published inner cell with n > 0 in the line is suppressed as well
   (ties: first in row-major order). Secondary cells are shown as ``x`` (they are not
   small, so ``<5`` would be false). Repeat over all lines until nothing changes.
4. Percentages: a percentage is suppressed (``x``) when its count or its denominator
   (the row or column total) is suppressed. Percentages need their totals published.

Zero is published: it describes no household, and structural zeros (no evictions in a
region) are findings. Zeros are never chosen for secondary suppression, since a suppressed
zero hides nothing. Known limits: rule 3 stops a cell being recovered from one line; it
does not bound what combined lines imply (no LP audit), nor does it treat attribute
disclosure (a whole row in one column); both are acceptable for these marginal tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from pipeline.report import formatting

DEFAULT_THRESHOLD = 5
SECONDARY = "x"
TOTAL = "Totaal"
NOTE = ("<%(t)s: minder dan %(t)s, niet gepubliceerd; "
        "x: niet gepubliceerd zodat een klein aantal niet uit een totaal af te leiden is.")


@dataclass(frozen=True)
class SuppressedTable:
    """Display strings of a count table after suppression, with what was hidden and why."""

    display: pl.DataFrame  # label columns, then counts as text; totals included
    mask: pl.DataFrame  # same shape; count columns are True where not published
    primary: pl.DataFrame  # same shape; True where the count itself is small
    percent: pl.DataFrame | None  # same shape as display, percentages as text
    threshold: int

    @property
    def any_suppressed(self) -> bool:
        return bool(self.mask.select(pl.any_horizontal(pl.col(pl.Boolean).any())).item())

    def note(self, translate: Callable[[str], str] | None = None) -> str:
        """The legend line under the table ('' when nothing was suppressed)."""
        if not self.any_suppressed:
            return ""
        return (translate or str)(NOTE) % {"t": self.threshold}


def _lines(rows: int, cols: int, row_total: bool, col_total: bool):
    """(inner cells, total cell) per line of the grid that has a published total."""
    inner_r = rows - 1 if col_total else rows
    inner_c = cols - 1 if row_total else cols
    if row_total:
        for i in range(rows):
            yield [(i, j) for j in range(inner_c)], (i, cols - 1)
    if col_total:
        for j in range(cols):
            yield [(i, j) for i in range(inner_r)], (rows - 1, j)


def suppress_grid(grid: Sequence[Sequence[int]], *, threshold: int = DEFAULT_THRESHOLD,
                  row_total: bool = True, col_total: bool = True
                  ) -> tuple[list[list[bool]], list[list[bool]]]:
    """(suppressed, primary) masks for a grid whose last column/row are its totals."""
    rows, cols = len(grid), len(grid[0]) if grid else 0
    primary = [[0 < grid[i][j] < threshold for j in range(cols)] for i in range(rows)]
    hidden = [row[:] for row in primary]
    lines = list(_lines(rows, cols, row_total, col_total))
    changed = True
    while changed:
        changed = False
        for cells, (ti, tj) in lines:
            if hidden[ti][tj] or sum(hidden[i][j] for i, j in cells) != 1:
                continue
            candidates = [(grid[i][j], i, j) for i, j in cells if not hidden[i][j] and grid[i][j]]
            # Without candidates the total equals the hidden cell, so it is small itself and
            # already hidden; the fallback only guards against totals that are not sums.
            _, i, j = min(candidates) if candidates else (0, ti, tj)
            hidden[i][j] = changed = True
    return hidden, primary


def suppress_counts(frame: pl.DataFrame, *, label_columns: Sequence[str] | None = None,
                    threshold: int = DEFAULT_THRESHOLD, row_total: bool = True,
                    col_total: bool = True, percent: Literal["row", "col"] | None = None,
                    digits: int = 1, locale: str = "nl", total_label: str = TOTAL
                    ) -> SuppressedTable:
    """Add totals to a frame of counts, suppress small cells, format for display.

    Label columns default to the non-numeric columns; all others are counts (integers
    >= 0, no nulls). ``percent='row'`` divides by the row total, ``'col'`` by the column
    total. ``total_label`` is user-facing: pass it translated for ``--lang en``.
    """
    labels = list(label_columns) if label_columns is not None else [
        c for c, t in frame.schema.items() if not t.is_numeric()]
    counts = [c for c in frame.columns if c not in labels]
    if threshold < 1 or not counts:
        raise ValueError("suppressie vraagt een drempel >= 1 en minstens één telkolom")
    if percent == "row" and not row_total or percent == "col" and not col_total:
        raise ValueError("percentages vragen het bijbehorende totaal in de tabel")
    values = frame.select(counts)
    if (not all(values.schema[c].is_integer() for c in counts)
            or values.null_count().sum_horizontal().item() or (values.min_horizontal() < 0).any()):
        raise ValueError("aantallen moeten gehele getallen >= 0 zijn, zonder lege cellen")
    columns = counts + ([total_label] if row_total else [])
    grid = [[int(v) for v in row] + ([sum(row)] if row_total else []) for row in values.iter_rows()]
    if col_total:
        grid.append([sum(row[j] for row in grid) for j in range(len(columns))])
    hidden, primary = suppress_grid(grid, threshold=threshold, row_total=row_total,
                                    col_total=col_total)

    label_rows = [list(r) for r in frame.select(labels).iter_rows()]
    if col_total:
        label_rows.append([total_label] + [""] * (len(labels) - 1) if labels else [])
    label_rows = [[None if v is None else str(v) for v in r] for r in label_rows]

    def text(i: int, j: int) -> str:
        if primary[i][j]:
            return f"<{threshold}"
        return SECONDARY if hidden[i][j] else formatting.integer(grid[i][j], locale)

    def share(i: int, j: int) -> str:
        di, dj = (i, len(grid[i]) - 1) if percent == "row" else (len(grid) - 1, j)
        if hidden[i][j] or hidden[di][dj]:
            return SECONDARY
        return formatting.pct(grid[i][j] / grid[di][dj] if grid[di][dj] else None, digits,
                              locale)

    def build(cell: Callable[[int, int], object]) -> pl.DataFrame:
        data = {name: [r[k] for r in label_rows] for k, name in enumerate(labels)}
        data |= {name: [cell(i, j) for i in range(len(grid))] for j, name in enumerate(columns)}
        return pl.DataFrame(data, schema_overrides={n: pl.String for n in labels})

    return SuppressedTable(
        display=build(text),
        mask=build(lambda i, j: hidden[i][j]),
        primary=build(lambda i, j: primary[i][j]),
        percent=build(share) if percent else None,
        threshold=threshold,
    )
