"""Chapter 5, Resultaten: closure, goals, eviction avoided, competing outcomes, models.

The chapter's text is here and, for the model sections, in ``modeltekst`` (prose.py:
messages are trusted markup, values escaped)."""

from __future__ import annotations

from pipeline.report import charts, disclosure
from pipeline.report.chapters import modellen
from pipeline.report.context import (
    HIDDEN,
    Context,
    _get,
)
from pipeline.report.labels import (
    N_,
    OUTCOME_LABELS,
)
from pipeline.report.model import Block, Chapter, Section, Text
from pipeline.report.prose import link, markup, paragraph


def chapter_results(ctx: Context) -> list[Section]:
    return [
        Section("afsluiting", ctx.t("Reden van afsluiting"), results_closure(ctx)),
        Section("doelen", ctx.t("Handelingsdoelen"), results_goals(ctx)),
        Section("vermeden", ctx.t("Uithuiszetting vermeden"), results_avoided(ctx)),
        Section("incidentie", ctx.t("Afloop als concurrerende uitkomsten"),
                results_incidence(ctx)),
        *modellen.sections(ctx),
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
    return [paragraph(markup(ctx.t(
        '%(figure)s toont waarom de %(n)s trajecten die in %(year)s werden afgesloten, '
        'eindigden; %(table)s geeft de verdeling per CAW-regio.'), figure=link("afsluitreden"),
        n=ctx.count("counts.closed", ctx.p["closed"]["n"]), year=ctx.year,
        table=link("afsluitreden-regio", optional=True))), figure]


def results_goals(ctx: Context) -> list[Block]:
    overall = _get(ctx.r, "indicators", "overall", default={})
    goals = ["bereikt", "gedeeltelijk", "niet_bereikt"]
    counts = [overall.get(f"goals_{g}") or 0 for g in goals]
    grid = ctx.grid("doelen", goals, [counts], row_total=False, percent="col",
                     facts={(i, 0): f"goals.{g}" for i, g in enumerate(goals)}
                     | {(3, 0): "goals.n"})
    rows = []
    for i, g in enumerate(goals):
        share = grid.share(i, 0)
        if not grid.hidden(i, 0) and not grid.hidden(3, 0):  # count and total published
            share = ctx.pct_ci(overall.get(f"goals_{g}_share"), overall.get(f"goals_{g}_ci"))
        rows.append([ctx.level("handelingsdoelen", g), grid.count(i, 0), share])
    rows.append([ctx.t("Totaal"), grid.count(3, 0), grid.share(3, 0)])
    return [
        paragraph(markup(ctx.t(
            'Bij elke afsluiting registreert de woonbegeleider of de handelingsdoelen uit het '
            'handelingsplan bereikt werden. Ze werden volledig bereikt bij %(reached)s van de '
            'afsluitingen, gedeeltelijk bij %(partly)s en niet bij %(notreached)s (%(table)s).'),
            reached=rows[0][2], partly=rows[1][2], notreached=rows[2][2],
            table=link("doelen"))),
        ctx.table("doelen", ctx.t("Handelingsdoelen bij afsluiting, in %(year)s afgesloten "
                                    "trajecten") % {"year": ctx.year},
                   [ctx.t("Handelingsdoelen"), ctx.t("Aantal"),
                    ctx.t("Aandeel (95%-BI)")], rows, grids=[grid], total_rows=1,
                   n=ctx.n_line(overall.get("goals_n"),
                                 N_("n = %(n)s afgesloten trajecten"), fact="goals.n"),
                   notes=[ctx.t("Intervallen volgens Wilson.")]),
    ]


def avoided_rate(ctx: Context) -> tuple[str, str] | None:
    """The share avoided with its interval and its n, as Table 'vermeden' publishes them
    (both marks when hidden); None before that table is built."""
    cells = ctx.ck.table("vermeden")
    if cells is None:
        return None
    overall = ctx.r["indicators"]["overall"]
    return (cells["rate"].text(lambda _: ctx.pct_ci(overall["eviction_avoided_rate"],
                                                    overall["eviction_avoided_ci"])),
            cells["known"].text(ctx.num))


def results_avoided(ctx: Context) -> list[Block]:
    overall = _get(ctx.r, "indicators", "overall", default={})
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
    return [
        paragraph(markup(ctx.t(
            'Per afgesloten dossier registreert de woonbegeleider of een uithuiszetting '
            'vermeden werd (omzendbrief, bijlage, punt 5.5). Onder de %(n)s afsluitingen van '
            '%(year)s waarvoor dat geregistreerd is (ja of nee), werd de uithuiszetting volgens '
            'die registratie vermeden bij %(rate)s. Het is de inschatting van de begeleider op '
            'het moment van afsluiten, geen opvolging achteraf. Bij %(unknown)s afsluitingen is '
            'de afloop onbekend; die tellen niet mee (%(table)s).'),
            n=cells["known"].text(ctx.num), year=ctx.year, rate=rate,
            unknown=grid.count(2, 0), table=link("vermeden"))),
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
    # four outcomes where results.json has them ('ander' = niet_vermeden + onbekend)
    four = all(k in events for k in ("niet_vermeden", "onbekend")) and all(
        k in (ci.get("curve") or {}) for k in ("niet_vermeden", "onbekend"))
    outcomes = (["vermeden", "uithuisgezet", "niet_vermeden", "onbekend"] if four
                else ["vermeden", "uithuisgezet", "ander"])
    counts = [events.get(k, 0) for k in outcomes]
    m = len(outcomes)
    grid = ctx.grid("uitkomsten", outcomes + ["open"], [[*counts, max(n - sum(counts), 0)]],
                     row_total=False, percent="col",
                     facts={(i, 0): f"outcome.{k}" for i, k in enumerate(outcomes)}
                     | {(m, 0): "counts.open_at_cutoff", (m + 1, 0): "counts.active"},
                     extra=lambda spec: spec.total(
                         "closed", [(i, 0) for i in range(m)],
                         fact=ctx.ck.fact("counts.closed", sum(counts))))
    # a curve or share of an outcome with a hidden count would reveal that count
    hidden = {k for i, k in enumerate(outcomes) if grid.hidden(i, 0)}
    curve = ci.get("curve") or {}
    if grid.hidden(m + 1, 0) or n < ctx.threshold:
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
                                       chart_id="fig-incidentie",
                                       outcomes=charts.FOUR_OUTCOMES if four else None)
        blocks.append(ctx.figure(
            "incidentie", ctx.t("Cumulatieve incidentie van de vier uitkomsten van "
                                 "afsluiting (Aalen–Johansen, gestapeld)") if four else
            ctx.t("Cumulatieve incidentie van de drie uitkomsten van "
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
    if rows and grid.cell(m + 1, 0).published and n >= ctx.threshold:
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
    blocks.insert(0, incidence_text(ctx, grid.count(m + 1, 0), conf, blocks))
    labels = [ctx.t(OUTCOME_LABELS[k]) for k in outcomes] + [
        ctx.t("Nog open op de peildatum")]
    rows = [[label, grid.count(i, 0), grid.share(i, 0)] for i, label in enumerate(labels)]
    rows.append([ctx.t("Totaal"), grid.count(m + 1, 0), grid.share(m + 1, 0)])
    blocks.append(ctx.table(
        "uitkomsten", ctx.t("Trajecten naar uitkomst op de peildatum"),
        [ctx.t("Uitkomst"), ctx.t("Aantal"), ctx.t("Aandeel")], rows, grids=[grid],
        total_rows=1, n=ctx.n_line(n, N_("n = %(n)s trajecten"), fact="counts.active")))
    return blocks


def incidence_text(ctx: Context, n: str, conf: str, blocks: list[Block]) -> Block:
    """The four ways a trajectory ends, and what the figure and tables below show."""
    shown = {b.key for b in blocks if not isinstance(b, Text)}
    return paragraph(
        markup(ctx.t(
            'Bij de afsluiting registreert de woonbegeleider of de uithuiszetting vermeden werd. '
            'Zo eindigt een traject op één van vier manieren: met een vermeden uithuiszetting, '
            "met een uithuiszetting, zonder uithuiszetting maar met 'niet vermeden' "
            'geregistreerd, of met een onbekende afloop.')),
        "incidentie" in shown and markup(ctx.t(
            '%(figure)s toont voor alle %(n)s trajecten hoe het aandeel dat op elk van die '
            'manieren werd afgesloten, oploopt met de tijd; samen vormen ze het complement van '
            'de curve in %(km)s.'), figure=link("incidentie"), n=n,
            km=link("km", optional=True)),
        "incidentie-tabel" in shown and markup(ctx.t(
            '%(table)s geeft de waarden na 90, 180, 365 en 730 dagen met hun %(conf)s-BI.'),
            table=link("incidentie-tabel"),
            conf=conf),
        markup(ctx.t('%(table)s telt de trajecten naar hun uitkomst op de peildatum.'),
               table=link("uitkomsten")))


def build(ctx: Context) -> Chapter:
    return Chapter("resultaten", ctx.t("Resultaten"), chapter_results(ctx))
