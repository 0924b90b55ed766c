"""What the regional feedback reports add to a yearly `pwb run` (issue 14, performance).

The bar: "Ten regional reports and the multi-year chapter add at most 30 % to the `pwb
run` wall time of a 10,000-row year". This script measures the regional reports' part
end to end: the whole `pwb run` of a synthetic delivery of about 10,000 rows (two years
of trajectories and the generator's warm-up year; the run is for the last year), with the
regional reports (the default) and without them (environment PWB_REGIONAL_REPORTS=0, which
the report asset reads: no regio/ pages and no links to them; everything else identical),
interleaved (with, without, with, ...) so that a change in the machine's load hits both,
best of N each, wall and CPU seconds (user + system of the run's processes: less
sensitive to other load than the wall time). It prints every round, the best of each and
the difference, and then times the regional step alone: the run's results.json, the
yearly report rendered in this process, then every region's page (CPU seconds).

The multi-year chapter has no switch (it is part of the yearly report); its cost is not in
this difference, so it is timed in process on the run's store (``multi_year_seconds``: the
evolutie asset's computation and the chapter's share of the report's rendering) and both
parts are set against the run without them. The figures are noisy on a shared machine:
state the load beside them.

    .venv/bin/python benchmarks/bench_feedback.py [--rows 10000] [--repeat 3] [--lang en]
                                                  [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
YEARS = (2012, 2013)
SWITCH = "PWB_REGIONAL_REPORTS"


def synthesise(out: Path, rows: int) -> Path:
    """About `rows` registration rows: two simulated years, the warm-up year and the
    generator's defects (3,333 a year gave 11,978 rows in, hence n_per_year = rows / 3.6)."""
    if not (out / "registraties").is_dir():
        from pipeline.synthetic import generate

        generate(out, list(YEARS), seed=4242, n_per_year=round(rows / 3.6))
    return out / "registraties"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the run and its children), stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=PROJECT, env=env, check=True, capture_output=True,
                          text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def step_seconds(folder: Path, lang: str | None) -> tuple[float, float]:
    """CPU seconds of the regional reports alone, in this process, on a run's results.json:
    the yearly report rendered first (untimed), then every region, as the asset does."""
    import json

    from pipeline.report import feedback
    from pipeline.report.render import render

    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    spent, pages = 0.0, 0
    for language in ["nl", *([lang] if lang else [])]:
        main = render(results, lang=language).report
        start = time.process_time()
        pages += len(feedback.render_regional(results, main).html)
        spent += time.process_time() - start
    return spent, pages


MULTI_YEAR_BLOCKS = ("trends", "intake", "reinforcement")


def multi_year_seconds(store: Path, folder: Path, repeat: int = 3) -> tuple[float, float]:
    """Seconds (best of ``repeat``, wall in this process) of the multi-year part of a run:
    the ``evolutie`` asset's computation (pipeline.evolution.multi_year on the run's stored
    registrations and trajectories) and the Evolutie chapter of the Dutch report (the
    report rendered with the three blocks less the report rendered without them, where the
    chapter is a one-sentence stub)."""
    import json

    import polars as pl

    from pipeline.evolution import multi_year
    from pipeline.reference import load_reference
    from pipeline.report.render import render
    from pipeline.trends import TrendSettings

    year = YEARS[-1]
    valid = pl.read_parquet(store / "registraties" / f"{year}.parquet")
    traj = pl.read_parquet(store / "trajecten" / f"{year}.parquet")
    reference = load_reference(None)
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    without = {k: v for k, v in results.items() if k not in MULTI_YEAR_BLOCKS}

    def best(work) -> float:  # noqa: ANN001
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        return min(times)

    compute = best(lambda: multi_year(valid, traj, reference, year, TrendSettings()))
    chapter = best(lambda: render(results)) - best(lambda: render(without))
    return compute, chapter


def compare(folder: Path, repeat: int = 3, lang: str | None = None) -> dict[str, float]:
    """Print the seconds of every round and the best of each; return the best ones."""
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        (tmp / "home").mkdir()
        (tmp / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {**os.environ, "DAGSTER_HOME": str(tmp / "home"), "PWB_STORE": str(tmp / "store"),
               "PWB_PSEUDONYM_KEY": os.environ.get("PWB_PSEUDONYM_KEY",
                                                   "benchmark-key-not-secret")}
        env.pop(SWITCH, None)
        base = [sys.executable, "-m", "pwb.cli", "run", "--input", str(folder), "--year",
                str(YEARS[-1]), "--run-date", f"{YEARS[-1] + 1}-03-01",
                *(["--lang", lang] if lang else [])]
        times: dict[str, list[float]] = {"with": [], "without": []}
        cpus: dict[str, list[float]] = {"with": [], "without": []}
        rows = ""
        for i in range(repeat):
            for label, extra in (("with", {}), ("without", {SWITCH: "0"})):
                out = tmp / f"{label}{i}"
                seconds, cpu, stdout = _run([*base, "--out", str(out)], {**env, **extra})
                times[label].append(seconds)
                cpus[label].append(cpu)
                pages = sorted((out / str(YEARS[-1]) / "regio").glob("*.html")) \
                    if (out / str(YEARS[-1]) / "regio").is_dir() else []
                assert (len(pages) > 0) == (label == "with"), (label, pages)
                found = re.search(r"(\d[\d.]*) rijen in", stdout)
                rows = found[1] if found else rows
                print(f"  round {i + 1} {label:7s} regional reports: {seconds:6.2f} s wall, "
                      f"{cpu:6.2f} s CPU ({len(pages)} pages; load {os.getloadavg()[0]:.1f})",
                      flush=True)
        step, pages = step_seconds(tmp / "with0" / str(YEARS[-1]), lang)
        compute, chapter = multi_year_seconds(tmp / "store", tmp / "with0" / str(YEARS[-1]),
                                              repeat)
    best = {k: min(v) for k, v in times.items()}
    cpu = {k: min(v) for k, v in cpus.items()}
    extra = best["with"] - best["without"]
    print(f"pwb run of {folder} ({rows} rows in), year {YEARS[-1]}"
          f"{', with --lang ' + lang if lang else ''}: best with regional reports "
          f"{best['with']:.2f} s, without {best['without']:.2f} s; they add {extra:.2f} s = "
          f"{100 * extra / best['without']:.1f} % of the wall time (CPU: {cpu['with']:.2f} s "
          f"against {cpu['without']:.2f} s, "
          f"{100 * (cpu['with'] - cpu['without']) / cpu['without']:.1f} %). "
          f"The regional step alone ({pages} pages, in process): {step:.2f} s CPU = "
          f"{100 * step / best['without']:.1f} % of the best wall time without them. "
          f"(Issue 14: the regional reports and the multi-year chapter together <= 30 %.)")
    # the multi-year part has no switch: timed in process and taken off the run
    base = best["without"] - compute - chapter
    added = extra + compute + chapter
    print(f"Multi-year part, in process: the evolutie computation {compute:.2f} s, the "
          f"Evolutie chapter {chapter:.2f} s. Together with the regional reports they add "
          f"{added:.2f} s to a run of {base:.2f} s without both = {100 * added / base:.1f} % "
          f"(bar 30 %).")
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lang", choices=["en"], help="also the English copies")
    parser.add_argument("--data", type=Path, help="keep (and reuse) the synthetic data here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = (args.data or Path(scratch)) / f"feedback-{args.rows}"
        compare(synthesise(out, args.rows), args.repeat, args.lang)


if __name__ == "__main__":
    main()
