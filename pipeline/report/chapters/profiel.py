"""Chapter 3, Profiel van de doelgroep: the active trajectories by profile and region.

The chapter's whole text is here (prose.py: messages are trusted markup, values
escaped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.report.context import (
    Context,
    Counts,
)
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Section, Table
from pipeline.report.prose import markup, paragraph


def profile_intro(ctx: Context) -> list[Block]:
    if ctx.p is None:
        return [ctx.para(ctx.t("De profielgegevens werden niet doorgegeven aan het "
                                 "rapport."))]
    return [paragraph(markup(ctx.t(
        'Dit hoofdstuk beschrijft de %(n)s trajecten die in %(year)s actief waren: per kenmerk '
        "een figuur voor alle regio's samen en een tabel per CAW-regio. Een huishouden met twee "
        "trajecten in het jaar telt twee keer. De categorie 'Onbekend' verschijnt als een "
        'facultatief gegeven niet werd ingevuld.'),
        n=ctx.count("counts.active", ctx.p["active"]["n"]), year=ctx.year))]


def chapter_profile(ctx: Context) -> list[Section]:
    if ctx.p is None:
        return []
    active = ctx.p["active"]
    n = active["n"]
    unit = N_("n = %(n)s actieve trajecten")
    sections = []
    for variable, tab in active["variables"].items():
        population, vunit, pop = n, unit, "active"
        if variable == "huurachterstand_klasse":
            population, vunit, pop = active["arrears_n"], N_(
                "n = %(n)s actieve trajecten met huurachterstand"), "active_arrears"
        grand = "counts.active" if pop == "active" else f"{pop}.n"
        name = ctx.variable(variable)
        totals = [sum(tab["regions"][c][i] for c in tab["regions"])
                  for i in range(len(tab["levels"]))]
        # a figure only where it shows more than the table's total column at a glance
        figure = ctx.distribution_figure(
            f"profiel-{variable}", variable, tab,
            title=ctx.t("%(variable)s: alle regio's samen") % {"variable": name},
            n=ctx.n_line(population, vunit, fact=grand),
            pop=pop) if sum(v > 0 for v in totals) > 3 else None
        grid, table, codes = ctx.crosstab(
            f"profiel-{variable}-regio", variable, tab,
            title=ctx.t("%(variable)s per CAW-regio") % {"variable": name},
            unit=vunit, population=population, pop=pop)
        blocks: list[Block] = [ctx.para(describe(ctx, variable, tab, grid, codes)),
                               *([figure] if figure else []), table]
        if variable == "aantal_problemen":
            blocks.insert(1, problems_table(ctx))
        sections.append(Section(f"profiel-{variable}", name, blocks))
    return sections


def describe(ctx: Context, variable: str, tab: Mapping[str, Any], grid: Counts,
             codes: list[str]) -> str:
    """'The largest group is X (y %); between regions its share ranges from a to b.'"""
    levels = tab["levels"]
    totals = [sum(tab["regions"][c][i] for c in codes) for i in range(len(levels))]
    if not sum(totals):
        return ctx.t("Er zijn geen actieve trajecten met een gekend gegeven.")
    known = [i for i, lv in enumerate(levels) if lv != "onbekend"] or list(range(len(levels)))
    top = max(known, key=lambda i: (totals[i], -i))
    overall = len(codes)  # the row-total column
    text = ctx.t("De grootste groep is '%(level)s' (%(share)s).") % {
        "level": ctx.level(variable, levels[top]), "share": grid.share(top, overall)}
    shares = [(cell.value, c) for j, c in enumerate(codes)
              if (cell := grid.share_cell(top, j)).published and cell.value is not None]
    if len(shares) >= 2:
        low, high = min(shares), max(shares)
        text += " " + ctx.t("Per regio ligt dat aandeel tussen %(low)s (%(low_region)s) en "
                             "%(high)s (%(high_region)s).") % {
            "low": ctx.pct(low[0]), "low_region": low[1],
            "high": ctx.pct(high[0]), "high_region": high[1]}
    return text


def problems_table(ctx: Context) -> Table:
    """Share of active trajectories with each problem, per region (multiple answers)."""
    assert ctx.p is not None
    problems = ctx.p["active"]["problems"]
    codes = [c for c in ctx.region_codes if c in problems["regions"]]
    rows, grids = [], []
    n_row: list[str] = []
    for k, name in enumerate(problems["problems"]):
        yes = [problems["regions"][c]["ja"][k] for c in codes]
        no = [problems["regions"][c]["n"] - y for c, y in zip(codes, yes, strict=True)]
        grid = ctx.grid(f"profiel-problemen-{name}", ["ja", "nee"],
                         [[y, m] for y, m in zip(yes, no, strict=True)], percent="col",
                         facts={(0, len(codes)): f"active.{name}.ja",
                                (2, len(codes)): "counts.active"}
                         | {(2, j): f"active.n.{c}" for j, c in enumerate(codes)})
        grids.append(grid)
        rows.append([ctx.variable(name)] + [grid.mark_share(0, j)
                                             for j in range(len(codes) + 1)])
        n_row = [grid.count(2, j) for j in range(len(codes) + 1)]
    rows.append([ctx.t("Aantal (n)"), *n_row])
    return ctx.table(
        "profiel-problemen", ctx.t("Probleemgebieden bij aanmelding per CAW-regio"),
        [ctx.t("Probleem"), *codes, ctx.t("Totaal")], rows, grids=grids, total_rows=1,
        shares=True,
        n=ctx.n_line(ctx.p["active"]["n"], N_("n = %(n)s actieve trajecten"),
                      fact="counts.active"),
        notes=[ctx.t("Meer dan één probleem per traject mogelijk: de percentages tellen "
                      "niet op tot 100.")])


def build(ctx: Context) -> Chapter:
    return Chapter("profiel", ctx.t("Profiel van de doelgroep"), chapter_profile(ctx),
                   intro=profile_intro(ctx))
