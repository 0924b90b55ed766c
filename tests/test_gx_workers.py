"""GX in worker processes (issue 16) gives GX's verdict in this process, rule by rule.

`pwb run` starts a GX worker before it imports Dagster; a large frame is shared by two
workers. Both paths must give the same SuiteOutcome as `run_suite` in this process,
and the validation they feed must still agree with the polars twins. One worker
process imports GX (a few seconds); the frame is the failing examples of
test_validation, so every rule breaks at least once or not at all as it should.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile

import pytest
from registration_files import RUN_DATE, open_row, valid_row, write_csv
from test_validation import FAILING

from pipeline import gx_suite, gx_workers, validation
from pipeline.ingest import ingest
from pipeline.validation import load_suite_dict, run_suite, validate


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("werkers")
    rows = [valid_row(i, **overrides) for i, (overrides, _) in enumerate(FAILING, start=1)]
    rows += [valid_row(900), open_row(901, caw="BMK", verhuurder_type="svk", aanmelder="SVK")]
    rows += [valid_row(900)]  # dossier 900 twice: dubbel_dossier
    return ingest([write_csv(folder / "regels.csv", rows)])


@pytest.fixture(scope="module")
def in_process(ingested):
    return run_suite(ingested.frame, RUN_DATE)


def _leftover_frames() -> list[str]:
    return glob.glob(os.path.join(tempfile.gettempdir(), "pwb-gx-*"))


def test_one_worker_gives_the_in_process_verdict(ingested, in_process) -> None:
    before = set(_leftover_frames())
    validation.start_gx_workers(1)
    assert len(gx_workers.workers) == 1
    validated = validate(ingested, RUN_DATE)
    assert validated.suite == in_process
    assert validated.gx_agrees, validated.mismatches
    assert validated.counts_per_rule()["dubbel_dossier"] == 2
    assert sum(r.broken > 0 for r in in_process.rules) > 25
    assert gx_workers.workers == []  # stopped once GX is done: memory back to the run
    assert set(_leftover_frames()) <= before  # the frame's temporary file is removed


def test_two_workers_share_the_suite(ingested, in_process, monkeypatch) -> None:
    """A 'large' frame (threshold lowered): two workers, each a part of the GX runs."""
    monkeypatch.setattr(gx_suite, "PARALLEL_FROM_ROWS", 1)
    batches = list(gx_suite._batches(load_suite_dict(), True).values())
    tasks = gx_suite._tasks(batches, validation.GX_WORKERS)
    assert len(tasks) == 2 and all(tasks)
    assert sum(map(len, tasks)) == len(batches)
    validated = validate(ingested, RUN_DATE)
    assert validated.suite == in_process
    assert validated.gx_agrees, validated.mismatches
    assert gx_workers.workers == []


def test_a_worker_that_dies_costs_time_not_the_verdict(ingested, in_process) -> None:
    """A worker that ends without answering (killed, out of memory): GX runs here."""
    validation.start_gx_workers(1)
    worker = gx_workers.workers[0]
    worker.process.kill()
    worker.process.wait()
    worker.process = subprocess.Popen(  # reads the request's first bytes, then dies
        [sys.executable, "-c", "import sys; sys.stdin.buffer.read(8)"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    with pytest.warns(RuntimeWarning, match="GX-werkproces"):
        validated = validate(ingested, RUN_DATE)
    assert validated.suite == in_process
    assert validated.gx_agrees
    assert gx_workers.workers == []
