"""pwb/sqlite_storage.py: a run on a SQLite instance with its engines kept stores the same
events as Dagster's own storage, commits them as it goes, and gives the storage back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pwb.sqlite_storage import engines_kept, quick_sqlite_commits

YEARS = dg.StaticPartitionsDefinition(["2012"])


@dg.asset(partitions_def=YEARS)
def first() -> int:
    return 1


@dg.asset(partitions_def=YEARS, check_specs=[dg.AssetCheckSpec("positief", asset="second")])
def second(first: int):
    yield dg.Output(first + 1)
    yield dg.AssetCheckResult(passed=True)


def _home(tmp_path: Path, name: str) -> str:
    home = tmp_path / name
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return str(home)


def _run(home: str, kept: bool) -> list[str]:
    with quick_sqlite_commits(), dg.DagsterInstance.from_config(home) as instance:
        storage = instance.event_log_storage
        assert type(storage) is SqliteEventLogStorage
        if kept:
            with engines_kept(instance):
                assert "_connect" in vars(storage)  # the kept-engine connect is in use
                result = dg.materialize([first, second], partition_key="2012",
                                        instance=instance)
            assert "_connect" not in vars(storage)  # the class's own method again
        else:
            result = dg.materialize([first, second], partition_key="2012", instance=instance)
        assert result.success
        records = instance.get_records_for_run(result.run_id).records
        return [r.event_log_entry.dagster_event_type.value for r in records
                if r.event_log_entry.is_dagster_event]


def test_kept_engines_store_the_same_events(tmp_path: Path) -> None:
    plain = _run(_home(tmp_path, "plain"), kept=False)
    kept = _run(_home(tmp_path, "kept"), kept=True)
    assert kept == plain
    assert "ASSET_MATERIALIZATION" in kept and "ASSET_CHECK_EVALUATION" in kept


def test_every_event_is_committed_when_stored(tmp_path: Path) -> None:
    """Another connection (another process would use its own) sees each event at once."""
    home = _home(tmp_path, "seen")
    with quick_sqlite_commits(), dg.DagsterInstance.from_config(home) as instance, \
            engines_kept(instance):
        result = dg.materialize([first, second], partition_key="2012", instance=instance)
        shard = Path(home) / "history" / "runs" / f"{result.run_id}.db"
        with sqlite3.connect(shard) as other:
            stored = other.execute("SELECT count(*) FROM event_logs").fetchone()[0]
        assert stored == len(instance.get_records_for_run(result.run_id, limit=10_000).records)
        index = sqlite3.connect(Path(home) / "history" / "runs" / "index.db")
        materialized = index.execute(
            "SELECT count(*) FROM event_logs WHERE dagster_event_type = "
            "'ASSET_MATERIALIZATION'").fetchone()[0]
        index.close()
        assert materialized == 2


def test_another_storage_is_left_alone() -> None:
    class Instance:
        event_log_storage = object()

    instance = Instance()
    with engines_kept(instance):
        assert not hasattr(instance.event_log_storage, "_connect")
