"""Definitions that `dagster dev` and `pwb` load: assets, checks, resources, executor."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import Definitions, in_process_executor

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


def resources(store: Path | None = None, settings: PwbSettings | None = None,
              evaluation: EvaluationSettings | None = None) -> dict:
    """Every resource the graph needs; one place for Definitions, the CLI and tests."""
    base = str(store or storage_dir())
    return {"io_manager": PolarsParquetIOManager(base_dir=base),
            IO_MANAGER_KEY: JsonIOManager(base_dir=base),
            "settings": settings or PwbSettings(),
            "evaluation": evaluation or EvaluationSettings()}


defs = Definitions(assets=ASSETS, resources=resources(), executor=in_process_executor)
