"""The run driver: materialise the whole asset graph for one reporting year, in-process.

Why here, outside `pipeline/`: this is the one place (with `pwb.cli`) that imports both
the domain library and Dagster. Every run is recorded in the project's Dagster instance
(`dagster_home()`), the same one `pwb serve` shows, so the UI lists what ran.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
# Exceptions of pwb whose messages are Dutch and never hold a cell value.
DUTCH_ERRORS = {"RunLocked", "ReferenceError", "AccountingError", "FileRejected"}


def dagster_home() -> Path:
    """$DAGSTER_HOME when set (e.g. the shared PostgreSQL instance of deploy/), else
    .dagster/home in the project (SQLite); created with an empty dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT / ".dagster" / "home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch()
    return home


def run_year(input_dir: Path, year: int, out_dir: Path, reference_dir: Path | None = None,
             *, synthetic: bool = False, lang: str = "nl", run_date=None) -> dict:
    """Materialise the whole graph for one year, in-process; return results.json's content.

    The run is recorded in the instance of `dagster_home()`; its dagster.yaml decides the
    storage. The report is Dutch; ``lang='en'`` adds rapport.en.html.
    """
    from dagster import DagsterInstance, materialize

    from assets.definitions import ASSETS, resources, storage_dir
    from assets.resources import PwbSettings
    from pipeline.lock import year_lock

    settings = PwbSettings(input_dir=str(input_dir.resolve()), out_dir=str(out_dir.resolve()),
                           reference_dir=str(reference_dir.resolve()) if reference_dir else None,
                           synthetic=synthetic,
                           run_date=run_date.isoformat() if run_date else None)
    # The run's own store lock (assets.locking), taken here first so that a year held by
    # another run is refused with one Dutch line (RunLocked), before Dagster starts.
    with year_lock(storage_dir(), year, source="pwb run", label="opslag"), \
            DagsterInstance.from_config(str(dagster_home())) as instance, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = materialize(
            ASSETS, partition_key=str(year), instance=instance,
            resources=resources(settings=settings),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}},
                        "ops": {"jaarrapport": {"config": {"languages": sorted({"nl", lang})}}}},
            tags={"pwb/bron": "pwb run"},
            raise_on_error=False,
        )
    if not result.success:
        raise RuntimeError(failure_message(result, year))
    return json.loads((out_dir / str(year) / "results.json").read_text(encoding="utf-8"))


def failure_message(result, year: int) -> str:
    """One Dutch line for a failed run. Our own errors carry a Dutch message without cell
    values: shown as is. Any other error (a library's) may quote a value, so only its
    step is named."""
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        while error is not None:
            if error.cls_name in DUTCH_ERRORS:
                message = error.message.partition(": ")[2].strip()
                # a held year is no failure of this run: its message stands alone
                return (message if error.cls_name == "RunLocked" else
                        f"De run voor {year} is mislukt: {message}")
            error = error.cause
    failure = next((e for e in result.all_events if e.is_failure), None)
    detail = failure.message if failure is not None else "onbekende fout"
    return (f"De run voor {year} is mislukt: {detail} Details staan in het Dagster-logboek "
            f"van de run.")
