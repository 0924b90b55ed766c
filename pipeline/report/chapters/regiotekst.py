"""Chapter 6, the text of its sections on the norm, caseload and duration, outcomes,
re-referral, agreements and the extra FTE: what the circular asks (with its point), what
the 2011 study measured, and what the tables beside it show. ``regio`` builds the tables
and passes the published numbers; the text is kept here whole (prose.py: messages are
trusted markup, values escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.report.context import Context
from pipeline.report.model import Block
from pipeline.report.prose import link, markup, paragraph


def norm_text(ctx: Context, *, meeting: str, with_fte: str, norm: str, overall: str,
              failing: Sequence[str]) -> Block:
    return paragraph(
        markup(ctx.t(
            'De omzendbrief verwacht dat één VTE op jaarbasis minstens %(norm)s cliënten '
            'begeleidt (omzendbrief, punt 2). %(table)s deelt het aantal actieve trajecten van '
            "elke regio door haar VTE, gemiddeld over het jaar. %(k)s van de %(n)s regio's met "
            "personeel halen de norm; over alle regio's samen zijn er %(overall)s cliënten per "
            'VTE.'), norm=norm, table=link("norm"), k=meeting, n=with_fte, overall=overall),
        bool(failing) and markup(ctx.t('Onder de norm: %(list)s.'), list=", ".join(failing)))


def caseload_text(ctx: Context, *, caseload: str, norm: str, months: str,
                  norm_months: str) -> Block:
    """The 2011 averages are measured averages per worker, not norms; we count per FTE."""
    return paragraph(markup(ctx.t(
        'De evaluatie van 2011 mat per hulpverlener gemiddeld %(norm)s lopende begeleidingen '
        'en een gemiddelde duur van %(months)s maanden; de omzendbrief citeert die gemiddelden '
        '(punt 3), maar het zijn geen normen, en dit rapport telt per VTE in plaats van per '
        "hulpverlener. Over alle regio's samen waren er gemiddeld %(caseload)s trajecten per "
        'VTE tegelijk open, en duurde een begeleiding die in %(year)s liep, over de eerste twee '
        'jaar gemiddeld %(mean)s maanden (periodeanalyse, beperkt gemiddelde; %(table)s). '
        '%(little)s vergelijkt het gemiddeld aantal open trajecten met wat doorstroom en duur '
        'voorspellen (wet van Little).'), norm=norm, months=norm_months, caseload=caseload,
        year=ctx.year, mean=months, table=link("caseload"), little=link("little")))


def outcomes_text(ctx: Context) -> Block:
    return paragraph(markup(ctx.t(
        '%(goals)s en %(avoided)s geven de bereikte handelingsdoelen en de vermeden '
        "uithuiszettingen per regio. Verschillen tussen regio's kunnen samenhangen met "
        'verschillen in doelgroep en in registratiepraktijk; de intervallen tonen hoe onzeker '
        'de regionale aandelen zijn.'), goals=link("doelen-regio"),
        avoided=link("vermeden-regio")))


def rereferral_text(ctx: Context, *, cohort: Any, rate: str) -> Block:
    return paragraph(markup(ctx.t(
        'Herval is een nieuwe begeleiding binnen 12 maanden na de afsluiting van een vorig '
        'traject, bij om het even welk CAW. Het wordt bepaald voor de trajecten die in '
        '%(cohort)s werden afgesloten, want alleen die zijn vóór de peildatum volledig 12 '
        'maanden opgevolgd; een traject zonder cliëntcode kan niet gevolgd worden. Over alle '
        "regio's samen kwam %(rate)s opnieuw in begeleiding (%(table)s)."), cohort=cohort,
        rate=rate, table=link("herval")))


def agreements_text(ctx: Context, *, covered: str, regions: str, landlords: str,
                    dwellings: str, local: str) -> Block:
    return paragraph(markup(ctx.t(
        "De omzendbrief vraagt gebiedsdekkende samenwerkingsovereenkomsten met alle SHM's en "
        "SVK's in het werkingsgebied, met betrokkenheid van de lokale besturen (omzendbrief, "
        "punt 2). Volgens de referentiegegevens had %(k)s van de %(n)s regio's op de "
        "peildatum een gebiedsdekkend geheel van overeenkomsten. Over alle regio's samen had "
        '%(landlords)s van de sociale verhuurders een overeenkomst, goed voor %(dwellings)s van '
        'hun woningen; bij %(local)s van de overeenkomsten is een lokaal bestuur betrokken '
        '(%(table)s).'), k=covered, n=regions, landlords=landlords, dwellings=dwellings,
        local=local, table=link("overeenkomsten")))


def extra_fte_text(ctx: Context, *, realised: str, total: str, per_reinforcement: bool,
                   per_region: bool) -> Block:
    """The reinforcements of the circular; ``per_reinforcement`` / ``per_region`` say
    whether the tables 'extra-vte' / 'extra-vte-regio' follow."""
    return paragraph(
        markup(ctx.t(
            "De omzendbrief versterkt een aantal regio's vanaf 1 december 2012 en, mits "
            'goedkeuring van de begroting 2013, vanaf 1 januari 2013 met extra VTE '
            '(omzendbrief, punt 3), en verwacht dat het aanbod uiterlijk een maand na de '
            'toekenning verruimd is (omzendbrief, punt 2).')),
        per_reinforcement and markup(ctx.t(
            '%(table)s vergelijkt per versterking het aantal gestarte trajecten vóór en na de '
            'datum: bij %(k)s van de %(n)s versterkingen startten in de eerste maand meer '
            'trajecten dan het ritme ervoor liet verwachten. Dat is een eenvoudige '
            'voor-navergelijking, geen meting van een effect.'), table=link("extra-vte"),
            k=realised, n=total),
        per_region and markup(ctx.t(
            "%(table)s toont of de versterkte regio's de norm van %(norm)s ook zonder de extra "
            'VTE zouden halen.'), table=link("extra-vte-regio"),
            norm=ctx.norm_words["clients_norm"]))
