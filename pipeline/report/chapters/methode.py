"""Chapter 2, Gegevens en methode: sources, format, validation, definitions, statistics,
software. The chapter's whole text is here and, for the statistical methods and the run's
settings, in ``methode_statistiek`` (prose.py: messages are trusted markup, values
escaped)."""

from __future__ import annotations

from pipeline.report import formatting as fmt
from pipeline.report.chapters.methode_statistiek import methods_statistics
from pipeline.report.context import (
    Context,
    _get,
)
from pipeline.report.labels import N_
from pipeline.report.model import Block, Chapter, Section
from pipeline.report.prose import definitions, link, markup, paragraph


def chapter_methods(ctx: Context) -> list[Section]:
    return [
        Section("bronnen", ctx.t("Bronnen"), methods_sources(ctx)),
        Section("formaat", ctx.t("Het registratieformaat"), methods_format(ctx)),
        Section("validatie", ctx.t("Validatie en boekhouding van de rijen"),
                methods_validation(ctx)),
        Section("definities", ctx.t("Definities"), methods_definitions(ctx)),
        Section("statistiek", ctx.t("Statistische methoden"), methods_statistics(ctx)),
        Section("software", ctx.t("Software"), methods_software(ctx)),
    ]


def methods_sources(ctx: Context) -> list[Block]:
    regions = ctx.table(
        "regios", ctx.t("De CAW-regio's van dit rapport"),
        [ctx.t("Code"), ctx.t("CAW-regio")],
        [[code, ctx.region(code)] for code in ctx.region_codes],
        numeric=[False, False],
        n=ctx.n_line(len(ctx.region_codes), N_("n = %(n)s regio's")),
        notes=[ctx.t("De regio-indeling volgt de toekomstige CAW-regio's waarop de omzendbrief "
                     "de extra VTE verdeelt (punt 3). Brussel staat er niet bij in de "
                     "omzendbrief: voor het tweetalige gebied Brussel-Hoofdstad voorziet ze "
                     "later een aparte overeenkomst (punt 3); dit rapport toont Brussel als "
                     "eigen regio.")],
        source=N_("Bron: referentiegegevens van pwb (caw_regios.csv)."))
    data = _get(ctx.r, "data", default={})
    rows = []
    for name, origin in (data.get("reference_sources") or {}).items():
        shown = (ctx.t("meegeleverd met pwb") if origin == "meegeleverd"
                 else ctx.t("aangeleverd door de gebruiker"))
        illustrative = name in ("verhuurders.csv", "personeel.csv") and origin == \
            "meegeleverd"
        rows.append([name, shown, ctx.yes_no(illustrative)])
    reference = ctx.table(
        "referentie", ctx.t("Gebruikte referentiegegevens en hun herkomst"),
        [ctx.t("Bestand"), ctx.t("Herkomst"), ctx.t("Illustratief")], rows,
        numeric=[False, False, False],
        n=ctx.n_line(len(rows), N_("n = %(n)s bestanden")),
        source=N_("Bron: referentiegegevens van pwb."))
    blocks: list[Block] = [paragraph(markup(ctx.t(
        'De analyse steunt op twee bronnen. De eerste is de registratie van de trajecten '
        'preventieve woonbegeleiding: elk CAW levert per traject één rij aan volgens het '
        'registratieformaat, als CSV-, Excel- of Parquet-bestand. De tweede zijn '
        "referentiegegevens: de CAW-regio's (%(regions)s), de sociale verhuurders met hun "
        'woningen en samenwerkingsovereenkomsten, het personeel per regio en jaar, en de '
        'extra VTE en de norm van de omzendbrief met de gemiddelden van 2011 die ze citeert '
        '(%(sources)s).'), regions=link("regios"), sources=link("referentie")))]
    if data.get("synthetic"):
        blocks.append(paragraph(markup("<strong>%(note)s</strong> %(text)s",
                                       note=markup(ctx.t("Let op:")), text=markup(ctx.t(
            'de registraties van deze run zijn synthetisch, aangemaakt met een gekend '
            'statistisch model. Ze dienen om het rapport te tonen en te testen, niet om '
            'conclusies te trekken.')))))
    if data.get("illustrative_reference"):
        blocks.append(paragraph(markup(ctx.t(
            'De meegeleverde verhuurders- en personeelsgegevens zijn illustratief: ze hebben de '
            'vorm van de echte gegevens, niet hun inhoud. Elke tabel die erop steunt, zegt dat '
            'in een noot.'))))
    return [*blocks, regions, reference]


def methods_format(ctx: Context) -> list[Block]:
    return [
        paragraph(markup(ctx.t(
            'Het registratieformaat legt per kolom vast of ze verplicht is, welk type ze heeft '
            'en welke codes of grenzen gelden. Verplicht zijn onder meer de CAW-regio, het type '
            'verhuurder, de datum van aanmelding en van de start, de aanmelder, de drie '
            'probleemgebieden, de gestarte procedure, het gezinstype, de leeftijd en de '
            'inkomensbron. Bij een afgesloten traject zijn ook de reden van afsluiting, de '
            'handelingsdoelen en de vraag of de uithuiszetting vermeden werd verplicht.'))),
        paragraph(markup(ctx.t(
            'Dossier-, cliënt- en begeleidercodes worden bij het inlezen gepseudonimiseerd met '
            'een geheime sleutel. Bestanden met persoonsgegevens (namen, adressen, '
            'rijksregisternummers, e-mailadressen, telefoonnummers of rekeningnummers) worden '
            'als geheel geweigerd; zo komt geen identiteit in de gegevens of in dit rapport '
            'terecht.'))),
    ]


def methods_validation(ctx: Context) -> list[Block]:
    counts = ctx.r.get("counts", {})
    validation = ctx.r.get("validation", {})
    files = validation.get("files", [])
    accounting = ctx.grid("boekhouding", ["valid", "quarantined"],
                           [[counts.get("rows_valid", 0), counts.get("rows_quarantined", 0)]],
                           row_total=False, percent="col",
                           facts={(0, 0): "counts.rows_valid",
                                  (1, 0): "counts.rows_quarantined",
                                  (2, 0): "counts.rows_in"})
    rows = [[ctx.t("Geldige rijen"), accounting.count(0, 0), accounting.share(0, 0)],
            [ctx.t("Rijen in quarantaine"), accounting.count(1, 0), accounting.share(1, 0)],
            [ctx.t("Rijen in"), accounting.count(2, 0), accounting.share(2, 0)]]
    rejected = [f for f in files if f.get("geweigerd")]
    rules = validation.get("rules_broken") or {}
    blocks: list[Block] = [
        paragraph(markup(ctx.t(
            'Elke rij wordt gecontroleerd tegen de regels van het formaat, met een Great '
            'Expectations-suite en een gelijkwaardige controle in polars die elkaar bewaken. Een '
            'rij die een regel breekt, gaat in quarantaine met de naam van de regel; een bestand '
            'dat niet te lezen is, een verplichte kolom mist of persoonsgegevens bevat, wordt '
            'als geheel geweigerd. Niets gaat verloren: het aantal rijen in is altijd het aantal '
            'geldige rijen plus het aantal rijen in quarantaine.'))),
        paragraph(
            markup(ctx.t(
                'Voor %(year)s werden %(files)s bestanden aangeleverd, waarvan %(rejected)s '
                'geweigerd. Van de %(rows)s rijen in de aanvaarde bestanden waren er %(valid)s '
                'geldig en %(quarantined)s in quarantaine (%(table)s).'),
                year=ctx.year, files=ctx.num(len(files)), rejected=ctx.num(len(rejected)),
                rows=accounting.count(2, 0), valid=accounting.count(0, 0),
                quarantined=accounting.count(1, 0), table=link("boekhouding")),
            ctx.p is not None and markup(ctx.t('%(table)s geeft die boekhouding per '
                                               'CAW-regio.'), table=link("validatie_regio")),
            bool(rules) and markup(ctx.t('%(table)s telt de rijen in quarantaine per '
                                         'gebroken regel.'), table=link("validatie_regels")),
            markup(ctx.t("De rijen in quarantaine zelf staan niet in dit rapport; de CAW's "
                         'krijgen ze terug met bestand, regelnummer en reden.'))),
        paragraph(markup(ctx.t(
            'Een verhuurders- of gemeentecode die de referentiegegevens (nog) niet kennen, is '
            'geen fout maar een waarschuwing: %(landlord)s rijen hebben een onbekende '
            'verhuurdercode en %(nis)s een onbekende NIS-code.'),
            landlord=ctx.count("validation.unknown_landlord", _get(
                validation, "unknown_to_reference", "verhuurder_id", default=0)),
            nis=ctx.count("validation.unknown_nis", _get(
                validation, "unknown_to_reference", "gemeente_nis", default=0)))),
        ctx.table("boekhouding", ctx.t("Boekhouding van de aangeleverde rijen"),
                   [ctx.t("Rijen"), ctx.t("Aantal"), ctx.t("Aandeel")], rows,
                   grids=[accounting], total_rows=1,
                   n=ctx.n_line(len(files), N_("n = %(n)s aangeleverde bestanden")),
                   notes=[ctx.t("Rijen van geweigerde bestanden worden niet gelezen en "
                                 "tellen niet mee.")]),
    ]
    if ctx.p is not None:
        per_region = ctx.p["validation"]["per_region"]
        last = len(per_region)
        grid = ctx.grid("validatie_regio", [row["caw"] for row in per_region],
                         [[row["valid"] for row in per_region],
                          [row["quarantined"] for row in per_region]], percent="row",
                         facts={(last, 0): "counts.rows_valid",
                                (last, 1): "counts.rows_quarantined",
                                (last, 2): "counts.rows_in"})
        table_rows = [[ctx.region(row["caw"]), grid.count(i, 0), grid.count(i, 1),
                       grid.count(i, 2), grid.share(i, 1)]
                      for i, row in enumerate(per_region)]
        last = len(per_region)
        table_rows.append([ctx.t("Totaal"), grid.count(last, 0), grid.count(last, 1),
                           grid.count(last, 2), grid.share(last, 1)])
        blocks.append(ctx.table(
            "validatie_regio", ctx.t("Geldige rijen en rijen in quarantaine per CAW-regio"),
            [ctx.t("CAW-regio"), ctx.t("Geldig"), ctx.t("Quarantaine"),
             ctx.t("Rijen in"), ctx.t("Aandeel in quarantaine")], table_rows,
            grids=[grid], total_rows=1,
            n=ctx.n_line(counts.get("rows_in"), N_("n = %(n)s rijen"),
                          fact="counts.rows_in"),
            notes=[ctx.t("Een rij in quarantaine telt bij de regio die ze vermeldt; een "
                          "ontbrekende of onbekende regiocode staat onder 'Onbekende of "
                          "ongeldige regio'.")]))
    if rules:
        names = list(rules)
        grid = ctx.grid("validatie_regels", names, [[rules[k] for k in names]],
                         row_total=False, col_total=False)
        blocks.append(ctx.table(
            "validatie_regels", ctx.t("Rijen in quarantaine per gebroken regel"),
            [ctx.t("Regel"), ctx.t("Betekenis"), ctx.t("Rijen")],
            [[name, ctx.rule(name), grid.count(i, 0)] for i, name in enumerate(names)],
            numeric=[False, False, True], grids=[grid],
            n=ctx.n_line(counts.get("rows_quarantined"),
                          N_("n = %(n)s rijen in quarantaine"),
                          fact="counts.rows_quarantined"),
            notes=[ctx.t("Een rij die meer dan één regel breekt, telt bij elke regel; "
                          "de kolommen tellen daarom niet op tot het aantal rijen in "
                          "quarantaine.")]))
    if rejected:
        blocks.append(ctx.table(
            "geweigerd", ctx.t("Geweigerde bestanden"),
            [ctx.t("Bestand"), ctx.t("Reden")],
            [[f["bestand"], ctx.file_rule(f.get("regel"))] for f in rejected],
            numeric=[False, False],
            n=ctx.n_line(len(rejected), N_("n = %(n)s geweigerde bestanden")),
            notes=[ctx.t("Van een geweigerd bestand wordt niets bewaard; de CAW kreeg een "
                          "melding met bestand, kolom en regel.")]))
    return blocks


def methods_definitions(ctx: Context) -> list[Block]:
    counts = ctx.r.get("counts", {})
    valid = counts.get("rows_valid", 0)
    closed, open_ = counts.get("closed", 0), counts.get("open_at_cutoff", 0)
    out = counts.get("out_of_scope", 0)
    before = max(valid - closed - open_ - out, 0)
    grid = ctx.grid("status", ["before", "closed", "open", "out"],
                     [[before, closed, open_, out]], row_total=False, percent="col",
                     facts={(1, 0): "counts.closed", (2, 0): "counts.open_at_cutoff",
                            (4, 0): "counts.rows_valid"},
                     extra=lambda spec: spec.total(
                         "active", [(1, 0), (2, 0)],
                         fact=ctx.ck.fact("counts.active", closed + open_)))
    labels = [ctx.t("Afgesloten vóór %(year)s") % {"year": ctx.year},
              ctx.t("Afgesloten in %(year)s") % {"year": ctx.year},
              ctx.t("Open op de peildatum"),
              ctx.t("Gestart na de peildatum (buiten het jaar)")]
    rows = [[label, grid.count(i, 0), grid.share(i, 0)] for i, label in enumerate(labels)]
    rows.append([ctx.t("Geldige rijen"), grid.count(4, 0), grid.share(4, 0)])
    active = grid.published["active"].text(ctx.num)
    return [paragraph(markup(ctx.t(
                'Registratiejaar %(year)s loopt tot de peildatum %(cutoff)s. De opvolging wordt '
                'op de peildatum afgekapt: een afsluiting na de peildatum telt als nog open, en '
                'een traject dat na de peildatum start, valt buiten het jaar. Zo geeft een '
                'latere herberekening van het jaar, met latere gegevens erbij, hetzelfde '
                'resultaat.'), year=ctx.year,
                cutoff=fmt.long_date(ctx.r["cutoff"], ctx.lang))),
            definitions([(markup(ctx.t(term)), markup(ctx.t(text), **values)) for term, text,
                         values in [
                (N_('Actief in het jaar'),
                 N_('Gestart uiterlijk op de peildatum en open op de peildatum of in het jaar '
                    'afgesloten (%(n)s trajecten).'), {"n": active}),
                (N_('Afgesloten in het jaar'), N_('De datum van afsluiting valt in het jaar.'),
                 {}),
                (N_('Duur tot afsluiting'),
                 N_('Dagen van de start tot de afsluiting, of tot de peildatum voor een traject '
                    'dat nog loopt (gecensureerd). Alle trajecten die uiterlijk op de peildatum '
                    'startten, tellen mee, ook die van vorige jaren.'), {}),
                (N_('Uitkomst van de afsluiting'),
                 N_('Vermeden (uithuiszetting vermeden = ja), uithuisgezet (reden van '
                    'afsluiting = uithuisgezet) of een andere afsluiting.'), {}),
                (N_('Uithuiszetting vermeden'),
                 N_("Onder de in het jaar afgesloten trajecten met ja of nee; 'onbekend' telt "
                    "niet mee."), {}),
                (N_('Cliënten per VTE'),
                 N_('Actieve trajecten gedeeld door de VTE van de regio, gemiddeld over het '
                    'jaar. Een huishouden met twee trajecten in het jaar telt twee keer.'), {}),
                (N_('Caseload per VTE'),
                 N_('Het gemiddeld aantal gelijktijdig open trajecten over het jaar (de som van '
                    'de open dagen gedeeld door het aantal dagen), gedeeld door de VTE.'), {}),
            ]]),
            ctx.table("status", ctx.t("Geldige trajecten naar hun stand op de peildatum"),
                       [ctx.t("Stand"), ctx.t("Aantal"), ctx.t("Aandeel")], rows,
                       grids=[grid], total_rows=1,
                       n=ctx.n_line(valid, N_("n = %(n)s geldige rijen"),
                                     fact="counts.rows_valid"),
                       notes=[ctx.t("Actief in het jaar = afgesloten in het jaar + open op "
                                     "de peildatum.")])]


def methods_software(ctx: Context) -> list[Block]:
    rows = [[name, version] for name, version in ctx.software.items()]
    if not rows:
        return [ctx.para(ctx.t("De softwareversies werden niet doorgegeven."))]
    return [paragraph(markup(ctx.t(
                'De berekeningen gebeuren met pwb, in Python. %(table)s geeft de versies van de '
                'gebruikte pakketten. Met dezelfde invoer, instellingen en versies maakt pwb '
                'hetzelfde rapport, op het tijdstip van aanmaak onderaan na.'),
                table=link("software"))),
            ctx.table("software", ctx.t("Softwareversies van deze run"),
                       [ctx.t("Pakket"), ctx.t("Versie")], rows, numeric=[False, False],
                       source=N_("Bron: de Python-omgeving van deze run."))]


def build(ctx: Context) -> Chapter:
    return Chapter("methode", ctx.t("Gegevens en methode"), chapter_methods(ctx))
