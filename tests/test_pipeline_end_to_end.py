"""The Dagster graph materialised for real, the CLI end to end, and no identity anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, materialize
from registration_files import POISON_RRN, RUN_DATE, open_row, valid_row, write_csv, write_parquet

from assets.definitions import ASSETS, defs, resources
from assets.registrations import CONTRACT_CHECK
from assets.resources import PwbSettings

PROJECT = Path(__file__).resolve().parents[1]
PWB = [sys.executable, "-m", "pwb.cli"]


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two good files (one row quarantined) and one file poisoned with a national number."""
    folder = tmp_path_factory.mktemp("inbox")
    write_csv(folder / "ovl_2012.csv", [valid_row(1), open_row(2), valid_row(3, leeftijd=7)],
              sep=";", belgian=True, decimal_comma=True, encoding="cp1252")
    write_parquet(folder / "bmk_2012.parquet",
                  [valid_row(10, caw="BMK"), valid_row(11, caw="BMK", datum_aanmelding=None)])
    write_csv(folder / "wh_2012.csv", [valid_row(20, caw="WH"), valid_row(21, caw="WH")],
              extra={"opmerking": ["", f"rrn {POISON_RRN}"]})
    return folder


@pytest.fixture(scope="module")
def materialised(delivery: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("run")
    (root / "home").mkdir()
    instance = DagsterInstance.local_temp(str(root / "home"))
    settings = PwbSettings(input_dir=str(delivery), out_dir=str(root / "out"),
                           run_date=RUN_DATE.isoformat())
    result = materialize(ASSETS, partition_key="2012", instance=instance,
                         resources=resources(root / "store", settings))
    return result, root, instance


def test_definitions_load() -> None:
    assert {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()} == \
        {"registraties", "quarantaine", "bestandsverslag", "trajecten", "jaarrapport",
         "duur_tot_afsluiting", "afsluitingsmodel", "afsluitingsuitkomsten",
         "uithuiszetting_vermeden", "programma_indicatoren", "nood_aanbod",
         "duur_van_het_jaar", "uitkomstmodellen", "regiovergelijking", "evolutie"}


def test_materialisation_with_blocking_check(materialised) -> None:
    result, root, _ = materialised
    assert result.success
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == CONTRACT_CHECK and check.passed
    assert check.metadata["rijen_gecontroleerd"].value == 5
    assert check.metadata["rijen_geldig"].value == 3
    results = json.loads((root / "out" / "2012" / "results.json").read_text())
    assert results["counts"] == {"rows_in": 5, "rows_valid": 3, "rows_quarantined": 2,
                                 "files_rejected": 1, "active": 3, "closed": 2,
                                 "open_at_cutoff": 1, "out_of_scope": 0}
    rejected = [f for f in results["validation"]["files"] if f["geweigerd"]]
    assert [f["bestand"] for f in rejected] == ["wh_2012.csv"]
    assert rejected[0]["regel"] == "persoonsgegevens"


def test_quarantine_csv_names_file_line_and_rule(materialised) -> None:
    _, root, _ = materialised
    raw = (root / "out" / "2012" / "quarantaine.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = pl.read_csv(raw[3:], separator=";").select("bestand", "regel", "regels").rows()
    assert rows == [("bmk_2012.parquet", 2, "verplicht:datum_aanmelding"),
                    ("ovl_2012.csv", 4, "bereik:leeftijd")]


def test_no_identity_in_any_output_store_or_log(materialised) -> None:
    """The poisoned value and the delivered ids appear nowhere the run wrote."""
    _, root, instance = materialised
    needles = [POISON_RRN, POISON_RRN.replace(".", "").replace("-", ""), "D0001", "K0001"]
    written = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written) and any(p.suffix == ".db" for p in
                                                                 written)
    for path in written:
        data = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in data, f"{needle} in {path}"
    for record in instance.all_logs(instance.get_runs()[0].run_id):
        for needle in needles:
            assert needle not in (record.message or "")


def test_cli_validate_exit_codes(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "goed.csv", [valid_row(1), open_row(2)])
    bad = write_csv(tmp_path / "fout.csv", [valid_row(3, gezinstype="kot")])
    ok = subprocess.run([*PWB, "validate", str(good)], capture_output=True, text=True,
                        cwd=PROJECT, env={**os.environ, "COLUMNS": "200"})
    assert ok.returncode == 0, ok.stderr
    assert "2 geldig, 0 in quarantaine" in ok.stdout
    fail = subprocess.run([*PWB, "validate", str(good), str(bad)], capture_output=True,
                          text=True, cwd=PROJECT, env={**os.environ, "COLUMNS": "200"})
    assert fail.returncode == 1
    assert "fout.csv" in fail.stdout and "code:gezinstype" in fail.stdout


def test_cli_run_end_to_end(delivery: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PWB_STORE": str(tmp_path / "store"), "COLUMNS": "200"}
    done = subprocess.run([*PWB, "run", "--input", str(delivery), "--year", "2012",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          cwd=PROJECT, env=env)
    assert done.returncode == 0, done.stderr
    for name in ("results.json", "quarantaine.csv", "rapport.html", "tabellen.xlsx"):
        assert (tmp_path / "out" / "2012" / name).is_file()
    report = (tmp_path / "out" / "2012" / "rapport.html").read_text()
    assert "<script" not in report and "http" not in report.split("</head>")[0]
    assert json.loads((tmp_path / "out" / "2012" / "results.json").read_text())[
        "counts"]["rows_in"] == 5
