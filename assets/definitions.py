"""Definitions that `dagster dev` and `pwb` load: assets, checks, resources, executor."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import Definitions, in_process_executor

from assets.io import PolarsParquetIOManager
from assets.models import MODEL_ASSETS, model_resources
from assets.programme import PROGRAMME_ASSETS
from assets.registrations import trajectories, validated_registrations
from assets.report import jaarrapport
from assets.resources import PROJECT, PwbSettings

ASSETS = [validated_registrations, trajectories, *MODEL_ASSETS, *PROGRAMME_ASSETS, jaarrapport]


def storage_dir() -> Path:
    """Parquet stores of the assets: $PWB_STORE, else .dagster/storage in the project."""
    return Path(os.environ.get("PWB_STORE", PROJECT / ".dagster" / "storage"))


defs = Definitions(
    assets=ASSETS,
    resources={
        "io_manager": PolarsParquetIOManager(base_dir=str(storage_dir())),
        **model_resources(str(storage_dir())),
        "settings": PwbSettings(),
    },
    executor=in_process_executor,
)
