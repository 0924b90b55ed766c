"""Registration files -> one frame of typed values, delivered text, source file and line.

Every variant the format allows is read here: CSV (UTF-8 with or without BOM,
Windows-1252; `,` or `;`; decimal comma; quoted fields with separators and
newlines), XLSX (sheet `registratie`, else the first visible sheet) and Parquet.
A file that breaks a file rule raises `FileRejected` before anything of it is
kept; the personal-data scan runs on every cell, known column or not, before
parsing.

A CSV file is split into records by the format's own grammar before the CSV
reader sees it (`ingest_csv._csv_layout`): a row with more or fewer fields than the header
(a ragged row, a separator that changes halfway), a quote that is never closed
or stands in the middle of a field refuses the file with its line and column,
where the reader would pad the row with empty cells or fail without saying
where. Header names are checked as delivered (a reader renames a repeated name);
two names equal up to case, accents or surrounding spaces are one name twice.
Messages never hold a cell value; a header name is shown only when it reads as
a name (`_column_label`).

The readers live in ingest_csv.py (CSV) and ingest_sheets.py (XLSX, Parquet), what
they share in ingest_base.py; this module checks headers, scans for personal data,
parses and pseudonymises.
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import privacy
from pipeline.contract import (
    BY_NAME,
    COLUMN_NAMES,
    COLUMNS,
    FALSE_WORDS,
    REQUIRED_COLUMNS,
    ROW_ID,
    SOURCE_FILE,
    SOURCE_LINE,
    TRUE_WORDS,
    FileRule,
    Kind,
    missing_column_message,
    normalise_header,
)
from pipeline.ingest_base import (  # noqa: F401 (re-exported: the public names of ingest)
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    PREFERRED_SHEET,
    STAGE_CPU,
    STAGE_SECONDS,
    UTF8_MULTIBYTE,
    XLSX_SUFFIXES,
    FileRejected,
    _column_label,
    _Raw,
    timed,
)
from pipeline.ingest_csv import _read_csv
from pipeline.ingest_sheets import _read_parquet, _read_xlsx

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
DATE_YEARS = (1900, 2199)  # a parsed date outside these years is unreadable


@dataclass(frozen=True)
class FileReport:
    """What happened to one delivered file (the run's accounting starts here)."""

    file: str
    rows_in: int
    rejected: bool = False
    rule: str | None = None
    message: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class Ingested:
    """All accepted rows (validation frame) plus a report per file."""

    frame: pl.DataFrame
    files: list[FileReport] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)


def _read(path: Path) -> _Raw:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    raise FileRejected(path.name, FileRule.UNSUPPORTED,
                       f"Bestand '{path.name}': alleen CSV, XLSX en Parquet worden aanvaard.")


# --------------------------------------------------------------------------- file rules


def _folded(name: str) -> str:
    """A header for comparison: case, accents and surrounding spaces do not count."""
    text = unicodedata.normalize("NFKD", normalise_header(name))
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def _check_headers(file_name: str, names: Sequence[str | None], positions: Sequence[str],
                   header_line: int | None = 1) -> tuple[list[str], list[str]]:
    """Normalised headers and warnings; raises on a file rule.

    Order: personal data in a header, a missing required column (a file without a
    header row stops here, before any of its values could be shown as a name), two
    headers that are the same name, then notes on unknown or unnamed columns.
    """
    delivered = [n or "" for n in names]
    where = f"Bestand '{file_name}'" + (f", regel {header_line}" if header_line else "")
    header_findings = privacy.scan_headers(delivered)
    if header_findings:
        raise FileRejected(file_name, FileRule.PERSONAL_DATA,
                           header_findings[0].message(file_name))
    if len(delivered) == 1 and ("\t" in delivered[0] or "|" in delivered[0]):
        raise FileRejected(file_name, FileRule.UNREADABLE,
                           f"{where}: de kopregel is niet "
                           f"gescheiden door ',' of ';' (tabs of '|' worden niet aanvaard). "
                           f"Sla het bestand op als CSV met ',' of ';'.")
    normalised = [normalise_header(n) for n in delivered]
    present = set(normalised)
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        message = (missing_column_message(file_name, missing[0])
                   + (f" Ook ontbreken: {', '.join(missing[1:])}." if missing[1:] else ""))
        near = [i for i, n in enumerate(delivered) if n and _folded(n) == missing[0]]
        if near:
            message += (f" Let op: {_column_label(delivered[near[0]], positions[near[0]])} "
                        f"verschilt daarvan alleen in accenten; gebruik precies de naam "
                        f"'{missing[0]}'.")
        raise FileRejected(file_name, FileRule.MISSING_COLUMN, message)
    seen: dict[str, int] = {}
    for i, name in enumerate(delivered):
        if not name.strip():
            continue
        key = _folded(name)
        if key in seen:
            first = seen[key]
            raise FileRejected(
                file_name, FileRule.DUPLICATE_HEADER,
                f"{where}: {_column_label(delivered[first], positions[first])} en "
                f"{_column_label(name, positions[i])} hebben dezelfde kolomnaam (hoofdletters, "
                f"accenten en spaties rond de naam tellen niet mee). Geef elke kolom een eigen "
                f"naam; het hele bestand is geweigerd.")
        seen[key] = i
    notes = []
    for i, name in enumerate(normalised):
        if name and name not in BY_NAME:
            label = _column_label(delivered[i], positions[i])
            notes.append(f"Bestand '{file_name}': onbekende {label} wordt genegeerd "
                         f"(niet bewaard).")
    return normalised, notes


def _trimmed(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells without surrounding white space; a cell left empty is null.

    Only the columns where that changes something are rewritten: one read-only pass
    finds them (in a clean export: none), where stripping every column copies every
    cell of the file.
    """
    cells = [pl.col(c) for c in frame.columns]
    changes = frame.select(
        (c.str.contains(r"^\s|\s$").any() | (c.str.len_bytes() == 0).any()).alias(n)
        for c, n in zip(cells, frame.columns, strict=True)).row(0) if frame.height else ()
    trimmed = [pl.col(n).str.strip_chars() for n, change in zip(frame.columns, changes,
                                                                 strict=False) if change]
    return frame.with_columns(pl.when(t.str.len_bytes() > 0).then(t) for t in trimmed)


def load_file(path: Path) -> tuple[pl.DataFrame, FileReport]:
    """One file -> its rows as delivered text in the contract's columns, plus source columns.

    Raises FileRejected when a file rule is broken; then nothing of the file is kept.
    """
    with timed("decode"):
        raw = _read(path)
    if not raw.names:
        raise FileRejected(path.name, FileRule.EMPTY,
                           f"Bestand '{path.name}' is leeg: er is geen kopregel met kolomnamen.")
    names, notes = _check_headers(path.name, raw.names, raw.positions, raw.header_line)
    if raw.problem is not None:
        raise raw.problem
    assert raw.frame is not None and raw.lines is not None
    # Unnamed columns keep a name of their own (they may still hold personal data).
    unique = [n or f"(zonder naam, kolom {p})" for n, p in zip(names, raw.positions, strict=True)]
    frame = raw.frame.rename(dict(zip(raw.frame.columns, unique, strict=True)))
    with timed("decode"):
        frame = _trimmed(frame)
    with timed("privacy scan"):
        findings = privacy.scan_personal_data(frame, line_numbers=raw.lines)
    if findings:
        raise FileRejected(path.name, FileRule.PERSONAL_DATA, findings[0].message(path.name))
    for name, position in zip(names, raw.positions, strict=True):
        if not name and frame[f"(zonder naam, kolom {position})"].is_not_null().any():
            notes.append(f"Bestand '{path.name}': kolom {position} heeft geen naam in de "
                         f"kopregel; de waarden eronder worden genegeerd (niet bewaard).")
    notes = raw.notes + notes
    if frame.height == 0:
        notes.append(f"Bestand '{path.name}' heeft een kopregel maar geen registraties "
                     f"(0 rijen).")
    frame = frame.select(
        [pl.col(c) if c in frame.columns else pl.lit(None, pl.String).alias(c)
         for c in COLUMN_NAMES]
    ).with_columns(pl.lit(path.name).alias(SOURCE_FILE), raw.lines.alias(SOURCE_LINE))
    return frame, FileReport(path.name, frame.height, warnings=tuple(notes))


# --------------------------------------------------------------------------- parsing


THOUSANDS_ONLY = r"^[1-9]\d{0,2}(\.\d{3})+$"  # 1.500 or 12.345.678: dots as thousands marks


def _number(text: pl.Expr, decimal_comma: bool) -> pl.Expr:
    if decimal_comma:
        text = text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    return text.cast(pl.Float64, strict=False)


def parse(frame: pl.DataFrame) -> pl.DataFrame:
    """Delivered text -> typed values; the text of parsed columns stays under `<name>__ruw`.

    A value that cannot be read becomes null in its typed column while its text
    stays: that pair is the row rule `onleesbaar:<column>`. Decimal comma is
    decided per column and file: a comma anywhere makes `.` a thousands mark,
    and so does a column whose every dotted value looks like `1.500` (a Belgian
    amount without cents), never like `12.5`.
    """
    def belgian(name: str) -> pl.Expr:
        col = pl.col(name)
        dotted = col.str.contains(".", literal=True)
        return (col.str.contains(",", literal=True).any()
                | (dotted.any() & (~dotted | col.str.contains(THOUSANDS_ONLY)).all()))

    def per_value(name: str, value: pl.Expr, dtype: pl.DataType) -> pl.Expr:
        """`value` (an expression of the column's text alone) computed once per distinct
        text and looked up for every row: a column of dates, ja/nee or counts holds a few
        thousand texts in a million rows, and three date formats tried on each row cost
        more than the lookup. The same values by construction; a column of mostly
        distinct texts is parsed row by row."""
        distinct = frame.select(pl.col(name).unique().drop_nulls())
        if frame.height == 0 or distinct.height * 4 > frame.height:
            return value
        table = distinct.select(pl.col(name), value.alias("value"))
        return pl.col(name).replace_strict(table.get_column(name), table.get_column("value"),
                                           default=None, return_dtype=dtype)

    # Per file as a window (a join of the per-file flags would copy the whole frame).
    typed: list[pl.Expr] = []
    for spec in COLUMNS:
        col = pl.col(spec.name)
        if spec.kind is Kind.TEXT:
            typed.append(col)
            continue
        if spec.kind is Kind.CODE:
            typed.append(col.str.to_uppercase() if spec.upper_case else col.str.to_lowercase())
            continue
        if spec.kind is Kind.DATE:
            text = col.str.replace(r" 00:00:00$", "")
            value = pl.coalesce(text.str.strptime(pl.Date, f, strict=False, exact=True)
                                for f in DATE_FORMATS)
            # A year like 0015 ("15-3-12" read as ISO) or 9999 is no date of a trajectory:
            # unreadable, not a date kept to fail later (pandas, and so GX, cannot hold it).
            value = per_value(spec.name, pl.when(value.dt.year().is_between(*DATE_YEARS))
                              .then(value), pl.Date())
        elif spec.kind is Kind.BOOL:
            low = col.str.to_lowercase()
            value = per_value(spec.name, pl.when(low.is_in(TRUE_WORDS)).then(True)
                              .when(low.is_in(FALSE_WORDS)).then(False)
                              .otherwise(None), pl.Boolean())
        elif spec.kind is Kind.INT:
            number = col.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
            value = per_value(spec.name, pl.when(number.round(0) == number).then(number)
                              .cast(pl.Int64, strict=False), pl.Int64())
        else:
            flag = belgian(spec.name).over(SOURCE_FILE)
            value = pl.when(flag).then(_number(col, True)).otherwise(_number(col, False))
            value = pl.when(value.is_finite()).then(value)
        typed += [value.alias(spec.name), col.alias(spec.raw)]
    return frame.select(typed + [pl.col(SOURCE_FILE), pl.col(SOURCE_LINE)])


def ingest(paths: Sequence[Path], *, key: bytes | None = None) -> Ingested:
    """Read, check and parse all files of a run; pseudonymise before anything is kept.

    Rejected files contribute a report and no row. The frame holds, per row, the
    typed values, the delivered text of parsed columns, source file and line and
    a run-wide row id.
    """
    frames: list[pl.DataFrame] = []
    reports: list[FileReport] = []
    for path in sorted(paths, key=lambda p: p.name):
        try:
            frame, report = load_file(path)
        except FileRejected as rejected:
            reports.append(FileReport(path.name, 0, True, rejected.rule.value, rejected.message))
            continue
        frames.append(frame)
        reports.append(report)
    if frames:
        combined = pl.concat(frames, how="vertical")
        frames.clear()  # the files' own frames are no longer needed: memory of 1M rows
    else:
        combined = pl.DataFrame(schema={**{c: pl.String for c in COLUMN_NAMES},
                                        SOURCE_FILE: pl.String, SOURCE_LINE: pl.Int64})
    with timed("parse"):
        typed = parse(combined)
        del combined
    if key is None:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            key = privacy.pseudonym_key()
    with timed("pseudonyms"):
        typed = privacy.pseudonymise(typed, ("dossier_id", "client_id", "begeleider_id"), key)
    typed = typed.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64))
    return Ingested(typed, reports)


def registration_files(folder: Path) -> list[Path]:
    """The files in a delivery folder that ingest will look at (hidden files skipped)."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~$")))
