"""Fixtures for the statistics tests: the public data sets."""

from __future__ import annotations

import polars as pl
import pytest
from stats_testlib import REFERENCE_DIR


@pytest.fixture(scope="session")
def rossi() -> pl.DataFrame:
    from lifelines.datasets import load_rossi

    return pl.from_pandas(load_rossi())


@pytest.fixture(scope="session")
def lung() -> pl.DataFrame:
    from lifelines.datasets import load_lung

    return pl.from_pandas(load_lung())


@pytest.fixture(scope="session")
def aml() -> pl.DataFrame:
    return pl.read_csv(REFERENCE_DIR / "aml.csv")


@pytest.fixture(scope="session")
def ovarian() -> pl.DataFrame:
    return pl.read_csv(REFERENCE_DIR / "ovarian.csv")


@pytest.fixture(scope="session")
def spector() -> pl.DataFrame:
    import statsmodels.api as sm

    return pl.from_pandas(sm.datasets.spector.load_pandas().data)
