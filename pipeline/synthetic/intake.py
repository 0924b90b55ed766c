"""Starts of support per region: a Poisson process that follows staffing and a trend.

Why this shape: starts are supply-bound (the circular's 26.66 supports per FTE a
year at the intake reference date), but not one-for-one: the rate of region r is

    starts per day = A_r x FTE_r(t) ** power x (1 + growth_r) ** ((t - ref) / 365.25) x scale

with FTE_r(t) the base staffing of the year plus the extra FTE of the circular in
force on day t (from their dates), A_r = 26.66 / 365.25 x FTE_r(ref) ** (1 - power)
so that the 26.66 per FTE holds at the reference date, a yearly growth per region
(OVL growing, BRU shrinking by default) and `scale` = 1 unless --n-per-year rescales
all volumes by one factor. The power and the trends are in truth.json for the
reinforcement analysis. Within a constant-staffing segment the rate is exactly
exponential, and start days are drawn from it by inverting its integral.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from pipeline.reference import Reference
from pipeline.synthetic.config import SynthConfig

EPOCH = dt.date(1970, 1, 1)
YEAR_DAYS = 365.25


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def base_fte(staffing: pl.DataFrame, caw: str, year: int) -> tuple[float, int | None]:
    """Base FTE of a region in a year; the nearest listed year when the year is missing."""
    rows = staffing.filter(pl.col("caw") == caw).select("jaar", "basis_vte").rows()
    if not rows:
        return 0.0, None
    used_year, value = min(rows, key=lambda r: (abs(r[0] - year), r[0]))
    return float(value), int(used_year)


def fte_on(reference: Reference, caw: str, day: dt.date) -> float:
    """Base FTE of the day's year plus the extra FTE in force on that day."""
    extra = reference.extra_fte.filter((pl.col("caw") == caw) & (pl.col("vanaf") <= day))
    return base_fte(reference.staffing, caw, day.year)[0] + float(extra["extra_vte"].sum())


@dataclass(frozen=True)
class Timeline:
    """Piecewise staffing per region: one segment per constant-FTE stretch of a year."""

    region: np.ndarray  # region index
    start: np.ndarray  # first day (day number)
    length: np.ndarray  # days (truncated at the last simulated day)
    fte: np.ndarray  # FTE in force (base + extra)
    level: np.ndarray  # starts per day at the segment's first day (scaled)
    growth: np.ndarray  # log growth per day of the segment's region
    scale: float  # one volume factor (1 without --n-per-year)
    table: list[dict[str, Any]]  # per region and year, for truth.json
    model: dict[str, Any]  # the intake model, for truth.json

    @property
    def expected(self) -> np.ndarray:
        """Expected starts per segment (integral of the exponential rate)."""
        return _integral(self.level, self.growth, self.length.astype(np.float64))

    def expected_between(self, first: int, last: int, region: int | None = None) -> float:
        """Expected starts on the days first..last (day numbers, inclusive)."""
        lo = np.clip(first - self.start, 0, self.length)
        hi = np.clip(last + 1 - self.start, 0, self.length)
        level = self.level * np.exp(self.growth * lo)
        total = _integral(level, self.growth, (hi - lo).astype(np.float64))
        if region is not None:
            total = total[self.region == region]
        return float(total.sum())


def _integral(level: np.ndarray, growth: np.ndarray, length: np.ndarray) -> np.ndarray:
    """int_0^L level exp(growth u) du, stable for growth near 0."""
    gl = growth * length
    return level * length * np.where(np.abs(gl) < 1e-12, 1.0, np.expm1(gl) / np.where(
        gl == 0, 1.0, gl))


def timeline(reference: Reference, regions: Sequence[str], years: Sequence[int],
             last_day: dt.date, per_fte: float, config: SynthConfig,
             n_per_year: int | None, delivered_first: dt.date) -> Timeline:
    """Segments over the simulated years; n_per_year sets the mean expected starts per
    delivered year (from `delivered_first` to `last_day`)."""
    extra = reference.extra_fte.select("caw", "vanaf", "extra_vte").rows()
    ref_day = config.intake_reference_date
    power = config.fte_power
    log_growth = {caw: math.log1p(float(config.intake_growth.get(caw, 0.0))) for caw in regions}
    anchor = {}
    for caw in regions:
        at_ref = fte_on(reference, caw, ref_day)
        anchor[caw] = per_fte / YEAR_DAYS * (at_ref ** (1 - power) if at_ref > 0 else 1.0)
    seg: dict[str, list] = {k: [] for k in ("region", "start", "length", "fte", "level",
                                            "growth", "year")}
    table: list[dict[str, Any]] = []
    for year in years:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        cuts = sorted({first, *(v for _, v, _ in extra if first < v <= last),
                       last + dt.timedelta(days=1)})
        for r, caw in enumerate(regions):
            base, base_year = base_fte(reference.staffing, caw, year)
            fte_days = 0.0
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                fte = base + sum(e for c, v, e in extra if c == caw and v <= a)
                g = log_growth[caw] / YEAR_DAYS
                seg["region"].append(r)
                seg["start"].append(day_number(a))
                seg["length"].append((b - a).days)
                seg["fte"].append(fte)
                seg["level"].append(anchor[caw] * fte ** power
                                    * math.exp(g * (a - ref_day).days))
                seg["growth"].append(g)
                seg["year"].append(year)
                fte_days += fte * (b - a).days
            table.append({"caw": caw, "year": year, "base_fte": base,
                          "base_fte_from_year": base_year,
                          "fte_year": round(fte_days / ((last - first).days + 1), 6),
                          "growth_factor_mid_year": round(math.exp(
                              log_growth[caw] * ((dt.date(year, 7, 2) - ref_day).days
                                                 / YEAR_DAYS)), 6)})
    start = np.array(seg["start"], dtype=np.int64)
    length = np.array(seg["length"], dtype=np.int64)
    end = day_number(last_day) + 1  # truncate at the last simulated day
    length = np.clip(np.minimum(start + length, end) - start, 0, None)
    region = np.array(seg["region"], dtype=np.int64)
    fte = np.array(seg["fte"], dtype=np.float64)
    level = np.array(seg["level"], dtype=np.float64)
    growth = np.array(seg["growth"], dtype=np.float64)
    scale = 1.0
    if n_per_year is not None:
        unscaled = Timeline(region, start, length, fte, level, growth, 1.0, [], {})
        delivered_years = last_day.year - delivered_first.year + 1
        expected = unscaled.expected_between(day_number(delivered_first),
                                             day_number(last_day))
        scale = n_per_year * delivered_years / expected if expected > 0 else 0.0
    year = np.array(seg["year"], dtype=np.int64)
    expected_starts = _integral(level * scale, growth, length.astype(np.float64))
    for row in table:
        in_year = (year == row["year"]) & (region == regions.index(row["caw"]))
        row["expected_starts"] = round(float(expected_starts[in_year].sum()), 6)
    model = {
        "formula": "starts per day = A_caw x FTE(t) ** fte_power x (1 + growth_caw) ** "
                   "((t - reference_date) / 365.25) x scale; FTE(t) = base staffing of the "
                   "year + extra FTE of the circular in force on day t",
        "fte_power": power,
        "reference_date": ref_day.isoformat(),
        "supports_per_fte_year_at_reference": per_fte,
        "growth_per_year": {caw: float(config.intake_growth.get(caw, 0.0)) for caw in regions},
        "A_per_day": {caw: anchor[caw] for caw in regions},
        "scale": scale,
        "process": "Poisson, exact exponential rate within each constant-staffing segment",
    }
    return Timeline(region, start, length, fte, level * scale, growth, scale, table, model)


def draw_starts(rng: np.random.Generator, line: Timeline) -> tuple[np.ndarray, np.ndarray]:
    """Segment index and start day of every simulated start, in segment order."""
    counts = rng.poisson(line.expected)
    segment = np.repeat(np.arange(len(counts)), counts)
    u = rng.random(len(segment))
    g = line.growth[segment]
    span = line.length[segment].astype(np.float64)
    gl = g * span
    small = np.abs(gl) < 1e-12
    offset = np.where(small, u * span,
                      np.log1p(u * np.expm1(gl)) / np.where(small, 1.0, g))
    start = line.start[segment] + np.minimum(np.floor(offset).astype(np.int64),
                                             line.length[segment] - 1)
    return segment, start
