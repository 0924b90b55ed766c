"""Chapter 6, regions compared fairly (the ``regional_comparison`` block of results.json,
issue 12): per region the observed number of an outcome against the number expected from
its case mix, with the limits of a funnel plot (Spiegelhalter 2005). A region is flagged
only outside its limits; a ranking of regions on raw shares would mostly show their mix.

Optional: a results.json without the block gives no section. Observed counts go through
the disclosure checkpoint, linked to the same counts in the other tables of chapter 6.
"""

from __future__ import annotations

from typing import Any

from pipeline.regional import LIMITS, by_outcome
from pipeline.report import formatting as fmt
from pipeline.report import funnel_plot
from pipeline.report.context import HIDDEN, Context
from pipeline.report.labels import N_
from pipeline.report.model import Block, Section
from pipeline.stats import funnel

OUTCOMES = {
    "uithuisgezet": (N_("Uithuiszettingen per CAW-regio tegenover het verwachte"),
                     N_("Uithuisgezet"), "closed.n.%s", "evicted.%s", "outcome.uithuisgezet",
                     "counts.closed"),
    "vermeden": (N_("Vermeden uithuiszettingen per CAW-regio tegenover het verwachte"),
                 N_("Vermeden"), "eviction.known.%s", "eviction.ja.%s", "eviction.ja",
                 "eviction.known"),
}
SIGNALS = {"hoger": N_("boven de grenzen"), "lager": N_("onder de grenzen")}
SIDES = {"hoger": N_("hoger dan verwacht"), "lager": N_("lager dan verwacht")}


def _within_not_avoided(ctx: Context, per_caw: list[Any]) -> Any:
    """Every eviction is an eviction not avoided, so a region's 'niet vermeden' count of
    Table 'vermeden-regio' less its evictions here is a count of households too (not
    avoided, not evicted). Declared, never shown: with both published, a group of 1-4
    would follow from the two tables, so the checkpoint must see the relation."""
    def declare(spec: Any) -> None:
        for i, x in enumerate(per_caw):
            name = f"eviction.nee.{x['caw']}"
            nee = ctx.ck.fact_value(name)
            rest = None if nee is None else nee - int(x["observed"] or 0)
            if rest is None or rest < 0:  # not the same closures: no relation to declare
                continue
            spec.cell(("niet-vermeden-zonder", i), rest)
            spec.total(("niet-vermeden", i), [(i, 0), ("niet-vermeden-zonder", i)],
                       fact=name)
    return declare


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
                     [x["n"] - x["observed"] for x in per_caw]], facts=facts,
                    extra=_within_not_avoided(ctx, per_caw) if outcome == "uithuisgezet"
                    else None)
    # the table and the funnel plot read the same published cells (funnel_plot.funnel_points)
    points = [funnel_plot.FunnelPoint(x["caw"], ctx.region(x["caw"]), x.get("expected"),
                                      grid.cell(i, 0), x.get("limits95") or [None, None],
                                      x.get("limits998") or [None, None])
              for i, x in enumerate(per_caw)]
    ratios = {code: ratio for code, _e, ratio in funnel_plot.funnel_points(points)}
    rows = []
    for i, x in enumerate(per_caw):
        shown = x["caw"] in ratios
        signal = x.get("signal")
        # no ratio: hidden with its count, or none to give (an expected count of 0)
        none = HIDDEN if grid.cell(i, 0).hidden else fmt.MISSING
        rows.append([ctx.region(x["caw"]), grid.count(i, 2), grid.count(i, 0),
                     ctx.dec(x.get("expected"), 1),
                     ctx.dec(ratios[x["caw"]], 2) if shown else none,
                     ctx.bounds(x.get("limits95")), ctx.bounds(x.get("limits998")),
                     ctx.t(SIGNALS[signal]) if shown and signal in SIGNALS
                     else (ctx.t("binnen de grenzen") if shown else none)])
    rows.append([ctx.t("Totaal"), grid.count(last, 2), grid.count(last, 0),
                 ctx.dec(sum(x.get("expected") or 0 for x in per_caw), 1), "", "", "", ""])
    table = ctx.table(
        f"vergelijking-{outcome}", ctx.t(title),
        [ctx.t("CAW-regio"), ctx.t("n"), ctx.t(observed_name), ctx.t("Verwacht"),
         ctx.t("Verhouding waargenomen / verwacht"),
         ctx.t("95%%-grenzen van de verhouding") % {},
         ctx.t("99,8%%-grenzen van de verhouding") % {}, ctx.t("Regio")], rows, grids=[grid],
        total_rows=1, numeric=[False, True, True, True, True, False, False, False],
        n=ctx.n_line(block.get("n"), N_("n = %(n)s afgesloten trajecten"), fact=n_total),
        notes=[ctx.t("Verwacht: wat het model voor de regio voorspelt uit het profiel van haar "
                     "trajecten (%(covariates)s). Een verhouding buiten de grenzen is een "
                     "signaal om na te gaan, geen rangorde; binnen de grenzen verschilt de "
                     "regio niet duidelijk van wat haar profiel doet verwachten.") % {
                         "covariates": ", ".join(ctx.variable(c)
                                                 for c in block.get("covariates") or [])}])
    chart = funnel_plot.funnel_chart(points, limit_curve(block), locale=ctx.lang, translate=ctx.t,
                                alt=ctx.t(FUNNEL_ALT[outcome]), chart_id=f"fig-trechter-{outcome}")
    figure = ctx.figure(
        f"trechter-{outcome}", ctx.t(FUNNEL_TITLES[outcome]), chart,
        n=ctx.n_line(block.get("n"), N_("n = %(n)s afgesloten trajecten"), fact=n_total),
        notes=[ctx.t("Elk punt is een CAW-regio (code): de verhouding tussen het waargenomen "
                     "en het verwachte aantal, tegenover het verwachte aantal. Een regio "
                     "waarvan het aantal niet gepubliceerd wordt, staat niet in de figuur."),
               *([] if block.get("limits") == LIMITS["poisson"] else [ctx.t(
                   "De grenzen hangen ook af van de spreiding van de kansen binnen een regio; "
                   "de lijnen volgen de gemiddelde spreiding, de tabel geeft de grenzen van "
                   "elke regio, waaraan het signaal getoetst wordt.")])])
    return [signals_text(ctx, outcome, per_caw, ratios), table, figure]


FUNNEL_TITLES = {
    "uithuisgezet": N_("Trechterdiagram van de uithuiszettingen: waargenomen / verwacht per "
                       "CAW-regio"),
    "vermeden": N_("Trechterdiagram van de vermeden uithuiszettingen: waargenomen / verwacht "
                   "per CAW-regio"),
}
FUNNEL_ALT = {
    "uithuisgezet": N_("Trechterdiagram van de uithuiszettingen per CAW-regio"),
    "vermeden": N_("Trechterdiagram van de vermeden uithuiszettingen per CAW-regio"),
}
OUTSIDE = {
    "uithuisgezet": (N_("Uithuiszettingen: geen enkele regio ligt buiten de 99,8%%-grenzen; "
                        "de verschillen tussen de regio's passen bij wat hun profiel en het "
                        "toeval doen verwachten."),
                     N_("Uithuiszettingen: buiten de 99,8%%-grenzen liggen %(regions)s. Dat "
                        "is een signaal om na te gaan (registratie, werking, profiel dat het "
                        "model niet ziet), geen rangorde.")),
    "vermeden": (N_("Vermeden uithuiszettingen: geen enkele regio ligt buiten de "
                    "99,8%%-grenzen; de verschillen tussen de regio's passen bij wat hun "
                    "profiel en het toeval doen verwachten."),
                 N_("Vermeden uithuiszettingen: buiten de 99,8%%-grenzen liggen %(regions)s. "
                    "Dat is een signaal om na te gaan (registratie, werking, profiel dat het "
                    "model niet ziet), geen rangorde.")),
}


def signals_text(ctx: Context, outcome: str, per_caw: list[Any],
                 ratios: dict[str, float]) -> Block:
    """The regions outside their 99,8 % limits, in a plain sentence; only regions whose
    ratio is published (a hidden count's region is neither named nor drawn)."""
    named = [ctx.t("%(region)s (%(ratio)s, %(side)s)") % {
        "region": ctx.region(x["caw"]), "ratio": ctx.dec(ratios[x["caw"]], 2),
        "side": ctx.t(SIDES[x["signal"]])}
        for x in per_caw if x["caw"] in ratios and x.get("signal") in SIGNALS]
    none, some = OUTSIDE[outcome]
    text = ctx.t(some if named else none) % {"regions": ", ".join(named)}
    hidden = sum(1 for x in per_caw if x["caw"] not in ratios)
    if hidden:
        text += " " + ctx.t("%(k)s van de %(n)s regio's hebben een aantal dat niet "
                            "gepubliceerd wordt; ze worden niet beoordeeld.") % {
            "k": ctx.num(hidden), "n": ctx.num(len(per_caw))}
    return ctx.para(text)


def limit_curve(block: Any) -> funnel_plot.LimitCurve:
    """The funnel's limit curves as functions of the expected count: exact Poisson for a
    rare outcome; for the binary null variance (``vermeden``) V = k E with k the regions'
    mean V / E, read back from their published 99,8 % limits (1 + z sqrt(V) / E), since the
    curve needs V beyond the regions' own E (``pipeline.stats.funnel``)."""
    from scipy import stats

    if block.get("limits") == LIMITS["poisson"]:
        return funnel.poisson_limits
    z = stats.norm.ppf(1 - (1 - 0.998) / 2)
    ks = [x["expected"] * ((x["limits998"][1] - 1) / z) ** 2 for x in block["per_caw"]
          if x.get("expected") and (x.get("limits998") or [None, None])[1] is not None]
    k = sum(ks) / len(ks) if ks else 1.0
    return lambda e, level: funnel.bernoulli_limits(e, k * e, level)


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
