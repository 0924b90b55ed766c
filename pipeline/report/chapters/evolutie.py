"""Chapter 7, Evolutie: the years of the registration window side by side, for Flanders
and per CAW region, against the 2011 study (the ``trends`` block of results.json, issue 14
item 1); intake, waiting time and the reinforcement follow in ``bereik``.

Every count of the chapter is decided once, in one disclosure table that declares how the
years, regions and outcomes tie together (``evolutie_cijfers``); this module only reads
the decided cells and writes the tables, charts and sentences.

Optional: a results.json without ``trends`` (a run of an earlier version) gives a chapter
that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.report import charts
from pipeline.report.chapters import bereik
from pipeline.report.chapters.bereik import FLANDERS
from pipeline.report.chapters.evolutie_cijfers import (
    OUTCOMES,
    Published,
    publish,
    region_rows,
)
from pipeline.report.context import HIDDEN, Context, _get
from pipeline.report.disclosure import Cell
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Section

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
    rows = region_rows(trends, ctx)[FLANDERS]
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
             [_re_referral(ctx, pub, region_rows(trends, ctx), fl, y) for y in years]),
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
    rows = region_rows(trends, ctx)
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
