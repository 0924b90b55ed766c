"""Chapter 1, Inleiding: the circular of 2012, the research questions, a reading guide.

The chapter's whole text is here (prose.py: messages are trusted markup, values escaped);
every statement about the circular or the 2011 study names the point it rests on.
"""

from __future__ import annotations

from pipeline.report import formatting as fmt
from pipeline.report.context import (
    Context,
    _get,
)
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Section
from pipeline.report.prose import link, markup, numbered, paragraph, ref


def circular_prose(ctx: Context) -> list[Block]:
    """What the circular asks, what it funds and what it quotes from the 2011 study."""
    return [paragraph(markup(ctx.t(
        'In 2012 vroeg de Vlaamse minister van Welzijn, Volksgezondheid en Gezin met een '
        "omzendbrief aan de Centra voor Algemeen Welzijnswerk (CAW's) om de preventieve "
        'woonbegeleiding van sociale huurders uit te bouwen tot een regiodekkend aanbod. '
        'Preventieve woonbegeleiding richt zich tot huurders van sociale '
        "huisvestingsmaatschappijen (SHM's) en sociale verhuurkantoren (SVK's) die door "
        'betalingsmoeilijkheden, problemen met het onderhoud van hun woning of '
        'samenlevingsproblemen hun woning dreigen te verliezen. De begeleiding is actief, '
        'outreachend en aanklampend: de woonbegeleider stapt op de huurder af bij de eerste '
        'probleemsignalen, nog voor die zelf om hulp vraagt, en legt huisbezoeken af '
        '(omzendbrief, punt 1.1; bijlage, punt 3.2).'))),
        paragraph(markup(ctx.t(
            'De omzendbrief verwacht van elk CAW gebiedsdekkende samenwerkingsovereenkomsten '
            "met de SHM's en SVK's in zijn werkingsgebied, met betrokkenheid van de lokale "
            'besturen (gemeente en OCMW); dat één voltijds equivalent (VTE) op jaarbasis '
            'minstens 27 cliënten begeleidt; en een registratie waaruit het profiel van de '
            'doelgroep duidelijk blijkt (omzendbrief, punt 2). Die 27 cliënten per VTE is de '
            'enige getalsnorm van de omzendbrief. Per afgesloten begeleidingsdossier wordt '
            'vermeld of de handelingsdoelen bereikt werden en of een uithuiszetting vermeden '
            'werd (omzendbrief, bijlage, punt 5.5).'))),
        paragraph(markup(ctx.t(
            'Om tot een regiodekkend aanbod te komen, verdeelt de omzendbrief extra middelen '
            "op basis van het risico op uithuiszetting bij SHM's en SVK's en de huidige "
            "personeelsinzet van de CAW's, rekening houdend met de subsidie-enveloppe en de "
            'inzet van de lokale besturen (omzendbrief, punt 3): 500.000 euro op jaarbasis '
            'vanaf 1 december 2012 en, mits goedkeuring van de begroting 2013 door het Vlaams '
            'Parlement, 1.500.000 euro vanaf 1 januari 2013. Voor de personeelsinzet citeert '
            'de omzendbrief wat de evaluatie van 2011 mat: per hulpverlener gemiddeld 20 '
            'lopende begeleidingen, een gemiddelde duur van 9 maanden en 26,66 begeleidingen '
            'per jaar (omzendbrief, punt 3). Dat zijn gemeten gemiddelden, geen normen, en ze '
            'gelden per hulpverlener, terwijl dit rapport per VTE telt. Voor het tweetalige '
            'gebied Brussel-Hoofdstad voorziet de omzendbrief later een aparte overeenkomst '
            '(omzendbrief, punt 3). %(table)s zet de norm van de omzendbrief, de gemiddelden '
            'van de studie die ze citeert en wat dit rapport daaruit afleidt apart.'),
            table=link("normen"))),
        paragraph(markup(ctx.t(
            'In haar inleiding kondigt de omzendbrief THULOZO aan, een webapplicatie die het '
            'zorgaanbod voor thuislozen in kaart brengt en moet uitgroeien tot een '
            'monitoringsinstrument dat de behoefte aan thuislozenzorg koppelt aan het aanbod '
            '(omzendbrief, inleiding). Dat instrument gaat over de thuislozenzorg in het '
            'algemeen. De raming van nood en aanbod aan preventieve woonbegeleiding verderop '
            'in dit rapport is een eigen berekening, geen toepassing van THULOZO. De '
            "omzendbrief kondigt ook een bevraging van de CAW's in 2013 naar hun "
            'personeelsinzet aan (omzendbrief, punt 3).'))),
        paragraph(markup(ctx.t(
            'Dit rapport is de evaluatie van registratiejaar %(year)s. Het bouwt voort op de '
            'evaluatie die het Steunpunt Algemeen Welzijnswerk in 2011 maakte (Lescrauwaet en '
            'Van Menxel, <cite lang="nl">Evaluatie van de preventieve woonbegeleiding van de '
            "CAW's gericht op voorkoming van uithuiszetting</cite>, mei 2011), waarop de "
            'omzendbrief zich voor de huidige personeelsinzet baseerde (omzendbrief, punt 3). '
            'Die studie had ook een kwalitatief deel en een bevraging van de partners; dit '
            'rapport herneemt alleen de cijfers uit de registratie, elk jaar op dezelfde '
            'manier berekend.'), year=ctx.year)),
    ]


def questions(ctx: Context) -> list[Block]:
    """The questions of the circular, each with the chapter that answers it."""
    return [
        paragraph(markup(ctx.t("Het rapport beantwoordt de vragen die uit de omzendbrief "
                               "volgen:"))),
        numbered([
            markup(ctx.t(
                'Wie wordt begeleid? Het profiel van de doelgroep naar type verhuurder, '
                'gezinstype, inkomensbron, leeftijd, geslacht, problemen en huurachterstand bij '
                "aanmelding, aanmelder en gestarte procedure, voor alle regio's samen en per "
                'regio (hoofdstuk %(ch)s).'), ch=ref("hoofdstuk:profiel")),
            markup(ctx.t(
                'Hoe verloopt de begeleiding? De duur tot afsluiting, naar profiel, de '
                'huisbezoeken en contacten, de doorverwijzing en de nazorg (hoofdstuk %(ch)s).'),
                ch=ref("hoofdstuk:verloop")),
            markup(ctx.t(
                'Wat levert ze op? De bereikte handelingsdoelen, de vermeden uithuiszettingen, '
                'de afloop van de trajecten en de kenmerken die daarmee samenhangen (hoofdstuk '
                '%(ch)s).'), ch=ref("hoofdstuk:resultaten")),
            markup(ctx.t(
                "Halen de CAW-regio's de norm van de omzendbrief, en hoe verhouden ze zich tot "
                'de gemiddelden van 2011? Cliënten per VTE, caseload en duur, uitkomsten, '
                'herval, samenwerkingsovereenkomsten en de inzet van de extra VTE (hoofdstuk '
                '%(ch)s).'), ch=ref("hoofdstuk:regio")),
            markup(ctx.t(
                'Hoe evolueert dit over de jaren, en wat deden de extra VTE? De kerncijfers '
                'per jaar tegenover de studie van 2011, per regio, de wachttijd en het verband '
                'tussen personeel en starts (hoofdstuk %(ch)s).'), ch=ref("hoofdstuk:evolutie")),
            markup(ctx.t(
                'Sluit het aanbod aan bij de nood? Verwachte uithuiszettingen, benodigde en '
                "aanwezige VTE per regio en scenario's voor de verdeling van extra middelen "
                '(hoofdstuk %(ch)s).'), ch=ref("hoofdstuk:vraag")),
        ]),
    ]


def reading_guide(ctx: Context) -> list[Block]:
    """How the report is built, numbered, formatted and suppressed."""
    return [
        paragraph(markup(ctx.t(
            'Hoofdstuk %(methods)s beschrijft de gegevens, hun controle en de methoden. De '
            'hoofdstukken %(first)s tot %(last)s geven de resultaten, hoofdstuk %(end)s de '
            'kernbevindingen en de voorbehouden. De bijlagen bevatten de volledige '
            'modeltabellen, de gegevenskwaliteit per bestand en een verklarende woordenlijst.'),
            methods=ref("hoofdstuk:methode"), first=ref("hoofdstuk:profiel"),
            last=ref("hoofdstuk:vraag"), end=ref("hoofdstuk:besluit"))),
        paragraph(markup(ctx.t(
            'Tabellen en figuren zijn per hoofdstuk genummerd en vermelden het aantal '
            'trajecten waarop ze steunen (n) en hun bron. Bij elke figuur staan de getekende '
            'waarden in een uitklapbare tabel. Getallen volgen de Belgische schrijfwijze '
            '(1.234,5). Tussen haakjes staat bij een schatting haar betrouwbaarheidsinterval '
            '(BI).'))),
        paragraph(markup(ctx.t(
            'Om te vermijden dat een huishouden herkenbaar wordt, zijn aantallen kleiner dan '
            "%(t)s niet gepubliceerd: de tabel toont dan '&lt;%(t)s'. Een cel die anders uit "
            "een totaal af te leiden zou zijn, toont 'x', net als een percentage, interval of "
            'mediaan die op een niet-gepubliceerd aantal rust. Een streepje (–) betekent: '
            'niet van toepassing of niet te berekenen.'), t=ctx.threshold)),
        paragraph(markup(ctx.t(
            'Een verschil heet in dit rapport alleen significant als de toets een p-waarde '
            'kleiner dan 0,05 geeft. Een niet-significant verschil betekent niet dat er geen '
            'verschil is, wel dat deze gegevens het niet aantonen. De registratie is geen '
            'experiment: samenhang tussen kenmerken en uitkomsten is geen bewijs van oorzaak '
            'en gevolg.'))),
    ]


def chapter_intro(ctx: Context) -> list[Section]:
    ind = ctx.r.get("indicators", {})
    norms = ind.get("norms", {})
    params = _get(ctx.r, "need_supply", "parameters", default={})
    norm = ctx.t("norm van de omzendbrief (punt 2)")
    circular = ctx.t("omzendbrief (punt 3)")
    study = ctx.t("evaluatie van 2011, per hulpverlener; geciteerd in de omzendbrief (punt 3)")
    rows = [
        [ctx.t("Cliënten per VTE per jaar (minimum)"),
         ctx.dec(norms.get("clients_per_fte"), 0), norm],
        [ctx.t("Lopende begeleidingen per hulpverlener (gemiddelde)"),
         ctx.dec(norms.get("caseload_per_fte"), 0), study],
        [ctx.t("Begeleidingsduur in maanden (gemiddelde)"),
         ctx.dec(norms.get("duration_months"), 0), study],
        [ctx.t("Begeleidingen per hulpverlener per jaar (gemiddelde)"),
         ctx.dec(norms.get("supports_per_fte_year"), 2), study],
        [ctx.t("Risico op uithuiszetting, huurders van een SVK"),
         ctx.pct(params.get("risk_svk"), 2), circular],
        [ctx.t("Risico op uithuiszetting, huurders van een SHM"),
         ctx.pct(params.get("risk_shm"), 2), circular],
        [ctx.t("Risico op uithuiszetting, SHM-huurders in Gent en Antwerpen"),
         ctx.pct(params.get("risk_shm_big_city"), 2), circular],
    ]
    tranches: dict[str, list[float]] = {}
    for row in _get(ind, "extra_fte", "per_reinforcement", default=[]):
        tranche = tranches.setdefault(row["vanaf"], [0.0, row.get("budget_eur") or 0.0])
        tranche[0] += row.get("extra_fte") or 0.0
    for k, (start, (fte, budget)) in enumerate(sorted(tranches.items())):
        rows.append([ctx.t("Extra VTE vanaf %(date)s (%(budget)s per jaar)") % {
            "date": fmt.short_date(start, ctx.lang),
            "budget": fmt.euro(budget, locale=ctx.lang)}, ctx.dec(fte, 2),
            circular if k == 0 else ctx.t("omzendbrief (punt 3), mits goedkeuring van de "
                                          "begroting 2013")])
    rows.append([ctx.t("Kost van één VTE per jaar"),
                 fmt.euro(params.get("cost_per_fte"), locale=ctx.lang),
                 ctx.t("afgeleid door dit rapport: 500.000 euro / 7,88 VTE")])
    norms_table = ctx.table(
        "normen", ctx.t("De norm van de omzendbrief van 2012, de gemiddelden van de "
                        "evaluatie van 2011 die ze citeert, en wat dit rapport afleidt"),
        [ctx.t("Norm, gemiddelde of parameter"), ctx.t("Waarde"), ctx.t("Herkomst")], rows,
        numeric=[False, True, False],
        notes=[ctx.t("Alleen de 27 cliënten per VTE is een norm. De gemiddelden van 2011 "
                     "gelden per hulpverlener; dit rapport telt per VTE.")],
        source=N_("Bron: omzendbrief preventieve woonbegeleiding (2012); referentiegegevens "
                  "van pwb."))
    return [
        Section("aanleiding", ctx.t("Aanleiding: de omzendbrief van 2012"),
                [*circular_prose(ctx), norms_table]),
        Section("vragen", ctx.t("Onderzoeksvragen"), questions(ctx)),
        Section("leeswijzer", ctx.t("Leeswijzer"), reading_guide(ctx)),
    ]


def build(ctx: Context) -> Chapter:
    return Chapter("inleiding", ctx.t("Inleiding"), chapter_intro(ctx))
