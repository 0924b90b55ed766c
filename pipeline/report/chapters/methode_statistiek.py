"""Chapter 2, section Statistische methoden: how each estimate is made, and the table of
the run's settings. Part of chapter 2 (``methode``), in its own module for its length; the
text is here whole (prose.py: messages are trusted markup, values escaped)."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.report import formatting as fmt
from pipeline.report.context import (
    Context,
    _decimals,
    _get,
)
from pipeline.report.labels import N_, NORM_LABELS
from pipeline.report.model import Block
from pipeline.report.prose import definitions, join, link, markup, paragraph


def methods_text(ctx: Context, *, strata: str, few_clusters: bool) -> list[Block]:
    """The methods, one definition each, and the confidence level of every interval."""
    ms = _get(ctx.r, "settings", "models", default={})
    ev = ctx.r.get("eviction_avoided", {})
    items = [
        (N_('Duur tot afsluiting'), markup(ctx.t(
            'De kans om na een bepaalde tijd nog in begeleiding te zijn, wordt geschat met de '
            "methode van Kaplan–Meier. Het betrouwbaarheidsinterval is van het type '%(type)s', "
            'de standaard van R (survfit): het wordt berekend op de logaritme van de '
            'overlevingskans. De mediane duur en haar interval volgen uit de curve. Verschillen '
            'tussen de categorieën van een profielkenmerk worden getoetst met de '
            'log-ranktoets.'), type=ms.get("km_conf_type", "log"))),
        (N_('Cox-model'), join([markup(ctx.t(
            'De samenhang van kenmerken met de snelheid van afsluiting wordt geschat met een '
            'Cox-model voor proportionele hazards. Gelijke afsluitduren (ties) worden behandeld '
            'volgens %(ties)s (de standaard van R coxph is Efron). De veronderstelling van '
            'proportionele hazards wordt getoetst met de scoretoets van R cox.zph, met '
            "tijdtransformatie '%(transform)s'."),
            ties=str(ms.get("ties", "efron")).capitalize(),
            transform=ms.get("ph_transform", "km")),
            strata and markup(ctx.t(
                'Het model is gestratificeerd naar %(strata)s: elke regio heeft haar eigen '
                "basishazard, zodat verschillen in afsluitpraktijk tussen de regio's niet "
                "proportioneel hoeven te zijn; voor de regio's zelf worden geen coëfficiënten "
                'geschat.'), strata=strata)])),
        (N_('Concurrerende uitkomsten'), markup(ctx.t(
            'De afloop (vermeden, uithuisgezet, andere afsluiting) wordt beschreven met de '
            'cumulatieve incidentie volgens Aalen–Johansen, die rekening houdt met trajecten '
            'die nog lopen en met het feit dat de ene uitkomst de andere uitsluit. pwb gebruikt '
            'een eigen, deterministische berekening, getest tegen gepubliceerde resultaten.'))),
        (N_('Logistisch model'), join([markup(ctx.t(
            'De kans op een vermeden uithuiszetting wordt geschat met logistische regressie en '
            "uitgedrukt in oddsratio's. De standaardfouten zijn robuust voor clustering per "
            'regio, volgens de conventie van Stata (sandwichschatter met de correctie G/(G−1) '
            'voor het aantal clusters G); in deze run: %(cov)s.'),
            cov=ev.get("cov_type") or fmt.MISSING),
            few_clusters and markup(ctx.t(
                'Met maar %(g)s clusters kunnen zulke standaardfouten te klein uitvallen; lees '
                'de intervallen voorzichtig.'), g=ctx.num(ev.get("n_clusters")))])),
        (N_('Aandelen'), markup(ctx.t(
            'De betrouwbaarheidsintervallen van aandelen (bereikte doelen, vermeden '
            'uithuiszettingen, huisbezoeken, herval) zijn Wilson-scoreintervallen: die blijven '
            'betrouwbaar bij kleine aantallen en bij aandelen dicht bij 0 of 1.'))),
        (N_('Doorstroom'), markup(ctx.t(
            'De wet van Little (L = λ × W) verbindt het gemiddeld aantal open trajecten (L) met '
            'het aantal afsluitingen per jaar (λ) en de gemiddelde duur (W). De gemiddelden van '
            'de evaluatie van 2011 die de omzendbrief citeert (punt 3) hangen zo samen: 20 '
            'lopende begeleidingen per hulpverlener ≈ 26,66 begeleidingen per jaar × 9/12 '
            'jaar.'))),
        (N_('Vraag en aanbod'), markup(ctx.t(
            'Een eigen raming van dit rapport, geen formule van de omzendbrief: het verwachte '
            'aantal uithuiszettingen volgt uit het aantal sociale woningen en de '
            'risicopercentages van de omzendbrief (punt 3); gedeeld door de 26,66 begeleidingen '
            'per jaar die de evaluatie van 2011 per hulpverlener mat, hier gelezen per VTE, '
            'geeft dat de benodigde VTE. De verdeling van extra middelen maximaliseert de '
            "laagste dekking over de regio's, in honderdsten van een VTE."))),
        (N_('Kleine aantallen'), markup(ctx.t(
            'Aantallen groter dan 0 en kleiner dan %(t)s worden niet gepubliceerd (primaire '
            'onderdrukking); een cel die anders uit een totaal af te leiden is, wordt ook '
            'verborgen (secundaire onderdrukking). Een nul wordt wel getoond: ze beschrijft '
            'geen huishouden.'), t=ctx.threshold)),
    ]
    return [definitions([(markup(ctx.t(term)), text) for term, text in items]),
            paragraph(markup(ctx.t(
                'Alle intervallen hebben een betrouwbaarheidsniveau van %(conf)s, tenzij anders '
                'vermeld. %(table)s geeft de instellingen van deze run.'),
                conf=ctx.pct(ms.get("conf_level"), 0), table=link("instellingen")))]


def methods_statistics(ctx: Context) -> list[Block]:
    ms = _get(ctx.r, "settings", "models", default={})
    ev = ctx.r.get("eviction_avoided", {})

    def covariates(names: Sequence[str]) -> str:
        return ", ".join(ctx.variable(n) for n in names) or fmt.MISSING

    refs = ", ".join(f"{ctx.variable(k)}: {ctx.level(k, v)}"
                     for k, v in (ms.get("references") or {}).items())
    strata = ms.get("cox_strata") or []
    rows = [
        [ctx.t("Betrouwbaarheidsniveau"), ctx.pct(ms.get("conf_level"), 0)],
        [ctx.t("Betrouwbaarheidsinterval Kaplan–Meier"),
         ctx.t("%(type)s (zoals R survfit)") % {"type": ms.get("km_conf_type", "log")}],
        [ctx.t("Gelijke tijden (ties) in het Cox-model"),
         str(ms.get("ties", "efron")).capitalize()],
        [ctx.t("Strata van het Cox-model"),
         ", ".join(ctx.variable(s) for s in strata) or ctx.t("geen")],
        [ctx.t("Toets op proportionele hazards"),
         ctx.t("cox.zph-scoretoets, tijdtransformatie %(tf)s") % {
             "tf": ms.get("ph_transform", "km")}],
        [ctx.t("Kenmerken in het Cox-model"), covariates(ms.get("cox_covariates", []))],
        [ctx.t("Kenmerken in het logistische model"),
         covariates(ms.get("logistic_covariates", []))],
        [ctx.t("Referentiecategorieën"), refs or fmt.MISSING],
        [ctx.t("Clusters voor robuuste standaardfouten"),
         ctx.variable(ms["cluster"]) if ms.get("cluster") else ctx.t("geen")],
        [ctx.t("Leeftijdsklassen (ondergrenzen)"),
         ", ".join(str(a) for a in [16, *ms.get("age_bands", [])])],
        [ctx.t("Drempel voor kleine aantallen"), ctx.num(ctx.threshold)],
        [ctx.t("Rundatum (regel: geen datum in de toekomst)"),
         fmt.long_date(_get(ctx.r, "settings", "run_date"), ctx.lang)],
    ]
    norms = _get(ctx.r, "settings", "norms", default={})
    rows += [[ctx.t(NORM_LABELS[name]) if name in NORM_LABELS else
              ctx.t("Norm of parameter: %(name)s") % {"name": name},
              ctx.dec(value, _decimals(value))] for name, value in norms.items()]
    cutoff_rules = _get(ctx.r, "settings", "cutoff_rules", default={})
    rows += [[ctx.t("Peildatum en afkapping: %(rule)s") % {
                  "rule": ctx.t(rule.replace("_", " "))}, ctx.t(text)]
             for rule, text in cutoff_rules.items()]
    few = (ev.get("n_clusters") or 0) and ev.get("n_clusters") < 30
    return [
        *methods_text(ctx, strata=", ".join(ctx.variable(s) for s in strata),
                      few_clusters=bool(few)),
        ctx.table("instellingen", ctx.t("Instellingen van deze run"),
                   [ctx.t("Instelling"), ctx.t("Waarde")], rows, numeric=[False, False],
                   source=N_("Bron: instellingen van de run (results.json, settings).")),
    ]
