"""What every reader of a registration file shares: the refusal, the file as read, the
stage timers, and how a message names a column.

Split from pipeline/ingest.py (the CSV reader is in ingest_csv.py, the workbook and
Parquet readers in ingest_sheets.py); pipeline.ingest re-exports the public names.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import polars as pl

from pipeline.contract import BY_NAME, FileRule, normalise_header

CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
PREFERRED_SHEET = "registratie"
# A two-byte UTF-8 letter (é = C3 A9, ë = C3 AB, …): in a file that is not valid UTF-8
# it means two encodings were mixed; read as Windows-1252 it would silently become "Ã©".
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]")


#: Seconds spent per stage of ingest and validation in this process, summed over calls:
#: wall time, and CPU time of the process (all its threads: polars works on every core).
#: Only benchmarks/bench.py reads them (its per-stage breakdown); nothing depends on them.
STAGE_SECONDS: dict[str, float] = {}
STAGE_CPU: dict[str, float] = {}


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Add the wall time of the block to STAGE_SECONDS[stage], its CPU time to STAGE_CPU."""
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        STAGE_SECONDS[stage] = STAGE_SECONDS.get(stage, 0.0) + time.perf_counter() - start
        STAGE_CPU[stage] = STAGE_CPU.get(stage, 0.0) + time.process_time() - cpu


class FileRejected(Exception):
    """A file rule is broken: the file is refused whole. The message is Dutch and value-free."""

    def __init__(self, file_name: str, rule: FileRule, message: str):
        super().__init__(message)
        self.file_name = file_name
        self.rule = rule
        self.message = message


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
