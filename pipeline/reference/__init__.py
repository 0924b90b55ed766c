"""Reference data shipped with pwb, replaceable with `--reference DIR`.

A directory holds these CSV files (UTF-8, `,`):

- `caw_regios.csv`     caw, naam — the region split of the circular; optional
                       registratie_sinds (ISO date: the region's registration window)
- `extra_vte.csv`      caw, vanaf, extra_vte, budget_eur, bron — the circular's extra FTE (exact)
- `normen.csv`         parameter, waarde, omschrijving, bron — norms and risk rates
- `verhuurders.csv`    verhuurder_id, verhuurder_type, naam, caw, gemeente_nis, woningen,
                       overeenkomst, overeenkomst_sinds, lokaal_bestuur, illustratief
- `personeel.csv`      caw, jaar, basis_vte, illustratief — base staffing per region and year

A user directory may hold only some of them; the others come from the shipped set.
The shipped landlords and base staffing are illustrative (column `illustratief`),
and everything that shows them says so.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

SHIPPED = Path(__file__).resolve().parent
FILES = ("caw_regios.csv", "extra_vte.csv", "normen.csv", "verhuurders.csv", "personeel.csv")
BIG_CITY_NIS = ("44021", "11002")  # Gent, Antwerpen: the circular's 1.65% SHM risk

_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "caw_regios.csv": {"caw": pl.String(), "naam": pl.String()},
    "extra_vte.csv": {"caw": pl.String(), "vanaf": pl.Date(), "extra_vte": pl.Float64(),
                      "budget_eur": pl.Float64(), "bron": pl.String()},
    "normen.csv": {"parameter": pl.String(), "waarde": pl.Float64(),
                   "omschrijving": pl.String(), "bron": pl.String()},
    "verhuurders.csv": {"verhuurder_id": pl.String(), "verhuurder_type": pl.String(),
                        "naam": pl.String(), "caw": pl.String(), "gemeente_nis": pl.String(),
                        "woningen": pl.Int64(), "overeenkomst": pl.Boolean(),
                        "overeenkomst_sinds": pl.Date(), "lokaal_bestuur": pl.Boolean(),
                        "illustratief": pl.Boolean()},
    "personeel.csv": {"caw": pl.String(), "jaar": pl.Int64(), "basis_vte": pl.Float64(),
                      "illustratief": pl.Boolean()},
}
# Optional columns: read and typed when a file has them. `registratie_sinds` is the date
# from which a region's delivery holds every trajectory (its registration window).
_OPTIONAL: dict[str, dict[str, pl.DataType]] = {
    "caw_regios.csv": {"registratie_sinds": pl.Date()},
}


@dataclass(frozen=True)
class Reference:
    regions: pl.DataFrame
    extra_fte: pl.DataFrame
    norms: dict[str, float]
    landlords: pl.DataFrame
    staffing: pl.DataFrame
    sources: dict[str, str]

    @property
    def illustrative(self) -> bool:
        """Whether any shown landlord or staffing figure is the shipped illustration."""
        return bool(self.landlords["illustratief"].any() or self.staffing["illustratief"].any())

    def fte_on(self, day: dt.date) -> pl.DataFrame:
        """FTE per region on a day: base staffing of that year plus extra FTE in force."""
        extra = (self.extra_fte.filter(pl.col("vanaf") <= day)
                 .group_by("caw").agg(pl.col("extra_vte").sum()))
        return self._per_region(day.year, extra)

    def fte_in_year(self, year: int) -> pl.DataFrame:
        """Time-averaged FTE per region over a year (extra FTE counted from its start date)."""
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        days = (last - first).days + 1
        extra = (self.extra_fte.filter(pl.col("vanaf") <= last)
                 .with_columns(pl.max_horizontal(pl.col("vanaf"), pl.lit(first)).alias("van"))
                 .with_columns(((pl.lit(last) - pl.col("van")).dt.total_days() + 1)
                               .alias("dagen"))
                 .group_by("caw")
                 .agg((pl.col("extra_vte") * pl.col("dagen") / days).sum().alias("extra_vte")))
        return self._per_region(year, extra)

    def _per_region(self, year: int, extra: pl.DataFrame) -> pl.DataFrame:
        """Every region with its base FTE of `year`, the given extra FTE and their sum."""
        base = self.staffing.filter(pl.col("jaar") == year).select("caw", "basis_vte")
        return (self.regions.select("caw")
                .join(base, on="caw", how="left")
                .join(extra, on="caw", how="left")
                .with_columns(pl.col("basis_vte").fill_null(0.0),
                              pl.col("extra_vte").fill_null(0.0))
                .with_columns((pl.col("basis_vte") + pl.col("extra_vte")).alias("vte")))


class ReferenceError(ValueError):
    """A reference file is missing a column or cannot be read (Dutch message)."""


def _read(path: Path, name: str) -> pl.DataFrame:
    """One reference file, typed; a bad cell is named by file, line and column, never
    quoted (personeel.csv comes back from the CAW's, and anything may be typed in it).

    Parsed once per content: the run's steps ask for the reference several times; a
    file whose bytes changed is parsed anew."""
    if not path.is_file():
        raise ReferenceError(f"Referentiebestand '{path}' ontbreekt.")
    try:
        content = path.read_bytes()
    except OSError:
        raise ReferenceError(f"Referentiebestand '{path}' kan niet gelezen worden.") from None
    return _parsed(path, name, content)


@functools.lru_cache(maxsize=64)
def _parsed(path: Path, name: str, content: bytes) -> pl.DataFrame:
    expected = _SCHEMAS[name]
    try:
        frame = pl.read_csv(io.BytesIO(content), infer_schema=False)
    except Exception:
        raise ReferenceError(f"Referentiebestand '{path}' kan niet gelezen worden.") from None
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    expected = expected | {c: t for c, t in _OPTIONAL.get(name, {}).items()
                           if c in frame.columns}
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise ReferenceError(f"Referentiebestand '{path}': kolom(men) {', '.join(missing)} "
                             f"ontbreken.")
    casts = []
    for column, dtype in expected.items():
        text = pl.col(column).str.strip_chars()
        if dtype == pl.Boolean:
            casts.append(text.str.to_lowercase().is_in(["ja", "j", "1", "true"]).alias(column))
        elif dtype == pl.Date:
            casts.append(text.str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias(column))
        else:
            casts.append(text.cast(dtype, strict=False).alias(column))
    typed = frame.select(casts)
    for column, dtype in expected.items():
        if dtype == pl.Boolean:
            continue
        bad = typed[column].is_null() & frame[column].str.strip_chars().is_not_null() & (
            frame[column].str.strip_chars() != "")
        if bad.any():
            line = int(bad.arg_true()[0]) + 2  # the header is line 1
            kind = "een datum (JJJJ-MM-DD)" if dtype == pl.Date else "een getal"
            raise ReferenceError(f"Referentiebestand '{path}', regel {line}, kolom '{column}': "
                                 f"verwacht {kind}.")
    return typed


def shipped_norms() -> dict[str, float]:
    """The circular's norms and risk rates as shipped (normen.csv of the package)."""
    shipped = _read(SHIPPED / "normen.csv", "normen.csv")
    return {k: float(v) for k, v in shipped.select("parameter", "waarde").iter_rows()}


def with_norms(reference: Reference, settings: Mapping[str, float]) -> Reference:
    """The reference with the run's norm settings applied.

    A setting left at the circular's value lets normen.csv of the reference
    directory decide; a setting changed in the run's config wins over both.
    """
    unknown = sorted(set(settings) - set(reference.norms))
    if unknown:
        raise ReferenceError(f"Onbekende norm(en) in de instellingen: {', '.join(unknown)}; "
                             f"gekend zijn: {', '.join(sorted(reference.norms))}.")
    shipped = shipped_norms()
    changed = {k: float(v) for k, v in settings.items() if float(v) != shipped.get(k)}
    return replace(reference, norms=reference.norms | changed)


def load_reference(directory: Path | None = None) -> Reference:
    """The reference data: files from `directory` where present, else the shipped ones."""
    frames: dict[str, pl.DataFrame] = {}
    sources: dict[str, str] = {}
    for name in FILES:
        path = directory / name if directory is not None else None
        if path is None or not path.exists():
            path = SHIPPED / name
            sources[name] = "meegeleverd"
        else:
            sources[name] = str(path)
        frames[name] = _read(path, name)
    # A user's normen.csv may hold only the parameters it changes: the circular's
    # shipped values fill the rest, so every caller finds every norm here.
    norms = shipped_norms()
    norms |= dict(frames["normen.csv"].select("parameter", "waarde").iter_rows())
    return Reference(
        regions=frames["caw_regios.csv"],
        extra_fte=frames["extra_vte.csv"],
        norms={k: float(v) for k, v in norms.items()},
        landlords=frames["verhuurders.csv"],
        staffing=frames["personeel.csv"],
        sources=sources,
    )


def unknown_references(valid: pl.DataFrame, reference: Reference) -> dict[str, int]:
    """Rows whose landlord or municipality the reference tables do not know.

    Not a row error (references are often behind): counted, and shown in the report.
    """
    known_landlords = reference.landlords["verhuurder_id"].implode()
    known_municipalities = reference.landlords["gemeente_nis"].unique().implode()
    row = valid.select(
        (pl.col("verhuurder_id").is_not_null()
         & ~pl.col("verhuurder_id").is_in(known_landlords)).sum().alias("verhuurder_id"),
        (pl.col("gemeente_nis").is_not_null()
         & ~pl.col("gemeente_nis").is_in(known_municipalities)).sum().alias("gemeente_nis"),
    ).row(0, named=True)
    return {k: int(v) for k, v in row.items()}
