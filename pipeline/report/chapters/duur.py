"""Chapter 4, the year's own duration (the ``duration`` block of results.json, issue 12):
a period analysis of the trajectories running in the year, its median and restricted
mean (RMST) set against the mean duration the 2011 evaluation measured, per region.

Optional: a results.json without the block, or without an estimate, gives no section.
"""

from __future__ import annotations

from typing import Any

from pipeline.report import formatting as fmt
from pipeline.report.context import HIDDEN, Context
from pipeline.report.disclosure import TOTAL
from pipeline.report.labels import N_
from pipeline.report.model import Block


def _interval(ctx: Context, est: Any, bounds: Any) -> str:
    return ctx.bounds(bounds, 0) if ctx.dec(est, 0) != fmt.MISSING else fmt.MISSING


def period_duration(ctx: Context) -> list[Block]:
    """The section's blocks, or [] when results.json holds no period estimate."""
    d = ctx.r.get("duration")
    if d is None or d.get("rmst_days") is None or not ctx.enough("counts.active", d["n"]):
        return []
    study = d.get("study_mean_days")
    lo, hi = (d.get("rmst_ci") or [None, None])[:2]
    if study is None or lo is None or hi is None:
        verdict = ""
    elif hi < study:
        verdict = ctx.t("Ook de bovengrens ligt onder dat gemiddelde van 2011.")
    elif lo > study:
        verdict = ctx.t("Ook de ondergrens ligt boven dat gemiddelde van 2011.")
    else:
        verdict = ctx.t("Het interval omvat dat gemiddelde van 2011: geen duidelijk verschil.")
    text = ctx.t(
        "Deze periodeanalyse volgt elk traject dat in %(year)s liep, vanaf het begin van "
        "het jaar of zijn start (instap op de periode), tot de afsluiting of de peildatum: zo "
        "telt de duur van dit jaar, niet die van vroegere jaren. De mediane duur was "
        "%(median)s dagen (%(median_ci)s). Over de eerste %(tau)s dagen duurde een "
        "begeleiding gemiddeld %(rmst)s dagen (%(rmst_ci)s; beperkt gemiddelde of RMST). De "
        "evaluatie van 2011 mat een gemiddelde duur van %(study)s dagen (9 maanden, per "
        "hulpverlener; geciteerd in de omzendbrief, punt 3). Een beperkt gemiddelde kan het "
        "volle gemiddelde alleen onderschatten.") % {
        "year": ctx.year, "median": ctx.num(d.get("median_days")),
        "median_ci": _interval(ctx, d.get("median_days"), d.get("median_ci")),
        "tau": ctx.num(d["tau_days"]), "rmst": ctx.num(d["rmst_days"]),
        "rmst_ci": _interval(ctx, d["rmst_days"], d.get("rmst_ci")),
        "study": ctx.num(study)}
    blocks: list[Block] = [ctx.para(f"{text} {verdict}".strip())]
    rows_in = sorted(d.get("by_caw") or [], key=lambda x: (
        ctx.region_codes.index(x["caw"]) if x["caw"] in ctx.region_codes else 99, x["caw"]))
    if rows_in:
        grid = ctx.grid("duur-periode", [x["caw"] for x in rows_in],
                        [[x["events"] for x in rows_in],
                         [x["n"] - x["events"] for x in rows_in]],
                        # the same counts as elsewhere where they are equal: one status
                        facts={(i, 2): f"active.n.{x['caw']}" for i, x in enumerate(rows_in)}
                        | {(i, 0): f"closed.n.{x['caw']}" for i, x in enumerate(rows_in)}
                        | {(len(rows_in), 2): "counts.active",
                           (len(rows_in), 0): "counts.closed"})
        rows = []
        for i, x in enumerate([*rows_in, None]):
            cell = grid.cell(i, 2)
            shown = cell.published and cell.raw >= ctx.threshold
            if x is None:
                x = {"median_days": d.get("median_days"), "rmst_days": d["rmst_days"],
                     "rmst_ci": d.get("rmst_ci")}
            rows.append([ctx.region(rows_in[i]["caw"]) if i < len(rows_in)
                         else ctx.t("Totaal"), grid.count(i, 2), grid.count(i, 0),
                         ctx.num(x.get("median_days")) if shown else HIDDEN,
                         ctx.ci(x.get("rmst_days"), x.get("rmst_ci"), 0) if shown
                         else HIDDEN])
        level = ctx.pct(d.get("conf_level"), 0)
        blocks.append(ctx.table(
            "duur-periode", ctx.t("Duur in %(year)s per CAW-regio (periodeanalyse)") % {
                "year": ctx.year},
            [ctx.t("CAW-regio"), ctx.t("n"), ctx.t("Afgesloten"),
             ctx.t("Mediaan (dagen)"),
             ctx.t("Beperkt gemiddelde over %(tau)s dagen (%(level)s-BI)") % {
                 "tau": ctx.num(d["tau_days"]), "level": level}], rows, grids=[grid],
            total_rows=1,
            n=ctx.n_line(d["n"], N_("n = %(n)s trajecten"), fact="counts.active"),
            notes=[ctx.t("Een streepje: niet te schatten (bijvoorbeeld een opvolging korter "
                         "dan de horizon; zie bijlage %(b)s).") % {
                             "b": "{ref:bijlage:kwaliteit}"}]))
    return blocks


__all__ = ["TOTAL", "period_duration"]
