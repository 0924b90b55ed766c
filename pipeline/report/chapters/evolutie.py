"""Chapter 7, Evolutie: the years of the registration window side by side, for Flanders
and per CAW region, against the 2011 study (the ``trends`` block of results.json, issue 14
item 1); intake, waiting time and the reinforcement follow in ``bereik``.

Why one disclosure table for all years and regions (``evolutie``): the counts of the
years are tied together. A region's active trajectories of a year are those carried in
plus its new starts, and those carried into the next year are the active ones minus the
closed ones, so a reader holding active, closed and starts of two years can compute any
one of them from the others; the region counts add up to Flanders'; the shares of the
four closure outcomes times the closures give their counts. The table declares exactly
these relations (carried-in and late-referral counts are never shown, but declared, so
the checkpoint's exact check uses the identities), links the last year's counts to the
same counts of chapter 6 (one status), and the audit of the build checks the lot.

Optional: a results.json without ``trends`` (a run of an earlier version) gives a chapter
that says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.report import charts, disclosure
from pipeline.report.chapters import bereik
from pipeline.report.chapters.bereik import FLANDERS
from pipeline.report.context import HIDDEN, Context, _get
from pipeline.report.disclosure import Cell
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Section

OUTCOMES = {"vermeden": ("avoided_share", N_("Uithuiszetting vermeden")),
            "uithuisgezet": ("evicted_share", N_("Uithuisgezet")),
            "niet_vermeden": ("not_avoided_share", N_("Niet vermeden, zonder uithuiszetting")),
            "onbekend": ("unknown_share", N_("Afloop onbekend"))}


class Published:
    """The decided cells of the chapter's counts and of what rests on them."""

    def __init__(self, cells: disclosure.Published, years: Sequence[int],
                 codes: Sequence[str]) -> None:
        self.cells, self.years, self.codes = cells, list(years), list(codes)

    def count(self, kind: str, caw: str, year: int) -> Cell:
        """kind: S (new starts), R (referrals), A (active), C (closed)."""
        return self.cells[(kind, caw, year)]

    def share(self, outcome: str, caw: str, year: int) -> Cell:
        return self.cells[("%", outcome, caw, year)]

    def value(self, name: str, caw: str, year: int) -> Cell:
        """name: clients, caseload, rmst (hidden with the active count they rest on)."""
        return self.cells[(name, caw, year)]

    def note(self, translate: Any) -> str:
        """The suppression legend (``ctx.table(grids=[...])`` reads it)."""
        return self.cells.note(translate)


def _int(value: Any) -> int:
    return int(value or 0)


def _outcome_counts(row: Mapping[str, Any]) -> dict[str, int]:
    """The four outcome counts behind the shares (share x closures, exact for the six
    significant digits of results.json); a rounding remainder goes to 'onbekend'."""
    closed = _int(row.get("closed"))
    counts = {o: int(round((row.get(key) or 0.0) * closed)) for o, (key, _) in OUTCOMES.items()}
    rest = closed - sum(counts.values())
    if rest < 0 or (closed and any(row.get(key) is None for key, _ in OUTCOMES.values())):
        raise ValueError(f"trends: de uitkomsten van {row.get('year')} tellen niet op tot de "
                         f"afsluitingen ({closed})")
    counts["onbekend"] += rest
    return counts


def _region_rows(trends: Mapping[str, Any], ctx: Context) -> dict[str, dict[int, Any]]:
    """caw -> year -> row, regions in the report's order, Flanders last."""
    order = {c: i for i, c in enumerate(ctx.region_codes)}
    per_caw = sorted(trends.get("per_caw") or [], key=lambda x: (order.get(x["caw"], 99),
                                                                 x["caw"]))
    out = {x["caw"]: {r["year"]: r for r in x.get("per_year") or []} for x in per_caw}
    out[FLANDERS] = {r["year"]: r for r in trends.get("per_year") or []}
    return out


def _fact(ctx: Context, name: str, value: int) -> str | None:
    return ctx.ck.fact(name, value)


def fact_name(kind: str, caw: str, year: int, last: int) -> str:
    """The shared name of a count (one status wherever it is shown): the reporting year's
    counts are chapter 6's and chapter 5's; earlier years' the names the regional feedback
    reports (pipeline/report/feedback.py) use for the same counts. ``caw`` FLANDERS is
    'all' there. (The last year's open trajectories, active minus closed, are declared
    by chapter 4's period table, not here.)"""
    who, flanders = ("all" if caw == FLANDERS else caw), caw == FLANDERS
    if year == last:
        named = {"A": "counts.active" if flanders else f"active.n.{caw}",
                 "C": "counts.closed" if flanders else f"closed.n.{caw}",
                 "uithuisgezet": "outcome.uithuisgezet" if flanders else f"evicted.{caw}",
                 # not chapter 6's eviction.ja.<caw>: 'ja' there counts evicted ones too
                 **({o: f"outcome.{o}" for o in OUTCOMES if o != "uithuisgezet"}
                    if flanders else {})}
        if kind in named:
            return named[kind]
    return {"S": f"starts.{who}.{year}", "R": f"referrals.{who}.{year}",
            "A": f"active.{who}.{year}", "C": f"closed.{who}.{year}",
            "vermeden": f"avoided.{who}.{year}", "uithuisgezet": f"evicted.{who}.{year}",
            }.get(kind, f"evolutie.{kind}.{who}.{year}")


def publish(ctx: Context, trends: Mapping[str, Any]) -> Published:
    """Declare every count of the chapter with its relations and let the checkpoint decide."""
    years = list(trends["years"])
    rows = _region_rows(trends, ctx)
    codes = [c for c in rows if c != FLANDERS]
    last = ctx.year
    spec = disclosure.Spec("evolutie")
    zero = {"starts": 0, "referrals": 0, "active": 0, "closed": 0}
    for caw in codes:
        for i, y in enumerate(years):
            row = rows[caw].get(y, zero)
            s, r = _int(row.get("starts")), _int(row.get("referrals"))
            a, c = _int(row.get("active")), _int(row.get("closed"))
            if r <= s:  # referrals of the year are starts of the year: S = R + late ones
                spec.cell(("R", caw, y), r, fact=_fact(ctx, fact_name("R", caw, y, last), r))
                spec.cell(("L", caw, y), s - r)
                spec.total(("S", caw, y), [("R", caw, y), ("L", caw, y)],
                           fact=_fact(ctx, fact_name("S", caw, y, last), s))
            else:  # inconsistent dates: no relation to declare
                spec.cell(("R", caw, y), r)
                spec.cell(("S", caw, y), s, fact=_fact(ctx, fact_name("S", caw, y, last), s))
            spec.cell(("K", caw, y), max(a - s, 0))  # carried in from the year before
            spec.total(("A", caw, y), [("K", caw, y), ("S", caw, y)],
                       fact=_fact(ctx, fact_name("A", caw, y, last), a))
            for o, n in _outcome_counts({**row, "year": y}).items():
                spec.cell(("O", o, caw, y), n, fact=_fact(ctx, fact_name(o, caw, y, last), n))
            spec.total(("C", caw, y), [("O", o, caw, y) for o in OUTCOMES],
                       fact=_fact(ctx, fact_name("C", caw, y, last), c))
            if i:  # carried into this year = active minus closed of the year before
                prev = rows[caw].get(years[i - 1], zero)
                if _int(prev.get("active")) - _int(prev.get("closed")) == a - s:
                    spec.total(("A2", caw, years[i - 1]),
                               [("C", caw, years[i - 1]), ("K", caw, y)],
                               fact=spec.quantities[("A", caw, years[i - 1])].fact)
    for y in years:  # Flanders: the sums of the regions
        flanders = rows[FLANDERS].get(y, zero)
        fields = {"S": "starts", "R": "referrals", "A": "active", "C": "closed"}
        for kind in fields:
            parts = [(kind, caw, y) for caw in codes]
            total = _int(flanders.get(fields[kind]))
            rest = total - sum(spec.quantities[part].value for part in parts)
            if rest < 0:
                raise ValueError(f"trends {y}: de regio's tellen meer {fields[kind]} dan "
                                 "Vlaanderen")
            if rest:  # trajectories of no listed region: never shown, but in the sum
                parts.append(spec.cell((kind, "rest", y), rest))
            spec.total((kind, FLANDERS, y), parts,
                       fact=_fact(ctx, fact_name(kind, FLANDERS, y, last), total))
        for o in OUTCOMES:
            total = sum(spec.quantities[("O", o, caw, y)].value for caw in codes)
            spec.total(("O", o, FLANDERS, y), [("O", o, caw, y) for caw in codes],
                       fact=_fact(ctx, fact_name(o, FLANDERS, y, last), total))
    for caw in [*codes, FLANDERS]:
        for y in years:
            row = rows[caw].get(y, {})
            for o in OUTCOMES:
                spec.share(("%", o, caw, y), ("O", o, caw, y), ("C", caw, y))
            for name, key in (("clients", "clients_per_fte"), ("caseload", "caseload_per_fte"),
                              ("rmst", "rmst_days")):
                spec.value((name, caw, y), row.get(key), on=[("A", caw, y)])
    return Published(ctx.ck.publish(spec), years, codes)


# --------------------------------------------------------------------------- formatting


def _count(ctx: Context, cell: Cell) -> str:
    return cell.text(ctx.num)


def _val(cell: Cell, text: Any) -> str:
    return text(cell.raw) if cell.published else HIDDEN


def _re_referral(ctx: Context, pub: Published, rows: Mapping[str, Any], caw: str,
                 year: int) -> str:
    """The share re-referred within 12 months, or 'x' where it could give back a small
    count: share x (closures of the year before, a published bound on its denominator)
    must leave room for at least t re-referred clients (issue 14: a share whose
    numerator is hidden is hidden). The reporting year's share is chapter 6's herval
    table's and keeps its status there."""
    share = rows[caw].get(year, {}).get("re_referral_share")
    if share is None:
        return "–"
    if year == ctx.year and (hidden := bereik.herval_hidden(ctx, caw)) is not None:
        return HIDDEN if hidden else ctx.pct(share)
    if share == 0:
        return ctx.pct(share)
    if year - 1 in pub.years:
        closed = pub.count("C", caw, year - 1)
        if closed.hidden or int((share + 0.0005) * closed.raw) < ctx.threshold:
            return HIDDEN
    return ctx.pct(share)


def _share(ctx: Context, pub: Published, row: Mapping[str, Any], outcome: str, caw: str,
           year: int, *, interval: bool = False) -> str:
    cell = pub.share(outcome, caw, year)
    if cell.hidden:
        return cell.mark
    key = OUTCOMES[outcome][0]
    if interval:
        return ctx.pct_ci(row.get(key), row.get(key.replace("_share", "_ci")))
    return ctx.pct(row.get(key))


# --------------------------------------------------------------------------- sections


def flanders(ctx: Context, trends: Mapping[str, Any], pub: Published) -> list[Block]:
    years = pub.years
    rows = _region_rows(trends, ctx)[FLANDERS]
    study = trends.get("study_2011") or {}
    fl = FLANDERS
    per_worker = ctx.t("per hulpverlener")

    def line(label: str, study_text: str, cells: list[str]) -> list[str]:
        return [label, study_text, *cells]

    table_rows = [
        line(ctx.t("Nieuwe starts"), "–",
             [_count(ctx, pub.count("S", fl, y)) for y in years]),
        line(ctx.t("Aanmeldingen"), "–", [_count(ctx, pub.count("R", fl, y)) for y in years]),
        line(ctx.t("Actieve trajecten"), "–",
             [_count(ctx, pub.count("A", fl, y)) for y in years]),
        line(ctx.t("Afgesloten trajecten"), "–",
             [_count(ctx, pub.count("C", fl, y)) for y in years]),
        line(ctx.t("Cliënten per VTE (norm: minstens %(clients_norm)s)") % ctx.norm_words,
             f"{ctx.dec(study.get('supports_per_worker_year'), 2)} {per_worker}",
             [_val(pub.value("clients", fl, y), ctx.dec) for y in years]),
        line(ctx.t("Gemiddelde caseload per VTE"),
             f"{ctx.dec(study.get('concurrent_per_worker'), 0)} {per_worker}",
             [_val(pub.value("caseload", fl, y), ctx.dec) for y in years]),
        line(ctx.t("Beperkt gemiddelde duur (dagen, periodeanalyse)"),
             ctx.t("%(days)s (gemiddelde, 9 maanden)") % {
                 "days": ctx.num(study.get("mean_duration_days"))},
             [_val(pub.value("rmst", fl, y), ctx.num) for y in years]),
        line(ctx.t("Uithuiszetting vermeden (95%-BI)"), "–",
             [_share(ctx, pub, rows.get(y, {}), "vermeden", fl, y, interval=True)
              for y in years]),
        *(line(ctx.t(OUTCOMES[o][1]), "–",
               [_share(ctx, pub, rows.get(y, {}), o, fl, y) for y in years])
          for o in ("uithuisgezet", "niet_vermeden", "onbekend")),
        line(ctx.t("Herval binnen 12 maanden"), "–",
             [_re_referral(ctx, pub, _region_rows(trends, ctx), fl, y) for y in years]),
    ]
    first, final = years[0], years[-1]
    s0, s1 = pub.count("S", fl, first), pub.count("S", fl, final)
    sentences = [ctx.t("Vlaanderen en Brussel samen telden in %(year)s %(starts)s nieuwe "
                       "starts, tegenover %(first_starts)s in %(first)s.") % {
        "year": final, "starts": _count(ctx, s1), "first_starts": _count(ctx, s0),
        "first": first}] if first != final else []
    clients = pub.value("clients", fl, final)
    norm = _get(ctx.r, "indicators", "norms", "clients_per_fte", default=27)
    if clients.published and clients.raw is not None:
        sentences.append((ctx.t("Met %(c)s cliënten per VTE haalde Vlaanderen in %(year)s de "
                                "norm van minstens %(norm)s.") if clients.raw >= norm else
                          ctx.t("Met %(c)s cliënten per VTE bleef Vlaanderen in %(year)s "
                                "onder de norm van minstens %(norm)s.")) % {
            "c": ctx.dec(clients.raw), "year": final, "norm": ctx.dec(norm, 0)})
    sentences.append(ctx.t(
        "De kolom '2011 (studie)' geeft de gemiddelden die de evaluatie van 2011 mat "
        "(geciteerd in de omzendbrief, punt 3): ze tellen per hulpverlener, dit rapport per "
        "VTE, dus ze zijn een ijkpunt en geen norm."))
    blocks: list[Block] = [ctx.para(" ".join(sentences)), ctx.table(
        "evolutie-vlaanderen", ctx.t("Evolutie van de kerncijfers, Vlaanderen en Brussel "
                                      "samen, tegenover de studie van 2011"),
        [ctx.t("Indicator"), ctx.t("2011 (studie)"), *(str(y) for y in years)], table_rows,
        numeric=[False, False, *([True] * len(years))],
        n=ctx.n_line(len(years), N_("n = %(n)s registratiejaren")),
        notes=[ctx.t("2011 (studie): gemiddelden van de evaluatie van 2011 (Steunpunt "
                     "Algemeen Welzijnswerk), per hulpverlener en niet per VTE; geciteerd in "
                     "de omzendbrief, punt 3. De 26,66 begeleidingen per hulpverlener per jaar "
                     "staan bij de cliënten per VTE, de 20 gelijktijdige begeleidingen bij de "
                     "caseload."),
               ctx.t("Elk jaar is berekend uit de geleverde registraties met de peildatum van "
                     "dat jaar: een later geleverd jaar verandert de eerdere jaren niet. "
                     "Aandelen onder de afsluitingen van het jaar, intervallen volgens "
                     "Wilson; herval: afsluitingen van het jaar ervoor met een nieuw traject "
                     "binnen 12 maanden.")],
        grids=[pub])]
    if len(years) > 1:
        chart = charts.line_chart(
            years, {ctx.t("Cliënten per VTE"): [pub.value("clients", fl, y) for y in years],
                    ctx.t("Gemiddelde caseload per VTE"): [pub.value("caseload", fl, y)
                                                          for y in years]},
            x_label=ctx.t("Jaar"), y_label=ctx.t("Per VTE"), value_text=ctx.dec,
            x_text=lambda v: str(int(v)),
            reference=(norm, ctx.t("Norm: %(clients_norm)s cliënten per VTE")
                       % ctx.norm_words), zero=True, locale=ctx.lang,
            alt=ctx.t("Cliënten en caseload per VTE per jaar"), chart_id="fig-evolutie-vte")
        blocks.append(ctx.figure("evolutie-vte", ctx.t("Cliënten en gemiddelde caseload per "
                                                       "VTE per jaar, tegenover de norm"),
                                 chart, n=ctx.n_line(len(years),
                                                     N_("n = %(n)s registratiejaren"))))
    return blocks


def regions(ctx: Context, trends: Mapping[str, Any], pub: Published) -> list[Block]:
    years, codes = pub.years, pub.codes
    rows = _region_rows(trends, ctx)
    labels = [*codes, FLANDERS]

    def name(caw: str) -> str:
        return ctx.t("Vlaanderen en Brussel") if caw == FLANDERS else ctx.region(caw)

    counts, outcomes = [], []
    for caw in labels:
        for y in years:
            row = rows[caw].get(y, {})
            counts.append([name(caw), str(y), *(_count(ctx, pub.count(k, caw, y))
                                                for k in ("S", "R", "A", "C")),
                           _val(pub.value("clients", caw, y), ctx.dec),
                           _val(pub.value("caseload", caw, y), ctx.dec),
                           _val(pub.value("rmst", caw, y), ctx.num)])
            outcomes.append([name(caw), str(y), _count(ctx, pub.count("C", caw, y)),
                             _share(ctx, pub, row, "vermeden", caw, y, interval=True),
                             *(_share(ctx, pub, row, o, caw, y)
                               for o in ("uithuisgezet", "niet_vermeden", "onbekend")),
                             _re_referral(ctx, pub, rows, caw, y)])
    n = ctx.n_line(len(codes), N_("n = %(n)s regio's"))
    blocks: list[Block] = [ctx.para(ctx.t(
        "Per regio staan dezelfde cijfers hieronder, eerst als kleine grafieken met één "
        "paneel per regio, dan als tabel. Een ontbrekend punt in een lijn is een aantal "
        "onder %(t)s of een getal dat zo'n aantal zou prijsgeven; het staat als '<%(t)s' of "
        "'x' in de tabel.") % {"t": ctx.threshold} if len(years) > 1 else ctx.t(
        "Per regio staan dezelfde cijfers in de tabellen hieronder; met één jaar zijn er "
        "nog geen lijnen te tekenen."))]
    if len(years) > 1:
        starts = charts.small_multiples(
            years, {caw: [pub.count("S", caw, y) for y in years] for caw in codes},
            row_label=ctx.t("CAW-regio"), y_label=ctx.t("Nieuwe starts"),
            value_text=ctx.num, x_text=lambda v: str(int(v)), locale=ctx.lang,
            alt=ctx.t("Nieuwe starts per jaar, één paneel per CAW-regio"),
            chart_id="fig-evolutie-starts")
        blocks.append(ctx.figure("evolutie-starts", ctx.t("Nieuwe starts per jaar en per "
                                                          "CAW-regio"), starts, n=n,
                                 notes=[pub.note(ctx.t)]))
        norm = _get(ctx.r, "indicators", "norms", "clients_per_fte", default=27)
        per_fte = charts.small_multiples(
            years, {caw: [pub.value("clients", caw, y) for y in years] for caw in codes},
            row_label=ctx.t("CAW-regio"), y_label=ctx.t("Cliënten per VTE"),
            value_text=ctx.dec, x_text=lambda v: str(int(v)),
            reference=(norm, ctx.t("Norm: %(clients_norm)s cliënten per VTE")
                       % ctx.norm_words), locale=ctx.lang,
            alt=ctx.t("Cliënten per VTE per jaar, één paneel per CAW-regio"),
            chart_id="fig-evolutie-vte-regio")
        blocks.append(ctx.figure("evolutie-vte-regio", ctx.t(
            "Cliënten per VTE per jaar en per CAW-regio, tegenover de norm"), per_fte, n=n))
        avoided = charts.small_multiples(
            years, {caw: [pub.share("vermeden", caw, y) for y in years] for caw in codes},
            row_label=ctx.t("CAW-regio"), y_label=ctx.t("Uithuiszetting vermeden"),
            value_text=ctx.pct, x_text=lambda v: str(int(v)), percent=True,
            locale=ctx.lang, alt=ctx.t("Aandeel vermeden uithuiszettingen onder de "
                                       "afsluitingen per jaar, één paneel per CAW-regio"),
            chart_id="fig-evolutie-vermeden-regio")
        blocks.append(ctx.figure("evolutie-vermeden-regio", ctx.t(
            "Aandeel vermeden uithuiszettingen onder de afsluitingen, per jaar en per "
            "CAW-regio"), avoided, n=n, notes=[pub.note(ctx.t)]))
    blocks.append(ctx.table(
        "evolutie-regio", ctx.t("Starts, aanmeldingen, actieve en afgesloten trajecten, "
                                "personeel en duur per CAW-regio en per jaar"),
        [ctx.t("CAW-regio"), ctx.t("Jaar"), ctx.t("Nieuwe starts"), ctx.t("Aanmeldingen"),
         ctx.t("Actief"), ctx.t("Afgesloten"), ctx.t("Cliënten per VTE"),
         ctx.t("Caseload per VTE"), ctx.t("Beperkt gem. duur (dagen)")], counts,
        numeric=[False, False, *([True] * 7)], total_rows=len(years), grids=[pub],
        n=n, notes=[ctx.t("Cliënten per VTE, caseload en duur worden niet gepubliceerd waar "
                          "het aantal actieve trajecten verborgen is of onder %(t)s ligt.")
                    % {"t": ctx.threshold}]))
    blocks.append(ctx.table(
        "evolutie-uitkomsten", ctx.t("Afloop van de afgesloten trajecten en herval per "
                                     "CAW-regio en per jaar"),
        [ctx.t("CAW-regio"), ctx.t("Jaar"), ctx.t("Afgesloten"),
         ctx.t("Uithuiszetting vermeden (95%-BI)"), ctx.t("Uithuisgezet"),
         ctx.t("Niet vermeden"), ctx.t("Afloop onbekend"),
         ctx.t("Herval binnen 12 maanden")], outcomes,
        numeric=[False, False, *([True] * 6)], total_rows=len(years), grids=[pub],
        n=n, notes=[ctx.t("Aandelen onder de afsluitingen van het jaar; '<%(t)s': het aandeel "
                          "rust op minder dan %(t)s afsluitingen; intervallen volgens Wilson. "
                          "Herval: niet gepubliceerd waar het aantal hervallen onder %(t)s "
                          "kan liggen.") % {"t": ctx.threshold}]))
    return blocks


def chapter_evolution(ctx: Context) -> list[Section]:
    trends = ctx.r.get("trends")
    if not trends or not trends.get("years"):
        return [Section("trend-vlaanderen", ctx.t("Evolutie over de jaren"), [ctx.para(ctx.t(
            "Deze run bevat geen cijfers over meerdere jaren (geen blok 'trends' in "
            "results.json)."))])]
    pub = publish(ctx, trends)
    return [
        Section("trend-vlaanderen", ctx.t("Vlaanderen over de jaren en de studie van 2011"),
                flanders(ctx, trends, pub)),
        Section("trend-regio", ctx.t("Per CAW-regio"), regions(ctx, trends, pub)),
        *bereik.sections(ctx, pub),
    ]


def build(ctx: Context) -> Chapter:
    return Chapter("evolutie", ctx.t("Evolutie"), chapter_evolution(ctx))
