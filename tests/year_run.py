"""One real run shared by the tests that only read its outputs (schema, workbook, axe).

`pwb run` on a small synthetic delivery takes most of a minute on a busy machine; the
tests of results.json's schema, of tabellen.xlsx and of the report's accessibility read
the same outputs, so one pytest process makes the run once (the first test that asks)
and removes it at exit.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.synthetic import generate

PROJECT = Path(__file__).resolve().parents[1]
YEAR = 2013
RUN_DATE = "2014-03-01"


@functools.cache
def year_outputs() -> Path:
    """OUT/2013 of `pwb run --lang en` on a synthetic delivery of 2012-2013 (300 a year)."""
    root = Path(tempfile.mkdtemp(prefix="pwb-jaarrun-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    generate(root / "synth", [YEAR - 1, YEAR], seed=7, n_per_year=300, dirty=0.03)
    done = subprocess.run(
        [sys.executable, "-m", "pwb.cli", "run", "--input", str(root / "synth" / "registraties"),
         "--year", str(YEAR), "--out", str(root / "out"), "--lang", "en",
         "--run-date", RUN_DATE],
        capture_output=True, text=True, cwd=PROJECT, timeout=600,
        env={**os.environ, "PWB_STORE": str(root / "store")})
    if done.returncode != 0:
        raise RuntimeError(f"pwb run mislukt:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return root / "out" / str(YEAR)
