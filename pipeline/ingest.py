"""Registration files -> one frame of typed values, delivered text, source file and line.

Every variant the format allows is read here: CSV (UTF-8 with or without BOM,
Windows-1252; `,` or `;`; decimal comma; quoted fields with separators and
newlines), XLSX (sheet `registratie`, else the first) and Parquet. A file that
breaks a file rule raises `FileRejected` before anything of it is kept; the
personal-data scan runs on every cell, known column or not, before parsing.
"""

from __future__ import annotations

import re
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

CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES
PREFERRED_SHEET = "registratie"
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
# A two-byte UTF-8 letter (é = C3 A9, ë = C3 AB, …): in a file that is not valid UTF-8
# it means two encodings were mixed; read as Windows-1252 it would silently become "Ã©".
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]")


class FileRejected(Exception):
    """A file rule is broken: the file is refused whole. The message is Dutch and value-free."""

    def __init__(self, file_name: str, rule: FileRule, message: str):
        super().__init__(message)
        self.file_name = file_name
        self.rule = rule
        self.message = message


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


# --------------------------------------------------------------------------- reading


def _decode(raw: bytes, file_name: str) -> str:
    """UTF-8 (BOM stripped) or else Windows-1252; anything else is refused."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw or raw.startswith(b"PK\x03\x04") or raw.startswith(b"%PDF"):
        raise FileRejected(file_name, FileRule.UNREADABLE,
                           f"Bestand '{file_name}' is geen tekstbestand (CSV). Exporteer de "
                           f"registratie opnieuw als CSV, XLSX of Parquet.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if UTF8_MULTIBYTE.search(raw):  # UTF-8 text with foreign bytes: no single encoding
            line = raw[: exc.start].count(b"\n") + 1
            raise FileRejected(file_name, FileRule.UNREADABLE,
                               f"Bestand '{file_name}', regel {line}: het bestand mengt "
                               f"UTF-8 met een andere codering. Sla het bestand opnieuw op "
                               f"als CSV UTF-8.") from None
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = (f"Bestand '{file_name}', regel {line}: de tekens zijn niet leesbaar als "
                   f"UTF-8 of Windows-1252. Sla het bestand op als CSV UTF-8.")
        raise FileRejected(file_name, FileRule.UNREADABLE, message) from None


def _detect_separator(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _read_csv(path: Path) -> tuple[pl.DataFrame, pl.Series]:
    text = _decode(path.read_bytes(), path.name)
    if not text.strip():
        raise FileRejected(path.name, FileRule.EMPTY,
                           f"Bestand '{path.name}' is leeg: er is geen kopregel met kolomnamen.")
    separator = _detect_separator(text)
    try:
        frame = pl.read_csv(text.encode("utf-8"), separator=separator,
                            infer_schema=False, quote_char='"', has_header=True,
                            raise_if_empty=True)
    except Exception:  # the parser's text may quote a cell: never pass it on
        raise FileRejected(path.name, FileRule.UNREADABLE,
                           f"Bestand '{path.name}' kan niet als CSV gelezen worden (bijvoorbeeld "
                           f"een aanhalingsteken dat niet gesloten wordt, of regels met te "
                           f"veel kolommen).") from None
    # Physical line of each record: header is line 1; quoted newlines push later records down.
    lines = pl.int_range(2, frame.height + 2, eager=True, dtype=pl.Int64)
    if text.count("\n") > frame.height + 1:  # some quoted cell holds a newline
        spanning = [c for c in frame.columns if frame[c].str.contains("\n", literal=True).any()]
        newlines = pl.sum_horizontal(
            pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in spanning)
        lines = lines + frame.select(newlines.cum_sum().shift(1, fill_value=0))[:, 0]
    return frame, lines.cast(pl.Int64)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells of typed sources (XLSX, Parquet) as text; real date cells become ISO dates."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
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


def _read_xlsx(path: Path) -> tuple[pl.DataFrame, pl.Series]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        names = reader.sheet_names
        sheet = next((s for s in names if s.strip().lower() == PREFERRED_SHEET), names[0])
        # Every cell as text: type inference from a sample would turn a text cell
        # further down a date column into null and lose what was delivered.
        frame = reader.load_sheet(sheet, dtypes="string").to_polars()
    except Exception:
        raise FileRejected(path.name, FileRule.UNREADABLE,
                           f"Bestand '{path.name}' kan niet als Excel-werkmap (XLSX) gelezen "
                           f"worden.") from None
    return frame, pl.int_range(2, frame.height + 2, eager=True).cast(pl.Int64)


def _read_parquet(path: Path) -> tuple[pl.DataFrame, pl.Series]:
    try:
        frame = pl.read_parquet(path)
    except Exception:
        raise FileRejected(path.name, FileRule.UNREADABLE,
                           f"Bestand '{path.name}' kan niet als Parquet gelezen worden.") from None
    frame = _as_text(frame)
    return frame, pl.int_range(1, frame.height + 1, eager=True).cast(pl.Int64)


def read_raw(path: Path) -> tuple[pl.DataFrame, pl.Series]:
    """The file's cells as text (all columns, headers as delivered) and each row's line."""
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


def _check_headers(file_name: str, columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Normalised headers and warnings; raises on a file rule."""
    normalised = [normalise_header(c) for c in columns]
    seen: set[str] = set()
    for name in normalised:
        if name in seen:
            raise FileRejected(file_name, FileRule.DUPLICATE_HEADER,
                               f"Bestand '{file_name}', regel 1: de kolomnaam '{name}' komt "
                               f"meer dan eens voor. Geef elke kolom een eigen naam.")
        seen.add(name)
    header_findings = privacy.scan_headers(list(columns))
    if header_findings:
        raise FileRejected(file_name, FileRule.PERSONAL_DATA,
                           header_findings[0].message(file_name))
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        raise FileRejected(file_name, FileRule.MISSING_COLUMN,
                           missing_column_message(file_name, missing[0])
                           + (f" Ook ontbreken: {', '.join(missing[1:])}." if missing[1:] else ""))
    unknown = [c for c in normalised if c not in BY_NAME]
    notes = [f"Bestand '{file_name}': onbekende kolom '{c}' wordt genegeerd (niet bewaard)."
             for c in unknown]
    return normalised, notes


def load_file(path: Path) -> tuple[pl.DataFrame, FileReport]:
    """One file -> its rows as delivered text in the contract's columns, plus source columns.

    Raises FileRejected when a file rule is broken; then nothing of the file is kept.
    """
    raw, lines = read_raw(path)
    if raw.width == 0:
        raise FileRejected(path.name, FileRule.EMPTY,
                           f"Bestand '{path.name}' is leeg: er is geen kopregel met kolomnamen.")
    names, notes = _check_headers(path.name, raw.columns)
    raw = raw.rename(dict(zip(raw.columns, names, strict=True)))
    trimmed = (pl.col(c).str.strip_chars() for c in raw.columns)
    raw = raw.with_columns(pl.when(t.str.len_bytes() > 0).then(t) for t in trimmed)
    findings = privacy.scan_personal_data(raw, line_numbers=lines)
    if findings:
        raise FileRejected(path.name, FileRule.PERSONAL_DATA, findings[0].message(path.name))
    frame = raw.select(
        [pl.col(c) if c in raw.columns else pl.lit(None, pl.String).alias(c) for c in COLUMN_NAMES]
    ).with_columns(pl.lit(path.name).alias(SOURCE_FILE), lines.alias(SOURCE_LINE))
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

    comma = frame.group_by(SOURCE_FILE).agg(
        belgian(c.name).alias(c.name) for c in COLUMNS if c.kind is Kind.NUMBER
    )
    frame = frame.join(comma, on=SOURCE_FILE, how="left", suffix="__komma")
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
        elif spec.kind is Kind.BOOL:
            low = col.str.to_lowercase()
            value = (pl.when(low.is_in(TRUE_WORDS)).then(True)
                     .when(low.is_in(FALSE_WORDS)).then(False)
                     .otherwise(None))
        elif spec.kind is Kind.INT:
            number = col.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
            value = pl.when(number.round(0) == number).then(number).cast(pl.Int64, strict=False)
        else:
            flag = pl.col(spec.name + "__komma")
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
    else:
        combined = pl.DataFrame(schema={**{c: pl.String for c in COLUMN_NAMES},
                                        SOURCE_FILE: pl.String, SOURCE_LINE: pl.Int64})
    typed = parse(combined)
    if key is None:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            key = privacy.pseudonym_key()
    typed = privacy.pseudonymise(typed, ("dossier_id", "client_id", "begeleider_id"), key)
    typed = typed.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64))
    return Ingested(typed, reports)


def registration_files(folder: Path) -> list[Path]:
    """The files in a delivery folder that ingest will look at (hidden files skipped)."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~$")))
