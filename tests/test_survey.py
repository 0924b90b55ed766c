"""The 2013 staffing survey (pipeline.survey): workbooks out, filled by openpyxl, back in."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook, load_workbook

from pipeline.reference import load_reference
from pipeline.survey import (
    SHEET,
    export_survey,
    file_name,
    import_survey,
    write_staffing,
)

YEAR = 2013
INDICATORS = {"per_caw": [{"caw": "OVL", "fte": 14.81, "active": 502, "started": 409,
                           "closed": 238, "clients_per_fte": 33.896}]}


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, reference) -> Path:
    folder = tmp_path_factory.mktemp("uit")
    export_survey(YEAR, folder, reference, INDICATORS)
    return folder


def fill(path: Path, **cells: object) -> None:
    book = load_workbook(path)
    for cell, value in cells.items():
        book[SHEET][cell] = value
    book.save(path)


def test_one_prefilled_workbook_per_region_with_validation(exported: Path, reference) -> None:
    names = sorted(p.name for p in exported.glob("*.xlsx"))
    assert names == sorted(file_name(YEAR, c) for c in reference.regions["caw"])
    book = load_workbook(exported / file_name(YEAR, "OVL"))
    assert book.sheetnames == [SHEET, "toelichting"]
    sheet = book[SHEET]
    assert (sheet["B4"].value, sheet["B6"].value) == ("OVL", YEAR)
    assert sheet["B7"].value == dt.datetime(2013, 12, 31)
    # base 3.50 and extra 3.79 + 7.52 = 11.31 in force on 2013-12-31 (shipped reference)
    assert (sheet["B10"].value, sheet["B11"].value) == (3.5, pytest.approx(11.31))
    assert (sheet["B12"].value, sheet["B13"].value, sheet["B16"].value) == (
        14.81, 502, 33.896)
    assert "illustratief" in sheet["A17"].value
    assert [sheet[c].value for c in ("B21", "B22", "B23")] == [None, None, None]
    (rule,) = sheet.data_validations.dataValidation
    assert str(rule.sqref) == "B21:B23" and rule.type == "decimal"
    assert (rule.formula1, float(rule.formula2)) == ("0", 100.0) and rule.showErrorMessage
    assert sheet.protection.sheet and not sheet["B21"].protection.locked
    assert sheet["B10"].protection.locked
    # a region without registered figures says so
    assert load_workbook(exported / file_name(YEAR, "BRU"))[SHEET]["B13"].value == \
        "niet beschikbaar"


def test_export_is_deterministic(exported: Path, reference, tmp_path: Path) -> None:
    export_survey(YEAR, tmp_path, reference, INDICATORS)
    for path in exported.glob("*.xlsx"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()


@pytest.fixture(scope="module")
def returned(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Returned workbooks: two good ones, and one of each mistake."""
    folder = tmp_path_factory.mktemp("terug")
    for caw in ("OVL", "LIM", "BMK", "DV", "LH"):
        shutil.copy(exported / file_name(YEAR, caw), folder)
    fill(folder / file_name(YEAR, "OVL"), B21=12.5, B22="1,5", B23=0)   # 14.0 in all
    fill(folder / file_name(YEAR, "LIM"), B21=5, B22=1, B23=1.5, B26="ok")  # 7.5
    fill(folder / file_name(YEAR, "BMK"), B21="drie", B22=-1, B23=0)     # text, negative
    fill(folder / file_name(YEAR, "DV"), B21=1, B22=0, B23=0)            # below its extra
    fill(folder / file_name(YEAR, "LH"), B21=2, B22=None, B23=250)       # empty, too large
    book = Workbook()
    book.active.title = "Blad1"                                          # missing sheet
    book.save(folder / file_name(YEAR, "KEM"))
    (folder / "notities.xlsx").write_text("geen werkboek")              # not a workbook
    return folder


@pytest.fixture(scope="module")
def imported(returned: Path):
    return import_survey(returned)


def test_good_workbooks_become_staffing_rows(imported) -> None:
    # OVL: total 12.5 + 1.5 + 0 = 14.0, minus the 11.31 extra FTE of the circular = 2.69
    # LIM: total 7.5 minus its extra 3.37 = 4.13
    assert imported.frame.to_dicts() == [
        {"caw": "LIM", "jaar": 2013, "basis_vte": pytest.approx(4.13), "illustratief": False},
        {"caw": "OVL", "jaar": 2013, "basis_vte": pytest.approx(2.69), "illustratief": False}]
    ovl = imported.detail.filter(pl.col("caw") == "OVL").row(0, named=True)
    assert (ovl["subsidie_vte"], ovl["eigen_vte"], ovl["lokaal_vte"], ovl["totaal_vte"]) == (
        12.5, 1.5, 0.0, 14.0)
    assert ovl["peildatum"] == dt.date(2013, 12, 31) and ovl["extra_vte"] == pytest.approx(11.31)
    assert imported.detail.filter(pl.col("caw") == "LIM")["opmerking"].item() == "ok"
    assert not imported.ok and len(imported.files) == 7


def test_each_wrong_entry_is_named_by_file_sheet_and_cell(imported) -> None:
    found = {(p.file, p.sheet, p.cell): p.message for p in imported.problems}
    bmk, dv, lh, kem = (file_name(YEAR, c) for c in ("BMK", "DV", "LH", "KEM"))
    assert "'drie' is geen getal" in found[(bmk, SHEET, "B21")]
    assert "Negatief aantal VTE (-1)" in found[(bmk, SHEET, "B22")]
    assert "kleiner dan de extra VTE" in found[(dv, SHEET, "B24")]  # 1 < 2.61
    assert found[(lh, SHEET, "B22")].endswith("Leeg: vul het aantal VTE in (0 als er geen "
                                              "zijn).")
    assert "250 VTE is meer dan 100" in found[(lh, SHEET, "B23")]
    assert "Het blad 'bevraging' ontbreekt" in found[(kem, None, None)]
    assert "kan niet geopend worden" in found[("notities.xlsx", None, None)]
    assert len(found) == 7
    text = [str(p) for p in imported.problems]
    assert f"{bmk}, blad 'bevraging', cel B21: Subsidie-enveloppe" in text[0]


def test_duplicate_region_refuses_both(exported: Path, tmp_path: Path) -> None:
    shutil.copy(exported / file_name(YEAR, "OVL"), tmp_path / "a.xlsx")
    fill(tmp_path / "a.xlsx", B21=12, B22=0, B23=0)
    shutil.copy(tmp_path / "a.xlsx", tmp_path / "b.xlsx")
    result = import_survey(tmp_path)
    assert result.frame.is_empty()
    assert [(p.file, p.cell) for p in result.problems] == [("a.xlsx", "B4"), ("b.xlsx", "B4")]
    assert "geen ervan is overgenomen" in result.problems[0].message
    assert import_survey(tmp_path / "leeg").problems[0].message.startswith("Geen teruggestuurde")


def test_round_trip_into_the_reference(imported, reference, tmp_path: Path) -> None:
    """Merged into the shipped staffing, written as personeel.csv, read by load_reference."""
    merged = imported.merged(reference.staffing)
    assert merged.height == reference.staffing.height  # replaced, not added
    write_staffing(tmp_path / "personeel.csv", merged)
    loaded = load_reference(tmp_path)
    assert loaded.sources["personeel.csv"] == str(tmp_path / "personeel.csv")
    fte = dict(loaded.fte_in_year(2013).select("caw", "vte").rows())
    # OVL: surveyed base 2.69 + extra 3.79 + 7.52 = 14.0 = the reported total
    assert fte["OVL"] == pytest.approx(14.0) and fte["LIM"] == pytest.approx(7.5)
    assert fte["BMK"] == pytest.approx(1.5 + 1.13 + 2.11)  # not surveyed: shipped base
    row = loaded.staffing.filter((pl.col("caw") == "OVL") & (pl.col("jaar") == 2013))
    assert row["illustratief"].item() is False
    assert loaded.staffing.filter(pl.col("jaar") == 2012)["illustratief"].all()
