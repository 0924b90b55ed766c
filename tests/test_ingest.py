"""Every file variant the format allows reads to the same typed rows; file rules reject."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from registration_files import POISON_RRN, open_row, valid_row, write_csv, write_parquet, write_xlsx

from pipeline.contract import COLUMN_NAMES, FileRule
from pipeline.ingest import FileRejected, ingest, load_file

ROWS = [valid_row(1),
        open_row(2, huurachterstand_eur=0.5, leeftijd=67, verhuurder_id="Woonpunt Zenneé")]


def _typed(path: Path) -> pl.DataFrame:
    frame = ingest([path]).frame
    return frame.select(c for c in COLUMN_NAMES if c not in ("dossier_id", "client_id",
                                                             "begeleider_id"))


@pytest.fixture
def reference(tmp_path: Path) -> pl.DataFrame:
    return _typed(write_csv(tmp_path / "ref.csv", ROWS))


@pytest.mark.parametrize("variant", [
    dict(sep=";"),
    dict(bom=True),
    dict(encoding="cp1252", sep=";", belgian=True, decimal_comma=True),
    dict(sep=";", decimal_comma=True),
    dict(belgian=True),
])
def test_csv_variants_read_the_same_values(tmp_path: Path, reference: pl.DataFrame,
                                           variant: dict) -> None:
    path = write_csv(tmp_path / "v.csv", ROWS, **variant)
    assert _typed(path).equals(reference)


def test_headers_any_case_and_spaces(tmp_path: Path, reference: pl.DataFrame) -> None:
    headers = [f"  {n.upper()} " if i % 2 else n.title() for i, n in enumerate(ROWS[0])]
    assert _typed(write_csv(tmp_path / "h.csv", ROWS, headers=headers)).equals(reference)


def test_xlsx_registratie_sheet_with_date_cells(tmp_path: Path, reference: pl.DataFrame) -> None:
    assert _typed(write_xlsx(tmp_path / "r.xlsx", ROWS)).equals(reference)


def test_xlsx_first_sheet_when_no_registratie(tmp_path: Path, reference: pl.DataFrame) -> None:
    assert _typed(write_xlsx(tmp_path / "r.xlsx", ROWS, sheet_first=None)).equals(reference)


def test_parquet(tmp_path: Path, reference: pl.DataFrame) -> None:
    assert _typed(write_parquet(tmp_path / "r.parquet", ROWS)).equals(reference)


def test_dash_dates_and_thousands_separator(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    write_csv(path, [valid_row(1, huurachterstand_eur=1234.5)], sep=";", decimal_comma=True)
    text = path.read_text().replace("01/02/2012", "01-02-2012").replace("1234,50", "1.234,50")
    path.write_text(text)
    row = ingest([path]).frame.row(0, named=True)
    assert row["huurachterstand_eur"] == 1234.5
    assert row["datum_aanmelding"] == dt.date(2012, 2, 1)


def test_quoted_separator_and_newline_keep_physical_lines(tmp_path: Path) -> None:
    rows = [valid_row(i) for i in range(1, 4)]
    notes = ["kort", "een; twee\nderde regel\nvierde", "laatste"]
    path = write_csv(tmp_path / "q.csv", rows, sep=";", extra={"opmerking": notes})
    frame, report = load_file(path)
    assert frame["bron_regel"].to_list() == [2, 3, 6]
    assert report.warnings and "opmerking" in report.warnings[0]
    assert "opmerking" not in frame.columns


def test_excel_float_integers_and_booleans(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [valid_row(1)])
    text = path.read_text().replace(",45,", ",45.0,")
    path.write_text(text.replace(",ja,", ",1.0,", 1))
    row = ingest([path]).frame.row(0, named=True)
    assert row["leeftijd"] == 45
    assert row["leeftijd__ruw"] == "45.0"


def test_pseudonymised_before_anything_is_kept(tmp_path: Path) -> None:
    frame = ingest([write_csv(tmp_path / "p.csv", ROWS)]).frame
    assert "D0001" not in frame["dossier_id"].to_list()
    assert frame["dossier_id"].str.len_chars().to_list() == [20, 20]


def test_several_files_sorted_and_counted(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "b.csv", [valid_row(1)])
    b = write_parquet(tmp_path / "a.parquet", [valid_row(2), valid_row(3)])
    result = ingest([a, b])
    assert [f.file for f in result.files] == ["a.parquet", "b.csv"]
    assert result.rows_in == 3 == result.frame.height
    assert result.frame["rij_id"].to_list() == [0, 1, 2]


# --------------------------------------------------------------------------- file rules


def _rejected(path: Path) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        load_file(path)
    assert path.name in info.value.message
    return info.value


def test_missing_required_column(tmp_path: Path) -> None:
    rows = [{k: v for k, v in valid_row(1).items() if k != "leeftijd"}]
    error = _rejected(write_csv(tmp_path / "m.csv", rows))
    assert error.rule is FileRule.MISSING_COLUMN
    assert "'leeftijd'" in error.message and "regel 1" in error.message


def test_undecodable_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [valid_row(1)])
    path.write_bytes(path.read_bytes() + b"D2,\x81\x8d\x90,OVL\r\n")
    error = _rejected(path)
    assert error.rule is FileRule.UNREADABLE and "regel 3" in error.message


def test_mixed_encodings_rejected_with_the_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "mix.csv", [valid_row(1, verhuurder_id="Woonpunt Zenneé"),
                                            valid_row(2)])
    path.write_bytes(path.read_bytes() + "D3,K3,OVL,café\r\n".encode("cp1252"))
    error = _rejected(path)
    assert error.rule is FileRule.UNREADABLE
    assert "regel 4" in error.message and "mengt" in error.message


def test_binary_renamed_to_csv(tmp_path: Path) -> None:
    path = tmp_path / "z.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    assert _rejected(path).rule is FileRule.UNREADABLE


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "r.ods"
    path.write_bytes(b"x")
    assert _rejected(path).rule is FileRule.UNSUPPORTED


def test_duplicate_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [valid_row(1)])
    path.write_text(path.read_text().replace("client_id", "Dossier_ID", 1))
    assert _rejected(path).rule is FileRule.DUPLICATE_HEADER


def test_identifier_header_rejected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", [valid_row(1)], extra={"naam": ["x"]})
    error = _rejected(path)
    assert error.rule is FileRule.PERSONAL_DATA and "'naam'" in error.message


def test_national_register_number_in_free_text_rejected_without_value(tmp_path: Path) -> None:
    rows = [valid_row(1), valid_row(2), valid_row(3)]
    notes = ["", "", f"gebeld met {POISON_RRN}"]
    error = _rejected(write_csv(tmp_path / "r.csv", rows, extra={"opmerking": notes}))
    assert error.rule is FileRule.PERSONAL_DATA
    assert "opmerking" in error.message and "regel 4" in error.message
    digits = POISON_RRN.replace(".", "").replace("-", "")
    assert digits not in error.message and POISON_RRN not in error.message


def test_rejected_file_contributes_no_rows(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "a.csv", [valid_row(1)])
    bad = write_csv(tmp_path / "b.csv", [valid_row(2)], extra={"email": ["x"]})
    result = ingest([good, bad])
    assert result.frame.height == 1
    assert [(f.file, f.rejected, f.rows_in) for f in result.files] == [
        ("a.csv", False, 1), ("b.csv", True, 0)]


def test_xlsx_text_cell_late_in_a_date_column_is_kept_as_delivered(tmp_path: Path) -> None:
    """A sample-based type guess would null these cells; they must read as unreadable text."""
    from pipeline.validation import validate

    rows = [valid_row(i) for i in range(1, 1501)]
    rows[1498] = valid_row(1499, datum_start="31/02/2012")
    rows[1499] = valid_row(1500, leeftijd="ongeveer 45")
    validated = validate(ingest([write_xlsx(tmp_path / "lang.xlsx", rows)]), dt.date(2026, 11, 29))
    assert validated.quarantine.select("bron_regel", "regels").rows() == [
        (1500, "onleesbaar:datum_start"), (1501, "onleesbaar:leeftijd")]


@pytest.mark.parametrize(("cells", "expected"), [
    (["1.500", "800", "12.345"], [1500.0, 800.0, 12345.0]),   # dots as thousands marks
    (["1.500", "12.5", "800"], [1.5, 12.5, 800.0]),           # a real decimal point
    (["1.500,25", "800", "1.234"], [1500.25, 800.0, 1234.0]),  # comma decimal in the column
    (["0.500", "800", "3"], [0.5, 800.0, 3.0]),               # 0.500 is never five hundred
])
def test_decimal_mark_decided_per_column_and_file(tmp_path: Path, cells: list[str],
                                                   expected: list[float]) -> None:
    rows = [valid_row(i) for i in range(1, 4)]
    path = write_csv(tmp_path / "a.csv", rows, sep=";")
    lines = path.read_text().splitlines()
    for i, cell in enumerate(cells, start=1):
        lines[i] = lines[i].replace(";1234.50;", f";{cell};")
    path.write_text("\n".join(lines) + "\n")
    assert ingest([path]).frame["huurachterstand_eur"].to_list() == expected
