"""The project documents itself (issue 15): the registration format generated from the
contract and kept equal to it, templates that validate, links that stay inside the
repository, the circular shipped with its source."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from pipeline import formatdoc
from pipeline.contract import COLUMN_NAMES, COLUMNS, ROW_RULES, FileRule
from pwb import cli

PROJECT = Path(__file__).resolve().parents[1]
DOCS = PROJECT / "docs"


def test_registration_format_doc_equals_the_contract() -> None:
    """docs/registratieformaat.md and the CSV template are what `make docs` writes now."""
    assert (DOCS / "registratieformaat.md").read_text(encoding="utf-8") == \
        formatdoc.registration_format_markdown(), "run `make docs`"
    assert (DOCS / "voorbeeld" / "registratie.csv").read_bytes() == \
        formatdoc.example_csv().encode("utf-8"), "run `make docs`"
    assert formatdoc.main(["--check"]) == 0


def test_doc_covers_every_column_code_and_rule() -> None:
    text = formatdoc.registration_format_markdown()
    table = {line.split("|")[1].strip(" `"): line for line in text.splitlines()
             if line.startswith("| `") and line.count("|") == 6}
    assert list(table) == list(COLUMN_NAMES)  # one row per column, in the contract's order
    for column in COLUMNS:
        for code in column.codes:
            assert f"`{code}`" in table[column.name], (column.name, code)
    assert "| `leeftijd` | altijd | geheel getal | leeftijd | 16 tot en met 110 |" in text
    assert "bij afsluiting" in table["uithuiszetting_vermeden"]
    assert "niet vóór `datum_start`; leeg = het traject loopt nog" in table["datum_afsluiting"]
    for rule in ROW_RULES:
        assert f"| `{rule.name}` | {rule.message.replace('|', chr(92) + '|')} |" in text
    for rule in FileRule:
        assert f"| `{rule.value}` |" in text


def test_doc_follows_a_change_of_the_contract(monkeypatch) -> None:
    """Generated, not copied: a changed label shows up in the document."""
    from dataclasses import replace

    changed = tuple(replace(c, label="LEEFTIJD IN JAREN") if c.name == "leeftijd" else c
                    for c in COLUMNS)
    monkeypatch.setattr(formatdoc, "COLUMNS", changed)
    assert "| `leeftijd` | altijd | geheel getal | LEEFTIJD IN JAREN |" in \
        formatdoc.registration_format_markdown()


@pytest.mark.parametrize("name", ["registratie.csv", "registratie.xlsx"])
def test_templates_pass_pwb_validate(name: str, capsys, monkeypatch) -> None:
    monkeypatch.setattr(cli.console, "_width", 300)
    assert cli.main(["validate", str(DOCS / "voorbeeld" / name)]) == 0
    out = capsys.readouterr().out
    assert "4 rijen gelezen: 4 geldig, 0 in quarantaine, 0 bestand(en) geweigerd." in out
    assert "waarschuwing" not in out


def test_xlsx_template_has_the_columns_and_real_date_cells(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(DOCS / "voorbeeld" / "registratie.xlsx")
    sheet = book["registratie"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMN_NAMES) and len(rows) == 5
    start = COLUMN_NAMES.index("datum_start")
    assert all(isinstance(row[start], dt.datetime) for row in rows[1:])
    again = formatdoc.write_example_xlsx(tmp_path / "x.xlsx")  # the same workbook again
    assert [list(r) for r in openpyxl.load_workbook(again)["registratie"]
            .iter_rows(values_only=True)] == [list(r) for r in rows]


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", ["README.md", *sorted(
    str(p.relative_to(PROJECT)) for p in (PROJECT / "docs").glob("*.md"))])
def test_links_stay_inside_the_repository(doc: str) -> None:
    path = PROJECT / doc
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/seed" not in text
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(PROJECT), (doc, target)
        assert resolved.exists(), (doc, target)


def test_methods_name_modules_that_exist() -> None:
    text = (DOCS / "methode.md").read_text(encoding="utf-8")
    modules = set(re.findall(r"`(pipeline/[\w/]+\.py)`", text))
    assert len(modules) >= 10
    assert not [m for m in modules if not (PROJECT / m).is_file()]


def test_circular_is_shipped_with_its_source() -> None:
    circular = (DOCS / "omzendbrief-2012.txt").read_text(encoding="utf-8")
    # the figures the pipeline takes from it (pipeline/reference/extra_vte.csv)
    for figure in ("Preventie van thuisloosheid via preventieve woonbegeleiding", "7,88",
                   "23,64", "Jo Vandeurzen"):
        assert figure in circular
    source = (DOCS / "README.md").read_text(encoding="utf-8")
    assert "omzendbrief-2012.txt" in source and "Jo Vandeurzen" in source and "OCR" in source
    assert "docs/omzendbrief-2012.txt" in (PROJECT / "README.md").read_text(encoding="utf-8")
