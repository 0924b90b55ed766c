"""The appendices: full model tables, data quality, glossary.

Their whole text is here and, for the glossary, in ``woordenlijst`` (prose.py: messages
are trusted markup, values escaped)."""

from __future__ import annotations

import re

from pipeline.report import formatting as fmt
from pipeline.report.blocks import term_label, term_rows, term_sentences
from pipeline.report.chapters.woordenlijst import glossary
from pipeline.report.context import (
    Context,
    _get,
)
from pipeline.report.labels import (
    MODEL_NAMES,
    N_,
)
from pipeline.report.model import Block, Section, Text
from pipeline.report.prose import markup, paragraph


def appendix_sections(ctx: Context) -> list[Section]:
    return [
        Section("modellen", ctx.t("Volledige modeltabellen"), appendix_models(ctx)),
        Section("kwaliteit", ctx.t("Gegevenskwaliteit"), appendix_quality(ctx)),
        Section("woordenlijst", ctx.t("Verklarende woordenlijst"), glossary(ctx)),
    ]


def appendix_models(ctx: Context) -> list[Block]:
    cox = ctx.r.get("cox", {})
    ev = ctx.r.get("eviction_avoided", {})
    blocks: list[Block] = []
    conf_c, conf_e = ctx.pct(cox.get("conf_level"), 0), ctx.pct(ev.get("conf_level"), 0)
    cox_ok = ctx.enough("counts.active", cox.get("n")) and ctx.estimated(
        cox.get("terms") or [])
    ev_ok = ctx.enough("eviction.known", ev.get("n")) and ctx.estimated(
        ev.get("terms") or [])
    # the significant coefficients, term by term: here, not in the Besluit
    items = []
    for ok, model, measure, intro in (
            (cox_ok, cox, "hr", N_("Kenmerken die in het Cox-model significant (p < 0,05) "
                                   "samenhangen met de snelheid van afsluiting, met welke "
                                   "afloop ook, met de andere kenmerken gelijk gehouden:")),
            (ev_ok, ev, "or", N_("Kenmerken die in het logistische model significant "
                                 "(p < 0,05) samenhangen met een vermeden uithuiszetting, met "
                                 "de andere kenmerken gelijk gehouden:"))):
        significant = term_sentences(ctx, model.get("terms") or [], measure)[0] if ok else []
        if significant:
            items.append({"text": ctx.t(intro), "sub": significant})
    if items:
        blocks.append(Text("lijst", {"items": items}))
    if cox_ok:
        blocks.append(ctx.table(
            "cox-volledig", ctx.t("Cox-model van de afsluiting: alle termen"),
            [ctx.t("Term"), ctx.t("Coëfficiënt"), ctx.t("SE"),
             ctx.t("Hazardratio (%(level)s-BI)") % {"level": conf_c}, ctx.t("p")],
            term_rows(ctx, cox["terms"], "hr", full=True),
            n=ctx.t("n = %(n)s trajecten, %(e)s afgesloten") % {
                "n": ctx.count("counts.active", cox.get("n")),
                "e": ctx.count("counts.closed", cox.get("events"))}))
    ph_terms = _get(cox, "ph_test", "terms", default=[])
    if cox_ok and ph_terms:
        blocks.append(ctx.table(
            "ph-termen", ctx.t("Toets op proportionele hazards per term (cox.zph)"),
            [ctx.t("Term"), ctx.t("Chi²"), ctx.t("Vrijheidsgraden"), ctx.t("p")],
            [[term_label(ctx, x["term"], "hr"), ctx.dec(x.get("chisq"), 2),
              ctx.num(x.get("df")), ctx.pval(x.get("p"))] for x in ph_terms],
            n=ctx.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active")))
    if ev_ok:
        blocks.append(ctx.table(
            "logistisch-volledig", ctx.t("Logistisch model van een vermeden uithuiszetting: "
                                          "alle termen"),
            [ctx.t("Term"), ctx.t("Coëfficiënt"), ctx.t("Robuuste SE"),
             ctx.t("Oddsratio (%(level)s-BI)") % {"level": conf_e}, ctx.t("p")],
            term_rows(ctx, ev["terms"], "or", full=True),
            n=ctx.t("n = %(n)s afgesloten trajecten, %(e)s vermeden") % {
                "n": ctx.count("eviction.known", ev.get("n")),
                "e": ctx.count("eviction.ja", ev.get("events"))}))
    rows = [
        [ctx.t("Cox-model"), ctx.count("counts.active", cox.get("n")),
         ctx.count("counts.closed", cox.get("events")),
         ctx.dec(cox.get("loglik"), 1),
         ctx.t("LR χ² = %(s)s, vg = %(df)s, %(p)s") % {
             "s": ctx.dec(_get(cox, "lr_test", "statistic"), 1),
             "df": ctx.num(_get(cox, "lr_test", "df")),
             "p": ctx.p_eq(_get(cox, "lr_test", "p"))},
         ctx.t("concordantie %(c)s; ties %(ties)s; strata %(strata)s") % {
             "c": ctx.dec(cox.get("concordance"), 3),
             "ties": str(cox.get("ties") or "").capitalize(),
             "strata": ", ".join(ctx.variable(x) for x in cox.get("strata") or [])
             or ctx.t("geen")},
         ctx.yes_no(cox.get("converged"))],
        [ctx.t("Logistisch model"), ctx.count("eviction.known", ev.get("n")),
         ctx.count("eviction.ja", ev.get("events")),
         ctx.dec(ev.get("loglik"), 1), fmt.MISSING,
         ctx.t("standaardfouten: %(cov)s") % {"cov": ev.get("cov_type") or fmt.MISSING},
         ctx.yes_no(ev.get("converged"))],
    ]
    blocks.append(ctx.table(
        "modelfit", ctx.t("Samenvatting van de modellen"),
        [ctx.t("Model"), ctx.t("n"), ctx.t("Gebeurtenissen"), ctx.t("Log-likelihood"),
         ctx.t("Toets"), ctx.t("Details"), ctx.t("Geconvergeerd")], rows,
        numeric=[False, True, True, True, False, False, False],
        n=ctx.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
        notes=[ctx.t("Gebeurtenissen: afsluitingen (Cox) of vermeden uithuiszettingen "
                      "(logistisch).")]))
    return blocks


PROBLEMS = (  # the routines' English messages, summarised in Dutch (pattern -> message)
    (re.compile(r"^(?P<term>\S+): no events among its (?P<n>\d+) row"),
     N_("%(term)s: geen enkele gebeurtenis in deze groep; de hazardratio is niet te schatten "
        "en de term is weggelaten.")),
    (re.compile(r"^joint test not available for \[(?P<term>[^\]]*)\]"),
     N_("Geen gezamenlijke toets voor %(term)s: een categorie zonder schatting.")),
    (re.compile(r"^(?P<term>\S+): follow-up ends at day (?P<n>\d+), before tau"),
     N_("%(term)s: de opvolging eindigt vóór de gekozen horizon; geen beperkt gemiddelde "
        "(RMST) voor deze regio.")),
    (re.compile(r"converge", re.I),
     N_("Het model convergeerde niet volledig; lees de schattingen voorzichtig.")),
)


def model_problems(ctx: Context) -> list[tuple[str, list[str]]]:
    """(model name, its messages) for every model block of results.json."""
    out = [(ctx.t(MODEL_NAMES[k]), list(ctx.r.get(k, {}).get("problems") or []))
           for k in MODEL_NAMES]
    out.append((ctx.t("Duur in het jaar (periodeanalyse)"),
                list((ctx.r.get("duration") or {}).get("problems") or [])))
    for outcome, model in (ctx.r.get("cause_specific") or {}).items():
        out.append((ctx.t("Oorzaakspecifiek Cox-model: %(outcome)s") % {
            "outcome": ctx.level("afsluitreden", outcome)}, list(model.get("problems") or [])))
    for outcome, model in (ctx.r.get("fine_gray") or {}).items():
        out.append((ctx.t("Fine–Gray-model: %(outcome)s") % {
            "outcome": ctx.level("afsluitreden", outcome)}, list(model.get("problems") or [])))
    return [(name, texts) for name, texts in out if texts]


def _term_name(ctx: Context, name: str) -> str:
    """A model term, a region code or a variable as the report names it."""
    if "[" in name:
        return term_label(ctx, name, reference=False)
    return ctx.region(name) if name in ctx.region_names else ctx.variable(name)


def problem_text(ctx: Context, text: str) -> str:
    """A routine's message in Dutch: a known kind summarised, any other named as such (the
    original stays in results.json)."""
    for pattern, message in PROBLEMS:
        match = pattern.search(text)
        if match:
            term = match.groupdict().get("term", "")
            label = ", ".join(_term_name(ctx, t.strip(" '\"")) for t in term.split(",")
                              if t.strip(" '\""))
            return ctx.t(message) % {"term": label}
    return ctx.t("Een andere technische melding van de software; de oorspronkelijke tekst "
                 "staat in results.json.")


def appendix_quality(ctx: Context) -> list[Block]:
    validation = ctx.r.get("validation", {})
    files = validation.get("files", [])
    blocks: list[Block] = [paragraph(markup(ctx.t(
        'Deze bijlage geeft de boekhouding per aangeleverd bestand en de rijen in quarantaine '
        'per regel en CAW-regio. De rijen in quarantaine zelf, met bestand en regelnummer, staan '
        'in het bestand quarantaine.csv naast dit rapport; ze worden niet gepubliceerd.')))]
    if files:
        grid = ctx.grid("bestanden", [f["bestand"] for f in files],
                         [[f.get("rijen_geldig") or 0 for f in files],
                          [f.get("rijen_quarantaine") or 0 for f in files]],
                         facts={(len(files), 0): "counts.rows_valid",
                                (len(files), 1): "counts.rows_quarantined",
                                (len(files), 2): "counts.rows_in"})
        rows = []
        for i, f in enumerate(files):
            result = (ctx.t("geweigerd: %(why)s") % {"why": ctx.file_rule(f.get("regel"))}
                      if f.get("geweigerd") else ctx.t("aanvaard"))
            rows.append([f["bestand"], grid.count(i, 2), grid.count(i, 0), grid.count(i, 1),
                         result, ctx.yes_no(bool(f.get("waarschuwingen")))])
        last = len(files)
        rows.append([ctx.t("Totaal"), grid.count(last, 2), grid.count(last, 0),
                     grid.count(last, 1), "", ""])
        blocks.append(ctx.table(
            "bestanden", ctx.t("Aangeleverde bestanden"),
            [ctx.t("Bestand"), ctx.t("Rijen in"), ctx.t("Geldig"), ctx.t("Quarantaine"),
             ctx.t("Resultaat"), ctx.t("Waarschuwing")], rows, grids=[grid],
            numeric=[False, True, True, True, False, False], total_rows=1,
            n=ctx.n_line(len(files), N_("n = %(n)s aangeleverde bestanden")),
            notes=[ctx.t("Waarschuwing: bijvoorbeeld een onbekende kolom die genegeerd en "
                          "niet bewaard werd.")]))
    per_rule = (ctx.p or {}).get("validation", {}).get("per_rule") or {}
    if per_rule:
        codes = ctx.p["validation"]["regions"]  # type: ignore[index]
        names = list(per_rule)
        grid = ctx.grid("regels-regio", names,
                         [[per_rule[name][c] for name in names] for c in codes],
                         col_total=False)
        rows = [[name] + [grid.count(i, j) for j in range(len(codes) + 1)]
                for i, name in enumerate(names)]
        blocks.append(ctx.table(
            "regels-regio", ctx.t("Rijen in quarantaine per regel en CAW-regio"),
            [ctx.t("Regel"), *codes, ctx.t("Totaal")], rows, grids=[grid],
            n=ctx.n_line(ctx.r.get("counts", {}).get("rows_quarantined"),
                          N_("n = %(n)s rijen in quarantaine"),
                          fact="counts.rows_quarantined"),
            notes=[ctx.t("Een rij die meer dan één regel breekt, telt bij elke regel. "
                          "Regio '?': ontbrekende of onbekende code.")]))
    problems = [[name, problem_text(ctx, text)] for name, texts in model_problems(ctx)
                for text in texts]
    if problems:
        blocks.append(ctx.table(
            "meldingen", ctx.t("Technische meldingen van de modelroutines"),
            [ctx.t("Model"), ctx.t("Melding")], problems,
            numeric=[False, False],
            n=ctx.n_line(len(problems), N_("n = %(n)s meldingen"))))
    return blocks
