"""What changed in the inbox folder, and which reporting years it touches.

Why here and not in the sensor: the rules (a file counts as new only when its
content hash changes; a row touches the years in which it is active) are
domain rules, testable without Dagster. The sensor only keeps the cursor.

The cursor is a JSON-ready dict {file name: {"sha256": ..., "years": [...]}}:
the years are remembered so that a removed file re-runs the years it touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.delivery import scan_delivery
from pipeline.ingest import FileRejected, load_file, parse
from pipeline.years import years_touched

Seen = Mapping[str, Mapping[str, object]]


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes, read in chunks (deliveries can be hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Rejection:
    file: str
    rule: str
    message: str  # Dutch, names file and rule, never a cell value


@dataclass
class InboxScan:
    """One look at the inbox against what was seen before."""

    changed: list[str] = field(default_factory=list)  # new or different content
    removed: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # reporting years to (re)run
    rejected: list[Rejection] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not a registration type: not read
    seen: dict[str, dict[str, object]] = field(default_factory=dict)  # the new cursor


def scan_inbox(folder: Path, seen: Seen, *, first_year: int, last_year: int) -> InboxScan:
    """Compare the inbox with `seen`; read only the files whose content changed."""
    scan = InboxScan()
    # Only registration types (CSV, XLSX, Parquet) are read: a README or truth.json in the
    # inbox is skipped by name, as `pwb run` does, and never counted as a rejected file.
    delivery = scan_delivery(folder)
    present, scan.skipped = list(delivery.files), list(delivery.skipped)
    years: set[int] = set()
    for path in present:
        digest = file_digest(path)
        before = seen.get(path.name)
        if before is not None and before.get("sha256") == digest:
            scan.seen[path.name] = dict(before)
            continue
        scan.changed.append(path.name)
        touched: list[int] = []
        try:
            raw, _ = load_file(path)
            touched = years_touched(parse(raw), first_year, last_year)
        except FileRejected as rejected:
            scan.rejected.append(Rejection(path.name, rejected.rule.value, rejected.message))
        # A changed file also re-runs the years its previous content touched.
        years.update(touched, _years(before))
        scan.seen[path.name] = {"sha256": digest, "years": touched}
    names = {p.name for p in present}
    for name, before in seen.items():
        if name not in names:
            scan.removed.append(name)
            years.update(_years(before))
    scan.years = sorted(years)
    return scan


def _years(entry: Mapping[str, object] | None) -> list[int]:
    values = entry.get("years", []) if entry else []
    return [int(y) for y in values] if isinstance(values, list) else []


def last_complete_year(today: dt.date) -> int:
    """A reporting year can be run once it has ended."""
    return today.year - 1
