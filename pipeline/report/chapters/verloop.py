"""Chapter 4, Verloop van de begeleiding: duration, duration by profile, visits, referral.

The chapter's whole text is here and, for the period analysis against 2011, in ``duur``
(prose.py: messages are trusted markup, values escaped)."""

from __future__ import annotations

from pipeline.report import charts, disclosure
from pipeline.report import formatting as fmt
from pipeline.report.chapters import duur
from pipeline.report.context import (
    ALPHA,
    HIDDEN,
    Context,
    Counts,
    _get,
)
from pipeline.report.disclosure import TOTAL
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Section
from pipeline.report.prose import join, link, markup, paragraph, ref


def chapter_course(ctx: Context) -> list[Section]:
    return [
        Section("duur", ctx.t("Duur tot afsluiting"), course_duration(ctx)),
        *([Section("duur-periode", ctx.t("De duur van dit jaar tegenover 2011"), blocks)]
          if (blocks := duur.period_duration(ctx)) else []),
        Section("duur-profiel", ctx.t("Duur naar profiel"), course_by_profile(ctx)),
        Section("huisbezoeken", ctx.t("Huisbezoeken en contacten"), course_visits(ctx)),
        Section("doorverwijzing", ctx.t("Doorverwijzing en nazorg"),
                course_referral(ctx)),
    ]


def course_duration(ctx: Context) -> list[Block]:
    tc = ctx.r.get("time_to_closure", {})
    median, (lo, hi) = tc.get("median_days"), (tc.get("median_ci") or [None, None])
    if not ctx.enough("counts.active", tc.get("n")):
        return [ctx.para(ctx.t("Met minder dan %(t)s trajecten worden de duur tot "
                                 "afsluiting en haar curve niet gepubliceerd.") % {
            "t": ctx.threshold})]
    if median is None:
        verdict = ctx.t("De mediane duur is niet bereikt: minder dan de helft van de "
                         "trajecten werd afgesloten binnen de opvolging.")
    else:  # a median is not a mean: the comparison with 2011 is the period RMST's (issue 12)
        verdict = ctx.t("Deze mediaan telt alle trajecten vanaf hun start, ook die uit vorige "
                         "jaren, en is geen gemiddelde: de vergelijking met de gemiddelde duur "
                         "van %(months_norm)s maanden die de evaluatie van 2011 mat (geciteerd "
                         "in de omzendbrief, punt 3) staat bij de periodeanalyse van dit "
                         "hoofdstuk, met het beperkt gemiddelde van dit jaar.") % ctx.norm_words
    curve = tc.get("curve") or {}
    blocks: list[Block] = [paragraph(
        markup(ctx.t(
            'Van de %(n)s trajecten die uiterlijk op de peildatum startten, ook in vorige jaren, '
            'werden er %(events)s vóór de peildatum afgesloten; de andere liepen nog en tellen '
            'mee tot de peildatum.'), n=ctx.count("counts.active", tc.get("n")),
            events=ctx.count("counts.closed", tc.get("events"))),
        join([markup(ctx.t('De mediane duur tot afsluiting bedraagt %(median)s dagen '
                           '(%(conf)s-BI %(ci)s).'), median=ctx.num(median),
                     conf=ctx.pct(tc.get("conf_level"), 0),
                     ci=ctx.ci(median, [lo, hi], 0).partition(" ")[2].strip("()")
                     or fmt.MISSING), verdict], " "))]
    if curve.get("days"):
        shown = ctx.observed(curve, ["survival", "lower", "upper"])
        chart = charts.km_chart(shown, conf_level=tc.get("conf_level") or 0.95,
                                locale=ctx.lang, translate=ctx.t,
                                alt=ctx.t("Kaplan–Meier-curve van de duur tot afsluiting"),
                                chart_id="fig-km")
        blocks.append(ctx.figure(
            "km", ctx.t("Aandeel trajecten nog in begeleiding naar de tijd sinds de start "
                         "(Kaplan–Meier, met %(conf)s-betrouwbaarheidsband)") % {
                "conf": ctx.pct(tc.get("conf_level"), 0)}, chart,
            n=ctx.n_line(tc.get("n"), N_("n = %(n)s trajecten"), fact="counts.active")))
        rows = []
        for day, months in ((90, 3), (180, 6), (360, 12), (540, 18), (720, 24)):
            if day in curve["days"]:
                i = curve["days"].index(day)
                s = curve["survival"][i]
                rows.append([ctx.t("%(m)s maanden (%(d)s dagen)") % {"m": months, "d": day},
                             ctx.pct_ci(s, [curve["lower"][i], curve["upper"][i]]),
                             ctx.pct(None if s is None else 1 - s)])
        blocks.insert(1, paragraph(markup(ctx.t(  # under the first, above the figure
            '%(figure)s toont het aandeel trajecten dat na een bepaalde tijd nog loopt; '
            '%(table)s geeft enkele punten van die curve.'), figure=link("km"),
            table=link("km-tabel") if rows else fmt.MISSING)))
        if rows:
            blocks.append(ctx.table(
                "km-tabel", ctx.t("Aandeel nog in begeleiding en afgesloten na 3 tot 24 "
                                   "maanden (Kaplan–Meier)"),
                [ctx.t("Tijd sinds de start"),
                 ctx.t("Nog in begeleiding (%(conf)s-BI)") % {
                     "conf": ctx.pct(tc.get("conf_level"), 0)},
                 ctx.t("Afgesloten")], rows,
                n=ctx.n_line(tc.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
                notes=[ctx.t("Een streepje: niet meer waargenomen (geen traject zo lang "
                              "opgevolgd).")]))
    return blocks


def course_by_profile(ctx: Context) -> list[Block]:
    tc = ctx.r.get("time_to_closure", {})
    by_group = tc.get("by_group") or {}
    rows: list[list[str]] = []
    grids = []
    significant, not_significant = [], []
    for variable, result in by_group.items():
        levels = result.get("levels", [])
        if not levels:
            continue
        # the column totals are not shown, but protect the levels against the published n
        codes = [lv["level"] for lv in levels]
        grid = ctx.grid(f"km-profiel-{variable}", codes,
                         [[lv["events"] for lv in levels],
                          [lv["n"] - lv["events"] for lv in levels]],
                         facts={(i, 2): f"tc.{variable}.{c}" for i, c in enumerate(codes)}
                         | {(len(codes), 0): "counts.closed",
                            (len(codes), 2): "counts.active"})
        grids.append(grid)
        p = _get(result, "logrank", "p")
        for i, lv in enumerate(levels):
            hidden = grid.hidden(i, 2)
            median = HIDDEN if hidden else ctx.ci(lv.get("median_days"),
                                                   lv.get("median_ci"), 0)
            rows.append([ctx.variable(variable) if i == 0 else "",
                         ctx.level(variable, lv["level"]), grid.count(i, 2),
                         grid.count(i, 0), median, ctx.pval(p) if i == 0 else ""])
        if p is not None:
            (significant if p < ALPHA else not_significant).append(ctx.variable(variable))
    blocks: list[Block] = [paragraph(
        markup(ctx.t(
            '%(table)s geeft de mediane duur per categorie van elk profielkenmerk en de '
            'log-ranktoets op een verschil tussen de categorieën; de figuren daarna tonen de '
            'curven.'), table=link("km-profiel") if rows else fmt.MISSING),
        significant and markup(ctx.t('De duur verschilt significant (p &lt; 0,05) naar: '
                                     '%(list)s.'), list=", ".join(significant)),
        not_significant and markup(ctx.t('Geen significant verschil naar: %(list)s.'),
                                   list=", ".join(not_significant)),
        markup(ctx.t(
            'Elke vergelijking bekijkt één kenmerk tegelijk. Kenmerken hangen onderling samen '
            '(bijvoorbeeld inkomensbron en leeftijd); het Cox-model in hoofdstuk %(ch)s bekijkt '
            'ze samen.'), ch=ref("hoofdstuk:resultaten")))]
    if rows:
        blocks.append(ctx.table(
            "km-profiel", ctx.t("Mediane duur tot afsluiting per profiel (Kaplan–Meier) en "
                                 "log-ranktoets"),
            [ctx.t("Kenmerk"), ctx.t("Categorie"), ctx.t("n"), ctx.t("Afgesloten"),
             ctx.t("Mediaan in dagen (%(level)s-BI)") % {
                 "level": ctx.pct(tc.get("conf_level") or 0.95, 0)},
             ctx.t("p (log-rank)")], rows,
            numeric=[False, False, True, True, True, True], grids=grids,
            n=ctx.n_line(tc.get("n"), N_("n = %(n)s trajecten"), fact="counts.active"),
            notes=[ctx.t("Een mediaan is niet gepubliceerd als het aantal trajecten van de "
                          "categorie niet gepubliceerd is. Een streepje: mediaan of grens "
                          "niet bereikt.")]))
    curves = (ctx.p or {}).get("km_by_group") or {}
    for variable, groups in curves.items():
        drawn = [ctx.enough(f"tc.{variable}.{g['level']}", g["n"]) for g in groups]
        shown = {ctx.level(variable, g["level"]): ctx.observed(g, ["survival", "lower",
                                                                      "upper"])
                 for g, ok in zip(groups, drawn, strict=True) if ok}
        left_out = [g for g, ok in zip(groups, drawn, strict=True) if not ok and g["n"]]
        if not shown:
            continue
        if len(shown) > 3:  # bands of many groups hide each other
            shown = {k: {"days": v["days"], "survival": v["survival"]}
                     for k, v in shown.items()}
        name = ctx.variable(variable)
        if name[1:2].islower():  # 'Leeftijd' -> 'leeftijd' inside a sentence, not 'CAW-regio'
            name = name[0].lower() + name[1:]
        chart = charts.km_chart(shown, conf_level=tc.get("conf_level") or 0.95,
                                locale=ctx.lang, translate=ctx.t,
                                alt=ctx.t("Kaplan–Meier-curven naar %(variable)s") % {
                                    "variable": name}, chart_id=f"fig-km-{variable}")
        notes = []
        if left_out:
            notes.append(ctx.t("Categorieën met minder dan %(t)s trajecten of met een "
                                "niet gepubliceerd aantal zijn niet getekend.") % {
                "t": ctx.threshold})
        if len(groups) > 3:
            notes.append(ctx.t("Zonder betrouwbaarheidsbanden om de figuur leesbaar te "
                                "houden; de intervallen van de medianen staan in %(ref)s.")
                         % {"ref": "{ref:km-profiel}"})
        blocks.append(ctx.figure(
            f"km-{variable}", ctx.t("Aandeel nog in begeleiding naar %(variable)s "
                                     "(Kaplan–Meier)") % {"variable": name},
            chart, n=ctx.n_line(tc.get("n"), N_("n = %(n)s trajecten"),
                                 fact="counts.active"), notes=notes))
    return blocks


def closed_grid_rows(ctx: Context, variable: str, yes_code: str = "ja"
                     ) -> tuple[list[str], Counts | None]:
    """Per region: yes, no and unknown of a closed-trajectory variable. The unknown
    count is not shown, but it is part of the table: the n per region (yes + no) with
    the published closures per region would otherwise give it back. ``('known', i)``
    is yes + no of row i (the total row at len), ``('share', i)`` yes / known."""
    if ctx.p is None:
        return [], None
    tab = ctx.p["closed"]["variables"][variable]
    levels = tab["levels"]
    codes = [c for c in ctx.region_codes if c in tab["regions"]]
    yes_i = levels.index(yes_code)
    no_i = [i for i, lv in enumerate(levels) if lv not in (yes_code, "onbekend")]
    unknown_i = [i for i, lv in enumerate(levels) if lv == "onbekend"]
    yes = [tab["regions"][c][yes_i] for c in codes]
    no = [sum(tab["regions"][c][i] for i in no_i) for c in codes]
    unknown = [sum(tab["regions"][c][i] for i in unknown_i) for c in codes]

    def known(spec: disclosure.Spec) -> None:
        for i in [*range(len(codes)), TOTAL]:
            spec.total(("known", i), [(i, 0), (i, 1)], spare=True)
            spec.share(("share", i), (i, 0), ("known", i))

    last = len(codes)
    return codes, ctx.grid(f"gesloten-{variable}", codes, [yes, no, unknown],
                            facts={(i, 3): f"closed.n.{c}" for i, c in enumerate(codes)}
                            | {(last, 3): "counts.closed"}, extra=known)


def course_visits(ctx: Context) -> list[Block]:
    overall = _get(ctx.r, "indicators", "overall", default={})
    per_caw = _get(ctx.r, "indicators", "per_caw", default=[])
    rows_in = [*per_caw, overall]
    n = [row.get("visits_n") or 0 for row in per_caw]
    any_visit = [round((row.get("share_home_visit") or 0) * (row.get("visits_n") or 0))
                 for row in per_caw]
    grid = ctx.grid("huisbezoeken", [row["caw"] for row in per_caw],
                     [any_visit, [a - b for a, b in zip(n, any_visit, strict=True)]],
                     percent="row", facts={(len(per_caw), 2): "visits.n"})
    rows = []
    for i, row in enumerate(rows_in):
        hidden = grid.hidden(i, 2)
        share = grid.share(i, 0)
        if not grid.hidden(i, 0) and not grid.hidden(i, 1):
            share = ctx.pct_ci(row.get("share_home_visit"), row.get("share_home_visit_ci"))
        rows.append([ctx.region(row["caw"]) if i < len(per_caw) else ctx.t("Totaal"),
                     grid.count(i, 2),
                     HIDDEN if hidden else ctx.dec(row.get("home_visits_per_trajectory")),
                     share,
                     HIDDEN if hidden else ctx.dec(row.get("contacts_per_trajectory"))])
    blocks: list[Block] = [paragraph(markup(ctx.t(
        'Huisbezoeken horen volgens de samenwerkingsovereenkomst bij elke begeleiding. Van de '
        'in %(year)s afgesloten trajecten kreeg %(share)s minstens één huisbezoek; gemiddeld '
        'waren er %(visits)s huisbezoeken en %(contacts)s contacten per traject (%(table)s).'),
        year=ctx.year, share=rows[-1][3], visits=rows[-1][2], contacts=rows[-1][4],
        table=link("huisbezoeken")))]
    blocks.append(ctx.table(
        "huisbezoeken", ctx.t("Huisbezoeken en contacten per CAW-regio, afgesloten "
                               "trajecten"),
        [ctx.t("CAW-regio"), ctx.t("n"), ctx.t("Huisbezoeken per traject (gem.)"),
         ctx.t("Met minstens één huisbezoek (95%-BI)"),
         ctx.t("Contacten per traject (gem.)")], rows, grids=[grid], total_rows=1,
        n=ctx.n_line(grid.cell(len(per_caw), 2).raw,
                      N_("n = %(n)s in %(year)s afgesloten trajecten met huisbezoeken "
                         "ingevuld"), year=ctx.year, fact="visits.n"),
        notes=[ctx.t("Gemiddelden en aandelen over de trajecten met het gegeven ingevuld; "
                      "intervallen volgens Wilson.")]))
    if ctx.p is not None:
        tab = ctx.p["closed"]["variables"]["huisbezoeken_klasse"]
        blocks.append(ctx.distribution_figure(
            "huisbezoeken-verdeling", "huisbezoeken_klasse", tab,
            title=ctx.t("Aantal huisbezoeken per afgesloten traject"),
            n=ctx.n_line(ctx.p["closed"]["n"], N_("n = %(n)s afgesloten trajecten"),
                          fact="counts.closed"), pop="closed"))
    return blocks


def course_referral(ctx: Context) -> list[Block]:
    if ctx.p is None:
        return [ctx.para(ctx.t("De profielgegevens werden niet doorgegeven aan het "
                                 "rapport."))]
    codes, referred = closed_grid_rows(ctx, "doorverwezen")
    _, aftercare = closed_grid_rows(ctx, "nazorg")
    assert referred is not None and aftercare is not None
    rows = []
    for i in [*range(len(codes)), TOTAL]:
        label = ctx.region(codes[i]) if i != TOTAL else ctx.t("Totaal")
        rows.append([label] + [text for grid in (referred, aftercare) for text in (
            grid.published[("known", i)].text(ctx.num),
            grid.published[("share", i)].text(ctx.pct))])
    return [
        paragraph(markup(ctx.t(
            'De woonbegeleider is casemanager en verwijst waar nodig door naar gespecialiseerde '
            'hulp. Van de afgesloten trajecten werd %(referred)s doorverwezen; bij %(aftercare)s '
            'werd nazorg afgesproken (%(table)s).'), referred=rows[-1][2],
            aftercare=rows[-1][4], table=link("doorverwijzing"))),
        ctx.table(
            "doorverwijzing", ctx.t("Doorverwijzing en nazorg per CAW-regio, afgesloten "
                                     "trajecten"),
            [ctx.t("CAW-regio"), ctx.t("n (doorverwijzing)"), ctx.t("Doorverwezen"),
             ctx.t("n (nazorg)"), ctx.t("Nazorg afgesproken")], rows,
            grids=[referred, aftercare], total_rows=1, shares=True,
            n=ctx.n_line(ctx.p["closed"]["n"], N_("n = %(n)s afgesloten trajecten"),
                          fact="counts.closed"),
            notes=[ctx.t("Trajecten zonder ingevuld gegeven tellen niet mee.")]),
    ]


def build(ctx: Context) -> Chapter:
    return Chapter("verloop", ctx.t("Verloop van de begeleiding"), chapter_course(ctx))
