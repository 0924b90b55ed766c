"""Aggregate counts for the report that results.json does not hold.

Why a module of its own: chapter 2 needs the row accounting per region and per rule,
chapter 3 the profile of the target group overall and per region, chapters 4 and 5 the
course and closure of the trajectories per region and the Kaplan–Meier curve of every
profile level. results.json keeps the model results; these are plain counts computed from
the trajectories frame and the quarantine, once per run, in the ``jaarrapport`` asset:

    profile = build_profile(trajectories, quarantaine, model_settings.settings(),
                            regions=reference.regions["caw"].to_list())

What comes out is JSON-ready (ints, strings, rounded floats) and contains counts only:
no identifiers, no dates, no row of the quarantine, no free text. The counts are *not*
suppressed here; the report publishes every count through its disclosure checkpoint
(``pipeline.report.disclosure``), so the threshold stays a setting of the report.
Same frames and settings give the same dict (every order is fixed, not hash-based).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from pipeline import models
from pipeline.contract import BY_NAME
from pipeline.stats import kaplan_meier

UNKNOWN = "onbekend"  # a level for missing values (optional columns)
OTHER_REGION = "?"  # quarantined rows whose CAW code is missing or not a known region

# Profile of the trajectories active in the year (chapter 3), in report order.
PROFILE_VARIABLES = ("verhuurder_type", "gezinstype", "inkomensbron", "leeftijdsklasse",
                     "geslacht", "aanmelder", "procedure_gestart", "aantal_problemen",
                     "huurachterstand_klasse", "schuldbemiddeling")
PROBLEMS = ("probleem_huurachterstand", "probleem_onderhoud", "probleem_samenleven")
# Course and closure of the trajectories closed in the year (chapters 4 and 5).
CLOSURE_VARIABLES = ("huisbezoeken_klasse", "doorverwezen", "nazorg", "afsluitreden",
                     "handelingsdoelen", "uithuiszetting_vermeden")
# Lower bounds of the bands (the last band is open): arrears in euro, home visits.
ARREARS_BANDS = (0, 500, 1000, 2500)
VISIT_BANDS = (0, 1, 3, 6, 11)


def _bands(bounds: Sequence[int]) -> list[str]:
    """Labels '0', '1-2', ..., '11+' for lower bounds: [lo, next lo), the last one open."""
    labels = []
    for lo, hi in zip(bounds, [*bounds[1:], None], strict=True):
        if hi is None:
            labels.append(f"{lo}+")
        elif hi - lo == 1:
            labels.append(f"{lo}")
        else:
            labels.append(f"{lo}-{hi - 1}")
    return labels


def _band_expr(column: str, bounds: Sequence[int]) -> pl.Expr:
    labels = _bands(bounds)
    expr = pl.lit(None, dtype=pl.String)
    for lo, label in zip(bounds, labels, strict=True):  # the highest bound is tested first
        expr = pl.when(pl.col(column) >= lo).then(pl.lit(label)).otherwise(expr)
    return pl.when(pl.col(column).is_null()).then(pl.lit(UNKNOWN)).otherwise(expr)


def _age_labels(age_bands: Sequence[int]) -> list[str]:
    lows = [16, *age_bands]
    return [f"{lo}-{hi - 1}" for lo, hi in zip(lows, lows[1:], strict=False)] + [f"{lows[-1]}+"]


def _age_expr(age_bands: Sequence[int]) -> pl.Expr:
    labels = _age_labels(age_bands)
    expr = pl.lit(labels[0])
    for lo, label in zip(age_bands, labels[1:], strict=True):
        expr = pl.when(pl.col("leeftijd") >= lo).then(pl.lit(label)).otherwise(expr)
    return pl.when(pl.col("leeftijd").is_null()).then(pl.lit(UNKNOWN)).otherwise(expr)


def _yes_no(column: str) -> pl.Expr:
    return (pl.when(pl.col(column)).then(pl.lit("ja"))
            .when(~pl.col(column)).then(pl.lit("nee")).otherwise(pl.lit(UNKNOWN)))


def _code(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).fill_null(UNKNOWN)


def _levels(variable: str, age_bands: Sequence[int]) -> list[str]:
    """The fixed level order of a variable ('onbekend' is added when it occurs)."""
    if variable == "leeftijdsklasse":
        return _age_labels(age_bands)
    if variable == "aantal_problemen":
        return ["0", "1", "2", "3"]
    if variable == "huurachterstand_klasse":
        return _bands(ARREARS_BANDS)
    if variable == "huisbezoeken_klasse":
        return _bands(VISIT_BANDS)
    if variable in BY_NAME and BY_NAME[variable].codes:
        return list(BY_NAME[variable].codes)
    return ["ja", "nee"]


def _expression(variable: str, age_bands: Sequence[int]) -> pl.Expr:
    if variable == "leeftijdsklasse":
        return _age_expr(age_bands)
    if variable == "aantal_problemen":
        return pl.sum_horizontal(pl.col(p).fill_null(False).cast(pl.Int64)
                                 for p in PROBLEMS).cast(pl.String)
    if variable == "huurachterstand_klasse":
        return _band_expr("huurachterstand_eur", ARREARS_BANDS)
    if variable == "huisbezoeken_klasse":
        return _band_expr("aantal_huisbezoeken", VISIT_BANDS)
    if variable in BY_NAME and BY_NAME[variable].codes:
        return _code(variable)
    return _yes_no(variable)


def crosstab(frame: pl.DataFrame, labels: pl.Expr, levels: Sequence[str],
             regions: Sequence[str]) -> dict[str, Any]:
    """Counts of ``labels`` per level and region: {levels, regions: {caw: [n per level]}}.

    Levels keep the given order; values outside it (missing: 'onbekend') come after it,
    sorted. Every region of ``regions`` gets a column, also when it has no rows.
    """
    counted = (frame.select(pl.col("caw"), labels.alias("level"))
               .group_by("caw", "level").len())
    seen = sorted(set(counted["level"].to_list()) - set(levels))
    order = [*levels, *seen]
    cells = {(caw, level): int(n) for caw, level, n in counted.iter_rows()}
    columns = [*regions, *sorted(set(counted["caw"].to_list()) - set(regions))]
    return {"levels": order,
            "regions": {caw: [cells.get((caw, lv), 0) for lv in order] for caw in columns}}


def problem_counts(frame: pl.DataFrame, regions: Sequence[str]) -> dict[str, Any]:
    """Per problem (multiple answers): trajectories with the problem, per region."""
    out: dict[str, Any] = {"problems": list(PROBLEMS), "regions": {}}
    for caw in regions:
        part = frame.filter(pl.col("caw") == caw)
        out["regions"][caw] = {"n": part.height,
                               "ja": [int(part[p].fill_null(False).sum()) for p in PROBLEMS]}
    return out


def validation_counts(trajectories: pl.DataFrame, quarantine: pl.DataFrame,
                      regions: Sequence[str]) -> dict[str, Any]:
    """Valid and quarantined rows per region, and quarantined rows per rule and region.

    A quarantined row counts in the region it names when that is a known region, else in
    '?' (a missing or unknown code is not shown as delivered). A row breaking two rules
    counts once per rule in ``per_rule``.
    """
    known = set(regions)
    region = (pl.col("caw").cast(pl.String).str.strip_chars().str.to_uppercase())
    region = pl.when(region.is_in(list(known))).then(region).otherwise(pl.lit(OTHER_REGION))
    valid = dict(trajectories.group_by("caw").len().iter_rows())
    held = dict(quarantine.select(region.alias("caw")).group_by("caw").len().iter_rows()) \
        if quarantine.height else {}
    columns = [*regions, *sorted(set(valid) - known)]
    if held.get(OTHER_REGION):
        columns.append(OTHER_REGION)
    per_region = [{"caw": caw, "valid": int(valid.get(caw, 0)),
                   "quarantined": int(held.get(caw, 0))} for caw in columns]
    per_rule: dict[str, dict[str, int]] = {}
    if quarantine.height:
        rules = (quarantine.select(region.alias("caw"),
                                   pl.col("regels").str.split(", ").alias("regel"))
                 .explode("regel").filter(pl.col("regel").is_not_null() & (pl.col("regel") != ""))
                 .group_by("regel", "caw").len())
        for rule, caw, n in rules.sort("regel", "caw").iter_rows():
            per_rule.setdefault(rule, {})[caw] = int(n)
        per_rule = {rule: {caw: per_rule[rule].get(caw, 0) for caw in columns}
                    for rule in sorted(per_rule, key=lambda r: (-sum(per_rule[r].values()), r))}
    return {"regions": columns, "per_region": per_region, "per_rule": per_rule}


def km_by_group(trajectories: pl.DataFrame, settings: models.ModelSettings
                ) -> dict[str, list[dict[str, Any]]]:
    """Kaplan–Meier curve of every level of every profile, on the grid of the overall curve.

    Same sample, levels and level order as ``time_to_closure.by_group`` in results.json
    (``pipeline.models``), so the figures and the median table agree.
    """
    # only the columns the curves read: a million rows of all 43 columns, filtered and
    # sorted, were two copies of 300 MB each (the report step's peak memory)
    needed = {"in_scope", "days_to_closure", "closed", "leeftijd", *settings.profiles}
    narrow = trajectories.select(c for c in trajectories.columns if c in needed)
    sample = models.survival_sample(narrow).sort("days_to_closure", maintain_order=True)
    t, e = models.survival_data(sample)
    days = list(settings.curve_days)
    out: dict[str, list[dict[str, Any]]] = {}
    for column in settings.profiles:
        codes, levels = models.profile_levels(sample, column, settings)
        curves = []
        for i, level in enumerate(levels):
            mask = codes == i
            km = kaplan_meier(t[mask], e[mask], conf_level=settings.conf_level,
                              conf_type=settings.km_conf_type)
            curves.append({
                "level": level, "n": int(mask.sum()), "days": days,
                "survival": models.step_at(km.timeline, km.survival, days, 1.0),
                "lower": models.step_at(km.timeline, km.lower, days, 1.0),
                "upper": models.step_at(km.timeline, km.upper, days, 1.0)})
        out[column] = curves
    return out


def build_profile(trajectories: pl.DataFrame, quarantine: pl.DataFrame,
                  settings: models.ModelSettings | None = None, *,
                  regions: Sequence[str] | None = None) -> dict[str, Any]:
    """All report counts that results.json lacks (see the module docstring)."""
    settings = settings or models.ModelSettings()
    regions = list(regions) if regions is not None else sorted(
        set(trajectories["caw"].drop_nulls().to_list()))
    ages = settings.age_bands
    # the filters below copy only the columns the counts read (at a million rows, copies
    # of all 43 columns were the report step's peak memory); a column missing from this
    # set fails loudly (polars: column not found), it cannot be counted wrong
    used = {"caw", "active", "closed_in_year", "probleem_huurachterstand",
            "aantal_huisbezoeken", *PROBLEMS}
    for variable in (*PROFILE_VARIABLES, *CLOSURE_VARIABLES):
        used |= set(_expression(variable, ages).meta.root_names())
    narrow = trajectories.select(c for c in trajectories.columns if c in used)
    active = narrow.filter(pl.col("active"))
    closed = narrow.filter(pl.col("closed_in_year"))
    arrears = active.filter(pl.col("probleem_huurachterstand").fill_null(False))
    profile: dict[str, Any] = {}
    for variable in PROFILE_VARIABLES:
        frame = arrears if variable == "huurachterstand_klasse" else active
        profile[variable] = crosstab(frame, _expression(variable, ages),
                                     _levels(variable, ages), regions)
    closure = {variable: crosstab(closed, _expression(variable, ages), _levels(variable, ages),
                                  regions) for variable in CLOSURE_VARIABLES}
    visits = closed.filter(pl.col("aantal_huisbezoeken").is_not_null())
    return {
        "regions": regions,
        "active": {"n": active.height, "arrears_n": arrears.height,
                   "variables": profile, "problems": problem_counts(active, regions)},
        "closed": {"n": closed.height, "variables": closure,
                   "visits_n": visits.height,
                   "visits_total": int(visits["aantal_huisbezoeken"].sum() or 0)},
        "validation": validation_counts(trajectories, quarantine, regions),
        "km_by_group": km_by_group(trajectories, settings),
        "age_bands": list(ages),
    }

