"""The files of a run (OUT/Y/...), each written atomically.

A file is written next to its final name and renamed over it, so a run that
dies midway leaves the last good output in place, never half a file.
"""

from __future__ import annotations

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
