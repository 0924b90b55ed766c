"""Nothing leaked, also when things go wrong (mission.md, "Nothing lost, nothing leaked").

A poisoned delivery: good files whose cells hold a name where a date, a number, a code
or a yes/no belongs (the cell that fails to parse is the one that holds the name), and
files that carry a national register number (in four spellings), an e-mail address, an
IBAN and a phone number in date, number and code columns, one of them in a CSV whose
quoting breaks on that very cell, one in bytes that are not text. The raw dossier,
client and worker ids are poison too: only their keyed pseudonyms may be kept.

Then runs that fail for real (a broken normen.csv in --reference, an output folder that
cannot be written, an asset that raises), a run in which every file is rejected, and
`pwb validate` on the poisoned files. Every channel is scanned for every poison value:
stdout and stderr of the process (with the full traceback, if any), Python log records,
the Dagster event log (every entry serialised, errors with stack trace, cause and
context), and every file under the output folder, the asset stores and DAGSTER_HOME
(parquet read cell by cell, xlsx unzipped, sqlite dumped, plus the raw bytes).

A canary run raises with the name in its message, to prove the scan sees those
channels at all.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sqlite3
import subprocess
import sys
import traceback
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, materialize, serialize_value
from registration_files import (
    POISON_RRN,
    RUN_DATE,
    frame_of,
    open_row,
    valid_row,
    write_csv,
    write_xlsx,
)

from assets.definitions import ASSETS, resources
from assets.resources import PwbSettings
from pipeline import gx_suite, models, validation
from pipeline.ingest import ingest

PROJECT = Path(__file__).resolve().parents[1]
PWB = [sys.executable, "-m", "pwb.cli"]
YEAR = "2012"

NAME = "Marieke Vanhoutteghem"
EMAIL = "kaatje.pieters@voorbeeld.be"
IBAN = "BE68 5390 0754 7034"  # check-valid
PHONE = "0471 23 45 67"
RRN_SPELLINGS = (POISON_RRN, "85073003328", "850730-033-28", "85 07 30 033 28")
DOSSIER, DOSSIER_TWICE, CLIENT, WORKER = ("DOSSIER-ZX-4711", "DOSSIER-ZX-4712",
                                          "CLIENT-QW-0815", "BEGEL-KL-0042")
# Every spelling, any case; separators and JSON escapes between the digit groups.
POISON = {
    "rijksregisternummer": re.compile(r"85\D{0,3}07\D{0,3}30\D{0,3}033\D{0,3}28"),
    "naam": re.compile(r"vanhoutteghem", re.IGNORECASE),
    "e-mail": re.compile(r"kaatje\W{0,6}pieters", re.IGNORECASE),
    "iban": re.compile(r"be68\s?5390\s?0754\s?7034", re.IGNORECASE),
    "telefoon": re.compile(r"0471\D{0,3}23\D{0,3}45\D{0,3}67"),
    "dossier_id": re.compile(r"dossier-zx-471", re.IGNORECASE),
    "client_id": re.compile(r"client-qw-0815", re.IGNORECASE),
    "begeleider_id": re.compile(r"begel-kl-0042", re.IGNORECASE),
}


# --------------------------------------------------------------------------- the delivery


def ids(n: int, dossier: str | None = None) -> dict[str, object]:
    return {"dossier_id": dossier or f"{DOSSIER}-{n:03d}", "client_id": f"{CLIENT}-{n:03d}",
            "begeleider_id": WORKER}


def good_rows() -> list[dict[str, object]]:
    """Valid rows with the raw ids, and rows whose unparseable cell holds the name."""
    rows = [valid_row(1, **ids(1, DOSSIER)), open_row(2, **ids(2)),
            valid_row(3, caw="BMK", **ids(3))]
    broken = {"datum_start": NAME, "datum_afsluiting": NAME, "leeftijd": NAME,
              "huurachterstand_eur": NAME, "aantal_contacten": NAME, "caw": NAME,
              "gezinstype": NAME, "verhuurder_type": NAME, "probleem_onderhoud": NAME,
              "uithuiszetting_vermeden": NAME}
    rows += [valid_row(10 + i, **ids(10 + i), **{column: value})
             for i, (column, value) in enumerate(broken.items())]
    # the same dossier twice (both quarantined, only as a pseudonym)
    rows += [valid_row(30, **ids(30, DOSSIER_TWICE)), valid_row(31, **ids(31, DOSSIER_TWICE))]
    return rows


def poisoned_delivery(folder: Path, *, good: bool = True) -> Path:
    folder.mkdir(parents=True)
    if good:
        write_csv(folder / "ovl_goed.csv", good_rows(), sep=";", belgian=True,
                  decimal_comma=True)
        write_xlsx(folder / "bmk_goed.xlsx",
                   [valid_row(40, caw="BMK", **ids(40)),
                    valid_row(41, caw="BMK", datum_start=NAME, **ids(41)),
                    valid_row(42, caw="BMK", gezinstype=NAME, **ids(42))])
    spelled = iter(RRN_SPELLINGS)
    # a national register number where a date, a number, a code belongs
    write_csv(folder / "rrn_in_datum.csv",
              [valid_row(50, **ids(50)), valid_row(51, datum_start=next(spelled), **ids(51))])
    write_xlsx(folder / "rrn_in_getal.xlsx",
               [valid_row(52, **ids(52), huurachterstand_eur=85073003328)])
    next(spelled)
    frame_of([valid_row(53, **ids(53), gezinstype=next(spelled)),
              valid_row(54, **ids(54), aanmelder=EMAIL, verhuurder_id=IBAN),
              valid_row(55, **ids(55), gemeente_nis=PHONE)]).write_parquet(folder / "rrn.parquet")
    write_csv(folder / "email_in_getal.csv",
              [valid_row(56, **ids(56), aantal_huisbezoeken=EMAIL, verhuurder_type=NAME)])
    # parsing fails on the very cell that holds the number: a quote that never closes
    header = ",".join(valid_row(0))
    cells = [str(v) for v in valid_row(57, **ids(57)).values()]
    cells[8] = f'"{next(spelled)} {NAME}'
    (folder / "kapot.csv").write_text(f"{header}\n{','.join(cells)}\n{header}\n",
                                      encoding="utf-8")
    # bytes that are neither UTF-8 nor Windows-1252, right in the poisoned cell
    raw = write_csv(folder / "bytes.csv", [valid_row(58, **ids(58),
                                                     gezinstype=f"{NAME} {POISON_RRN} ~~")])
    raw.write_bytes(raw.read_bytes().replace(b"~~", b"\x81\x8d"))
    return folder


def broken_reference(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "normen.csv").write_text(
        "parameter,waarde,omschrijving,bron\nclienten_per_vte,zevenentwintig,norm,test\n",
        encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- the scan


def _views(path: Path) -> Iterator[tuple[str, str]]:
    """Every readable form of a file: raw bytes, zip members, parquet cells, sqlite dump."""
    data = path.read_bytes()
    yield "bytes", data.decode("latin-1")
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            for member in book.namelist():
                yield member, book.read(member).decode("utf-8", "replace")
    if data[:4] == b"PAR1":
        frame = pl.read_parquet(path)
        yield "parquet", " ".join(frame.columns) + "\n" + frame.cast(
            {c: pl.String for c in frame.columns}, strict=False).write_csv()
    if data.startswith(b"SQLite format 3\x00"):
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            yield "sqlite", "\n".join(connection.iterdump())
        finally:
            connection.close()


def leaks(channels: Iterable[tuple[str, str]]) -> list[str]:
    """'channel: kind' for every poison value found in a channel's text."""
    return [f"{channel}: {kind}" for channel, text in channels
            for kind, pattern in POISON.items() if pattern.search(text)]


def file_channels(*roots: Path) -> list[tuple[str, str]]:
    found = []
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            found += [(f"{path.relative_to(root.parent)} [{view}]", text)
                      for view, text in _views(path)]
    return found


def event_channels(instance: DagsterInstance) -> list[tuple[str, str]]:
    """Every event of every run, serialised whole (errors with stack, cause, context)."""
    found = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            found.append((f"event log {event.event_type_value if event else 'log'}",
                          serialize_value(entry)))
            error = getattr(event.event_specific_data, "error", None) if event else None
            if error is not None:
                found.append(("event log error", error.to_string()))
    return found


def exception_channels(exc: BaseException) -> list[tuple[str, str]]:
    return [("exception", str(exc)),
            ("traceback", "".join(traceback.format_exception(exc)))]


# --------------------------------------------------------------------------- runs


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return poisoned_delivery(tmp_path_factory.mktemp("levering") / "inbox")


@pytest.fixture
def run_in_process(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """materialize() with a DAGSTER_HOME-like sqlite instance; returns the channels."""

    def run(inbox: Path, *, reference: Path | None = None, expect_success: bool = False):
        home, store, out = tmp_path / "home", tmp_path / "store", tmp_path / "out"
        home.mkdir()
        if not out.exists():
            out.mkdir()
        instance = DagsterInstance.local_temp(str(home))
        settings = PwbSettings(input_dir=str(inbox), out_dir=str(out),
                               run_date=RUN_DATE.isoformat(),
                               reference_dir=str(reference) if reference else None)
        # Python log records of every logger (pipeline, GX, alembic, ...); Dagster's own
        # console logger writes to stderr (capfd) and the event log, both scanned too.
        caplog.set_level(logging.DEBUG)
        result = materialize(ASSETS, partition_key=YEAR, instance=instance,
                             resources=resources(store, settings), raise_on_error=False)
        assert result.success is expect_success
        channels = [("log record", caplog.text)]
        channels += [("log record", f"{r.getMessage()} {r.exc_text or ''} {vars(r)!r}")
                     for r in caplog.records]
        channels += event_channels(instance) + file_channels(home, store, out)
        return result, channels, store

    return run


def _processed(store: Path) -> None:
    """The registrations step ran: the poisoned rows were read, quarantined or refused."""
    quarantine = pl.read_parquet(store / "quarantaine" / f"{YEAR}.parquet")
    assert quarantine.height >= 14
    files = pl.read_parquet(store / "bestandsverslag" / f"{YEAR}.parquet")
    assert files.filter(pl.col("geweigerd")).height >= 5


def test_canary_the_scan_sees_every_channel(delivery, run_in_process, capfd,
                                            monkeypatch) -> None:
    """A run that does leak: the scan must find it in the event log, logs and stderr."""
    def leaky(*args, **kwargs):
        logging.getLogger("pipeline.models").warning("model voor %s", NAME)
        raise ValueError(f"model faalt voor {NAME} ({DOSSIER})")

    monkeypatch.setattr(models, "time_to_closure", leaky)
    result, channels, _ = run_in_process(delivery)
    captured = capfd.readouterr()
    found = leaks(channels + [("stderr", captured.err), ("stdout", captured.out)])
    for channel in ("event log", "log record", "stderr", "home/history/runs/",
                    "home/storage/"):  # the sqlite event log, the captured compute logs
        assert any(f.startswith(channel) and f.endswith(": naam") for f in found), channel
    assert any(".db [sqlite]" in f and f.endswith(": dossier_id") for f in found)
    assert not [f for f in found if f.startswith(("store", "out"))]


@pytest.mark.parametrize("failure", ["broken_reference", "output_blocked", "asset_raises"])
def test_failing_run_leaks_nothing(failure, delivery, run_in_process, capfd, monkeypatch,
                                   tmp_path) -> None:
    reference = None
    if failure == "broken_reference":
        reference = broken_reference(tmp_path / "referentie")
    elif failure == "output_blocked":  # a file where the year's folder should be
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / YEAR).write_text("geen map\n")
    else:
        def failing(*args, **kwargs):
            raise RuntimeError("Het Cox-model kon niet geschat worden (test).")
        monkeypatch.setattr(models, "cox_model", failing)
    result, channels, store = run_in_process(delivery, reference=reference)
    _processed(store)
    failures = [e for e in result.all_events if e.is_failure]
    assert failures
    for event in failures:
        error = getattr(event.event_specific_data, "error", None)
        channels.append(("failure event", f"{event.message} "
                                          f"{error.to_string() if error else ''}"))
    captured = capfd.readouterr()
    channels += [("stderr", captured.err), ("stdout", captured.out)]
    assert leaks(channels) == []


def test_every_file_rejected_run_completes_and_leaks_nothing(run_in_process, capfd,
                                                             tmp_path) -> None:
    """Only poisoned files: the run stops before the report with the Dutch reason (issue
    15: a year without a valid trajectory writes no report), not a crash, and leaks
    nothing on the way."""
    inbox = poisoned_delivery(tmp_path / "inbox", good=False)
    result, channels, store = run_in_process(inbox, expect_success=False)
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "trajecten"
    assert failure.event_specific_data.error.cause.cls_name == "EmptyYear"
    files = pl.read_parquet(store / "bestandsverslag" / f"{YEAR}.parquet")
    assert files.height == 6 and files["geweigerd"].all()
    assert not (tmp_path / "out" / YEAR).exists()
    captured = capfd.readouterr()
    assert leaks(channels + [("stderr", captured.err), ("stdout", captured.out)]) == []


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*PWB, *args], capture_output=True, text=True, cwd=PROJECT,
                          env={**os.environ, "COLUMNS": "200", **env})


def test_cli_run_failing_on_broken_reference_leaks_nothing(delivery, tmp_path) -> None:
    home, store, out = tmp_path / "home", tmp_path / "store", tmp_path / "out"
    home.mkdir()
    done = _cli(["run", "--input", str(delivery), "--year", YEAR, "--out", str(out),
                 "--reference", str(broken_reference(tmp_path / "referentie"))],
                {"DAGSTER_HOME": str(home), "PWB_STORE": str(store)})
    assert done.returncode != 0
    _processed(store)
    instance = DagsterInstance.from_config(str(home))
    try:
        events = event_channels(instance)
    finally:
        instance.dispose()
    assert any(kind == "event log STEP_FAILURE" for kind, _ in events)
    channels = [("stdout", done.stdout), ("stderr", done.stderr), *events,
                *file_channels(home, store)]
    if out.exists():
        channels += file_channels(out)
    assert leaks(channels) == []


def test_cli_validate_on_poisoned_files_leaks_nothing(delivery) -> None:
    files = sorted(str(p) for p in delivery.iterdir())
    done = _cli(["validate", "--max-rows", "100", *files], {})
    assert done.returncode == 1, done.stderr
    assert "geweigerd" in done.stdout and "rrn_in_datum.csv" in done.stdout
    assert leaks([("stdout", done.stdout), ("stderr", done.stderr)]) == []
    alone = _cli(["validate", str(delivery / "kapot.csv")], {})  # the parser's own failure
    assert alone.returncode == 1, alone.stderr
    assert leaks([("stdout", alone.stdout), ("stderr", alone.stderr)]) == []


def test_quarantine_keeps_no_delivered_value(delivery) -> None:
    """A name in the `caw` column stays out of the quarantine (and so quarantaine.csv)."""
    validated = validation.validate(ingest(sorted(delivery.iterdir())), RUN_DATE)
    quarantine = validated.quarantine
    assert quarantine.height >= 14
    assert set(quarantine["caw"].drop_nulls()) <= {"OVL", "BMK"}
    assert quarantine["caw"].null_count() == 1
    assert leaks([("quarantaine", quarantine.write_csv()),
                  ("geldig", validated.valid.write_csv())]) == []


def test_great_expectations_results_hold_no_values(delivery, monkeypatch) -> None:
    """GX's per-expectation results carry no offending values (partial_unexpected_list)."""
    frame = ingest(sorted(delivery.iterdir())).frame
    assert leaks([("frame", frame.write_csv())])  # the validation frame does hold the name
    seen: list[str] = []
    original = gx_suite._outcome

    def spy(item, with_rows):
        seen.append(str(item.to_json_dict()))
        return original(item, with_rows)

    monkeypatch.setattr(gx_suite, "_outcome", spy)
    outcome = validation.run_suite(frame, RUN_DATE)
    assert outcome.rules and len(seen) == len(outcome.rules)
    with_rows = validation.run_suite(frame, RUN_DATE, with_rows=True)
    assert any(r.rows for r in with_rows.rules)
    assert leaks([("gx", text) for text in seen]) == []


def test_reference_error_quotes_no_cell(tmp_path) -> None:
    """A bad value in a reference file: the error names file and column, not the value.

    Reference files are not registrations, but personeel.csv comes back from the CAW's
    (`pwb survey import`), and whatever is typed in a cell must not reach the event log.
    """
    from pipeline.reference import ReferenceError, load_reference

    folder = tmp_path / "referentie"
    folder.mkdir()
    (folder / "normen.csv").write_text(
        f"parameter,waarde,omschrijving,bron\nclienten_per_vte,{PHONE},norm,test\n",
        encoding="utf-8")
    with pytest.raises(ReferenceError, match="regel 2, kolom 'waarde': verwacht een getal") \
            as raised:
        load_reference(folder)
    assert leaks(exception_channels(raised.value)) == []
