"""Chapter 8, Besluit: the key findings and caveats, and the first page's key figures."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pipeline.report import formatting as fmt
from pipeline.report.blocks import per_ten_years, term_label
from pipeline.report.chapters import bijlagen, resultaten, vraag
from pipeline.report.context import (
    ALPHA,
    HIDDEN,
    Context,
    _get,
)
from pipeline.report.labels import (
    N_,
)
from pipeline.report.model import Section, Text


def key_figures(ctx: Context) -> list[tuple[str, str]]:
    """The first page's figures: every one read from a published cell (the same cell
    as in its table), so a key figure is hidden whenever its table hides it."""
    counts = ctx.r.get("counts", {})
    overall = _get(ctx.r, "indicators", "overall", default={})
    period = ctx.r.get("duration") or {}
    need = _get(ctx.r, "need_supply", "overall", default={})
    avoided = ctx.ck.table("vermeden")
    rate = avoided["rate"].text(ctx.pct) if avoided else fmt.MISSING
    median = (ctx.t("%(d)s dagen") % {"d": ctx.num(period.get("median_days"))}
              if ctx.enough("counts.active", period.get("n")) else HIDDEN)
    active = ctx.active_grid().cell(len(ctx.per_caw()), 0)
    clients = active.text(lambda _: ctx.dec(overall.get("clients_per_fte")))
    return [
        (ctx.t("Actieve trajecten"), ctx.count("counts.active", counts.get("active"))),
        (ctx.t("Afgesloten trajecten"), ctx.count("counts.closed", counts.get("closed"))),
        (ctx.t("Uithuiszetting vermeden"), rate),
        (ctx.t("Mediane duur tot afsluiting (periodeanalyse)"), median),
        (ctx.t("Cliënten per VTE (norm %(clients_norm)s)") % ctx.norm_words, clients),
        (ctx.t("Dekking van de nood aan VTE"), ctx.pct(need.get("coverage"), 0)),
    ]


def chapter_conclusions(ctx: Context, refs: Mapping[str, str]) -> list[Section]:
    return [
        Section("bevindingen", ctx.t("Kernbevindingen"),
                [Text("lijst", {"items": conclusions(ctx, refs)})]),
        Section("voorbehouden", ctx.t("Voorbehouden"),
                [Text("lijst", {"items": [{"text": x, "sub": []}
                                          for x in caveats(ctx)]})]),
    ]


def conclusions(ctx: Context, refs: Mapping[str, str]) -> list[dict[str, Any]]:
    """The Besluit: at most seven plain sentences, one per policy question (reach, outcome,
    for whom, eviction risk, regions, staffing, duration), each with its number and, where
    it is an estimate, its interval, and the table it rests on. Model coefficients are in
    Bijlage A; here only predicted percentages and hazard ratios worded per outcome."""
    r = ctx.r
    counts = r["counts"]
    overall = r["indicators"]["overall"]
    out: list[dict[str, Any]] = []

    def add(text: str, key: str) -> None:
        if key in refs:
            text = text[:-1] + f" ({refs[key]})" + text[-1]
        out.append({"text": text, "sub": []})

    # reach
    add(ctx.t("In %(year)s liepen %(active)s trajecten preventieve woonbegeleiding; "
              "%(closed)s daarvan werden in het jaar afgesloten.") % {
        "year": ctx.year, "active": ctx.count("counts.active", counts["active"]),
        "closed": ctx.count("counts.closed", counts["closed"])}, "status")
    # outcome
    avoided = ctx.ck.table("vermeden")
    if avoided and avoided["rate"].published:
        rate, n = resultaten.avoided_rate(ctx) or ("", "")
        add(ctx.t("Volgens wat de woonbegeleider bij de afsluiting registreerde, werd de "
                  "uithuiszetting vermeden bij %(rate)s van de afgesloten trajecten met "
                  "gekende afloop (n = %(n)s; tussen haakjes het "
                  "95%%-betrouwbaarheidsinterval).") % {"rate": rate, "n": n}, "vermeden")
    # for whom: predicted percentages, the other characteristics held equal
    predicted = [x for x in (r["eviction_avoided"].get("predicted") or [])
                 if x["factor"] != "caw" and x.get("share") is not None]
    if predicted and ctx.enough("eviction.known", r["eviction_avoided"]["n"]):
        low = min(predicted, key=lambda x: x["share"])
        high = max(predicted, key=lambda x: x["share"])

        def who(x: Mapping[str, Any]) -> str:
            return f"{ctx.variable(x['factor'])}: {ctx.level(x['factor'], x['level'])}"

        add(ctx.t("Met de andere kenmerken gelijk gehouden, voorspelt het logistische model "
                  "het laagste aandeel vermeden uithuiszettingen bij %(low)s (%(low_share)s) "
                  "en het hoogste bij %(high)s (%(high_share)s).") % {
            "low": who(low), "low_share": ctx.pct_ci(low["share"], [low["lower"],
                                                                   low["upper"]]),
            "high": who(high), "high_share": ctx.pct_ci(high["share"], [high["lower"],
                                                                       high["upper"]])},
            "voorspeld")
    # eviction risk: the strongest significant hazard ratio of the eviction model
    evicted = (r["cause_specific"].get("uithuisgezet") or {}) if r.get("cause_specific") \
        else {}
    terms = [x for x in per_ten_years(evicted.get("terms") or [], "hr")
             if x.get("p") is not None and x["p"] < ALPHA and x.get("hr")]
    if terms and ctx.enough("outcome.uithuisgezet", evicted.get("events")):
        top = max(terms, key=lambda x: abs(math.log(x["hr"])))
        message = (N_("Het sterkste verband met een uithuiszetting: trajecten met "
                      "%(label)s werden vaker uitgezet dan de referentiecategorie (hazardratio "
                      "%(ci)s).") if top["hr"] > 1 else
                   N_("Het sterkste verband met een uithuiszetting: trajecten met "
                      "%(label)s werden minder vaak uitgezet dan de referentiecategorie "
                      "(hazardratio %(ci)s)."))
        add(ctx.t(message) % {"label": term_label(ctx, top["term"], "hr"),
                              "ci": ctx.ci(top["hr"], top["hr_ci"])}, "oorzaak-uithuisgezet")
    # regions and the norm
    meeting, with_fte = overall.get("regions_meeting_norm"), overall.get("regions_with_fte")
    if with_fte:
        add(ctx.t("%(k)s van de %(n)s regio's met personeel haalden de norm van "
                  "%(clients_norm)s cliënten per VTE (omzendbrief, punt 2); over alle regio's "
                  "samen waren er %(overall)s cliënten per VTE.") % {
            **ctx.norm_words, "k": ctx.num(meeting), "n": ctx.num(with_fte),
            "overall": ctx.active_grid().cell(len(ctx.per_caw()), 0).text(
                lambda _: ctx.dec(overall["clients_per_fte"]))}, "norm")
    # staffing against need
    ns = r["need_supply"]["overall"]
    if ns.get("coverage") is not None:
        add(ctx.t("Volgens de eigen raming van dit rapport, op de risicopercentages van de "
                  "omzendbrief (punt 3), dekt het aanwezige personeel %(coverage)s van de "
                  "nood: %(gap)s.") % {"coverage": ctx.pct(ns["coverage"], 0),
                                       "gap": vraag.gap_words(ctx)}, "nood")
    # duration against the 2011 average: a mean (the RMST of the period analysis) against a
    # mean, never the median; the restricted mean leaves out days after tau, so only a
    # longer duration is a firm conclusion
    d = r.get("duration")
    if (d is not None and d.get("rmst_days") is not None
            and ctx.enough("counts.active", d["n"])):
        lo, hi = (d.get("rmst_ci") or [None, None])[:2]
        study = d.get("study_mean_days")
        if study is not None and lo is not None and lo > study:
            message = N_("Een begeleiding die in %(year)s liep, duurde over de eerste "
                         "%(tau)s dagen gemiddeld %(rmst)s dagen (%(ci)s; periodeanalyse), "
                         "langer dan de gemiddelde %(study)s dagen (9 maanden) die de "
                         "evaluatie van 2011 mat (geciteerd in de omzendbrief, punt 3).")
        elif study is not None and hi is not None and hi < study:
            message = N_("Een begeleiding die in %(year)s liep, duurde over de eerste "
                         "%(tau)s dagen gemiddeld %(rmst)s dagen (%(ci)s; periodeanalyse), "
                         "minder dan de gemiddelde %(study)s dagen (9 maanden) die de "
                         "evaluatie van 2011 mat (geciteerd in de omzendbrief, punt 3); "
                         "dagen na dag %(tau)s tellen niet mee, zodat de volle gemiddelde "
                         "duur iets hoger kan liggen.")
        else:
            message = N_("Een begeleiding die in %(year)s liep, duurde over de eerste "
                         "%(tau)s dagen gemiddeld %(rmst)s dagen (%(ci)s; periodeanalyse); "
                         "dat verschilt niet duidelijk van de gemiddelde %(study)s dagen "
                         "(9 maanden) die de evaluatie van 2011 mat (geciteerd in de "
                         "omzendbrief, punt 3).")
        add(ctx.t(message) % {
            "year": ctx.year, "tau": ctx.num(d["tau_days"]), "rmst": ctx.num(d["rmst_days"]),
            "study": ctx.num(study),
            "ci": ctx.ci(d["rmst_days"], [lo, hi], 0).partition(" ")[2].strip("()")
            or fmt.MISSING}, "duur-periode")
    return out[:7]


def caveats(ctx: Context) -> list[str]:
    data = ctx.r.get("data", {})
    ev = ctx.r.get("eviction_avoided", {})
    out = []
    if data.get("synthetic"):
        out.append(ctx.t("Dit rapport is gemaakt op synthetische registraties: de cijfers "
                          "tonen hoe het rapport werkt, niet hoe de woonbegeleiding "
                          "werkelijk verloopt."))
    if data.get("illustrative_reference"):
        out.append(ctx.t("De verhuurders- en personeelsgegevens zijn illustratief; de "
                          "cijfers over VTE, overeenkomsten en vraag en aanbod zijn dat "
                          "dus ook."))
    out.append(ctx.t("De registratie is observationeel: er is geen vergelijkingsgroep "
                      "zonder begeleiding. Verbanden tussen kenmerken en uitkomsten zijn "
                      "geen effecten van de begeleiding."))
    if ev.get("n_clusters") and ev["n_clusters"] < 30:
        out.append(ctx.t("De robuuste standaardfouten rusten op %(g)s regio's; met zo "
                          "weinig clusters kunnen ze te klein uitvallen en zijn de "
                          "intervallen van het logistische model eerder te smal.") % {
            "g": ctx.num(ev["n_clusters"])})
    out.append(ctx.t("Kleine aantallen (minder dan %(t)s) zijn niet gepubliceerd; "
                      "regionale cijfers op kleine aantallen zijn onzeker, zie de "
                      "intervallen.") % {"t": ctx.threshold})
    problems = sum(len(texts) for _, texts in bijlagen.model_problems(ctx))
    if problems == 1:
        out.append(ctx.t("De modelroutines gaven één technische melding; zie bijlage "
                         "%(b)s.") % {"b": "{ref:bijlage:kwaliteit}"})
    elif problems:
        out.append(ctx.t("De modelroutines gaven %(n)s technische meldingen; zie bijlage "
                         "%(b)s.") % {"n": ctx.num(problems), "b": "{ref:bijlage:kwaliteit}"})
    return out
