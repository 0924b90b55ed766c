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
