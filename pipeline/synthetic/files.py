"""Registration files in the variants CAW staff really deliver.

Why four variants: the format allows them and ingest must read each one the same
way. (a) Windows-1252 CSV with `;`, Belgian dates, decimal comma, untidy headers,
CRLF and a quoted free-text field holding `;`, a newline and accented letters;
(b) XLSX with the data on a second sheet `registratie`, Excel date cells and 1/0
booleans; (c) Parquet with typed columns; (d) UTF-8 CSV with BOM, `,`, ISO dates
(some rows dd-mm-yyyy) and dot decimals. Every writer returns the physical line of
each row as ingest reports it, so the manifest can name the exact line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.contract import BY_NAME, COLUMN_NAMES, Kind

CSV_CP1252 = "csv_cp1252"
XLSX = "xlsx"
PARQUET = "parquet"
CSV_UTF8_BOM = "csv_utf8_bom"
VARIANTS = (CSV_CP1252, XLSX, PARQUET, CSV_UTF8_BOM)
TEXT_VARIANTS = (CSV_CP1252, CSV_UTF8_BOM)
EXTENSION = {CSV_CP1252: ".csv", XLSX: ".xlsx", PARQUET: ".parquet", CSV_UTF8_BOM: ".csv"}
NOTE_COLUMN = "opmerking"  # free text: an unknown column (warned about, not stored)
AGE_TEXT = "_leeftijd_tekst"  # delivered text that replaces `leeftijd` (unreadable age)
NOTE = "_opmerking"
DASH_DATES = "_dd_mm_jjjj"

FIRST_NOTE = ("Huisbezoek; cliënt niet thuis.\nNieuwe afspraak via de sociale dienst "
              "(café om de hoek).")
NOTES = (
    "Afbetalingsplan met de verhuurder afgesproken",
    "Opvolging samen met het OCMW; budgetbeheer loopt",
    "Cliënt wil geen huisbezoek meer’ telefonisch contact",
    "Overleg met de buren; bemiddeling gepland",
    "Eerste contact via de verhuurder\nIntake afgerond",
    "Woning sterk vervuild, poetshulp ingeschakeld",
    "Doorverwijzing naar geestelijke gezondheidszorg besproken",
)


@dataclass(frozen=True)
class FilePlan:
    """One file to write: its name, variant, CAW and start year, and why it exists."""

    name: str
    variant: str
    caw: str
    year: int
    defect: str | None = None  # the FileRule value an injected file defect must trigger


def plan_files(frame: pl.DataFrame, regions: Sequence[str],
               xlsx_max_rows: int) -> tuple[list[FilePlan], np.ndarray]:
    """One file per (CAW, file year), variants rotating; the file index of every row.

    The file year is the start year, or the registration window's year for trajectories
    carried in from before the window (the first delivery holds the open caseload).

    At most one XLSX a year and at most `xlsx_max_rows` rows in it (XLSX is slow to
    write); the rest of that group goes to a second CSV of the same CAW and year.
    `frame` is sorted by region and start, so each group is a contiguous block.
    """
    order = {caw: i for i, caw in enumerate(regions)}
    groups = (frame.select("caw", "_bestandsjaar").with_row_index("_i")
              .group_by("caw", "_bestandsjaar", maintain_order=True)
              .agg(pl.col("_i").min().alias("first"), pl.len().alias("n")).rows())
    groups.sort(key=lambda g: (g[1], order[g[0]]))
    plans: list[FilePlan] = []
    file_of_row = np.zeros(frame.height, dtype=np.int64)
    xlsx_years: set[int] = set()
    for i, (caw, year, first, n) in enumerate(groups):
        variant = VARIANTS[i % len(VARIANTS)]
        if variant == XLSX and year in xlsx_years:
            variant = CSV_CP1252 if (i // len(VARIANTS)) % 2 else CSV_UTF8_BOM
        stem = f"registratie_{caw}_{year}"
        plans.append(FilePlan(stem + EXTENSION[variant], variant, caw, year))
        file_of_row[first:first + n] = len(plans) - 1
        if variant == XLSX:
            xlsx_years.add(year)
            if n > xlsx_max_rows:
                plans.append(FilePlan(f"{stem}_deel2.csv", CSV_UTF8_BOM, caw, year))
                file_of_row[first + xlsx_max_rows:first + n] = len(plans) - 1
    return plans, file_of_row


# --------------------------------------------------------------------------- CSV


def _messy_header(name: str, i: int) -> str:
    """Headers as typed by hand: mixed case, a space before or after some."""
    word = (name.upper(), name.capitalize(), name.title())[i % 3]
    return {1: " " + word, 3: word + " "}.get(i % 4, word)


def _amount(column: str, separator: str) -> pl.Expr:
    cents = (pl.col(column) * 100).round(0).cast(pl.Int64)
    return pl.when(cents.is_not_null()).then(pl.format(
        "{}{}{}", (cents // 100).cast(pl.String), pl.lit(separator),
        (cents % 100).cast(pl.String).str.zfill(2)))


def _text_frame(frame: pl.DataFrame, variant: str) -> pl.DataFrame:
    """The delivered text of every contract column in a CSV variant."""
    cp1252 = variant == CSV_CP1252
    yes, no = ("ja", "nee") if cp1252 else ("Ja", "Nee")
    exprs: list[pl.Expr] = []
    for spec in BY_NAME.values():
        col = pl.col(spec.name)
        if spec.kind is Kind.DATE:
            if cp1252:
                text = col.dt.strftime("%d/%m/%Y")
            else:
                text = (pl.when(pl.col(DASH_DATES)).then(col.dt.strftime("%d-%m-%Y"))
                        .otherwise(col.dt.strftime("%Y-%m-%d")))
        elif spec.kind is Kind.BOOL:
            text = pl.when(col).then(pl.lit(yes)).when(~col).then(pl.lit(no))
        elif spec.kind is Kind.NUMBER:
            text = _amount(spec.name, "," if cp1252 else ".")
        elif spec.name == "leeftijd":
            text = pl.coalesce(pl.col(AGE_TEXT), col.cast(pl.String))
        elif spec.kind is Kind.INT:
            text = col.cast(pl.String)
        elif spec.name == "gezinstype" and not cp1252:
            text = col.str.slice(0, 1).str.to_uppercase() + col.str.slice(1)
        else:
            text = col
        exprs.append(text.alias(spec.name))
    return frame.select(exprs)


def csv_bytes(frame: pl.DataFrame, variant: str, *, drop: Sequence[str] = (),
              extra: Mapping[str, pl.Series] | None = None) -> tuple[bytes, np.ndarray]:
    """A CSV file's bytes and the physical line of each row (header = line 1)."""
    text = _text_frame(frame, variant)
    if variant == CSV_CP1252:
        text = text.with_columns(frame[NOTE].alias(NOTE_COLUMN))
    for name, values in (extra or {}).items():
        text = text.with_columns(values.alias(name))
    text = text.drop(drop)
    newlines = text.select(pl.sum_horizontal(
        pl.col(c).str.count_matches("\n").fill_null(0) for c in text.columns))
    extra_lines = np.concatenate([[0], np.cumsum(newlines.to_series().to_numpy())[:-1]])
    lines = np.arange(2, text.height + 2) + extra_lines.astype(np.int64)
    if variant == CSV_CP1252:
        text = text.rename({c: _messy_header(c, i) for i, c in enumerate(text.columns)})
        body = text.write_csv(separator=";", line_terminator="\r\n", quote_style="necessary")
        return body.encode("cp1252"), lines
    body = text.write_csv(separator=",", line_terminator="\n", quote_style="necessary")
    return b"\xef\xbb\xbf" + body.encode("utf-8"), lines


# --------------------------------------------------------------------------- XLSX, Parquet


def write_xlsx(frame: pl.DataFrame, path: Path, created: dt.datetime, title: str) -> np.ndarray:
    """Data on the second sheet `registratie` (the first holds notes), as Excel exports it."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "default_date_format": "dd/mm/yyyy",
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"title": title, "author": "pwb synth", "created": created,
                             "comments": "Synthetische registratie, geen echte cliënten"})
    notes = workbook.add_worksheet("toelichting")
    for r, line in enumerate((
            title, "Synthetische gegevens (pwb synth): geen echte cliënten.",
            "De registratie staat op het tabblad 'registratie'.",
            "Ja/nee-velden: 1 = ja, 0 = nee.")):
        notes.write_string(r, 0, line)
    sheet = workbook.add_worksheet("registratie")
    sheet.write_row(0, 0, COLUMN_NAMES)
    bools = [c for c in COLUMN_NAMES if BY_NAME[c].kind is Kind.BOOL]
    data = frame.select(COLUMN_NAMES).with_columns(pl.col(bools).cast(pl.Int64))
    for r, row in enumerate(data.iter_rows(), start=1):
        sheet.write_row(r, 0, row)
    workbook.close()
    return np.arange(2, data.height + 2)


def write_parquet(frame: pl.DataFrame, path: Path) -> np.ndarray:
    """Typed columns: Date, Boolean, Int64, Float64, String."""
    frame.select(COLUMN_NAMES).write_parquet(path, compression="zstd", statistics=True)
    return np.arange(1, frame.height + 1)


def write_file(frame: pl.DataFrame, plan: FilePlan, path: Path,
               created: dt.datetime) -> np.ndarray:
    """Write one registration file; the physical line of each of its rows."""
    if plan.variant in TEXT_VARIANTS:
        data, lines = csv_bytes(frame, plan.variant)
        path.write_bytes(data)
        return lines
    if plan.variant == XLSX:
        return write_xlsx(frame, path, created,
                          f"Registratie preventieve woonbegeleiding {plan.caw} {plan.year}")
    return write_parquet(frame, path)
