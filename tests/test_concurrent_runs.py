"""Concurrent runs of one year never interleave their writes (pipeline.lock, assets.locking).

* two `pwb run` of the same year, out folder and store started at once: exactly one
  succeeds, the other exits non-zero with the Dutch message naming the year and the holder;
  a run after both succeeds;
* a run refused by the lock writes nothing (every file of store and OUT unchanged);
* a Dagster materialisation of a held year fails at resource initialisation with the
  message, before any step; another year runs meanwhile;
* a publication waits for (or is refused by) another holder of OUT/Y;
* the lock itself: released by kill -9, re-entrant within a run, a second process of the
  same run waits instead of failing.

A helper process holds a lock as "another run" (it says so on stdout, so the tests wait
on a pipe, not on the clock).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import materialize
from registration_files import RUN_DATE, open_row, valid_row, write_csv

from assets.definitions import ASSETS, resources
from assets.resources import PwbSettings
from pipeline import outputs
from pipeline.lock import RunLocked, lock_path, read_holder, year_lock

PROJECT = Path(__file__).resolve().parents[1]
PWB = [sys.executable, "-m", "pwb.cli"]
YEAR = "2013"
RUN_TIMEOUT = 600
SET = ("results.json", "quarantaine.csv", "tabellen.xlsx", "rapport.html")

HOLDER = r"""
import sys
from pathlib import Path
from pipeline.lock import year_lock
with year_lock(Path(sys.argv[1]), sys.argv[2], run_id=sys.argv[3], source="test"):
    print("vast", flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def held(folder: Path, year: str, run_id: str = "andere-run-0001") -> Iterator[int]:
    """Another process holds the year's lock on `folder` for the block; yields its pid."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), year, run_id],
                               cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout.readline().strip() == "vast"
        yield process.pid
    finally:
        process.stdin.close()
        process.wait(timeout=60)
        process.stdout.close()


def _tree(*roots: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under the roots: bytes, inode, modification time."""
    return {str(p): (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
            for root in roots if root.exists() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- pwb run


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from pipeline.synthetic import generate

    root = tmp_path_factory.mktemp("concurrent")
    generate(root / "data", (int(YEAR),), 20131231, n_per_year=400)
    env = {k: v for k, v in os.environ.items() if k != outputs.KILL_ENV}
    env |= {"PWB_STORE": str(root / "store"), "COLUMNS": "300"}
    command = [*PWB, "run", "--input", str(root / "data" / "registraties"), "--year", YEAR,
               "--out", str(root / "out")]
    return {"root": root, "env": env, "command": command}


def _run(world: dict) -> subprocess.CompletedProcess:
    return subprocess.run(world["command"], cwd=PROJECT, env=world["env"], capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)


def test_two_runs_of_one_year_at_once(world: dict) -> None:
    runs = [subprocess.Popen(world["command"], cwd=PROJECT, env=world["env"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True) for _ in range(2)]
    try:
        done = [(run, *run.communicate(timeout=RUN_TIMEOUT)) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    assert sorted(run.returncode for run, _, _ in done) == [0, 2], done
    (winner, _, _), = [d for d in done if d[0].returncode == 0]
    (_, loser_out, loser_err), = [d for d in done if d[0].returncode == 2]
    message = " ".join(loser_err.split())
    assert message.startswith("Fout: Jaar 2013 wordt al verwerkt door proces "
                              f"{winner.pid} op {socket.gethostname()} (pwb run "), message
    assert "wacht tot die run klaar is" in message
    assert f"opslag {world['root'] / 'store'}" in message and "slot .2013.lock" in message
    assert "Stack Trace" not in loser_err and "Traceback" not in loser_err  # one clean line
    assert "Rapport:" not in loser_out
    folder = world["root"] / "out" / YEAR
    assert sorted(p.name for p in folder.iterdir()) == sorted([*SET, "regio"])
    # and once both are done, a run of the year goes through
    again = _run(world)
    assert again.returncode == 0, again.stderr


def test_refused_run_writes_nothing(world: dict) -> None:
    root = world["root"]
    if not (root / "out" / YEAR / "results.json").exists():  # run on its own
        assert _run(world).returncode == 0
    with held(root / "store", YEAR) as pid:
        before = _tree(root / "out", root / "store")
        refused = _run(world)
        assert refused.returncode == 2
        message = " ".join(refused.stderr.split())
        assert message.startswith(f"Fout: Jaar 2013 wordt al verwerkt door proces {pid} op "
                                  f"{socket.gethostname()} (python -c ")
        assert "Dagster-run andere-r, bron: test) sinds " in message
        assert _tree(root / "out", root / "store") == before


# --------------------------------------------------------------------------- in-process


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    write_csv(folder / "ovl_2012.csv", [valid_row(1), open_row(2), valid_row(3)], sep=";")
    return folder


def _materialize(tmp_path: Path, inbox: Path, year: str):
    settings = PwbSettings(input_dir=str(inbox), out_dir=str(tmp_path / "out"),
                           run_date=RUN_DATE.isoformat())
    return materialize(ASSETS, partition_key=year, raise_on_error=False,
                       resources=resources(tmp_path / "store", settings))


def _errors(result) -> list[str]:
    found = []
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        while error is not None:
            found.append(f"{error.cls_name}: {error.message}")
            error = error.cause
    return found


def test_materialize_of_a_held_year_fails_before_any_step(tmp_path: Path, inbox: Path) -> None:
    with held(tmp_path / "store", "2012") as pid:
        result = _materialize(tmp_path, inbox, "2012")
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_START"]
    locked = [e for e in _errors(result) if e.startswith("RunLocked")]
    assert locked and f"Jaar 2012 wordt al verwerkt door proces {pid}" in locked[0]
    assert [p.name for p in (tmp_path / "store").iterdir()] == [".2012.lock"]
    assert not (tmp_path / "out").exists()


def test_another_year_runs_while_one_is_held(tmp_path: Path, inbox: Path) -> None:
    with held(tmp_path / "store", YEAR):
        result = _materialize(tmp_path, inbox, "2012")
        assert result.success
        assert sorted(p.name for p in (tmp_path / "out" / "2012").iterdir()) == \
            sorted([*SET, "regio"])
    # the run released its year: the next one takes it again
    assert _materialize(tmp_path, inbox, "2012").success


def test_publication_waits_for_another_holder_of_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out" / YEAR
    outputs.publish_year(folder, {"results.json": lambda p: outputs.write_json(p, {"v": 1})})
    before = _tree(folder)
    with held(folder.parent, YEAR) as pid:
        with pytest.raises(RunLocked, match=f"proces {pid} .*uitvoermap {folder.parent}"):
            outputs.publish_year(folder, {"results.json": lambda p: outputs.write_json(
                p, {"v": 2})}, wait=0.3)
        assert _tree(folder) == before
        waiting = threading.Thread(target=outputs.publish_year, args=(folder, {
            "results.json": lambda p: outputs.write_json(p, {"v": 3})}), daemon=True)
        waiting.start()
    waiting.join(timeout=60)  # released: the waiting publication goes through
    assert not waiting.is_alive()
    assert (folder / "results.json").read_text() == '{\n  "v": 3\n}\n'


# --------------------------------------------------------------------------- the lock


def test_lock_message_names_year_folder_and_holder(tmp_path: Path) -> None:
    with held(tmp_path, YEAR, run_id="0123456789abcdef") as pid:
        holder = read_holder(lock_path(tmp_path, YEAR))
        assert holder["pid"] == pid and holder["run_id"] == "0123456789abcdef"
        with pytest.raises(RunLocked) as refused:
            with year_lock(tmp_path, YEAR, label="uitvoermap"):
                pass
    text = str(refused.value)
    assert text.startswith(f"Jaar {YEAR} wordt al verwerkt door proces {pid} op "
                           f"{socket.gethostname()} (")
    assert "Dagster-run 01234567, bron: test) sinds " in text
    assert text.endswith(f"wacht tot die run klaar is en start dan opnieuw (uitvoermap "
                         f"{tmp_path}, slot .{YEAR}.lock).")
    with year_lock(tmp_path, YEAR):  # released with its holder
        assert read_holder(lock_path(tmp_path, YEAR))["pid"] == os.getpid()
    assert read_holder(lock_path(tmp_path, YEAR)) is None  # no holder info once released


def test_lock_of_a_killed_holder_is_free_at_once(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path), YEAR, "r"],
                              cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "vast"
    with pytest.raises(RunLocked):
        with year_lock(tmp_path, YEAR):
            pass
    holder.kill()  # SIGKILL: no cleanup runs in the holder
    holder.wait(timeout=60)
    holder.stdin.close()
    holder.stdout.close()
    with year_lock(tmp_path, YEAR) as info:  # no stale lock
        assert info["pid"] == os.getpid()


def test_lock_is_reentrant_within_a_run_only(tmp_path: Path) -> None:
    with year_lock(tmp_path, YEAR, run_id="a"):
        with year_lock(tmp_path, YEAR, run_id="a"), year_lock(tmp_path, YEAR):
            pass
        with pytest.raises(RunLocked):  # another run in this same process
            with year_lock(tmp_path, YEAR, run_id="b"):
                pass
        assert read_holder(lock_path(tmp_path, YEAR))["run_id"] == "a"  # still held
    with year_lock(tmp_path, YEAR, run_id="b"):
        pass


def test_another_process_of_the_same_run_waits(tmp_path: Path) -> None:
    """The multiprocess executor's step processes share a run id: they take turns."""
    got = threading.Event()

    def step() -> None:
        with year_lock(tmp_path, YEAR, run_id="dezelfde-run"):
            got.set()

    with held(tmp_path, YEAR, run_id="dezelfde-run"):
        waiting = threading.Thread(target=step, daemon=True)
        waiting.start()
        assert not got.wait(timeout=1.0)  # blocked, not refused
    waiting.join(timeout=60)
    assert got.is_set()
