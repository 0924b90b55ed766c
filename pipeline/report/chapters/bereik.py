"""Chapter 7 (Evolutie), its second half: intake and waiting time (the ``intake`` block
of results.json) and what the extra FTE of December 2012 and January 2013 did to the
reach (``reinforcement``), issue 14 items 2 and 3.

Why the waiting times hide with the starts: a median and quartiles of fewer than t
waiting times describe those households, and starts per FTE-month times the FTE (which
is published) gives the starts back; so both are shown only where the chapter's start
count of that region and year is published and at least t (the checkpoint's decision in
``evolutie.publish``). The reinforcement model's numbers are estimates over all regions
and months: no count of households is shown.

The text states what the design can and cannot show: the elasticity is our own estimate
of how a region's starts moved with its own staffing, not a causal effect beyond it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pipeline.report import charts
from pipeline.report.context import ALPHA, HIDDEN, Context, _get
from pipeline.report.disclosure import TOTAL
from pipeline.report.labels import N_
from pipeline.report.model import Block, Section

FLANDERS = "Vlaanderen"
MODELS = {"starts": N_("Nieuwe starts per maand"),
          "waiting_time": N_("Gemiddelde wachttijd van de starts van een maand"),
          "evicted_12m": N_("Aandeel starts binnen 12 maanden uit huis gezet")}


def herval_hidden(ctx: Context, caw: str) -> bool | None:
    """Whether chapter 6's re-referral table hides the rate of ``caw`` (FLANDERS: its
    total row); None when that table was not published or has no row for it."""
    published = ctx.ck.table("herval")
    if published is None:
        return None
    rr = _get(ctx.r, "indicators", "re_referral", default={})
    order = {c: i for i, c in enumerate(ctx.region_codes)}
    codes = [x["caw"] for x in sorted(rr.get("per_caw") or [],
                                      key=lambda x: order.get(x["caw"], len(order)))]
    if caw != FLANDERS and caw not in codes:
        return None
    row = TOTAL if caw == FLANDERS else codes.index(caw)
    return published[(row, 0)].hidden or published[(row, 1)].hidden


# --------------------------------------------------------------------------- intake


def _starts_shown(ctx: Context, pub: Any, caw: str, year: int, starts: Any) -> bool:
    """The published start count of the region and year, at least t, and the same count
    the intake block rests on."""
    if caw not in [*pub.codes, FLANDERS] or year not in pub.years:
        return False
    cell = pub.count("S", caw, year)
    return cell.published and cell.raw >= ctx.threshold and cell.raw == int(starts or 0)


def intake_blocks(ctx: Context, pub: Any) -> list[Block]:
    it = ctx.r.get("intake")
    if not it or not it.get("per_caw"):
        return []
    wd = it.get("waiting_days") or {}
    year = int(it.get("year") or ctx.year)
    sentences = []
    starts = pub.count("S", FLANDERS, year) if year in pub.years else None
    if (starts is not None and starts.published and wd.get("median") is not None
            and int(wd.get("n") or 0) >= ctx.threshold):
        sentences.append(ctx.t(
            "In %(year)s lagen er tussen aanmelding en start mediaan %(median)s dagen; de "
            "middelste helft van de starts wachtte tussen %(q1)s en %(q3)s dagen.") % {
            "year": year, "median": ctx.num(wd["median"]), "q1": ctx.num(wd.get("q1")),
            "q3": ctx.num(wd.get("q3"))})
    missing = int(wd.get("missing_referral_date") or 0)
    if missing:
        sentences.append(ctx.t("%(n)s starts zonder datum van aanmelding tellen niet mee.")
                         % {"n": ctx.count("intake.missing_referral_date", missing)})
    sentences.append(ctx.t(
        "De starts per maand per VTE delen de starts van een jaar door de som van de VTE die "
        "op de eerste dag van elke maand in voege waren: zo telt een versterking pas vanaf "
        "haar maand mee."))
    order = {c: i for i, c in enumerate(ctx.region_codes)}
    rows = []
    for x in sorted(it["per_caw"], key=lambda x: (order.get(x["caw"], 99), x["caw"],
                                                  x["year"])):
        shown = (_starts_shown(ctx, pub, x["caw"], x["year"], x.get("starts"))
                 and int(x.get("n") or 0) >= ctx.threshold)
        quartiles = ctx.bounds([x.get("q1"), x.get("q3")], 0)
        rows.append([ctx.region(x["caw"]), str(x["year"]),
                     ctx.num(x.get("median")) if shown else HIDDEN,
                     quartiles if shown else HIDDEN,
                     ctx.dec(x.get("starts_per_fte_month"), 2)
                     if _starts_shown(ctx, pub, x["caw"], x["year"], x.get("starts"))
                     else HIDDEN])
    return [ctx.para(" ".join(sentences)), ctx.table(
        "wachttijd-regio", ctx.t("Wachttijd van aanmelding tot start en starts per maand per "
                                 "VTE, per CAW-regio en per jaar van start"),
        [ctx.t("CAW-regio"), ctx.t("Jaar"), ctx.t("Mediane wachttijd (dagen)"),
         ctx.t("Eerste–derde kwartiel (dagen)"), ctx.t("Starts per maand per VTE")], rows,
        numeric=[False, False, True, False, True],
        n=ctx.n_line(len({x["caw"] for x in it["per_caw"]}), N_("n = %(n)s regio's")),
        notes=[ctx.t("Wachttijd: dagen van de datum van aanmelding tot de datum van start. "
                     "'x': niet gepubliceerd, want het aantal starts van die regio en dat "
                     "jaar is verborgen of kleiner dan %(t)s.") % {"t": ctx.threshold}])]


# --------------------------------------------------------------------------- reinforcement


def _bounds(ctx: Context, ci: Any, digits: int = 2) -> str:
    lo, hi = (list(ci or []) + [None, None])[:2]
    unbounded = ctx.t("onbegrensd")
    return (f"{ctx.dec(lo, digits) if lo is not None else unbounded} "
            f"{ctx.t('tot')} {ctx.dec(hi, digits) if hi is not None else unbounded}")


def _draws(inference: str) -> str:
    found = re.search(r"B\s*=\s*(\d+)", inference or "")
    return found.group(1) if found else ""


def _too_early(block: Mapping[str, Any]) -> bool:
    return bool(block.get("too_early"))


def reinforcement_blocks(ctx: Context) -> list[Block]:
    rf = ctx.r.get("reinforcement")
    if not rf:
        return []
    e, p = rf.get("elasticity"), rf.get("p")
    sentences = []
    if e is None:
        sentences.append(ctx.t("Onze eigen schatting van het verband tussen personeel en "
                               "starts kon met deze gegevens niet gemaakt worden."))
    else:
        change = 1.1 ** e - 1
        sentences.append((ctx.t(
            "Onze eigen schatting: had een regio in een maand 10 %% meer VTE in voege, dan "
            "startte ze in die maand ongeveer %(change)s meer begeleidingen (elasticiteit "
            "%(e)s, 95%%-betrouwbaarheidsinterval %(ci)s).") if change >= 0 else ctx.t(
            "Onze eigen schatting: had een regio in een maand 10 %% meer VTE in voege, dan "
            "startte ze in die maand ongeveer %(change)s minder begeleidingen (elasticiteit "
            "%(e)s, 95%%-betrouwbaarheidsinterval %(ci)s).")) % {
            "change": ctx.pct(abs(change)), "e": ctx.dec(e, 2), "ci": _bounds(ctx, rf.get("ci"))})
        sentences.append((ctx.t("Dat verband is statistisch significant (%(p)s).")
                          if p is not None and p < ALPHA else
                          ctx.t("Dat verband is niet statistisch significant (%(p)s): de "
                                "gegevens sluiten geen verband uit.")) % {"p": ctx.p_eq(p)})
    draws = _draws(rf.get("inference") or "")
    sentences.append(ctx.t(
        "Met %(n)s regio's zijn gewone standaardfouten onbetrouwbaar; het interval en de "
        "p-waarde komen daarom uit een wilde cluster-bootstrap over de regio's "
        "(Webb-gewichten, %(b)s trekkingen, interval door inversie van de toets).") % {
        "n": ctx.num(rf.get("n_regions")), "b": ctx.num(int(draws)) if draws else "–"})
    blocks: list[Block] = [ctx.para(" ".join(sentences))]
    rows = []
    for key, label in MODELS.items():
        block = rf if key == "starts" else rf.get(key)
        if not block:
            continue
        if key == "evicted_12m" and _too_early(block):
            estimate, pv = ctx.t("te vroeg om te oordelen"), "–"
        elif block.get("elasticity") is None:
            estimate, pv = "–", "–"
        else:
            estimate = (f"{ctx.dec(block.get('elasticity'), 2)} "
                        f"({_bounds(ctx, block.get('ci'))})")
            pv = ctx.pval(block.get("p"))
        rows.append([ctx.t(label), estimate, pv, ctx.num(block.get("n_regions")),
                     ctx.num(block.get("n_months"))])
    blocks.append(ctx.table(
        "versterking-effect", ctx.t("Elasticiteit van de uitkomst tegenover de VTE in voege "
                                    "(eigen schatting)"),
        [ctx.t("Uitkomst"), ctx.t("Elasticiteit (95%-BI)"), ctx.t("p"), ctx.t("Regio's"),
         ctx.t("Maanden")], rows, numeric=[False, False, True, True, True],
        n=ctx.n_line(rf.get("n_regions"), N_("n = %(n)s regio's")),
        notes=[ctx.t("Elasticiteit: procent verandering van de uitkomst per procent meer VTE, "
                     "uit een telmodel (PPML) per regio en kalendermaand met vaste effecten "
                     "per regio en per maand%(trend)s. Vergelijking: Brussel, dat geen extra "
                     "VTE kreeg, en de maanden vóór elke versterking.") % {
            "trend": ctx.t(" en een lineaire trend per regio") if rf.get("region_trends")
            else ""},
            ctx.t("Te vroeg om te oordelen: de maanden na de versterking zijn nog geen 12 "
                  "maanden gevolgd.") if _too_early(rf.get("evicted_12m") or {}) else ""]))
    blocks += _event_studies(ctx, rf)
    blocks.append(ctx.para(ctx.t(
        "Wat dit design kan en niet kan tonen. Het kan tonen of de starts van een regio "
        "meebewegen met haar eigen personeel: regio's kregen op twee data verschillende "
        "hoeveelheden extra VTE, en Brussel en de maanden ervoor dienen als vergelijking. "
        "Het kan niet tonen dat de extra VTE die starts veroorzaakten: een verandering die "
        "in dezelfde maanden in dezelfde regio's gebeurde, zoals een nieuwe aanmelder of een "
        "campagne, is er niet van te onderscheiden, en met %(n)s regio's blijft de "
        "onzekerheid groot. Dit rapport doet daarom geen uitspraak over oorzaak en gevolg "
        "buiten dit design.") % {"n": ctx.num(rf.get("n_regions"))}))
    evicted = rf.get("evicted_12m") or {}
    if _too_early(evicted):
        blocks.append(ctx.para(ctx.t(
            "Of de extra VTE het aandeel uithuiszettingen binnen 12 maanden na de start "
            "veranderden, is te vroeg om te oordelen: de maanden na de versterking zijn nog "
            "geen 12 maanden gevolgd (%(m)s maand(en) met volledige opvolging).") % {
            "m": ctx.num(evicted.get("followed_up_months_after"))}))
    return blocks


# (results.json key, figure key, line label, y label, title, text alternative)
EVENT_STUDIES = (
    ("starts", "versterking-event", N_("Starts tegenover maand −1"),
     N_("Verandering van de starts"),
     N_("Starts per maand rond de versterking van elke regio, tegenover de maand ervoor "
        "(event study, eigen schatting)"),
     N_("Event study: verandering van de starts per maand rond de versterking")),
    ("waiting_time", "versterking-event-wachttijd", N_("Wachttijd tegenover maand −1"),
     N_("Verandering van de gemiddelde wachttijd"),
     N_("Gemiddelde wachttijd van de starts per maand rond de versterking van elke regio, "
        "tegenover de maand ervoor (event study, eigen schatting)"),
     N_("Event study: verandering van de gemiddelde wachttijd per maand rond de "
        "versterking")),
    ("evicted_12m", "versterking-event-uitgezet",
     N_("Uitgezet binnen 12 maanden tegenover maand −1"),
     N_("Verandering van het aandeel uitgezet binnen 12 maanden"),
     N_("Aandeel van de starts uitgezet binnen 12 maanden, per maand rond de versterking "
        "van elke regio, tegenover de maand ervoor (event study, eigen schatting)"),
     N_("Event study: verandering van het aandeel uitgezet binnen 12 maanden per maand rond "
        "de versterking")),
)


def _event_studies(ctx: Context, rf: Mapping[str, Any]) -> list[Block]:
    """The event-study chart of each outcome of the design (issue 14: starts, and the same
    for waiting time and for the share evicted within 12 months, the latter not drawn
    while it is too early to judge)."""
    blocks: list[Block] = []
    for key, figure, label, y_label, title, alt in EVENT_STUDIES:
        block = rf if key == "starts" else rf.get(key) or {}
        if key == "evicted_12m" and _too_early(block):
            continue
        blocks += _event_study(ctx, block, figure, ctx.t(label), ctx.t(y_label), ctx.t(title),
                               ctx.t(alt))
    return blocks


def _event_study(ctx: Context, rf: Mapping[str, Any], figure: str, label: str, y_label: str,
                 title: str, alt: str) -> list[Block]:
    points = [x for x in rf.get("event_study") or [] if x.get("month") is not None]
    if not any(x.get("coef") is not None for x in points):
        return []

    def ratio(value: Any) -> float | None:
        # a log-ratio beyond +-10 (a factor 22,000) is a month the model cannot estimate
        # (no starts in it): a gap in the chart, not an axis up to exp(700)
        return None if value is None or abs(value) > 10 else math.exp(value) - 1

    chart = charts.line_chart(
        [x["month"] for x in points], {label: [ratio(x.get("coef")) for x in points]},
        band={label: ([ratio(x.get("lower")) for x in points],
                      [ratio(x.get("upper")) for x in points])},
        band_label=ctx.t("%(name)s (95%%-BI)"),
        x_label=ctx.t("Maanden sinds de versterking van de regio"),
        y_label=y_label, value_text=ctx.pct,
        x_text=lambda v: f"{int(v):+d}".replace("-", "−") if v else "0",
        reference=(0.0, ctx.t("Geen verschil met maand −1")), percent=True, locale=ctx.lang,
        alt=alt, chart_id=f"fig-{figure}")
    return [ctx.figure(
        figure, title, chart, n=ctx.n_line(rf.get("n_regions"), N_("n = %(n)s regio's")),
        notes=[ctx.t("Maand 0 is de maand van de eerste versterking van de regio; maand −1 "
                     "is de referentie, de uiterste maanden bundelen alles daarbuiten. De "
                     "band is puntsgewijs en modelgebaseerd, niet robuust voor de "
                     "samenhang binnen een regio: lees hem ruimer dan getekend.")])]


def sections(ctx: Context, pub: Any) -> list[Section]:
    out = []
    if blocks := intake_blocks(ctx, pub):
        out.append(Section("wachttijd", ctx.t("Aanmelding, wachttijd en instroom per VTE"),
                           blocks))
    if blocks := reinforcement_blocks(ctx):
        out.append(Section("versterking", ctx.t("Wat deden de extra VTE met het bereik?"),
                           blocks))
    return out
