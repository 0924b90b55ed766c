"""Workbook (XLSX) and Parquet registration files, read as text cells.

Split from pipeline/ingest.py (no behaviour change).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import polars as pl
import pyarrow as pa

from pipeline.contract import SOURCE_LINE, FileRule
from pipeline.ingest_base import PREFERRED_SHEET, FileRejected, _column_label, _Raw

# --------------------------------------------------------------------------- workbooks

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# What a damaged ZIP archive or sheet XML raises while we read the workbook's index.
_DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ElementTree.ParseError,
                NotImplementedError, ValueError, OSError)


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """Sheet name -> (visibility, member path) from the workbook's own index."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    relations = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in relations}
    parts = {}
    for sheet in workbook.iter(f"{{{_SHEET_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{_REL_NS}}}id"), "")
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        parts[sheet.get("name", "")] = (sheet.get("state", "visible"), member)
    return parts


def _first_used_row(book: zipfile.ZipFile, member: str) -> int:
    """The sheet row (from 1) of the first cell holding a value: the reader starts there."""
    row_number = 0
    with book.open(member) as stream:
        for _, element in ElementTree.iterparse(stream, events=("end",)):
            tag = element.tag.rpartition("}")[2]
            if tag == "row":
                row_number = int(element.get("r") or row_number + 1)
                holds = any(c.tag.rpartition("}")[2] == "c" and any(
                    v.tag.rpartition("}")[2] in ("v", "is") and "".join(v.itertext())
                    for v in c) for c in element)
                if holds:
                    return row_number
                element.clear()
    return 1


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _read_xlsx(path: Path) -> _Raw:
    """The sheet `registratie`, else the first visible sheet; lines are the sheet's rows."""
    import fastexcel

    unreadable = FileRejected(path.name, FileRule.UNREADABLE,
                              f"Bestand '{path.name}' kan niet als Excel-werkmap (XLSX) gelezen "
                              f"worden. Open het in Excel en sla het opnieuw op als "
                              f"Excel-werkmap (.xlsx).")
    try:
        reader = fastexcel.read_excel(str(path))
        names = reader.sheet_names
        with zipfile.ZipFile(path) as book:
            parts = _sheet_parts(book)
            visible = [s for s in names if parts.get(s, ("visible", ""))[0] == "visible"]
            sheet = next((s for s in names if s.strip().lower() == PREFERRED_SHEET),
                         (visible or names or [""])[0])
            member = parts.get(sheet, ("", ""))[1]
            offset = _first_used_row(book, member) - 1 if member in book.namelist() else 0
        # Every cell as text: type inference from a sample would turn a text cell
        # further down a date column into null and lose what was delivered. No header
        # row for the reader: it would rename a repeated name, hiding the duplicate.
        loaded = reader.load_sheet(sheet, header_row=None, dtypes="string")
        frame = loaded.to_polars()
        letters = [_column_letters(c.absolute_index) for c in loaded.available_columns()]
    except (fastexcel.FastExcelError, *_DAMAGED_ZIP):
        raise unreadable from None
    if frame.height == 0:
        raise FileRejected(path.name, FileRule.EMPTY,
                           f"Bestand '{path.name}', werkblad '{sheet}' is leeg: er is geen "
                           f"kopregel met kolomnamen.")
    header = frame.row(0)
    frame = frame.slice(1)
    lines = pl.int_range(offset + 2, offset + 2 + frame.height, eager=True).cast(pl.Int64)
    skipped = [s for s in names[:names.index(sheet)] if s not in visible]
    raw = _Raw(frame, lines.alias(SOURCE_LINE), [h if h and h.strip() else None for h in header],
               letters, offset + 1)
    raw.notes = [f"Bestand '{path.name}': verborgen werkblad '{s}' overgeslagen; gelezen is "
                 f"werkblad '{sheet}'." for s in skipped]
    return raw


# --------------------------------------------------------------------------- Parquet

_NESTED = (pl.List, pl.Array, pl.Struct)


def _as_text(frame: pl.DataFrame, file_name: str = "",
             names: Sequence[str | None] | None = None) -> pl.DataFrame:
    """Cells of typed sources (XLSX, Parquet) as text; real date cells become ISO dates.

    Types a registration cannot hold (lists, structures, durations, bytes that are
    not text) refuse the file, naming the column (`names`: as delivered, when the
    frame's own are positional).
    """
    out = []
    for position, (name, dtype) in enumerate(frame.schema.items(), start=1):
        col = pl.col(name)
        label = _column_label(names[position - 1] if names else name, str(position))
        if isinstance(dtype, _NESTED) or isinstance(dtype, pl.Duration) or dtype == pl.Object:
            what = ("een tijdsduur" if isinstance(dtype, pl.Duration)
                    else "lijsten of samengestelde waarden")
            raise FileRejected(file_name, FileRule.UNREADABLE,
                               f"Bestand '{file_name}', {label}: de kolom bevat {what}, "
                               f"geen tekst, getal, datum of ja/nee. Lever één eenvoudige "
                               f"waarde per cel.")
        if dtype == pl.Binary:  # text stored as bytes (older writers); anything else refused
            texts = []
            for row, value in enumerate(frame[name].to_list(), start=1):
                try:
                    texts.append(None if value is None else value.decode("utf-8"))
                except UnicodeDecodeError:
                    raise FileRejected(file_name, FileRule.UNREADABLE,
                                       f"Bestand '{file_name}', rij {row}, {label}: de cel "
                                       f"bevat binaire gegevens die geen UTF-8-tekst zijn. "
                                       f"Lever tekst, geen bestanden of afbeeldingen.") from None
            out.append(pl.lit(pl.Series(name, texts, dtype=pl.String)))
        elif dtype == pl.Date:
            out.append(col.dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            out.append(col.dt.date().dt.strftime("%Y-%m-%d"))
        elif dtype == pl.Boolean:
            out.append(pl.when(col).then(pl.lit("ja")).when(~col).then(pl.lit("nee")))
        elif dtype.is_float():
            integral = col.round(0) == col
            out.append(pl.when(integral & (col.abs() < 1e15))
                       .then(col.cast(pl.Int64).cast(pl.String))
                       .otherwise(col.cast(pl.String)))
        else:
            out.append(col.cast(pl.String))
    return frame.select([e.alias(n) for e, n in zip(out, frame.columns, strict=True)])


def _read_parquet(path: Path) -> _Raw:
    """Read with pyarrow, which reports a damaged file as an error (polars' reader can
    abort the process on some); columns get positional names so a repeated name in
    the file reaches the header check instead of failing the conversion."""
    import pyarrow.parquet as pq

    unreadable = FileRejected(path.name, FileRule.UNREADABLE,
                              f"Bestand '{path.name}' kan niet als Parquet gelezen worden. "
                              f"Exporteer de registratie opnieuw als Parquet, CSV of XLSX.")
    try:  # ParquetFile, not read_table: the same table without pyarrow.dataset's import
        with pq.ParquetFile(path) as parquet:  # of pandas (0.35 s of a small run)
            table = parquet.read()
        delivered = table.column_names
    except (pa.ArrowException, OSError):
        raise unreadable from None
    except UnicodeDecodeError:  # a column name in the file's schema is not UTF-8 text
        raise FileRejected(path.name, FileRule.UNREADABLE,
                           f"Bestand '{path.name}': een kolomnaam is geen leesbare tekst "
                           f"(UTF-8). Exporteer de registratie opnieuw als Parquet, CSV of "
                           f"XLSX.") from None
    names = [n if n.strip() else None for n in delivered]
    positions = [str(i + 1) for i in range(len(names))]
    try:
        frame = pl.from_arrow(table.rename_columns(positions))
    except (pl.exceptions.PolarsError, pa.ArrowException):  # an Arrow type polars lacks
        raise unreadable from None
    assert isinstance(frame, pl.DataFrame)
    frame = _as_text(frame, path.name, names)
    lines = pl.int_range(1, frame.height + 1, eager=True).cast(pl.Int64).alias(SOURCE_LINE)
    return _Raw(frame, lines, names, positions, None)
