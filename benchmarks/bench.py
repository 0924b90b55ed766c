"""Throughput, per-stage breakdown and memory of ingest + validation and of whole `pwb run`s.

Prints figures; asserts nothing (tests must not depend on machine speed). Every
measurement runs in a process of its own, so its peak memory is its own.

1. ingest + validate of the big delivery (default 1,000,000 rows): seconds and rows/s
   per stage (decode, privacy scan, parse, pseudonyms, GX import, GX, polars twins,
   accounting) and in total; trajectories() on the valid rows.
2. `pwb run` of the big delivery: wall time, peak memory of the process tree, and the
   run's breakdown: imports, the stages above, each asset of the graph (the models,
   programme, report) with publish_year and the report's rendering timed inside the
   report step, and what Dagster adds around the steps.
3. `pwb run` of a small year (default ~15,000 rows) with the same breakdown.
4. benchmarks/bench_floor.py: the small run against the bare import floor, best of 3.

State the machine's load next to the figures: on a shared machine they are noisy.

    .venv/bin/python benchmarks/bench.py [--rows 1000000] [--small 15000] [--data DIR]
                                         [--skip-big] [--skip-small] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
YEAR = 2012
RUN_DATE = "2026-12-07"
INGEST_STAGES = ("decode", "privacy scan", "parse", "pseudonyms")
VALIDATE_STAGES = ("GX import", "GX", "polars twins", "accounting")


# --------------------------------------------------------------------------- children


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _stages() -> dict[str, float]:
    """STAGE_SECONDS with the GX run apart from GX's import (the GX stage holds both), and
    the CPU seconds of each stage under "<stage> cpu" (this process, all its threads; GX in
    a worker process counts as the main process's wait)."""
    try:
        from pipeline.ingest import STAGE_SECONDS
    except ImportError:  # before the stage timers
        return {}
    try:
        from pipeline.ingest import STAGE_CPU
    except ImportError:
        STAGE_CPU = {}
    stages = dict(STAGE_SECONDS)
    cpu = dict(STAGE_CPU)
    for split in (stages, cpu):
        if "GX" in split:
            split["GX"] -= split.get("GX import", 0.0)
    return {**stages, **{f"{k} cpu": v for k, v in cpu.items()}}


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def _child_validate(folder: Path) -> dict:
    import datetime as dt

    import polars as pl  # noqa: F401  (import time is not ingest time)

    from pipeline.ingest import ingest, registration_files
    from pipeline.validation import start_gx_workers_for, validate
    from pipeline.years import trajectories

    start_gx_workers_for(folder)  # as `pwb run` does: GX imports in the workers meanwhile
    files = registration_files(folder)
    start = time.perf_counter()
    ingested = ingest(files)
    read = time.perf_counter() - start
    validated = validate(ingested, dt.date.fromisoformat(RUN_DATE))
    total = time.perf_counter() - start
    start = time.perf_counter()
    trajectories(validated.valid, YEAR)
    return {"rows": ingested.rows_in, "files": len(files), "ingest_s": read, "total_s": total,
            "quarantined": validated.rows_quarantined, "gx_agrees": validated.gx_agrees,
            "trajectories_s": time.perf_counter() - start, "stages": _stages(),
            "peak_mb": _peak_mb()}


def _timing(module: object, name: str, label: str, into: dict[str, float]) -> None:
    """Wrap module.name so that its seconds add up under `label` (skipped if absent)."""
    inner = getattr(module, name, None)
    if inner is None:
        return

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            into[label] = into.get(label, 0.0) + time.perf_counter() - start

    setattr(module, name, timed)


def _child_run(folder: Path, out: Path) -> dict:
    """One `pwb run` in this process, with the Dagster event log read back for step times."""
    import datetime as dt

    start = time.perf_counter()
    import dagster
    from dagster import DagsterEventType, DagsterInstance

    import assets.definitions  # noqa: F401  (what run_year imports first)
    import assets.report
    from pipeline import outputs

    try:
        from pwb.driver import dagster_home, run_year
    except ImportError:  # before the pwb package
        from pipeline.cli import run_year
        dagster_home = None
    imports = time.perf_counter() - start
    inside: dict[str, float] = {}
    _timing(outputs, "publish_year", "publish", inside)
    _timing(assets.report, "render", "report render", inside)
    samples: list[tuple[float, float]] = []  # (time, resident MB of this process)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            samples.append((time.time(), _rss_mb()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start, cpu = time.perf_counter(), time.process_time()
    results = run_year(folder, YEAR, out, run_date=dt.date.fromisoformat(RUN_DATE))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    done.set()
    sampler.join()
    home = str(dagster_home()) if dagster_home else os.environ["DAGSTER_HOME"]
    with DagsterInstance.from_config(home) as instance:
        run = instance.get_runs(limit=1)[0]
        started: dict[str, float] = {}
        steps: dict[str, float] = {}
        step_peaks: dict[str, float] = {}
        for entry in instance.all_logs(run.run_id, of_type={DagsterEventType.STEP_START,
                                                            DagsterEventType.STEP_SUCCESS}):
            if entry.dagster_event.event_type == DagsterEventType.STEP_START:
                started[entry.step_key] = entry.timestamp
            else:
                begin = started[entry.step_key]
                steps[entry.step_key] = entry.timestamp - begin
                step_peaks[entry.step_key] = max(
                    (mb for t, mb in samples if begin <= t <= entry.timestamp), default=0.0)
    del dagster
    return {"rows": results["counts"]["rows_in"], "imports_s": imports, "run_year_s": wall,
            "run_year_cpu_s": cpu,
            "steps": steps, "step_peaks": step_peaks, "inside_report": inside,
            "stages": _stages(),
            "peak_mb": _peak_mb()}


# --------------------------------------------------------------------------- parent


def _tree_rss_mb(pid: int) -> float:
    """Memory of a process and all its descendants (Linux /proc), in MB: the sum of their
    proportional set sizes (Pss: a page shared by two processes counts half in each), so
    that a forked child (the report's second chart process, the pseudonyms' helper) does
    not count the parent's pages it shares a second time; VmRSS where Pss is not shown."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            try:
                with open(f"/proc/{p}/smaps_rollup") as rollup:
                    total += next(int(line.split()[1]) for line in rollup
                                  if line.startswith("Pss:"))
            except (OSError, StopIteration):
                with open(f"/proc/{p}/status") as status:
                    total += next(int(line.split()[1]) for line in status
                                  if line.startswith("VmRSS"))
            with open(f"/proc/{p}/task/{p}/children") as children:
                todo += [int(c) for c in children.read().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024


def measure(args: list[str], env: dict[str, str] | None = None
            ) -> tuple[float, str, float, float]:
    """Run a command; its wall seconds, stdout, the peak memory of its process tree (MB)
    and its CPU seconds (user + system, with the child processes it waited for).

    The tree is sampled every 250 ms (a worker process counts with its parent; Pss is
    read from the kernel's page tables, which costs a 4 GB process several ms a time, so
    more often would slow the run it measures); the kernel's own peak of the main
    process (wait4) is the floor of the figure.
    """
    with tempfile.TemporaryFile() as stdout:
        start = time.perf_counter()
        process = subprocess.Popen(args, stdout=stdout, cwd=PROJECT,
                                   env={**os.environ, **(env or {})})
        peak, done = [0.0], threading.Event()

        def sample() -> None:
            while not done.wait(0.25):
                peak[0] = max(peak[0], _tree_rss_mb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"{' '.join(args)} failed ({process.returncode})")
        stdout.seek(0)
        return (wall, stdout.read().decode(), max(peak[0], usage.ru_maxrss / 1024),
                usage.ru_utime + usage.ru_stime)


def synthesise(out: Path, rows: int) -> Path:
    """A synthetic delivery of about `rows` rows for YEAR (the generator adds a warm-up
    year, so half the rows start per simulated year); returns its registraties folder."""
    if not (out / "registraties").is_dir():
        try:
            from pipeline.synthetic import generate
        except ImportError:
            from pipeline.synth import generate

        generate(out, [YEAR], seed=4242, n_per_year=rows // 2)
    return out / "registraties"


def _print_stages(stages: dict[str, float], rows: int, names: tuple[str, ...]) -> None:
    for name in names:
        if name in stages:
            seconds = stages[name]
            cpu = (f"  (CPU {stages[f'{name} cpu']:6.2f} s)" if f"{name} cpu" in stages
                   else "")
            print(f"    {name:22s} {seconds:7.2f} s  {rows / seconds if seconds else 0:>12,.0f} "
                  f"rows/s{cpu}")


def report_validate(folder: Path) -> None:
    wall, out, peak, cpu = measure([sys.executable, __file__, "--phase", "validate",
                                    "--folder", str(folder)])
    f = json.loads(out)
    print(f"ingest + validate: {f['rows']:,} rows in {f['files']} files: ingest "
          f"{f['ingest_s']:.2f} s, ingest + validate {f['total_s']:.2f} s "
          f"= {f['rows'] / f['total_s']:,.0f} rows/s; {f['quarantined']} quarantined, "
          f"GX agrees with the polars twins: {f['gx_agrees']}; peak {peak:,.0f} MB "
          f"(process tree; main process {f['peak_mb']:,} MB); CPU of the whole process "
          f"{cpu:.1f} s (imports included) in {wall:.1f} s")
    _print_stages(f["stages"], f["rows"], INGEST_STAGES + VALIDATE_STAGES)
    print(f"    {'trajectories()':22s} {f['trajectories_s']:7.2f} s  "
          f"{f['rows'] / f['trajectories_s']:>12,.0f} rows/s")


def report_run(folder: Path, tmp: Path, label: str) -> None:
    out, home, store = tmp / f"out-{label}", tmp / f"home-{label}", tmp / f"store-{label}"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    wall, text, peak, cpu = measure(
        [sys.executable, __file__, "--phase", "run", "--folder", str(folder), "--out", str(out)],
        env={"DAGSTER_HOME": str(home), "PWB_STORE": str(store)})
    f = json.loads(text)
    steps = f["steps"]
    in_steps = sum(steps.values())
    print(f"pwb run ({label}), {f['rows']:,} rows: {wall:.1f} s whole process, peak "
          f"{peak:,.0f} MB (process tree; main process {f['peak_mb']:,} MB), CPU {cpu:.1f} s")
    print(f"    {'imports':22s} {f['imports_s']:7.2f} s")
    _print_stages(f["stages"], f["rows"], INGEST_STAGES + VALIDATE_STAGES)
    for step, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"    step {step:39s} {seconds:7.2f} s  (main process up to "
              f"{f['step_peaks'].get(step, 0):,.0f} MB)")
    for name, seconds in f["inside_report"].items():
        print(f"      of which {name:33s} {seconds:7.2f} s")
    print(f"    {'Dagster around steps':22s} {f['run_year_s'] - in_steps:7.2f} s "
          f"(run_year {f['run_year_s']:.2f} s - steps {in_steps:.2f} s; CPU of run_year in "
          f"the main process {f.get('run_year_cpu_s', 0):.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=15_000)
    parser.add_argument("--data", type=Path, help="keep (and reuse) the synthetic data here")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the floor ratio")
    parser.add_argument("--phase", choices=["validate", "run"])
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("PWB_PSEUDONYM_KEY", "benchmark-key-not-secret")
    if args.phase == "validate":
        print(json.dumps(_child_validate(args.folder)))
        return
    if args.phase == "run":
        print(json.dumps(_child_run(args.folder, args.out)))
        return
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        data, tmp = args.data or Path(scratch) / "data", Path(scratch)
        if not args.skip_big:
            start = time.perf_counter()
            big = synthesise(data / f"big-{args.rows}", args.rows)
            print(f"synthetic delivery of ~{args.rows:,} rows: {time.perf_counter() - start:.1f} s")
            report_validate(big)
            report_run(big, tmp, "big")
        if not args.skip_small:
            small = synthesise(data / f"small-{args.small}", args.small)
            report_run(small, tmp, "small")
            from bench_floor import compare

            compare(small, args.repeat)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
