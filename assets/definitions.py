"""Definitions that `dagster dev` and `pwb` load: assets, checks, resources, executor."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import Definitions, in_process_executor

from assets.automation import inbox_sensor, yearly_evaluation, yearly_schedule
from assets.io import PolarsParquetIOManager
from assets.models import IO_MANAGER_KEY, MODEL_ASSETS, JsonIOManager
from assets.programme import PROGRAMME_ASSETS
from assets.registrations import trajectories, validated_registrations
from assets.report import jaarrapport
from assets.resources import PROJECT, EvaluationSettings, PwbSettings

ASSETS = [validated_registrations, trajectories, *MODEL_ASSETS, *PROGRAMME_ASSETS, jaarrapport]


def storage_dir() -> Path:
    """Parquet stores of the assets: $PWB_STORE, else .dagster/storage in the project."""
    return Path(os.environ.get("PWB_STORE", PROJECT / ".dagster" / "storage"))


def default_settings() -> PwbSettings:
    """The settings of `dagster dev` / the daemon: inbox and output folder from the
    environment ($PWB_INBOX, $PWB_OUT), else data/inbox and reports in the project."""
    defaults = PwbSettings()
    return PwbSettings(input_dir=os.environ.get("PWB_INBOX", defaults.input_dir),
                       out_dir=os.environ.get("PWB_OUT", defaults.out_dir))


def resources(store: Path | None = None, settings: PwbSettings | None = None,
              evaluation: EvaluationSettings | None = None) -> dict:
    """Every resource the graph needs; one place for Definitions, the CLI and tests."""
    base = str(store or storage_dir())
    return {"io_manager": PolarsParquetIOManager(base_dir=base),
            IO_MANAGER_KEY: JsonIOManager(base_dir=base),
            "settings": settings or default_settings(),
            "evaluation": evaluation or EvaluationSettings()}


defs = Definitions(assets=ASSETS, jobs=[yearly_evaluation], schedules=[yearly_schedule],
                   sensors=[inbox_sensor], resources=resources(), executor=in_process_executor)
