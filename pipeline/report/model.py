"""The report as data: chapters, sections, tables, figures and text, frozen once built.

Why frozen: a block is built once by its chapter and numbered once (``numbering``); no
later step changes what a chapter produced. A table keeps, per cell, the text the reader
sees *and* the number behind it, carried from where the cell was formatted
(``formatting.Printed``: the source value, unrounded), never read back from the text. So
the workbook writes counts as integers, shares as unrounded fractions and estimates as
floats, each shown with the report's decimals, and hidden cells as the text ``<5``/``x``
with no number at all (the same decision as in the report: the disclosure checkpoint's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from pipeline.outputs import Estimate, Share
from pipeline.report.formatting import MISSING, Printed

Number = int | Estimate | Share
Value = str | Number | tuple[Number, Number, Number] | None


@dataclass(frozen=True)
class TableCell:
    """One cell: the text shown and the typed value behind it.

    ``kind``: 'label', 'count' (``value`` an int), 'share' (a ``Share``), 'estimate' (an
    ``Estimate``), 'interval' (``value`` is (estimate, lower, upper), each typed; the
    estimate None for bounds alone), 'hidden'
    (``value`` is the mark itself: a hidden cell carries no number), 'text', 'missing'.
    """

    text: str
    value: Value
    kind: str

    def __post_init__(self) -> None:
        if self.kind == "hidden" and self.value != self.text:
            raise ValueError(f"een verborgen cel draagt geen getal: {self!r}")

    @property
    def published(self) -> bool:
        return self.kind != "hidden"


def _typed(kind: str, value: Any, digits: int) -> Number:
    if kind == "count":
        return int(value)
    if kind == "share":
        return Share(float(value), digits)
    return Estimate(float(value), digits, euro=kind == "euro")


def cell_of(item: str, *, label: bool = False, threshold: int = 5) -> TableCell:
    """The cell of what a chapter put in a table.

    A formatted number (``Printed``) carries its source value: the count 1234, the share
    2/3 unrounded, the estimate 26.6634, an interval's three numbers. The marks '<5' and
    'x' are hidden cells, '–' a missing value, any other text (a label, a sentence, a
    number pasted into text) stays text: nothing is parsed back from what was printed.
    """
    if isinstance(item, Printed):
        if item.kind == "bounds":  # an interval without its estimate
            return TableCell(item, (None, *(_typed("estimate", v, item.digits)
                                            for v in item.value)), "interval")
        if item.kind in ("interval", "share-interval"):
            inner = "share" if item.kind == "share-interval" else "estimate"
            return TableCell(item, tuple(_typed(inner, v, item.digits) for v in item.value),
                             "interval")
        kind = "estimate" if item.kind == "euro" else item.kind
        return TableCell(str(item), _typed(item.kind, item.value, item.digits), kind)
    text = str(item)
    if label:
        return TableCell(text, text, "label")
    if text in (f"<{threshold}", "x"):
        return TableCell(text, text, "hidden")
    if text in (MISSING, ""):
        return TableCell(text, None, "missing")
    return TableCell(text, text, "text")


@dataclass(frozen=True)
class Table:
    """A table: its cells (first column the row labels), footer lines and numbering."""

    key: str
    title: str
    columns: tuple[str, ...]
    cells: tuple[tuple[TableCell, ...], ...]
    numeric: tuple[bool, ...]
    n: str = ""
    notes: tuple[str, ...] = ()
    source: str = ""
    total_rows: int = 0  # trailing rows shown as totals
    kind: str = "table"
    number: str = ""
    label: str = ""
    anchor: str = ""

    @property
    def rows(self) -> list[list[str]]:
        return [[c.text for c in row] for row in self.cells]


@dataclass(frozen=True)
class Figure:
    """A chart: inline SVG and the plotted values as a table (its text alternative).

    ``chart`` is a ``charts.Chart`` or a chart still to be drawn
    (``parallel_charts.PendingChart``): SVG and table are read from it when shown. The
    first column is a label, not a number, when its header is one of ``label_columns``.
    """

    key: str
    title: str
    chart: Any = field(repr=False, compare=False)
    label_columns: frozenset[str] = frozenset()
    n: str = ""
    notes: tuple[str, ...] = ()
    source: str = ""
    kind: str = "figure"
    number: str = ""
    label: str = ""
    anchor: str = ""

    @property
    def svg(self) -> Markup:
        return Markup(self.chart.svg)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.chart.table.columns)

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(r) for r in self.chart.table.rows)

    @property
    def numeric(self) -> tuple[bool, ...]:
        return tuple(not (i == 0 and c in self.label_columns)
                     for i, c in enumerate(self.columns))


@dataclass(frozen=True)
class Text:
    """Prose, written by its chapter (``prose``): ``name`` is the layout macro of
    reports/templates/_blokken.j2 that shows it: 'alinea' ({"text"}), 'lijst' ({"items":
    [{"text", "sub"}], "style"}), 'opsomming' ({"items"}) or 'definities' ({"items":
    [(term, text)], "term_lang"}). A text is a str (escaped when shown) or Markup (trusted:
    a catalogue message with its values escaped, ``prose.markup``)."""

    name: str
    data: dict[str, Any] = field(default_factory=dict, hash=False)
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.name not in LAYOUTS:  # a name the template cannot show
            raise ValueError(f"geen opmaak voor tekstblok {self.name!r}")


LAYOUTS = ("alinea", "lijst", "opsomming", "definities")


Block = Table | Figure | Text


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    blocks: tuple[Block, ...]
    number: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class Chapter:
    key: str
    title: str
    sections: tuple[Section, ...]
    intro: tuple[Block, ...] = ()
    number: str = ""
    anchor: str = ""

    def blocks(self) -> Iterable[Block]:
        yield from self.intro
        for section in self.sections:
            yield from section.blocks


@dataclass(frozen=True)
class Report:
    chapters: tuple[Chapter, ...]
    appendices: Chapter
    key_figures: tuple[tuple[str, str], ...]
    refs: dict[str, str] = field(hash=False)  # block, section or chapter key -> its label
    anchors: dict[str, str] = field(hash=False)  # the same keys -> their anchor
    threshold: int = 5
    lang: str = "nl"
    norm_words: dict[str, str] = field(default_factory=dict, hash=False)
    checkpoint: Any = field(default=None, compare=False, hash=False)

    @property
    def all_chapters(self) -> list[Chapter]:
        return [*self.chapters, self.appendices]

    @property
    def tables(self) -> list[Table]:
        return [b for c in self.all_chapters for b in c.blocks() if isinstance(b, Table)]

    @property
    def figures(self) -> list[Figure]:
        return [b for c in self.all_chapters for b in c.blocks() if isinstance(b, Figure)]


def table_cells(rows: Sequence[Sequence[str | TableCell]], numeric: Sequence[bool], *,
                lang: str, threshold: int) -> tuple[tuple[TableCell, ...], ...]:
    """Cells from display rows (``cell_of``): the first column is the row labels unless a
    number was formatted for it; a ``TableCell`` given by the chapter is kept as it is.
    ``numeric`` and ``lang`` only shape the page (alignment), not the values."""
    del numeric, lang  # the value travels with the formatted number itself
    out = []
    for row in rows:
        cells = []
        for j, item in enumerate(row):
            if isinstance(item, TableCell):
                cells.append(item)
            else:
                cells.append(cell_of(item, label=j == 0 and not isinstance(item, Printed),
                                     threshold=threshold))
        out.append(tuple(cells))
    return tuple(out)
