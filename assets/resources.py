"""Run settings that a researcher may change per run (CLI or launchpad)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster import ConfigurableResource

from pipeline.reference import Reference, load_reference

PROJECT = Path(__file__).resolve().parents[1]


class PwbSettings(ConfigurableResource):
    """Where the files come from and go to; the run date for 'no date in the future'."""

    input_dir: str = str(PROJECT / "data" / "inbox")
    out_dir: str = str(PROJECT / "reports")
    reference_dir: str | None = None
    run_date: str | None = None  # ISO date; default: today
    synthetic: bool = False  # the banner "synthetische registraties" in the report

    def today(self) -> dt.date:
        return dt.date.fromisoformat(self.run_date) if self.run_date else dt.date.today()

    def reference(self) -> Reference:
        return load_reference(Path(self.reference_dir) if self.reference_dir else None)
