"""Chapter 5, the model sections: closure (Cox), each outcome (cause-specific Cox), eviction
as a cumulative risk (Fine–Gray), eviction avoided at closure (logistic). A block that
results.json does not hold (the estimands of issue 12 are optional) gives no section."""

from __future__ import annotations

from typing import Any, NamedTuple

from pipeline.report.blocks import model_blocks, term_sentences
from pipeline.report.chapters import modeltekst
from pipeline.report.context import (
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
    blocks: list[Block] = modeltekst.cox_text(ctx, cox, significant, other)
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
                         "referentiecategorie (ongeacht de uitkomst van de afsluiting).")],
            factor_tests=cox.get("factor_tests") or [])
    if ph.get("covariates"):
        rows = [[ctx.variable(c["covariate"]), ctx.dec(c.get("chisq"), 2),
                 ctx.num(c.get("df")), ctx.pval(c.get("p"))] for c in ph["covariates"]]
        rows.append([ctx.t("Globaal"), ctx.dec(ph_global.get("chisq"), 2),
                     ctx.num(ph_global.get("df")), ctx.pval(ph_global.get("p"))])
        blocks.append(modeltekst.ph_text(ctx, ph))
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
    blocks: list[Block] = modeltekst.logistic_text(ctx, ev, significant, other)
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
                         "uithuiszetting dan de referentiecategorie.")], chart_id="fig-logit",
            factor_tests=ev.get("factor_tests") or [])
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


class Outcome(NamedTuple):
    """How the report names one closure outcome of the cause-specific models."""

    section: str  # section title
    title: str  # table and forest plot title
    note: str  # what a hazard ratio above 1 means for this outcome
    up: str  # sentence for a significant HR > 1
    down: str  # ... and < 1
    incidence: str  # the share within a year (cumulative incidence), the lead percentage
    none: str  # no significant characteristic


OUTCOMES = {
    "vermeden": Outcome(
        N_("Kenmerken en een afsluiting met vermeden uithuiszetting"),
        N_("Hazardratio's van een afsluiting met vermeden uithuiszetting "
           "(oorzaakspecifiek Cox-model)"),
        N_("Een hazardratio boven 1: sneller met vermeden uithuiszetting afgesloten dan de "
           "referentiecategorie."),
        N_("%(label)s: sneller met vermeden uithuiszetting afgesloten (HR %(ci)s; %(p)s)."),
        N_("%(label)s: trager met vermeden uithuiszetting afgesloten (HR %(ci)s; %(p)s)."),
        N_("Binnen een jaar na de start was naar schatting %(share)s van de trajecten "
           "afgesloten met een vermeden uithuiszetting (cumulatieve incidentie, "
           "periodeanalyse, %(conf)s-BI tussen haakjes)."),
        N_("Geen enkel kenmerk hangt in dit model significant (p < 0,05) samen met de snelheid "
           "van een afsluiting met vermeden uithuiszetting.")),
    "uithuisgezet": Outcome(
        N_("Kenmerken en uithuiszetting"),
        N_("Hazardratio's van een uithuiszetting (oorzaakspecifiek Cox-model)"),
        N_("Een hazardratio boven 1: vaker (per maand in begeleiding) uithuisgezet dan de "
           "referentiecategorie."),
        N_("%(label)s: vaker uithuisgezet (HR %(ci)s; %(p)s)."),
        N_("%(label)s: minder vaak uithuisgezet (HR %(ci)s; %(p)s)."),
        N_("Binnen een jaar na de start was naar schatting %(share)s van de trajecten "
           "geëindigd met een uithuiszetting (cumulatieve incidentie, periodeanalyse, "
           "%(conf)s-BI tussen haakjes)."),
        N_("Geen enkel kenmerk hangt in dit model significant (p < 0,05) samen met het risico "
           "op uithuiszetting.")),
    "niet_vermeden": Outcome(
        N_("Kenmerken en een afsluiting zonder afgewende dreiging, zonder uithuiszetting"),
        N_("Hazardratio's van een afsluiting waarbij de uithuiszetting niet vermeden werd, "
           "zonder uithuiszetting (oorzaakspecifiek Cox-model)"),
        N_("Een hazardratio boven 1: vaker (per maand in begeleiding) afgesloten zonder dat "
           "de dreiging van uithuiszetting afgewend was, maar ook zonder uithuiszetting, dan "
           "de referentiecategorie."),
        N_("%(label)s: vaker afgesloten zonder afgewende dreiging, maar ook zonder "
           "uithuiszetting (HR %(ci)s; %(p)s)."),
        N_("%(label)s: minder vaak afgesloten zonder afgewende dreiging, maar ook zonder "
           "uithuiszetting (HR %(ci)s; %(p)s)."),
        N_("Binnen een jaar na de start was naar schatting %(share)s van de trajecten "
           "afgesloten zonder dat de dreiging afgewend was, maar ook zonder uithuiszetting "
           "(cumulatieve incidentie, periodeanalyse, %(conf)s-BI tussen haakjes)."),
        N_("Geen enkel kenmerk hangt in dit model significant (p < 0,05) samen met een "
           "afsluiting zonder afgewende dreiging.")),
    "onbekend": Outcome(
        N_("Kenmerken en een afsluiting met onbekende afloop"),
        N_("Hazardratio's van een afsluiting met onbekende afloop (oorzaakspecifiek "
           "Cox-model)"),
        N_("Een hazardratio boven 1: vaker (per maand in begeleiding) afgesloten zonder "
           "geregistreerde afloop dan de referentiecategorie. Dat zegt iets over de "
           "registratie, niet over wat er met de huurder gebeurde."),
        N_("%(label)s: vaker afgesloten zonder geregistreerde afloop (HR %(ci)s; %(p)s)."),
        N_("%(label)s: minder vaak afgesloten zonder geregistreerde afloop (HR %(ci)s; "
           "%(p)s)."),
        N_("Binnen een jaar na de start was naar schatting %(share)s van de trajecten "
           "afgesloten zonder dat de afloop geregistreerd werd (cumulatieve incidentie, "
           "periodeanalyse, %(conf)s-BI tussen haakjes)."),
        N_("Geen enkel kenmerk hangt in dit model significant (p < 0,05) samen met een "
           "afsluiting zonder geregistreerde afloop.")),
}
YEAR = 365  # the day of the cumulative incidence that leads each outcome's section


def incidence_share(ctx: Context, outcome: str) -> str | None:
    """The outcome's cumulative incidence one year after the start with its interval ('14,4 %
    (11,2–18,1)'), or None: a percentage a reader can use before the hazard ratios. Only
    when the outcome's count is published (the same cell as the incidence table's)."""
    ci = ctx.r.get("cumulative_incidence") or {}
    days = list(ci.get("days") or [])
    if YEAR not in days or outcome not in ci or \
            not ctx.enough(f"outcome.{outcome}", (ci.get("events") or {}).get(outcome)):
        return None
    i = days.index(YEAR)
    bounds = [(ci.get(b) or {}).get(outcome) for b in ("lower", "upper")]
    return ctx.pct_ci(ci[outcome][i], [b[i] if b else None for b in bounds])


def results_outcome(ctx: Context, outcome: str, model: Any) -> list[Block]:
    """One outcome's section: its share within a year, the characteristics that go with it
    (worded for this outcome), the table of hazard ratios and its forest plot."""
    words = OUTCOMES[outcome]
    terms = (model or {}).get("terms") or []
    blocks: list[Block] = []
    share = incidence_share(ctx, outcome)
    if share:
        blocks.append(ctx.para(ctx.t(words.incidence) % {
            "share": share, "conf": ctx.pct(_get(ctx.r, "cumulative_incidence", "conf_level"),
                                            0)}))
    if not ctx.enough(f"outcome.{outcome}", model.get("events")) or not ctx.estimated(terms):
        blocks.append(ctx.para(ctx.t("Voor deze afloop kon geen model getoond worden: te "
                                     "weinig trajecten met deze afloop (minder dan %(t)s) of "
                                     "geen schatting; zie de technische meldingen in bijlage "
                                     "%(b)s.") % {"t": ctx.threshold,
                                                  "b": "{ref:bijlage:kwaliteit}"}))
        return blocks
    significant, _ = term_sentences(ctx, terms, "hr", wording=(words.up, words.down))
    if significant:
        blocks.append(Text("lijst", {"items": [{
            "text": ctx.t("Met de andere kenmerken gelijk gehouden, significant (p < 0,05):"),
            "sub": significant}]}))
    else:
        blocks.append(ctx.para(ctx.t(words.none)))
    if outcome == "vermeden" and predicted_table(ctx, ctx.r.get("eviction_avoided") or {}) \
            and logistic_shown(ctx):
        blocks.append(ctx.para(ctx.t("Hoe groot het aandeel vermeden uithuiszettingen per "
                                     "kenmerk is, met de andere kenmerken gelijk gehouden, "
                                     "staat in %(table)s.") % {"table": "{ref:voorspeld}"}))
    conf = ctx.pct(ctx.r["cox"]["conf_level"], 0)
    blocks += model_blocks(
        ctx, f"oorzaak-{outcome}", terms, measure="hr",
        conf_level=ctx.r["cox"]["conf_level"], title=ctx.t(words.title),
        forest_title=ctx.t(words.title) + " " + ctx.t(
            "met %(level)s-betrouwbaarheidsinterval") % {"level": conf},
        n=ctx.t("n = %(n)s trajecten, %(e)s met deze afloop") % {
            "n": ctx.count("counts.active", model.get("n")),
            "e": ctx.count(f"outcome.{outcome}", model.get("events"))},
        forest_n=ctx.n_line(model.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
        notes=[ctx.t(words.note)], factor_tests=model.get("factor_tests") or [])
    return blocks


def logistic_shown(ctx: Context) -> bool:
    """The logistic model's section shows its tables (as ``results_logistic`` decides)."""
    ev = ctx.r.get("eviction_avoided", {})
    return ctx.enough("eviction.known", ev.get("n")) and ctx.estimated(ev.get("terms") or [])


def results_cause_specific(ctx: Context) -> list[Section]:
    """One section per closure outcome (one Cox model each: the closure model above mixes
    them), after a short one that says how to read them; none when no outcome's model
    was estimated."""
    cs = ctx.r.get("cause_specific") or {}
    shown = {k: cs[k] for k in OUTCOMES if k in cs
             and ctx.enough(f"outcome.{k}", cs[k].get("events"))
             and ctx.estimated(cs[k].get("terms") or [])}
    if not shown:
        return []
    intro = ctx.para(ctx.t(
        "Het Cox-model hierboven telt elke afsluiting mee, ongeacht de afloop, en mengt zo "
        "goede en slechte afloop. De oorzaakspecifieke modellen kijken per afloop: vermeden "
        "uithuiszetting, uithuisgezet, niet vermeden zonder uithuiszetting, en onbekend. Een "
        "hazardratio boven 1 betekent dat trajecten met dat kenmerk sneller (per maand in "
        "begeleiding vaker) met die afloop worden afgesloten dan de referentiecategorie, "
        "met de andere kenmerken gelijk gehouden. Elke afloop begint met het aandeel "
        "trajecten dat er binnen een jaar mee eindigde."))
    return [Section("oorzaak", ctx.t("Kenmerken en elke afloop: oorzaakspecifieke modellen"),
                    (intro,)),
            *(Section(f"afloop-{k.replace('_', '-')}", ctx.t(OUTCOMES[k].section),
                      tuple(results_outcome(ctx, k, cs[k]))) for k in OUTCOMES if k in cs)]


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
                                    fact="fine_gray.n"),
                factor_tests=model.get("factor_tests") or [])]


def sections(ctx: Context) -> list[Section]:
    """The model sections of chapter 5; an optional model without results is left out."""
    out = [Section("cox", ctx.t("Kenmerken en afsluitkans: het Cox-model"), results_cox(ctx))]
    out += results_cause_specific(ctx)
    if blocks := results_fine_gray(ctx):
        out.append(Section("fine-gray", ctx.t("Kans op uithuiszetting: het Fine–Gray-model"),
                           blocks))
    out.append(Section("logistisch", ctx.t("Kenmerken en vermeden uithuiszetting: het "
                                           "logistische model"), results_logistic(ctx)))
    return out
