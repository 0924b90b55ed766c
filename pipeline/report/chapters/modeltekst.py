"""Chapter 5, the text of its model sections (Cox model of closure, its proportional-hazards
test, the logistic model of an avoided eviction): what each model estimates, on whom, how
well it fits, and which characteristics are significant. ``modellen`` builds the tables
and forest plots beside it; the text is kept here whole (prose.py: messages are trusted
markup, values escaped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.report.context import ALPHA, Context, _get
from pipeline.report.model import Block
from pipeline.report.prose import bullets, link, markup, paragraph


def significance(ctx: Context, significant: Sequence[str], other: Sequence[str]
                 ) -> list[Block]:
    """The significant terms as a list (their sentences), the others named after them."""
    if significant:
        blocks = [paragraph(markup(ctx.t("Significant (p &lt; 0,05):"))),
                  bullets(significant)]
    else:
        blocks = [paragraph(markup(ctx.t("Geen enkel kenmerk is significant (p &lt; 0,05).")))]
    if other:
        blocks.append(paragraph(markup(ctx.t(
            'Niet significant: %(list)s. Dat betekent niet dat die kenmerken geen rol spelen, '
            'wel dat deze gegevens het niet aantonen.'), list="; ".join(other))))
    return blocks


def cox_text(ctx: Context, cox: Mapping[str, Any], significant: Sequence[str],
             other: Sequence[str]) -> list[Block]:
    strata = ", ".join(ctx.variable(s) for s in cox.get("strata") or [])
    return [paragraph(
        markup(ctx.t(
            'Het Cox-model schat hoe kenmerken van de huurder samenhangen met de snelheid '
            'waarmee een traject wordt afgesloten, ongeacht de uitkomst, met de andere '
            'kenmerken gelijk gehouden (%(n)s trajecten, %(events)s afsluitingen, ties volgens '
            '%(ties)s). Een hazardratio boven 1 betekent sneller afgesloten dan de '
            'referentiecategorie, onder 1 trager.'),
            n=ctx.count("counts.active", cox.get("n")),
            events=ctx.count("counts.closed", cox.get("events")),
            ties=str(cox.get("ties") or "").capitalize()),
        strata and markup(ctx.t('Het model is gestratificeerd naar %(strata)s.'),
                          strata=strata),
        markup(ctx.t(
            'Het model als geheel: likelihood-ratiotoets χ² = %(lr)s met %(df)s '
            'vrijheidsgraden, %(p)s; concordantie %(concordance)s.'),
            lr=ctx.dec(_get(cox, "lr_test", "statistic"), 1),
            df=ctx.num(_get(cox, "lr_test", "df")), p=ctx.p_eq(_get(cox, "lr_test", "p")),
            concordance=ctx.dec(cox.get("concordance"), 3))),
        *significance(ctx, significant, other)]


def ph_text(ctx: Context, ph: Mapping[str, Any]) -> Block:
    """The global test of proportional hazards and the characteristics that fail it."""
    p = (ph.get("global") or {}).get("p")
    bad = [ctx.variable(c["covariate"]) for c in ph.get("covariates", [])
           if c.get("p") is not None and c["p"] < ALPHA]
    return paragraph(
        markup(ctx.t(
            "Het Cox-model veronderstelt dat de hazardratio's constant zijn over de tijd. De "
            'scoretoets daarop (%(table)s) geeft globaal %(p)s.'), table=link("ph"),
            p=ctx.p_eq(p)),
        markup(ctx.t("Dat wijst op een schending van de veronderstelling: lees de "
                     "hazardratio's als gemiddelden over de opvolging."))
        if p is not None and p < ALPHA else
        markup(ctx.t('De gegevens wijzen globaal niet op een schending van de '
                     'veronderstelling.')),
        bad and markup(ctx.t(
            'Per kenmerk is de toets significant (p &lt; 0,05) voor: %(list)s; voor die '
            'kenmerken verandert de samenhang mogelijk met de tijd.'), list=", ".join(bad)))


def logistic_text(ctx: Context, ev: Mapping[str, Any], significant: Sequence[str],
                  other: Sequence[str]) -> list[Block]:
    few = bool(ev.get("n_clusters")) and ev["n_clusters"] < 30
    return [paragraph(
        markup(ctx.t(
            'Het logistische model schat hoe kenmerken samenhangen met de kans dat de '
            'uithuiszetting vermeden werd, bij de %(n)s in %(year)s afgesloten trajecten met '
            'gekende afloop (%(events)s vermeden), met de andere kenmerken gelijk gehouden. Een '
            'oddsratio boven 1 betekent hogere odds op een vermeden uithuiszetting dan de '
            'referentiecategorie. De standaardfouten zijn robuust voor clustering per regio '
            '(%(g)s clusters).'), n=ctx.count("eviction.known", ev.get("n")), year=ctx.year,
            events=ctx.count("eviction.ja", ev.get("events")),
            g=ctx.num(ev.get("n_clusters"))),
        few and markup(ctx.t('Met zo weinig clusters zijn de intervallen eerder te smal dan te '
                             'breed.'))),
        *significance(ctx, significant, other)]
