"""Chapter 5, the model sections: closure (Cox), each outcome (cause-specific Cox), eviction
as a cumulative risk (Fine–Gray), eviction avoided at closure (logistic). A block that
results.json does not hold (the estimands of issue 12 are optional) gives no section."""

from __future__ import annotations

from typing import Any

from pipeline.report.blocks import model_blocks, term_sentences
from pipeline.report.chapters import resultaten
from pipeline.report.context import (
    ALPHA,
    Context,
    _get,
)
from pipeline.report.labels import (
    N_,
)
from pipeline.report.model import Block, Section, Text


def results_cox(ctx: Context) -> list[Block]:
    cox = ctx.r.get("cox", {})
    terms = cox.get("terms") or []
    if not ctx.enough("counts.active", cox.get("n")) or not ctx.estimated(terms):
        return [ctx.not_estimated(N_("Cox-model"))]
    conf = ctx.pct(cox.get("conf_level"), 0)
    significant, other = term_sentences(ctx, terms, "hr")
    ph = cox.get("ph_test") or {}
    ph_global = ph.get("global") or {}
    ph_bad = [ctx.variable(c["covariate"]) for c in ph.get("covariates", [])
              if c.get("p") is not None and c["p"] < ALPHA]
    blocks: list[Block] = [Text("resultaten_cox", {
        "n": ctx.count("counts.active", cox.get("n")),
        "events": ctx.count("counts.closed", cox.get("events")),
        "ties": str(cox.get("ties") or "").capitalize(),
        "strata": ", ".join(ctx.variable(s) for s in cox.get("strata") or []),
        "concordance": ctx.dec(cox.get("concordance"), 3),
        "lr": ctx.dec(_get(cox, "lr_test", "statistic"), 1),
        "lr_df": ctx.num(_get(cox, "lr_test", "df")),
        "lr_p": ctx.p_eq(_get(cox, "lr_test", "p")),
        "significant": significant, "other": other})]
    if terms:
        blocks += model_blocks(
            ctx, "cox", terms, measure="hr", conf_level=cox.get("conf_level"),
            title=ctx.t("Hazardratio's van afsluiting (Cox-model)"),
            forest_title=ctx.t("Hazardratio's van afsluiting met "
                               "%(level)s-betrouwbaarheidsinterval") % {"level": conf},
            n=ctx.t("n = %(n)s trajecten, %(e)s afgesloten") % {
                "n": ctx.count("counts.active", cox.get("n")),
                "e": ctx.count("counts.closed", cox.get("events"))},
            forest_n=ctx.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
            notes=[ctx.t("Een hazardratio boven 1: sneller afgesloten dan de "
                         "referentiecategorie (ongeacht de uitkomst van de afsluiting).")])
    if ph.get("covariates"):
        rows = [[ctx.variable(c["covariate"]), ctx.dec(c.get("chisq"), 2),
                 ctx.num(c.get("df")), ctx.pval(c.get("p"))] for c in ph["covariates"]]
        rows.append([ctx.t("Globaal"), ctx.dec(ph_global.get("chisq"), 2),
                     ctx.num(ph_global.get("df")), ctx.pval(ph_global.get("p"))])
        blocks.append(Text("resultaten_ph", {
            "global_p": ctx.p_eq(ph_global.get("p")),
            "violated": ph_global.get("p") is not None and ph_global["p"] < ALPHA,
            "bad": ph_bad, "transform": ph.get("transform", "km")}))
        blocks.append(ctx.table(
            "ph", ctx.t("Toets op proportionele hazards per kenmerk (cox.zph)"),
            [ctx.t("Kenmerk"), ctx.t("Chi²"), ctx.t("Vrijheidsgraden"), ctx.t("p")],
            rows, total_rows=1,
            n=ctx.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active")))
    return blocks


def results_logistic(ctx: Context) -> list[Block]:
    ev = ctx.r.get("eviction_avoided", {})
    terms = ev.get("terms") or []
    if not ctx.enough("eviction.known", ev.get("n")) or not ctx.estimated(terms):
        return [ctx.not_estimated(N_("logistische model"))]
    conf = ctx.pct(ev.get("conf_level"), 0)
    significant, other = term_sentences(ctx, terms, "or")
    blocks: list[Block] = [Text("resultaten_logistisch", {
        "n": ctx.count("eviction.known", ev.get("n")),
        "events": ctx.count("eviction.ja", ev.get("events")),
        "rate": (resultaten.avoided_rate(ctx) or ("", ""))[0],
        "clusters": ctx.num(ev.get("n_clusters")),
        "few": bool(ev.get("n_clusters")) and ev["n_clusters"] < 30,
        "significant": significant, "other": other})]
    if terms:
        blocks += model_blocks(
            ctx, "logistisch", terms, measure="or", conf_level=ev.get("conf_level"),
            title=ctx.t("Oddsratio's van een vermeden uithuiszetting (logistisch model, "
                        "robuuste standaardfouten)"),
            forest_title=ctx.t("Oddsratio's van een vermeden uithuiszetting met "
                               "%(level)s-betrouwbaarheidsinterval") % {"level": conf},
            n=ctx.t("n = %(n)s afgesloten trajecten, %(e)s vermeden") % {
                "n": ctx.count("eviction.known", ev.get("n")),
                "e": ctx.count("eviction.ja", ev.get("events"))},
            forest_n=ctx.n_line(ev.get("n"), N_("n = %(n)s afgesloten trajecten"),
                                fact="eviction.known"),
            notes=[ctx.t("Een oddsratio boven 1: hogere odds op een vermeden "
                         "uithuiszetting dan de referentiecategorie.")], chart_id="fig-logit")
    blocks += predicted_table(ctx, ev)
    return blocks


def predicted_table(ctx: Context, ev: Any) -> list[Block]:
    """The predicted share avoided per profile level, the other characteristics held equal
    (``eviction_avoided.predicted``): percentages a reader can use instead of odds ratios."""
    predicted = [x for x in (ev.get("predicted") or []) if x["factor"] != "caw"]
    if not predicted:
        return []
    rows, last = [], None
    for x in predicted:
        rows.append([ctx.variable(x["factor"]) if x["factor"] != last else "",
                     ctx.level(x["factor"], x["level"]),
                     ctx.pct_ci(x.get("share"), [x.get("lower"), x.get("upper")])])
        last = x["factor"]
    return [ctx.table(
        "voorspeld", ctx.t("Voorspeld aandeel vermeden uithuiszettingen per kenmerk, met de "
                           "andere kenmerken gelijk gehouden (logistisch model)"),
        [ctx.t("Kenmerk"), ctx.t("Categorie"),
         ctx.t("Voorspeld aandeel vermeden (%(level)s-BI)") % {
             "level": ctx.pct(ev.get("conf_level"), 0)}], rows,
        numeric=[False, False, True],
        n=ctx.n_line(ev.get("n"), N_("n = %(n)s afgesloten trajecten"), fact="eviction.known"),
        notes=[ctx.t("Het gemiddelde voorspelde aandeel als alle trajecten die categorie "
                     "hadden en voor het overige hun eigen kenmerken hielden.")])]


OUTCOMES = {
    "vermeden": (N_("Hazardratio's van een afsluiting met vermeden uithuiszetting "
                    "(oorzaakspecifiek Cox-model)"),
                 N_("Een hazardratio boven 1: sneller met vermeden uithuiszetting afgesloten "
                    "dan de referentiecategorie.")),
    "uithuisgezet": (N_("Hazardratio's van een uithuiszetting (oorzaakspecifiek Cox-model)"),
                     N_("Een hazardratio boven 1: vaker (per maand in begeleiding) "
                        "uithuisgezet dan de referentiecategorie.")),
}


def results_cause_specific(ctx: Context) -> list[Block]:
    """One Cox model per outcome: the closure model above mixes them."""
    cs = ctx.r.get("cause_specific")
    blocks: list[Block] = []
    for outcome, (title, note) in OUTCOMES.items():
        model = (cs or {}).get(outcome)
        terms = (model or {}).get("terms") or []
        if model is None or not ctx.enough(f"outcome.{outcome}", model.get("events")) \
                or not ctx.estimated(terms):
            continue
        blocks += model_blocks(
            ctx, f"oorzaak-{outcome}", terms, measure="hr",
            conf_level=ctx.r["cox"]["conf_level"],
            title=ctx.t(title), forest_title=ctx.t(title),
            n=ctx.t("n = %(n)s trajecten, %(e)s met deze afloop") % {
                "n": ctx.count("counts.active", model.get("n")),
                "e": ctx.count(f"outcome.{outcome}", model.get("events"))},
            forest_n=ctx.n_line(model.get("n"), N_("n = %(n)s trajecten"),
                                fact="counts.active"), notes=[ctx.t(note)])
    if not blocks:
        return []
    return [ctx.para(ctx.t("Het Cox-model hierboven telt elke afsluiting mee, ongeacht de "
                           "afloop. De oorzaakspecifieke modellen kijken per afloop: een "
                           "hazardratio boven 1 betekent dat trajecten met dat kenmerk "
                           "sneller met die afloop worden afgesloten dan de "
                           "referentiecategorie, met de andere kenmerken gelijk gehouden.")),
            *blocks]


def results_fine_gray(ctx: Context) -> list[Block]:
    """Eviction as a cumulative risk, the other endings competing."""
    model = (ctx.r.get("fine_gray") or {}).get("uithuisgezet")
    terms = (model or {}).get("terms") or []
    if model is None or not ctx.enough("fine_gray.events", model.get("events")) \
            or not ctx.estimated(terms):
        return []
    title = ctx.t("Subdistributie-hazardratio's van een uithuiszetting (Fine–Gray-model)")
    return [ctx.para(ctx.t("Het Fine–Gray-model beschrijft de kans om uiteindelijk "
                           "uitgezet te worden, terwijl een traject ook op een andere manier "
                           "kan eindigen. Een subdistributie-hazardratio boven 1 betekent "
                           "een hogere cumulatieve kans op uithuiszetting dan de "
                           "referentiecategorie.")),
            *model_blocks(
                ctx, "fine-gray", terms, measure="shr",
                conf_level=ctx.r["cox"]["conf_level"],
                title=title, forest_title=title,
                n=ctx.t("n = %(n)s trajecten, %(e)s uithuisgezet") % {
                    "n": ctx.count("fine_gray.n", model.get("n")),
                    "e": ctx.count("fine_gray.events", model.get("events"))},
                forest_n=ctx.n_line(model.get("n"), N_("n = %(n)s trajecten"),
                                    fact="fine_gray.n"))]


def sections(ctx: Context) -> list[Section]:
    """The model sections of chapter 5; an optional model without results is left out."""
    out = [Section("cox", ctx.t("Kenmerken en afsluitkans: het Cox-model"), results_cox(ctx))]
    if blocks := results_cause_specific(ctx):
        out.append(Section("oorzaak", ctx.t("Kenmerken en elke afloop: oorzaakspecifieke "
                                            "modellen"), blocks))
    if blocks := results_fine_gray(ctx):
        out.append(Section("fine-gray", ctx.t("Kans op uithuiszetting: het Fine–Gray-model"),
                           blocks))
    out.append(Section("logistisch", ctx.t("Kenmerken en vermeden uithuiszetting: het "
                                           "logistische model"), results_logistic(ctx)))
    return out
