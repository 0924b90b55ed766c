"""Atomic outputs: a run killed at any moment leaves the last good outputs intact.

Two layers (mission.md, "Reproducible": a crash never leaves half a report where the last
good one was):

* `publish_year` in a child process on small files, killed (SIGKILL, as kill -9) at every
  named point through the test-only hook PWB_TEST_KILL_AT (pipeline/outputs.py): after each
  file written into the staging folder, when all are staged, before the swap, between the
  two renames of the fallback swap, after the swap. Fast and deterministic; both the
  atomic exchange (Linux renameat2) and the two-rename fallback are covered.
* the whole `pwb run` as a subprocess after one good run, its process group killed with
  SIGKILL (a) during ingest, as soon as it holds the year's lock and before the store
  changes, (b) once the store's parquet files are rewritten and before OUT/2013 changes,
  (c) while the year's staging folder exists (the hook at "before-swap" backs the poll up,
  so the run dies before the swap even if the poll misses the moment). Then a run succeeds
  and gives the same outputs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from pipeline import outputs
from pipeline.lock import lock_path, read_holder, year_lock

PROJECT = Path(__file__).resolve().parents[1]
PWB = [sys.executable, "-m", "pwb.cli"]
YEAR = "2013"
SET = ("results.json", "quarantaine.csv", "tabellen.xlsx", "rapport.html")
STAMP = re.compile(rb"<time data-run-timestamp>[^<]*</time>")
RUN_TIMEOUT = 600  # seconds; a run takes ~20 s alone, much longer on a busy machine

# --------------------------------------------------------------------------- publish_year

CHILD = r"""
import datetime as dt, sys
from functools import partial
from pathlib import Path
import polars as pl
from pipeline import outputs
folder, version, exchange = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
if not exchange:
    outputs._exchange = lambda a, b: False  # the two-rename fallback
outputs.publish_year(folder, {
    "results.json": partial(outputs.write_json, payload={"versie": version}),
    "quarantaine.csv": partial(outputs.write_csv, frame=pl.DataFrame({"versie": [version]})),
    "tabellen.xlsx": partial(outputs.write_workbook, sheets={"T1": [{"versie": version}]},
                             created=dt.datetime(2014, 1, 1)),
    "rapport.html": partial(outputs.write_text, text=f"<p>{version}</p>"),
}, owned=["rapport.en.html"])
"""


def _publish(folder: Path, version: str, *, kill_at: str | None = None,
             exchange: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != outputs.KILL_ENV}
    if kill_at:
        env[outputs.KILL_ENV] = kill_at
    return subprocess.run([sys.executable, "-c", CHILD, str(folder), version,
                           "1" if exchange else "0"], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=120)


def _files(version: str) -> dict:
    """The same set as CHILD writes, for in-process publications."""
    return {"results.json": partial(outputs.write_json, payload={"versie": version}),
            "quarantaine.csv": partial(outputs.write_csv,
                                       frame=pl.DataFrame({"versie": [version]})),
            "tabellen.xlsx": partial(outputs.write_workbook, sheets={"T1": [{"versie": version}]},
                                     created=dt.datetime(2014, 1, 1)),
            "rapport.html": partial(outputs.write_text, text=f"<p>{version}</p>")}


def _versions(folder: Path) -> set[str]:
    """The version each file of a set says it is; every file must parse."""
    found = {json.loads((folder / "results.json").read_text())["versie"]}
    found.add(pl.read_csv((folder / "quarantaine.csv").read_bytes()[3:],
                          separator=";", infer_schema=False)["versie"][0])
    sheet = openpyxl.load_workbook(folder / "tabellen.xlsx", read_only=True)["T1"]
    found.add(str(next(sheet.iter_rows(min_row=2, values_only=True))[0]))
    found.add(re.fullmatch(r"<p>(.*)</p>", (folder / "rapport.html").read_text())[1])
    return found


def _inodes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in folder.iterdir()}


BEFORE_SWAP = ["written:results.json", "written:quarantaine.csv", "written:tabellen.xlsx",
               "written:rapport.html", "staged", "before-swap"]
CASES = ([(point, True) for point in [*BEFORE_SWAP, "swapped"]]
         + [(point, False) for point in ["before-swap", "set-aside", "swapped"]])


@pytest.mark.parametrize(("point", "exchange"), CASES,
                         ids=[f"{p}-{'exchange' if e else 'renames'}" for p, e in CASES])
def test_publication_killed_at_each_point(tmp_path: Path, point: str, exchange: bool) -> None:
    out = tmp_path / "out"
    folder = out / YEAR
    outputs.publish_year(folder, _files("1"), owned=["rapport.en.html"])
    before = _inodes(folder)
    killed = _publish(folder, "2", kill_at=point, exchange=exchange)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if point == "set-aside":
        # killed between the two renames: OUT/2013 is gone for now, the last good set sits
        # complete and readable beside it, and the next publication (or recover) puts it back
        assert not folder.exists()
        (aside,) = out.glob(f".{YEAR}.old-*")
        assert _versions(aside) == {"1"} and set(_inodes(aside)) == set(SET)
        with year_lock(out, YEAR):
            outputs.recover(folder)
        assert _versions(folder) == {"1"} and _inodes(folder) == before
    elif point == "swapped":
        assert _versions(folder) == {"2"} and set(_inodes(folder)) == set(SET)
    else:
        # untouched: the same files (same inodes), nothing else inside OUT/2013
        assert _inodes(folder) == before and _versions(folder) == {"1"}
    # the next publication succeeds and clears what the killed one left beside OUT/2013
    outputs.publish_year(folder, _files("3"))
    assert _versions(folder) == {"3"} and set(_inodes(folder)) == set(SET)
    assert sorted(p.name for p in out.iterdir()) == [f".{YEAR}.lock", YEAR]


def test_exchange_is_atomic_here(tmp_path: Path) -> None:
    """On this machine (Linux) the swap is one renameat2(RENAME_EXCHANGE) step."""
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux only; elsewhere the two-rename fallback is used")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    assert outputs._exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b" / "x").read_text() == "a" and not (tmp_path / "a" / "x").exists()


def test_failed_writer_leaves_last_set_and_no_staging(tmp_path: Path) -> None:
    folder = tmp_path / "out" / YEAR
    outputs.publish_year(folder, {"results.json": lambda p: outputs.write_json(p, {"v": 1})})
    before = _inodes(folder)

    def broken(path: Path) -> None:
        path.write_text("half")
        raise ValueError("kapot")

    with pytest.raises(ValueError, match="kapot"):
        outputs.publish_year(folder, {"results.json": lambda p: outputs.write_json(p, {"v": 2}),
                                      "rapport.html": broken})
    assert _inodes(folder) == before
    assert json.loads((folder / "results.json").read_text()) == {"v": 1}
    assert sorted(p.name for p in folder.parent.iterdir()) == [f".{YEAR}.lock", YEAR]


def test_set_replaces_own_files_keeps_others_and_is_readable(tmp_path: Path) -> None:
    folder = tmp_path / "out" / YEAR
    owned = ["rapport.en.html"]
    outputs.publish_year(folder, {"results.json": lambda p: outputs.write_json(p, {"v": 1}),
                                  "rapport.en.html": lambda p: outputs.write_text(p, "en")},
                         owned=owned)
    (folder / "notities.txt").write_text("van een onderzoeker")
    (folder / ".results.json.0123abcd.tmp").write_text("resten van een oude schrijfbeurt")
    outputs.publish_year(folder, {"results.json": lambda p: outputs.write_json(p, {"v": 2})},
                         owned=owned)
    assert sorted(p.name for p in folder.iterdir()) == ["notities.txt", "results.json"]
    assert (folder / "notities.txt").read_text() == "van een onderzoeker"
    umask = os.umask(0)
    os.umask(umask)
    for path in (folder, folder / "results.json"):
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        assert path.stat().st_mode & 0o777 == expected, path  # not mkstemp's 0600


def test_bad_file_name_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bestandsnaam"):
        outputs.publish_year(tmp_path / YEAR, {"../x.json": lambda p: None})


# --------------------------------------------------------------------------- pwb run, killed


@dataclass
class World:
    root: Path
    env: dict[str, str]
    good: dict[str, bytes]

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def store(self) -> Path:
        return self.root / "store"

    def command(self) -> list[str]:
        return [*PWB, "run", "--input", str(self.root / "data" / "registraties"),
                "--year", YEAR, "--out", str(self.out)]

    def start(self, **extra: str) -> subprocess.Popen:
        return subprocess.Popen(self.command(), cwd=PROJECT, env={**self.env, **extra},
                                start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Synthetic registrations (a few hundred rows, rejected files and quarantine included)
    and one good run."""
    from pipeline.synthetic import generate

    root = tmp_path_factory.mktemp("crash")
    generate(root / "data", (int(YEAR),), 20131231, n_per_year=400, dirty=0.02)
    env = {k: v for k, v in os.environ.items() if k != outputs.KILL_ENV}
    env |= {"PWB_STORE": str(root / "store"), "COLUMNS": "200"}
    world = World(root, env, {})
    done = subprocess.run(world.command(), cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr
    world.good = {name: (world.out / YEAR / name).read_bytes() for name in SET}
    return world


def _wait_for(condition, process: subprocess.Popen, what: str, timeout: float = RUN_TIMEOUT):
    """Poll `condition` every millisecond until true; fail if the run ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if process.poll() is not None:
            pytest.fail(f"de run eindigde (code {process.returncode}) vóór {what}: "
                        f"{process.stderr.read()[-2000:] if process.stderr else ''}")
        time.sleep(0.001)
    _kill(process)
    pytest.fail(f"geen {what} binnen {timeout} s")


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=60)
    if process.stderr:
        process.stderr.close()


def _ino(path: Path) -> int | None:
    return path.stat().st_ino if path.exists() else None


def _assert_last_good_set(world: World, inodes: dict[str, int]) -> None:
    """OUT/2013 is exactly the last good set: same files (inodes), same bytes, readable."""
    folder = world.out / YEAR
    assert _inodes(folder) == inodes  # nothing added, removed or replaced; no temp files
    for name in SET:
        assert (folder / name).read_bytes() == world.good[name], name
    assert json.loads((folder / "results.json").read_text(encoding="utf-8"))["year"] == 2013
    openpyxl.load_workbook(folder / "tabellen.xlsx", read_only=True).close()
    pl.read_csv((folder / "quarantaine.csv").read_bytes()[3:], separator=";")
    assert (folder / "rapport.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def _assert_store_readable(world: World) -> None:
    """Every store file of the year is complete (each was written atomically)."""
    parquet = sorted(world.store.rglob(f"{YEAR}.parquet"))
    documents = sorted(world.store.rglob(f"{YEAR}.json"))
    assert len(parquet) >= 4 and len(documents) >= 6  # 4 frames, 6 models
    for path in parquet:
        pl.read_parquet(path)
    for path in documents:
        json.loads(path.read_text(encoding="utf-8"))


def test_kill_during_ingest(world: World) -> None:
    inodes = _inodes(world.out / YEAR)
    registraties = world.store / "registraties" / f"{YEAR}.parquet"
    store_before = _ino(registraties)
    run = world.start()
    lock = lock_path(world.store, YEAR)
    _wait_for(lambda: (read_holder(lock) or {}).get("pid") == run.pid, run,
              "het slot van het jaar")
    _kill(run)
    assert _ino(registraties) == store_before  # killed before the store changed
    _assert_last_good_set(world, inodes)
    _assert_store_readable(world)


def test_kill_after_store_written_before_outputs(world: World) -> None:
    inodes = _inodes(world.out / YEAR)
    trajectories = world.store / "trajecten" / f"{YEAR}.parquet"
    before = {p: _ino(p) for p in (world.store / "registraties" / f"{YEAR}.parquet",
                                   trajectories)}
    run = world.start()
    _wait_for(lambda: _ino(trajectories) != before[trajectories], run,
              "nieuwe trajecten in de opslag")
    _kill(run)
    assert all(_ino(p) != ino for p, ino in before.items())  # the store was rewritten ...
    assert not list(world.out.glob(f".{YEAR}.staging-*"))  # ... the outputs not yet begun
    _assert_last_good_set(world, inodes)
    _assert_store_readable(world)


def test_kill_while_publishing(world: World) -> None:
    """Killed with the new set half or wholly staged: OUT/2013 keeps the last good set.

    The hook at "before-swap" is a backstop: should the poll miss the staging folder, the
    run kills itself at the last moment before the swap instead of completing."""
    inodes = _inodes(world.out / YEAR)
    run = world.start(**{outputs.KILL_ENV: "before-swap"})
    _wait_for(lambda: list(world.out.glob(f".{YEAR}.staging-*")), run, "de staging-map")
    _kill(run)
    assert run.returncode == -signal.SIGKILL
    _assert_last_good_set(world, inodes)
    _assert_store_readable(world)


def test_next_run_after_kills_succeeds_with_the_same_outputs(world: World) -> None:
    """After the kills above (run in this order), a run succeeds, gives the same
    results.json, quarantaine.csv and tabellen.xlsx bytes and the same report but for its
    timestamp, and leaves no temporary or staging files in the store or OUT."""
    done = subprocess.run(world.command(), cwd=PROJECT, env=world.env, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr
    folder = world.out / YEAR
    assert sorted(p.name for p in folder.iterdir()) == sorted([*SET, "regio"])
    for name in ("results.json", "quarantaine.csv", "tabellen.xlsx"):
        assert (folder / name).read_bytes() == world.good[name], name
    report = (folder / "rapport.html").read_bytes()
    assert len(STAMP.findall(report)) == 1
    assert STAMP.sub(b"", report) == STAMP.sub(b"", world.good["rapport.html"])
    assert sorted(p.name for p in world.out.iterdir()) == [f".{YEAR}.lock", YEAR]
    assert not list(world.store.rglob("*.tmp"))
    _assert_store_readable(world)
