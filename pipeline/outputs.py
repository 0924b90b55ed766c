"""The files of a run, each written atomically, and a year's outputs published as one set.

`write_atomic` writes a file next to its final name and renames it over that name, so a
run that dies midway leaves the last good file in place, never half a file (the stores
of the IO managers use it too). `publish_year` goes one step further for OUT/Y: all the
year's files are written into a staging folder OUT/.Y.staging-<random> and that folder is
swapped in for OUT/Y at once, so a reader finds either the last good set or the new one,
never a new results.json beside an old report.

The swap: on Linux `renameat2(RENAME_EXCHANGE)` exchanges the two folders in one atomic
step (OUT/Y is never missing); where that is not available OUT/Y is renamed aside to
OUT/.Y.old-<random> and the staging folder renamed in. A publication that dies between
those two renames leaves the last good set in OUT/.Y.old-*: the next publication (and the
next run of that year, `recover`) puts it back before anything else. Stale staging
folders of killed runs are removed the same way. All of it happens under the year's lock
on OUT (`pipeline.lock`), so two publications never meet.

Files in OUT/Y that pwb does not write (a researcher's notes) are carried over into the
new set (hard links); pwb's own names are replaced, and a file of the previous set that
the new one lacks (rapport.en.html when English is no longer asked for) goes.

Test-only hook: with the environment variable PWB_TEST_KILL_AT set to the name of a point
below, the process kills itself (SIGKILL, as kill -9) when it reaches that point; the
crash-safety tests use it. Points: "written:<file name>" after each atomic write (store
files included), "staged" when every file of a set is in the staging folder, "before-swap",
"set-aside" (between the two renames, fallback swap only), "swapped" (new set in place,
old not yet removed).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import functools
import json
import math
import numbers
import os
import secrets
import shutil
import signal
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.lock import year_lock

RESULTS_FILE = "results.json"
QUARANTINE_FILE = "quarantaine.csv"
REPORT_FILE = "rapport.html"
PUBLISH_WAIT_SECONDS = 120.0  # another publication of the same year takes seconds at most
KILL_ENV = "PWB_TEST_KILL_AT"


def _kill_point(name: str) -> None:
    """Test-only: die here, as with kill -9, when PWB_TEST_KILL_AT names this point."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable; some file systems refuse, which is harmless."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call `writer(tmp)` on a temporary name in the same folder, then rename onto `path`.

    The temporary file is created with the usual permissions (0666 less the umask, like
    any new file), not mkstemp's 0600, so that a report stays readable for others.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
    try:
        writer(tmp)
        with open(tmp, "rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    _kill_point(f"written:{path.name}")
    return path


def remove_stale_temporaries(folder: Path, stem: str) -> list[Path]:
    """Remove write_atomic's leftovers `.<stem>.*.tmp` under `folder` (a killed write).

    Only safe while holding the lock that covers every writer of those names (the store
    lock of a year: stem = the year, files <year>.parquet / <year>.json).
    """
    removed = []
    for tmp in Path(folder).rglob(f".{stem}.*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


# --------------------------------------------------------------------------- a year as one set


def _staging_prefix(folder: Path) -> str:
    return f".{folder.name}.staging-"


def _aside_prefix(folder: Path) -> str:
    return f".{folder.name}.old-"


def recover(folder: Path) -> None:
    """Undo what a killed publication of `folder` left: put a set-aside last good set
    back when `folder` is missing, remove stale staging and set-aside folders.

    Call under the year's lock on folder.parent (publish_year and the run's lock do).
    """
    folder = Path(folder)
    parent = folder.parent
    if not parent.is_dir():
        return
    asides = sorted((p for p in parent.glob(_aside_prefix(folder) + "*") if p.is_dir()),
                    key=lambda p: p.stat().st_mtime_ns)
    if asides and not folder.exists():
        os.rename(asides.pop(), folder)  # killed between the two renames of a swap
        _fsync_dir(parent)
    for stale in [*parent.glob(_staging_prefix(folder) + "*"), *asides]:
        shutil.rmtree(stale, ignore_errors=True)


@functools.cache
def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl without it
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically (Linux renameat2); False where unsupported."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}:
        return False  # this file system cannot exchange
    raise OSError(code, os.strerror(code), os.fspath(b))


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _carry_over(folder: Path, staging: Path, owned: set[str]) -> None:
    """Files in the current set that pwb does not own go into the new set unchanged."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        name = entry.name
        ours = name in owned or any(name.startswith(f".{o}.") and name.endswith(".tmp")
                                    for o in owned)
        if ours or (staging / name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, staging / name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, staging / name)


def _swap_in(staging: Path, folder: Path) -> None:
    parent = folder.parent
    if not folder.exists():  # the first set of this year
        os.rename(staging, folder)
        _fsync_dir(parent)
        _kill_point("swapped")
        return
    if _exchange(staging, folder):  # one atomic step; staging now holds the previous set
        _fsync_dir(parent)
        _kill_point("swapped")
        shutil.rmtree(staging)
        return
    aside = parent / f"{_aside_prefix(folder)}{secrets.token_hex(6)}"
    os.rename(folder, aside)
    _kill_point("set-aside")
    try:
        os.rename(staging, folder)
    except BaseException:
        os.rename(aside, folder)  # the last good set stays where readers look
        raise
    _fsync_dir(parent)
    _kill_point("swapped")
    shutil.rmtree(aside)


def publish_year(folder: Path, files: Mapping[str, Callable[[Path], object]], *,
                 owned: Iterable[str] = (), wait: float = PUBLISH_WAIT_SECONDS) -> Path:
    """Replace the output folder `folder` (OUT/Y) by exactly these files, as one set.

    `files` maps a file name to a writer called with the file's path in the staging folder
    (e.g. ``functools.partial(write_json, payload=results)``). `owned`: further names that
    belong to pwb (dropped when not written now); any other file in the folder is carried
    over. A name may hold one subfolder (``regio/OVL.html``); a subfolder named in
    `owned` belongs to pwb as a whole, so a file of the old set that is not written now
    (a region no longer present) goes with it. Waits up to `wait` seconds for another
    publication of the same year; raises `pipeline.lock.RunLocked` when a run keeps
    holding the year.
    """
    folder = Path(folder)
    for name in files:
        parts = Path(name).parts
        if (not 1 <= len(parts) <= 2 or Path(name).is_absolute() or "\\" in name
                or any(p.startswith(".") for p in parts)):
            raise ValueError(f"geen geldige bestandsnaam voor de uitvoer: {name!r}")
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    with year_lock(parent, folder.name, wait=wait, label="uitvoermap"):
        recover(folder)
        staging = parent / f"{_staging_prefix(folder)}{secrets.token_hex(6)}"
        staging.mkdir()
        try:
            for name, writer in files.items():
                (staging / name).parent.mkdir(exist_ok=True)
                writer(staging / name)
            _kill_point("staged")
            _carry_over(folder, staging, set(files) | set(owned))
            _fsync_dir(staging)
            _kill_point("before-swap")
            _swap_in(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return folder


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
COUNT_FORMAT = "#,##0"  # shown with the reader's separators: 4.111 on a Flemish desktop
DECIMAL_FORMAT = "#,##0.00"
SHARE_FORMAT = "0.0%"


def decimal_format(digits: int, *, euro: bool = False) -> str:
    """#,##0 with ``digits`` decimals ('"€ "#,##0' for an amount): the cell shows what the
    report prints, the cell holds the number unrounded."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return f'"€ "{pattern}' if euro else pattern


def share_format(digits: int) -> str:
    """0.0% with ``digits`` decimals of the percentage."""
    return "0" + ("." + "0" * digits if digits > 0 else "") + "%"


@dataclass(frozen=True)
class Share:
    """A fraction (0.787) that the workbook shows as a percentage (78,7 %) yet keeps as
    the number 0.787, so a reader can sum, sort and chart it. ``digits``: the decimals of
    the percentage shown (the report's), the value itself is not rounded."""

    value: float
    digits: int = 1


@dataclass(frozen=True)
class Estimate:
    """An estimate (a mean, a ratio, an amount) kept unrounded and shown with ``digits``
    decimals, as the report prints it; ``euro`` shows it as an amount."""

    value: float
    digits: int = 2
    euro: bool = False


@dataclass(frozen=True)
class Sheet:
    """A table for the workbook: its rows and the note rows under it (n, source)."""

    rows: Sequence[Mapping[str, Any]]
    notes: Sequence[str] = ()


Cell = str | int | float | Share | Estimate | bool | None


def write_workbook(path: Path, sheets: Mapping[str, Sheet | Sequence[Mapping[str, Cell]]], *,
                   created: dt.datetime) -> Path:
    """One sheet per table, headers in the first row, notes under the table; byte-identical
    for the same input.

    Cells keep their type: `str` is text (labels, and hidden cells as "<5" or "x", so a
    hidden cell never looks like a number), `int` a count with the format #,##0, `float`
    an estimate with two decimals, `Estimate` one with its own decimals (or as euros),
    `Share` a fraction with the format 0.0% (its own decimals), `bool` the text ja/nee,
    None (or NaN) an empty cell. A `Sheet` adds note rows (n, source) after an empty row.
    `created` is fixed by the caller (the reporting year), never the clock, so two runs on
    the same inputs give the same bytes.
    """
    import xlsxwriter

    def writer(tmp: Path) -> None:
        book = xlsxwriter.Workbook(str(tmp))
        book.set_properties({"created": created, "author": "pwb"})
        bold = book.add_format({"bold": True})
        italic = book.add_format({"italic": True})
        cache: dict[str, Any] = {}

        def formats(pattern: str) -> Any:
            if pattern not in cache:
                cache[pattern] = book.add_format({"num_format": pattern})
            return cache[pattern]
        for name, table in sheets.items():
            rows, notes = (table.rows, table.notes) if isinstance(table, Sheet) else (table, ())
            sheet = book.add_worksheet(name[:31])
            columns = list(dict.fromkeys(k for row in rows for k in row))
            for j, column in enumerate(columns):
                sheet.write_string(0, j, column, bold)
                sheet.set_column(j, j, max(10, min(len(column) + 2, 60)))
            for i, row in enumerate(rows, start=1):
                for j, column in enumerate(columns):
                    _write_cell(sheet, i, j, row.get(column), formats)
            for k, note in enumerate(notes, start=len(rows) + 2):
                sheet.write_string(k, 0, note, italic)
            sheet.freeze_panes(1, 0)
        book.close()

    return write_atomic(path, writer)


def _write_cell(sheet: Any, i: int, j: int, value: Cell,
                formats: Callable[[str], Any]) -> None:
    if isinstance(value, Share):
        pattern, value = share_format(value.digits), value.value
    elif isinstance(value, Estimate):
        pattern, value = decimal_format(value.digits, euro=value.euro), value.value
    elif isinstance(value, bool):
        sheet.write_string(i, j, "ja" if value else "nee")
        return
    elif isinstance(value, numbers.Integral):  # numpy integers too
        pattern, value = COUNT_FORMAT, int(value)
    elif isinstance(value, numbers.Real):
        pattern, value = DECIMAL_FORMAT, float(value)
    elif value is None:
        return
    else:
        sheet.write_string(i, j, str(value))
        return
    if value is None or not math.isfinite(value):
        return  # an estimate that cannot be computed is an empty cell, never an error value
    sheet.write_number(i, j, value, formats(pattern))
