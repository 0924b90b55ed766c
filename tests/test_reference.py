"""Reference data: the circular's exact figures, overrides per file, FTE per year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.reference import load_reference


def test_partial_norms_file_keeps_the_circulars_other_norms(tmp_path: Path) -> None:
    (tmp_path / "normen.csv").write_text("parameter,waarde,omschrijving,bron\n"
                                         "clienten_per_vte,30,test,test\n")
    reference = load_reference(tmp_path)
    assert reference.norms["clienten_per_vte"] == 30
    # omzendbrief 2012 punt 3: 5 % SVK, 1 % SHM, 1,65 % SHM in Gent/Antwerpen, 26,66 per VTE
    assert (reference.norms["risico_svk"], reference.norms["risico_shm"],
            reference.norms["risico_shm_grootstad"],
            reference.norms["begeleidingen_per_vte_per_jaar"]) == (0.05, 0.01, 0.0165, 26.66)
    assert reference.sources["normen.csv"] == str(tmp_path / "normen.csv")
    assert reference.sources["extra_vte.csv"] == "meegeleverd"


def test_extra_fte_totals_are_the_circulars() -> None:
    extra = load_reference().extra_fte
    # omzendbrief 2012: 7,88 VTE vanaf 01-12-2012, 23,64 VTE vanaf 01-01-2013 (exact, to 0.005)
    totals = {d: round(sum(extra.filter(extra["vanaf"] == d)["extra_vte"]), 2)
              for d in (dt.date(2012, 12, 1), dt.date(2013, 1, 1))}
    assert totals == {dt.date(2012, 12, 1): 7.88, dt.date(2013, 1, 1): 23.64}


def test_fte_in_year_counts_extra_fte_from_its_start_date() -> None:
    reference = load_reference()
    base = reference.staffing.filter((reference.staffing["caw"] == "OVL")
                                     & (reference.staffing["jaar"] == 2012))["basis_vte"][0]
    row = reference.fte_in_year(2012).filter(reference.fte_in_year(2012)["caw"] == "OVL")
    # 3,79 extra VTE from 1 December 2012: 31 of the 366 days of 2012
    assert row["vte"][0] == pytest.approx(base + 3.79 * 31 / 366, abs=1e-12)
    on_day = reference.fte_on(dt.date(2013, 1, 1)).filter(
        reference.fte_on(dt.date(2013, 1, 1))["caw"] == "OVL")
    assert on_day["extra_vte"][0] == pytest.approx(3.79 + 7.52, abs=1e-12)


def test_registration_window_column_is_read_and_typed(tmp_path: Path) -> None:
    (tmp_path / "caw_regios.csv").write_text(
        "caw,naam,registratie_sinds\nOVL,Oost-Vlaanderen,2011-01-01\nBRU,Brussel,\n",
        encoding="utf-8")
    regions = load_reference(tmp_path).regions
    assert regions["registratie_sinds"].to_list() == [dt.date(2011, 1, 1), None]
    assert "registratie_sinds" not in load_reference().regions.columns  # optional

    import polars as pl

    from pipeline.duration import registration_window
    from pipeline.years import trajectories
    valid = pl.DataFrame({
        "caw": ["OVL", "BRU"], "dossier_id": ["a", "b"],
        "datum_start": [dt.date(2011, 3, 1), dt.date(2011, 5, 1)],
        "datum_afsluiting": [dt.date(2011, 9, 1), dt.date(2011, 8, 1)],
        "afsluitreden": ["verhuisd", "verhuisd"], "uithuiszetting_vermeden": ["ja", "ja"]})
    window = {w["caw"]: w for w in registration_window(trajectories(valid, 2012), regions)}
    assert window["OVL"] == {"caw": "OVL", "since": "2011-01-01", "source": "referentie",
                             "first_full_year": 2011}
    # an empty cell falls back to the region's first closure
    assert window["BRU"]["source"] == "eerste_afsluiting"
    assert window["BRU"]["since"] == "2011-08-01" and window["BRU"]["first_full_year"] == 2012


def test_bad_registration_window_date_is_named(tmp_path: Path) -> None:
    (tmp_path / "caw_regios.csv").write_text(
        "caw,naam,registratie_sinds\nOVL,Oost-Vlaanderen,1/1/2011\n", encoding="utf-8")
    with pytest.raises(ValueError, match="regel 2, kolom 'registratie_sinds'"):
        load_reference(tmp_path)


def test_a_reference_file_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    """The run reads its reference files once (cached per version of the file); a file
    edited between two runs is read anew, not served from the cache."""
    norms = tmp_path / "normen.csv"
    norms.write_text("parameter,waarde,omschrijving,bron\nclienten_per_vte,30,test,test\n")
    first = load_reference(tmp_path)
    assert load_reference(tmp_path).regions is first.regions  # the same read, once
    norms.write_text("parameter,waarde,omschrijving,bron\nclienten_per_vte,31,test,test\n")
    assert load_reference(tmp_path).norms["clienten_per_vte"] == 31
