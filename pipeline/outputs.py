"""The files of a run (OUT/Y/...), each written atomically.

A file is written next to its final name and renamed over it, so a run that
dies midway leaves the last good output in place, never half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

RESULTS_FILE = "results.json"
QUARANTINE_FILE = "quarantaine.csv"
REPORT_FILE = "rapport.html"


def write_atomic(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call `writer(tmp)` on a temporary name in the same folder, then rename onto `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        with open(tmp, "rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """Stable JSON: sorted keys are not used, the builder's order is the documented order."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_text(path, text)


def write_csv(path: Path, frame: pl.DataFrame) -> Path:
    """CSV in UTF-8 with BOM and `;`, so Excel on a Flemish desktop opens it as is."""

    def writer(tmp: Path) -> None:
        with open(tmp, "wb") as stream:
            stream.write(b"\xef\xbb\xbf")
            frame.write_csv(stream, separator=";")

    return write_atomic(path, writer)


WORKBOOK_FILE = "tabellen.xlsx"


def write_workbook(path: Path, sheets: dict[str, list[dict[str, Any]]], *,
                   created: dt.datetime) -> Path:
    """One sheet per table, headers in the first row; byte-identical for the same input.

    `created` is fixed by the caller (the reporting year), never the clock, so two
    runs on the same inputs give the same bytes.
    """
    import xlsxwriter

    def writer(tmp: Path) -> None:
        book = xlsxwriter.Workbook(str(tmp), {"nan_inf_to_errors": True})
        book.set_properties({"created": created, "author": "pwb"})
        bold = book.add_format({"bold": True})
        for name, rows in sheets.items():
            sheet = book.add_worksheet(name[:31])
            columns = list(dict.fromkeys(k for row in rows for k in row))
            for j, column in enumerate(columns):
                sheet.write_string(0, j, column, bold)
            for i, row in enumerate(rows, start=1):
                for j, column in enumerate(columns):
                    value = row.get(column)
                    if value is None:
                        continue
                    if isinstance(value, bool):
                        sheet.write_string(i, j, "ja" if value else "nee")
                    elif isinstance(value, int | float):
                        sheet.write_number(i, j, value)
                    else:
                        sheet.write_string(i, j, str(value))
            sheet.freeze_panes(1, 0)
        book.close()

    return write_atomic(path, writer)
