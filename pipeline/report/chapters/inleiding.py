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
    rows = [
        [ctx.t("Cliënten per VTE per jaar (minimum)"),
         ctx.dec(norms.get("clients_per_fte"), 0)],
        [ctx.t("Gelijktijdige begeleidingen per begeleider (gemiddeld)"),
         ctx.dec(norms.get("caseload_per_fte"), 0)],
        [ctx.t("Gemiddelde begeleidingsduur (maanden)"),
         ctx.dec(norms.get("duration_months"), 0)],
        [ctx.t("Begeleidingen per begeleider per jaar"),
         ctx.dec(norms.get("supports_per_fte_year"), 2)],
        [ctx.t("Risico op uithuiszetting, huurders van een SVK"),
         ctx.pct(params.get("risk_svk"), 2)],
        [ctx.t("Risico op uithuiszetting, huurders van een SHM"),
         ctx.pct(params.get("risk_shm"), 2)],
        [ctx.t("Risico op uithuiszetting, SHM-huurders in Gent en Antwerpen"),
         ctx.pct(params.get("risk_shm_big_city"), 2)],
        [ctx.t("Kost van één VTE per jaar"),
         fmt.euro(params.get("cost_per_fte"), locale=ctx.lang)],
    ]
    tranches: dict[str, list[float]] = {}
    for row in _get(ind, "extra_fte", "per_reinforcement", default=[]):
        tranche = tranches.setdefault(row["vanaf"], [0.0, row.get("budget_eur") or 0.0])
        tranche[0] += row.get("extra_fte") or 0.0
    for start, (fte, budget) in sorted(tranches.items()):
        rows.append([ctx.t("Extra VTE vanaf %(date)s (%(budget)s per jaar)") % {
            "date": fmt.short_date(start, ctx.lang),
            "budget": fmt.euro(budget, locale=ctx.lang)}, ctx.dec(fte, 2)])
    norms_table = ctx.table(
        "normen", ctx.t("Normen en parameters van de omzendbrief van 2012"),
        [ctx.t("Norm of parameter"), ctx.t("Waarde")], rows,
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
