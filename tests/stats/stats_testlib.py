"""Helpers for the statistics tests: reference loading, printed-value comparison."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"


def load_reference(name: str):
    """Import tests/reference/<name>.py by path (no sys.path changes)."""
    spec = importlib.util.spec_from_file_location(f"_ref_{name}", REFERENCE_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_printed(actual, printed, what=""):
    """``actual`` rounds to the printed value: |actual - printed| <= half a unit
    in the last printed digit (+1e-9). ``printed=None`` means R printed NA."""
    if printed is None:
        assert actual is None or math.isnan(actual), f"{what}: expected NA, got {actual}"
        return
    text = str(printed)
    mantissa = text.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(text.lower().split("e")[1]) if "e" in text.lower() else 0
    tol = 0.5 * 10.0 ** (exponent - decimals) + 1e-9
    assert actual is not None and not math.isnan(actual), f"{what}: got NaN, expected {printed}"
    assert abs(actual - float(text)) <= tol, f"{what}: {actual} vs printed {printed} (tol {tol:g})"




def statsmodels_test_file(*parts: str) -> Path:
    import statsmodels

    path = Path(statsmodels.__file__).parent.joinpath(*parts)
    if not path.exists():  # pragma: no cover - a statsmodels install without its tests
        pytest.fail(f"reference data missing from the statsmodels install: {path}")
    return path
