"""Appendix, Verklarende woordenlijst: the Dutch terms of the registration and of the
report, each with its meaning (translated in the English report; the terms stay Dutch and
are marked ``lang="nl"``). Confidence interval, p-value, hazard and odds are explained
for a reader without statistics (issue 13), and correctly: an interval is not a
probability statement about this one interval."""

from __future__ import annotations

from pipeline.report.context import Context
from pipeline.report.labels import N_
from pipeline.report.model import Block
from pipeline.report.prose import definitions, markup, paragraph

TERMS = (
    ('Aanmelder', N_(
        'Wie de huurder voor begeleiding aanmeldt: meestal de sociale verhuurder, soms het OCMW, '
        'de politie, het CAW of de huurder zelf.')),
    ('Aanklampende hulpverlening (bemoeizorg)', N_(
        'Hulp die de cliënt actief opzoekt en blijft opzoeken, ook zonder dat die zelf om hulp '
        'vroeg.')),
    ('Afsluitreden', N_(
        'Waarom een traject eindigde: doelen bereikt, voortijdig gestopt, verhuisd, '
        'uithuisgezet, doorverwezen, overleden of een andere reden.')),
    ('BI (betrouwbaarheidsinterval)', N_(
        'Een bereik rond een schatting dat de onzekerheid door het toeval van de gegevens toont. '
        'Een 95%%-BI is berekend met een methode die, als men het onderzoek vaak zou herhalen, '
        'in 95 van de 100 keer een interval geeft dat de werkelijke waarde bevat. Het zegt niet '
        'dat de werkelijke waarde met 95 procent kans in dit ene interval ligt, en het houdt '
        'geen rekening met fouten in de registratie.')),
    ('CAW (Centrum Algemeen Welzijnswerk)', N_(
        'Een erkende welzijnsorganisatie die in haar regio onder meer de preventieve '
        'woonbegeleiding verzorgt.')),
    ('CAW-regio', N_(
        'Het werkingsgebied van een CAW volgens de regio-indeling van de omzendbrief.')),
    ('Caseload', N_(
        'Het aantal trajecten dat tegelijk loopt, per begeleider of per VTE.')),
    ('Gecensureerd', N_(
        'Een traject dat op de peildatum nog loopt: de duur is minstens zo lang als tot dan '
        'gemeten.')),
    ('Cumulatieve incidentie', N_(
        'Het aandeel trajecten dat na een bepaalde tijd op een bepaalde manier werd afgesloten.')),
    ('Gebiedsdekkend', N_(
        'Alle sociale verhuurders van het werkingsgebied vallen onder een '
        'samenwerkingsovereenkomst met het CAW.')),
    ('Handelingsdoelen, handelingsplan', N_(
        'De concrete doelen die woonbegeleider en huurder samen vastleggen; bij de afsluiting '
        'wordt vermeld of ze bereikt werden.')),
    ('Hazard', N_(
        'De kans dat een gebeurtenis (bijvoorbeeld een afsluiting of een uithuiszetting) zich '
        'voordoet in een kort tijdsvak, bij trajecten die tot dan toe nog lopen: een tempo, geen '
        'kans over de hele begeleiding.')),
    ('Hazardratio (HR)', N_(
        'De hazard van trajecten met een kenmerk gedeeld door die van de referentiecategorie, '
        'met de andere kenmerken gelijk gehouden. Boven 1: de gebeurtenis komt bij hen sneller '
        'of vaker voor; onder 1: trager of minder vaak. Welke gebeurtenis het is, zegt de tabel: '
        'een afsluiting ongeacht de afloop, een afsluiting met vermeden uithuiszetting of een '
        'uithuiszetting.')),
    ('Herval', N_(
        'Een nieuwe begeleiding binnen 12 maanden na de afsluiting van een vorig traject.')),
    ('Huurachterstand', N_(
        'Achterstallige huur bij de aanmelding.')),
    ('Kaplan–Meier', N_(
        'Een methode om de duur tot een gebeurtenis te beschrijven als een deel van de trajecten '
        'nog loopt.')),
    ('Leefloon', N_(
        'Het minimuminkomen dat het OCMW uitkeert aan wie geen ander inkomen heeft.')),
    ('Lokaal bestuur', N_(
        'De gemeente en het OCMW.')),
    ('Nazorg', N_(
        'Afspraken over steun na het einde van de begeleiding.')),
    ('OCMW', N_(
        'Openbaar centrum voor maatschappelijk welzijn, de sociale dienst van de gemeente.')),
    ('Odds', N_(
        'De kans dat iets gebeurt gedeeld door de kans dat het niet gebeurt: bij een kans van 75 '
        'procent zijn de odds 75/25 = 3. Odds zijn geen kansen; bij kansen dicht bij 0 liggen ze '
        'dicht bij elkaar, bij grote kansen niet.')),
    ('Oddsratio (OR)', N_(
        'De odds op een uitkomst bij een kenmerk gedeeld door de odds bij de '
        'referentiecategorie, met de andere kenmerken gelijk gehouden. Boven 1: hogere odds, '
        'onder 1: lagere. Een oddsratio van 2 betekent niet dat de kans verdubbelt; het rapport '
        'geeft daarom voorspelde percentages waar die er zijn.')),
    ('p-waarde', N_(
        'Hoe vaak men, als er in werkelijkheid geen verschil of verband was, door toeval alleen '
        'een verschil zo groot als het gevonden of groter zou zien. Een kleine p-waarde (in dit '
        'rapport kleiner dan 0,05: significant) maakt toeval als enige verklaring '
        'onwaarschijnlijk; ze zegt niet hoe groot of belangrijk het verschil is, en ook niet met '
        'welke kans er geen verschil is.')),
    ('Peildatum', N_(
        'De laatste dag van het registratiejaar (31 december), waarop de opvolging wordt '
        'afgekapt.')),
    ('Preventieve woonbegeleiding', N_(
        'Outreachende begeleiding van sociale huurders die hun woning dreigen te verliezen, om '
        'een uithuiszetting te voorkomen.')),
    ('Quarantaine', N_(
        'Rijen die een regel van het registratieformaat breken: ze worden niet geanalyseerd en '
        'gaan met hun reden terug naar het CAW.')),
    ('Samenwerkingsovereenkomst', N_(
        "De overeenkomst 'woonbegeleiding – huurdersbegeleiding' tussen een CAW en een sociale "
        'verhuurder.')),
    ('SHM', N_(
        'Sociale huisvestingsmaatschappij: bouwt en verhuurt sociale woningen.')),
    ('SVK', N_(
        'Sociaal verhuurkantoor: huurt woningen op de private markt en verhuurt ze door aan '
        'kwetsbare huurders.')),
    ('Uithuiszetting', N_(
        'Het gedwongen verlaten van de woning na een gerechtelijke procedure van de verhuurder.')),
    ('VTE', N_(
        'Voltijds equivalent: één voltijdse job, of meerdere deeltijdse die samen één voltijdse '
        'vormen.')),
)


def glossary(ctx: Context) -> list[Block]:
    return [paragraph(markup(ctx.t("De Nederlandse termen van de registratie en van dit "
                                   "rapport."))),
            definitions([(term, markup(ctx.t(text))) for term, text in TERMS],
                        term_lang="nl")]
