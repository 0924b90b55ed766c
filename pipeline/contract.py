"""The registration format v1, defined once.

Columns, types, codes and ranges; the row rules (each with its Great
Expectations expectation *and* its polars expression, side by side, so the two
cannot drift apart unnoticed: tests/test_validation.py runs both on the same
rows); the file rules and every Dutch message a CAW worker gets to read.

Messages never repeat a cell's value: a value in the wrong column may be a name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

FORMAT_VERSION = "1"
FIRST_PROJECT_DATE = dt.date(2002, 1, 1)
RUN_DATE_PARAMETER = "rundatum"  # GX suite parameter: "no date in the future"
RAW_SUFFIX = "__ruw"  # validation frame: the cell as delivered, next to its typed value
SOURCE_FILE = "bron_bestand"
SOURCE_LINE = "bron_regel"
ROW_ID = "rij_id"


class Kind(StrEnum):
    TEXT = "tekst"
    CODE = "code"
    DATE = "datum"
    BOOL = "ja/nee"
    INT = "geheel getal"
    NUMBER = "getal"


class Need(StrEnum):
    REQUIRED = "R"
    WHEN_CLOSED = "C"
    OPTIONAL = "O"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    need: Need
    kind: Kind
    label: str
    codes: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None  # a text code's form, e.g. the 5 digits of a NIS code
    form: str | None = None  # the pattern in words, for the message

    @property
    def raw(self) -> str:
        return self.name + RAW_SUFFIX

    @property
    def parsed(self) -> bool:
        """Whether ingest turns the text into another type (and so can fail to)."""
        return self.kind in (Kind.DATE, Kind.BOOL, Kind.INT, Kind.NUMBER)

    @property
    def upper_case(self) -> bool:
        """CAW region and landlord type codes are upper case; the other codes lower case."""
        return self.name in ("caw", "verhuurder_type")


R, C, O = Need.REQUIRED, Need.WHEN_CLOSED, Need.OPTIONAL  # noqa: E741 (the format's letters)

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("dossier_id", R, Kind.TEXT, "dossiernummer"),
    ColumnSpec("client_id", O, Kind.TEXT, "cliëntcode"),
    ColumnSpec("caw", R, Kind.CODE, "CAW-regio",
               ("OVL", "BMK", "PMW", "DV", "LH", "MTM", "KEM", "WH", "LIM", "BRU")),
    ColumnSpec("begeleider_id", O, Kind.TEXT, "begeleidercode"),
    ColumnSpec("verhuurder_type", R, Kind.CODE, "type verhuurder", ("SHM", "SVK")),
    ColumnSpec("verhuurder_id", O, Kind.TEXT, "verhuurdercode"),
    ColumnSpec("gemeente_nis", O, Kind.TEXT, "NIS-code van de gemeente",
               pattern=r"^[0-9]{5}$", form="5 cijfers, bijvoorbeeld 44021"),
    ColumnSpec("datum_aanmelding", R, Kind.DATE, "datum van aanmelding"),
    ColumnSpec("datum_start", R, Kind.DATE, "startdatum van de begeleiding"),
    ColumnSpec("datum_afsluiting", O, Kind.DATE, "datum van afsluiting"),
    ColumnSpec("aanmelder", R, Kind.CODE, "aanmelder",
               ("shm", "svk", "ocmw", "caw", "politie", "huurder", "andere")),
    ColumnSpec("probleem_huurachterstand", R, Kind.BOOL, "probleem huurachterstand"),
    ColumnSpec("probleem_onderhoud", R, Kind.BOOL, "probleem onderhoud woning"),
    ColumnSpec("probleem_samenleven", R, Kind.BOOL, "probleem samenleven"),
    ColumnSpec("huurachterstand_eur", O, Kind.NUMBER, "huurachterstand in euro", minimum=0),
    ColumnSpec("procedure_gestart", R, Kind.BOOL, "uithuiszettingsprocedure gestart"),
    ColumnSpec("gezinstype", R, Kind.CODE, "gezinstype",
               ("alleenstaand", "eenoudergezin", "koppel_zonder_kinderen",
                "koppel_met_kinderen", "andere")),
    ColumnSpec("aantal_kinderen", O, Kind.INT, "aantal kinderen", minimum=0, maximum=15),
    ColumnSpec("leeftijd", R, Kind.INT, "leeftijd", minimum=16, maximum=110),
    ColumnSpec("geslacht", O, Kind.CODE, "geslacht", ("m", "v", "x")),
    ColumnSpec("inkomensbron", R, Kind.CODE, "inkomensbron",
               ("arbeid", "werkloosheid", "ziekte_invaliditeit", "pensioen", "leefloon",
                "geen", "andere")),
    ColumnSpec("schuldbemiddeling", O, Kind.BOOL, "schuldbemiddeling"),
    ColumnSpec("aantal_huisbezoeken", O, Kind.INT, "aantal huisbezoeken", minimum=0),
    ColumnSpec("aantal_contacten", O, Kind.INT, "aantal contacten", minimum=0),
    ColumnSpec("doorverwezen", O, Kind.BOOL, "doorverwezen"),
    ColumnSpec("afsluitreden", C, Kind.CODE, "reden van afsluiting",
               ("doelen_bereikt", "voortijdig_gestopt", "verhuisd", "uithuisgezet",
                "doorverwezen", "overleden", "andere")),
    ColumnSpec("handelingsdoelen", C, Kind.CODE, "handelingsdoelen",
               ("bereikt", "gedeeltelijk", "niet_bereikt")),
    ColumnSpec("uithuiszetting_vermeden", C, Kind.CODE, "uithuiszetting vermeden",
               ("ja", "nee", "onbekend")),
    ColumnSpec("nazorg", O, Kind.BOOL, "nazorg afgesproken"),
)

BY_NAME: dict[str, ColumnSpec] = {c.name: c for c in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.need is R)
PSEUDONYMISED_COLUMNS: tuple[str, ...] = ("dossier_id", "client_id", "begeleider_id")

TRUE_WORDS = ("ja", "j", "1", "true", "waar", "1.0")
FALSE_WORDS = ("nee", "n", "0", "false", "onwaar", "0.0")

POLARS_TYPES: dict[Kind, pl.DataType] = {
    Kind.TEXT: pl.String(),
    Kind.CODE: pl.String(),
    Kind.DATE: pl.Date(),
    Kind.BOOL: pl.Boolean(),
    Kind.INT: pl.Int64(),
    Kind.NUMBER: pl.Float64(),
}


def schema() -> dict[str, pl.DataType]:
    """The typed schema of the valid registrations (before the source columns)."""
    return {c.name: POLARS_TYPES[c.kind] for c in COLUMNS}


# --------------------------------------------------------------------------- row rules


@dataclass(frozen=True)
class RowRule:
    """One row rule: its name, its Dutch message, its GX expectation and polars twin.

    `violated` is True where a row breaks the rule (null counts as not broken),
    evaluated on the validation frame: typed columns under their own names,
    the delivered text of parsed columns under `<name>__ruw`.
    """

    name: str
    message: str
    columns: tuple[str, ...]
    expectation_type: str
    expectation_kwargs: dict[str, Any] = field(hash=False)
    violated: pl.Expr = field(hash=False, compare=False)


def _present(column: ColumnSpec) -> pl.Expr:
    return pl.col(column.raw if column.parsed else column.name).is_not_null()


def _present_column_name(column: ColumnSpec) -> str:
    return column.raw if column.parsed else column.name


def _row_rules() -> tuple[RowRule, ...]:
    rules: list[RowRule] = []
    closed = BY_NAME["datum_afsluiting"].raw
    for col in COLUMNS:
        present_name = _present_column_name(col)
        if col.need is R:
            rules.append(RowRule(
                f"verplicht:{col.name}",
                f"De kolom '{col.name}' ({col.label}) is verplicht maar is leeg.",
                (col.name,),
                "expect_column_values_to_not_be_null",
                {"column": present_name},
                ~_present(col),
            ))
        if col.need is C:
            rules.append(RowRule(
                f"afsluiting_ontbreekt:{col.name}",
                f"Het dossier is afgesloten (er is een datum van afsluiting), maar de kolom "
                f"'{col.name}' ({col.label}) is leeg. Vul die in bij elke afsluiting.",
                (col.name, "datum_afsluiting"),
                "expect_column_values_to_not_be_null",
                {"column": col.name, "row_condition": ("not_null", closed)},
                pl.col(closed).is_not_null() & pl.col(col.name).is_null(),
            ))
            rules.append(RowRule(
                f"afsluiting_bij_open_dossier:{col.name}",
                f"Het dossier is nog open (geen datum van afsluiting), maar de kolom "
                f"'{col.name}' ({col.label}) is ingevuld. Vul de datum van afsluiting in, "
                f"of maak deze kolom leeg.",
                (col.name, "datum_afsluiting"),
                "expect_column_values_to_be_null",
                {"column": col.name, "row_condition": ("null", closed)},
                pl.col(closed).is_null() & pl.col(col.name).is_not_null(),
            ))
        if col.parsed:
            how = {
                Kind.DATE: "geen geldige datum (gebruik 2012-03-15, 15/03/2012 of 15-03-2012)",
                Kind.BOOL: "geen geldige ja/nee-waarde (gebruik ja of nee)",
                Kind.INT: "geen geheel getal",
                Kind.NUMBER: "geen getal (gebruik bijvoorbeeld 1234,50)",
            }[col.kind]
            rules.append(RowRule(
                f"onleesbaar:{col.name}",
                f"De waarde in kolom '{col.name}' ({col.label}) is {how}.",
                (col.name,),
                "expect_column_values_to_not_be_null",
                {"column": col.name, "row_condition": ("not_null", col.raw)},
                pl.col(col.raw).is_not_null() & pl.col(col.name).is_null(),
            ))
        if col.kind is Kind.CODE:
            listed = ", ".join(col.codes)
            rules.append(RowRule(
                f"code:{col.name}",
                f"De waarde in kolom '{col.name}' ({col.label}) is geen toegelaten code. "
                f"Toegelaten: {listed}.",
                (col.name,),
                "expect_column_values_to_be_in_set",
                {"column": col.name, "value_set": list(col.codes)},
                pl.col(col.name).is_not_null() & ~pl.col(col.name).is_in(list(col.codes)),
            ))
        if col.pattern is not None:
            rules.append(RowRule(
                f"formaat:{col.name}",
                f"De waarde in kolom '{col.name}' ({col.label}) heeft niet de vorm van "
                f"een code ({col.form}).",
                (col.name,),
                "expect_column_values_to_match_regex",
                {"column": col.name, "regex": col.pattern},
                pl.col(col.name).is_not_null() & ~pl.col(col.name).str.contains(col.pattern),
            ))
        if col.minimum is not None or col.maximum is not None:
            lo, hi = col.minimum, col.maximum
            if hi is None:
                what = f"mag niet kleiner zijn dan {lo:g}"
            else:
                what = f"moet tussen {lo:g} en {hi:g} liggen"
            broken = pl.lit(False)
            if lo is not None:
                broken = broken | (pl.col(col.name) < lo)
            if hi is not None:
                broken = broken | (pl.col(col.name) > hi)
            rules.append(RowRule(
                f"bereik:{col.name}",
                f"De waarde in kolom '{col.name}' ({col.label}) {what}.",
                (col.name,),
                "expect_column_values_to_be_between",
                {"column": col.name, "min_value": lo, "max_value": hi},
                broken.fill_null(False),
            ))
        if col.kind is Kind.DATE:
            rules.append(RowRule(
                f"datumbereik:{col.name}",
                f"De datum in kolom '{col.name}' ({col.label}) ligt in de toekomst of vóór "
                f"{FIRST_PROJECT_DATE:%d/%m/%Y} (de eerste projecten).",
                (col.name,),
                "expect_column_values_to_be_between",
                {"column": col.name, "min_value": f"{FIRST_PROJECT_DATE.isoformat()}T00:00:00",
                 "max_value": {"$PARAMETER": RUN_DATE_PARAMETER}},
                ((pl.col(col.name) < FIRST_PROJECT_DATE)
                 | (pl.col(col.name) > pl.col(RUN_DATE_PARAMETER))).fill_null(False),
            ))

    def not_before(later: str, earlier: str, name: str, message: str) -> RowRule:
        return RowRule(
            name, message, (later, earlier),
            "expect_column_pair_values_a_to_be_greater_than_b",
            {"column_A": later, "column_B": earlier, "or_equal": True,
             "ignore_row_if": "either_value_is_missing"},
            (pl.col(later) < pl.col(earlier)).fill_null(False),
        )

    rules += [
        not_before("datum_start", "datum_aanmelding", "volgorde:datum_start",
                   "De startdatum ligt vóór de datum van aanmelding."),
        not_before("datum_afsluiting", "datum_start", "volgorde:datum_afsluiting",
                   "De datum van afsluiting ligt vóór de startdatum."),
        not_before("aantal_contacten", "aantal_huisbezoeken", "contacten_huisbezoeken",
                   "Er zijn minder contacten dan huisbezoeken geregistreerd "
                   "(elk huisbezoek is ook een contact)."),
        RowRule(
            "uithuisgezet_niet_vermeden",
            "De reden van afsluiting is 'uithuisgezet', maar 'uithuiszetting_vermeden' is "
            "niet 'nee'.",
            ("afsluitreden", "uithuiszetting_vermeden"),
            "expect_column_values_to_be_in_set",
            {"column": "uithuiszetting_vermeden", "value_set": ["nee"],
             "row_condition": ("equals", "afsluitreden", "uithuisgezet")},
            ((pl.col("afsluitreden") == "uithuisgezet")
             & (pl.col("uithuiszetting_vermeden") != "nee")).fill_null(False),
        ),
        RowRule(
            "dubbel_dossier",
            "Hetzelfde dossiernummer komt voor deze CAW-regio meer dan eens voor (ook over "
            "bestanden heen). Alle exemplaren staan in quarantaine; lever het dossier één "
            "keer aan.",
            ("caw", "dossier_id"),
            "expect_compound_columns_to_be_unique",
            {"column_list": ["caw", "dossier_id"], "ignore_row_if": "any_value_is_missing"},
            (pl.struct("caw", "dossier_id").is_duplicated()
             & pl.col("caw").is_not_null() & pl.col("dossier_id").is_not_null()),
        ),
    ]
    return tuple(rules)


ROW_RULES: tuple[RowRule, ...] = _row_rules()
RULES_BY_NAME: dict[str, RowRule] = {r.name: r for r in ROW_RULES}


# --------------------------------------------------------------------------- file rules


class FileRule(StrEnum):
    """Why a whole file is rejected. Nothing of a rejected file is stored."""

    UNREADABLE = "onleesbaar_bestand"
    MISSING_COLUMN = "verplichte_kolom_ontbreekt"
    DUPLICATE_HEADER = "dubbele_kolomnaam"
    PERSONAL_DATA = "persoonsgegevens"
    UNSUPPORTED = "onbekend_bestandstype"
    EMPTY = "leeg_bestand"


def missing_column_message(file_name: str, column: str) -> str:
    spec = BY_NAME[column]
    return (f"Bestand '{file_name}': de verplichte kolom '{column}' ({spec.label}) ontbreekt "
            f"in de kopregel (regel 1). Het hele bestand is geweigerd; voeg de kolom toe en "
            f"lever het opnieuw aan.")


def normalise_header(name: str) -> str:
    """Header names match case-insensitively with surrounding whitespace ignored."""
    return name.strip().lower()
