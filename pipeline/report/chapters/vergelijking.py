"""Chapter 6, regions compared fairly (the ``regional_comparison`` block of results.json,
issue 12): per region the observed number of an outcome against the number expected from
its case mix, with the limits of a funnel plot (Spiegelhalter 2005). A region is flagged
only outside its limits; a ranking of regions on raw shares would mostly show their mix.

Optional: a results.json without the block gives no section. Observed counts go through
the disclosure checkpoint, linked to the same counts in the other tables of chapter 6.
"""

from __future__ import annotations

from typing import Any

from pipeline.regional import by_outcome
from pipeline.report.context import HIDDEN, Context
from pipeline.report.labels import N_
from pipeline.report.model import Block, Section

OUTCOMES = {
    "uithuisgezet": (N_("Uithuiszettingen per CAW-regio tegenover het verwachte"),
                     N_("Uithuisgezet"), "closed.n.%s", "evicted.%s", "outcome.uithuisgezet",
                     "counts.closed"),
    "vermeden": (N_("Vermeden uithuiszettingen per CAW-regio tegenover het verwachte"),
                 N_("Vermeden"), "eviction.known.%s", "eviction.ja.%s", "eviction.ja",
                 "eviction.known"),
}
SIGNALS = {"boven": N_("boven de grenzen"), "onder": N_("onder de grenzen"),
           "hoog": N_("boven de grenzen"), "laag": N_("onder de grenzen")}


def comparison(ctx: Context, outcome: str, block: Any) -> list[Block]:
    title, observed_name, n_fact, obs_fact, obs_total, n_total = OUTCOMES[outcome]
    per_caw = sorted(block.get("per_caw") or [], key=lambda x: (
        ctx.region_codes.index(x["caw"]) if x["caw"] in ctx.region_codes else 99, x["caw"]))
    if not per_caw:
        return []
    last = len(per_caw)
    facts = {(i, 2): n_fact % x["caw"] for i, x in enumerate(per_caw)}
    facts |= {(i, 0): obs_fact % x["caw"] for i, x in enumerate(per_caw)}
    if outcome == "vermeden":
        facts |= {(i, 1): f"eviction.nee.{x['caw']}" for i, x in enumerate(per_caw)}
    facts |= {(last, 0): obs_total, (last, 2): n_total}
    grid = ctx.grid(f"vergelijking-{outcome}", [x["caw"] for x in per_caw],
                    [[x["observed"] for x in per_caw],
                     [x["n"] - x["observed"] for x in per_caw]], facts=facts)
    rows = []
    for i, x in enumerate(per_caw):
        shown = grid.cell(i, 0).published and grid.cell(i, 2).published
        lo, hi = x.get("limits95") or [None, None]
        signal = x.get("signal")
        rows.append([ctx.region(x["caw"]), grid.count(i, 2), grid.count(i, 0),
                     ctx.dec(x.get("expected"), 1),
                     ctx.dec(x.get("ratio"), 2) if shown else HIDDEN,
                     f"{ctx.dec(lo, 2)}–{ctx.dec(hi, 2)}",
                     ctx.t(SIGNALS[signal]) if shown and signal in SIGNALS
                     else (ctx.t("binnen de grenzen") if shown else HIDDEN)])
    rows.append([ctx.t("Totaal"), grid.count(last, 2), grid.count(last, 0),
                 ctx.dec(sum(x.get("expected") or 0 for x in per_caw), 1), "", "", ""])
    return [ctx.table(
        f"vergelijking-{outcome}", ctx.t(title),
        [ctx.t("CAW-regio"), ctx.t("n"), ctx.t(observed_name), ctx.t("Verwacht"),
         ctx.t("Verhouding waargenomen / verwacht"), ctx.t("95%%-grenzen van de verhouding"),
         ctx.t("Regio")], rows, grids=[grid], total_rows=1,
        numeric=[False, True, True, True, True, False, False],
        n=ctx.n_line(block.get("n"), N_("n = %(n)s afgesloten trajecten"), fact=n_total),
        notes=[ctx.t("Verwacht: wat het model voor de regio voorspelt uit het profiel van haar "
                     "trajecten (%(covariates)s). Een verhouding buiten de grenzen is een "
                     "signaal om na te gaan, geen rangorde; binnen de grenzen verschilt de "
                     "regio niet duidelijk van wat haar profiel doet verwachten.") % {
                         "covariates": ", ".join(ctx.variable(c)
                                                 for c in block.get("covariates") or [])}])]


def sections(ctx: Context) -> list[Section]:
    """The comparison sections of chapter 6; none when results.json has no block."""
    rc = by_outcome(ctx.r.get("regional_comparison") or {})
    blocks: list[Block] = []
    for outcome in OUTCOMES:
        if rc.get(outcome):
            blocks += comparison(ctx, outcome, rc[outcome])
    if not blocks:
        return []
    intro = ctx.para(ctx.t("Regio's verschillen in wie ze begeleiden. Daarom vergelijkt dit "
                           "deel elke regio met wat het profiel van haar eigen trajecten doet "
                           "verwachten, met de grenzen van een trechterdiagram: hoe kleiner de "
                           "regio, hoe ruimer de grenzen."))
    return [Section("vergelijking", ctx.t("Regio's vergeleken met hun verwachting"),
                    [intro, *blocks])]
