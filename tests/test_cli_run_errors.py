"""`pwb run` on a wrong folder, an empty year, without a key or with another key (issue 15).

Each case ends with exit 2 and one Dutch line that names what is wrong and what to do;
none writes a report. The refusals before Dagster starts run in-process (fast); the
stops inside the graph (empty year, key mismatch) run the real command once each on a
delivery of a few rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from registration_files import RUN_DATE, open_row, valid_row, write_csv

from pipeline.delivery import scan_delivery
from pipeline.keyguard import (
    DEMO_FINGERPRINT,
    STORE_KEY_FILE,
    KeyMismatch,
    check_store_key,
    key_fingerprint,
)
from pipeline.privacy import DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV
from pwb import cli

PROJECT = Path(__file__).resolve().parents[1]
PWB = [sys.executable, "-m", "pwb.cli"]
KEY = "test-key-0123456789abcdef"


def _run_inprocess(capsys, *arguments: str) -> tuple[int, str, str]:
    code = cli.main(["run", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err  # one line, not a traceback
    assert lines[0].startswith("Fout: ")
    return lines[0]


# --------------------------------------------------------------------------- the folder


def test_folder_above_registraties_names_what_it_found_and_where_to_look(tmp_path, capsys):
    (tmp_path / "truth.json").write_text("{}")
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "registraties").mkdir()
    write_csv(tmp_path / "registraties" / "ovl_2013.csv", [valid_row(1)])
    code, out, err = _run_inprocess(capsys, "--input", str(tmp_path), "--year", "2013",
                                    "--synthetisch", "--out", str(tmp_path / "out"))
    assert code == 2 and out == ""
    line = _error_line(err)
    assert f"Geen registratiebestand (CSV, XLSX of Parquet) in de invoermap {tmp_path}" in line
    assert "2 andere bestanden (manifest.json, truth.json)" in line
    assert "1 map (registraties/)" in line
    assert f"De map registraties/ bevat 1 registratiebestand: gebruik --input " \
           f"{tmp_path / 'registraties'}." in line
    assert not (tmp_path / "out").exists()


def test_empty_and_missing_folder(tmp_path, capsys):
    (tmp_path / "leeg").mkdir()
    code, _, err = _run_inprocess(capsys, "--input", str(tmp_path / "leeg"), "--year", "2013",
                                  "--synthetisch")
    assert code == 2
    assert _error_line(err).endswith(f"in de invoermap {tmp_path / 'leeg'}; de map is leeg.")
    code, _, err = _run_inprocess(capsys, "--input", str(tmp_path / "nergens"), "--year",
                                  "2013", "--synthetisch")
    assert code == 2
    assert "De invoermap" in _error_line(err) and "bestaat niet" in err


def test_a_folder_of_other_files_only_is_no_delivery(tmp_path, capsys):
    """Files of another type are not registrations: no run, no 'rejected' file."""
    for name in ("notities.pdf", "levering.docx", "~$registratie.xlsx", ".verborgen.csv"):
        (tmp_path / name).write_text("x")
    code, _, err = _run_inprocess(capsys, "--input", str(tmp_path), "--year", "2013",
                                  "--synthetisch")
    assert code == 2
    line = _error_line(err)
    assert "2 andere bestanden (levering.docx, notities.pdf)" in line
    assert "~$" not in line and "verborgen" not in line  # lock and hidden files: not looked at


def test_scan_sorts_registrations_from_other_files(tmp_path):
    for name in ("b.CSV", "a.xlsx", "c.parquet", "d.txt", "truth.json", "e.xls"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    delivery = scan_delivery(tmp_path)
    # .txt is read as CSV by ingest; .xls (old Excel) is not a registration type
    assert [p.name for p in delivery.files] == ["a.xlsx", "b.CSV", "c.parquet", "d.txt"]
    assert delivery.skipped == ("e.xls", "truth.json")
    assert delivery.subfolders == (("sub", 0),)


# --------------------------------------------------------------------------- the key


def test_no_key_on_real_data_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    write_csv(tmp_path / "ovl_2012.csv", [valid_row(1)])
    code, out, err = _run_inprocess(capsys, "--input", str(tmp_path), "--year", "2012",
                                    "--out", str(tmp_path / "out"))
    assert code == 2 and out == ""
    line = _error_line(err)
    assert "Geen pseudonimiseringssleutel: zet PWB_PSEUDONYM_KEY op een eigen geheime tekst" in line
    assert "--synthetisch" in line
    assert not (tmp_path / "out").exists()


def test_short_key_is_refused_and_synthetic_flag_passes_the_key_check(tmp_path, capsys,
                                                                       monkeypatch):
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "kort")
    code, _, err = _run_inprocess(capsys, "--input", str(tmp_path), "--year", "2012")
    assert code == 2 and "te kort (4 tekens)" in _error_line(err)
    monkeypatch.delenv(PSEUDONYM_KEY_ENV)
    code, _, err = _run_inprocess(capsys, "--input", str(tmp_path), "--year", "2012",
                                  "--synthetisch")
    assert code == 2 and "de map is leeg" in _error_line(err)  # past the key, at the folder


def test_demo_key_context_sets_and_restores(monkeypatch):
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY)
    with cli._pseudonym_key(synthetic=True, demo=True):
        assert os.environ[PSEUDONYM_KEY_ENV] == DEMO_PSEUDONYM_KEY.decode()
    assert os.environ[PSEUDONYM_KEY_ENV] == KEY
    with cli._pseudonym_key(synthetic=True):  # a key of one's own wins for --synthetisch
        assert os.environ[PSEUDONYM_KEY_ENV] == KEY
    monkeypatch.delenv(PSEUDONYM_KEY_ENV)
    with cli._pseudonym_key(synthetic=True):
        assert os.environ[PSEUDONYM_KEY_ENV] == DEMO_PSEUDONYM_KEY.decode()
    assert PSEUDONYM_KEY_ENV not in os.environ


def test_fingerprint_tells_keys_apart_and_hides_the_key():
    import hashlib
    import hmac

    first = key_fingerprint(KEY.encode())
    assert len(first) == 12 and int(first, 16) >= 0
    assert first == key_fingerprint(KEY.encode()) != key_fingerprint(b"another-key-0123456789")
    assert first not in KEY and KEY not in first
    # not a pseudonym of anything: the HMAC of the label, not of an identifier
    assert first != hmac.new(KEY.encode(), b"D0001", hashlib.sha256).hexdigest()[:12]
    assert DEMO_FINGERPRINT == key_fingerprint(DEMO_PSEUDONYM_KEY)


def test_store_remembers_its_key(tmp_path):
    store = tmp_path / "opslag"
    mine = key_fingerprint(KEY.encode())
    check_store_key(store, mine)  # a new store records the key
    assert json.loads((store / STORE_KEY_FILE).read_text()) == {"key_fingerprint": mine}
    check_store_key(store, mine)  # the same key passes
    with pytest.raises(KeyMismatch, match="gebouwd met een andere pseudonimiseringssleutel"
                       r".*Gebruik dezelfde PWB_PSEUDONYM_KEY"):
        check_store_key(store, key_fingerprint(b"another-key-0123456789"))
    demo = tmp_path / "demo"
    check_store_key(demo, DEMO_FINGERPRINT)
    with pytest.raises(KeyMismatch, match="enkel gegevens met de publieke demosleutel"):
        check_store_key(demo, mine)
    assert sorted(p.name for p in store.iterdir()) == [STORE_KEY_FILE]  # no temporary left


# --------------------------------------------------------------------------- whole runs


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """One good run of 2012 on a small delivery beside a file of another type."""
    root = tmp_path_factory.mktemp("run")
    delivery = root / "levering"
    delivery.mkdir()
    write_csv(delivery / "ovl_2012.csv", [valid_row(1), open_row(2), valid_row(3),
                                          valid_row(4, caw="BMK"), open_row(5, caw="WH")])
    (delivery / "leesmij.pdf").write_bytes(b"%PDF-1.4")
    env = {**os.environ, "PWB_STORE": str(root / "store"), "DAGSTER_HOME": str(root / "home"),
           PSEUDONYM_KEY_ENV: KEY, "COLUMNS": "300"}
    done = _pwb(env, "--input", str(delivery), "--year", "2012", "--out", str(root / "out"))
    return root, delivery, env, done


def _pwb(env: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PWB, "run", *arguments, "--run-date", RUN_DATE.isoformat()],
                          capture_output=True, text=True, cwd=PROJECT, env=env, timeout=600)


def test_run_skips_other_files_and_records_the_key(ran):
    root, _, _, done = ran
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Overgeslagen, geen registratiebestand (CSV, XLSX of Parquet): leesmij.pdf." \
        in done.stdout
    assert "✓ inlezen, pseudonimiseren en valideren" in done.stdout  # progress per step
    assert "✓ rapport en tabellen schrijven" in done.stdout
    results = json.loads((root / "out" / "2012" / "results.json").read_text())
    assert results["counts"]["files_rejected"] == 0 and results["counts"]["rows_in"] == 5
    fingerprint = key_fingerprint(KEY.encode())
    assert results["settings"]["key_fingerprint"] == fingerprint
    assert KEY not in (root / "out" / "2012" / "results.json").read_text()
    assert json.loads((root / "store" / STORE_KEY_FILE).read_text()) == {
        "key_fingerprint": fingerprint}


def test_another_key_on_the_same_store_stops(ran):
    root, delivery, env, first = ran
    assert first.returncode == 0
    before = (root / "out" / "2012" / "results.json").read_bytes()
    done = _pwb({**env, PSEUDONYM_KEY_ENV: "another-key-0123456789"}, "--input", str(delivery),
                "--year", "2012", "--out", str(root / "out"))
    assert done.returncode == 2
    line = _error_line(done.stderr)
    assert f"De opslag {root / 'store'} is gebouwd met een andere pseudonimiseringssleutel" \
           in line and key_fingerprint(KEY.encode()) in line
    assert "Gebruik dezelfde PWB_PSEUDONYM_KEY als bij de eerdere runs" in line
    assert (root / "out" / "2012" / "results.json").read_bytes() == before  # nothing mixed


def test_year_without_active_trajectories_writes_no_report(ran):
    root, delivery, env, first = ran
    assert first.returncode == 0
    done = _pwb(env, "--input", str(delivery), "--year", "2009", "--out", str(root / "out"))
    assert done.returncode == 2
    line = _error_line(done.stderr)
    assert "Geen enkel geldig traject is actief in 2009: van de 5 geldige trajecten" in line
    assert "starten er 5 na de peildatum 2009-12-31" in line
    assert "Er is geen rapport voor 2009 geschreven" in line
    assert not (root / "out" / "2009").exists()


def test_synth_before_the_registration_window_is_refused_in_dutch(tmp_path, capsys):
    code = cli.main(["synth", "--out", str(tmp_path / "synth"), "--years", "2010",
                     "--seed", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "registratievenster begint op 2011-01-01" in err and "--window-start" in err
    assert not (tmp_path / "synth").exists()
