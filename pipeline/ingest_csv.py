"""CSV registration files: encoding, the record grammar, and the reader.

A CSV file is split into records by the format's own grammar before the CSV
reader sees it (`_csv_layout`): a row with more or fewer fields than the header
(a ragged row, a separator that changes halfway), a quote that is never closed
or stands in the middle of a field refuses the file with its line and column,
where the reader would pad the row with empty cells or fail without saying
where. Split from pipeline/ingest.py (no behaviour change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from pipeline.contract import SOURCE_LINE, FileRule
from pipeline.ingest_base import FileRejected, _column_label, _Raw

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


def _mixes_utf8(raw: bytes) -> bool:
    """Whether `UTF8_MULTIBYTE` occurs in `raw`, found from its few bytes above 0x7F.

    The same answer as the pattern's search, which scans every byte in Python's regex
    engine (0.18 s for a 60 MB Windows-1252 file, against 0.01 s here).
    """
    data = np.frombuffer(raw, dtype=np.uint8)
    leads = np.flatnonzero(data[:-1] >= 0xC2)
    leads = leads[data[leads] <= 0xDF]
    follow = data[leads + 1]
    return bool(((follow >= 0x80) & (follow <= 0xBF)).any())


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
        if _mixes_utf8(raw):  # UTF-8 text with foreign bytes: no single encoding
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
