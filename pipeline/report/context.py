"""The context every chapter builds from, and the helpers the chapters share.

Conventions (for every chapter module):

* Every user-facing string is Dutch in the source and passes through ``ctx.t`` (the
  report language's gettext, ``i18n.Translator``) or is marked with ``N_`` where it is
  defined and translated where it is shown; tests/test_translation_catalogue.py scans the
  package for both (i18n.package_messages) and demands an English entry for each and no
  entry that nothing uses. A chapter's sentences with markup or citations are built with
  ``prose.markup`` (the message trusted, its values escaped), in the chapter's module.
* Counts of households (trajectories, registration rows) go through the disclosure
  checkpoint ``ctx.ck``: ``<5`` for a small cell, ``x`` for a cell hidden so that it
  cannot be derived. A count shown in several places names one ``fact``
  ("counts.closed") so it has one status. Counts of landlords, dwellings and FTE
  describe no household and are not suppressed.
* "Significant" is said only where p < ``ALPHA`` (0.05); every estimate is given with
  its confidence interval.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pipeline.report import charts, disclosure
from pipeline.report import formatting as fmt
from pipeline.report.disclosure import DEFAULT_THRESHOLD, SECONDARY, TOTAL
from pipeline.report.labels import (
    FILE_RULES,
    LEVELS,
    RULE_FAMILIES,
    UNKNOWN_REGION,
    VARIABLES,
)
from pipeline.report.model import (
    Figure,
    Table,
    Text,
    table_cells,
)
from pipeline.report.view import View

ALPHA = 0.05
SOURCE = "Bron: registratie preventieve woonbegeleiding, bewerking pwb."  # in the catalogue
HIDDEN = SECONDARY  # a published mark: 'x'

Translate = Callable[[str], str]


# --------------------------------------------------------------------------- labels


# --------------------------------------------------------------------------- published counts


class Counts:
    """Positional reading of one published grid: rows are the given labels, then the total
    row when ``col_total``; columns the count columns, then the row total (index -1) when
    ``row_total``. It decides nothing: every cell comes from the disclosure checkpoint."""

    def __init__(self, published: disclosure.Published, n_rows: int, n_cols: int, *,
                 row_total: bool, col_total: bool, locale: str) -> None:
        self.published = published
        self.rows: list[Any] = [*range(n_rows), *([TOTAL] if col_total else [])]
        self.cols: list[Any] = [*range(n_cols), *([TOTAL] if row_total else [])]
        self.locale = locale

    def cell(self, i: int, j: int) -> disclosure.Cell:
        return self.published[(self.rows[i], self.cols[j])]

    def share_cell(self, i: int, j: int) -> disclosure.Cell:
        return self.published[("%", self.rows[i], self.cols[j])]

    def count(self, i: int, j: int) -> str:
        return self.cell(i, j).text(lambda v: fmt.integer(v, self.locale))

    def hidden(self, i: int, j: int) -> bool:
        return self.cell(i, j).hidden

    def share(self, i: int, j: int) -> str:
        """The percentage ('x' where it rests on a hidden count)."""
        cell = self.share_cell(i, j)
        return fmt.pct(cell.raw, 1, self.locale) if cell.published else HIDDEN

    def mark_share(self, i: int, j: int) -> str:
        """The percentage, or '<5' where its count is small itself (tables of percentages
        only, so that a reader still sees which cells are small)."""
        return self.share_cell(i, j).text(lambda v: fmt.pct(v, 1, self.locale))

    def note(self, translate: Translate) -> str:
        return self.published.note(translate)


# --------------------------------------------------------------------------- the builder


def _decimals(value: float) -> int:
    """Digits after the decimal mark that a parameter such as 0.0165 or 27 needs."""
    return max(0, -int(decimal.Decimal(str(value)).normalize().as_tuple().exponent))


def _get(mapping: Mapping[str, Any] | None, *keys: str, default: Any = None) -> Any:
    """A nested value; ``default`` only where results.json may lack it (an optional key
    of the schema, or a null value): a required key that is missing raises (view.View)."""
    value: Any = mapping
    for key in keys:
        if not isinstance(value, Mapping):
            return default
        value = value.get(key)
    return default if value is None else value


class Context:
    """What every chapter builds from: results.json (``r``), the profile counts (``p``),
    the language (``t``, ``lang``), the threshold and its disclosure checkpoint (``ck``),
    and the formatting and block helpers the chapters share."""

    def __init__(self, results: Mapping[str, Any], profile: Mapping[str, Any] | None, *,
                 translate: Translate, lang: str = "nl", threshold: int = DEFAULT_THRESHOLD,
                 software: Mapping[str, str] | None = None) -> None:
        self.ck = disclosure.Checkpoint(threshold)
        self.r = results if isinstance(results, View) else View(results)
        self.p = profile
        self.t = translate
        self.lang = lang
        self.threshold = threshold
        self.software = dict(software or {})
        self.year = int(results["year"])
        per_caw = _get(results, "indicators", "per_caw", default=[])
        names = {row["caw"]: row.get("naam") or row["caw"] for row in per_caw}
        codes = list(names)
        for code in (profile or {}).get("regions", []):
            if code not in names:
                codes.append(code)
                names[code] = code
        self.region_codes = codes
        self.region_names = names
        # The norms in titles and sentences come from the run (a changed norm changes them).
        norms = _get(results, "indicators", "norms", default={})
        self.norm_words = {
            "clients_norm": self._norm(norms.get("clients_per_fte"), 27),
            "caseload_norm": self._norm(norms.get("caseload_per_fte"), 20),
            "months_norm": self._norm(norms.get("duration_months"), 9)}

    def _norm(self, value: Any, circular: float) -> str:
        value = circular if value is None else value
        return self.dec(value, _decimals(value))

    # ---- formatting

    def num(self, value: Any) -> str:
        return fmt.integer(value, self.lang)

    def dec(self, value: Any, digits: int = 1) -> str:
        return fmt.dec(value, digits, self.lang)

    def pct(self, value: Any, digits: int = 1) -> str:
        return fmt.pct(value, digits, self.lang)

    def pval(self, value: Any) -> str:
        return fmt.pvalue(value, self.lang, prefix=False)

    def ci(self, est: Any, bounds: Sequence[Any] | None, digits: int = 2) -> str:
        lo, hi = (bounds or [None, None])[:2]
        return fmt.ci(est, lo, hi, digits, self.lang)

    def bounds(self, bounds: Sequence[Any] | None, digits: int = 2) -> str:
        """'0,76–0,91': an interval without its estimate (limits, quartiles)."""
        lo, hi = (bounds or [None, None])[:2]
        return fmt.bounds(lo, hi, digits, self.lang)

    def pct_ci(self, est: Any, bounds: Sequence[Any] | None) -> str:
        """'66,4 % (63,8–68,9)': a share with its interval in percentage points."""
        lo, hi = (bounds or [None, None])[:2]
        return fmt.pct_ci(est, lo, hi, 1, self.lang)

    def count(self, fact: str, n: Any) -> str:
        """One count of households on its own, as the checkpoint publishes it."""
        if n is None:
            return fmt.MISSING
        return self.ck.count(fact, n).text(self.num)

    def enough(self, fact: str, n: Any) -> bool:
        """A median, curve, mean or model on these trajectories may be published: their
        count is published and at least the threshold (fewer would describe households)."""
        if n is None:
            return False
        cell = self.ck.count(fact, n)
        return cell.published and int(n) >= self.threshold

    @staticmethod
    def estimated(terms: Sequence[Mapping[str, Any]]) -> bool:
        return any(x["term"] != "(Intercept)" and x.get("p") is not None for x in terms)

    def not_estimated(self, model: str) -> Text:
        return self.para(self.t("Het %(model)s kon met deze gegevens niet geschat worden (te "
                                "weinig trajecten of geen variatie); zie de technische "
                                "meldingen in bijlage %(b)s.") % {
            "model": self.t(model), "b": "{ref:bijlage:kwaliteit}"})

    def yes_no(self, value: Any) -> str:
        if value is None:
            return fmt.MISSING
        return self.t("ja") if value else self.t("nee")

    def region(self, code: str) -> str:
        if code == UNKNOWN_REGION:
            return self.t("Onbekende of ongeldige regio")
        return self.region_names.get(code, code)

    def variable(self, name: str) -> str:
        return self.t(VARIABLES[name]) if name in VARIABLES else name

    def level(self, variable: str, code: str) -> str:
        """A display label for a level code of a profile variable."""
        if code == "onbekend" or code is None:
            return self.t(LEVELS["onbekend"])
        if variable == "leeftijdsklasse":
            if code.endswith("+"):
                return self.t("%(age)s jaar of ouder") % {"age": code[:-1]}
            return self.t("%(band)s jaar") % {"band": code.replace("-", "–")}
        if variable == "huurachterstand_klasse":
            if code.endswith("+"):
                return self.t("%(amount)s of meer") % {
                    "amount": fmt.euro(int(code[:-1]), locale=self.lang)}
            lo, hi = (int(v) for v in code.split("-"))
            return f"{fmt.euro(lo, locale=self.lang)}–{self.num(hi)}"
        if variable in ("huisbezoeken_klasse", "aantal_problemen"):
            if code.endswith("+"):
                return self.t("%(n)s of meer") % {"n": code[:-1]}
            return code.replace("-", "–")
        return self.t(LEVELS[code]) if code in LEVELS else code

    def n_line(self, n: Any, unit: str, *, fact: str | None = None, **values: Any) -> str:
        """'n = 2.700 actieve trajecten' (``unit`` is a message with %(n)s).

        A count of households names its ``fact`` and is published through the checkpoint;
        counts without a fact (files, regions, landlords) describe no household.
        """
        return self.t(unit) % {"n": self.num(n) if fact is None else self.count(fact, n),
                               **values}

    # ---- blocks

    def table(self, key: str, title: str, columns: list[str], rows: list[list[str]], *,
              n: str = "", notes: Iterable[str] = (), grids: Iterable[Counts] = (),
              source: str | None = None, numeric: list[bool] | None = None,
              total_rows: int = 0, shares: bool = False) -> Table:
        """A numbered table; ``grids`` add the suppression legend, ``shares`` that its
        percentage cells may carry the small-count mark (Counts.mark_share)."""
        notes = [x for x in notes if x]
        for grid in grids:
            note = grid.note(self.t)
            if note and note not in notes:
                notes.append(note)
        small = f"<{self.threshold}"
        if shares and any(cell == small for row in rows for cell in row[1:]):
            notes.append(self.t("In een kolom met percentages betekent '<%(t)s' dat het "
                                "percentage op minder dan %(t)s trajecten rust.") % {
                "t": self.threshold})
        numeric = numeric or [False] + [True] * (len(columns) - 1)
        return Table(key=key, title=title, columns=tuple(columns),
                     cells=table_cells(rows, numeric, lang=self.lang,
                                       threshold=self.threshold),
                     numeric=tuple(numeric), n=n, notes=tuple(notes),
                     source=self.t(source or SOURCE), total_rows=total_rows)

    def figure(self, key: str, title: str, chart: charts.Chart, *, n: str = "",
               notes: Iterable[str] = (), source: str | None = None) -> Figure:
        labels = frozenset((self.t("Categorie"), self.t("Groep"), self.t("Kenmerk")))
        return Figure(key=key, title=title, chart=chart, label_columns=labels,
                      n=n, notes=tuple(x for x in notes if x), source=self.t(source or SOURCE))

    def para(self, text: str) -> Text:
        return Text("alinea", {"text": text})

    def grid(self, key: str, labels: Sequence[str], columns: Sequence[Sequence[int]], *,
             row_total: bool = True, col_total: bool = True, percent: str | None = None,
             facts: Mapping[tuple[int, int], str | None] | None = None,
             extra: Callable[[disclosure.Spec], None] | None = None) -> Counts:
        """Publish a grid of counts (``columns[j][i]``) through the checkpoint. ``facts``
        names counts shared with other tables by position (totals at index len); a name
        whose registered value differs is left unlinked. ``extra`` declares numbers
        derived from the grid (sums, shares) before it is decided."""
        spec = disclosure.Spec(key)
        n_rows, n_cols = len(labels), len(columns)
        named: dict[Any, str] = {}
        for (i, j), name in (facts or {}).items():
            r = TOTAL if i == n_rows else i
            c = TOTAL if j == n_cols else j
            values = [[int(v or 0) for v in col] for col in columns]
            if r == TOTAL and c == TOTAL:
                value = sum(map(sum, values))
            elif r == TOTAL:
                value = sum(values[c])
            elif c == TOTAL:
                value = sum(col[r] for col in values)
            else:
                value = values[c][r]
            if name and (linked := self.ck.fact(name, value)):
                named[(r, c)] = linked
        spec.grid(list(range(n_rows)), list(range(n_cols)),
                  [[int(columns[j][i] or 0) for j in range(n_cols)] for i in range(n_rows)],
                  row_total=row_total, col_total=col_total, percent=percent, facts=named)
        if extra is not None:
            extra(spec)
        return Counts(self.ck.publish(spec), n_rows, n_cols, row_total=row_total,
                      col_total=col_total, locale=self.lang)

    # ---- the report

    def rule(self, name: str) -> str:
        family, _, column = name.partition(":")
        text = self.t(RULE_FAMILIES[family]) if family in RULE_FAMILIES else family
        return f"{text} ({column})" if column else text

    def file_rule(self, name: str | None) -> str:
        return self.t(FILE_RULES[name]) if name in FILE_RULES else (name or fmt.MISSING)


    @staticmethod
    def population_facts(pop: str, variable: str, levels: Sequence[str],
                         codes: Sequence[str]) -> dict[tuple[int, int], str | None]:
        """Shared counts of a levels x regions table of population ``pop`` ('active',
        'closed', 'active_arrears'): the level totals, the n per region and the grand n."""
        facts: dict[tuple[int, int], str | None] = {
            (i, len(codes)): f"{pop}.{variable}.{lv}" for i, lv in enumerate(levels)}
        facts |= {(len(levels), j): f"{pop}.n.{c}" for j, c in enumerate(codes)}
        grand = {"active": "counts.active", "closed": "counts.closed"}.get(pop, f"{pop}.n")
        facts[(len(levels), len(codes))] = grand
        return facts

    def crosstab(self, key: str, variable: str, tab: Mapping[str, Any], *, title: str,
                 unit: str, population: int, pop: str = "active"
                 ) -> tuple[Counts, Table, list[str]]:
        """Levels x regions as column percentages, the counts suppressed, n per region."""
        levels = tab["levels"]
        codes = [c for c in self.region_codes if c in tab["regions"]] + [
            c for c in tab["regions"] if c not in self.region_codes]
        grid = self.grid(key, levels, [tab["regions"][c] for c in codes], percent="col",
                         facts=self.population_facts(pop, variable, levels, codes))
        rows = [[self.level(variable, lv)] + [grid.mark_share(i, j)
                                              for j in range(len(codes) + 1)]
                for i, lv in enumerate(levels)]
        last = len(levels)
        rows.append([self.t("Aantal (n)")] + [grid.count(last, j) for j in range(len(codes) + 1)])
        table = self.table(key, title, [self.variable(variable), *codes, self.t("Totaal")],
                           rows, grids=[grid], total_rows=1, shares=True,
                           n=self.n_line(population, unit, fact=self.population_facts(
                               pop, variable, levels, codes)[(len(levels), len(codes))]),
                           notes=[self.t("Kolompercentages per regio; de laatste rij geeft het "
                                         "aantal trajecten. Regiocodes: zie %(ref)s.") % {
                                             "ref": "{ref:regios}"}])
        return grid, table, codes

    def distribution_figure(self, key: str, variable: str, tab: Mapping[str, Any], *,
                            title: str, n: str, pop: str) -> Figure:
        """Bars of the level totals over all regions: the same published cells as the
        total column of the variable's table (shared facts)."""
        levels = tab["levels"]
        codes = list(tab["regions"])
        totals = [sum(tab["regions"][c][i] for c in codes) for i in range(len(levels))]
        facts = self.population_facts(pop, variable, levels, codes)
        grid = self.grid(key, levels, [totals], row_total=False, percent="col",
                         facts={(i, 0): facts[(i, len(codes))] for i in range(len(levels))}
                         | {(len(levels), 0): facts[(len(levels), len(codes))]})
        labels = [self.level(variable, lv) for lv in levels]
        chart = charts.bar_chart(labels, [grid.cell(i, 0) for i in range(len(levels))],
                                 [grid.share_cell(i, 0) for i in range(len(levels))],
                                 total=grid.cell(len(levels), 0), locale=self.lang,
                                 translate=self.t, alt=title,
                                 chart_id=f"fig-{key}")
        return self.figure(key, title, chart, n=n)


    @staticmethod
    def observed(curve: Mapping[str, Any], keys: Sequence[str]) -> dict[str, list[Any]]:
        """The curve up to its last grid day with all ``keys`` observed (None = beyond)."""
        days = list(curve.get("days") or [])
        keep = 0
        for i in range(len(days)):
            if any(curve[k][i] is None for k in keys):
                break
            keep = i + 1
        return {k: list(curve[k][:keep]) for k in ["days", *keys]}


    # ---- model terms


    def per_caw(self) -> list[dict[str, Any]]:
        rows = _get(self.r, "indicators", "per_caw", default=[])
        order = {c: i for i, c in enumerate(self.region_codes)}
        return sorted(rows, key=lambda row: order.get(row["caw"], len(order)))

    def active_grid(self) -> Counts:
        """Active trajectories per region: published once (table 'norm'), read by the
        chapters 6 and 7 and the key figures from the checkpoint."""
        rows = self.per_caw()
        published = self.ck.table("norm")
        if published is not None:
            return Counts(published, len(rows), 1, row_total=False, col_total=True,
                          locale=self.lang)
        return self.grid("norm", [r["caw"] for r in rows],
                         [[r.get("active") or 0 for r in rows]], row_total=False,
                         facts={(i, 0): f"active.n.{r['caw']}" for i, r in enumerate(rows)}
                         | {(len(rows), 0): "counts.active"})

    def hidden_active(self) -> set[str]:
        """Regions whose number of active trajectories is not published."""
        grid = self.active_grid()
        return {row["caw"] for i, row in enumerate(self.per_caw()) if grid.hidden(i, 0)}


    def illustrative_note(self) -> str:
        if _get(self.r, "data", "illustrative_reference"):
            return self.t("De personeels- en verhuurdersgegevens zijn illustratief (meegeleverd "
                          "met pwb), geen werkelijke cijfers.")
        return ""


    # =========================================================================== 8


    def p_eq(self, p: Any) -> str:
        """'p = 0,042' or 'p < 0,001', unbreakable."""
        return fmt.pvalue(p, self.lang)
