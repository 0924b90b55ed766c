"""The delivery folder of a run, and the two ways a year can have nothing to evaluate.

Why before ingest: a wrong `--input` (the folder above `registraties/`, an empty folder)
used to give a full report of 0 rows and exit 0. Only files of a registration type (CSV,
XLSX, Parquet, by their name) are registrations; any other file (`truth.json`, a
README) is listed as skipped, not counted as a rejected registration. Hidden files and
Office lock files (`~$…`) are not looked at, as in `ingest.registration_files`.

A year whose valid rows hold no trajectory active in it (all rows quarantined, the
files of another year) has nothing to report: the run stops with `EmptyYear` and
writes no report, so an empty report can never pass for an evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.ingest import CSV_SUFFIXES, PARQUET_SUFFIXES, XLSX_SUFFIXES
from pipeline.years import cutoff

REGISTRATION_SUFFIXES = frozenset(CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES)
TYPES = "CSV, XLSX of Parquet"


class NoRegistrations(RuntimeError):
    """The input folder holds no registration file (a Dutch message, no file content)."""


class EmptyYear(RuntimeError):
    """No valid trajectory is active in the reporting year: nothing to report."""


def _looked_at(path: Path) -> bool:
    return not path.name.startswith((".", "~$"))


def is_registration_file(path: Path) -> bool:
    return path.is_file() and _looked_at(path) and path.suffix.lower() in REGISTRATION_SUFFIXES


@dataclass(frozen=True)
class Delivery:
    """What the input folder holds, by name only."""

    folder: Path
    files: tuple[Path, ...]  # registration files, by name
    skipped: tuple[str, ...]  # other files, by name
    subfolders: tuple[tuple[str, int], ...]  # (name, registration files directly in it)

    def require_files(self) -> Delivery:
        if not self.files:
            raise NoRegistrations(no_registrations_message(self))
        return self

    def skipped_note(self) -> str | None:
        if not self.skipped:
            return None
        return (f"Overgeslagen, geen registratiebestand ({TYPES}): "
                f"{_names(self.skipped)}.")


def scan_delivery(folder: Path) -> Delivery:
    """The registration files of `folder`, the other files and the subfolders."""
    folder = Path(folder)
    if not folder.is_dir():
        return Delivery(folder, (), (), ())
    entries = sorted((p for p in folder.iterdir() if _looked_at(p)), key=lambda p: p.name)
    files = tuple(p for p in entries if is_registration_file(p))
    skipped = tuple(p.name for p in entries if p.is_file() and p not in files)
    subfolders = tuple((p.name, sum(1 for q in p.iterdir() if is_registration_file(q)))
                       for p in entries if p.is_dir())
    return Delivery(folder, files, skipped, subfolders)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _names(names: tuple[str, ...] | list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" en {len(names) - most} andere" if len(names) > most else "")


def no_registrations_message(delivery: Delivery) -> str:
    """One Dutch line: the folder, what it holds instead, and where the files may be."""
    folder = delivery.folder
    if not folder.is_dir():
        return f"De invoermap {folder} bestaat niet (of is geen map)."
    found = []
    if delivery.skipped:
        found.append(f"{_count(len(delivery.skipped), 'ander bestand', 'andere bestanden')} "
                     f"({_names(delivery.skipped)})")
    if delivery.subfolders:
        found.append(f"{_count(len(delivery.subfolders), 'map', 'mappen')} "
                     f"({_names([f'{name}/' for name, _ in delivery.subfolders])})")
    what = "gevonden: " + " en ".join(found) if found else "de map is leeg"
    message = f"Geen registratiebestand ({TYPES}) in de invoermap {folder}; {what}."
    with_files = [(name, n) for name, n in delivery.subfolders if n]
    hint = next(((name, n) for name, n in with_files if name == "registraties"),
                with_files[0] if with_files else None)
    if hint is not None:
        name, n = hint
        message += (f" De map {name}/ bevat "
                    f"{_count(n, 'registratiebestand', 'registratiebestanden')}: gebruik "
                    f"--input {folder / name}.")
    return message


def require_active(traj: pl.DataFrame, year: int) -> None:
    """Raise EmptyYear, with a Dutch reason, when no valid trajectory is active in `year`."""
    if traj.height and bool(traj["active"].any()):
        return
    end = cutoff(year)
    if traj.is_empty():
        raise EmptyYear(
            f"Geen enkele geldige registratie in de levering (alle bestanden geweigerd of "
            f"alle rijen in quarantaine): er is geen rapport voor {year} geschreven. "
            f"Controleer de bestanden met 'pwb validate' en lever ze opnieuw aan.")
    later = int((~traj["in_scope"]).sum())
    earlier = traj.height - later
    starts = traj["datum_start"]
    raise EmptyYear(
        f"Geen enkel geldig traject is actief in {year}: van de {traj.height} geldige "
        f"trajecten (gestart tussen {starts.min()} en {starts.max()}) starten er {later} na "
        f"de peildatum {end} en zijn er {earlier} voor {year} afgesloten. Er is geen rapport "
        f"voor {year} geschreven; kies het registratiejaar van deze levering (--year) of "
        f"lever de registraties van {year} aan.")
