"""docs/registratieformaat.md and the templates docs/voorbeeld/registratie.{csv,xlsx},
generated from the contract (pipeline.contract).

Why generated: the columns, codes, ranges, row rules and their Dutch messages are defined
once, in the contract that ingest and validation enforce; a hand-written copy for the CAW
staff would drift. `python -m pipeline.formatdoc` (`make docs`) writes the file;
tests/test_docs.py fails when the file and the contract differ.

The prose around the tables (how to fill a closure, what happens to a bad row or file)
is written here, in Dutch, for the people who deliver the files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import polars as pl

from pipeline.contract import (
    BY_NAME,
    COLUMNS,
    FALSE_WORDS,
    FIRST_PROJECT_DATE,
    FORMAT_VERSION,
    PSEUDONYMISED_COLUMNS,
    ROW_RULES,
    TRUE_WORDS,
    ColumnSpec,
    FileRule,
    Kind,
    Need,
)
from pipeline.ingest import CSV_SUFFIXES, PARQUET_SUFFIXES, PREFERRED_SHEET, XLSX_SUFFIXES
from pipeline.privacy import IDENTIFIER_HEADERS

PROJECT = Path(__file__).resolve().parents[1]
TARGET = PROJECT / "docs" / "registratieformaat.md"
EXAMPLES = PROJECT / "docs" / "voorbeeld"
REGIONS = Path(__file__).resolve().parent / "reference" / "caw_regios.csv"

NEED = {Need.REQUIRED: "altijd", Need.WHEN_CLOSED: "bij afsluiting", Need.OPTIONAL: "nee"}

# What a CAW worker reads about each file rule: when it applies and what to do.
FILE_RULES = {
    FileRule.UNREADABLE: "Het bestand kan niet gelezen worden: een andere tekenset dan "
                         "UTF-8 of Windows-1252, een ander scheidingsteken dan `,` of `;`, "
                         "een aanhalingsteken dat nooit sluit, rijen met meer velden dan de "
                         "kopregel, een beschadigd werkboek. Sla het bestand opnieuw op als "
                         "CSV (UTF-8) of XLSX.",
    FileRule.MISSING_COLUMN: "Een verplichte kolom ontbreekt in de kopregel. Voeg de kolom "
                             "toe, met precies de naam uit de tabel hierboven.",
    FileRule.DUPLICATE_HEADER: "Twee kolommen hebben dezelfde naam (hoofdletters, accenten "
                               "en spaties rond de naam tellen niet mee). Geef elke kolom "
                               "een eigen naam.",
    FileRule.PERSONAL_DATA: "Het bestand bevat persoonsgegevens: zie hieronder. Verwijder ze "
                            "en lever het bestand opnieuw aan.",
    FileRule.UNSUPPORTED: "Het bestandstype wordt niet aanvaard (bij `pwb validate`; in een "
                          "leveringsmap wordt zo'n bestand overgeslagen). Sla op als CSV, "
                          "XLSX of Parquet.",
    FileRule.EMPTY: "Het bestand heeft geen kopregel (het is leeg). Lever een bestand met "
                    "de kopregel en minstens één rij.",
}


def _suffixes(suffixes: set[str]) -> str:
    return ", ".join(f"`{s}`" for s in sorted(suffixes))


def _not_before() -> dict[str, str]:
    """Column -> the column it may not be smaller than (the pair rules of the contract)."""
    return {r.expectation_kwargs["column_A"]: r.expectation_kwargs["column_B"]
            for r in ROW_RULES
            if r.expectation_type == "expect_column_pair_values_a_to_be_greater_than_b"}


def _allowed(column: ColumnSpec) -> str:
    """The values a column accepts, in words."""
    text = _values(column)
    earlier = _not_before().get(column.name)
    if earlier:
        text += (f"; niet vóór `{earlier}`" if column.kind is Kind.DATE
                 else f"; minstens `{earlier}`")
    if column.name == "datum_afsluiting":
        text += "; leeg = het traject loopt nog"
    return text


def _values(column: ColumnSpec) -> str:
    if column.codes:
        return ", ".join(f"`{code}`" for code in column.codes)
    if column.kind is Kind.BOOL:
        return "`ja` of `nee`"
    if column.kind is Kind.DATE:
        return f"een datum vanaf {FIRST_PROJECT_DATE:%d/%m/%Y}, niet in de toekomst"
    if column.form:
        return column.form
    lo, hi = column.minimum, column.maximum
    if lo is not None and hi is not None:
        return f"{lo:g} tot en met {hi:g}"
    if lo is not None:
        return f"{lo:g} of meer"
    if column.name in PSEUDONYMISED_COLUMNS:
        return "vrije code; wordt bij het inlezen vervangen door een pseudoniem"
    return "vrije tekst (een code, geen naam)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _columns_table() -> list[str]:
    lines = ["| kolom | verplicht | soort | betekenis | toegelaten waarden |",
             "|---|---|---|---|---|"]
    for c in COLUMNS:
        lines.append(f"| `{c.name}` | {NEED[c.need]} | {c.kind.value} | {_cell(c.label)} | "
                     f"{_cell(_allowed(c))} |")
    return lines


def _rules_table() -> list[str]:
    lines = ["| regel | wat is er mis (de melding in `quarantaine.csv`) |", "|---|---|"]
    lines += [f"| `{rule.name}` | {_cell(rule.message)} |" for rule in ROW_RULES]
    return lines


def _regions_table() -> list[str]:
    regions = pl.read_csv(REGIONS, columns=["caw", "naam"])
    lines = ["| code | CAW-regio |", "|---|---|"]
    lines += [f"| `{code}` | {_cell(name)} |" for code, name in regions.iter_rows()]
    return lines


def registration_format_markdown() -> str:
    """The whole of docs/registratieformaat.md."""
    closure = [c for c in COLUMNS if c.need is Need.WHEN_CLOSED]
    closure_names = ", ".join(f"`{c.name}`" for c in closure)
    reasons = ", ".join(f"`{code}`" for code in BY_NAME["afsluitreden"].codes)
    true_words = ", ".join(f"`{w}`" for w in TRUE_WORDS if w != "1.0")
    false_words = ", ".join(f"`{w}`" for w in FALSE_WORDS if w != "0.0")
    identifiers = ", ".join(f"`{h}`" for h in IDENTIFIER_HEADERS)
    parts = [
        f"# Registratieformaat preventieve woonbegeleiding (versie {FORMAT_VERSION})",
        "",
        "<!-- Gegenereerd uit pipeline/contract.py met `make docs` "
        "(python -m pipeline.formatdoc). Niet met de hand bewerken: een test vergelijkt "
        "dit bestand met het contract. -->",
        "",
        "Voor wie bij een CAW de registraties aanlevert. Eén rij is één begeleidings"
        "traject (begeleidingsdossier) van preventieve woonbegeleiding voor één "
        "huurdersgezin. Controleer een bestand vóór het versturen met `pwb validate BESTAND`: "
        "dat toont per bestand en per rij wat er mis is. Een voorbeeld om van te vertrekken: "
        "[voorbeeld/registratie.csv](voorbeeld/registratie.csv) en "
        "[voorbeeld/registratie.xlsx](voorbeeld/registratie.xlsx).",
        "",
        "## Bestanden",
        "",
        f"- **Soorten**: CSV ({_suffixes(CSV_SUFFIXES)}), Excel-werkboek "
        f"({_suffixes(XLSX_SUFFIXES)}; het blad `{PREFERRED_SHEET}`, anders het eerste blad) "
        f"en Parquet ({_suffixes(PARQUET_SUFFIXES)}). Andere bestanden in een leveringsmap "
        "worden overgeslagen en gemeld.",
        "- **CSV**: UTF-8 (met of zonder BOM) of Windows-1252; scheidingsteken `,` of `;` "
        "(wordt herkend); decimale komma mag (`1.234,50` en `1234,50`); velden met een "
        "scheidingsteken of een regeleinde tussen aanhalingstekens.",
        "- **Datums**: `2012-03-15`, `15/03/2012` of `15-03-2012`; in Excel een "
        "datumcel. Een andere schrijfwijze wordt niet geraden: de rij gaat in quarantaine.",
        f"- **Ja/nee**: ja = {true_words}; nee = {false_words} (hoofdletters maken niet uit).",
        "- **Codes** worden zonder onderscheid van hoofdletters herkend; `caw` en "
        "`verhuurder_type` in hoofdletters, de andere in kleine letters.",
        "- **Kolomnamen**: hoofdletters en spaties rond de naam tellen niet mee; de volgorde "
        "van de kolommen is vrij. Een kolom die niet in de tabel staat, geeft een "
        "waarschuwing en wordt niet bewaard (behalve een kolom met persoonsgegevens: dan "
        "wordt het hele bestand geweigerd).",
        "- **Meerdere bestanden** per jaar en per CAW mogen. Hetzelfde `dossier_id` van "
        "dezelfde `caw` in twee rijen (ook in twee bestanden) is een conflict: alle "
        "exemplaren gaan in quarantaine, er wordt niets overschreven.",
        "",
        "## Kolommen",
        "",
        "Verplicht: *altijd* = in elke rij ingevuld; *bij afsluiting* = ingevuld als en "
        "alleen als `datum_afsluiting` ingevuld is; *nee* = mag leeg blijven.",
        "",
        *_columns_table(),
        "",
        "`dossier_id`, `client_id` en `begeleider_id` zijn codes van uw eigen systeem, "
        "geen namen. Ze worden bij het inlezen vervangen door een pseudoniem (een met een "
        "geheime sleutel berekende hash) en nergens bewaard zoals ze aangeleverd zijn. "
        "Gebruik voor dezelfde cliënt elk jaar dezelfde `client_id`: zo wordt een nieuwe "
        "aanmelding (herval) herkend.",
        "",
        "### CAW-regio's (`caw`)",
        "",
        *_regions_table(),
        "",
        "## Een afsluiting invullen",
        "",
        f"Een traject is afgesloten zodra `datum_afsluiting` ingevuld is. Vul dan ook "
        f"{closure_names} in; bij een traject dat nog loopt blijven die kolommen leeg.",
        "",
        f"- `afsluitreden`: waarom de begeleiding stopte ({reasons}).",
        "- `handelingsdoelen`: in welke mate de doelen van het handelingsplan bereikt zijn.",
        "- `uithuiszetting_vermeden`: `ja` als een uithuiszetting vermeden werd, `nee` als "
        "dat niet lukte, `onbekend` als het bij de afsluiting niet bekend is.",
        "- Is de reden `uithuisgezet`, dan is `uithuiszetting_vermeden` altijd `nee`.",
        "- De datums volgen elkaar op: `datum_aanmelding` ≤ `datum_start` ≤ "
        "`datum_afsluiting`.",
        "- `nazorg` (optioneel): of er bij de afsluiting nazorg is afgesproken.",
        "",
        "## Wat er met een foute rij gebeurt",
        "",
        "Een rij die een regel breekt, gaat **in quarantaine**: ze telt niet mee in de "
        "evaluatie, en `quarantaine.csv` (en `pwb validate`) toont het bestand, het "
        "regelnummer, de gebroken regel(s) en de melding hieronder, nooit de waarde zelf. "
        "De andere rijen van het bestand worden gewoon gebruikt. Niets gaat verloren: "
        "rijen in = geldige rijen + rijen in quarantaine, en het rapport toont die "
        "telling. Verbeter de rij in uw systeem en lever het bestand opnieuw aan.",
        "",
        "Geen fout maar een waarschuwing: een `verhuurder_id` of `gemeente_nis` die de "
        "referentietabellen (nog) niet kennen, en een geheel getal of ja/nee dat Excel als "
        "`1.0` bewaarde.",
        "",
        *_rules_table(),
        "",
        "## Wat er met een fout bestand gebeurt",
        "",
        "Sommige fouten gelden voor het hele bestand: dan wordt het **geweigerd**, er wordt "
        "niets van bewaard, en de melding noemt het bestand, de kolom en een voorbeeldregel "
        "(nooit een waarde).",
        "",
        "| regel | wanneer, en wat te doen |",
        "|---|---|",
        *[f"| `{rule.value}` | {_cell(FILE_RULES[rule])} |" for rule in FileRule],
        "",
        "**Persoonsgegevens** horen niet in de registratie. Een bestand wordt geweigerd "
        "als een kolomnaam op een directe identificatie wijst (zoals "
        f"{identifiers}), of als een cel een geldig rijksregisternummer (11 cijfers, met "
        "of zonder `.` en `-`, met geldige controle), een e-mailadres, een telefoonnummer "
        "of een IBAN-rekeningnummer bevat. Cliëntinformatie wordt behandeld volgens de "
        "sectorafspraken over cliëntinformatie; de verwerking maakt het onmogelijk om "
        "identiteiten in haar bestanden of rapporten mee te nemen.",
        "",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------- templates

D = dt.date
# Four made-up trajectories (codes, not names): a closure with eviction avoided, one still
# open (closure columns empty), an eviction (so `nee`), and an unknown outcome.
EXAMPLE_ROWS: tuple[dict[str, object], ...] = (
    {"dossier_id": "DOS0001", "client_id": "CL0001", "caw": "OVL", "begeleider_id": "BG01",
     "verhuurder_type": "SHM", "verhuurder_id": "", "gemeente_nis": "44021",
     "datum_aanmelding": D(2013, 1, 14), "datum_start": D(2013, 1, 28),
     "datum_afsluiting": D(2013, 9, 30), "aanmelder": "shm", "probleem_huurachterstand": True,
     "probleem_onderhoud": False, "probleem_samenleven": False, "huurachterstand_eur": 1234.5,
     "procedure_gestart": False, "gezinstype": "eenoudergezin", "aantal_kinderen": 2,
     "leeftijd": 34, "geslacht": "v", "inkomensbron": "leefloon", "schuldbemiddeling": True,
     "aantal_huisbezoeken": 6, "aantal_contacten": 15, "doorverwezen": False,
     "afsluitreden": "doelen_bereikt", "handelingsdoelen": "bereikt",
     "uithuiszetting_vermeden": "ja", "nazorg": True},
    {"dossier_id": "DOS0002", "client_id": "CL0002", "caw": "OVL", "begeleider_id": "BG02",
     "verhuurder_type": "SVK", "verhuurder_id": "", "gemeente_nis": "",
     "datum_aanmelding": D(2013, 6, 3), "datum_start": D(2013, 6, 17), "datum_afsluiting": None,
     "aanmelder": "svk", "probleem_huurachterstand": True, "probleem_onderhoud": True,
     "probleem_samenleven": False, "huurachterstand_eur": None, "procedure_gestart": True,
     "gezinstype": "alleenstaand", "aantal_kinderen": 0, "leeftijd": 58, "geslacht": "m",
     "inkomensbron": "ziekte_invaliditeit", "schuldbemiddeling": None,
     "aantal_huisbezoeken": 3, "aantal_contacten": 7, "doorverwezen": None,
     "afsluitreden": None, "handelingsdoelen": None, "uithuiszetting_vermeden": None,
     "nazorg": None},
    {"dossier_id": "DOS0003", "client_id": "CL0003", "caw": "OVL", "begeleider_id": "BG01",
     "verhuurder_type": "SHM", "verhuurder_id": "", "gemeente_nis": "44021",
     "datum_aanmelding": D(2012, 11, 5), "datum_start": D(2012, 11, 12),
     "datum_afsluiting": D(2013, 4, 2), "aanmelder": "ocmw", "probleem_huurachterstand": True,
     "probleem_onderhoud": False, "probleem_samenleven": True, "huurachterstand_eur": 3400.0,
     "procedure_gestart": True, "gezinstype": "koppel_met_kinderen", "aantal_kinderen": 3,
     "leeftijd": 41, "geslacht": "x", "inkomensbron": "werkloosheid",
     "schuldbemiddeling": False, "aantal_huisbezoeken": 2, "aantal_contacten": 9,
     "doorverwezen": True, "afsluitreden": "uithuisgezet", "handelingsdoelen": "niet_bereikt",
     "uithuiszetting_vermeden": "nee", "nazorg": False},
    {"dossier_id": "DOS0004", "client_id": "", "caw": "OVL", "begeleider_id": "",
     "verhuurder_type": "SVK", "verhuurder_id": "", "gemeente_nis": "",
     "datum_aanmelding": D(2013, 2, 20), "datum_start": D(2013, 3, 4),
     "datum_afsluiting": D(2013, 5, 31), "aanmelder": "huurder",
     "probleem_huurachterstand": False, "probleem_onderhoud": True,
     "probleem_samenleven": False, "huurachterstand_eur": None, "procedure_gestart": False,
     "gezinstype": "andere", "aantal_kinderen": None, "leeftijd": 67, "geslacht": None,
     "inkomensbron": "pensioen", "schuldbemiddeling": None, "aantal_huisbezoeken": None,
     "aantal_contacten": None, "doorverwezen": None, "afsluitreden": "voortijdig_gestopt",
     "handelingsdoelen": "gedeeltelijk", "uithuiszetting_vermeden": "onbekend",
     "nazorg": None},
)


def _text(value: object) -> str:
    """A cell as a Flemish spreadsheet writes it: 15/03/2013, ja/nee, decimal comma."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


def example_csv() -> str:
    """docs/voorbeeld/registratie.csv: `;`, Belgian dates, decimal comma (as Excel on a
    Flemish desktop saves 'CSV (puntkomma)'); every column of the contract, in its order."""
    lines = [";".join(c.name for c in COLUMNS)]
    lines += [";".join(_text(row[c.name]) for c in COLUMNS) for row in EXAMPLE_ROWS]
    return "\r\n".join(lines) + "\r\n"


def write_example_xlsx(path: Path) -> Path:
    """docs/voorbeeld/registratie.xlsx: a sheet `registratie` with date cells, ja/nee text
    and numbers; a fixed creation date, so the file changes only when the contract does."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    book.set_properties({"created": dt.datetime(2013, 1, 1)})
    sheet = book.add_worksheet(PREFERRED_SHEET)
    bold = book.add_format({"bold": True})
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    for j, column in enumerate(COLUMNS):
        sheet.write_string(0, j, column.name, bold)
        sheet.set_column(j, j, max(12, len(column.name) + 2))
        for i, row in enumerate(EXAMPLE_ROWS, start=1):
            value = row[column.name]
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_string(i, j, "ja" if value else "nee")
            elif isinstance(value, dt.date):
                sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), dates)
            elif isinstance(value, int | float):
                sheet.write_number(i, j, value)
            else:
                sheet.write_string(i, j, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="docs/registratieformaat.md uit het contract")
    parser.add_argument("--check", action="store_true",
                        help="niet schrijven; exit 1 als het bestand afwijkt van het contract")
    args = parser.parse_args(argv)
    texts = {TARGET: registration_format_markdown(), EXAMPLES / "registratie.csv": example_csv()}
    if args.check:
        stale = [p for p, text in texts.items()
                 if not p.is_file() or p.read_bytes() != text.encode("utf-8")]
        for path in stale:
            print(f"{path} wijkt af van het contract: make docs")
        return 1 if stale else 0
    for path, text in texts.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        print(f"geschreven: {path}")
    print(f"geschreven: {write_example_xlsx(EXAMPLES / 'registratie.xlsx')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
