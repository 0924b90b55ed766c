"""Chapter 1, Inleiding: the circular of 2012, the research questions, a reading guide."""

from __future__ import annotations

from pipeline.report import formatting as fmt
from pipeline.report.context import (
    Context,
    _get,
)
from pipeline.report.labels import N_
from pipeline.report.model import Chapter, Section, Text


def chapter_intro(ctx: Context) -> list[Section]:
    ind = ctx.r.get("indicators", {})
    norms = ind.get("norms", {})
    params = _get(ctx.r, "need_supply", "parameters", default={})
    norm = ctx.t("norm van de omzendbrief (punt 2)")
    circular = ctx.t("omzendbrief (punt 3)")
    study = ctx.t("evaluatie van 2011, per hulpverlener; geciteerd in de omzendbrief (punt 3)")
    rows = [
        [ctx.t("Cliënten per VTE per jaar (minimum)"),
         ctx.dec(norms.get("clients_per_fte"), 0), norm],
        [ctx.t("Lopende begeleidingen per hulpverlener (gemiddelde)"),
         ctx.dec(norms.get("caseload_per_fte"), 0), study],
        [ctx.t("Begeleidingsduur in maanden (gemiddelde)"),
         ctx.dec(norms.get("duration_months"), 0), study],
        [ctx.t("Begeleidingen per hulpverlener per jaar (gemiddelde)"),
         ctx.dec(norms.get("supports_per_fte_year"), 2), study],
        [ctx.t("Risico op uithuiszetting, huurders van een SVK"),
         ctx.pct(params.get("risk_svk"), 2), circular],
        [ctx.t("Risico op uithuiszetting, huurders van een SHM"),
         ctx.pct(params.get("risk_shm"), 2), circular],
        [ctx.t("Risico op uithuiszetting, SHM-huurders in Gent en Antwerpen"),
         ctx.pct(params.get("risk_shm_big_city"), 2), circular],
    ]
    tranches: dict[str, list[float]] = {}
    for row in _get(ind, "extra_fte", "per_reinforcement", default=[]):
        tranche = tranches.setdefault(row["vanaf"], [0.0, row.get("budget_eur") or 0.0])
        tranche[0] += row.get("extra_fte") or 0.0
    for k, (start, (fte, budget)) in enumerate(sorted(tranches.items())):
        rows.append([ctx.t("Extra VTE vanaf %(date)s (%(budget)s per jaar)") % {
            "date": fmt.short_date(start, ctx.lang),
            "budget": fmt.euro(budget, locale=ctx.lang)}, ctx.dec(fte, 2),
            circular if k == 0 else ctx.t("omzendbrief (punt 3), mits goedkeuring van de "
                                          "begroting 2013")])
    rows.append([ctx.t("Kost van één VTE per jaar"),
                 fmt.euro(params.get("cost_per_fte"), locale=ctx.lang),
                 ctx.t("afgeleid door dit rapport: 500.000 euro / 7,88 VTE")])
    norms_table = ctx.table(
        "normen", ctx.t("De norm van de omzendbrief van 2012, de gemiddelden van de "
                        "evaluatie van 2011 die ze citeert, en wat dit rapport afleidt"),
        [ctx.t("Norm, gemiddelde of parameter"), ctx.t("Waarde"), ctx.t("Herkomst")], rows,
        numeric=[False, True, False],
        notes=[ctx.t("Alleen de 27 cliënten per VTE is een norm. De gemiddelden van 2011 "
                     "gelden per hulpverlener; dit rapport telt per VTE.")],
        source=N_("Bron: omzendbrief preventieve woonbegeleiding (2012); referentiegegevens "
                  "van pwb."))
    return [
        Section("aanleiding", ctx.t("Aanleiding: de omzendbrief van 2012"),
                [Text("inleiding_omzendbrief"), norms_table]),
        Section("vragen", ctx.t("Onderzoeksvragen"), [Text("inleiding_vragen")]),
        Section("leeswijzer", ctx.t("Leeswijzer"), [Text("inleiding_leeswijzer")]),
    ]


def build(ctx: Context) -> Chapter:
    return Chapter("inleiding", ctx.t("Inleiding"), chapter_intro(ctx))
