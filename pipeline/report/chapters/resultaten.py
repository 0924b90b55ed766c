"""Chapter 5, Resultaten: closure, goals, eviction avoided, competing outcomes, models."""

from __future__ import annotations

from pipeline.report import charts, disclosure
from pipeline.report.blocks import term_label, term_rows, term_sentences
from pipeline.report.context import (
    ALPHA,
    HIDDEN,
    Context,
    _get,
)
from pipeline.report.labels import (
    N_,
    OUTCOME_LABELS,
)
from pipeline.report.model import Block, Chapter, Section, Text


def chapter_results(ctx: Context) -> list[Section]:
    return [
        Section("afsluiting", ctx.t("Reden van afsluiting"), results_closure(ctx)),
        Section("doelen", ctx.t("Handelingsdoelen"), results_goals(ctx)),
        Section("vermeden", ctx.t("Uithuiszetting vermeden"), results_avoided(ctx)),
        Section("incidentie", ctx.t("Afloop als concurrerende uitkomsten"),
                results_incidence(ctx)),
        Section("cox", ctx.t("Kenmerken en afsluitkans: het Cox-model"), results_cox(ctx)),
        Section("logistisch", ctx.t("Kenmerken en vermeden uithuiszetting: het logistische "
                                     "model"), results_logistic(ctx)),
    ]


def results_closure(ctx: Context) -> list[Block]:
    if ctx.p is None:
        return [ctx.para(ctx.t("De profielgegevens werden niet doorgegeven aan het "
                                 "rapport."))]
    tab = ctx.p["closed"]["variables"]["afsluitreden"]
    n = ctx.n_line(ctx.p["closed"]["n"], N_("n = %(n)s afgesloten trajecten"),
                    fact="counts.closed")
    figure = ctx.distribution_figure(
        "afsluitreden", "afsluitreden", tab,
        title=ctx.t("Reden van afsluiting, in %(year)s afgesloten trajecten") % {
            "year": ctx.year}, n=n, pop="closed")
    return [Text("resultaten_afsluiting", {"n": ctx.count("counts.closed",
                                                           ctx.p["closed"]["n"])}),
            figure]


def results_goals(ctx: Context) -> list[Block]:
    overall = _get(ctx.r, "indicators", "overall", default={})
    goals = ["bereikt", "gedeeltelijk", "niet_bereikt"]
    counts = [overall.get(f"goals_{g}") or 0 for g in goals]
    grid = ctx.grid("doelen", goals, [counts], row_total=False, percent="col",
                     facts={(i, 0): f"goals.{g}" for i, g in enumerate(goals)}
                     | {(3, 0): "goals.n"})
    ctx.goals = grid
    rows = []
    for i, g in enumerate(goals):
        share = grid.share(i, 0)
        if not grid.hidden(i, 0) and not grid.hidden(3, 0):  # count and total published
            share = ctx.pct_ci(overall.get(f"goals_{g}_share"), overall.get(f"goals_{g}_ci"))
        rows.append([ctx.level("handelingsdoelen", g), grid.count(i, 0), share])
    rows.append([ctx.t("Totaal"), grid.count(3, 0), grid.share(3, 0)])
    return [
        Text("resultaten_doelen", {"reached": rows[0][2], "partly": rows[1][2],
                                   "not": rows[2][2]}),
        ctx.table("doelen", ctx.t("Handelingsdoelen bij afsluiting, in %(year)s afgesloten "
                                    "trajecten") % {"year": ctx.year},
                   [ctx.t("Handelingsdoelen"), ctx.t("Aantal"),
                    ctx.t("Aandeel (95%-BI)")], rows, grids=[grid], total_rows=1,
                   n=ctx.n_line(overall.get("goals_n"),
                                 N_("n = %(n)s afgesloten trajecten"), fact="goals.n"),
                   notes=[ctx.t("Intervallen volgens Wilson.")]),
    ]


def results_avoided(ctx: Context) -> list[Block]:
    overall = _get(ctx.r, "indicators", "overall", default={})
    ev = ctx.r.get("eviction_avoided", {})
    yes = overall.get("eviction_avoided") or 0
    known = overall.get("eviction_n") or 0
    unknown = overall.get("eviction_unknown") or 0

    def derived(spec: disclosure.Spec) -> None:  # the prose's n and the rate
        spec.total("known", [(0, 0), (1, 0)], fact="eviction.known", spare=True)
        spec.share("rate", (0, 0), "known")

    grid = ctx.grid("vermeden", ["ja", "nee", "onbekend"], [[yes, known - yes, unknown]],
                     row_total=False, percent="col", extra=derived,
                     facts={(0, 0): "eviction.ja", (1, 0): "eviction.nee",
                            (2, 0): "eviction.onbekend", (3, 0): "counts.closed"})
    cells = grid.published
    rate = cells["rate"].text(lambda _: ctx.pct_ci(overall.get("eviction_avoided_rate"),
                                                    overall.get("eviction_avoided_ci")))
    rows = [[ctx.level("uithuiszetting_vermeden", k), grid.count(i, 0), grid.share(i, 0)]
            for i, k in enumerate(["ja", "nee", "onbekend"])]
    rows.append([ctx.t("Totaal"), grid.count(3, 0), grid.share(3, 0)])
    ctx.avoided = {"rate": rate, "n": cells["known"].text(ctx.num),
                    "cell": cells["rate"]}
    return [
        Text("resultaten_vermeden", {"rate": rate, "n": ctx.avoided["n"],
                                     "unknown": grid.count(2, 0),
                                     "logistic_n": ctx.count("eviction.known",
                                                              ev.get("n"))}),
        ctx.table("vermeden", ctx.t("Uithuiszetting vermeden, in %(year)s afgesloten "
                                      "trajecten") % {"year": ctx.year},
                   [ctx.t("Uithuiszetting vermeden"), ctx.t("Aantal"),
                    ctx.t("Aandeel")], rows, grids=[grid], total_rows=1,
                   n=ctx.n_line(overall.get("closed"), N_("n = %(n)s afgesloten trajecten"),
                                 fact="counts.closed"),
                   notes=[ctx.t("Aandeel vermeden onder de afsluitingen met ja of nee: "
                                 "%(rate)s (95%%-BI, Wilson).") % {"rate": rate}]),
    ]


def results_incidence(ctx: Context) -> list[Block]:
    ci = ctx.r.get("cumulative_incidence", {})
    blocks: list[Block] = []
    events = ci.get("events") or {}
    n = ci.get("n") or 0
    outcomes = ["vermeden", "uithuisgezet", "ander"]
    counts = [events.get(k, 0) for k in outcomes]
    grid = ctx.grid("uitkomsten", outcomes + ["open"], [[*counts, max(n - sum(counts), 0)]],
                     row_total=False, percent="col",
                     facts={(3, 0): "counts.open_at_cutoff", (4, 0): "counts.active"},
                     extra=lambda spec: spec.total(
                         "closed", [(0, 0), (1, 0), (2, 0)],
                         fact=ctx.ck.fact("counts.closed", sum(counts))))
    blocks.append(Text("resultaten_incidentie", {
        "n": grid.count(4, 0), "conf": ctx.pct(ci.get("conf_level"), 0)}))
    # a curve or share of an outcome with a hidden count would reveal that count
    hidden = {k for i, k in enumerate(outcomes) if grid.hidden(i, 0)}
    curve = ci.get("curve") or {}
    if grid.hidden(4, 0) or n < ctx.threshold:
        curve = {}
    elif hidden:
        blocks.append(ctx.para(ctx.t("De figuur van de cumulatieve incidentie wordt niet "
                                       "getoond: een uitkomst telt minder dan %(t)s "
                                       "afsluitingen.") % {"t": ctx.threshold}))
        curve = {}
    if curve.get("days"):
        shown = ctx.observed(curve, outcomes)
        chart = charts.incidence_chart(shown, locale=ctx.lang, translate=ctx.t,
                                       alt=ctx.t("Cumulatieve incidentie van de "
                                                  "afsluituitkomsten"),
                                       chart_id="fig-incidentie")
        blocks.append(ctx.figure(
            "incidentie", ctx.t("Cumulatieve incidentie van de drie uitkomsten van "
                                 "afsluiting (Aalen–Johansen, gestapeld)"), chart,
            n=ctx.n_line(n, N_("n = %(n)s trajecten"), fact="counts.active")))
    rows = []
    for i, day in enumerate(ci.get("days") or []):
        cells = []
        for key in outcomes:
            values = ci.get(key) or []
            lower = _get(ci, "lower", key, default=[])
            upper = _get(ci, "upper", key, default=[])
            value = values[i] if i < len(values) else None
            bounds = [lower[i] if i < len(lower) else None,
                      upper[i] if i < len(upper) else None]
            cells.append(HIDDEN if key in hidden else ctx.pct_ci(value, bounds))
        rows.append([ctx.t("%(d)s dagen") % {"d": ctx.num(day)}, *cells])
    conf = ctx.pct(ci.get("conf_level"), 0)
    if rows and grid.cell(4, 0).published and n >= ctx.threshold:
        blocks.append(ctx.table(
            "incidentie-tabel", ctx.t("Cumulatieve incidentie per uitkomst na 90 tot 730 "
                                       "dagen"),
            [ctx.t("Tijd sinds de start")] + [
                ctx.t("%(label)s (%(level)s-BI)") % {"label": ctx.t(OUTCOME_LABELS[k]),
                                                     "level": conf} for k in outcomes],
            rows, n=ctx.n_line(n, N_("n = %(n)s trajecten"), fact="counts.active"),
            notes=[ctx.t("Een streepje: niet meer waargenomen."),
                   ctx.t("x: niet gepubliceerd, want de uitkomst telt minder dan %(t)s "
                          "afsluitingen.") % {"t": ctx.threshold} if hidden else ""]))
    labels = [ctx.t(OUTCOME_LABELS[k]) for k in outcomes] + [
        ctx.t("Nog open op de peildatum")]
    rows = [[label, grid.count(i, 0), grid.share(i, 0)] for i, label in enumerate(labels)]
    rows.append([ctx.t("Totaal"), grid.count(4, 0), grid.share(4, 0)])
    blocks.append(ctx.table(
        "uitkomsten", ctx.t("Trajecten naar uitkomst op de peildatum"),
        [ctx.t("Uitkomst"), ctx.t("Aantal"), ctx.t("Aandeel")], rows, grids=[grid],
        total_rows=1, n=ctx.n_line(n, N_("n = %(n)s trajecten"), fact="counts.active")))
    return blocks


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
        blocks.append(ctx.table(
            "cox", ctx.t("Hazardratio's van afsluiting (Cox-model)"),
            [ctx.t("Kenmerk"), ctx.t("Hazardratio (%(level)s-BI)") % {"level": conf},
             ctx.t("p")], term_rows(ctx, terms, "hr"),
            n=ctx.t("n = %(n)s trajecten, %(e)s afgesloten") % {
                "n": ctx.count("counts.active", cox.get("n")),
                "e": ctx.count("counts.closed", cox.get("events"))},
            notes=[ctx.t("Een hazardratio boven 1: sneller afgesloten dan de "
                          "referentiecategorie (ongeacht de uitkomst van de afsluiting).")]))
        chart = charts.forest_plot(
            terms, measure="hr", label=lambda t: term_label(ctx, t, "hr", reference=False),
            conf_level=cox.get("conf_level") or 0.95, locale=ctx.lang, translate=ctx.t,
            alt=ctx.t("Forest plot van de hazardratio's"), chart_id="fig-cox")
        blocks.append(ctx.figure(
            "cox-forest", ctx.t("Hazardratio's van afsluiting met "
                                 "%(level)s-betrouwbaarheidsinterval") % {"level": conf},
            chart, n=ctx.n_line(cox.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
            notes=[ctx.t("Referentiecategorieën: zie %(ref)s.") % {"ref": "{ref:cox}"}]))
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
        "rate": ctx.avoided["rate"] if hasattr(ctx, "avoided") else "",
        "clusters": ctx.num(ev.get("n_clusters")),
        "few": bool(ev.get("n_clusters")) and ev["n_clusters"] < 30,
        "significant": significant, "other": other})]
    if terms:
        blocks.append(ctx.table(
            "logistisch", ctx.t("Oddsratio's van een vermeden uithuiszetting (logistisch "
                                 "model, robuuste standaardfouten)"),
            [ctx.t("Kenmerk"), ctx.t("Oddsratio (%(level)s-BI)") % {"level": conf},
             ctx.t("p")], term_rows(ctx, terms, "or"),
            n=ctx.t("n = %(n)s afgesloten trajecten, %(e)s vermeden") % {
                "n": ctx.count("eviction.known", ev.get("n")),
                "e": ctx.count("eviction.ja", ev.get("events"))},
            notes=[ctx.t("Een oddsratio boven 1: hogere odds op een vermeden "
                          "uithuiszetting dan de referentiecategorie.")]))
        chart = charts.forest_plot(
            terms, measure="or", label=lambda t: term_label(ctx, t, "or", reference=False),
            conf_level=ev.get("conf_level") or 0.95, locale=ctx.lang, translate=ctx.t,
            alt=ctx.t("Forest plot van de oddsratio's"), chart_id="fig-logit")
        blocks.append(ctx.figure(
            "logistisch-forest", ctx.t("Oddsratio's van een vermeden uithuiszetting met "
                                        "%(level)s-betrouwbaarheidsinterval") % {
                "level": conf}, chart,
            n=ctx.n_line(ev.get("n"), N_("n = %(n)s afgesloten trajecten"),
                          fact="eviction.known"),
            notes=[ctx.t("Referentiecategorieën: zie %(ref)s.") % {
                "ref": "{ref:logistisch}"}]))
    return blocks


def build(ctx: Context) -> Chapter:
    return Chapter("resultaten", ctx.t("Resultaten"), chapter_results(ctx))
