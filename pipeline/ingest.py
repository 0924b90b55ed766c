"""Registration files -> one frame of typed values, delivered text, source file and line.

Every variant the format allows is read here: CSV (UTF-8 with or without BOM,
Windows-1252; `,` or `;`; decimal comma; quoted fields with separators and
newlines), XLSX (sheet `registratie`, else the first visible sheet) and Parquet.
A file that breaks a file rule raises `FileRejected` before anything of it is
kept; the personal-data scan runs on every cell, known column or not, before
parsing.

A CSV file is split into records by the format's own grammar before the CSV
reader sees it (`_csv_layout`): a row with more or fewer fields than the header
(a ragged row, a separator that changes halfway), a quote that is never closed
or stands in the middle of a field refuses the file with its line and column,
where the reader would pad the row with empty cells or fail without saying
where. Header names are checked as delivered (a reader renames a repeated name);
two names equal up to case, accents or surrounding spaces are one name twice.
Messages never hold a cell value; a header name is shown only when it reads as
a name (`_column_label`).
"""

from __future__ import annotations

import re
import time
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import polars as pl
import pyarrow as pa

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
PREFERRED_SHEET = "registratie"
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
DATE_YEARS = (1900, 2199)  # a parsed date outside these years is unreadable
# A two-byte UTF-8 letter (é = C3 A9, ë = C3 AB, …): in a file that is not valid UTF-8
# it means two encodings were mixed; read as Windows-1252 it would silently become "Ã©".
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]")


#: Seconds spent per stage of ingest and validation in this process, summed over calls.
#: Only benchmarks/bench.py reads them (its per-stage breakdown); nothing depends on them.
STAGE_SECONDS: dict[str, float] = {}


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Add the wall time of the block to STAGE_SECONDS[stage]."""
    start = time.perf_counter()
    try:
        yield
    finally:
        STAGE_SECONDS[stage] = STAGE_SECONDS.get(stage, 0.0) + time.perf_counter() - start


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


@dataclass
class _Raw:
    """A file as read: its cells as text, the header as delivered and each row's line.

    `frame` is None when the file's structure is broken (`problem`); the header is
    still checked first, so a broken header is reported before a broken line.
    `positions` names each column the way the CAW worker sees it: a number in a
    CSV or Parquet file, a letter in a workbook.
    """

    frame: pl.DataFrame | None
    lines: pl.Series | None
    names: list[str | None]
    positions: list[str]
    header_line: int | None = 1  # None: the format has no header line (Parquet)
    problem: FileRejected | None = None
    notes: list[str] = field(default_factory=list)  # warnings about the file as a whole


_UTF8_BOM = b"\xef\xbb\xbf"


def _not_text(raw: bytes, file_name: str) -> FileRejected | None:
    """A binary file under a CSV name: say what it looks like, and where the first NUL is."""
    def rejected(what: str) -> FileRejected:
        return FileRejected(file_name, FileRule.UNREADABLE,
                            f"Bestand '{file_name}' is geen tekstbestand (CSV): {what}. Exporteer "
                            f"de registratie opnieuw als CSV, XLSX of Parquet.")

    if raw.startswith(b"PK\x03\x04"):
        return rejected("het is een ZIP-archief (een Excel-werkmap met de extensie .csv?)")
    if raw.startswith(b"%PDF"):
        return rejected("het is een PDF-document")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return rejected("het is in UTF-16 ('Unicode-tekst') opgeslagen; kies 'CSV UTF-8'")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        return rejected(f"regel {line} bevat een NUL-teken (binaire gegevens)")
    return None


def _decode(raw: bytes, file_name: str) -> bytes:
    """The file as UTF-8 bytes: UTF-8 (BOM stripped) or Windows-1252; anything else is refused."""
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM):]
    binary = _not_text(raw, file_name)
    if binary is not None:
        raise binary
    try:
        raw.decode("utf-8")
        return raw
    except UnicodeDecodeError as exc:
        if UTF8_MULTIBYTE.search(raw):  # UTF-8 text with foreign bytes: no single encoding
            line = raw.count(b"\n", 0, exc.start) + 1
            raise FileRejected(file_name, FileRule.UNREADABLE,
                               f"Bestand '{file_name}', regel {line}: het bestand mengt "
                               f"UTF-8 met een andere codering. Sla het bestand opnieuw op "
                               f"als CSV UTF-8.") from None
    try:
        return raw.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = (f"Bestand '{file_name}', regel {line}: de tekens zijn niet leesbaar als "
                   f"UTF-8 of Windows-1252. Sla het bestand op als CSV UTF-8.")
        raise FileRejected(file_name, FileRule.UNREADABLE, message) from None


# A CSV record as the format allows it (RFC 4180): fields separated by the separator,
# a field either bare (no quote, no line break) or wholly quoted with "" for a quote.
def _quoted_field() -> str:
    return r'"(?:[^"]|"")*"'


def _record_pattern(sep: str) -> str:
    s = re.escape(sep)
    field = rf'(?:{_quoted_field()}|[^"{s}\n]*)'
    return rf"^{field}(?:{s}{field})*\r?\n?$"


def _scan_record(record: str, sep: str) -> tuple[list[str], tuple[int, int, str] | None]:
    """One record's fields (quotes undone) and its first quoting fault, if any.

    A fault is (offset in the record, field number from 0, kind): `open` for a
    quoted field that is never closed, `after` for text after a closing quote,
    `inside` for a quote in the middle of a bare field.
    """
    fields: list[str] = []
    pos, end_of_record = 0, len(record)
    while True:
        if record.startswith('"', pos):
            opening, parts = pos, []
            pos += 1
            while True:
                quote = record.find('"', pos)
                if quote < 0:
                    return fields, (opening, len(fields), "open")
                parts.append(record[pos:quote])
                if record.startswith('"', quote + 1):  # "" inside a quoted field
                    parts.append('"')
                    pos = quote + 2
                    continue
                pos = quote + 1
                break
            if pos < end_of_record and record[pos] != sep and record[pos:] != "\r":
                return fields, (pos, len(fields), "after")
            fields.append("".join(parts))
        else:
            stop = record.find(sep, pos)
            stop = end_of_record if stop < 0 else stop
            quote = record.find('"', pos, stop)
            if quote >= 0:
                return fields, (quote, len(fields), "inside")
            fields.append(record[pos:stop].removesuffix("\r") if stop == end_of_record
                          else record[pos:stop])
            pos = stop
        if pos >= end_of_record or record[pos:] == "\r":
            return fields, None
        pos += 1
        if pos == end_of_record:  # a separator at the very end: one more, empty field
            fields.append("")
            return fields, None


QUOTING_FAULTS = {
    "open": "een aanhalingsteken (\") opent een veld dat nergens gesloten wordt, zodat de rest "
            "van het bestand in één cel zou belanden. Sluit het veld met een aanhalingsteken of "
            "verwijder het aanhalingsteken.",
    "after": "na het aanhalingsteken (\") dat het veld sluit, volgt nog tekst vóór het volgende "
             "scheidingsteken. Zet het hele veld tussen aanhalingstekens en schrijf een "
             "aanhalingsteken in de tekst dubbel (\"\").",
    "inside": "een aanhalingsteken (\") staat midden in een veld zonder aanhalingstekens. Zet het "
              "hele veld tussen aanhalingstekens en schrijf het aanhalingsteken dubbel (\"\"), "
              "of verwijder het.",
}


@dataclass(frozen=True)
class _CsvLayout:
    """Records of a CSV file: where each starts, and the first structural fault."""

    separator: str
    header_line: int
    header: str  # the header record's text
    data_lines: np.ndarray  # the first physical line of every record after the header
    fault: tuple[int, str] | None  # (record index in the file, "quoting" | "fields")
    records: dict[int, str]  # text of the records that needed a closer look
    fields: np.ndarray  # field count per record


_CHUNK = 1 << 24  # 16 MB


def _csv_layout(data: bytes) -> _CsvLayout:
    """Split UTF-8 CSV bytes into records the way the format defines them, vectorised.

    Physical lines come from the newline positions; a line with an odd number of
    quotes opens (or closes) a quoted field, so records follow from the running
    parity. Records without quotes are counted by their separators alone; records
    with quotes are checked against the record grammar and counted without their
    quoted parts. Blank lines (nothing but spaces) are records without fields: the
    CSV reader turns them into empty rows, which the row rules quarantine.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    chunks = range(0, len(arr), _CHUNK)  # byte masks per chunk: little memory on big files
    newlines = [np.flatnonzero(arr[c:c + _CHUNK] == 0x0A) + c for c in chunks]
    starts = np.concatenate([[0], *newlines]).astype(np.int64)
    starts[1:] += 1
    if starts[-1] == len(data):  # the final newline opens no line
        starts = starts[:-1]
    ends = np.append(starts[1:], len(data))
    long_lines = np.flatnonzero(ends - starts > 255)

    def per_line(byte: int) -> np.ndarray:
        """How often `byte` occurs on each line.

        Summed per chunk as bytes (fast): exact for lines shorter than 256 bytes;
        longer lines are counted again one by one.
        """
        counts = np.zeros(len(starts), dtype=np.int64)
        for c in chunks:
            line = int(np.searchsorted(starts, c, "right")) - 1  # the line the chunk opens in
            inner = starts[line + 1:np.searchsorted(starts, c + _CHUNK)]
            segments = np.concatenate([[c], inner]) - c
            hits = (arr[c:c + _CHUNK] == byte).view(np.uint8)
            counts[line:line + len(segments)] += np.add.reduceat(hits, segments, dtype=np.uint8)
        single = bytes([byte])
        for i in long_lines.tolist():
            counts[i] = data.count(single, starts[i], ends[i])
        return counts

    # Empty lines ("" or "\r") before the header are skipped, as the CSV reader does.
    content = ends - starts - (arr[ends - 1] == 0x0A)
    content = content - ((content > 0) & (arr[np.maximum(starts + content - 1, 0)] == 0x0D))
    first = int(np.argmax(content > 0))
    head = data[starts[first]:ends[first]].decode("utf-8")
    separator = ";" if head.count(";") > head.count(",") else ","
    seps = per_line(ord(separator))
    if data.count(b'"'):
        quotes = per_line(ord('"'))
        inside_after = np.cumsum(quotes & 1) & 1
        opens_record = np.concatenate(([True], inside_after[:-1] == 0))
    else:
        quotes = np.zeros(len(starts), dtype=np.int64)
        opens_record = np.ones(len(starts), dtype=bool)
    opens_record[:first] = False  # skipped lines before the header
    record_starts = np.flatnonzero(opens_record)
    record_ends = np.append(record_starts[1:], len(starts))  # exclusive, in lines
    fields = np.add.reduceat(seps, record_starts) + 1
    quoted = np.add.reduceat(quotes, record_starts) > 0
    records: dict[int, str] = {}

    def text(r: int) -> str:
        if r not in records:
            a, b = starts[record_starts[r]], ends[record_ends[r] - 1]
            records[r] = data[a:b].decode("utf-8").removesuffix("\n")
        return records[r]

    wellformed = np.ones(len(record_starts), dtype=bool)
    if quoted.any():
        # Every record as one Arrow string over the file's own bytes (no copy); the
        # records with quotes are checked and counted, in parallel.
        offsets = np.append(starts[record_starts], len(data)).astype(np.int64)
        every = pa.Array.from_buffers(pa.large_string(), len(record_starts),
                                      [None, pa.py_buffer(offsets), pa.py_buffer(data)])
        record = pl.col("record")
        checked = (pl.DataFrame({"record": pl.from_arrow(every), "quoted": quoted})
                   .lazy().with_row_index("i").filter("quoted")
                   .select("i", record.str.contains(_record_pattern(separator)).alias("ok"),
                           record.str.replace_all(_quoted_field(), "")
                           .str.count_matches(separator, literal=True).alias("seps"))
                   .collect())
        which = checked["i"].to_numpy()
        wellformed[which] = checked["ok"].to_numpy()
        fields[which] = checked["seps"].to_numpy() + 1
    expected = fields[0]
    fault: tuple[int, str] | None = None
    suspects = np.flatnonzero(~wellformed | (fields != expected))
    for r in suspects.tolist():
        if wellformed[r] and fields[r] == 1 and not text(r).strip():  # a blank line
            continue
        fault = (r, "fields" if wellformed[r] else "quoting")
        text(r)  # the message needs it
        break
    return _CsvLayout(separator, int(record_starts[0]) + 1, text(0),
                      record_starts[1:] + 1, fault, records, fields)


def _header_names(header: str, separator: str) -> list[str | None]:
    """The header record's names as delivered (None for an empty name)."""
    names, _ = _scan_record(header, separator)
    return [name if name.strip() else None for name in names]


def _fault_message(file_name: str, layout: _CsvLayout, names: list[str | None] | None,
                   positions: list[str]) -> FileRejected:
    record, kind = layout.fault  # type: ignore[misc]
    text = layout.records[record]
    first_line = layout.header_line if record == 0 else int(layout.data_lines[record - 1])
    if kind == "quoting":
        _, found = _scan_record(text, layout.separator)
        if found is None:  # the grammar and the scan disagree: never expected
            return _unparsable(file_name)
        offset, field, fault = found
        line = first_line + text.count("\n", 0, offset)
        where = (_column_label(names[field], positions[field])
                 if names is not None and field < len(names) else f"kolom {field + 1}")
        return FileRejected(file_name, FileRule.UNREADABLE,
                            f"Bestand '{file_name}', regel {line}, {where}: "
                            f"{QUOTING_FAULTS[fault]}")
    found_fields, expected = int(layout.fields[record]), int(layout.fields[0])
    other = "," if layout.separator == ";" else ";"
    bare = re.sub(_quoted_field(), "", text)
    if found_fields < expected and bare.count(other) + 1 == expected:
        hint = (f" Deze regel lijkt '{other}' als scheidingsteken te gebruiken, de kopregel "
                f"'{layout.separator}'. Gebruik in het hele bestand hetzelfde scheidingsteken.")
    elif found_fields > expected:
        hint = (f" Staat er een '{layout.separator}' in een waarde? Zet die waarde dan tussen "
                f"aanhalingstekens.")
    else:
        hint = " Ontbreken er velden, of is de regel afgebroken?"
    return FileRejected(
        file_name, FileRule.UNREADABLE,
        f"Bestand '{file_name}', regel {first_line}: deze regel heeft {found_fields} "
        f"{'veld' if found_fields == 1 else 'velden'}, maar de kopregel (regel "
        f"{layout.header_line}) heeft er {expected}. Een rij met te "
        f"{'weinig' if found_fields < expected else 'veel'} velden kan niet aan de juiste "
        f"kolommen gekoppeld worden; het hele bestand is geweigerd.{hint}")


def _unparsable(file_name: str) -> FileRejected:
    return FileRejected(file_name, FileRule.UNREADABLE,
                        f"Bestand '{file_name}' kan niet als CSV gelezen worden. Exporteer "
                        f"de registratie opnieuw als CSV (UTF-8, scheidingsteken ',' of ';').")


def _read_csv(path: Path) -> _Raw:
    data = _decode(path.read_bytes(), path.name)
    if not data.strip():
        raise FileRejected(path.name, FileRule.EMPTY,
                           f"Bestand '{path.name}' is leeg: er is geen kopregel met kolomnamen.")
    if b"\n" not in data and b"\r" in data.rstrip(b"\r"):
        raise FileRejected(path.name, FileRule.UNREADABLE,
                           f"Bestand '{path.name}': de regels eindigen alleen op een CR-teken "
                           f"(het oude Mac-formaat). Sla het bestand opnieuw op als CSV UTF-8.")
    layout = _csv_layout(data)
    if layout.fault is not None and layout.fault[0] == 0:  # the header itself is broken
        positions = [str(i + 1) for i in range(int(layout.fields[0]))]
        raise _fault_message(path.name, layout, None, positions)
    names = _header_names(layout.header, layout.separator)
    positions = [str(i + 1) for i in range(len(names))]
    if layout.fault is not None:
        problem = _fault_message(path.name, layout, names, positions)
        return _Raw(None, None, names, positions, layout.header_line, problem)
    try:
        frame = pl.read_csv(data, separator=layout.separator, infer_schema=False,
                            quote_char='"', has_header=True, raise_if_empty=True)
    except pl.exceptions.PolarsError:  # its text may quote a cell: never pass it on
        return _Raw(None, None, names, positions, layout.header_line, _unparsable(path.name))
    lines = pl.Series(SOURCE_LINE, layout.data_lines, dtype=pl.Int64)
    if frame.width != len(names) or frame.height != len(lines):
        # The layout and the CSV reader disagree about this file: refuse rather than guess.
        return _Raw(None, None, names, positions, layout.header_line, _unparsable(path.name))
    return _Raw(frame, lines, names, positions, layout.header_line)


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
    try:
        table = pq.read_table(path)
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

# A header name is repeated in a message only when it reads like a column name:
# a letter first, at most 60 word characters, no run of three digits (an id, a
# date or an amount is a value that landed in the header, never shown).
_SHOWABLE_NAME = re.compile(r"[^\W\d_][\w .\-/()]{0,59}")
_DIGIT_RUN = re.compile(r"\d{3}")


def _column_label(name: str | None, position: str) -> str:
    """How a message names a column: its position, and its name when that is safe to show."""
    shown = (name or "").strip()
    if shown and (normalise_header(shown) in BY_NAME
                  or (_SHOWABLE_NAME.fullmatch(shown) and not _DIGIT_RUN.search(shown))):
        return f"kolom {position} ('{shown}')"
    return f"kolom {position}"


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
        trimmed = (pl.col(c).str.strip_chars() for c in frame.columns)
        frame = frame.with_columns(pl.when(t.str.len_bytes() > 0).then(t) for t in trimmed)
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
            value = pl.when(value.dt.year().is_between(*DATE_YEARS)).then(value)
        elif spec.kind is Kind.BOOL:
            low = col.str.to_lowercase()
            value = (pl.when(low.is_in(TRUE_WORDS)).then(True)
                     .when(low.is_in(FALSE_WORDS)).then(False)
                     .otherwise(None))
        elif spec.kind is Kind.INT:
            number = col.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
            value = pl.when(number.round(0) == number).then(number).cast(pl.Int64, strict=False)
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
