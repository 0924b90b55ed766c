"""One run per reporting year at a time: the year lock held by the store IO managers.

Why the IO managers: every asset of the graph stores its output through one of them, so
every run — `pwb run` (dagster.materialize), the UI, the schedule, the sensor, a backfill,
a run of a single asset — initialises them before its first step and tears them down
after its last (the in-process executor initialises resources once per run). While they
are up, the run holds `pipeline.lock.year_lock(BASE, year)` on the store folder: from
ingest through every store write to the publication of OUT/Y (`publish_year`, which also
locks OUT/Y while it swaps the folder in). A second run of the same year on the same
store is refused at resource initialisation, before it reads or writes anything, with a
Dutch message naming the year, the folder and the holder. Another year runs freely.

The lock uses the IO manager's own `base_dir` as the run sees it (launchpad config
included). A separate `YearLock` resource nested in the IO managers would not: a nested
resource keeps the values it was built with, not the run config of the top-level one
(checked with Dagster 1.13.27), and a top-level resource is initialised only when a step
requires it, which would mean a parameter on every asset.

The year comes from the run's tags: `dagster/partition`, or the range tags of a
single-run backfill (every year of the range is locked). Outside a run (a sensor tick,
a test building the resource) nothing is locked. Before the run starts, leftovers of a
killed write of this year in the store (write_atomic's temporary files) are removed.

The same initialisation checks the pseudonym key: a store remembers the fingerprint of
the key it was built with (`pipeline.keyguard`), and a run with another key stops before
it reads a file, instead of mixing pseudonyms of two keys in one store.

Dagster's own alternative, run-level `tag_concurrency_limits` on `dagster/partition`
(deploy/postgres/dagster.yaml), queues runs of the same year, but only runs that go
through the daemon's run queue; `pwb run` and `materialize` bypass it, the lock does not.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import InitResourceContext

from pipeline.keyguard import check_store_key, key_fingerprint
from pipeline.lock import year_lock
from pipeline.outputs import remove_stale_temporaries
from pipeline.privacy import DemoKeyWarning, pseudonym_key

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
SOURCE_TAGS = ("pwb/bron", "dagster/schedule_name", "dagster/sensor_name", "dagster/backfill")


def run_years(tags: Mapping[str, str]) -> list[str]:
    """The reporting years a run materialises, from its tags ([] when not partitioned)."""
    if tags.get(PARTITION_TAG):
        return [tags[PARTITION_TAG]]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if start and end and start.isdigit() and end.isdigit():
        return [str(year) for year in range(int(start), int(end) + 1)]
    return [start] if start else []


def run_source(tags: Mapping[str, str]) -> str | None:
    found = [f"{key.split('/')[-1]} {tags[key]}" if key.startswith("dagster/") else tags[key]
             for key in SOURCE_TAGS if tags.get(key)]
    return ", ".join(found) or None


def run_key_fingerprint() -> str:
    """The fingerprint of the key this process pseudonymises with (the demo-key warning
    is given once, by ingest)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DemoKeyWarning)
        return key_fingerprint(pseudonym_key())


class StoreYearLock:
    """Mixin for a store IO manager (a ConfigurableIOManager with `base_dir`): while a run
    uses it, the run holds the lock of its year(s) on the store folder."""

    base_dir: str

    @contextlib.contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[Any]:
        run = context.dagster_run
        with contextlib.ExitStack() as held:
            if run is not None:
                folder = Path(self.base_dir)
                for year in run_years(run.tags):
                    held.enter_context(year_lock(folder, year, run_id=run.run_id,
                                                 source=run_source(run.tags), label="opslag"))
                    remove_stale_temporaries(folder, year)
                # one key per store: a run with another key stops here (KeyMismatch)
                check_store_key(folder, run_key_fingerprint())
            with super().yield_for_execution(context) as value:  # type: ignore[misc]
                yield value
