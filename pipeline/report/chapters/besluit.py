"""Chapter 8, Besluit: the key findings and caveats, and the first page's key figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.report import formatting as fmt
from pipeline.report.blocks import term_sentences
from pipeline.report.chapters import resultaten, vraag
from pipeline.report.context import (
    ALPHA,
    HIDDEN,
    Context,
    _get,
)
from pipeline.report.disclosure import TOTAL
from pipeline.report.labels import (
    MODEL_NAMES,
    N_,
)
from pipeline.report.model import Section, Text


def key_figures(ctx: Context) -> list[tuple[str, str]]:
    """The first page's figures: every one read from a published cell (the same cell
    as in its table), so a key figure is hidden whenever its table hides it."""
    counts = ctx.r.get("counts", {})
    overall = _get(ctx.r, "indicators", "overall", default={})
    tc = ctx.r.get("time_to_closure", {})
    need = _get(ctx.r, "need_supply", "overall", default={})
    avoided = ctx.ck.table("vermeden")
    rate = avoided["rate"].text(ctx.pct) if avoided else fmt.MISSING
    median = (ctx.t("%(d)s dagen") % {"d": ctx.num(tc.get("median_days"))}
              if ctx.enough("counts.active", tc.get("n")) else HIDDEN)
    active = ctx.active_grid().cell(len(ctx.per_caw()), 0)
    clients = active.text(lambda _: ctx.dec(overall.get("clients_per_fte")))
    return [
        (ctx.t("Actieve trajecten"), ctx.count("counts.active", counts.get("active"))),
        (ctx.t("Afgesloten trajecten"), ctx.count("counts.closed", counts.get("closed"))),
        (ctx.t("Uithuiszetting vermeden"), rate),
        (ctx.t("Mediane duur tot afsluiting"), median),
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
    """The key findings, each {text, sub}: written from the numbers, direction-aware,
    'significant' only where p < ALPHA, with the interval and the table it rests on."""
    r = ctx.r
    counts = r.get("counts", {})
    overall = _get(r, "indicators", "overall", default={})
    norms = _get(r, "indicators", "norms", default={})
    tc = r.get("time_to_closure", {})
    out: list[dict[str, Any]] = []

    def add(text: str, key: str, sub: Sequence[str] = ()) -> None:
        if key in refs:
            text = (text[:-1] if text.endswith((".", ":")) else text) + \
                f" ({refs[key]})" + (text[-1] if text.endswith((".", ":")) else "")
        out.append({"text": text, "sub": list(sub)})

    add(ctx.t("In %(year)s waren %(active)s trajecten actief; %(closed)s werden in het jaar "
               "afgesloten en %(open)s liepen nog op de peildatum.") % {
        "year": ctx.year, "active": ctx.count("counts.active", counts.get("active")),
        "closed": ctx.count("counts.closed", counts.get("closed")),
        "open": ctx.count("counts.open_at_cutoff", counts.get("open_at_cutoff"))},
        "status")
    avoided = ctx.ck.table("vermeden")
    if avoided and avoided["rate"].published:
        rate, n = resultaten.avoided_rate(ctx) or ("", "")
        add(ctx.t("Volgens wat de woonbegeleider bij de afsluiting registreerde, werd de "
                   "uithuiszetting vermeden bij %(rate)s van de afgesloten trajecten met "
                   "gekende afloop (n = %(n)s; tussen haakjes het "
                   "95%%-betrouwbaarheidsinterval).") % {"rate": rate, "n": n}, "vermeden")
    reached = overall.get("goals_bereikt_share")
    goals = ctx.ck.table("doelen")
    if reached is not None and goals is not None and goals[("%", 0, 0)].published \
            and goals[("%", 1, 0)].published:
        add(ctx.t("De handelingsdoelen werden bij %(reached)s van de afsluitingen volledig "
                   "en bij %(partly)s gedeeltelijk bereikt.") % {
            "reached": ctx.pct_ci(reached, overall.get("goals_bereikt_ci")),
            "partly": ctx.pct(overall.get("goals_gedeeltelijk_share"))}, "doelen")
    median = tc.get("median_days")
    if median is not None and ctx.enough("counts.active", tc.get("n")):
        lo, hi = (tc.get("median_ci") or [None, None])[:2]
        norm = norms.get("duration_days")
        if norm is not None and hi is not None and hi < norm:
            message = N_("De mediane duur tot afsluiting was %(median)s dagen (%(ci)s), korter "
                         "dan de gemiddelde %(months_norm)s maanden die de evaluatie van 2011 "
                         "mat (geciteerd in de omzendbrief, punt 3).")
        elif norm is not None and lo is not None and lo > norm:
            message = N_("De mediane duur tot afsluiting was %(median)s dagen (%(ci)s), langer "
                         "dan de gemiddelde %(months_norm)s maanden die de evaluatie van 2011 "
                         "mat (geciteerd in de omzendbrief, punt 3).")
        else:
            message = N_("De mediane duur tot afsluiting was %(median)s dagen (%(ci)s); dat "
                         "verschilt niet duidelijk van de gemiddelde %(months_norm)s maanden "
                         "die de evaluatie van 2011 mat (geciteerd in de omzendbrief, punt 3).")
        add(ctx.t(message) % {
            **ctx.norm_words, "median": ctx.num(median),
            "ci": ctx.ci(median, [lo, hi], 0).partition(" ")[2].strip("()") or fmt.MISSING},
            "km")
    cox_terms = _get(r, "cox", "terms", default=[])
    if not ctx.enough("counts.active", _get(r, "cox", "n")) or not ctx.estimated(cox_terms):
        cox_terms = []
    significant, _ = term_sentences(ctx, cox_terms, "hr")
    if significant:
        add(ctx.t("Kenmerken die in het Cox-model significant (p < 0,05) samenhangen met de "
                   "snelheid van afsluiting, met de andere kenmerken gelijk gehouden:"),
            "cox", significant)
    elif cox_terms:
        add(ctx.t("Geen enkel kenmerk hangt in het Cox-model significant (p < 0,05) samen "
                   "met de snelheid van afsluiting; dat bewijst niet dat er geen verschil "
                   "is."), "cox")
    ph_p = _get(r, "cox", "ph_test", "global", "p")
    if cox_terms and ph_p is not None and ph_p < ALPHA:
        add(ctx.t("De toets op proportionele hazards is significant (%(p)s): de "
                   "hazardratio's zijn gemiddelden over de opvolging en moeten voorzichtig "
                   "gelezen worden.") % {"p": ctx.p_eq(ph_p)}, "ph")
    ev_terms = _get(r, "eviction_avoided", "terms", default=[])
    if not ctx.enough("eviction.known", _get(r, "eviction_avoided", "n")) \
            or not ctx.estimated(ev_terms):
        ev_terms = []
    significant, _ = term_sentences(ctx, ev_terms, "or")
    if significant:
        add(ctx.t("Kenmerken die in het logistische model significant (p < 0,05) samenhangen "
                   "met een vermeden uithuiszetting, met de andere kenmerken gelijk "
                   "gehouden:"), "logistisch", significant)
    elif ev_terms:
        add(ctx.t("Geen enkel kenmerk hangt in het logistische model significant (p < 0,05) "
                   "samen met een vermeden uithuiszetting; een verschil is daarmee niet "
                   "uitgesloten."), "logistisch")
    meeting, with_fte = overall.get("regions_meeting_norm"), overall.get("regions_with_fte")
    if with_fte:
        failing = [ctx.region(x["caw"]) for x in ctx.per_caw()
                   if x.get("meets_norm") is False]
        text = ctx.t("%(k)s van de %(n)s regio's met personeel haalden de norm van "
                      "%(clients_norm)s cliënten per VTE; over alle regio's samen waren er "
                      "%(overall)s cliënten per VTE.") % {**ctx.norm_words,
            "k": ctx.num(meeting), "n": ctx.num(with_fte),
            "overall": ctx.active_grid().cell(len(ctx.per_caw()), 0).text(
                lambda _: ctx.dec(overall.get("clients_per_fte")))}
        if failing:
            text += " " + ctx.t("Onder de norm: %(list)s.") % {"list": ", ".join(failing)}
        add(text, "norm")
    caseload = overall.get("mean_caseload_per_fte")
    if caseload is not None and norms.get("caseload_per_fte"):
        word = (N_("minder dan") if caseload < norms["caseload_per_fte"]
                else N_("meer dan") if caseload > norms["caseload_per_fte"]
                else N_("evenveel als"))
        add(ctx.t("Een VTE had gemiddeld %(c)s trajecten tegelijk open, %(word)s de %(norm)s "
                   "lopende begeleidingen per hulpverlener die de evaluatie van 2011 mat "
                   "(geciteerd in de omzendbrief, punt 3; die studie telde per hulpverlener, "
                   "dit rapport per VTE).") % {
            "c": ctx.dec(caseload), "word": ctx.t(word),
            "norm": ctx.dec(norms["caseload_per_fte"], 0)}, "caseload")
    rr = _get(r, "indicators", "re_referral", default={})
    rr_all = rr.get("overall") or {}
    herval = ctx.ck.table("herval")
    if rr.get("available") and rr_all.get("rate") is not None and herval is not None \
            and herval[(TOTAL, 0)].published and herval[(TOTAL, 1)].published:
        add(ctx.t("Van de trajecten die in %(cohort)s werden afgesloten, kreeg %(rate)s "
                   "binnen 12 maanden een nieuwe begeleiding.") % {
            "cohort": rr.get("cohort_year"),
            "rate": ctx.pct_ci(rr_all["rate"], rr_all.get("rate_ci"))}, "herval")
    ag = _get(r, "indicators", "agreements", "overall", default={})
    per_ag = _get(r, "indicators", "agreements", "per_caw", default=[])
    if ag and per_ag:
        add(ctx.t("%(k)s van de %(n)s regio's had op de peildatum gebiedsdekkende "
                   "samenwerkingsovereenkomsten; %(share)s van de sociale woningen valt onder "
                   "een overeenkomst.") % {
            "k": ctx.num(ag.get("regions_gebiedsdekkend")), "n": ctx.num(len(per_ag)),
            "share": ctx.pct(ag.get("landlords_dwellings_share"))}, "overeenkomsten")
    ns = _get(r, "need_supply", "overall", default={})
    if ns.get("coverage") is not None:
        add(ctx.t("Volgens de eigen raming van dit rapport, op de risicopercentages van de "
                   "omzendbrief (punt 3), dekt het aanwezige personeel %(coverage)s van de "
                   "nood: %(gap)s.") % {
            "coverage": ctx.pct(ns["coverage"], 0),
            "gap": vraag.gap_words(ctx)}, "nood")
    return out


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
    problems = sum(len(ctx.r.get(k, {}).get("problems") or []) for k in MODEL_NAMES)
    if problems == 1:
        out.append(ctx.t("De modelroutines gaven één technische melding; zie bijlage B."))
    elif problems:
        out.append(ctx.t("De modelroutines gaven %(n)s technische meldingen; zie bijlage "
                          "B.") % {"n": ctx.num(problems)})
    return out
