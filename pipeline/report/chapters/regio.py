"""Chapter 6, Resultaten per CAW-regio: the norm, caseload, outcomes, re-referral,
agreements, extra FTE."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from pipeline.report import feedback
from pipeline.report import formatting as fmt
from pipeline.report.chapters import regiotekst, vergelijking
from pipeline.report.context import (
    HIDDEN,
    Context,
    _get,
)
from pipeline.report.disclosure import TOTAL
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Section, Text


def chapter_regions(ctx: Context) -> list[Section]:
    return [
        Section("norm", ctx.t("De norm van %(clients_norm)s cliënten per VTE")
                % ctx.norm_words, regions_norm(ctx)),
        Section("caseload", ctx.t("Caseload, duur en doorstroom"),
                regions_caseload(ctx)),
        Section("uitkomsten", ctx.t("Uitkomsten per regio"), regions_outcomes(ctx)),
        *vergelijking.sections(ctx),
        Section("herval", ctx.t("Herval"), regions_rereferral(ctx)),
        Section("overeenkomsten", ctx.t("Samenwerkingsovereenkomsten"),
                regions_agreements(ctx)),
        Section("extra-vte", ctx.t("De extra VTE van de omzendbrief"),
                regions_extra_fte(ctx)),
        *feedback_links(ctx),
    ]


def feedback_links(ctx: Context) -> list[Section]:
    """Links to the feedback report of each region (pipeline/report/feedback.py), when the
    run writes them (the asset names them in the profile)."""
    codes = (ctx.p or {}).get("regional_reports") or []
    if not codes:
        return []
    items = [{"text": Markup('<a href="{}">{}</a>').format(
        feedback.report_file(code, ctx.lang), ctx.region(code)), "sub": []} for code in codes]
    return [Section("terugkoppeling", ctx.t("Terugkoppeling per regio"), [
        ctx.para(ctx.t("Elke CAW-regio krijgt haar eigen cijfers naast die van Vlaanderen en "
                       "Brussel in een kort rapport, in de map regio naast dit rapport:")),
        Text("lijst", {"items": items})])]


def regions_norm(ctx: Context) -> list[Block]:
    rows_in = ctx.per_caw()
    overall = _get(ctx.r, "indicators", "overall", default={})
    norm = _get(ctx.r, "indicators", "norms", "clients_per_fte", default=27)
    grid = ctx.active_grid()
    rows: list[list[str]] = []
    for i, row in enumerate([*rows_in, overall]):
        hidden = grid.hidden(i, 0)
        rows.append([ctx.region(row["caw"]) if i < len(rows_in) else ctx.t("Totaal"),
                     ctx.dec(row.get("fte"), 2), ctx.dec(row.get("fte_extra"), 2),
                     grid.count(i, 0),
                     HIDDEN if hidden else ctx.dec(row.get("clients_per_fte")),
                     ctx.yes_no(row.get("meets_norm"))])
    failing = [ctx.region(r["caw"]) for r in rows_in if r.get("meets_norm") is False]
    return [
        regiotekst.norm_text(ctx, meeting=ctx.num(overall.get("regions_meeting_norm")),
                             with_fte=ctx.num(overall.get("regions_with_fte")),
                             failing=failing, norm=ctx.dec(norm, 0), overall=rows[-1][4]),
        ctx.table("norm", ctx.t("Actieve trajecten per VTE tegenover de norm van "
                                  "%(clients_norm)s, per CAW-regio") % ctx.norm_words,
                   [ctx.t("CAW-regio"), ctx.t("VTE (gem. over het jaar)"),
                    ctx.t("waarvan extra VTE"), ctx.t("Actieve trajecten"),
                    ctx.t("Cliënten per VTE"), ctx.t("Norm gehaald")], rows,
                   grids=[grid], total_rows=1,
                   n=ctx.n_line(overall.get("active"), N_("n = %(n)s actieve trajecten"),
                                 fact="counts.active"),
                   notes=[ctx.t("VTE: basispersoneel van het jaar plus de extra VTE van de "
                                 "omzendbrief naar rato van de dagen in voege."),
                          ctx.illustrative_note()]),
    ]


def regions_caseload(ctx: Context) -> list[Block]:
    rows_in = ctx.per_caw()
    overall = _get(ctx.r, "indicators", "overall", default={})
    norms = _get(ctx.r, "indicators", "norms", default={})
    grid = ctx.grid("caseload", [r["caw"] for r in rows_in],
                     [[r.get("closed") or 0 for r in rows_in]], row_total=False,
                     facts={(i, 0): f"closed.n.{r['caw']}" for i, r in enumerate(rows_in)}
                     | {(len(rows_in), 0): "counts.closed"})
    rows, little = [], []
    for i, row in enumerate([*rows_in, overall]):
        label = ctx.region(row["caw"]) if i < len(rows_in) else ctx.t("Totaal")
        hidden = grid.hidden(i, 0)
        rows.append([label, ctx.dec(row.get("mean_caseload")),
                     ctx.dec(row.get("mean_caseload_per_fte")), grid.count(i, 0),
                     HIDDEN if hidden else ctx.num(row.get("median_duration_days")),
                     HIDDEN if hidden else ctx.dec(row.get("rmst_months"))])
        little.append([label, ctx.dec(row.get("little_caseload")),
                       HIDDEN if hidden else ctx.dec(row.get("little_predicted_caseload")),
                       HIDDEN if hidden else ctx.pct(
                           row.get("little_relative_discrepancy"), 0)])
    return [
        regiotekst.caseload_text(
            ctx, caseload=ctx.dec(overall.get("mean_caseload_per_fte")),
            norm=ctx.dec(norms.get("caseload_per_fte"), 0),
            months=ctx.dec(overall.get("rmst_months")),
            norm_months=ctx.dec(norms.get("duration_months"), 0)),
        ctx.table("caseload", ctx.t("Gelijktijdige begeleidingen en duur per CAW-regio"),
                   [ctx.t("CAW-regio"), ctx.t("Gem. aantal open trajecten"),
                    ctx.t("per VTE (2011: %(caseload_norm)s per hulpverlener)") % ctx.norm_words,
                    ctx.t("Afgesloten in %(year)s") % {"year": ctx.year},
                    ctx.t("Mediane duur (dagen)"),
                    ctx.t("Beperkt gem. duur tot 2 jaar (maanden; 2011: gem. %(months_norm)s)")
                    % ctx.norm_words],
                   rows, grids=[grid], total_rows=1,
                   n=ctx.n_line(overall.get("active"), N_("n = %(n)s actieve trajecten"),
                                 fact="counts.active"),
                   notes=[ctx.t("Duur: periodeanalyse van het jaar (elk traject dat in het "
                                 "jaar liep, vanaf 1 januari of zijn start, tot de afsluiting "
                                 "of de peildatum): mediaan en beperkt gemiddelde over de "
                                 "eerste 730 dagen (RMST), dat het volle gemiddelde alleen kan "
                                 "onderschatten; niet gepubliceerd bij minder dan %(t)s "
                                 "afsluitingen.") % {"t": ctx.threshold}]),
        ctx.table("little", ctx.t("Wet van Little: gemiddeld aantal open trajecten "
                                    "tegenover doorstroom maal duur"),
                   [ctx.t("CAW-regio"), ctx.t("L: gem. aantal open trajecten"),
                    ctx.t("λ×W: afsluitingen per jaar × gem. duur"),
                    ctx.t("Verschil (L − λ×W) / λ×W")], little, total_rows=1,
                   n=ctx.n_line(overall.get("active"), N_("n = %(n)s actieve trajecten"),
                                 fact="counts.active"),
                   notes=[ctx.t("In een stabiele toestand zijn L en λ×W gelijk; een "
                                 "groeiend aanbod (nieuw personeel) maakt L groter.")]),
    ]


def regions_outcomes(ctx: Context) -> list[Block]:
    rows_in = ctx.per_caw()
    overall = _get(ctx.r, "indicators", "overall", default={})
    goals = ["bereikt", "gedeeltelijk", "niet_bereikt"]
    last = len(rows_in)
    goal_grid = ctx.grid("doelen-regio", [r["caw"] for r in rows_in],
                          [[r.get(f"goals_{g}") or 0 for r in rows_in] for g in goals],
                          percent="row",
                          facts={(last, j): f"goals.{g}" for j, g in enumerate(goals)}
                          | {(last, 3): "goals.n"})
    goal_rows = []
    for i, row in enumerate([*rows_in, overall]):
        label = ctx.region(row["caw"]) if i < len(rows_in) else ctx.t("Totaal")
        goal_rows.append([label, goal_grid.count(i, 3),
                          *(goal_grid.mark_share(i, j) for j in range(3))])
    yes = [r.get("eviction_avoided") or 0 for r in rows_in]
    no = [(r.get("eviction_n") or 0) - y for r, y in zip(rows_in, yes, strict=True)]
    unknown = [r.get("eviction_unknown") or 0 for r in rows_in]
    ev_grid = ctx.grid("vermeden-regio", [r["caw"] for r in rows_in], [yes, no, unknown],
                        facts={(i, 3): f"closed.n.{r['caw']}" for i, r in enumerate(rows_in)}
                        | {(i, 0): f"eviction.ja.{r['caw']}" for i, r in enumerate(rows_in)}
                        | {(i, 1): f"eviction.nee.{r['caw']}" for i, r in enumerate(rows_in)}
                        | {(last, 0): "eviction.ja", (last, 1): "eviction.nee",
                           (last, 2): "eviction.onbekend", (last, 3): "counts.closed"},
                        extra=lambda spec: spec.total(  # the n of chapter 5's prose
                            "known", [(TOTAL, 0), (TOTAL, 1)], fact="eviction.known",
                            spare=True))
    ev_rows = []
    for i, row in enumerate([*rows_in, overall]):
        label = ctx.region(row["caw"]) if i < len(rows_in) else ctx.t("Totaal")
        hidden = ev_grid.hidden(i, 0) or ev_grid.hidden(i, 1)
        ev_rows.append([label, ev_grid.count(i, 0), ev_grid.count(i, 1),
                        ev_grid.count(i, 2), HIDDEN if hidden else ctx.pct_ci(
                            row.get("eviction_avoided_rate"),
                            row.get("eviction_avoided_ci"))])
    blocks: list[Block] = [
        regiotekst.outcomes_text(ctx),
        ctx.table("doelen-regio", ctx.t("Handelingsdoelen bij afsluiting per CAW-regio"),
                   [ctx.t("CAW-regio"), ctx.t("n"),
                    *(ctx.level("handelingsdoelen", g) for g in goals)], goal_rows,
                   grids=[goal_grid], total_rows=1, shares=True,
                   n=ctx.n_line(overall.get("goals_n"), N_("n = %(n)s afgesloten "
                                                            "trajecten"), fact="goals.n"),
                   notes=[ctx.t("Rijpercentages.")]),
        ctx.table("vermeden-regio", ctx.t("Uithuiszetting vermeden per CAW-regio"),
                   [ctx.t("CAW-regio"), ctx.t("Vermeden"), ctx.t("Niet vermeden"),
                    ctx.t("Onbekend"), ctx.t("Aandeel vermeden (95%-BI)")], ev_rows,
                   grids=[ev_grid], total_rows=1,
                   n=ctx.n_line(overall.get("closed"), N_("n = %(n)s afgesloten "
                                                           "trajecten"),
                                 fact="counts.closed"),
                   notes=[ctx.t("Aandeel onder de afsluitingen met ja of nee; intervallen "
                                 "volgens Wilson.")]),
    ]
    if ctx.p is not None:
        _, table, _ = ctx.crosstab(
            "afsluitreden-regio", "afsluitreden",
            ctx.p["closed"]["variables"]["afsluitreden"],
            title=ctx.t("Reden van afsluiting per CAW-regio"),
            unit=N_("n = %(n)s afgesloten trajecten"), population=ctx.p["closed"]["n"],
            pop="closed")
        blocks.append(table)
    return blocks


def regions_rereferral(ctx: Context) -> list[Block]:
    rr = _get(ctx.r, "indicators", "re_referral", default={})
    if not rr.get("available") or not rr.get("per_caw"):
        return [ctx.para(ctx.t("Het herval kan voor dit jaar niet bepaald worden: de "
                                 "levering bevat geen afsluitingen van het vorige jaar met "
                                 "een cliëntcode."))]
    order = {c: i for i, c in enumerate(ctx.region_codes)}
    per_caw = sorted(rr["per_caw"], key=lambda x: order.get(x["caw"], len(order)))
    overall = rr.get("overall", {})
    again = [x.get("re_referred") or 0 for x in per_caw]
    followed = [x.get("with_client_id") or 0 for x in per_caw]
    grid = ctx.grid("herval", [x["caw"] for x in per_caw],
                     [again, [f - a for f, a in zip(followed, again, strict=True)]])
    rows = []
    for i, x in enumerate([*per_caw, overall]):
        label = ctx.region(x["caw"]) if i < len(per_caw) else ctx.t("Totaal")
        hidden = grid.hidden(i, 0) or grid.hidden(i, 1)
        rows.append([label, grid.count(i, 2), grid.count(i, 0),
                     HIDDEN if hidden else ctx.pct_ci(x.get("rate"), x.get("rate_ci"))])
    return [
        regiotekst.rereferral_text(ctx, cohort=rr.get("cohort_year"), rate=rows[-1][3]),
        ctx.table("herval", ctx.t("Herval: opnieuw in begeleiding binnen 12 maanden na "
                                    "een afsluiting in %(year)s") % {
            "year": rr.get("cohort_year")},
            [ctx.t("CAW-regio"), ctx.t("Afgesloten, met cliëntcode"),
             ctx.t("Opnieuw in begeleiding"), ctx.t("Aandeel (95%-BI)")], rows,
            grids=[grid], total_rows=1,
            n=ctx.n_line(grid.cell(len(per_caw), 2).raw,
                          N_("n = %(n)s afgesloten trajecten met cliëntcode"),
                          fact="herval.n"),
            notes=[ctx.t("Een nieuw traject bij om het even welk CAW telt mee, als het in "
                          "de levering zit. Intervallen volgens Wilson.")]),
    ]


def regions_agreements(ctx: Context) -> list[Block]:
    ag = _get(ctx.r, "indicators", "agreements", default={})
    order = {c: i for i, c in enumerate(ctx.region_codes)}
    per_caw = sorted(ag.get("per_caw", []), key=lambda x: order.get(x["caw"], len(order)))
    overall = ag.get("overall", {})

    def of(k: Any, n: Any) -> str:
        return ctx.t("%(k)s van %(n)s") % {"k": ctx.num(k), "n": ctx.num(n)}

    rows = []
    for i, x in enumerate([*per_caw, overall]):
        label = ctx.region(x["caw"]) if i < len(per_caw) else ctx.t("Totaal")
        rows.append([label, of(x.get("shm_covered"), x.get("shm_n")),
                     of(x.get("svk_covered"), x.get("svk_n")),
                     ctx.pct(x.get("landlords_dwellings_share")),
                     of(x.get("with_local_authority"), x.get("agreements_in_force")),
                     of(x.get("municipalities_covered"), x.get("municipalities")),
                     ctx.yes_no(x.get("gebiedsdekkend"))])
    if not per_caw:
        return [ctx.para(ctx.t("Er zijn geen gegevens over samenwerkingsovereenkomsten."))]
    return [
        regiotekst.agreements_text(
            ctx, covered=ctx.num(overall.get("regions_gebiedsdekkend")),
            regions=ctx.num(len(per_caw)), landlords=ctx.pct(overall.get("landlords_share")),
            dwellings=ctx.pct(overall.get("landlords_dwellings_share")),
            local=ctx.pct(overall.get("share_with_local_authority"))),
        ctx.table("overeenkomsten", ctx.t("Samenwerkingsovereenkomsten in voege op de "
                                            "peildatum, per CAW-regio"),
                   [ctx.t("CAW-regio"), ctx.t("SHM's met overeenkomst"),
                    ctx.t("SVK's met overeenkomst"), ctx.t("Woningen gedekt"),
                    ctx.t("Overeenkomsten met lokaal bestuur"),
                    ctx.t("Gemeenten gedekt"), ctx.t("Gebiedsdekkend")], rows,
                   total_rows=1,
                   n=ctx.n_line(overall.get("landlords_n"),
                                 N_("n = %(n)s sociale verhuurders")),
                   source=N_("Bron: referentiegegevens verhuurders "
                             "(samenwerkingsovereenkomsten), bewerking pwb."),
                   notes=[ctx.t("Aantallen verhuurders en woningen, geen huishoudens: niet "
                                 "onderdrukt."), ctx.illustrative_note()]),
    ]


def regions_extra_fte(ctx: Context) -> list[Block]:
    extra = _get(ctx.r, "indicators", "extra_fte", default={})
    reinf = extra.get("per_reinforcement", [])
    blocks: list[Block] = [regiotekst.extra_fte_text(
        ctx, realised=ctx.num(sum(1 for x in reinf if x.get("realised_within_month"))),
        total=ctx.num(len(reinf)), per_reinforcement=bool(reinf),
        per_region=bool(extra.get("per_caw")))]
    if reinf:
        grid = ctx.grid("extra-vte", [str(i) for i in range(len(reinf))],
                         [[x.get("starts_before") or 0 for x in reinf],
                          [x.get("starts_after") or 0 for x in reinf]],
                         row_total=False, col_total=False)
        rows = [[ctx.region(x["caw"]), fmt.short_date(x.get("vanaf"), ctx.lang),
                 ctx.dec(x.get("extra_fte"), 2),
                 f"{ctx.dec(x.get('fte_before'), 2)} → {ctx.dec(x.get('fte_after'), 2)}",
                 grid.count(i, 0), grid.count(i, 1),
                 ctx.yes_no(x.get("realised_within_month"))]
                for i, x in enumerate(reinf)]
        blocks.append(ctx.table(
            "extra-vte", ctx.t("Versterkingen van de omzendbrief en de starts errond"),
            [ctx.t("CAW-regio"), ctx.t("Vanaf"), ctx.t("Extra VTE"),
             ctx.t("VTE vóór → na"), ctx.t("Starts in het venster vóór"),
             ctx.t("Starts in het venster na"),
             ctx.t("Binnen één maand gerealiseerd")], rows, grids=[grid],
            numeric=[False, False, True, True, True, True, False],
            n=ctx.n_line(len(reinf), N_("n = %(n)s versterkingen")),
            notes=[ctx.t("Vensters van hoogstens 365 dagen vóór en na de datum, afgekapt op "
                          "de peildatum en op een andere versterking van dezelfde regio. "
                          "Gerealiseerd: in de eerste 31 dagen meer trajecten gestart dan het "
                          "ritme van het venster ervoor voorspelt.")]))
    per_caw = extra.get("per_caw", [])
    if per_caw:
        order = {c: i for i, c in enumerate(ctx.region_codes)}
        per_caw = sorted(per_caw, key=lambda x: order.get(x["caw"], len(order)))
        hidden = ctx.hidden_active()
        rows = [[ctx.region(x["caw"]), ctx.dec(x.get("fte_base"), 2),
                 ctx.dec(x.get("fte_extra"), 2),
                 HIDDEN if x["caw"] in hidden else ctx.dec(x.get("clients_per_fte")),
                 HIDDEN if x["caw"] in hidden else ctx.dec(x.get("clients_per_base_fte")),
                 ctx.yes_no(x.get("meets_norm")), ctx.yes_no(x.get("meets_norm_base_only"))]
                for x in per_caw]
        blocks.append(ctx.table(
            "extra-vte-regio", ctx.t("De norm van %(clients_norm)s met en zonder de extra "
                                      "VTE, versterkte regio's") % ctx.norm_words,
            [ctx.t("CAW-regio"), ctx.t("Basis-VTE"), ctx.t("Extra VTE (gem.)"),
             ctx.t("Cliënten per VTE"), ctx.t("Cliënten per basis-VTE"),
             ctx.t("Norm gehaald"), ctx.t("Norm gehaald zonder extra")], rows,
            n=ctx.n_line(len(per_caw), N_("n = %(n)s regio's")),
            notes=[ctx.illustrative_note()]))
    return blocks


def build(ctx: Context) -> Chapter:
    return Chapter("regio", ctx.t("Resultaten per CAW-regio"), chapter_regions(ctx))
