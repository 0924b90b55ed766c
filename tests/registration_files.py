"""Small hand-made registration files in every variant the format allows.

Imported by the tests as `registration_files` (not from conftest: tests/stats has
a conftest of its own, and two modules named conftest cannot both be imported).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.contract import COLUMN_NAMES

RUN_DATE = dt.date(2026, 11, 29)
# A valid Belgian national register number (born 1985-07-30; 97 - 850730033 mod 97 = 28).
POISON_RRN = "85.07.30-033.28"


def valid_row(n: int = 1, **overrides: object) -> dict[str, object]:
    """One valid, closed trajectory; override any field (None = empty cell)."""
    row: dict[str, object] = {
        "dossier_id": f"D{n:04d}", "client_id": f"K{n:04d}", "caw": "OVL",
        "begeleider_id": "B01", "verhuurder_type": "SHM", "verhuurder_id": "SHM001",
        "gemeente_nis": "44021", "datum_aanmelding": dt.date(2012, 2, 1),
        "datum_start": dt.date(2012, 2, 15), "datum_afsluiting": dt.date(2012, 11, 30),
        "aanmelder": "shm", "probleem_huurachterstand": True, "probleem_onderhoud": False,
        "probleem_samenleven": False, "huurachterstand_eur": 1234.5, "procedure_gestart": False,
        "gezinstype": "alleenstaand", "aantal_kinderen": 0, "leeftijd": 45, "geslacht": "v",
        "inkomensbron": "leefloon", "schuldbemiddeling": True, "aantal_huisbezoeken": 6,
        "aantal_contacten": 14, "doorverwezen": False, "afsluitreden": "doelen_bereikt",
        "handelingsdoelen": "bereikt", "uithuiszetting_vermeden": "ja", "nazorg": True,
    }
    row.update(overrides)
    return row


def open_row(n: int = 1, **overrides: object) -> dict[str, object]:
    """One valid trajectory still open (no closure fields)."""
    return valid_row(n, datum_afsluiting=None, afsluitreden=None, handelingsdoelen=None,
                     uithuiszetting_vermeden=None, nazorg=None, **overrides)


def _cell(value: object, *, belgian: bool, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y") if belgian else value.isoformat()
    if isinstance(value, float):
        text = f"{value:.2f}"
        return text.replace(".", ",") if decimal_comma else text
    return str(value)


def write_csv(path: Path, rows: Iterable[dict[str, object]], *, sep: str = ",",
              encoding: str = "utf-8", bom: bool = False, belgian: bool = False,
              decimal_comma: bool = False, headers: list[str] | None = None,
              extra: dict[str, list[str]] | None = None) -> Path:
    """A CSV as CAW staff produce it; `headers` may rename/case the column names."""
    rows = list(rows)
    names = list(rows[0].keys()) if rows else list(COLUMN_NAMES)
    shown = headers or names
    extra = extra or {}

    def quote(text: str) -> str:
        if any(ch in text for ch in (sep, '"', "\n")):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [sep.join([*map(quote, shown), *extra.keys()])]
    for i, row in enumerate(rows):
        cells = [quote(_cell(row[n], belgian=belgian, decimal_comma=decimal_comma))
                 for n in names]
        cells += [quote(values[i]) for values in extra.values()]
        lines.append(sep.join(cells))
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def frame_of(rows: Iterable[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), infer_schema_length=None)


def write_parquet(path: Path, rows: Iterable[dict[str, object]]) -> Path:
    frame_of(rows).write_parquet(path)
    return path


def write_sheet(book: Any, sheet: Any, rows: Sequence[dict[str, object]], *,
                columns: Sequence[str] | None = None, header_row: int = 0,
                booleans_as_text: bool = False) -> None:
    """Header on `header_row`, one row per dict below it; dates as real date cells,
    booleans as 1/0 (or ja/nee), empty cells left out."""
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    names = list(columns if columns is not None else rows[0].keys())
    for j, name in enumerate(names):
        sheet.write_string(header_row, j, name)
    for i, row in enumerate(rows, start=header_row + 1):
        for j, name in enumerate(names):
            value = row[name]
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(i, j, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, bool):
                if booleans_as_text:
                    sheet.write_string(i, j, "ja" if value else "nee")
                else:
                    sheet.write_number(i, j, int(value))
            elif isinstance(value, int | float):
                sheet.write_number(i, j, value)
            else:
                sheet.write_string(i, j, str(value))


def write_xlsx(path: Path, rows: Iterable[dict[str, object]], *,
               sheet_first: str | None = "toelichting") -> Path:
    """XLSX with real date cells, data on sheet `registratie` (after a notes sheet)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    if sheet_first:
        book.add_worksheet(sheet_first).write(0, 0, "Toelichting bij de registratie")
    write_sheet(book, book.add_worksheet("registratie"), list(rows))
    book.close()
    return path
