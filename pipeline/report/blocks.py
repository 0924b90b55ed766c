"""Model terms for tables, sentences and forest plots, and the one builder of every
model table with its forest plot (Cox, cause-specific Cox, logistic, Fine–Gray)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.report import charts
from pipeline.report.context import (
    ALPHA,
    Context,
    _get,
)
from pipeline.report.labels import N_
from pipeline.report.model import Block


def term_label(ctx: Context, term: str, model: str = "", *, reference: bool = True) -> str:
    """'verhuurder_type[SVK]' -> 'Type verhuurder: SVK (ref.: SHM)'."""
    refs = _get(ctx.r, "settings", "models", "references", default={})
    if term == "(Intercept)":
        return ctx.t("Constante")

    def short(column: str, code: str) -> str:
        return code if column == "verhuurder_type" else ctx.level(column, code)

    if "[" in term and term.endswith("]"):
        column, level = term[:-1].split("[", 1)
        ref = refs.get(column)
        label = f"{ctx.variable(column)}: {short(column, level)}"
        if ref and reference:
            label += " " + ctx.t("(ref.: %(ref)s)") % {"ref": short(column, ref)}
        return label
    if term == "leeftijd":  # shown per 10 years (per_ten_years)
        return ctx.t("Leeftijd (per 10 jaar)")
    return f"{ctx.variable(term)}" + (" " + ctx.t("(ja t.o.v. nee)") if reference else "")


def per_ten_years(terms: Sequence[Mapping[str, Any]], measure: str) -> list[dict[str, Any]]:
    """Age per 10 years instead of per year: results.json keeps the model's scale (per
    year); the report multiplies the log-coefficient and its SE by 10, so the ratio and its
    interval are raised to the 10th power. Intervals as ``<measure>_ci`` (the Cox and
    logistic blocks give them so, the cause-specific and Fine–Gray blocks as lower/upper)."""
    out = []
    for x in terms:
        term = dict(x)
        if f"{measure}_ci" not in term:
            term[f"{measure}_ci"] = [x.get("lower"), x.get("upper")]
        if term["term"] == "leeftijd":
            for key in ("coef", "se"):
                if term.get(key) is not None:
                    term[key] = term[key] * 10
            if term.get(measure) is not None:
                term[measure] = term[measure] ** 10
            term[f"{measure}_ci"] = [None if v is None else v ** 10
                                     for v in term[f"{measure}_ci"]]
        out.append(term)
    return out


def term_rows(ctx: Context, terms: Sequence[Mapping[str, Any]], measure: str,
              full: bool = False) -> list[list[str]]:
    terms = per_ten_years(terms, measure)
    rows = []
    for x in terms:
        if x["term"] == "(Intercept)" and not full:
            continue
        row = [term_label(ctx, x["term"], measure)]
        if full:
            row += [ctx.dec(x.get("coef"), 3), ctx.dec(x.get("se"), 3)]
        row += [ctx.ci(x.get(measure), x.get(f"{measure}_ci")), ctx.pval(x.get("p"))]
        rows.append(row)
    return rows


def term_sentences(ctx: Context, terms: Sequence[Mapping[str, Any]], measure: str, *,
                   wording: tuple[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Direction-aware sentences for the terms with p < ALPHA; the others' labels.

    ``wording`` = (message for a ratio above 1, below 1) names what the ratio is about:
    a cause-specific hazard ratio is "vaker uithuisgezet", not "sneller afgesloten"; the
    default wording is the all-closure Cox model's and the logistic model's."""
    terms = per_ten_years(terms, measure)
    up = {"hr": N_("%(label)s: sneller afgesloten, met welke afloop ook (HR %(ci)s; %(p)s)."),
          "or": N_("%(label)s: hogere odds op een vermeden uithuiszetting (OR %(ci)s; "
                   "%(p)s).")}
    down = {"hr": N_("%(label)s: trager afgesloten, met welke afloop ook (HR %(ci)s; "
                     "%(p)s)."),
            "or": N_("%(label)s: lagere odds op een vermeden uithuiszetting (OR %(ci)s; "
                     "%(p)s).")}
    significant, other = [], []
    for x in terms:
        if x["term"] == "(Intercept)":
            continue
        label = term_label(ctx, x["term"], measure)
        p, value = x.get("p"), x.get(measure)
        if p is None or value is None:
            other.append(term_label(ctx, x["term"], measure, reference=False))
            continue
        if p < ALPHA and value != 1:
            above, below = wording or (up[measure], down[measure])
            message = above if value > 1 else below
            significant.append(ctx.t(message) % {
                "label": label, "ci": ctx.ci(value, x.get(f"{measure}_ci")),
                "p": ctx.p_eq(p)})
        else:
            other.append(term_label(ctx, x["term"], measure, reference=False))
    return significant, other


def factor_note(ctx: Context, tests: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line with the joint Wald test of every characteristic with more than two
    categories: whether the characteristic as a whole goes with the outcome, which its
    categories' p-values, one at a time, do not say."""
    parts = [ctx.t("%(factor)s: χ² = %(chi2)s, vg = %(df)s, %(p)s") % {
        "factor": ctx.variable(x["factor"]), "chi2": ctx.dec(x.get("chi2"), 2),
        "df": ctx.num(x.get("df")), "p": ctx.p_eq(x.get("p"))}
        for x in tests if x.get("chi2") is not None]
    if not parts:
        return []
    return [ctx.t("Gezamenlijke toets per kenmerk met meer dan twee categorieën (Wald): "
                  "%(tests)s.") % {"tests": "; ".join(parts)}]


# --------------------------------------------------------------------------- one builder

FOREST_ALT = {"hr": N_("Forest plot van de hazardratio's"),
              "or": N_("Forest plot van de oddsratio's"),
              "shr": N_("Forest plot van de subdistributie-hazardratio's")}
RATIO_COLUMNS = {"hr": N_("Hazardratio (%(level)s-BI)"), "or": N_("Oddsratio (%(level)s-BI)"),
                 "shr": N_("Subdistributie-hazardratio (%(level)s-BI)")}


def model_blocks(ctx: Context, key: str, terms: Sequence[Mapping[str, Any]], *,
                 measure: str, conf_level: float | None, title: str, forest_title: str,
                 n: str, forest_n: str, notes: Sequence[str] = (),
                 chart_id: str | None = None,
                 factor_tests: Sequence[Mapping[str, Any]] = ()) -> list[Block]:
    """The table of a model's ratios and its forest plot: one builder for every
    regression of the report (Cox, cause-specific Cox, logistic, Fine–Gray), so their
    rows, intervals and plots read alike. ``measure`` is 'hr', 'or' or 'shr';
    ``factor_tests`` (the block's joint Wald tests) become a note under the table."""
    rows = term_rows(ctx, terms, measure)  # term_rows scales age itself: only once
    terms = per_ten_years(terms, measure)
    level = {"level": ctx.pct(conf_level, 0)}
    table = ctx.table(key, title, [ctx.t("Kenmerk"), ctx.t(RATIO_COLUMNS[measure]) % level,
                                   ctx.t("p")], rows, n=n,
                      notes=[*notes, *factor_note(ctx, factor_tests)])
    chart = charts.forest_plot(
        terms, measure=measure, label=lambda t: term_label(ctx, t, measure, reference=False),
        conf_level=conf_level or 0.95, locale=ctx.lang, translate=ctx.t,
        alt=ctx.t(FOREST_ALT[measure]), chart_id=chart_id or f"fig-{key}")
    figure = ctx.figure(f"{key}-forest", forest_title, chart, n=forest_n,
                        notes=[ctx.t("Referentiecategorieën: zie %(ref)s.") % {
                            "ref": "{ref:" + key + "}"}])
    return [table, figure]
