"""The parts of a region's feedback report (see pipeline/report/feedback.py): staffing
against the norm, intake and waiting, duration, the four closure outcomes, the funnel
position, the trend and the delivery's quality; each a list of blocks built on a Context
whose checkpoint is the yearly report's."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pipeline.measures import wilson
from pipeline.report import formatting as fmt
from pipeline.report.context import HIDDEN, Context, Counts, _get
from pipeline.report.disclosure import NOTE, TOTAL, Cell, DisclosureError
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Report, Section, Table, Text

FLANDERS = "Vlaanderen"  # the Evolutie chapter's key of Flanders (chapters/bereik.py)
OUTCOMES = (("vermeden", N_("Uithuiszetting vermeden")), ("uithuisgezet", N_("Uithuisgezet")),
            ("niet_vermeden", N_("Niet vermeden, zonder uithuiszetting")),
            ("onbekend", N_("Afloop onbekend")))
FUNNELS = (("uithuisgezet", N_("Uithuiszettingen onder de afsluitingen"), "closed.n.%s",
            "evicted.%s"),
           ("vermeden", N_("Vermeden uithuiszettingen onder de afsluitingen met ja of nee"),
            "eviction.known.%s", "eviction.ja.%s"))



class Feedback:
    """Builds one region's report on a Context whose checkpoint is the yearly report's."""

    def __init__(self, ctx: Context, code: str, main: Report | None = None) -> None:
        self.ctx, self.code, self.main = ctx, code, main
        self.t = ctx.t
        self.name = ctx.region(code)
        self.flanders = ctx.t("Vlaanderen en Brussel")
        per_caw = _get(ctx.r, "indicators", "per_caw", default=[])
        self.row = next((x for x in per_caw if x["caw"] == code), {})
        self.overall = _get(ctx.r, "indicators", "overall", default={})
        self.key_figures: list[tuple[str, str]] = []

    # ---- published numbers

    def cell(self, fact: str, n: Any) -> Cell | None:
        """One count through the checkpoint (the yearly report's cell when it has it)."""
        return None if n is None else self.ctx.ck.count(fact, int(n))

    def text(self, cell: Cell | None) -> str:
        return fmt.MISSING if cell is None else cell.text(self.ctx.num)

    def enough(self, *cells: Cell | None) -> bool:
        """Published and at least the threshold: an estimate on them may be shown."""
        return all(c is not None and c.published and c.raw >= self.ctx.threshold
                   for c in cells)

    def key(self, name: str) -> str:
        return f"regio:{self.code}:{name}"

    def link(self, name: str, value: int) -> str | None:
        """``name`` if the checkpoint may link this value to it (see Checkpoint.fact)."""
        return self.ctx.ck.fact(name, value)

    def _mirror(self, table: str, key: Any) -> Cell | None:
        """The yearly report's own cell (tables whose cells carry no fact)."""
        published = self.ctx.ck.table(table)
        return None if published is None else published.get(key)

    # ---- the chapters

    def staffing(self) -> list[Block]:
        ctx, row, overall = self.ctx, self.row, self.overall
        active = self.cell(f"active.n.{self.code}", row.get("active"))
        closed = self.cell(f"closed.n.{self.code}", row.get("closed"))
        all_active = self.cell("counts.active", overall.get("active"))
        all_closed = self.cell("counts.closed", overall.get("closed"))

        def per_fte(r: Mapping[str, Any], cell: Cell | None) -> str:
            return ctx.dec(r.get("clients_per_fte")) if cell is not None and \
                cell.published else HIDDEN

        rows = [[ctx.t("VTE (gem. over het jaar)"), ctx.dec(row.get("fte"), 2),
                 ctx.dec(overall.get("fte"), 2)],
                [ctx.t("waarvan extra VTE"), ctx.dec(row.get("fte_extra"), 2),
                 ctx.dec(overall.get("fte_extra"), 2)],
                [ctx.t("Actieve trajecten"), self.text(active), self.text(all_active)],
                [ctx.t("Afgesloten trajecten"), self.text(closed), self.text(all_closed)],
                [ctx.t("Cliënten per VTE"), per_fte(row, active), per_fte(overall, all_active)],
                [ctx.t("Norm gehaald"), ctx.yes_no(row.get("meets_norm")),
                 ctx.yes_no(overall.get("meets_norm"))],
                [ctx.t("Gem. aantal open trajecten per VTE"),
                 ctx.dec(row.get("mean_caseload_per_fte")),
                 ctx.dec(overall.get("mean_caseload_per_fte"))]]
        words = {**ctx.norm_words, "year": ctx.year, "fte": ctx.dec(row.get("fte"), 2),
                 "extra": ctx.dec(row.get("fte_extra"), 2), "clients": rows[4][1],
                 "overall": rows[4][2]}
        if rows[4][1] == HIDDEN:
            verdict = ctx.t("Het aantal cliënten per VTE van de regio wordt niet gepubliceerd "
                            "(te weinig trajecten).")
        elif row.get("meets_norm"):
            verdict = ctx.t("Met %(clients)s cliënten per VTE haalt de regio de norm van "
                            "%(clients_norm)s (Vlaanderen en Brussel: %(overall)s).") % words
        else:
            verdict = ctx.t("Met %(clients)s cliënten per VTE haalt de regio de norm van "
                            "%(clients_norm)s niet (Vlaanderen en Brussel: %(overall)s).") % words
        text = ctx.t("In %(year)s had de regio gemiddeld %(fte)s VTE voor preventieve "
                     "woonbegeleiding, waarvan %(extra)s extra VTE van de omzendbrief.") % words
        notes = [ctx.t("VTE: basispersoneel van het jaar plus de extra VTE van de omzendbrief "
                       "naar rato van de dagen in voege. De norm: minstens %(clients_norm)s "
                       "cliënten per VTE per jaar.") % ctx.norm_words]
        for x in _get(ctx.r, "indicators", "extra_fte", "per_reinforcement", default=[]):
            if x["caw"] == self.code:
                notes.append(ctx.t("Versterking vanaf %(date)s: %(extra)s extra VTE (%(before)s "
                                   "→ %(after)s VTE).") % {
                    "date": fmt.short_date(x.get("vanaf"), ctx.lang),
                    "extra": ctx.dec(x.get("extra_fte"), 2),
                    "before": ctx.dec(x.get("fte_before"), 2),
                    "after": ctx.dec(x.get("fte_after"), 2)})
        notes.append(ctx.illustrative_note())
        self.key_figures += [(ctx.t("Actieve trajecten"), rows[2][1]),
                             (ctx.t("Cliënten per VTE"), rows[4][1])]
        return [ctx.para(f"{text} {verdict}"),
                ctx.table("personeel", ctx.t("Personeel en cliënten per VTE tegenover de norm "
                                             "van %(clients_norm)s") % ctx.norm_words,
                          [ctx.t("Kenmerk"), self.name, self.flanders], rows, notes=notes,
                          n=ctx.n_line(row.get("active"), N_("n = %(n)s actieve trajecten"),
                                       fact=f"active.n.{self.code}"))]

    def intake(self) -> list[Block]:
        ctx = self.ctx
        block = ctx.r.get("intake") or {}
        rows_in = sorted((x for x in block.get("per_caw") or [] if x["caw"] == self.code),
                         key=lambda x: x["year"])
        if not rows_in:
            return [ctx.para(ctx.t("Voor dit jaar zijn er geen gegevens over instroom en "
                                   "wachttijd."))]
        last = len(rows_in)
        grid = ctx.grid(self.key("instroom"), [str(x["year"]) for x in rows_in],
                        [[x["n"] for x in rows_in], [x["starts"] - x["n"] for x in rows_in]],
                        facts={(i, 2): f"evolutie.S.{self.code}.{x['year']}"
                               for i, x in enumerate(rows_in)})
        rows = []
        for i, x in enumerate(rows_in):
            shown = self.enough(grid.cell(i, 0))
            rows.append([str(x["year"]), grid.count(i, 2), grid.count(i, 0),
                         ctx.num(x.get("median")) if shown else HIDDEN,
                         ctx.bounds([x.get("q1"), x.get("q3")], 1) if shown
                         else HIDDEN,
                         ctx.dec(x.get("starts_per_fte_month"), 2)
                         if grid.cell(i, 2).published else HIDDEN])
        wd = block.get("waiting_days") or {}
        if wd.get("n") is not None:  # Flanders: with and without a referral date, as a grid
            everyone = ctx.grid(self.key("instroom-vlaanderen"), [str(ctx.year)],
                                [[int(wd["n"])], [int(wd.get("missing_referral_date") or 0)]],
                                col_total=False,
                                facts={(0, 2): f"evolutie.S.{FLANDERS}.{ctx.year}"})
            shown = self.enough(everyone.cell(0, 0))
            rows.append([f"{self.flanders}, {ctx.year}", everyone.count(0, 2),
                         everyone.count(0, 0), ctx.num(wd.get("median")) if shown else HIDDEN,
                         ctx.bounds([wd.get("q1"), wd.get("q3")], 1) if shown
                         else HIDDEN, fmt.MISSING])
        mine = next((r for r in rows if r[0] == str(ctx.year)), None)
        if mine is not None:
            self.key_figures.append((ctx.t("Mediane wachttijd (dagen)"), mine[3]))
        return [
            ctx.para(ctx.t("Wachttijd: de dagen van de aanmelding tot de start van de "
                           "begeleiding, per jaar van start. De laatste rij geeft Vlaanderen en "
                           "Brussel samen in %(year)s.") % {"year": ctx.year}),
            ctx.table("instroom", ctx.t("Instroom en wachttijd per jaar van start"),
                      [ctx.t("Jaar"), ctx.t("Starts"), ctx.t("Met datum van aanmelding"),
                       ctx.t("Mediane wachttijd (dagen)"), ctx.t("Kwartielen (dagen)"),
                       ctx.t("Starts per maand per VTE")], rows, grids=[grid],
                      total_rows=1 if wd.get("n") is not None else 0,
                      n=ctx.t("n = %(n)s gestarte trajecten") % {"n": grid.count(last, 2)},
                      notes=[ctx.t("Starts per maand per VTE: starts gedeeld door de som over "
                                   "de maanden van de VTE in voege op de eerste dag van de "
                                   "maand. Mediaan en kwartielen niet gepubliceerd bij minder "
                                   "dan %(t)s starts met een datum van aanmelding.") % {
                                       "t": ctx.threshold}])]

    def duration(self) -> list[Block]:
        ctx = self.ctx
        d = ctx.r.get("duration") or {}
        x = next((r for r in d.get("by_caw") or [] if r["caw"] == self.code), None)
        if x is None:
            return [ctx.para(ctx.t("De duur kon voor deze regio niet geschat worden."))]

        def column(r: Mapping[str, Any], n_fact: str, e_fact: str) -> list[str]:
            n, events = self.cell(n_fact, r.get("n")), self.cell(e_fact, r.get("events"))
            shown = self.enough(n) and events is not None and events.published
            return [self.text(n), self.text(events),
                    ctx.num(r.get("median_days")) if shown else HIDDEN,
                    ctx.ci(r.get("rmst_days"), r.get("rmst_ci"), 0) if shown else HIDDEN]

        mine = column(x, f"active.n.{self.code}", f"closed.n.{self.code}")
        everyone = column(d, "counts.active", "counts.closed")
        labels = [ctx.t("Trajecten in het jaar"), ctx.t("Afgesloten in het jaar"),
                  ctx.t("Mediane duur (dagen)"),
                  ctx.t("Beperkt gemiddelde over %(tau)s dagen (95%%-BI)") % {
                      "tau": ctx.num(d.get("tau_days"))}]
        self.key_figures.append((ctx.t("Beperkt gemiddelde duur (dagen)"),
                                 ctx.num(x.get("rmst_days")) if mine[3] != HIDDEN else HIDDEN))
        return [ctx.table(
            "duur", ctx.t("Duur van de begeleiding in %(year)s (periodeanalyse)") % {
                "year": ctx.year}, [ctx.t("Kenmerk"), self.name, self.flanders],
            [[label, a, b] for label, a, b in zip(labels, mine, everyone, strict=True)],
            n=ctx.n_line(x.get("n"), N_("n = %(n)s trajecten"), fact=f"active.n.{self.code}"),
            notes=[ctx.t("Periodeanalyse: elk traject dat in het jaar liep, vanaf 1 januari of "
                         "zijn start tot de afsluiting of de peildatum. De studie van 2011 mat "
                         "een gemiddelde duur van %(study)s dagen (per hulpverlener); een "
                         "beperkt gemiddelde kan het volle gemiddelde alleen onderschatten. "
                         "Een streepje: niet te schatten.") % {
                             "study": ctx.num(d.get("study_mean_days") or 274)}])]

    def _outcome_grid(self, counts: list[int], facts: Mapping[tuple[int, int], str],
                      key: str, extra: Callable[[Any], None] | None = None) -> Counts:
        return self.ctx.grid(key, [k for k, _ in OUTCOMES][:len(counts)], [counts],
                             row_total=False, percent="col", facts=dict(facts), extra=extra)

    def outcomes(self) -> list[Block]:
        ctx, row, c = self.ctx, self.row, self.code
        rc = {x["caw"]: x for x in (ctx.r.get("regional_comparison") or {}).get("per_caw", [])}
        yes, known = row.get("eviction_avoided") or 0, row.get("eviction_n") or 0
        unknown, closed = row.get("eviction_unknown") or 0, row.get("closed") or 0
        evicted = int((rc.get(c) or {}).get("observed") or 0)
        counts = [yes, evicted, known - yes - evicted, unknown]
        if min(counts) < 0 or sum(counts) != closed:
            return [ctx.para(ctx.t("De afloop van de afsluitingen kon voor deze regio niet "
                                   "uitgesplitst worden."))]
        facts = {(0, 0): f"eviction.ja.{c}", (1, 0): f"evicted.{c}", (4, 0): f"closed.n.{c}"}

        def sums(spec: Any) -> None:  # ja + nee and nee as the yearly report has them
            for key, parts, name in (("nee", [(1, 0), (2, 0)], f"eviction.nee.{c}"),
                                     ("known", [(0, 0), (1, 0), (2, 0)],
                                      f"eviction.known.{c}")):
                value = sum(spec.quantities[p].value for p in parts)
                spec.total(key, parts, fact=self.link(name, value))

        try:
            grid = self._outcome_grid(counts, facts, self.key("uitkomsten"), sums)
        except DisclosureError:
            # the yearly report's own cells already fix 'niet vermeden' (nee - uithuisgezet):
            # publish no split that it does not make
            return [ctx.para(ctx.t("De afloop van de afsluitingen wordt voor deze regio niet "
                                   "verder uitgesplitst: de kleine aantallen zouden af te "
                                   "leiden zijn. Zie de tabellen per regio in het jaarrapport."))]
        events = (ctx.r.get("cumulative_incidence") or {}).get("events") or {}
        everyone = [events.get(k) for k, _ in OUTCOMES]
        all_grid = None
        if all(v is not None for v in everyone):
            all_grid = self._outcome_grid(
                [int(v) for v in everyone], {(i, 0): f"outcome.{k}"
                                             for i, (k, _) in enumerate(OUTCOMES)}
                | {(4, 0): "counts.closed"}, self.key("uitkomsten-vlaanderen"))

        def share(g: Counts, i: int) -> str:
            s = g.share_cell(i, 0)
            if not s.published:
                return g.mark_share(i, 0)
            lo, hi = wilson(int(g.cell(i, 0).raw), int(g.cell(4, 0).raw))
            return ctx.pct_ci(s.raw, [lo, hi])

        rows = [[ctx.t(label), grid.count(i, 0), share(grid, i),
                 share(all_grid, i) if all_grid else fmt.MISSING]
                for i, (_, label) in enumerate(OUTCOMES)]
        rows.append([ctx.t("Totaal"), grid.count(4, 0), "", all_grid.count(4, 0)
                     if all_grid else fmt.MISSING])
        first = grid.share_cell(0, 0)
        self.key_figures.append((ctx.t("Uithuiszetting vermeden"), ctx.pct(first.raw)
                                 if first.published else grid.mark_share(0, 0)))
        title = ctx.t("Afloop van de afsluitingen in %(year)s") % {"year": ctx.year}
        n = ctx.n_line(closed, N_("n = %(n)s afgesloten trajecten"), fact=f"closed.n.{c}")
        return [
            ctx.table("uitkomsten", title,
                      [ctx.t("Afloop"), ctx.t("Aantal"), ctx.t("Aandeel (95%-BI)"),
                       ctx.t("Vlaanderen en Brussel (95%-BI)")], rows, grids=[grid],
                      total_rows=1, shares=True, n=n,
                      notes=[ctx.t("Aandelen onder alle afsluitingen van het jaar; intervallen "
                                   "volgens Wilson.")])]

    def funnels(self) -> list[Block]:
        ctx = self.ctx
        rc = ctx.r.get("regional_comparison") or {}
        blocks_in = {"uithuisgezet": rc, "vermeden": rc.get("vermeden") or {}}
        rows, sentences = [], []
        for outcome, label, n_fact, obs_fact in FUNNELS:
            x = next((r for r in blocks_in[outcome].get("per_caw") or []
                      if r["caw"] == self.code), None)
            if x is None:
                continue
            n, observed = self.cell(n_fact % self.code, x["n"]), \
                self.cell(obs_fact % self.code, x["observed"])
            expected = x.get("expected")
            shown = observed is not None and observed.published and bool(expected)
            ratio = observed.raw / expected if shown else None
            lo, hi = (x.get("limits998") or [None, None])[:2]
            if not shown:
                position = HIDDEN
                sentences.append(ctx.t("%(outcome)s: het aantal is te klein om te publiceren; "
                                       "de plaats in het trechterdiagram wordt niet getoond.")
                                 % {"outcome": ctx.t(label)})
            elif hi is not None and ratio > hi:
                position = ctx.t("boven de 99,8%%-grenzen") % {}
                sentences.append(ctx.t("%(outcome)s: de regio ligt buiten (boven) de "
                                       "99,8%%-grenzen: duidelijk meer dan haar profiel doet "
                                       "verwachten. Een signaal om na te gaan, geen rangorde.")
                                 % {"outcome": ctx.t(label)})
            elif lo is not None and ratio < lo:
                position = ctx.t("onder de 99,8%%-grenzen") % {}
                sentences.append(ctx.t("%(outcome)s: de regio ligt buiten (onder) de "
                                       "99,8%%-grenzen: duidelijk minder dan haar profiel doet "
                                       "verwachten. Een signaal om na te gaan, geen rangorde.")
                                 % {"outcome": ctx.t(label)})
            else:
                position = ctx.t("binnen de 99,8%%-grenzen") % {}
                sentences.append(ctx.t("%(outcome)s: de regio ligt binnen de 99,8%%-grenzen: "
                                       "ze verschilt niet duidelijk van wat haar profiel doet "
                                       "verwachten.") % {"outcome": ctx.t(label)})
            rows.append([ctx.t(label), self.text(n), self.text(observed), ctx.dec(expected, 1),
                         ctx.dec(ratio, 2) if shown else HIDDEN,
                         ctx.bounds(x.get("limits95")), ctx.bounds(x.get("limits998")),
                         position])
        if not rows:
            return [ctx.para(ctx.t("Voor dit jaar is er geen vergelijking van de regio's."))]
        blocks: list[Block] = [
            Text("lijst", {"items": [{"text": s, "sub": []} for s in sentences]}),
            ctx.table("trechter", ctx.t("De regio tegenover het verwachte aantal uit haar "
                                        "profiel"),
                      [ctx.t("Uitkomst"), ctx.t("n"), ctx.t("Waargenomen"), ctx.t("Verwacht"),
                       ctx.t("Verhouding waargenomen / verwacht"),
                       ctx.t("95%%-grenzen van de verhouding") % {},
                       ctx.t("99,8%%-grenzen van de verhouding") % {}, ctx.t("Plaats")], rows,
                      numeric=[False, True, True, True, True, False, False, False],
                      notes=[ctx.t("Verwacht: wat het case-mixmodel zonder regio voorspelt uit "
                                   "het profiel van de trajecten van de regio. Een verhouding "
                                   "buiten de 99,8%%-grenzen is een signaal om na te gaan, geen "
                                   "rangorde.") % {}])]
        return blocks + self.reused(lambda key: key.startswith("trechter-"))

    def reused(self, wanted: Callable[[str], bool]) -> list[Block]:
        """The yearly report's figures that show every region (a funnel plot, a panel per
        region), as drawn there: the same picture and published cells, no new drawing."""
        return [dataclasses.replace(
            figure, key=f"regio-{figure.key}", number="", label="", anchor="",
            notes=(*figure.notes, self.ctx.t("De regio staat in de figuur met haar code "
                                             "%(code)s.") % {"code": self.code}))
            for figure in (self.main.figures if self.main is not None else [])
            if wanted(figure.key)]

    def trend(self) -> list[Block]:
        ctx, c = self.ctx, self.code
        trends = ctx.r.get("trends") or {}
        mine = next((x["per_year"] for x in trends.get("per_caw") or [] if x["caw"] == c), [])
        everyone = trends.get("per_year") or []
        if not mine:
            return [ctx.para(ctx.t("Er zijn geen gegevens over vorige jaren."))]
        blocks: list[Block] = [ctx.para(ctx.t(
            "Elk jaar berekend uit de geleverde registraties met de peildatum van dat jaar. "
            "Aandelen onder de afsluitingen van het jaar, met Wilson-intervallen."))]
        for who, years, label in ((c, mine, self.name), ("all", everyone, self.flanders)):
            blocks.append(self._trend_table(who, sorted(years, key=lambda y: y["year"]),
                                            label))
        return blocks + self.reused(lambda key: key == "evolutie-vte-regio")

    def _trend_cells(self, who: str, years: Sequence[Mapping[str, Any]]
                     ) -> list[dict[str, Any]] | None:
        """Per year the cells of the yearly report's Evolutie table (chapters/evolutie.py:
        counts ('S', 'A', 'C', ('O', outcome)), shares and values keyed by region code or
        'Vlaanderen' and year), so both reports print the same cells; None without it."""
        evo = self.ctx.ck.table("evolutie")
        name = who if who != "all" else FLANDERS
        if evo is None:
            return None
        out = []
        for y in years:
            year = y["year"]
            keys = {"starts": ("S", name, year), "active": ("A", name, year),
                    "closed": ("C", name, year), "avoided": ("O", "vermeden", name, year),
                    "evicted": ("O", "uithuisgezet", name, year),
                    "avoided%": ("%", "vermeden", name, year),
                    "evicted%": ("%", "uithuisgezet", name, year),
                    "clients": ("clients", name, year), "rmst": ("rmst", name, year)}
            if any(k not in evo for k in keys.values()):
                return None
            out.append({k: evo[v] for k, v in keys.items()})
        return out

    def _own_trend_cells(self, who: str, years: Sequence[Mapping[str, Any]]
                         ) -> list[dict[str, Any]]:
        """The same cells decided here when the yearly report has no Evolutie table, under
        the fact names of that chapter where it has them."""
        ctx, this, region = self.ctx, self.ctx.year, who != "all"
        name = who if region else FLANDERS

        def fact(kind: str, year: int) -> str:
            if year == this:
                return {("A", True): f"active.n.{who}", ("C", True): f"closed.n.{who}",
                        ("vermeden", True): f"eviction.ja.{who}",
                        ("uithuisgezet", True): f"evicted.{who}",
                        ("A", False): "counts.active", ("C", False): "counts.closed",
                        ("vermeden", False): "outcome.vermeden",
                        ("uithuisgezet", False): "outcome.uithuisgezet"}[(kind, region)]
            if kind in ("vermeden", "uithuisgezet"):
                return f"evolutie.O.{kind}.{year}" if not region else \
                    f"evolutie.O.{kind}.{who}.{year}"
            return f"evolutie.{kind}.{name}.{year}"

        counts = []
        for y in years:
            closed = int(y.get("closed") or 0)
            avoided = round((y.get("avoided_share") or 0) * closed)
            evicted = round((y.get("evicted_share") or 0) * closed)
            counts.append((avoided, evicted, max(closed - avoided - evicted, 0)))
        grid = ctx.grid(self.key(f"evolutie-{who}"), [str(y["year"]) for y in years],
                        [[x[0] for x in counts], [x[1] for x in counts],
                         [x[2] for x in counts]], col_total=False, percent="row",
                        facts={(i, j): fact(kind, y["year"]) for i, y in enumerate(years)
                               for j, kind in ((0, "vermeden"), (1, "uithuisgezet"),
                                               (3, "C"))})
        out = []
        for i, y in enumerate(years):
            active = self.cell(fact("A", y["year"]), y.get("active"))
            closed = grid.cell(i, 3)
            enough = self.enough(active)
            out.append({"starts": self.cell(f"evolutie.S.{name}.{y['year']}", y.get("starts")),
                        "active": active, "closed": closed,
                        "avoided": grid.cell(i, 0), "evicted": grid.cell(i, 1),
                        "avoided%": grid.share_cell(i, 0), "evicted%": grid.share_cell(i, 1),
                        "clients": y.get("clients_per_fte") if enough else None,
                        "rmst": y.get("rmst_days") if enough else None})
        return out

    def _trend_table(self, who: str, years: Sequence[Mapping[str, Any]], label: str) -> Table:
        ctx = self.ctx
        cells = self._trend_cells(who, years) or self._own_trend_cells(who, years)
        small = f"<{ctx.threshold}"

        def value(x: Any, show: Callable[[Any], str]) -> str:
            if isinstance(x, Cell):
                return show(x.raw) if x.published else HIDDEN
            return HIDDEN if x is None else show(x)

        def pct(c: Mapping[str, Any], kind: str) -> str:
            share, count, closed = c[f"{kind}%"], c[kind], c["closed"]
            if not share.published:
                return small if count.hidden and count.mark == small else HIDDEN
            return ctx.pct_ci(share.raw, wilson(int(count.raw), int(closed.raw)))

        rows = [[str(y["year"]), self.text(c["starts"]), self.text(c["active"]),
                 self.text(c["closed"]), value(c["clients"], ctx.dec),
                 value(c["rmst"], ctx.num), pct(c, "avoided"), pct(c, "evicted")]
                for y, c in zip(years, cells, strict=True)]
        notes = [ctx.t("Norm: %(clients_norm)s cliënten per VTE. De studie van 2011 (per "
                       "hulpverlener, niet per VTE): 20 gelijktijdige begeleidingen, "
                       "gemiddeld 274 dagen, 26,66 begeleidingen per jaar.") % ctx.norm_words]
        if any(c[k].hidden for c in cells for k in ("starts", "active", "closed", "avoided",
                                                    "evicted")):
            notes.append(ctx.t(NOTE) % {"t": ctx.threshold})
        return ctx.table(
            f"evolutie-{who}", ctx.t("Evolutie per jaar: %(who)s") % {"who": label},
            [ctx.t("Jaar"), ctx.t("Starts"), ctx.t("Actief"), ctx.t("Afgesloten"),
             ctx.t("Cliënten per VTE"), ctx.t("Beperkt gem. duur (dagen)"),
             ctx.t("Vermeden (95%-BI)"), ctx.t("Uithuisgezet (95%-BI)")], rows,
            shares=True, notes=notes)

    def quality(self) -> list[Block]:
        ctx = self.ctx
        blocks: list[Block] = []
        per_region = (ctx.p or {}).get("validation", {}).get("per_region", [])
        index = next((i for i, r in enumerate(per_region) if r["caw"] == self.code), None)
        accounting = [self._mirror("validatie_regio", (index, k)) for k in (0, 1, TOTAL)] \
            if index is not None else []
        if accounting and all(cell is not None for cell in accounting):
            valid, held, rows_in = accounting
            share = self._mirror("validatie_regio", ("%", index, 1))
            blocks.append(ctx.para(ctx.t(
                "Van de %(rows)s aangeleverde rijen van de regio waren er %(valid)s geldig; "
                "%(held)s rijen staan in quarantaine (%(share)s).") % {
                    "rows": self.text(rows_in), "valid": self.text(valid),
                    "held": self.text(held), "share": ctx.pct(share.raw) if share is not None
                    and share.published else HIDDEN}))
        per_rule = (ctx.p or {}).get("validation", {}).get("per_rule") or {}
        codes = (ctx.p or {}).get("validation", {}).get("regions", [])
        if per_rule and self.code in codes:
            j = codes.index(self.code)
            rows = []
            for i, name in enumerate(per_rule):
                cell = self._mirror("regels-regio", (i, j))
                if cell is None or (cell.published and not cell.raw):
                    continue
                rows.append([name, ctx.rule(name), self.text(cell)])
            if rows:
                blocks.append(ctx.table(
                    "regels", ctx.t("Rijen in quarantaine per gebroken regel"),
                    [ctx.t("Regel"), ctx.t("Betekenis"), ctx.t("Rijen")], rows,
                    numeric=[False, False, True],
                    notes=[ctx.t("Dezelfde cellen als in het jaarrapport. Een rij die meer "
                                 "dan één regel breekt, telt bij elke regel.")]))
        files = (ctx.r.get("validation") or {}).get("files") or []
        token = re.compile(rf"(?<![A-Za-z]){re.escape(self.code)}(?![A-Za-z])")
        rows = []
        for i, f in enumerate(files):
            if not token.search(f["bestand"]):
                continue
            result = (ctx.t("geweigerd: %(why)s") % {"why": ctx.file_rule(f.get("regel"))}
                      if f.get("geweigerd") else ctx.t("aanvaard"))
            rows.append([f["bestand"], self.text(self._mirror("bestanden", (i, TOTAL))),
                         self.text(self._mirror("bestanden", (i, 0))),
                         self.text(self._mirror("bestanden", (i, 1))), result])
        if rows:
            blocks.append(ctx.table(
                "bestanden", ctx.t("Aangeleverde bestanden van de regio"),
                [ctx.t("Bestand"), ctx.t("Rijen in"), ctx.t("Geldig"), ctx.t("Quarantaine"),
                 ctx.t("Resultaat")], rows, numeric=[False, True, True, True, False],
                notes=[ctx.t("Bestanden met de regiocode in hun naam; dezelfde cellen als in "
                             "het jaarrapport.")]))
        blocks.append(ctx.para(ctx.t(
            "Elke rij in quarantaine staat met haar bestand, regelnummer en melding in "
            "quarantaine.csv naast het jaarrapport. Verbeter ze in de eigen registratie en "
            "lever het bestand opnieuw aan; een geweigerd bestand telt helemaal niet mee.")))
        return blocks

    def build(self) -> tuple[list[Chapter], list[tuple[str, str]]]:
        t = self.t
        parts = [("personeel", t("Personeel en de norm"), self.staffing),
                 ("instroom", t("Instroom en wachttijd"), self.intake),
                 ("duur", t("Duur van de begeleiding"), self.duration),
                 ("uitkomsten", t("Afloop van de afsluitingen"), self.outcomes),
                 ("vergelijking", t("De regio tegenover haar verwachting"), self.funnels),
                 ("evolutie", t("Evolutie"), self.trend),
                 ("kwaliteit", t("Kwaliteit van de aangeleverde gegevens"), self.quality)]
        chapters = []
        for key, title, build in parts:
            try:
                blocks = build()
            except DisclosureError:  # Unprotectable: the yearly report's own numbers fix a
                # small count this part would show (the checkpoint dropped its tables)
                blocks = [self.ctx.para(self.ctx.t(
                    "Dit deel wordt voor deze regio niet gepubliceerd: met de getallen van het "
                    "jaarrapport zou een klein aantal af te leiden zijn."))]
            chapters.append(Chapter(key, title, (Section(key, title, tuple(blocks)),)))
        return chapters, self.key_figures
