"""One run per reporting year and folder at a time: the lock file FOLDER/.Y.lock.

`year_lock(folder, year)` takes an exclusive `fcntl.flock` on FOLDER/.Y.lock without
waiting (or waiting at most `wait` seconds) and writes who holds it into the file: process
id, host, since when, the command line, the Dagster run and its source. A second run of
the same year on the same folder is refused with `RunLocked`, a Dutch message naming the
year, the folder and that holder. The kernel releases a flock when its process ends in any
way, kill -9 included, so a lock is never left behind by a crashed run; the file itself
stays (removing it would let two runs lock two different files of the same name).

Who takes it: the store IO managers for the whole run of a year (`assets.locking`) and
`pipeline.outputs.publish_year` while it swaps in a year's output folder.

Within one process the lock is re-entrant for the same run (the two IO managers of a run
share the store's lock; a publication inside a run may lock a folder the run already
holds). Another process of the *same* Dagster run (the multiprocess executor starts one per
step) waits for its turn instead of failing. POSIX only (fcntl).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.1
HOLDER_READ_SECONDS = 1.0  # a new holder writes its info right after locking


def lock_path(folder: Path, year: int | str) -> Path:
    return Path(folder) / f".{year}.lock"


class RunLocked(RuntimeError):
    """Another run holds the year's lock on this folder."""

    def __init__(self, year: int | str, folder: Path, holder: dict[str, Any] | None,
                 label: str = "map"):
        self.year, self.folder, self.holder = str(year), Path(folder), holder
        super().__init__(
            f"Jaar {year} wordt al verwerkt door {describe(holder)}; wacht tot die run klaar "
            f"is en start dan opnieuw ({label} {folder}, slot {lock_path(folder, year).name}).")


def describe(holder: dict[str, Any] | None) -> str:
    """'proces 123 op host x (pwb run ...; Dagster-run 1a2b3c4d, bron: inbox) sinds ...'."""
    if not holder:
        return "een ander proces (onbekend welk)"
    run = ", ".join(part for part in (
        f"Dagster-run {str(holder['run_id'])[:8]}" if holder.get("run_id") else "",
        f"bron: {holder['source']}" if holder.get("source") else "") if part)
    detail = "; ".join(part for part in (holder.get("command") or "", run) if part)
    return (f"proces {holder.get('pid', '?')} op {holder.get('host', '?')}"
            + (f" ({detail})" if detail else "") + f" sinds {_since(holder.get('since'))}")


def _since(text: Any) -> str:
    try:
        return dt.datetime.fromisoformat(str(text)).strftime("%d/%m/%Y %H:%M:%S")
    except ValueError:
        return "?"


def read_holder(path: Path) -> dict[str, Any] | None:
    """The holder info in a lock file, or None (empty, unreadable, not ours)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        holder = json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _alive(holder: dict[str, Any]) -> bool:
    """False when the holder is a process of this host that no longer exists."""
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return True
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _current_holder(path: Path) -> dict[str, Any] | None:
    """The holder's info; a fresh holder may not have written it yet, so retry a moment."""
    deadline = time.monotonic() + HOLDER_READ_SECONDS
    while True:
        holder = read_holder(path)
        if (holder and _alive(holder)) or time.monotonic() > deadline:
            return holder
        time.sleep(0.02)


def _command() -> str:
    argv = list(sys.argv) or ["python"]
    argv[0] = Path(argv[0]).name
    if argv[0] in {"cli.py", "__main__.py"}:
        argv[0] = "pwb"
    elif argv[0] == "-c":
        argv[0] = "python -c"
    return " ".join(argv)[:500]


@dataclass
class _Held:
    fd: int
    run_id: str | None
    holder: dict[str, Any]
    count: int = 1


_held: dict[str, _Held] = {}
_registry = threading.Lock()


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except PermissionError:  # a lock file of another user: lock it, without holder info
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_holder(fd: int, holder: dict[str, Any]) -> None:
    data = (json.dumps(holder, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
    except OSError:  # read-only lock file: the lock holds, the info is missing
        pass


@contextlib.contextmanager
def year_lock(folder: Path, year: int | str, *, run_id: str | None = None,
              source: str | None = None, wait: float = 0.0,
              label: str = "map") -> Iterator[dict[str, Any]]:
    """Hold the lock of `year` on `folder` for the block; raise RunLocked when it is taken.

    `wait` > 0: try again for that many seconds before giving up (for short holds such
    as a publication). `label` names the folder in the message ("opslag", "uitvoermap").
    Yields the holder info written into the lock file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = lock_path(folder, year)
    key = str(path.resolve())
    with _registry:
        held = _held.get(key)
        if held is not None:
            if held.run_id is not None and run_id is not None and held.run_id != run_id:
                raise RunLocked(year, folder, held.holder, label)
            held.count += 1
    if held is not None:
        try:
            yield held.holder
        finally:
            _release(key)
        return

    fd = _open(path)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            holder = _current_holder(path)
            if run_id is not None and holder and holder.get("run_id") == run_id:
                fcntl.flock(fd, fcntl.LOCK_EX)  # another step process of this same run
                break
            if time.monotonic() >= deadline:
                raise RunLocked(year, folder, holder, label)
            time.sleep(POLL_SECONDS)
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                  "command": _command(), "run_id": run_id, "source": source,
                  "year": str(year)}
        _write_holder(fd, holder)
    except BaseException:
        os.close(fd)
        raise
    with _registry:
        _held[key] = _Held(fd=fd, run_id=run_id, holder=holder)
    try:
        yield holder
    finally:
        _release(key)


def _release(key: str) -> None:
    with _registry:
        held = _held[key]
        held.count -= 1
        if held.count:
            return
        del _held[key]
    with contextlib.suppress(OSError):
        os.ftruncate(held.fd, 0)  # no holder info once released
    os.close(held.fd)  # closing the last descriptor releases the flock
