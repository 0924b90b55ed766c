"""The yearly report as data: ``build_report`` assembles the chapters and numbers them.

Why this shape: each chapter is a module of ``pipeline.report.chapters`` with
``build(ctx) -> Chapter``, building from one ``context.Context`` (results, profile,
language, threshold, the disclosure checkpoint). This module only puts them in order,
lets the conclusions cite tables by placeholder, runs the disclosure audit, and numbers
everything once (``numbering``). Each chapter writes its whole text (``prose``: the
message trusted markup, its values escaped); the templates keep only the layout: they
walk ``Report.chapters`` and render each block.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.outputs import Sheet
from pipeline.report import blocks, numbering, parallel_charts
from pipeline.report.chapters import (
    besluit,
    bijlagen,
    evolutie,
    inleiding,
    methode,
    modellen,
    profiel,
    regio,
    resultaten,
    verloop,
    vraag,
)
from pipeline.report.context import SOURCE, Context, Counts, Translate
from pipeline.report.disclosure import DEFAULT_THRESHOLD, protected
from pipeline.report.model import Chapter, Figure, Report, Section, Table, Text

SOFTWARE = ("pwb", "polars", "numpy", "scipy", "statsmodels", "matplotlib", "jinja2", "babel",
            "great-expectations", "dagster")
CHAPTERS = (inleiding, methode, profiel, verloop, resultaten, regio, evolutie, vraag)
MODULES = (blocks, *CHAPTERS, modellen, besluit, bijlagen)

__all__ = ["SOURCE", "Builder", "Chapter", "Counts", "Figure", "Report", "Section", "Table",
           "Text", "build_report", "software_versions", "workbook_sheets"]


class Builder(Context):
    """The report's builder: ``build()`` gives the numbered Report. A chapter's function
    can be called on it by name (``builder.results_avoided()``), for tests and scripts."""

    def __getattr__(self, name: str) -> Any:
        for module in MODULES:
            function = getattr(module, name, None)
            if callable(function) and not name.startswith("_"):
                return functools.partial(function, self)
        raise AttributeError(name)

    def build(self) -> Report:
        chapters = [module.build(self) for module in CHAPTERS]
        appendices = Chapter("bijlagen", self.t("Bijlagen"), bijlagen.appendix_sections(self))
        # the conclusions cite tables by placeholder; numbering resolves them once
        keys = {b.key: numbering.placeholder(b.key)
                for c in [*chapters, appendices] for b in c.blocks() if not isinstance(b, Text)}
        chapters.append(Chapter("besluit", self.t("Besluit"),
                                besluit.chapter_conclusions(self, keys)))
        key_figures = besluit.key_figures(self)
        self.ck.verify()  # the audit: no hidden count follows from what is published
        numbered, appendix, refs, anchors = numbering.number(chapters, appendices, self.t)
        return Report(chapters=tuple(numbered), appendices=appendix,
                      key_figures=tuple(key_figures), refs=refs, anchors=anchors,
                      threshold=self.threshold, lang=self.lang, norm_words=self.norm_words,
                      checkpoint=self.ck)


def software_versions(packages: Iterable[str] = SOFTWARE) -> dict[str, str]:
    """Python and the installed versions of the packages the numbers depend on (no network)."""
    versions = {"Python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def workbook_sheets(report: Report) -> dict[str, Sheet]:
    """One sheet per numbered table of the report ('Tabel 3.1'): its headers and typed
    cells as the report's cells carry them (counts as int, shares as unrounded ``Share``,
    estimates as unrounded ``Estimate``, each shown with the report's decimals; labels and
    the hidden marks '<5' / 'x' as text, with no number behind them), with the title, the
    n, the table's notes (the legend of the marks) and the source in note rows. A column
    of estimates with their interval ('0,83 (0,76–0,91)') becomes three columns: the
    estimate, its lower and its upper bound; a column of bounds alone ('0,76–0,91', a
    mark or '–' in their place) two. Render in Dutch for Dutch headers."""
    lower, upper = "ondergrens", "bovengrens"
    sheets: dict[str, Sheet] = {}
    for table in report.tables:
        headers: list[str] = []
        for column in table.columns:
            name, k = column or "-", 2
            while name in headers:
                name, k = f"{column} ({k})", k + 1
            headers.append(name)
        spans = {j for row in table.cells for j, c in enumerate(row) if c.kind == "interval"}
        alone = {j for j in spans  # bounds without an estimate: two columns, not three
                 if all(r[j].kind != "interval" or r[j].value[0] is None for r in table.cells)}
        rows = []
        for cells in table.cells:
            row: dict[str, Any] = {}
            for j, (header, cell) in enumerate(zip(headers, cells, strict=True)):
                if j not in spans:
                    row[header] = cell.value
                    continue
                est, lo, hi = cell.value if cell.kind == "interval" else (
                    cell.value, None, None)
                if j in alone:
                    lo = cell.value if cell.kind != "interval" else lo
                else:
                    row[header] = est
                row |= {f"{header} ({lower})": lo, f"{header} ({upper})": hi}
            rows.append(row)
        sheets[table.label] = Sheet(rows, tuple(x for x in (table.title, table.n,
                                                            *table.notes, table.source) if x))
    return sheets


def build_report(results: Mapping[str, Any], profile: Mapping[str, Any] | None, *,
                 translate: Translate, lang: str = "nl", threshold: int = DEFAULT_THRESHOLD,
                 software: Mapping[str, str] | None = None) -> Report:
    """The report's view-model (see the module docstring). Built again, hiding more,
    when a table could not be protected otherwise (``disclosure.protected``)."""

    pending: list[parallel_charts.PendingChart] = []

    def attempt(hide_facts: frozenset[str]) -> Report:
        builder = Builder(results, profile, translate=translate, lang=lang,
                          threshold=threshold, software=software)
        builder.ck.hide_facts = hide_facts
        with parallel_charts.drawn_later() as charts_of_attempt:
            report = builder.build()
        pending[:] = charts_of_attempt  # a report built again draws only its own charts
        return report

    report = protected(attempt)
    parallel_charts.draw(pending)  # on both cores, now that every chart is known
    return report
