"""The report as data: chapters, sections, tables, figures and text, frozen once built.

Why frozen: a block is built once by its chapter and numbered once (``numbering``); no
later step changes what a chapter produced. A table keeps, per cell, the text the reader
sees *and* the value behind it with its kind and whether it is published, so the workbook
writes counts, shares and estimates as numbers and hidden cells as the text ``<5``/``x``
(the same decision as in the report: the disclosure checkpoint's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from pipeline.outputs import Share

Value = str | int | float | Share | None

_NB = "\u00a0"
_PATTERNS = {
    "nl": (re.compile(r"-?\d{1,3}(?:\.\d{3})*"), re.compile(r"-?\d{1,3}(?:\.\d{3})*,\d+"),
           ".", ","),
    "en": (re.compile(r"-?\d{1,3}(?:,\d{3})*"), re.compile(r"-?\d{1,3}(?:,\d{3})*\.\d+"),
           ",", "."),
}


@dataclass(frozen=True)
class TableCell:
    """One cell: the text shown and the typed value behind it."""

    text: str
    value: Value
    kind: str  # 'label', 'count', 'share', 'estimate', 'hidden', 'text', 'missing'

    @property
    def published(self) -> bool:
        return self.kind != "hidden"


def cell_from_text(text: str, *, lang: str = "nl", label: bool = False,
                   threshold: int = 5) -> TableCell:
    """The typed cell of a formatted number as the report prints it.

    '1.234' is the count 1234, '78,7 %' the share 0.787, '26,66' the estimate 26.66; the
    marks '<5' and 'x' are hidden cells, '–' a missing value; anything else (a label, an
    estimate with its interval) stays text. The value is the number *as printed*: the
    workbook never holds a digit the report does not.
    """
    if label:
        return TableCell(text, text, "label")
    if text in (f"<{threshold}", "x"):
        return TableCell(text, text, "hidden")
    if text in ("–", ""):
        return TableCell(text, None, "missing")
    integer, decimal, group, point = _PATTERNS.get(lang, _PATTERNS["nl"])
    plain = text.replace(_NB, " ").strip()
    if plain.endswith("%"):
        number = plain[:-1].strip()
        if decimal.fullmatch(number) or integer.fullmatch(number):
            value = float(number.replace(group, "").replace(point, "."))
            digits = len(number.split(point)[1]) if point in number else 0
            return TableCell(text, Share(round(value / 100, digits + 2)), "share")
    if integer.fullmatch(plain):
        return TableCell(text, int(plain.replace(group, "")), "count")
    if decimal.fullmatch(plain):
        return TableCell(text, float(plain.replace(group, "").replace(point, ".")), "estimate")
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
    """A chart: inline SVG and the plotted values as a table (its text alternative)."""

    key: str
    title: str
    svg: Markup
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    n: str = ""
    notes: tuple[str, ...] = ()
    source: str = ""
    kind: str = "figure"
    number: str = ""
    label: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class Text:
    """Prose: ``name`` is a macro of reports/templates/_tekst.j2, or 'alinea'/'lijst'."""

    name: str
    data: dict[str, Any] = field(default_factory=dict, hash=False)
    kind: str = "text"


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
    """Cells from display rows: numeric columns typed (``cell_from_text``), others text;
    a ``TableCell`` given by the chapter is kept as it is."""
    out = []
    for row in rows:
        cells = []
        for j, item in enumerate(row):
            if isinstance(item, TableCell):
                cells.append(item)
            elif j == 0:
                cells.append(cell_from_text(item, label=True))
            elif not numeric[j]:  # a text column: only a plain number in it is a number
                cell = cell_from_text(item, lang=lang, threshold=threshold)
                cells.append(cell if cell.kind in ("count", "estimate", "share")
                             else TableCell(item, item, "text"))
            else:
                cells.append(cell_from_text(item, lang=lang, threshold=threshold))
        out.append(tuple(cells))
    return tuple(out)
