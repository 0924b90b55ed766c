"""Throughput and memory of ingest + validation and of a whole `pwb run`.

Prints figures; asserts nothing (tests must not depend on machine speed).
Each measurement runs in its own process so peak memory (max RSS) is its own.

    .venv/bin/python benchmarks/bench.py [--rows 1000000] [--small 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
IMPORTS = "import polars, dagster, great_expectations, jinja2, pwb.cli, assets.definitions"


def _child(phase: str, folder: str) -> None:
    """Run one phase in this process and print its figures as JSON."""
    import datetime as dt

    from pipeline.ingest import ingest, registration_files

    files = registration_files(Path(folder))
    start = time.perf_counter()
    ingested = ingest(files)
    read = time.perf_counter() - start
    figures = {"rows": ingested.rows_in, "files": len(files), "ingest_s": round(read, 2)}
    if phase == "validate":
        import great_expectations  # noqa: F401  (import time is not validation time)

        from pipeline.validation import validate

        start = time.perf_counter()
        validated = validate(ingested, dt.date.today())
        figures["validate_s"] = round(time.perf_counter() - start, 2)
        figures["quarantined"] = validated.rows_quarantined
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


def _measure(args: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=PROJECT,
                          env={**os.environ, **(env or {})}, check=True)
    return time.perf_counter() - start, done.stdout


def _synth(out: Path, rows: int) -> None:
    from pipeline.synthetic import generate

    # The generator writes a warm-up year too: ask for half per year over one year.
    generate(out, [2012], seed=4242, n_per_year=rows // 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--phase", choices=["ingest", "validate"])
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.phase:
        _child(args.phase, args.folder)
        return
    os.environ.setdefault("PWB_PSEUDONYM_KEY", "benchmark-key-not-secret")
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        start = time.perf_counter()
        _synth(big, args.rows)
        print(f"synth {args.rows:,} rows: {time.perf_counter() - start:.1f} s")
        for phase in ("ingest", "validate"):
            _, out = _measure([sys.executable, __file__, "--phase", phase,
                               "--folder", str(big / "registraties")])
            f = json.loads(out)
            line = f"{phase:8s} {f['rows']:>9,} rows in {f['files']} files: ingest " \
                   f"{f['ingest_s']} s ({f['rows'] / f['ingest_s']:,.0f} rows/s)"
            if phase == "validate":
                total = f["ingest_s"] + f["validate_s"]
                line += f", validate {f['validate_s']} s; ingest + validate {total:.1f} s " \
                        f"({f['rows'] / total:,.0f} rows/s), {f['quarantined']} quarantined"
            print(line + f"; peak RSS {f['peak_rss_mb']} MB")
        _synth(small, args.small)
        imports, _ = _measure([sys.executable, "-c", IMPORTS])
        run, _ = _measure([sys.executable, "-m", "pwb.cli", "run", "--input",
                           str(small / "registraties"), "--year", "2012", "--out",
                           str(Path(tmp) / "out")], env={"PWB_STORE": str(Path(tmp) / "st")})
        rows = json.loads((Path(tmp) / "out" / "2012" / "results.json").read_text())
        print(f"pwb run, {rows['counts']['rows_in']:,} rows: {run:.1f} s whole process; "
              f"importing its libraries alone: {imports:.1f} s (ratio {run / imports:.2f})")


if __name__ == "__main__":
    main()
