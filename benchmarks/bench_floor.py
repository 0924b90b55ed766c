"""A yearly `pwb run` against the bare import floor, side by side, best of N.

The floor is a Python process that only imports the libraries of the pipeline
(polars, statsmodels.api, lifelines, dagster, great_expectations, jinja2,
matplotlib); the run is the whole `pwb run` of a synthetic year of about 15,000
rows (ingest, GX validation, models, report, publication), and the same run with
GX in the main process (PWB_GX_WORKERS=0), to show what the GX worker brings. They
are measured interleaved (floor, run, run without worker, floor, ...) so that a
change in the machine's load hits all; the ratio is best run / best floor. Issue 16
asks for <= 1.5. `pwb run` pauses the garbage collector during its own imports
(pwb.driver.ImportPhase), which a bare import does not: the ratio against a floor that
does the same is printed beside it. The run's CPU counts a GX worker only if the run
reaped it (`pwb` leaves without waiting for it: pwb.cli.entry).

    .venv/bin/python benchmarks/bench_floor.py [--rows 15000] [--repeat 3] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
FLOOR = "import polars, statsmodels.api, lifelines, dagster, great_expectations, jinja2, matplotlib"
# The same imports with the garbage collector paused (what `pwb run` does for its own
# imports, pwb.driver.ImportPhase): the floor that trick would give a bare import too.
FLOOR_GC_PAUSED = "import gc; gc.disable(); " + FLOOR


CPU: dict[str, list[float]] = {}  # CPU seconds of every measured process, by label


def _seconds(args: list[str], env: dict[str, str], label: str = "") -> float:
    """Wall seconds of the command; its CPU seconds (user + system of the process and the
    children it reaped: a GX worker counts once the run has reaped it) go to CPU[label]."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), args)
    CPU.setdefault(label, []).append(usage.ru_utime + usage.ru_stime)
    return wall


def compare(folder: Path, repeat: int = 3) -> float:
    """Print floor and run seconds of every round and the ratio of the best; return it."""
    pwb = [sys.executable, "-m", "pwb"] if (PROJECT / "pwb").is_dir() else \
        [sys.executable, "-m", "pipeline.cli"]
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        (tmp / "home").mkdir()
        (tmp / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {**os.environ, "DAGSTER_HOME": str(tmp / "home"), "PWB_STORE": str(tmp / "store"),
               "PWB_PSEUDONYM_KEY": os.environ.get("PWB_PSEUDONYM_KEY",
                                                   "benchmark-key-not-secret")}
        floors, paused, runs, alone = [], [], [], []
        for i in range(repeat):
            run = [*pwb, "run", "--input", str(folder), "--year", "2012", "--run-date",
                   "2026-12-07"]
            floors.append(_seconds([sys.executable, "-c", FLOOR], env, "floor"))
            paused.append(_seconds([sys.executable, "-c", FLOOR_GC_PAUSED], env, "paused"))
            runs.append(_seconds([*run, "--out", str(tmp / f"out{i}")], env, "run"))
            # the same run with GX in the main process (no worker): what the worker brings
            alone.append(_seconds([*run, "--out", str(tmp / f"alone{i}")],
                                  {**env, "PWB_GX_WORKERS": "0"}, "alone"))
            print(f"  round {i + 1}: import floor {floors[-1]:.2f} s (collector paused "
                  f"{paused[-1]:.2f} s), pwb run {runs[-1]:.2f} s, "
                  f"without GX worker {alone[-1]:.2f} s (load {os.getloadavg()[0]:.1f}); CPU "
                  f"{CPU['floor'][-1]:.2f} / {CPU['run'][-1]:.2f} / "
                  f"{CPU['alone'][-1]:.2f} s")
    ratio = min(runs) / min(floors)
    print(f"pwb run of {folder}: best {min(runs):.2f} s (without GX worker {min(alone):.2f} s); "
          f"bare import floor: best {min(floors):.2f} s; ratio {ratio:.2f} (without GX worker "
          f"{min(alone) / min(floors):.2f}; issue 16: <= 1.5)")
    print(f"against the floor with the collector paused during the imports (best "
          f"{min(paused):.2f} s): ratio {min(runs) / min(paused):.2f}")
    print(f"CPU seconds, best: floor {min(CPU['floor']):.2f}, pwb run without GX worker "
          f"{min(CPU['alone']):.2f} (everything in one process): ratio "
          f"{min(CPU['alone']) / min(CPU['floor']):.2f}; with the worker {min(CPU['run']):.2f} "
          f"(wall is what counts; CPU is steadier on a busy machine)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=15_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, help="keep (and reuse) the synthetic data here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = (args.data or Path(scratch)) / f"small-{args.rows}"
        if not (out / "registraties").is_dir():
            from pipeline.synthetic import generate

            generate(out, [2012], seed=4242, n_per_year=args.rows // 2)
        compare(out / "registraties", args.repeat)


if __name__ == "__main__":
    main()
