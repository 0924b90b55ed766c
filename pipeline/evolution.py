"""The multi-year blocks of results.json (issue 14) in one call: trends, intake, reinforcement.

Why one function: the three share the years shown (the complete years of the
registration window up to Y, :func:`pipeline.trends.complete_years`) and the settings,
and the Dagster asset should only wire. Every figure is computed from the delivered
registrations, never from earlier outputs, so adding a later year leaves earlier
years as they were.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pipeline.intake import intake
from pipeline.reference import Reference
from pipeline.reinforcement import reinforcement
from pipeline.trends import TrendSettings, trends


def multi_year(valid: pl.DataFrame, traj: pl.DataFrame, reference: Reference, year: int,
               settings: TrendSettings | None = None) -> dict[str, Any]:
    """{trends, intake, reinforcement} for reporting year `year`.

    `valid`: the valid registrations of the delivery; `traj`: trajectories(valid, year).
    """
    settings = settings or TrendSettings()
    trend = trends(valid, reference, year, settings)
    years = trend["years"]
    return {
        "trends": trend,
        "intake": intake(traj, reference, year, years),
        "reinforcement": reinforcement(
            traj, reference, years, exposure=settings.exposure,
            region_trends=settings.region_trends, draws=settings.bootstrap_draws,
            seed=settings.seed, event_window=settings.event_window),
    }
