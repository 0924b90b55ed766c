"""Chapter 7, Vraag en aanbod: expected evictions, FTE needed and present, scenarios.

The chapter's whole text is here (prose.py: messages are trusted markup, values
escaped). The estimate is this report's own, not a method of the circular: the text
says so and cites the points of the circular its parameters come from."""

from __future__ import annotations

from pipeline.report import formatting as fmt
from pipeline.report.context import (
    HIDDEN,
    Context,
    _get,
)
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Section
from pipeline.report.prose import link, markup, paragraph


def chapter_need(ctx: Context) -> list[Section]:
    return [
        Section("nood", ctx.t("Verwachte uithuiszettingen en benodigde VTE"),
                need_table(ctx)),
        Section("scenarios", ctx.t("Verdeling van extra middelen: scenario's"),
                need_scenarios(ctx)),
    ]


def gap_words(ctx: Context) -> str:
    """'een tekort van 12,3 VTE' / 'een overschot van ...' / 'zonder tekort'."""
    gap = ctx.r["need_supply"]["overall"]["fte_gap"]
    if gap is None:
        return fmt.MISSING
    if gap > 0:
        return ctx.t("een tekort van %(fte)s VTE") % {"fte": ctx.dec(gap, 1)}
    if gap < 0:
        return ctx.t("een overschot van %(fte)s VTE") % {"fte": ctx.dec(-gap, 1)}
    return ctx.t("zonder tekort")


def need_table(ctx: Context) -> list[Block]:
    ns = ctx.r.get("need_supply", {})
    order = {c: i for i, c in enumerate(ctx.region_codes)}
    per_caw = sorted(ns.get("per_caw", []), key=lambda x: order.get(x["caw"], len(order)))
    overall = ns.get("overall", {})
    active_hidden = ctx.hidden_active()
    rows = []
    for i, x in enumerate([*per_caw, overall]):
        label = ctx.region(x["caw"]) if i < len(per_caw) else ctx.t("Totaal")
        rows.append([label, ctx.num(x.get("dwellings_shm")),
                     ctx.num(x.get("dwellings_shm_big_city")),
                     ctx.num(x.get("dwellings_svk")), ctx.dec(x.get("expected_evictions")),
                     ctx.dec(x.get("fte_needed"), 2), ctx.dec(x.get("fte_present"), 2),
                     ctx.pct(x.get("coverage"), 0), ctx.dec(x.get("fte_gap"), 2),
                     HIDDEN if x["caw"] in active_hidden else
                     ctx.dec(x.get("active_per_expected_eviction"), 2)])
    low = min((x for x in per_caw if x.get("coverage") is not None),
              key=lambda x: x["coverage"], default=None)
    params = ns.get("parameters", {})
    return [
        paragraph(
            markup(ctx.t(
                'Dit hoofdstuk is een eigen raming van dit rapport, geen rekenwijze van de '
                'omzendbrief: die noemt als grondslag voor de verdeling het risico op '
                'uithuiszetting, de huidige personeelsinzet, de subsidie-enveloppe en de inzet '
                "van de lokale besturen, maar geen formule (omzendbrief, punt 3). De raming neemt "
                "de risico's die de omzendbrief geeft (%(svk)s van de huurders van een SVK, "
                '%(shm)s van de huurders van een SHM, %(big)s in Gent en Antwerpen) als '
                'verwachte uithuiszettingen per jaar, en deelt die door de %(supports)s '
                'begeleidingen per jaar die de evaluatie van 2011 per hulpverlener mat '
                '(geciteerd in de omzendbrief, punt 3); dit rapport leest dat gemiddelde per '
                'VTE.'), svk=ctx.pct(params.get("risk_svk"), 0),
                shm=ctx.pct(params.get("risk_shm"), 0),
                big=ctx.pct(params.get("risk_shm_big_city"), 2),
                supports=ctx.dec(params.get("supports_per_fte_year"), 2)),
            markup(ctx.t(
                "Over alle regio's samen zijn %(needed)s VTE nodig en %(present)s aanwezig: een "
                'dekking van %(coverage)s, %(gap)s. De laagste dekking heeft %(region)s '
                '(%(low)s) (%(table)s).'), needed=ctx.dec(overall.get("fte_needed"), 1),
                present=ctx.dec(overall.get("fte_present"), 1),
                coverage=ctx.pct(overall.get("coverage"), 0), gap=gap_words(ctx),
                region=ctx.region(low["caw"]) if low else fmt.MISSING,
                low=ctx.pct(low["coverage"], 0) if low else fmt.MISSING,
                table=link("nood"))),
        ctx.table("nood", ctx.t("Nood aan en aanbod van preventieve woonbegeleiding per "
                                  "CAW-regio"),
                   [ctx.t("CAW-regio"), ctx.t("SHM-woningen"),
                    ctx.t("waarvan Gent/Antwerpen"), ctx.t("SVK-woningen"),
                    ctx.t("Verwachte uithuiszettingen"), ctx.t("Benodigde VTE"),
                    ctx.t("Aanwezige VTE"), ctx.t("Dekking"), ctx.t("Tekort (VTE)"),
                    ctx.t("Actieve trajecten per verwachte uithuiszetting")], rows,
                   total_rows=1,
                   n=ctx.n_line(len(per_caw), N_("n = %(n)s regio's")),
                   source=N_("Bron: registratie preventieve woonbegeleiding en "
                          "referentiegegevens (verhuurders, personeel), bewerking pwb."),
                   notes=[ctx.t("Aanwezige VTE: in voege op de peildatum. Dekking = "
                                 "aanwezige / benodigde VTE. Verwachte uithuiszettingen "
                                 "en woningen zijn geen huishoudens: niet onderdrukt."),
                          ctx.illustrative_note()]),
    ]


def need_scenarios(ctx: Context) -> list[Block]:
    sc = _get(ctx.r, "need_supply", "scenarios", default={})
    runs = sc.get("runs", [])
    if not runs:
        return [ctx.para(ctx.t("Er zijn geen scenario's berekend."))]
    budgets = [run["budget_eur"] for run in runs]
    order = {c: i for i, c in enumerate(ctx.region_codes)}
    table = sorted(sc.get("table", []), key=lambda x: order.get(x["caw"], len(order)))
    rows = []
    for x in table:  # a region left out of the allocation has no budget columns
        rows.append([ctx.region(x["caw"]), ctx.pct(x.get("coverage"), 0)] + [
            ctx.dec(x.raw.get(f"extra_fte_{int(b)}"), 2) for b in budgets])
    rows.append([ctx.t("Totaal extra VTE"), ""] + [ctx.dec(run.get("total_fte"), 2)
                                                   for run in runs])
    rows.append([ctx.t("Laagste dekking na verdeling"),
                 ctx.pct(runs[0].get("min_coverage_before"), 0)] + [
        ctx.pct(run.get("min_coverage_after"), 0) for run in runs])
    excluded = ", ".join(ctx.region(c) for c in sc.get("excluded", []))
    return [
        paragraph(
            markup(ctx.t(
                "%(table)s verdeelt vier mogelijke budgetten over de regio's zodat de laagste "
                'dekking zo hoog mogelijk wordt; een budget gedeeld door %(cost)s per VTE geeft '
                'het aantal extra VTE. Die kost per VTE staat niet in de omzendbrief: dit rapport '
                'leidt hem af uit haar eerste schijf, 500.000 euro voor 7,88 extra VTE '
                "(omzendbrief, punt 3). De scenario's zijn een hulpmiddel bij de beslissing, geen "
                'voorstel.'), table=link("scenarios"),
                cost=fmt.euro(sc.get("cost_per_fte"), locale=ctx.lang)),
            excluded and markup(ctx.t(
                '%(regions)s is niet opgenomen: voor het tweetalig gebied Brussel-Hoofdstad '
                'voorziet de omzendbrief later een aparte overeenkomst (omzendbrief, punt 3).'),
                regions=excluded)),
        ctx.table("scenarios", ctx.t("Extra VTE per CAW-regio bij vier budgetten "
                                       "(verdeling die de laagste dekking maximaliseert)"),
                   [ctx.t("CAW-regio"), ctx.t("Dekking nu")] + [
                       fmt.euro(b, locale=ctx.lang) for b in budgets], rows, total_rows=2,
                   n=ctx.n_line(len(table), N_("n = %(n)s regio's")),
                   source=N_("Bron: registratie preventieve woonbegeleiding en "
                          "referentiegegevens (verhuurders, personeel), bewerking pwb."),
                   notes=[ctx.t("Niet in de verdeling opgenomen: %(regions)s (de "
                                 "omzendbrief voorziet een aparte regeling, punt 3).") % {
                                     "regions": excluded or fmt.MISSING}
                          if excluded else "", ctx.illustrative_note()]),
    ]


def build(ctx: Context) -> Chapter:
    return Chapter("vraag", ctx.t("Vraag en aanbod"), chapter_need(ctx))
