"""What the regional feedback reports add to a yearly `pwb run` (issue 14, performance).

The bar: "Ten regional reports and the multi-year chapter add at most 30 % to the `pwb
run` wall time of a 10,000-row year". This script measures the regional reports' part
end to end: the whole `pwb run` of a synthetic delivery of about 10,000 rows (two years
of trajectories and the generator's warm-up year; the run is for the last year), with the
regional reports (the default) and without them (environment PWB_REGIONAL_REPORTS=0, which
the report asset reads: no regio/ pages and no links to them; everything else identical),
interleaved (with, without, with, ...) so that a change in the machine's load hits both,
best of N each. It prints every round, the best of each, the difference and the ratio.

The multi-year chapter has no switch (it is part of the yearly report); its cost is not in
this difference. The figures are noisy on a shared machine: state the load beside them.

    .venv/bin/python benchmarks/bench_feedback.py [--rows 10000] [--repeat 3] [--lang en]
                                                  [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import re
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
    """About `rows` registration rows: two simulated years plus the warm-up year."""
    if not (out / "registraties").is_dir():
        from pipeline.synthetic import generate

        generate(out, list(YEARS), seed=4242, n_per_year=rows // 3)
    return out / "registraties"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=PROJECT, env=env, check=True, capture_output=True,
                          text=True)
    return time.perf_counter() - start, done.stdout


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
        rows = ""
        for i in range(repeat):
            for label, extra in (("with", {}), ("without", {SWITCH: "0"})):
                out = tmp / f"{label}{i}"
                seconds, stdout = _run([*base, "--out", str(out)], {**env, **extra})
                times[label].append(seconds)
                pages = sorted((out / str(YEARS[-1]) / "regio").glob("*.html")) \
                    if (out / str(YEARS[-1]) / "regio").is_dir() else []
                assert (len(pages) > 0) == (label == "with"), (label, pages)
                found = re.search(r"(\d[\d.]*) rijen in", stdout)
                rows = found[1] if found else rows
                print(f"  round {i + 1} {label:7s} regional reports: {seconds:6.2f} s "
                      f"({len(pages)} pages; load {os.getloadavg()[0]:.1f})", flush=True)
    best = {k: min(v) for k, v in times.items()}
    extra = best["with"] - best["without"]
    print(f"pwb run of {folder} ({rows} rows in), year {YEARS[-1]}"
          f"{', with --lang ' + lang if lang else ''}: best with regional reports "
          f"{best['with']:.2f} s, without {best['without']:.2f} s; they add {extra:.2f} s = "
          f"{100 * extra / best['without']:.1f} % (issue 14: the regional reports and the "
          f"multi-year chapter together <= 30 %)")
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
