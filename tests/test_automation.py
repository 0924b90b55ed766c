"""The yearly schedule, the inbox sensor, backfills and the settings as run config."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, build_schedule_context, build_sensor_context
from registration_files import POISON_RRN, RUN_DATE, open_row, valid_row, write_csv

from assets.automation import DEFAULT_SCHEDULE, inbox_sensor, yearly_schedule
from assets.definitions import defs
from assets.resources import EvaluationSettings, PwbSettings
from pipeline.inbox import scan_inbox
from pipeline.synthetic import generate
from pipeline.years import years_touched

PROJECT = Path(__file__).resolve().parents[1]


def _dates(*pairs: tuple[str, str | None]) -> pl.DataFrame:
    starts = [dt.date.fromisoformat(a) for a, _ in pairs]
    return pl.DataFrame({"datum_aanmelding": starts, "datum_start": starts,
                         "datum_afsluiting": [dt.date.fromisoformat(b) if b else None
                                              for _, b in pairs]})


def test_years_touched_follow_the_active_definition() -> None:
    frame = _dates(("2012-03-01", "2012-11-30"),  # 2012 only
                   ("2011-10-01", "2013-01-01"),  # 2011, 2012, 2013 (closed on 1 Jan: active)
                   ("2012-05-01", None))          # open: up to the file's latest date (2013)
    assert years_touched(frame, 2002, 2020) == [2011, 2012, 2013]
    assert years_touched(frame, 2012, 2012) == [2012]
    assert years_touched(frame.head(1), 2013, 2015) == []
    later = pl.concat([frame, _dates(("2015-02-01", "2015-03-01"))])
    assert years_touched(later, 2002, 2020) == [2011, 2012, 2013, 2014, 2015]
    assert years_touched(later, 2002, 2014) == [2011, 2012, 2013, 2014]  # not beyond the last
    # a closure before the start is invalid and touches nothing; no start, no year
    assert years_touched(_dates(("2013-05-01", "2012-01-01")), 2002, 2015) == []


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "ovl.csv", [valid_row(1), open_row(2, datum_start=dt.date(2013, 3, 1),
                                                          datum_aanmelding=dt.date(2013, 2, 1))])
    write_csv(inbox / "bmk.csv", [valid_row(10, caw="BMK")])
    return inbox


def test_scan_reads_only_changed_content_and_remembers_years(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)
    first = scan_inbox(inbox, {}, first_year=2002, last_year=2014)
    assert first.changed == ["bmk.csv", "ovl.csv"] and first.years == [2012, 2013]
    assert first.seen["bmk.csv"]["years"] == [2012]
    again = scan_inbox(inbox, first.seen, first_year=2002, last_year=2014)
    assert again.changed == [] and again.years == [] and again.seen == first.seen
    # same name, new content: the years of the old and of the new content
    write_csv(inbox / "bmk.csv", [valid_row(10, caw="BMK", datum_start=dt.date(2013, 1, 5),
                                            datum_aanmelding=dt.date(2013, 1, 2),
                                            datum_afsluiting=dt.date(2013, 6, 30))])
    changed = scan_inbox(inbox, first.seen, first_year=2002, last_year=2014)
    assert changed.changed == ["bmk.csv"] and changed.years == [2012, 2013]
    # touching the file without changing its bytes is not a change
    os.utime(inbox / "ovl.csv", (0, 0))
    assert scan_inbox(inbox, changed.seen, first_year=2002, last_year=2014).changed == []
    # a removed file re-runs the years it touched
    (inbox / "ovl.csv").unlink()
    removed = scan_inbox(inbox, changed.seen, first_year=2002, last_year=2014)
    assert removed.removed == ["ovl.csv"] and removed.years == [2012, 2013]
    assert "ovl.csv" not in removed.seen


def test_sensor_requests_years_once_and_reports_rejections(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)
    write_csv(inbox / "wh.csv", [valid_row(20, caw="WH")],
              extra={"opmerking": [f"rrn {POISON_RRN}"]})
    settings = PwbSettings(input_dir=str(inbox), run_date="2014-02-01")
    instance = DagsterInstance.ephemeral()
    with build_sensor_context(instance=instance, resources={"settings": settings}) as context:
        result = inbox_sensor(context)
    assert [r.partition_key for r in result.run_requests] == ["2012", "2013"]
    assert len({r.run_key for r in result.run_requests}) == 2
    tags = result.run_requests[0].tags
    assert tags["pwb/geweigerd"] == "wh.csv (persoonsgegevens)"
    assert "bmk.csv" in tags["pwb/bestanden"]
    cursor = json.loads(result.cursor)
    assert set(cursor) == {"bmk.csv", "ovl.csv", "wh.csv"} and cursor["wh.csv"]["years"] == []
    assert POISON_RRN not in result.cursor and "D0001" not in result.cursor
    # next tick, nothing changed: no run, a reason
    with build_sensor_context(instance=instance, cursor=result.cursor,
                              resources={"settings": settings}) as context:
        quiet = inbox_sensor(context)
    assert not quiet.run_requests and "geen nieuwe" in quiet.skip_reason.skip_message
    # only a rejected file changes: no run, its name and rule in the reason, never its content
    write_csv(inbox / "wh.csv", [valid_row(21, caw="WH")],
              extra={"opmerking": [f"mail jan.peeters@{'voorbeeld'}.be {POISON_RRN}"]})
    with build_sensor_context(instance=instance, cursor=result.cursor,
                              resources={"settings": settings}) as context:
        rejected = inbox_sensor(context)
    assert not rejected.run_requests
    assert "wh.csv (persoonsgegevens)" in rejected.skip_reason.skip_message
    assert "jan.peeters" not in rejected.skip_reason.skip_message
    # a file of another type (a README, the generator's truth.json) is skipped, not rejected
    (inbox / "truth.json").write_text("{}\n", encoding="utf-8")
    with build_sensor_context(instance=instance, cursor=rejected.cursor,
                              resources={"settings": settings}) as context:
        other = inbox_sensor(context)
    assert not other.run_requests and "geweigerd" not in other.skip_reason.skip_message
    assert "truth.json" not in json.loads(other.cursor)


def test_schedule_runs_the_previous_year_on_1_february() -> None:
    assert DEFAULT_SCHEDULE == "0 6 1 2 *"
    assert yearly_schedule.cron_schedule == DEFAULT_SCHEDULE
    assert yearly_schedule.execution_timezone == "Europe/Brussels"
    assert yearly_schedule.job_name == "jaarevaluatie"
    context = build_schedule_context(
        scheduled_execution_time=dt.datetime(2027, 2, 1, 6, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def())
    request = yearly_schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026" and request.run_key == "jaar-2026"
    job = defs.resolve_job_def("jaarevaluatie")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} >= {
        "registraties", "trajecten", "afsluitingsmodel", "nood_aanbod", "jaarrapport"}


def test_schedule_moment_is_configurable() -> None:
    code = ("from assets.automation import yearly_schedule as s; "
            "print(s.cron_schedule)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PROJECT, env={**os.environ, "PWB_SCHEDULE": "30 7 15 3 *"},
                          check=True)
    assert done.stdout.strip() == "30 7 15 3 *"


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory):
    """The sensor's request run as the daemon would: the job with launchpad run config."""
    root = tmp_path_factory.mktemp("automation")
    inbox = root / "inbox"
    inbox.mkdir()
    write_csv(inbox / "ovl.csv", [valid_row(n) for n in range(1, 9)] +
              [open_row(n) for n in range(9, 13)], sep=";")
    settings = PwbSettings(input_dir=str(inbox), run_date=RUN_DATE.isoformat())
    with build_sensor_context(resources={"settings": settings}) as context:
        request = inbox_sensor(context).run_requests[0]
    launchpad = {"resources": {
        "settings": {"config": {"input_dir": str(inbox), "out_dir": str(root / "out"),
                                "run_date": RUN_DATE.isoformat()}},
        "io_manager": {"config": {"base_dir": str(root / "store")}},
        "json_io_manager": {"config": {"base_dir": str(root / "store")}},
        "evaluation": {"config": {"suppression_threshold": 3, "cox_strata": [],
                                  "norms": {**EvaluationSettings().norms,
                                            "clienten_per_vte": 30.0}}}}}
    job = defs.resolve_job_def("jaarevaluatie")
    result = job.execute_in_process(
        run_config=launchpad, partition_key=request.partition_key, tags=request.tags,
        instance=DagsterInstance.ephemeral())
    return request, result, root


def test_sensor_request_materialises_the_year_with_launchpad_settings(launched) -> None:
    request, result, root = launched
    assert result.success and request.partition_key == "2012"
    results = json.loads((root / "out" / "2012" / "results.json").read_text())
    assert results["counts"]["rows_in"] == 12
    settings = results["settings"]
    assert settings["suppression_threshold"] == 3
    assert settings["run_date"] == RUN_DATE.isoformat()
    assert settings["norms"]["clienten_per_vte"] == 30.0
    assert settings["norms"]["risico_svk"] == 0.05  # the circular's, untouched
    assert settings["models"]["cox_strata"] == []
    assert results["indicators"]["norms"]["clients_per_fte"] == 30.0
    assert set(settings["cutoff_rules"]) == {"peildatum", "afsluiting_na_peildatum",
                                             "start_na_peildatum"}
    report = (root / "out" / "2012" / "rapport.html").read_text(encoding="utf-8")
    # the settings table names the norm in Dutch, not by its raw key (issue 13)
    assert "Norm: cliënten per VTE per jaar (omzendbrief, punt 2)" in report
    assert "clienten_per_vte" not in report
    assert "Drempel voor kleine aantallen" in report
    # a changed norm changes the titles and sentences, not only the numbers
    assert "De norm van 30 cliënten per VTE" in report and "norm van 27" not in report


def test_default_settings_are_the_circulars() -> None:
    # Omzendbrief 2012: punt 2 (27 cliënten per VTE), punt 3 (risico's, 26,66 begeleidingen
    # per VTE; 500.000 EUR / 7,88 VTE = 63.452 EUR per VTE). Exact values, no tolerance.
    norms = EvaluationSettings().norms
    assert norms["clienten_per_vte"] == 27 and norms["risico_shm_grootstad"] == 0.0165
    assert norms["kost_per_vte_eur"] == 63452 and norms["begeleidingen_per_vte_per_jaar"] == 26.66


def test_unknown_norm_is_refused_in_dutch(tmp_path: Path) -> None:
    from pipeline.reference import ReferenceError

    evaluation = EvaluationSettings(norms={"clienten_per_fte": 30.0})
    with pytest.raises(ReferenceError, match="Onbekende norm"):
        evaluation.reference(PwbSettings())


def test_launchpad_norm_wins_over_reference_file_only_when_changed(tmp_path: Path) -> None:
    (tmp_path / "normen.csv").write_text(
        "parameter,waarde,omschrijving,bron\nclienten_per_vte,25,eigen,test\n"
        "risico_svk,0.04,eigen,test\n", encoding="utf-8")
    settings = PwbSettings(reference_dir=str(tmp_path))
    norms = EvaluationSettings(norms={"risico_svk": 0.06}).reference(settings).norms
    assert norms["clienten_per_vte"] == 25  # the file decides where the config is default
    assert norms["risico_svk"] == 0.06  # a changed config value wins
    assert EvaluationSettings().reference(settings).norms["risico_svk"] == 0.04


def test_backfill_of_two_years_with_one_command(tmp_path: Path) -> None:
    generate(tmp_path / "data", (2012, 2013), 7, n_per_year=150)
    env = {**os.environ, "PWB_STORE": str(tmp_path / "store"), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "pwb.cli", "run", "--input",
                           str(tmp_path / "data" / "registraties"), "--years", "2012-2013",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          cwd=PROJECT, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    for year in (2012, 2013):
        results = json.loads((tmp_path / "out" / str(year) / "results.json").read_text())
        assert results["year"] == year and results["counts"]["active"] > 100
        assert f"{year}:" in done.stdout
    rows_in = {json.loads((tmp_path / "out" / str(y) / "results.json").read_text())
               ["counts"]["rows_in"] for y in (2012, 2013)}
    assert len(rows_in) == 1  # both years read the whole delivery
