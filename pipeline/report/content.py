"""The yearly report as view-models: numbered chapters, sections, tables and figures.

Why a layer between results.json and the template: the report's numbers need logic that
does not belong in Jinja. Every count of households is published through one disclosure
checkpoint (``disclosure.Checkpoint``, threshold a setting): tables, the prose's numbers,
key figures and charts read the cells it decided, and ``build`` ends with its audit, which
raises when a hidden count follows from what is published; numbering tables
and figures per chapter ("Tabel 3.1", "Figuur 4.2") so that text can refer to them; and
the direction- and significance-aware sentences of the conclusions. The template keeps
the fixed prose and the layout: it walks ``Report.chapters`` and renders each block.

Conventions:

* Every user-facing string is Dutch in the source and passes through ``t`` (the report
  language's gettext, ``i18n.Translator``) or is marked with ``N_`` where it is defined
  and translated where it is shown; tests/test_report.py scans this module for both and
  demands an English entry for each.
* Counts of households (trajectories, registration rows) go through the checkpoint:
  ``<5`` for a small cell, ``x`` for a cell hidden so that it cannot be derived. A count
  shown in several places names one ``fact`` ("counts.closed") so it has one status.
  Counts of landlords, dwellings and FTE describe no household and are not suppressed.
* "Significant" is said only where p < ``ALPHA`` (0.05); every estimate is given with
  its confidence interval.
"""

from __future__ import annotations

import decimal
import importlib.metadata
import platform
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from pipeline.outputs import Sheet
from pipeline.report import charts, disclosure, numbering
from pipeline.report import formatting as fmt
from pipeline.report.disclosure import DEFAULT_THRESHOLD, SECONDARY, TOTAL
from pipeline.report.model import (
    Block,
    Chapter,
    Figure,
    Report,
    Section,
    Table,
    Text,
    table_cells,
)

ALPHA = 0.05
SOURCE = "Bron: registratie preventieve woonbegeleiding, bewerking pwb."  # in the catalogue
HIDDEN = SECONDARY  # a published mark: 'x'
SOFTWARE = ("pwb", "polars", "numpy", "scipy", "statsmodels", "matplotlib", "jinja2", "babel",
            "great-expectations", "dagster")

Translate = Callable[[str], str]


def N_(text: str) -> str:
    """Mark a Dutch message for the catalogue; it is translated where it is shown."""
    return text


def software_versions(packages: Iterable[str] = SOFTWARE) -> dict[str, str]:
    """Python and the installed versions of the packages the numbers depend on (no network)."""
    versions = {"Python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


# --------------------------------------------------------------------------- labels

VARIABLES = {
    "caw": N_("CAW-regio"),
    "verhuurder_type": N_("Type verhuurder"),
    "gezinstype": N_("Gezinstype"),
    "inkomensbron": N_("Belangrijkste inkomensbron"),
    "leeftijdsklasse": N_("Leeftijd"),
    "leeftijd": N_("Leeftijd (per jaar)"),
    "geslacht": N_("Geslacht"),
    "aanmelder": N_("Aanmelder"),
    "procedure_gestart": N_("Procedure tot uithuiszetting gestart bij aanmelding"),
    "probleem_huurachterstand": N_("Huurachterstand bij aanmelding"),
    "probleem_onderhoud": N_("Problemen met het onderhoud van de woning"),
    "probleem_samenleven": N_("Problemen met samenleven"),
    "aantal_problemen": N_("Aantal probleemgebieden bij aanmelding"),
    "huurachterstand_klasse": N_("Hoogte van de huurachterstand"),
    "schuldbemiddeling": N_("Schuldbemiddeling of budgetbeheer"),
    "huisbezoeken_klasse": N_("Aantal huisbezoeken"),
    "doorverwezen": N_("Doorverwezen naar gespecialiseerde hulp"),
    "nazorg": N_("Nazorg afgesproken"),
    "afsluitreden": N_("Reden van afsluiting"),
    "handelingsdoelen": N_("Handelingsdoelen bij afsluiting"),
    "uithuiszetting_vermeden": N_("Uithuiszetting vermeden"),
}
LEVELS = {
    "SHM": N_("SHM (sociale huisvestingsmaatschappij)"),
    "SVK": N_("SVK (sociaal verhuurkantoor)"),
    "alleenstaand": N_("Alleenstaand"), "eenoudergezin": N_("Eenoudergezin"),
    "koppel_zonder_kinderen": N_("Koppel zonder kinderen"),
    "koppel_met_kinderen": N_("Koppel met kinderen"), "andere": N_("Andere"),
    "arbeid": N_("Arbeid"), "werkloosheid": N_("Werkloosheidsuitkering"),
    "ziekte_invaliditeit": N_("Ziekte- of invaliditeitsuitkering"),
    "pensioen": N_("Pensioen"), "leefloon": N_("Leefloon"), "geen": N_("Geen inkomen"),
    "m": N_("Man"), "v": N_("Vrouw"), "x": N_("X (genderneutraal)"),
    "shm": N_("Sociale huisvestingsmaatschappij"), "svk": N_("Sociaal verhuurkantoor"),
    "ocmw": N_("OCMW"), "caw": N_("CAW"), "politie": N_("Politie"),
    "huurder": N_("Huurder zelf"),
    "ja": N_("Ja"), "nee": N_("Nee"), "onbekend": N_("Onbekend"),
    "doelen_bereikt": N_("Doelen bereikt"), "voortijdig_gestopt": N_("Voortijdig gestopt"),
    "verhuisd": N_("Verhuisd"), "uithuisgezet": N_("Uithuisgezet"),
    "doorverwezen": N_("Doorverwezen"), "overleden": N_("Overleden"),
    "bereikt": N_("Bereikt"), "gedeeltelijk": N_("Gedeeltelijk bereikt"),
    "niet_bereikt": N_("Niet bereikt"),
}
OUTCOME_LABELS = {"vermeden": N_("Uithuiszetting vermeden"), "uithuisgezet": N_("Uithuisgezet"),
                  "ander": N_("Andere afsluiting")}
RULE_FAMILIES = {
    "verplicht": N_("verplichte kolom is leeg"),
    "afsluiting_ontbreekt": N_("afgesloten dossier zonder verplicht afsluitgegeven"),
    "afsluiting_bij_open_dossier": N_("open dossier met een afsluitgegeven"),
    "onleesbaar": N_("waarde onleesbaar (datum, getal of ja/nee)"),
    "code": N_("geen toegelaten code"),
    "bereik": N_("waarde buiten het toegelaten bereik"),
    "datumbereik": N_("datum in de toekomst of vóór 2002"),
    "volgorde": N_("datums in de verkeerde volgorde"),
    "contacten_huisbezoeken": N_("minder contacten dan huisbezoeken"),
    "uithuisgezet_niet_vermeden": N_("uithuisgezet, maar uithuiszetting vermeden is niet nee"),
    "dubbel_dossier": N_("dossiernummer komt meer dan eens voor in de regio"),
}
FILE_RULES = {
    "onleesbaar_bestand": N_("het bestand kan niet gelezen worden"),
    "verplichte_kolom_ontbreekt": N_("een verplichte kolom ontbreekt"),
    "dubbele_kolomnaam": N_("een kolomnaam komt meer dan eens voor"),
    "persoonsgegevens": N_("het bestand bevat persoonsgegevens"),
    "onbekend_bestandstype": N_("het bestandstype wordt niet ondersteund"),
    "leeg_bestand": N_("het bestand bevat geen kolomkoppen"),
}
MODEL_NAMES = {"time_to_closure": N_("Kaplan–Meier en log-rank"),
               "cox": N_("Cox-model"), "cumulative_incidence": N_("Cumulatieve incidentie"),
               "eviction_avoided": N_("Logistisch model")}
UNKNOWN_REGION = "?"


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
    value: Any = mapping
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return default if value is None else value


class Builder:
    """Builds the Report from results.json (``r``) and the profile counts (``p``)."""

    def __init__(self, results: Mapping[str, Any], profile: Mapping[str, Any] | None, *,
                 translate: Translate, lang: str = "nl", threshold: int = DEFAULT_THRESHOLD,
                 software: Mapping[str, str] | None = None) -> None:
        self.ck = disclosure.Checkpoint(threshold)
        self.r = results
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

    def pct_ci(self, est: Any, bounds: Sequence[Any] | None) -> str:
        """'66,4 % (63,8–68,9)': a share with its interval in percentage points."""
        lo, hi = (bounds or [None, None])[:2]
        if est is None:
            return fmt.MISSING
        if lo is None or hi is None:
            return self.pct(est)
        return f"{self.pct(est)} ({self.dec(lo * 100)}–{self.dec(hi * 100)})"

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
                                "meldingen in bijlage B.") % {"model": self.t(model)})

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
        columns = list(chart.table.columns)
        numeric = [not (i == 0 and c in (self.t("Categorie"), self.t("Groep"),
                                         self.t("Kenmerk"))) for i, c in enumerate(columns)]
        return Figure(key=key, title=title, svg=Markup(chart.svg), columns=tuple(columns),
                      rows=tuple(tuple(r) for r in chart.table.rows), numeric=tuple(numeric),
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

    def build(self) -> Report:
        chapters = [
            Chapter("inleiding", self.t("Inleiding"), self.chapter_intro()),
            Chapter("methode", self.t("Gegevens en methode"), self.chapter_methods()),
            Chapter("profiel", self.t("Profiel van de doelgroep"), self.chapter_profile(),
                    intro=self.profile_intro()),
            Chapter("verloop", self.t("Verloop van de begeleiding"), self.chapter_course()),
            Chapter("resultaten", self.t("Resultaten"), self.chapter_results()),
            Chapter("regio", self.t("Resultaten per CAW-regio"), self.chapter_regions()),
            Chapter("vraag", self.t("Vraag en aanbod"), self.chapter_need()),
            Chapter("besluit", self.t("Besluit"), []),
        ]
        appendices = Chapter("bijlagen", self.t("Bijlagen"), self.appendix_sections(),
                             appendix=True)
        # the conclusions cite tables by placeholder; numbering resolves them once
        keys = {b.key: numbering.placeholder(b.key)
                for c in [*chapters, appendices] for b in c.blocks() if not isinstance(b, Text)}
        chapters[-1] = Chapter("besluit", self.t("Besluit"), self.chapter_conclusions(keys))
        key_figures = self.key_figures()
        self.ck.verify()  # the audit: no hidden count follows from what is published
        numbered, appendix, refs, anchors = numbering.number(chapters, appendices, self.t)
        return Report(chapters=tuple(numbered), appendices=appendix,
                      key_figures=tuple(key_figures), refs=refs, anchors=anchors,
                      threshold=self.threshold, lang=self.lang, norm_words=self.norm_words,
                      checkpoint=self.ck)

    # ---- key figures (first page)

    def key_figures(self) -> list[tuple[str, str]]:
        """The first page's figures: every one read from a published cell (the same cell
        as in its table), so a key figure is hidden whenever its table hides it."""
        counts = self.r.get("counts", {})
        overall = _get(self.r, "indicators", "overall", default={})
        tc = self.r.get("time_to_closure", {})
        need = _get(self.r, "need_supply", "overall", default={})
        avoided = getattr(self, "avoided", None)
        rate = avoided["cell"].text(self.pct) if avoided else fmt.MISSING
        median = (self.t("%(d)s dagen") % {"d": self.num(tc.get("median_days"))}
                  if self.enough("counts.active", tc.get("n")) else HIDDEN)
        active = self.active_grid().cell(len(self.per_caw()), 0)
        clients = active.text(lambda _: self.dec(overall.get("clients_per_fte")))
        return [
            (self.t("Actieve trajecten"), self.count("counts.active", counts.get("active"))),
            (self.t("Afgesloten trajecten"), self.count("counts.closed", counts.get("closed"))),
            (self.t("Uithuiszetting vermeden"), rate),
            (self.t("Mediane duur tot afsluiting"), median),
            (self.t("Cliënten per VTE (norm %(clients_norm)s)") % self.norm_words, clients),
            (self.t("Dekking van de nood aan VTE"), self.pct(need.get("coverage"), 0)),
        ]

    # =========================================================================== 1

    def chapter_intro(self) -> list[Section]:
        ind = self.r.get("indicators", {})
        norms = ind.get("norms", {})
        params = _get(self.r, "need_supply", "parameters", default={})
        rows = [
            [self.t("Cliënten per VTE per jaar (minimum)"),
             self.dec(norms.get("clients_per_fte"), 0)],
            [self.t("Gelijktijdige begeleidingen per begeleider (gemiddeld)"),
             self.dec(norms.get("caseload_per_fte"), 0)],
            [self.t("Gemiddelde begeleidingsduur (maanden)"),
             self.dec(norms.get("duration_months"), 0)],
            [self.t("Begeleidingen per begeleider per jaar"),
             self.dec(norms.get("supports_per_fte_year"), 2)],
            [self.t("Risico op uithuiszetting, huurders van een SVK"),
             self.pct(params.get("risk_svk"), 2)],
            [self.t("Risico op uithuiszetting, huurders van een SHM"),
             self.pct(params.get("risk_shm"), 2)],
            [self.t("Risico op uithuiszetting, SHM-huurders in Gent en Antwerpen"),
             self.pct(params.get("risk_shm_big_city"), 2)],
            [self.t("Kost van één VTE per jaar"),
             fmt.euro(params.get("cost_per_fte"), locale=self.lang)],
        ]
        tranches: dict[str, list[float]] = {}
        for row in _get(ind, "extra_fte", "per_reinforcement", default=[]):
            tranche = tranches.setdefault(row["vanaf"], [0.0, row.get("budget_eur") or 0.0])
            tranche[0] += row.get("extra_fte") or 0.0
        for start, (fte, budget) in sorted(tranches.items()):
            rows.append([self.t("Extra VTE vanaf %(date)s (%(budget)s per jaar)") % {
                "date": fmt.short_date(start, self.lang),
                "budget": fmt.euro(budget, locale=self.lang)}, self.dec(fte, 2)])
        norms_table = self.table(
            "normen", self.t("Normen en parameters van de omzendbrief van 2012"),
            [self.t("Norm of parameter"), self.t("Waarde")], rows,
            source=N_("Bron: omzendbrief preventieve woonbegeleiding (2012); referentiegegevens "
                   "van pwb."))
        return [
            Section("aanleiding", self.t("Aanleiding: de omzendbrief van 2012"),
                    [Text("inleiding_omzendbrief"), norms_table]),
            Section("vragen", self.t("Onderzoeksvragen"), [Text("inleiding_vragen")]),
            Section("leeswijzer", self.t("Leeswijzer"), [Text("inleiding_leeswijzer")]),
        ]

    # =========================================================================== 2

    def chapter_methods(self) -> list[Section]:
        return [
            Section("bronnen", self.t("Bronnen"), self.methods_sources()),
            Section("formaat", self.t("Het registratieformaat"), [Text("methode_formaat")]),
            Section("validatie", self.t("Validatie en boekhouding van de rijen"),
                    self.methods_validation()),
            Section("definities", self.t("Definities"), self.methods_definitions()),
            Section("statistiek", self.t("Statistische methoden"), self.methods_statistics()),
            Section("software", self.t("Software"), self.methods_software()),
        ]

    def methods_sources(self) -> list[Block]:
        regions = self.table(
            "regios", self.t("De CAW-regio's van de omzendbrief"),
            [self.t("Code"), self.t("CAW-regio")],
            [[code, self.region(code)] for code in self.region_codes],
            numeric=[False, False],
            n=self.n_line(len(self.region_codes), N_("n = %(n)s regio's")),
            source=N_("Bron: referentiegegevens van pwb (caw_regios.csv)."))
        data = _get(self.r, "data", default={})
        rows = []
        for name, origin in (data.get("reference_sources") or {}).items():
            shown = (self.t("meegeleverd met pwb") if origin == "meegeleverd"
                     else self.t("aangeleverd door de gebruiker"))
            illustrative = name in ("verhuurders.csv", "personeel.csv") and origin == \
                "meegeleverd"
            rows.append([name, shown, self.yes_no(illustrative)])
        reference = self.table(
            "referentie", self.t("Gebruikte referentiegegevens en hun herkomst"),
            [self.t("Bestand"), self.t("Herkomst"), self.t("Illustratief")], rows,
            numeric=[False, False, False],
            n=self.n_line(len(rows), N_("n = %(n)s bestanden")),
            source=N_("Bron: referentiegegevens van pwb."))
        return [Text("methode_bronnen", {"synthetic": bool(data.get("synthetic")),
                                         "illustrative": bool(data.get("illustrative_reference"))}),
                regions, reference]

    def methods_validation(self) -> list[Block]:
        counts = self.r.get("counts", {})
        validation = self.r.get("validation", {})
        files = validation.get("files", [])
        accounting = self.grid("boekhouding", ["valid", "quarantined"],
                               [[counts.get("rows_valid", 0), counts.get("rows_quarantined", 0)]],
                               row_total=False, percent="col",
                               facts={(0, 0): "counts.rows_valid",
                                      (1, 0): "counts.rows_quarantined",
                                      (2, 0): "counts.rows_in"})
        rows = [[self.t("Geldige rijen"), accounting.count(0, 0), accounting.share(0, 0)],
                [self.t("Rijen in quarantaine"), accounting.count(1, 0), accounting.share(1, 0)],
                [self.t("Rijen in"), accounting.count(2, 0), accounting.share(2, 0)]]
        rejected = [f for f in files if f.get("geweigerd")]
        blocks: list[Block] = [
            Text("methode_validatie", {
                "rows_in": accounting.count(2, 0), "valid": accounting.count(0, 0),
                "quarantined": accounting.count(1, 0), "files": self.num(len(files)),
                "rejected": self.num(len(rejected)),
                "unknown_landlord": self.count("validation.unknown_landlord", _get(
                    validation, "unknown_to_reference", "verhuurder_id", default=0)),
                "unknown_nis": self.count("validation.unknown_nis", _get(
                    validation, "unknown_to_reference", "gemeente_nis", default=0))}),
            self.table("boekhouding", self.t("Boekhouding van de aangeleverde rijen"),
                       [self.t("Rijen"), self.t("Aantal"), self.t("Aandeel")], rows,
                       grids=[accounting], total_rows=1,
                       n=self.n_line(len(files), N_("n = %(n)s aangeleverde bestanden")),
                       notes=[self.t("Rijen van geweigerde bestanden worden niet gelezen en "
                                     "tellen niet mee.")]),
        ]
        if self.p is not None:
            per_region = self.p["validation"]["per_region"]
            last = len(per_region)
            grid = self.grid("validatie_regio", [row["caw"] for row in per_region],
                             [[row["valid"] for row in per_region],
                              [row["quarantined"] for row in per_region]], percent="row",
                             facts={(last, 0): "counts.rows_valid",
                                    (last, 1): "counts.rows_quarantined",
                                    (last, 2): "counts.rows_in"})
            table_rows = [[self.region(row["caw"]), grid.count(i, 0), grid.count(i, 1),
                           grid.count(i, 2), grid.share(i, 1)]
                          for i, row in enumerate(per_region)]
            last = len(per_region)
            table_rows.append([self.t("Totaal"), grid.count(last, 0), grid.count(last, 1),
                               grid.count(last, 2), grid.share(last, 1)])
            blocks.append(self.table(
                "validatie_regio", self.t("Geldige rijen en rijen in quarantaine per CAW-regio"),
                [self.t("CAW-regio"), self.t("Geldig"), self.t("Quarantaine"),
                 self.t("Rijen in"), self.t("Aandeel in quarantaine")], table_rows,
                grids=[grid], total_rows=1,
                n=self.n_line(counts.get("rows_in"), N_("n = %(n)s rijen"),
                              fact="counts.rows_in"),
                notes=[self.t("Een rij in quarantaine telt bij de regio die ze vermeldt; een "
                              "ontbrekende of onbekende regiocode staat onder 'Onbekende of "
                              "ongeldige regio'.")]))
        rules = validation.get("rules_broken") or {}
        if rules:
            names = list(rules)
            grid = self.grid("validatie_regels", names, [[rules[k] for k in names]],
                             row_total=False, col_total=False)
            blocks.append(self.table(
                "validatie_regels", self.t("Rijen in quarantaine per gebroken regel"),
                [self.t("Regel"), self.t("Betekenis"), self.t("Rijen")],
                [[name, self.rule(name), grid.count(i, 0)] for i, name in enumerate(names)],
                numeric=[False, False, True], grids=[grid],
                n=self.n_line(counts.get("rows_quarantined"),
                              N_("n = %(n)s rijen in quarantaine"),
                              fact="counts.rows_quarantined"),
                notes=[self.t("Een rij die meer dan één regel breekt, telt bij elke regel; "
                              "de kolommen tellen daarom niet op tot het aantal rijen in "
                              "quarantaine.")]))
        if rejected:
            blocks.append(self.table(
                "geweigerd", self.t("Geweigerde bestanden"),
                [self.t("Bestand"), self.t("Reden")],
                [[f["bestand"], self.file_rule(f.get("regel"))] for f in rejected],
                numeric=[False, False],
                n=self.n_line(len(rejected), N_("n = %(n)s geweigerde bestanden")),
                notes=[self.t("Van een geweigerd bestand wordt niets bewaard; de CAW kreeg een "
                              "melding met bestand, kolom en regel.")]))
        return blocks

    def rule(self, name: str) -> str:
        family, _, column = name.partition(":")
        text = self.t(RULE_FAMILIES[family]) if family in RULE_FAMILIES else family
        return f"{text} ({column})" if column else text

    def file_rule(self, name: str | None) -> str:
        return self.t(FILE_RULES[name]) if name in FILE_RULES else (name or fmt.MISSING)

    def methods_definitions(self) -> list[Block]:
        counts = self.r.get("counts", {})
        valid = counts.get("rows_valid", 0)
        closed, open_ = counts.get("closed", 0), counts.get("open_at_cutoff", 0)
        out = counts.get("out_of_scope", 0)
        before = max(valid - closed - open_ - out, 0)
        grid = self.grid("status", ["before", "closed", "open", "out"],
                         [[before, closed, open_, out]], row_total=False, percent="col",
                         facts={(1, 0): "counts.closed", (2, 0): "counts.open_at_cutoff",
                                (4, 0): "counts.rows_valid"},
                         extra=lambda spec: spec.total(
                             "active", [(1, 0), (2, 0)],
                             fact=self.ck.fact("counts.active", closed + open_)))
        labels = [self.t("Afgesloten vóór %(year)s") % {"year": self.year},
                  self.t("Afgesloten in %(year)s") % {"year": self.year},
                  self.t("Open op de peildatum"),
                  self.t("Gestart na de peildatum (buiten het jaar)")]
        rows = [[label, grid.count(i, 0), grid.share(i, 0)] for i, label in enumerate(labels)]
        rows.append([self.t("Geldige rijen"), grid.count(4, 0), grid.share(4, 0)])
        active = grid.published["active"].text(self.num)
        return [Text("methode_definities", {"active": active}),
                self.table("status", self.t("Geldige trajecten naar hun stand op de peildatum"),
                           [self.t("Stand"), self.t("Aantal"), self.t("Aandeel")], rows,
                           grids=[grid], total_rows=1,
                           n=self.n_line(valid, N_("n = %(n)s geldige rijen"),
                                         fact="counts.rows_valid"),
                           notes=[self.t("Actief in het jaar = afgesloten in het jaar + open op "
                                         "de peildatum.")])]

    def methods_statistics(self) -> list[Block]:
        ms = _get(self.r, "settings", "models", default={})
        cox = self.r.get("cox", {})
        ev = self.r.get("eviction_avoided", {})

        def covariates(names: Sequence[str]) -> str:
            return ", ".join(self.variable(n) for n in names) or fmt.MISSING

        refs = ", ".join(f"{self.variable(k)}: {self.level(k, v)}"
                         for k, v in (ms.get("references") or {}).items())
        strata = ms.get("cox_strata") or []
        rows = [
            [self.t("Betrouwbaarheidsniveau"), self.pct(ms.get("conf_level"), 0)],
            [self.t("Betrouwbaarheidsinterval Kaplan–Meier"),
             self.t("%(type)s (zoals R survfit)") % {"type": ms.get("km_conf_type", "log")}],
            [self.t("Gelijke tijden (ties) in het Cox-model"),
             str(ms.get("ties", "efron")).capitalize()],
            [self.t("Strata van het Cox-model"),
             ", ".join(self.variable(s) for s in strata) or self.t("geen")],
            [self.t("Toets op proportionele hazards"),
             self.t("cox.zph-scoretoets, tijdtransformatie %(tf)s") % {
                 "tf": ms.get("ph_transform", "km")}],
            [self.t("Kenmerken in het Cox-model"), covariates(ms.get("cox_covariates", []))],
            [self.t("Kenmerken in het logistische model"),
             covariates(ms.get("logistic_covariates", []))],
            [self.t("Referentiecategorieën"), refs or fmt.MISSING],
            [self.t("Clusters voor robuuste standaardfouten"),
             self.variable(ms["cluster"]) if ms.get("cluster") else self.t("geen")],
            [self.t("Leeftijdsklassen (ondergrenzen)"),
             ", ".join(str(a) for a in [16, *ms.get("age_bands", [])])],
            [self.t("Drempel voor kleine aantallen"), str(self.threshold)],
            [self.t("Rundatum (regel: geen datum in de toekomst)"),
             fmt.long_date(_get(self.r, "settings", "run_date"), self.lang)],
        ]
        norms = _get(self.r, "settings", "norms", default={})
        rows += [[self.t("Norm of parameter: %(name)s") % {"name": name},
                  self.dec(value, _decimals(value))] for name, value in norms.items()]
        cutoff_rules = _get(self.r, "settings", "cutoff_rules", default={})
        rows += [[self.t("Peildatum en afkapping: %(rule)s") % {
                      "rule": self.t(rule.replace("_", " "))}, self.t(text)]
                 for rule, text in cutoff_rules.items()]
        few = (ev.get("n_clusters") or 0) and ev.get("n_clusters") < 30
        return [
            Text("methode_statistiek", {
                "conf": self.pct(ms.get("conf_level"), 0),
                "km_type": ms.get("km_conf_type", "log"),
                "ties": ms.get("ties", "efron"),
                "stratified": bool(strata), "strata": ", ".join(
                    self.variable(s) for s in strata),
                "clusters": self.num(ev.get("n_clusters")), "few_clusters": bool(few),
                "cov_type": ev.get("cov_type") or fmt.MISSING,
                "cluster": self.variable(ms["cluster"]) if ms.get("cluster") else "",
                "ph_transform": ms.get("ph_transform", "km"),
                "threshold": self.threshold, "cox_ties": cox.get("ties", ms.get("ties"))}),
            self.table("instellingen", self.t("Instellingen van deze run"),
                       [self.t("Instelling"), self.t("Waarde")], rows, numeric=[False, False],
                       source=N_("Bron: instellingen van de run (results.json, settings).")),
        ]

    def methods_software(self) -> list[Block]:
        rows = [[name, version] for name, version in self.software.items()]
        if not rows:
            return [self.para(self.t("De softwareversies werden niet doorgegeven."))]
        return [Text("methode_software"),
                self.table("software", self.t("Softwareversies van deze run"),
                           [self.t("Pakket"), self.t("Versie")], rows, numeric=[False, False],
                           source=N_("Bron: de Python-omgeving van deze run."))]

    # =========================================================================== 3

    def profile_intro(self) -> list[Block]:
        if self.p is None:
            return [self.para(self.t("De profielgegevens werden niet doorgegeven aan het "
                                     "rapport."))]
        return [Text("profiel_inleiding", {"n": self.count("counts.active",
                                                           self.p["active"]["n"]),
                                           "threshold": self.threshold})]

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

    def chapter_profile(self) -> list[Section]:
        if self.p is None:
            return []
        active = self.p["active"]
        n = active["n"]
        unit = N_("n = %(n)s actieve trajecten")
        sections = []
        for variable, tab in active["variables"].items():
            population, vunit, pop = n, unit, "active"
            if variable == "huurachterstand_klasse":
                population, vunit, pop = active["arrears_n"], N_(
                    "n = %(n)s actieve trajecten met huurachterstand"), "active_arrears"
            grand = "counts.active" if pop == "active" else f"{pop}.n"
            name = self.variable(variable)
            totals = [sum(tab["regions"][c][i] for c in tab["regions"])
                      for i in range(len(tab["levels"]))]
            # a figure only where it shows more than the table's total column at a glance
            figure = self.distribution_figure(
                f"profiel-{variable}", variable, tab,
                title=self.t("%(variable)s: alle regio's samen") % {"variable": name},
                n=self.n_line(population, vunit, fact=grand),
                pop=pop) if sum(v > 0 for v in totals) > 3 else None
            grid, table, codes = self.crosstab(
                f"profiel-{variable}-regio", variable, tab,
                title=self.t("%(variable)s per CAW-regio") % {"variable": name},
                unit=vunit, population=population, pop=pop)
            blocks: list[Block] = [self.para(self.describe(variable, tab, grid, codes)),
                                   *([figure] if figure else []), table]
            if variable == "aantal_problemen":
                blocks.insert(1, self.problems_table())
            sections.append(Section(f"profiel-{variable}", name, blocks))
        return sections

    def describe(self, variable: str, tab: Mapping[str, Any], grid: Counts,
                 codes: list[str]) -> str:
        """'The largest group is X (y %); between regions its share ranges from a to b.'"""
        levels = tab["levels"]
        totals = [sum(tab["regions"][c][i] for c in codes) for i in range(len(levels))]
        if not sum(totals):
            return self.t("Er zijn geen actieve trajecten met een gekend gegeven.")
        known = [i for i, lv in enumerate(levels) if lv != "onbekend"] or list(range(len(levels)))
        top = max(known, key=lambda i: (totals[i], -i))
        overall = len(codes)  # the row-total column
        text = self.t("De grootste groep is '%(level)s' (%(share)s).") % {
            "level": self.level(variable, levels[top]), "share": grid.share(top, overall)}
        shares = [(cell.value, c) for j, c in enumerate(codes)
                  if (cell := grid.share_cell(top, j)).published and cell.value is not None]
        if len(shares) >= 2:
            low, high = min(shares), max(shares)
            text += " " + self.t("Per regio ligt dat aandeel tussen %(low)s (%(low_region)s) en "
                                 "%(high)s (%(high_region)s).") % {
                "low": self.pct(low[0]), "low_region": low[1],
                "high": self.pct(high[0]), "high_region": high[1]}
        return text

    def problems_table(self) -> Table:
        """Share of active trajectories with each problem, per region (multiple answers)."""
        assert self.p is not None
        problems = self.p["active"]["problems"]
        codes = [c for c in self.region_codes if c in problems["regions"]]
        rows, grids = [], []
        n_row: list[str] = []
        for k, name in enumerate(problems["problems"]):
            yes = [problems["regions"][c]["ja"][k] for c in codes]
            no = [problems["regions"][c]["n"] - y for c, y in zip(codes, yes, strict=True)]
            grid = self.grid(f"profiel-problemen-{name}", ["ja", "nee"],
                             [[y, m] for y, m in zip(yes, no, strict=True)], percent="col",
                             facts={(0, len(codes)): f"active.{name}.ja",
                                    (2, len(codes)): "counts.active"}
                             | {(2, j): f"active.n.{c}" for j, c in enumerate(codes)})
            grids.append(grid)
            rows.append([self.variable(name)] + [grid.mark_share(0, j)
                                                 for j in range(len(codes) + 1)])
            n_row = [grid.count(2, j) for j in range(len(codes) + 1)]
        rows.append([self.t("Aantal (n)"), *n_row])
        return self.table(
            "profiel-problemen", self.t("Probleemgebieden bij aanmelding per CAW-regio"),
            [self.t("Probleem"), *codes, self.t("Totaal")], rows, grids=grids, total_rows=1,
            shares=True,
            n=self.n_line(self.p["active"]["n"], N_("n = %(n)s actieve trajecten"),
                          fact="counts.active"),
            notes=[self.t("Meer dan één probleem per traject mogelijk: de percentages tellen "
                          "niet op tot 100.")])

    # =========================================================================== 4

    def chapter_course(self) -> list[Section]:
        return [
            Section("duur", self.t("Duur tot afsluiting"), self.course_duration()),
            Section("duur-profiel", self.t("Duur naar profiel"), self.course_by_profile()),
            Section("huisbezoeken", self.t("Huisbezoeken en contacten"), self.course_visits()),
            Section("doorverwijzing", self.t("Doorverwijzing en nazorg"),
                    self.course_referral()),
        ]

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

    def course_duration(self) -> list[Block]:
        tc = self.r.get("time_to_closure", {})
        norm_days = _get(self.r, "indicators", "norms", "duration_days")
        median, (lo, hi) = tc.get("median_days"), (tc.get("median_ci") or [None, None])
        if not self.enough("counts.active", tc.get("n")):
            return [self.para(self.t("Met minder dan %(t)s trajecten worden de duur tot "
                                     "afsluiting en haar curve niet gepubliceerd.") % {
                "t": self.threshold})]
        if median is None:
            verdict = self.t("De mediane duur is niet bereikt: minder dan de helft van de "
                             "trajecten werd afgesloten binnen de opvolging.")
        elif norm_days is not None and hi is not None and hi < norm_days:
            verdict = self.t("Dat is korter dan de gemiddelde duur van %(months_norm)s maanden "
                             "(%(norm)s dagen) waarmee de omzendbrief rekent; ook de bovengrens "
                             "van het interval ligt eronder.") % {
                **self.norm_words, "norm": self.num(norm_days)}
        elif norm_days is not None and lo is not None and lo > norm_days:
            verdict = self.t("Dat is langer dan de gemiddelde duur van %(months_norm)s maanden "
                             "(%(norm)s dagen) waarmee de omzendbrief rekent; ook de ondergrens "
                             "van het interval ligt erboven.") % {
                **self.norm_words, "norm": self.num(norm_days)}
        else:
            verdict = self.t("Het interval omvat de %(months_norm)s maanden (%(norm)s dagen) van "
                             "de omzendbrief: de gegevens tonen geen duidelijk verschil.") % {
                **self.norm_words, "norm": self.num(norm_days)}
        curve = tc.get("curve") or {}
        blocks: list[Block] = [Text("verloop_duur", {
            "n": self.count("counts.active", tc.get("n")),
            "events": self.count("counts.closed", tc.get("events")),
            "median": self.num(median),
            "ci": self.ci(median, [lo, hi], 0).partition(" ")[2].strip("()") or fmt.MISSING,
            "conf": self.pct(tc.get("conf_level"), 0), "verdict": verdict})]
        if curve.get("days"):
            shown = self.observed(curve, ["survival", "lower", "upper"])
            chart = charts.km_chart(shown, conf_level=tc.get("conf_level") or 0.95,
                                    locale=self.lang, translate=self.t,
                                    alt=self.t("Kaplan–Meier-curve van de duur tot afsluiting"),
                                    chart_id="fig-km")
            blocks.append(self.figure(
                "km", self.t("Aandeel trajecten nog in begeleiding naar de tijd sinds de start "
                             "(Kaplan–Meier, met %(conf)s-betrouwbaarheidsband)") % {
                    "conf": self.pct(tc.get("conf_level"), 0)}, chart,
                n=self.n_line(tc.get("n"), N_("n = %(n)s trajecten"), fact="counts.active")))
            rows = []
            for day, months in ((90, 3), (180, 6), (360, 12), (540, 18), (720, 24)):
                if day in curve["days"]:
                    i = curve["days"].index(day)
                    s = curve["survival"][i]
                    rows.append([self.t("%(m)s maanden (%(d)s dagen)") % {"m": months, "d": day},
                                 self.pct_ci(s, [curve["lower"][i], curve["upper"][i]]),
                                 self.pct(None if s is None else 1 - s)])
            if rows:
                blocks.append(self.table(
                    "km-tabel", self.t("Aandeel nog in begeleiding en afgesloten na 3 tot 24 "
                                       "maanden (Kaplan–Meier)"),
                    [self.t("Tijd sinds de start"),
                     self.t("Nog in begeleiding (%(conf)s-BI)") % {
                         "conf": self.pct(tc.get("conf_level"), 0)},
                     self.t("Afgesloten")], rows,
                    n=self.n_line(tc.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
                    notes=[self.t("Een streepje: niet meer waargenomen (geen traject zo lang "
                                  "opgevolgd).")]))
        return blocks

    def course_by_profile(self) -> list[Block]:
        tc = self.r.get("time_to_closure", {})
        by_group = tc.get("by_group") or {}
        rows: list[list[str]] = []
        grids = []
        significant, not_significant = [], []
        for variable, result in by_group.items():
            levels = result.get("levels", [])
            if not levels:
                continue
            # the column totals are not shown, but protect the levels against the published n
            codes = [lv["level"] for lv in levels]
            grid = self.grid(f"km-profiel-{variable}", codes,
                             [[lv["events"] for lv in levels],
                              [lv["n"] - lv["events"] for lv in levels]],
                             facts={(i, 2): f"tc.{variable}.{c}" for i, c in enumerate(codes)}
                             | {(len(codes), 0): "counts.closed",
                                (len(codes), 2): "counts.active"})
            grids.append(grid)
            p = _get(result, "logrank", "p")
            for i, lv in enumerate(levels):
                hidden = grid.hidden(i, 2)
                median = HIDDEN if hidden else self.ci(lv.get("median_days"),
                                                       lv.get("median_ci"), 0)
                rows.append([self.variable(variable) if i == 0 else "",
                             self.level(variable, lv["level"]), grid.count(i, 2),
                             grid.count(i, 0), median, self.pval(p) if i == 0 else ""])
            if p is not None:
                (significant if p < ALPHA else not_significant).append(self.variable(variable))
        blocks: list[Block] = [Text("verloop_profielen", {
            "significant": significant, "not_significant": not_significant})]
        if rows:
            blocks.append(self.table(
                "km-profiel", self.t("Mediane duur tot afsluiting per profiel (Kaplan–Meier) en "
                                     "log-ranktoets"),
                [self.t("Kenmerk"), self.t("Categorie"), self.t("n"), self.t("Afgesloten"),
                 self.t("Mediaan in dagen (%(level)s-BI)") % {
                     "level": self.pct(tc.get("conf_level") or 0.95, 0)},
                 self.t("p (log-rank)")], rows,
                numeric=[False, False, True, True, True, True], grids=grids,
                n=self.n_line(tc.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
                notes=[self.t("Een mediaan is niet gepubliceerd als het aantal trajecten van de "
                              "categorie niet gepubliceerd is. Een streepje: mediaan of grens "
                              "niet bereikt.")]))
        curves = (self.p or {}).get("km_by_group") or {}
        for variable, groups in curves.items():
            drawn = [self.enough(f"tc.{variable}.{g['level']}", g["n"]) for g in groups]
            shown = {self.level(variable, g["level"]): self.observed(g, ["survival", "lower",
                                                                          "upper"])
                     for g, ok in zip(groups, drawn, strict=True) if ok}
            left_out = [g for g, ok in zip(groups, drawn, strict=True) if not ok and g["n"]]
            if not shown:
                continue
            if len(shown) > 3:  # bands of many groups hide each other
                shown = {k: {"days": v["days"], "survival": v["survival"]}
                         for k, v in shown.items()}
            name = self.variable(variable)
            if name[1:2].islower():  # 'Leeftijd' -> 'leeftijd' inside a sentence, not 'CAW-regio'
                name = name[0].lower() + name[1:]
            chart = charts.km_chart(shown, conf_level=tc.get("conf_level") or 0.95,
                                    locale=self.lang, translate=self.t,
                                    alt=self.t("Kaplan–Meier-curven naar %(variable)s") % {
                                        "variable": name}, chart_id=f"fig-km-{variable}")
            notes = []
            if left_out:
                notes.append(self.t("Categorieën met minder dan %(t)s trajecten of met een "
                                    "niet gepubliceerd aantal zijn niet getekend.") % {
                    "t": self.threshold})
            if len(groups) > 3:
                notes.append(self.t("Zonder betrouwbaarheidsbanden om de figuur leesbaar te "
                                    "houden; de intervallen van de medianen staan in %(ref)s.")
                             % {"ref": "{ref:km-profiel}"})
            blocks.append(self.figure(
                f"km-{variable}", self.t("Aandeel nog in begeleiding naar %(variable)s "
                                         "(Kaplan–Meier)") % {"variable": name},
                chart, n=self.n_line(tc.get("n"), N_("n = %(n)s trajecten"),
                                     fact="counts.active"), notes=notes))
        return blocks

    def closed_grid_rows(self, variable: str, yes_code: str = "ja"
                         ) -> tuple[list[str], Counts | None]:
        """Per region: yes, no and unknown of a closed-trajectory variable. The unknown
        count is not shown, but it is part of the table: the n per region (yes + no) with
        the published closures per region would otherwise give it back. ``('known', i)``
        is yes + no of row i (the total row at len), ``('share', i)`` yes / known."""
        if self.p is None:
            return [], None
        tab = self.p["closed"]["variables"][variable]
        levels = tab["levels"]
        codes = [c for c in self.region_codes if c in tab["regions"]]
        yes_i = levels.index(yes_code)
        no_i = [i for i, lv in enumerate(levels) if lv not in (yes_code, "onbekend")]
        unknown_i = [i for i, lv in enumerate(levels) if lv == "onbekend"]
        yes = [tab["regions"][c][yes_i] for c in codes]
        no = [sum(tab["regions"][c][i] for i in no_i) for c in codes]
        unknown = [sum(tab["regions"][c][i] for i in unknown_i) for c in codes]

        def known(spec: disclosure.Spec) -> None:
            for i in [*range(len(codes)), TOTAL]:
                spec.total(("known", i), [(i, 0), (i, 1)], spare=True)
                spec.share(("share", i), (i, 0), ("known", i))

        last = len(codes)
        return codes, self.grid(f"gesloten-{variable}", codes, [yes, no, unknown],
                                facts={(i, 3): f"closed.n.{c}" for i, c in enumerate(codes)}
                                | {(last, 3): "counts.closed"}, extra=known)

    def course_visits(self) -> list[Block]:
        overall = _get(self.r, "indicators", "overall", default={})
        per_caw = _get(self.r, "indicators", "per_caw", default=[])
        rows_in = [*per_caw, overall]
        n = [row.get("visits_n") or 0 for row in per_caw]
        any_visit = [round((row.get("share_home_visit") or 0) * (row.get("visits_n") or 0))
                     for row in per_caw]
        grid = self.grid("huisbezoeken", [row["caw"] for row in per_caw],
                         [any_visit, [a - b for a, b in zip(n, any_visit, strict=True)]],
                         percent="row", facts={(len(per_caw), 2): "visits.n"})
        rows = []
        for i, row in enumerate(rows_in):
            hidden = grid.hidden(i, 2)
            share = grid.share(i, 0)
            if not grid.hidden(i, 0) and not grid.hidden(i, 1):
                share = self.pct_ci(row.get("share_home_visit"), row.get("share_home_visit_ci"))
            rows.append([self.region(row["caw"]) if i < len(per_caw) else self.t("Totaal"),
                         grid.count(i, 2),
                         HIDDEN if hidden else self.dec(row.get("home_visits_per_trajectory")),
                         share,
                         HIDDEN if hidden else self.dec(row.get("contacts_per_trajectory"))])
        blocks: list[Block] = [Text("verloop_huisbezoeken", {
            "visits": rows[-1][2], "contacts": rows[-1][4], "share": rows[-1][3]})]
        blocks.append(self.table(
            "huisbezoeken", self.t("Huisbezoeken en contacten per CAW-regio, afgesloten "
                                   "trajecten"),
            [self.t("CAW-regio"), self.t("n"), self.t("Huisbezoeken per traject (gem.)"),
             self.t("Met minstens één huisbezoek (95%-BI)"),
             self.t("Contacten per traject (gem.)")], rows, grids=[grid], total_rows=1,
            n=self.n_line(grid.cell(len(per_caw), 2).raw,
                          N_("n = %(n)s in %(year)s afgesloten trajecten met huisbezoeken "
                             "ingevuld"), year=self.year, fact="visits.n"),
            notes=[self.t("Gemiddelden en aandelen over de trajecten met het gegeven ingevuld; "
                          "intervallen volgens Wilson.")]))
        if self.p is not None:
            tab = self.p["closed"]["variables"]["huisbezoeken_klasse"]
            blocks.append(self.distribution_figure(
                "huisbezoeken-verdeling", "huisbezoeken_klasse", tab,
                title=self.t("Aantal huisbezoeken per afgesloten traject"),
                n=self.n_line(self.p["closed"]["n"], N_("n = %(n)s afgesloten trajecten"),
                              fact="counts.closed"), pop="closed"))
        return blocks

    def course_referral(self) -> list[Block]:
        if self.p is None:
            return [self.para(self.t("De profielgegevens werden niet doorgegeven aan het "
                                     "rapport."))]
        codes, referred = self.closed_grid_rows("doorverwezen")
        _, aftercare = self.closed_grid_rows("nazorg")
        assert referred is not None and aftercare is not None
        rows = []
        for i in [*range(len(codes)), TOTAL]:
            label = self.region(codes[i]) if i != TOTAL else self.t("Totaal")
            rows.append([label] + [text for grid in (referred, aftercare) for text in (
                grid.published[("known", i)].text(self.num),
                grid.published[("share", i)].text(self.pct))])
        return [
            Text("verloop_doorverwijzing", {"referred": rows[-1][2], "aftercare": rows[-1][4]}),
            self.table(
                "doorverwijzing", self.t("Doorverwijzing en nazorg per CAW-regio, afgesloten "
                                         "trajecten"),
                [self.t("CAW-regio"), self.t("n (doorverwijzing)"), self.t("Doorverwezen"),
                 self.t("n (nazorg)"), self.t("Nazorg afgesproken")], rows,
                grids=[referred, aftercare], total_rows=1, shares=True,
                n=self.n_line(self.p["closed"]["n"], N_("n = %(n)s afgesloten trajecten"),
                              fact="counts.closed"),
                notes=[self.t("Trajecten zonder ingevuld gegeven tellen niet mee.")]),
        ]

    # =========================================================================== 5

    def chapter_results(self) -> list[Section]:
        return [
            Section("afsluiting", self.t("Reden van afsluiting"), self.results_closure()),
            Section("doelen", self.t("Handelingsdoelen"), self.results_goals()),
            Section("vermeden", self.t("Uithuiszetting vermeden"), self.results_avoided()),
            Section("incidentie", self.t("Afloop als concurrerende uitkomsten"),
                    self.results_incidence()),
            Section("cox", self.t("Kenmerken en afsluitkans: het Cox-model"), self.results_cox()),
            Section("logistisch", self.t("Kenmerken en vermeden uithuiszetting: het logistische "
                                         "model"), self.results_logistic()),
        ]

    def results_closure(self) -> list[Block]:
        if self.p is None:
            return [self.para(self.t("De profielgegevens werden niet doorgegeven aan het "
                                     "rapport."))]
        tab = self.p["closed"]["variables"]["afsluitreden"]
        n = self.n_line(self.p["closed"]["n"], N_("n = %(n)s afgesloten trajecten"),
                        fact="counts.closed")
        figure = self.distribution_figure(
            "afsluitreden", "afsluitreden", tab,
            title=self.t("Reden van afsluiting, in %(year)s afgesloten trajecten") % {
                "year": self.year}, n=n, pop="closed")
        return [Text("resultaten_afsluiting", {"n": self.count("counts.closed",
                                                               self.p["closed"]["n"])}),
                figure]

    def results_goals(self) -> list[Block]:
        overall = _get(self.r, "indicators", "overall", default={})
        goals = ["bereikt", "gedeeltelijk", "niet_bereikt"]
        counts = [overall.get(f"goals_{g}") or 0 for g in goals]
        grid = self.grid("doelen", goals, [counts], row_total=False, percent="col",
                         facts={(i, 0): f"goals.{g}" for i, g in enumerate(goals)}
                         | {(3, 0): "goals.n"})
        self.goals = grid
        rows = []
        for i, g in enumerate(goals):
            share = grid.share(i, 0)
            if not grid.hidden(i, 0) and not grid.hidden(3, 0):  # count and total published
                share = self.pct_ci(overall.get(f"goals_{g}_share"), overall.get(f"goals_{g}_ci"))
            rows.append([self.level("handelingsdoelen", g), grid.count(i, 0), share])
        rows.append([self.t("Totaal"), grid.count(3, 0), grid.share(3, 0)])
        return [
            Text("resultaten_doelen", {"reached": rows[0][2], "partly": rows[1][2],
                                       "not": rows[2][2]}),
            self.table("doelen", self.t("Handelingsdoelen bij afsluiting, in %(year)s afgesloten "
                                        "trajecten") % {"year": self.year},
                       [self.t("Handelingsdoelen"), self.t("Aantal"),
                        self.t("Aandeel (95%-BI)")], rows, grids=[grid], total_rows=1,
                       n=self.n_line(overall.get("goals_n"),
                                     N_("n = %(n)s afgesloten trajecten"), fact="goals.n"),
                       notes=[self.t("Intervallen volgens Wilson.")]),
        ]

    def results_avoided(self) -> list[Block]:
        overall = _get(self.r, "indicators", "overall", default={})
        ev = self.r.get("eviction_avoided", {})
        yes = overall.get("eviction_avoided") or 0
        known = overall.get("eviction_n") or 0
        unknown = overall.get("eviction_unknown") or 0

        def derived(spec: disclosure.Spec) -> None:  # the prose's n and the rate
            spec.total("known", [(0, 0), (1, 0)], fact="eviction.known", spare=True)
            spec.share("rate", (0, 0), "known")

        grid = self.grid("vermeden", ["ja", "nee", "onbekend"], [[yes, known - yes, unknown]],
                         row_total=False, percent="col", extra=derived,
                         facts={(0, 0): "eviction.ja", (1, 0): "eviction.nee",
                                (2, 0): "eviction.onbekend", (3, 0): "counts.closed"})
        cells = grid.published
        rate = cells["rate"].text(lambda _: self.pct_ci(overall.get("eviction_avoided_rate"),
                                                        overall.get("eviction_avoided_ci")))
        rows = [[self.level("uithuiszetting_vermeden", k), grid.count(i, 0), grid.share(i, 0)]
                for i, k in enumerate(["ja", "nee", "onbekend"])]
        rows.append([self.t("Totaal"), grid.count(3, 0), grid.share(3, 0)])
        self.avoided = {"rate": rate, "n": cells["known"].text(self.num),
                        "cell": cells["rate"]}
        return [
            Text("resultaten_vermeden", {"rate": rate, "n": self.avoided["n"],
                                         "unknown": grid.count(2, 0),
                                         "logistic_n": self.count("eviction.known",
                                                                  ev.get("n"))}),
            self.table("vermeden", self.t("Uithuiszetting vermeden, in %(year)s afgesloten "
                                          "trajecten") % {"year": self.year},
                       [self.t("Uithuiszetting vermeden"), self.t("Aantal"),
                        self.t("Aandeel")], rows, grids=[grid], total_rows=1,
                       n=self.n_line(overall.get("closed"), N_("n = %(n)s afgesloten trajecten"),
                                     fact="counts.closed"),
                       notes=[self.t("Aandeel vermeden onder de afsluitingen met ja of nee: "
                                     "%(rate)s (95%%-BI, Wilson).") % {"rate": rate}]),
        ]

    def results_incidence(self) -> list[Block]:
        ci = self.r.get("cumulative_incidence", {})
        blocks: list[Block] = []
        events = ci.get("events") or {}
        n = ci.get("n") or 0
        outcomes = ["vermeden", "uithuisgezet", "ander"]
        counts = [events.get(k, 0) for k in outcomes]
        grid = self.grid("uitkomsten", outcomes + ["open"], [[*counts, max(n - sum(counts), 0)]],
                         row_total=False, percent="col",
                         facts={(3, 0): "counts.open_at_cutoff", (4, 0): "counts.active"},
                         extra=lambda spec: spec.total(
                             "closed", [(0, 0), (1, 0), (2, 0)],
                             fact=self.ck.fact("counts.closed", sum(counts))))
        blocks.append(Text("resultaten_incidentie", {
            "n": grid.count(4, 0), "conf": self.pct(ci.get("conf_level"), 0)}))
        # a curve or share of an outcome with a hidden count would reveal that count
        hidden = {k for i, k in enumerate(outcomes) if grid.hidden(i, 0)}
        curve = ci.get("curve") or {}
        if grid.hidden(4, 0) or n < self.threshold:
            curve = {}
        elif hidden:
            blocks.append(self.para(self.t("De figuur van de cumulatieve incidentie wordt niet "
                                           "getoond: een uitkomst telt minder dan %(t)s "
                                           "afsluitingen.") % {"t": self.threshold}))
            curve = {}
        if curve.get("days"):
            shown = self.observed(curve, outcomes)
            chart = charts.incidence_chart(shown, locale=self.lang, translate=self.t,
                                           alt=self.t("Cumulatieve incidentie van de "
                                                      "afsluituitkomsten"),
                                           chart_id="fig-incidentie")
            blocks.append(self.figure(
                "incidentie", self.t("Cumulatieve incidentie van de drie uitkomsten van "
                                     "afsluiting (Aalen–Johansen, gestapeld)"), chart,
                n=self.n_line(n, N_("n = %(n)s trajecten"), fact="counts.active")))
        rows = []
        for i, day in enumerate(ci.get("days") or []):
            cells = []
            for key in outcomes:
                values = ci.get(key) or []
                lower = _get(ci, "lower", key, default=[])
                upper = _get(ci, "upper", key, default=[])
                value = values[i] if i < len(values) else None
                bounds = [lower[i] if i < len(lower) else None,
                          upper[i] if i < len(upper) else None]
                cells.append(HIDDEN if key in hidden else self.pct_ci(value, bounds))
            rows.append([self.t("%(d)s dagen") % {"d": self.num(day)}, *cells])
        conf = self.pct(ci.get("conf_level"), 0)
        if rows and grid.cell(4, 0).published and n >= self.threshold:
            blocks.append(self.table(
                "incidentie-tabel", self.t("Cumulatieve incidentie per uitkomst na 90 tot 730 "
                                           "dagen"),
                [self.t("Tijd sinds de start")] + [
                    self.t("%(label)s (%(level)s-BI)") % {"label": self.t(OUTCOME_LABELS[k]),
                                                         "level": conf} for k in outcomes],
                rows, n=self.n_line(n, N_("n = %(n)s trajecten"), fact="counts.active"),
                notes=[self.t("Een streepje: niet meer waargenomen."),
                       self.t("x: niet gepubliceerd, want de uitkomst telt minder dan %(t)s "
                              "afsluitingen.") % {"t": self.threshold} if hidden else ""]))
        labels = [self.t(OUTCOME_LABELS[k]) for k in outcomes] + [
            self.t("Nog open op de peildatum")]
        rows = [[label, grid.count(i, 0), grid.share(i, 0)] for i, label in enumerate(labels)]
        rows.append([self.t("Totaal"), grid.count(4, 0), grid.share(4, 0)])
        blocks.append(self.table(
            "uitkomsten", self.t("Trajecten naar uitkomst op de peildatum"),
            [self.t("Uitkomst"), self.t("Aantal"), self.t("Aandeel")], rows, grids=[grid],
            total_rows=1, n=self.n_line(n, N_("n = %(n)s trajecten"), fact="counts.active")))
        return blocks

    # ---- model terms

    def term_label(self, term: str, model: str = "", *, reference: bool = True) -> str:
        """'verhuurder_type[SVK]' -> 'Type verhuurder: SVK (ref.: SHM)'."""
        refs = _get(self.r, "settings", "models", "references", default={})
        if term == "(Intercept)":
            return self.t("Constante")

        def short(column: str, code: str) -> str:
            return code if column == "verhuurder_type" else self.level(column, code)

        if "[" in term and term.endswith("]"):
            column, level = term[:-1].split("[", 1)
            ref = refs.get(column)
            label = f"{self.variable(column)}: {short(column, level)}"
            if ref and reference:
                label += " " + self.t("(ref.: %(ref)s)") % {"ref": short(column, ref)}
            return label
        if term == "leeftijd":
            return self.variable("leeftijd")
        return f"{self.variable(term)}" + (" " + self.t("(ja t.o.v. nee)") if reference else "")

    def term_rows(self, terms: Sequence[Mapping[str, Any]], measure: str,
                  full: bool = False) -> list[list[str]]:
        rows = []
        for x in terms:
            if x["term"] == "(Intercept)" and not full:
                continue
            row = [self.term_label(x["term"], measure)]
            if full:
                row += [self.dec(x.get("coef"), 3), self.dec(x.get("se"), 3)]
            row += [self.ci(x.get(measure), x.get(f"{measure}_ci")), self.pval(x.get("p"))]
            rows.append(row)
        return rows

    def term_sentences(self, terms: Sequence[Mapping[str, Any]], measure: str
                       ) -> tuple[list[str], list[str]]:
        """Direction-aware sentences for the terms with p < ALPHA; the others' labels."""
        up = {"hr": N_("%(label)s: sneller afgesloten (HR %(ci)s; %(p)s)."),
              "or": N_("%(label)s: hogere odds op een vermeden uithuiszetting (OR %(ci)s; "
                       "%(p)s).")}
        down = {"hr": N_("%(label)s: trager afgesloten (HR %(ci)s; %(p)s)."),
                "or": N_("%(label)s: lagere odds op een vermeden uithuiszetting (OR %(ci)s; "
                         "%(p)s).")}
        significant, other = [], []
        for x in terms:
            if x["term"] == "(Intercept)":
                continue
            label = self.term_label(x["term"], measure)
            p, value = x.get("p"), x.get(measure)
            if p is None or value is None:
                other.append(self.term_label(x["term"], measure, reference=False))
                continue
            if p < ALPHA and value != 1:
                message = up[measure] if value > 1 else down[measure]
                significant.append(self.t(message) % {
                    "label": label, "ci": self.ci(value, x.get(f"{measure}_ci")),
                    "p": self.p_eq(p)})
            else:
                other.append(self.term_label(x["term"], measure, reference=False))
        return significant, other

    def results_cox(self) -> list[Block]:
        cox = self.r.get("cox", {})
        terms = cox.get("terms") or []
        if not self.enough("counts.active", cox.get("n")) or not self.estimated(terms):
            return [self.not_estimated(N_("Cox-model"))]
        conf = self.pct(cox.get("conf_level"), 0)
        significant, other = self.term_sentences(terms, "hr")
        ph = cox.get("ph_test") or {}
        ph_global = ph.get("global") or {}
        ph_bad = [self.variable(c["covariate"]) for c in ph.get("covariates", [])
                  if c.get("p") is not None and c["p"] < ALPHA]
        blocks: list[Block] = [Text("resultaten_cox", {
            "n": self.count("counts.active", cox.get("n")),
            "events": self.count("counts.closed", cox.get("events")),
            "ties": str(cox.get("ties") or "").capitalize(),
            "strata": ", ".join(self.variable(s) for s in cox.get("strata") or []),
            "concordance": self.dec(cox.get("concordance"), 3),
            "lr": self.dec(_get(cox, "lr_test", "statistic"), 1),
            "lr_df": self.num(_get(cox, "lr_test", "df")),
            "lr_p": self.p_eq(_get(cox, "lr_test", "p")),
            "significant": significant, "other": other})]
        if terms:
            blocks.append(self.table(
                "cox", self.t("Hazardratio's van afsluiting (Cox-model)"),
                [self.t("Kenmerk"), self.t("Hazardratio (%(level)s-BI)") % {"level": conf},
                 self.t("p")], self.term_rows(terms, "hr"),
                n=self.t("n = %(n)s trajecten, %(e)s afgesloten") % {
                    "n": self.count("counts.active", cox.get("n")),
                    "e": self.count("counts.closed", cox.get("events"))},
                notes=[self.t("Een hazardratio boven 1: sneller afgesloten dan de "
                              "referentiecategorie (ongeacht de uitkomst van de afsluiting).")]))
            chart = charts.forest_plot(
                terms, measure="hr", label=lambda t: self.term_label(t, "hr", reference=False),
                conf_level=cox.get("conf_level") or 0.95, locale=self.lang, translate=self.t,
                alt=self.t("Forest plot van de hazardratio's"), chart_id="fig-cox")
            blocks.append(self.figure(
                "cox-forest", self.t("Hazardratio's van afsluiting met "
                                     "%(level)s-betrouwbaarheidsinterval") % {"level": conf},
                chart, n=self.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
                notes=[self.t("Referentiecategorieën: zie %(ref)s.") % {"ref": "{ref:cox}"}]))
        if ph.get("covariates"):
            rows = [[self.variable(c["covariate"]), self.dec(c.get("chisq"), 2),
                     self.num(c.get("df")), self.pval(c.get("p"))] for c in ph["covariates"]]
            rows.append([self.t("Globaal"), self.dec(ph_global.get("chisq"), 2),
                         self.num(ph_global.get("df")), self.pval(ph_global.get("p"))])
            blocks.append(Text("resultaten_ph", {
                "global_p": self.p_eq(ph_global.get("p")),
                "violated": ph_global.get("p") is not None and ph_global["p"] < ALPHA,
                "bad": ph_bad, "transform": ph.get("transform", "km")}))
            blocks.append(self.table(
                "ph", self.t("Toets op proportionele hazards per kenmerk (cox.zph)"),
                [self.t("Kenmerk"), self.t("Chi²"), self.t("Vrijheidsgraden"), self.t("p")],
                rows, total_rows=1,
                n=self.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active")))
        return blocks

    def results_logistic(self) -> list[Block]:
        ev = self.r.get("eviction_avoided", {})
        terms = ev.get("terms") or []
        if not self.enough("eviction.known", ev.get("n")) or not self.estimated(terms):
            return [self.not_estimated(N_("logistische model"))]
        conf = self.pct(ev.get("conf_level"), 0)
        significant, other = self.term_sentences(terms, "or")
        blocks: list[Block] = [Text("resultaten_logistisch", {
            "n": self.count("eviction.known", ev.get("n")),
            "events": self.count("eviction.ja", ev.get("events")),
            "rate": self.avoided["rate"] if hasattr(self, "avoided") else "",
            "clusters": self.num(ev.get("n_clusters")),
            "few": bool(ev.get("n_clusters")) and ev["n_clusters"] < 30,
            "significant": significant, "other": other})]
        if terms:
            blocks.append(self.table(
                "logistisch", self.t("Oddsratio's van een vermeden uithuiszetting (logistisch "
                                     "model, robuuste standaardfouten)"),
                [self.t("Kenmerk"), self.t("Oddsratio (%(level)s-BI)") % {"level": conf},
                 self.t("p")], self.term_rows(terms, "or"),
                n=self.t("n = %(n)s afgesloten trajecten, %(e)s vermeden") % {
                    "n": self.count("eviction.known", ev.get("n")),
                    "e": self.count("eviction.ja", ev.get("events"))},
                notes=[self.t("Een oddsratio boven 1: hogere odds op een vermeden "
                              "uithuiszetting dan de referentiecategorie.")]))
            chart = charts.forest_plot(
                terms, measure="or", label=lambda t: self.term_label(t, "or", reference=False),
                conf_level=ev.get("conf_level") or 0.95, locale=self.lang, translate=self.t,
                alt=self.t("Forest plot van de oddsratio's"), chart_id="fig-logit")
            blocks.append(self.figure(
                "logistisch-forest", self.t("Oddsratio's van een vermeden uithuiszetting met "
                                            "%(level)s-betrouwbaarheidsinterval") % {
                    "level": conf}, chart,
                n=self.n_line(ev.get("n"), N_("n = %(n)s afgesloten trajecten"),
                              fact="eviction.known"),
                notes=[self.t("Referentiecategorieën: zie %(ref)s.") % {
                    "ref": "{ref:logistisch}"}]))
        return blocks

    # =========================================================================== 6

    def chapter_regions(self) -> list[Section]:
        return [
            Section("norm", self.t("De norm van %(clients_norm)s cliënten per VTE")
                    % self.norm_words, self.regions_norm()),
            Section("caseload", self.t("Caseload, duur en doorstroom"),
                    self.regions_caseload()),
            Section("uitkomsten", self.t("Uitkomsten per regio"), self.regions_outcomes()),
            Section("herval", self.t("Herval"), self.regions_rereferral()),
            Section("overeenkomsten", self.t("Samenwerkingsovereenkomsten"),
                    self.regions_agreements()),
            Section("extra-vte", self.t("De extra VTE van de omzendbrief"),
                    self.regions_extra_fte()),
        ]

    def per_caw(self) -> list[dict[str, Any]]:
        rows = _get(self.r, "indicators", "per_caw", default=[])
        order = {c: i for i, c in enumerate(self.region_codes)}
        return sorted(rows, key=lambda row: order.get(row["caw"], len(order)))

    def active_grid(self) -> Counts:
        """Active trajectories per region (published once, read by chapters 6 and 7)."""
        if not hasattr(self, "_active"):
            rows = self.per_caw()
            self._active = self.grid(
                "norm", [r["caw"] for r in rows], [[r.get("active") or 0 for r in rows]],
                row_total=False, facts={(i, 0): f"active.n.{r['caw']}"
                                        for i, r in enumerate(rows)}
                | {(len(rows), 0): "counts.active"})
        return self._active

    def hidden_active(self) -> set[str]:
        """Regions whose number of active trajectories is not published."""
        grid = self.active_grid()
        return {row["caw"] for i, row in enumerate(self.per_caw()) if grid.hidden(i, 0)}

    def regions_norm(self) -> list[Block]:
        rows_in = self.per_caw()
        overall = _get(self.r, "indicators", "overall", default={})
        norm = _get(self.r, "indicators", "norms", "clients_per_fte", default=27)
        grid = self.active_grid()
        rows: list[list[str]] = []
        for i, row in enumerate([*rows_in, overall]):
            hidden = grid.hidden(i, 0)
            rows.append([self.region(row["caw"]) if i < len(rows_in) else self.t("Totaal"),
                         self.dec(row.get("fte"), 2), self.dec(row.get("fte_extra"), 2),
                         grid.count(i, 0),
                         HIDDEN if hidden else self.dec(row.get("clients_per_fte")),
                         self.yes_no(row.get("meets_norm"))])
        failing = [self.region(r["caw"]) for r in rows_in if r.get("meets_norm") is False]
        return [
            Text("regio_norm", {"meeting": self.num(overall.get("regions_meeting_norm")),
                                "with_fte": self.num(overall.get("regions_with_fte")),
                                "failing": failing, "norm": self.dec(norm, 0),
                                "overall": rows[-1][4]}),
            self.table("norm", self.t("Actieve trajecten per VTE tegenover de norm van "
                                      "%(clients_norm)s, per CAW-regio") % self.norm_words,
                       [self.t("CAW-regio"), self.t("VTE (gem. over het jaar)"),
                        self.t("waarvan extra VTE"), self.t("Actieve trajecten"),
                        self.t("Cliënten per VTE"), self.t("Norm gehaald")], rows,
                       grids=[grid], total_rows=1,
                       n=self.n_line(overall.get("active"), N_("n = %(n)s actieve trajecten"),
                                     fact="counts.active"),
                       notes=[self.t("VTE: basispersoneel van het jaar plus de extra VTE van de "
                                     "omzendbrief naar rato van de dagen in voege."),
                              self.illustrative_note()]),
        ]

    def illustrative_note(self) -> str:
        if _get(self.r, "data", "illustrative_reference"):
            return self.t("De personeels- en verhuurdersgegevens zijn illustratief (meegeleverd "
                          "met pwb), geen werkelijke cijfers.")
        return ""

    def regions_caseload(self) -> list[Block]:
        rows_in = self.per_caw()
        overall = _get(self.r, "indicators", "overall", default={})
        norms = _get(self.r, "indicators", "norms", default={})
        grid = self.grid("caseload", [r["caw"] for r in rows_in],
                         [[r.get("closed") or 0 for r in rows_in]], row_total=False,
                         facts={(i, 0): f"closed.n.{r['caw']}" for i, r in enumerate(rows_in)}
                         | {(len(rows_in), 0): "counts.closed"})
        rows, little = [], []
        for i, row in enumerate([*rows_in, overall]):
            label = self.region(row["caw"]) if i < len(rows_in) else self.t("Totaal")
            hidden = grid.hidden(i, 0)
            rows.append([label, self.dec(row.get("mean_caseload")),
                         self.dec(row.get("mean_caseload_per_fte")), grid.count(i, 0),
                         HIDDEN if hidden else self.num(row.get("median_duration_days")),
                         HIDDEN if hidden else self.dec(row.get("mean_duration_months"))])
            little.append([label, self.dec(row.get("little_caseload")),
                           HIDDEN if hidden else self.dec(row.get("little_predicted_caseload")),
                           HIDDEN if hidden else self.pct(
                               row.get("little_relative_discrepancy"), 0)])
        return [
            Text("regio_caseload", {
                "caseload": self.dec(overall.get("mean_caseload_per_fte")),
                "norm": self.dec(norms.get("caseload_per_fte"), 0),
                "months": self.dec(overall.get("mean_duration_months")),
                "norm_months": self.dec(norms.get("duration_months"), 0)}),
            self.table("caseload", self.t("Gelijktijdige begeleidingen en duur per CAW-regio"),
                       [self.t("CAW-regio"), self.t("Gem. aantal open trajecten"),
                        self.t("per VTE (norm %(caseload_norm)s)") % self.norm_words,
                        self.t("Afgesloten in %(year)s") % {"year": self.year},
                        self.t("Mediane duur (dagen)"),
                        self.t("Gem. duur (maanden; norm %(months_norm)s)") % self.norm_words],
                       rows, grids=[grid], total_rows=1,
                       n=self.n_line(overall.get("active"), N_("n = %(n)s actieve trajecten"),
                                     fact="counts.active"),
                       notes=[self.t("Duur van de in het jaar afgesloten trajecten; niet "
                                     "gepubliceerd bij minder dan %(t)s afsluitingen.") % {
                                         "t": self.threshold}]),
            self.table("little", self.t("Wet van Little: gemiddeld aantal open trajecten "
                                        "tegenover doorstroom maal duur"),
                       [self.t("CAW-regio"), self.t("L: gem. aantal open trajecten"),
                        self.t("λ×W: afsluitingen per jaar × gem. duur"),
                        self.t("Verschil (L − λ×W) / λ×W")], little, total_rows=1,
                       n=self.n_line(overall.get("active"), N_("n = %(n)s actieve trajecten"),
                                     fact="counts.active"),
                       notes=[self.t("In een stabiele toestand zijn L en λ×W gelijk; een "
                                     "groeiend aanbod (nieuw personeel) maakt L groter.")]),
        ]

    def regions_outcomes(self) -> list[Block]:
        rows_in = self.per_caw()
        overall = _get(self.r, "indicators", "overall", default={})
        goals = ["bereikt", "gedeeltelijk", "niet_bereikt"]
        last = len(rows_in)
        goal_grid = self.grid("doelen-regio", [r["caw"] for r in rows_in],
                              [[r.get(f"goals_{g}") or 0 for r in rows_in] for g in goals],
                              percent="row",
                              facts={(last, j): f"goals.{g}" for j, g in enumerate(goals)}
                              | {(last, 3): "goals.n"})
        goal_rows = []
        for i, row in enumerate([*rows_in, overall]):
            label = self.region(row["caw"]) if i < len(rows_in) else self.t("Totaal")
            goal_rows.append([label, goal_grid.count(i, 3),
                              *(goal_grid.mark_share(i, j) for j in range(3))])
        yes = [r.get("eviction_avoided") or 0 for r in rows_in]
        no = [(r.get("eviction_n") or 0) - y for r, y in zip(rows_in, yes, strict=True)]
        unknown = [r.get("eviction_unknown") or 0 for r in rows_in]
        ev_grid = self.grid("vermeden-regio", [r["caw"] for r in rows_in], [yes, no, unknown],
                            facts={(i, 3): f"closed.n.{r['caw']}" for i, r in enumerate(rows_in)}
                            | {(last, 0): "eviction.ja", (last, 1): "eviction.nee",
                               (last, 2): "eviction.onbekend", (last, 3): "counts.closed"},
                            extra=lambda spec: spec.total(  # the n of chapter 5's prose
                                "known", [(TOTAL, 0), (TOTAL, 1)], fact="eviction.known",
                                spare=True))
        ev_rows = []
        for i, row in enumerate([*rows_in, overall]):
            label = self.region(row["caw"]) if i < len(rows_in) else self.t("Totaal")
            hidden = ev_grid.hidden(i, 0) or ev_grid.hidden(i, 1)
            ev_rows.append([label, ev_grid.count(i, 0), ev_grid.count(i, 1),
                            ev_grid.count(i, 2), HIDDEN if hidden else self.pct_ci(
                                row.get("eviction_avoided_rate"),
                                row.get("eviction_avoided_ci"))])
        blocks: list[Block] = [
            Text("regio_uitkomsten"),
            self.table("doelen-regio", self.t("Handelingsdoelen bij afsluiting per CAW-regio"),
                       [self.t("CAW-regio"), self.t("n"),
                        *(self.level("handelingsdoelen", g) for g in goals)], goal_rows,
                       grids=[goal_grid], total_rows=1, shares=True,
                       n=self.n_line(overall.get("goals_n"), N_("n = %(n)s afgesloten "
                                                                "trajecten"), fact="goals.n"),
                       notes=[self.t("Rijpercentages.")]),
            self.table("vermeden-regio", self.t("Uithuiszetting vermeden per CAW-regio"),
                       [self.t("CAW-regio"), self.t("Vermeden"), self.t("Niet vermeden"),
                        self.t("Onbekend"), self.t("Aandeel vermeden (95%-BI)")], ev_rows,
                       grids=[ev_grid], total_rows=1,
                       n=self.n_line(overall.get("closed"), N_("n = %(n)s afgesloten "
                                                               "trajecten"),
                                     fact="counts.closed"),
                       notes=[self.t("Aandeel onder de afsluitingen met ja of nee; intervallen "
                                     "volgens Wilson.")]),
        ]
        if self.p is not None:
            _, table, _ = self.crosstab(
                "afsluitreden-regio", "afsluitreden",
                self.p["closed"]["variables"]["afsluitreden"],
                title=self.t("Reden van afsluiting per CAW-regio"),
                unit=N_("n = %(n)s afgesloten trajecten"), population=self.p["closed"]["n"],
                pop="closed")
            blocks.append(table)
        return blocks

    def regions_rereferral(self) -> list[Block]:
        rr = _get(self.r, "indicators", "re_referral", default={})
        if not rr.get("available") or not rr.get("per_caw"):
            return [self.para(self.t("Het herval kan voor dit jaar niet bepaald worden: de "
                                     "levering bevat geen afsluitingen van het vorige jaar met "
                                     "een cliëntcode."))]
        order = {c: i for i, c in enumerate(self.region_codes)}
        per_caw = sorted(rr["per_caw"], key=lambda x: order.get(x["caw"], len(order)))
        overall = rr.get("overall", {})
        again = [x.get("re_referred") or 0 for x in per_caw]
        followed = [x.get("with_client_id") or 0 for x in per_caw]
        grid = self.grid("herval", [x["caw"] for x in per_caw],
                         [again, [f - a for f, a in zip(followed, again, strict=True)]])
        self.herval = grid
        rows = []
        for i, x in enumerate([*per_caw, overall]):
            label = self.region(x["caw"]) if i < len(per_caw) else self.t("Totaal")
            hidden = grid.hidden(i, 0) or grid.hidden(i, 1)
            rows.append([label, grid.count(i, 2), grid.count(i, 0),
                         HIDDEN if hidden else self.pct_ci(x.get("rate"), x.get("rate_ci"))])
        return [
            Text("regio_herval", {"cohort": rr.get("cohort_year"),
                                  "rate": rows[-1][3]}),
            self.table("herval", self.t("Herval: opnieuw in begeleiding binnen 12 maanden na "
                                        "een afsluiting in %(year)s") % {
                "year": rr.get("cohort_year")},
                [self.t("CAW-regio"), self.t("Afgesloten, met cliëntcode"),
                 self.t("Opnieuw in begeleiding"), self.t("Aandeel (95%-BI)")], rows,
                grids=[grid], total_rows=1,
                n=self.n_line(grid.cell(len(per_caw), 2).raw,
                              N_("n = %(n)s afgesloten trajecten met cliëntcode"),
                              fact="herval.n"),
                notes=[self.t("Een nieuw traject bij om het even welk CAW telt mee, als het in "
                              "de levering zit. Intervallen volgens Wilson.")]),
        ]

    def regions_agreements(self) -> list[Block]:
        ag = _get(self.r, "indicators", "agreements", default={})
        order = {c: i for i, c in enumerate(self.region_codes)}
        per_caw = sorted(ag.get("per_caw", []), key=lambda x: order.get(x["caw"], len(order)))
        overall = ag.get("overall", {})

        def of(k: Any, n: Any) -> str:
            return self.t("%(k)s van %(n)s") % {"k": self.num(k), "n": self.num(n)}

        rows = []
        for i, x in enumerate([*per_caw, overall]):
            label = self.region(x["caw"]) if i < len(per_caw) else self.t("Totaal")
            rows.append([label, of(x.get("shm_covered"), x.get("shm_n")),
                         of(x.get("svk_covered"), x.get("svk_n")),
                         self.pct(x.get("landlords_dwellings_share")),
                         of(x.get("with_local_authority"), x.get("agreements_in_force")),
                         of(x.get("municipalities_covered"), x.get("municipalities")),
                         self.yes_no(x.get("gebiedsdekkend"))])
        if not per_caw:
            return [self.para(self.t("Er zijn geen gegevens over samenwerkingsovereenkomsten."))]
        return [
            Text("regio_overeenkomsten", {
                "covered": self.num(overall.get("regions_gebiedsdekkend")),
                "regions": self.num(len(per_caw)),
                "landlords": self.pct(overall.get("landlords_share")),
                "dwellings": self.pct(overall.get("landlords_dwellings_share")),
                "local": self.pct(overall.get("share_with_local_authority"))}),
            self.table("overeenkomsten", self.t("Samenwerkingsovereenkomsten in voege op de "
                                                "peildatum, per CAW-regio"),
                       [self.t("CAW-regio"), self.t("SHM's met overeenkomst"),
                        self.t("SVK's met overeenkomst"), self.t("Woningen gedekt"),
                        self.t("Overeenkomsten met lokaal bestuur"),
                        self.t("Gemeenten gedekt"), self.t("Gebiedsdekkend")], rows,
                       total_rows=1,
                       n=self.n_line(overall.get("landlords_n"),
                                     N_("n = %(n)s sociale verhuurders")),
                       source=N_("Bron: referentiegegevens verhuurders "
                                 "(samenwerkingsovereenkomsten), bewerking pwb."),
                       notes=[self.t("Aantallen verhuurders en woningen, geen huishoudens: niet "
                                     "onderdrukt."), self.illustrative_note()]),
        ]

    def regions_extra_fte(self) -> list[Block]:
        extra = _get(self.r, "indicators", "extra_fte", default={})
        reinf = extra.get("per_reinforcement", [])
        blocks: list[Block] = [Text("regio_extra_vte", {
            "realised": self.num(sum(1 for x in reinf if x.get("realised_within_month"))),
            "total": self.num(len(reinf))})]
        if reinf:
            grid = self.grid("extra-vte", [str(i) for i in range(len(reinf))],
                             [[x.get("starts_before") or 0 for x in reinf],
                              [x.get("starts_after") or 0 for x in reinf]],
                             row_total=False, col_total=False)
            rows = [[self.region(x["caw"]), fmt.short_date(x.get("vanaf"), self.lang),
                     self.dec(x.get("extra_fte"), 2),
                     f"{self.dec(x.get('fte_before'), 2)} → {self.dec(x.get('fte_after'), 2)}",
                     grid.count(i, 0), grid.count(i, 1),
                     self.yes_no(x.get("realised_within_month"))]
                    for i, x in enumerate(reinf)]
            blocks.append(self.table(
                "extra-vte", self.t("Versterkingen van de omzendbrief en de starts errond"),
                [self.t("CAW-regio"), self.t("Vanaf"), self.t("Extra VTE"),
                 self.t("VTE vóór → na"), self.t("Starts in het venster vóór"),
                 self.t("Starts in het venster na"),
                 self.t("Binnen één maand gerealiseerd")], rows, grids=[grid],
                numeric=[False, False, True, True, True, True, False],
                n=self.n_line(len(reinf), N_("n = %(n)s versterkingen")),
                notes=[self.t("Vensters van hoogstens 365 dagen vóór en na de datum, afgekapt op "
                              "de peildatum en op een andere versterking van dezelfde regio. "
                              "Gerealiseerd: in de eerste 31 dagen meer trajecten gestart dan het "
                              "ritme van het venster ervoor voorspelt.")]))
        per_caw = extra.get("per_caw", [])
        if per_caw:
            order = {c: i for i, c in enumerate(self.region_codes)}
            per_caw = sorted(per_caw, key=lambda x: order.get(x["caw"], len(order)))
            hidden = self.hidden_active()
            rows = [[self.region(x["caw"]), self.dec(x.get("fte_base"), 2),
                     self.dec(x.get("fte_extra"), 2),
                     HIDDEN if x["caw"] in hidden else self.dec(x.get("clients_per_fte")),
                     HIDDEN if x["caw"] in hidden else self.dec(x.get("clients_per_base_fte")),
                     self.yes_no(x.get("meets_norm")), self.yes_no(x.get("meets_norm_base_only"))]
                    for x in per_caw]
            blocks.append(self.table(
                "extra-vte-regio", self.t("De norm van %(clients_norm)s met en zonder de extra "
                                          "VTE, versterkte regio's") % self.norm_words,
                [self.t("CAW-regio"), self.t("Basis-VTE"), self.t("Extra VTE (gem.)"),
                 self.t("Cliënten per VTE"), self.t("Cliënten per basis-VTE"),
                 self.t("Norm gehaald"), self.t("Norm gehaald zonder extra")], rows,
                n=self.n_line(len(per_caw), N_("n = %(n)s regio's")),
                notes=[self.illustrative_note()]))
        return blocks

    # =========================================================================== 7

    def chapter_need(self) -> list[Section]:
        return [
            Section("nood", self.t("Verwachte uithuiszettingen en benodigde VTE"),
                    self.need_table()),
            Section("scenarios", self.t("Verdeling van extra middelen: scenario's"),
                    self.need_scenarios()),
        ]

    def need_table(self) -> list[Block]:
        ns = self.r.get("need_supply", {})
        order = {c: i for i, c in enumerate(self.region_codes)}
        per_caw = sorted(ns.get("per_caw", []), key=lambda x: order.get(x["caw"], len(order)))
        overall = ns.get("overall", {})
        active_hidden = self.hidden_active()
        rows = []
        for i, x in enumerate([*per_caw, overall]):
            label = self.region(x["caw"]) if i < len(per_caw) else self.t("Totaal")
            rows.append([label, self.num(x.get("dwellings_shm")),
                         self.num(x.get("dwellings_shm_big_city")),
                         self.num(x.get("dwellings_svk")), self.dec(x.get("expected_evictions")),
                         self.dec(x.get("fte_needed"), 2), self.dec(x.get("fte_present"), 2),
                         self.pct(x.get("coverage"), 0), self.dec(x.get("fte_gap"), 2),
                         HIDDEN if x["caw"] in active_hidden else
                         self.dec(x.get("active_per_expected_eviction"), 2)])
        low = min((x for x in per_caw if x.get("coverage") is not None),
                  key=lambda x: x["coverage"], default=None)
        params = ns.get("parameters", {})
        gap = overall.get("fte_gap")
        if gap is None:
            gap_text = fmt.MISSING
        elif gap > 0:
            gap_text = self.t("een tekort van %(fte)s VTE") % {"fte": self.dec(gap, 1)}
        elif gap < 0:
            gap_text = self.t("een overschot van %(fte)s VTE") % {"fte": self.dec(-gap, 1)}
        else:
            gap_text = self.t("zonder tekort")
        self.gap_text = gap_text
        return [
            Text("vraag_nood", {
                "coverage": self.pct(overall.get("coverage"), 0), "gap_text": gap_text,
                "needed": self.dec(overall.get("fte_needed"), 1),
                "present": self.dec(overall.get("fte_present"), 1),
                "low_region": self.region(low["caw"]) if low else fmt.MISSING,
                "low": self.pct(low["coverage"], 0) if low else fmt.MISSING,
                "svk": self.pct(params.get("risk_svk"), 0),
                "shm": self.pct(params.get("risk_shm"), 0),
                "big": self.pct(params.get("risk_shm_big_city"), 2),
                "supports": self.dec(params.get("supports_per_fte_year"), 2)}),
            self.table("nood", self.t("Nood aan en aanbod van preventieve woonbegeleiding per "
                                      "CAW-regio"),
                       [self.t("CAW-regio"), self.t("SHM-woningen"),
                        self.t("waarvan Gent/Antwerpen"), self.t("SVK-woningen"),
                        self.t("Verwachte uithuiszettingen"), self.t("Benodigde VTE"),
                        self.t("Aanwezige VTE"), self.t("Dekking"), self.t("Tekort (VTE)"),
                        self.t("Actieve trajecten per verwachte uithuiszetting")], rows,
                       total_rows=1,
                       n=self.n_line(len(per_caw), N_("n = %(n)s regio's")),
                       source=N_("Bron: registratie preventieve woonbegeleiding en "
                              "referentiegegevens (verhuurders, personeel), bewerking pwb."),
                       notes=[self.t("Aanwezige VTE: in voege op de peildatum. Dekking = "
                                     "aanwezige / benodigde VTE. Verwachte uithuiszettingen "
                                     "en woningen zijn geen huishoudens: niet onderdrukt."),
                              self.illustrative_note()]),
        ]

    def need_scenarios(self) -> list[Block]:
        sc = _get(self.r, "need_supply", "scenarios", default={})
        runs = sc.get("runs", [])
        if not runs:
            return [self.para(self.t("Er zijn geen scenario's berekend."))]
        budgets = [run["budget_eur"] for run in runs]
        order = {c: i for i, c in enumerate(self.region_codes)}
        table = sorted(sc.get("table", []), key=lambda x: order.get(x["caw"], len(order)))
        rows = []
        for x in table:
            rows.append([self.region(x["caw"]), self.pct(x.get("coverage"), 0)] + [
                self.dec(x.get(f"extra_fte_{int(b)}"), 2) for b in budgets])
        rows.append([self.t("Totaal extra VTE"), ""] + [self.dec(run.get("total_fte"), 2)
                                                       for run in runs])
        rows.append([self.t("Laagste dekking na verdeling"),
                     self.pct(runs[0].get("min_coverage_before"), 0)] + [
            self.pct(run.get("min_coverage_after"), 0) for run in runs])
        excluded = ", ".join(self.region(c) for c in sc.get("excluded", []))
        return [
            Text("vraag_scenarios", {"excluded": excluded,
                                     "cost": fmt.euro(sc.get("cost_per_fte"), locale=self.lang)}),
            self.table("scenarios", self.t("Extra VTE per CAW-regio bij vier budgetten "
                                           "(verdeling die de laagste dekking maximaliseert)"),
                       [self.t("CAW-regio"), self.t("Dekking nu")] + [
                           fmt.euro(b, locale=self.lang) for b in budgets], rows, total_rows=2,
                       n=self.n_line(len(table), N_("n = %(n)s regio's")),
                       source=N_("Bron: registratie preventieve woonbegeleiding en "
                              "referentiegegevens (verhuurders, personeel), bewerking pwb."),
                       notes=[self.t("Niet in de verdeling opgenomen: %(regions)s (de "
                                     "omzendbrief voorziet een aparte regeling).") % {
                                         "regions": excluded or fmt.MISSING}
                              if excluded else "", self.illustrative_note()]),
        ]

    # =========================================================================== 8

    def chapter_conclusions(self, refs: Mapping[str, str]) -> list[Section]:
        return [
            Section("bevindingen", self.t("Kernbevindingen"),
                    [Text("lijst", {"items": self.conclusions(refs)})]),
            Section("voorbehouden", self.t("Voorbehouden"),
                    [Text("lijst", {"items": [{"text": x, "sub": []}
                                              for x in self.caveats()]})]),
        ]

    def conclusions(self, refs: Mapping[str, str]) -> list[dict[str, Any]]:
        """The key findings, each {text, sub}: written from the numbers, direction-aware,
        'significant' only where p < ALPHA, with the interval and the table it rests on."""
        r = self.r
        counts = r.get("counts", {})
        overall = _get(r, "indicators", "overall", default={})
        norms = _get(r, "indicators", "norms", default={})
        tc = r.get("time_to_closure", {})
        out: list[dict[str, Any]] = []

        def add(text: str, key: str, sub: Sequence[str] = ()) -> None:
            if key in refs:
                text = (text[:-1] if text.endswith((".", ":")) else text) + \
                    f" ({refs[key]})" + (text[-1] if text.endswith((".", ":")) else "")
            out.append({"text": text, "sub": list(sub)})

        add(self.t("In %(year)s waren %(active)s trajecten actief; %(closed)s werden in het jaar "
                   "afgesloten en %(open)s liepen nog op de peildatum.") % {
            "year": self.year, "active": self.count("counts.active", counts.get("active")),
            "closed": self.count("counts.closed", counts.get("closed")),
            "open": self.count("counts.open_at_cutoff", counts.get("open_at_cutoff"))},
            "status")
        avoided = getattr(self, "avoided", None)
        if avoided and avoided["cell"].published:
            add(self.t("Bij %(rate)s van de afgesloten trajecten met gekende afloop werd de "
                       "uithuiszetting vermeden (n = %(n)s; tussen haakjes het "
                       "95%%-betrouwbaarheidsinterval).") % avoided, "vermeden")
        reached = overall.get("goals_bereikt_share")
        goals = getattr(self, "goals", None)
        if reached is not None and goals is not None and goals.share_cell(0, 0).published \
                and goals.share_cell(1, 0).published:
            add(self.t("De handelingsdoelen werden bij %(reached)s van de afsluitingen volledig "
                       "en bij %(partly)s gedeeltelijk bereikt.") % {
                "reached": self.pct_ci(reached, overall.get("goals_bereikt_ci")),
                "partly": self.pct(overall.get("goals_gedeeltelijk_share"))}, "doelen")
        median = tc.get("median_days")
        if median is not None and self.enough("counts.active", tc.get("n")):
            lo, hi = (tc.get("median_ci") or [None, None])[:2]
            norm = norms.get("duration_days")
            if norm is not None and hi is not None and hi < norm:
                message = N_("De mediane duur tot afsluiting was %(median)s dagen (%(ci)s), korter "
                             "dan de %(months_norm)s maanden waarmee de omzendbrief rekent.")
            elif norm is not None and lo is not None and lo > norm:
                message = N_("De mediane duur tot afsluiting was %(median)s dagen (%(ci)s), langer "
                             "dan de %(months_norm)s maanden waarmee de omzendbrief rekent.")
            else:
                message = N_("De mediane duur tot afsluiting was %(median)s dagen (%(ci)s); dat "
                             "verschilt niet duidelijk van de %(months_norm)s maanden van de "
                             "omzendbrief.")
            add(self.t(message) % {
                **self.norm_words, "median": self.num(median),
                "ci": self.ci(median, [lo, hi], 0).partition(" ")[2].strip("()") or fmt.MISSING},
                "km")
        cox_terms = _get(r, "cox", "terms", default=[])
        if not self.enough("counts.active", _get(r, "cox", "n")) or not self.estimated(cox_terms):
            cox_terms = []
        significant, _ = self.term_sentences(cox_terms, "hr")
        if significant:
            add(self.t("Kenmerken die in het Cox-model significant (p < 0,05) samenhangen met de "
                       "snelheid van afsluiting, met de andere kenmerken gelijk gehouden:"),
                "cox", significant)
        elif cox_terms:
            add(self.t("Geen enkel kenmerk hangt in het Cox-model significant (p < 0,05) samen "
                       "met de snelheid van afsluiting; dat bewijst niet dat er geen verschil "
                       "is."), "cox")
        ph_p = _get(r, "cox", "ph_test", "global", "p")
        if cox_terms and ph_p is not None and ph_p < ALPHA:
            add(self.t("De toets op proportionele hazards is significant (%(p)s): de "
                       "hazardratio's zijn gemiddelden over de opvolging en moeten voorzichtig "
                       "gelezen worden.") % {"p": self.p_eq(ph_p)}, "ph")
        ev_terms = _get(r, "eviction_avoided", "terms", default=[])
        if not self.enough("eviction.known", _get(r, "eviction_avoided", "n")) \
                or not self.estimated(ev_terms):
            ev_terms = []
        significant, _ = self.term_sentences(ev_terms, "or")
        if significant:
            add(self.t("Kenmerken die in het logistische model significant (p < 0,05) samenhangen "
                       "met een vermeden uithuiszetting, met de andere kenmerken gelijk "
                       "gehouden:"), "logistisch", significant)
        elif ev_terms:
            add(self.t("Geen enkel kenmerk hangt in het logistische model significant (p < 0,05) "
                       "samen met een vermeden uithuiszetting; een verschil is daarmee niet "
                       "uitgesloten."), "logistisch")
        meeting, with_fte = overall.get("regions_meeting_norm"), overall.get("regions_with_fte")
        if with_fte:
            failing = [self.region(x["caw"]) for x in self.per_caw()
                       if x.get("meets_norm") is False]
            text = self.t("%(k)s van de %(n)s regio's met personeel haalden de norm van "
                          "%(clients_norm)s cliënten per VTE; over alle regio's samen waren er "
                          "%(overall)s cliënten per VTE.") % {**self.norm_words,
                "k": self.num(meeting), "n": self.num(with_fte),
                "overall": self.active_grid().cell(len(self.per_caw()), 0).text(
                    lambda _: self.dec(overall.get("clients_per_fte")))}
            if failing:
                text += " " + self.t("Onder de norm: %(list)s.") % {"list": ", ".join(failing)}
            add(text, "norm")
        caseload = overall.get("mean_caseload_per_fte")
        if caseload is not None and norms.get("caseload_per_fte"):
            word = (N_("minder dan") if caseload < norms["caseload_per_fte"]
                    else N_("meer dan") if caseload > norms["caseload_per_fte"]
                    else N_("evenveel als"))
            add(self.t("Een VTE had gemiddeld %(c)s trajecten tegelijk open, %(word)s de %(norm)s "
                       "waarmee de omzendbrief rekent.") % {
                "c": self.dec(caseload), "word": self.t(word),
                "norm": self.dec(norms["caseload_per_fte"], 0)}, "caseload")
        rr = _get(r, "indicators", "re_referral", default={})
        rr_all = rr.get("overall") or {}
        herval = getattr(self, "herval", None)
        if rr.get("available") and rr_all.get("rate") is not None and herval is not None \
                and not herval.hidden(len(herval.rows) - 1, 0) \
                and not herval.hidden(len(herval.rows) - 1, 1):
            add(self.t("Van de trajecten die in %(cohort)s werden afgesloten, kreeg %(rate)s "
                       "binnen 12 maanden een nieuwe begeleiding.") % {
                "cohort": rr.get("cohort_year"),
                "rate": self.pct_ci(rr_all["rate"], rr_all.get("rate_ci"))}, "herval")
        ag = _get(r, "indicators", "agreements", "overall", default={})
        per_ag = _get(r, "indicators", "agreements", "per_caw", default=[])
        if ag and per_ag:
            add(self.t("%(k)s van de %(n)s regio's had op de peildatum gebiedsdekkende "
                       "samenwerkingsovereenkomsten; %(share)s van de sociale woningen valt onder "
                       "een overeenkomst.") % {
                "k": self.num(ag.get("regions_gebiedsdekkend")), "n": self.num(len(per_ag)),
                "share": self.pct(ag.get("landlords_dwellings_share"))}, "overeenkomsten")
        ns = _get(r, "need_supply", "overall", default={})
        if ns.get("coverage") is not None:
            add(self.t("Het aanwezige personeel dekt %(coverage)s van de nood die uit de "
                       "risicopercentages van de omzendbrief volgt: %(gap)s.") % {
                "coverage": self.pct(ns["coverage"], 0),
                "gap": getattr(self, "gap_text", fmt.MISSING)}, "nood")
        return out

    def p_eq(self, p: Any) -> str:
        """'p = 0,042' or 'p < 0,001', unbreakable."""
        return fmt.pvalue(p, self.lang)

    def caveats(self) -> list[str]:
        data = self.r.get("data", {})
        ev = self.r.get("eviction_avoided", {})
        out = []
        if data.get("synthetic"):
            out.append(self.t("Dit rapport is gemaakt op synthetische registraties: de cijfers "
                              "tonen hoe het rapport werkt, niet hoe de woonbegeleiding "
                              "werkelijk verloopt."))
        if data.get("illustrative_reference"):
            out.append(self.t("De verhuurders- en personeelsgegevens zijn illustratief; de "
                              "cijfers over VTE, overeenkomsten en vraag en aanbod zijn dat "
                              "dus ook."))
        out.append(self.t("De registratie is observationeel: er is geen vergelijkingsgroep "
                          "zonder begeleiding. Verbanden tussen kenmerken en uitkomsten zijn "
                          "geen effecten van de begeleiding."))
        if ev.get("n_clusters") and ev["n_clusters"] < 30:
            out.append(self.t("De robuuste standaardfouten rusten op %(g)s regio's; met zo "
                              "weinig clusters kunnen ze te klein uitvallen en zijn de "
                              "intervallen van het logistische model eerder te smal.") % {
                "g": self.num(ev["n_clusters"])})
        out.append(self.t("Kleine aantallen (minder dan %(t)s) zijn niet gepubliceerd; "
                          "regionale cijfers op kleine aantallen zijn onzeker, zie de "
                          "intervallen.") % {"t": self.threshold})
        problems = sum(len(self.r.get(k, {}).get("problems") or []) for k in MODEL_NAMES)
        if problems == 1:
            out.append(self.t("De modelroutines gaven één technische melding; zie bijlage B."))
        elif problems:
            out.append(self.t("De modelroutines gaven %(n)s technische meldingen; zie bijlage "
                              "B.") % {"n": self.num(problems)})
        return out

    # =========================================================================== appendices

    def appendix_sections(self) -> list[Section]:
        return [
            Section("modellen", self.t("Volledige modeltabellen"), self.appendix_models()),
            Section("kwaliteit", self.t("Gegevenskwaliteit"), self.appendix_quality()),
            Section("woordenlijst", self.t("Verklarende woordenlijst"), [Text("woordenlijst")]),
        ]

    def appendix_models(self) -> list[Block]:
        cox = self.r.get("cox", {})
        ev = self.r.get("eviction_avoided", {})
        blocks: list[Block] = []
        conf_c, conf_e = self.pct(cox.get("conf_level"), 0), self.pct(ev.get("conf_level"), 0)
        cox_ok = self.enough("counts.active", cox.get("n")) and self.estimated(
            cox.get("terms") or [])
        ev_ok = self.enough("eviction.known", ev.get("n")) and self.estimated(
            ev.get("terms") or [])
        if cox_ok:
            blocks.append(self.table(
                "cox-volledig", self.t("Cox-model van de afsluiting: alle termen"),
                [self.t("Term"), self.t("Coëfficiënt"), self.t("SE"),
                 self.t("Hazardratio (%(level)s-BI)") % {"level": conf_c}, self.t("p")],
                self.term_rows(cox["terms"], "hr", full=True),
                n=self.t("n = %(n)s trajecten, %(e)s afgesloten") % {
                    "n": self.count("counts.active", cox.get("n")),
                    "e": self.count("counts.closed", cox.get("events"))}))
        ph_terms = _get(cox, "ph_test", "terms", default=[])
        if cox_ok and ph_terms:
            blocks.append(self.table(
                "ph-termen", self.t("Toets op proportionele hazards per term (cox.zph)"),
                [self.t("Term"), self.t("Chi²"), self.t("Vrijheidsgraden"), self.t("p")],
                [[self.term_label(x["term"], "hr"), self.dec(x.get("chisq"), 2),
                  self.num(x.get("df")), self.pval(x.get("p"))] for x in ph_terms],
                n=self.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active")))
        if ev_ok:
            blocks.append(self.table(
                "logistisch-volledig", self.t("Logistisch model van een vermeden uithuiszetting: "
                                              "alle termen"),
                [self.t("Term"), self.t("Coëfficiënt"), self.t("Robuuste SE"),
                 self.t("Oddsratio (%(level)s-BI)") % {"level": conf_e}, self.t("p")],
                self.term_rows(ev["terms"], "or", full=True),
                n=self.t("n = %(n)s afgesloten trajecten, %(e)s vermeden") % {
                    "n": self.count("eviction.known", ev.get("n")),
                    "e": self.count("eviction.ja", ev.get("events"))}))
        rows = [
            [self.t("Cox-model"), self.count("counts.active", cox.get("n")),
             self.count("counts.closed", cox.get("events")),
             self.dec(cox.get("loglik"), 1),
             self.t("LR χ² = %(s)s, vg = %(df)s, %(p)s") % {
                 "s": self.dec(_get(cox, "lr_test", "statistic"), 1),
                 "df": self.num(_get(cox, "lr_test", "df")),
                 "p": self.p_eq(_get(cox, "lr_test", "p"))},
             self.t("concordantie %(c)s; ties %(ties)s; strata %(strata)s") % {
                 "c": self.dec(cox.get("concordance"), 3),
                 "ties": str(cox.get("ties") or "").capitalize(),
                 "strata": ", ".join(self.variable(x) for x in cox.get("strata") or [])
                 or self.t("geen")},
             self.yes_no(cox.get("converged"))],
            [self.t("Logistisch model"), self.count("eviction.known", ev.get("n")),
             self.count("eviction.ja", ev.get("events")),
             self.dec(ev.get("loglik"), 1), fmt.MISSING,
             self.t("standaardfouten: %(cov)s") % {"cov": ev.get("cov_type") or fmt.MISSING},
             self.yes_no(ev.get("converged"))],
        ]
        blocks.append(self.table(
            "modelfit", self.t("Samenvatting van de modellen"),
            [self.t("Model"), self.t("n"), self.t("Gebeurtenissen"), self.t("Log-likelihood"),
             self.t("Toets"), self.t("Details"), self.t("Geconvergeerd")], rows,
            numeric=[False, True, True, True, False, False, False],
            n=self.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
            notes=[self.t("Gebeurtenissen: afsluitingen (Cox) of vermeden uithuiszettingen "
                          "(logistisch).")]))
        return blocks

    def appendix_quality(self) -> list[Block]:
        validation = self.r.get("validation", {})
        files = validation.get("files", [])
        blocks: list[Block] = [Text("bijlage_kwaliteit")]
        if files:
            grid = self.grid("bestanden", [f["bestand"] for f in files],
                             [[f.get("rijen_geldig") or 0 for f in files],
                              [f.get("rijen_quarantaine") or 0 for f in files]],
                             facts={(len(files), 0): "counts.rows_valid",
                                    (len(files), 1): "counts.rows_quarantined",
                                    (len(files), 2): "counts.rows_in"})
            rows = []
            for i, f in enumerate(files):
                result = (self.t("geweigerd: %(why)s") % {"why": self.file_rule(f.get("regel"))}
                          if f.get("geweigerd") else self.t("aanvaard"))
                rows.append([f["bestand"], grid.count(i, 2), grid.count(i, 0), grid.count(i, 1),
                             result, self.yes_no(bool(f.get("waarschuwingen")))])
            last = len(files)
            rows.append([self.t("Totaal"), grid.count(last, 2), grid.count(last, 0),
                         grid.count(last, 1), "", ""])
            blocks.append(self.table(
                "bestanden", self.t("Aangeleverde bestanden"),
                [self.t("Bestand"), self.t("Rijen in"), self.t("Geldig"), self.t("Quarantaine"),
                 self.t("Resultaat"), self.t("Waarschuwing")], rows, grids=[grid],
                numeric=[False, True, True, True, False, False], total_rows=1,
                n=self.n_line(len(files), N_("n = %(n)s aangeleverde bestanden")),
                notes=[self.t("Waarschuwing: bijvoorbeeld een onbekende kolom die genegeerd en "
                              "niet bewaard werd.")]))
        per_rule = (self.p or {}).get("validation", {}).get("per_rule") or {}
        if per_rule:
            codes = self.p["validation"]["regions"]  # type: ignore[index]
            names = list(per_rule)
            grid = self.grid("regels-regio", names,
                             [[per_rule[name][c] for name in names] for c in codes],
                             col_total=False)
            rows = [[name] + [grid.count(i, j) for j in range(len(codes) + 1)]
                    for i, name in enumerate(names)]
            blocks.append(self.table(
                "regels-regio", self.t("Rijen in quarantaine per regel en CAW-regio"),
                [self.t("Regel"), *codes, self.t("Totaal")], rows, grids=[grid],
                n=self.n_line(self.r.get("counts", {}).get("rows_quarantined"),
                              N_("n = %(n)s rijen in quarantaine"),
                              fact="counts.rows_quarantined"),
                notes=[self.t("Een rij die meer dan één regel breekt, telt bij elke regel. "
                              "Regio '?': ontbrekende of onbekende code.")]))
        problems = [[self.t(MODEL_NAMES[k]), text] for k in MODEL_NAMES
                    for text in (self.r.get(k, {}).get("problems") or [])]
        if problems:
            blocks.append(self.table(
                "meldingen", self.t("Technische meldingen van de modelroutines"),
                [self.t("Model"), self.t("Melding (zoals de software ze geeft)")], problems,
                numeric=[False, False],
                n=self.n_line(len(problems), N_("n = %(n)s meldingen"))))
        return blocks


def workbook_sheets(report: Report) -> dict[str, Sheet]:
    """One sheet per numbered table of the report ('Tabel 3.1'): its headers and typed
    cells (counts as int, shares as ``Share``, estimates as float, labels and the hidden
    marks '<5' / 'x' as text: the same published cells as the report), with the title,
    the n and the source in note rows. Render in Dutch for Dutch headers."""
    sheets: dict[str, Sheet] = {}
    for table in report.tables:
        headers: list[str] = []
        for column in table.columns:
            name, k = column or "-", 2
            while name in headers:
                name, k = f"{column} ({k})", k + 1
            headers.append(name)
        rows = [dict(zip(headers, (c.value for c in row), strict=True)) for row in table.cells]
        sheets[table.label] = Sheet(rows, tuple(x for x in (table.title, table.n,
                                                            table.source) if x))
    return sheets


def build_report(results: Mapping[str, Any], profile: Mapping[str, Any] | None, *,
                 translate: Translate, lang: str = "nl", threshold: int = DEFAULT_THRESHOLD,
                 software: Mapping[str, str] | None = None) -> Report:
    """The report's view-model (see the module docstring)."""
    return Builder(results, profile, translate=translate, lang=lang, threshold=threshold,
                   software=software).build()
