"""tabellen.xlsx keeps numbers as numbers (issue 13, item 6): read back by a real
spreadsheet client, LibreOffice Calc headless, not by the library that wrote it.

The workbook is converted to flat OpenDocument (.fods), whose XML states each cell's
value type (float, percentage, string), its value and its number style.

The numbers are the report's source values, carried with each cell from where it was
formatted (``formatting.Printed``), never read back from the printed text: a share of 2/3
arrives as 0.666666666666667 shown as 66,7 %, not as 0.667; a hidden cell is its mark
and nothing else (no number, no comment, no hidden column).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from year_run import year_outputs

from pipeline.outputs import Estimate, Share, Sheet, write_workbook
from pipeline.report import formatting as fmt
from pipeline.report.content import workbook_sheets
from pipeline.report.context import Context
from pipeline.report.model import Chapter, Report, Section, TableCell, cell_of

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
      "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
      "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
      "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
      "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
CREATED = dt.datetime(2014, 1, 1)
NEEDS_SOFFICE = pytest.mark.skipif(not Path(SOFFICE).exists(), reason="LibreOffice (soffice) "
                                   "ontbreekt: apt-get install libreoffice-calc-nogui "
                                   "(.ci/run doet dat)")
# A published number written as text: 4.111 / 78,7 % / 26,66 / -0,18 (Dutch separators).
NUMBER_AS_TEXT = re.compile(r"-?\d{1,3}(\.\d{3})*(,\d+)?(\u00a0?%)?")


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def table_52() -> dict[str, Sheet | list]:
    """A table as the report publishes it: one count hidden (<5), its complement hidden
    by secondary suppression (x), the rest numbers (a numpy integer too); plus a legacy
    all-text sheet."""
    return {
        "Tabel 5.2": Sheet(rows=[
            {"Uitkomst": "Ja", "Aantal": "x", "Aandeel": "x", "Mediaan (dagen)": 224.0},
            {"Uitkomst": "Nee", "Aantal": 4111, "Aandeel": Share(0.787),
             "Mediaan (dagen)": 217.5},
            {"Uitkomst": "Onbekend", "Aantal": "<5", "Aandeel": "x",
             "Mediaan (dagen)": float("nan")},
            {"Uitkomst": "Totaal", "Aantal": np.int64(4122), "Aandeel": Share(1.0),
             "Mediaan (dagen)": None}],
            notes=("n = 4.122 afsluitingen in 2013.",
                   "Bron: registratie preventieve woonbegeleiding, bewerking pwb.")),
        "Tabel 1.1": [{"Parameter": "Cliënten per VTE", "Waarde": "27"}],
    }


def convert(workbook: Path, folder: Path) -> ET.Element:
    """LibreOffice Calc headless: xlsx -> fods, with a private profile (parallel runs)."""
    profile = folder / "lo-profile"
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", "fods", "--outdir", str(folder), str(workbook)],
        capture_output=True, text=True, timeout=180)
    target = folder / (workbook.stem + ".fods")
    assert done.returncode == 0 and target.exists(), done.stdout + done.stderr
    return ET.parse(target).getroot()


def cells(root: ET.Element, sheet: str) -> list[list[dict]]:
    """Rows of a sheet as [{type, value, text, style}], repeated cells expanded, trailing
    empty cells dropped."""
    table = next(t for t in root.iter(q("table:table")) if t.get(q("table:name")) == sheet)
    rows = []
    for row in table.iter(q("table:table-row")):
        out = []
        for cell in row.findall(q("table:table-cell")):
            repeat = int(cell.get(q("table:number-columns-repeated"), "1"))
            item = {"type": cell.get(q("office:value-type")),
                    "value": cell.get(q("office:value")),
                    "text": "\n".join("".join(par.itertext())
                                      for par in cell.iter(q("text:p"))),
                    "style": cell.get(q("table:style-name"))}
            out += [item] * min(repeat, 50)
        while out and out[-1]["type"] is None:
            out.pop()
        rows.append(out)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def number_style(root: ET.Element, cell_style: str) -> ET.Element:
    """The data style (number format) behind a cell style."""
    style = next(s for s in root.iter(q("style:style"))
                 if s.get(q("style:name")) == cell_style)
    name = style.get(q("style:data-style-name"))
    return next(s for s in root.iter() if s.get(q("style:name")) == name
                and s.tag.startswith(f"{{{NS['number']}}}"))


@NEEDS_SOFFICE
def test_libreoffice_reads_numbers_as_numbers_and_hidden_cells_as_text(tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "tabellen.xlsx", table_52(), created=CREATED)
    root = convert(workbook, tmp_path)
    rows = cells(root, "Tabel 5.2")
    assert [c["text"] for c in rows[0]] == ["Uitkomst", "Aantal", "Aandeel", "Mediaan (dagen)"]
    assert all(c["type"] == "string" for c in rows[0])
    ja, nee, unknown, total = rows[1:5]
    # published numbers arrive as numbers, with their values
    assert (nee[1]["type"], float(nee[1]["value"])) == ("float", 4111.0)
    assert (total[1]["type"], float(total[1]["value"])) == ("float", 4122.0)
    assert (nee[2]["type"], float(nee[2]["value"])) == ("percentage", 0.787)
    assert (ja[3]["type"], float(ja[3]["value"])) == ("float", 224.0)
    assert (nee[3]["type"], float(nee[3]["value"])) == ("float", 217.5)
    # hidden cells arrive as text, never as a number
    assert [(c["type"], c["text"]) for c in (ja[1], ja[2], unknown[1], unknown[2])] == [
        ("string", "x"), ("string", "x"), ("string", "<5"), ("string", "x")]
    # a figure that cannot be computed is an empty cell, not an error value
    assert len(unknown) == 3 and len(total) == 3
    # the number formats: counts without decimals and grouped, shares as 0.0 %
    count = number_style(root, nee[1]["style"]).find(q("number:number"))
    assert count.get(q("number:decimal-places")) == "0"
    assert count.get(q("number:grouping")) == "true"
    share = number_style(root, nee[2]["style"])
    assert share.tag == q("number:percentage-style")
    assert share.find(q("number:number")).get(q("number:decimal-places")) == "1"
    estimate = number_style(root, nee[3]["style"]).find(q("number:number"))
    assert estimate.get(q("number:decimal-places")) == "2"
    # n and source in note rows under the table, after an empty row
    assert rows[5] == []
    assert [r[0]["text"] for r in rows[6:8]] == [
        "n = 4.122 afsluitingen in 2013.",
        "Bron: registratie preventieve woonbegeleiding, bewerking pwb."]
    # a sheet of plain text cells (the old form) still works, and stays text
    legacy = cells(root, "Tabel 1.1")
    assert [(c["type"], c["text"]) for c in legacy[1]] == [("string", "Cliënten per VTE"),
                                                         ("string", "27")]


def test_the_workbook_is_byte_identical_for_the_same_input(tmp_path: Path) -> None:
    first = write_workbook(tmp_path / "a.xlsx", table_52(), created=CREATED).read_bytes()
    second = write_workbook(tmp_path / "b.xlsx", table_52(), created=CREATED).read_bytes()
    assert first == second


@NEEDS_SOFFICE
def test_a_real_runs_workbook_holds_numbers_as_numbers(tmp_path: Path) -> None:
    """tabellen.xlsx of a real run: no published number is text, hidden cells are."""
    root = convert(year_outputs() / "tabellen.xlsx", tmp_path)
    numbers, as_text, hidden = 0, [], 0
    for table in root.iter(q("table:table")):
        name = table.get(q("table:name"))
        for row in cells(root, name)[1:]:
            for cell in row[1:]:  # the first column holds the row labels
                if cell["type"] in ("float", "percentage"):
                    numbers += 1
                elif cell["text"] in ("<5", "x"):
                    hidden += cell["type"] == "string"
                elif cell["type"] == "string" and NUMBER_AS_TEXT.fullmatch(cell["text"]):
                    as_text.append(f"{name}: {row[0]['text']}: {cell['text']}")
    assert as_text == [] and numbers > 500, (len(as_text), as_text[:40], numbers)


# --------------------------------------------------------------------------- source values


def test_a_cell_carries_its_source_value_not_the_printed_one() -> None:
    share = cell_of(fmt.pct(2 / 3))
    assert (share.text, share.kind, share.value) == ("66,7\u00a0%", "share",
                                                     Share(2 / 3, 1))
    assert cell_of(fmt.integer(4111)) == TableCell("4.111", 4111, "count")
    assert cell_of(fmt.dec(26.66349, 2)).value == Estimate(26.66349, 2)
    assert cell_of(fmt.euro(63451.8)).value == Estimate(63451.8, 0, euro=True)
    interval = cell_of(fmt.ci(0.8312, 0.7601, 0.9144))
    assert (interval.kind, interval.value) == ("interval", (
        Estimate(0.8312, 2), Estimate(0.7601, 2), Estimate(0.9144, 2)))
    assert cell_of(fmt.bounds(-0.12, 0.34)) == TableCell(
        "-0,12; 0,34", (None, Estimate(-0.12, 2), Estimate(0.34, 2)), "interval")
    assert cell_of(fmt.pct_ci(0.664, 0.6381, 0.6894)).value == (
        Share(0.664, 1), Share(0.6381, 1), Share(0.6894, 1))
    # text that merely looks like a number is not parsed back into one
    assert cell_of("78,7\u00a0%") == TableCell("78,7\u00a0%", "78,7\u00a0%", "text")
    # a hidden cell is its mark; it cannot be made to carry a number
    assert cell_of("<5") == TableCell("<5", "<5", "hidden")
    with pytest.raises(ValueError, match="verborgen"):
        TableCell("<5", 3, "hidden")


def published_report() -> tuple[Report, dict[str, int]]:
    """A one-table report through the real checkpoint: 3 (hidden, <5), 40, 17 (hidden so
    that the 3 cannot be derived, x), total 60; the share of 40 is exactly 2/3."""
    ctx = Context({"year": 2013}, None, translate=str)
    values = {"a": 3, "b": 40, "c": 17}
    grid = ctx.grid("t", list(values), [list(values.values())], row_total=False,
                    percent="col")
    rows = [[label, grid.count(i, 0), grid.share(i, 0), ctx.ci(1.2345, [0.9876, 1.5432]),
             ctx.bounds([0.5, 1.25])] for i, label in enumerate([*values, "Totaal"])]
    table = ctx.table("t", "Een tabel", ["Categorie", "Aantal", "Aandeel", "HR (95 %-BI)",
                                         "Grenzen"], rows, grids=[grid])
    table = type(table)(**{**table.__dict__, "label": "Tabel 1.1", "number": "1.1"})
    chapter = Chapter("c", "C", (Section("s", "S", (table,)),))
    ctx.ck.verify()
    return Report(chapters=(chapter,), appendices=Chapter("b", "B", ()), key_figures=(),
                  refs={}, anchors={}), values


def test_hidden_numbers_reach_the_workbook_in_no_form(tmp_path: Path) -> None:
    """Every number stored in the file, in any part (cells, shared strings, comments,
    defined names), is a published one; the hidden 3 and 17 (and 43 = 3 + 40, 20 =
    3 + 17, ...) appear nowhere, and no column or row is hidden."""
    report, _ = published_report()
    workbook = write_workbook(tmp_path / "t.xlsx", workbook_sheets(report), created=CREATED)
    with zipfile.ZipFile(workbook) as z:
        names = z.namelist()
        xml = {n: z.read(n).decode() for n in names if n.endswith(".xml")}
    assert not [n for n in names if "comment" in n or "vml" in n]
    sheet = xml["xl/worksheets/sheet1.xml"]
    assert 'hidden="1"' not in sheet and "definedName" not in xml["xl/workbook.xml"]
    stored = [float(v) for v in re.findall(r'<c r="[A-Z]+\d+"(?: s="\d+")?><v>([^<]*)</v>',
                                           sheet)]
    assert sorted(stored) == sorted([40, 2 / 3, 60, 1.0,
                                     *[1.2345, 0.9876, 1.5432, 0.5, 1.25] * 4])
    strings = [html.unescape(t) for t in re.findall(r"<t[^>]*>([^<]*)</t>",
                                                    xml["xl/sharedStrings.xml"])]
    assert not [t for t in strings if re.search(r"\d", t) and t not in (
        "<5", "HR (95 %-BI)", "HR (95 %-BI) (ondergrens)", "HR (95 %-BI) (bovengrens)")
                and not t.startswith("<5: minder dan 5")], strings


@NEEDS_SOFFICE
def test_libreoffice_reads_the_unrounded_share_shown_as_the_report_shows_it(
        tmp_path: Path) -> None:
    report, _ = published_report()
    workbook = write_workbook(tmp_path / "t.xlsx", workbook_sheets(report), created=CREATED)
    root = convert(workbook, tmp_path)
    rows = cells(root, "Tabel 1.1")
    assert [c["text"] for c in rows[0]] == ["Categorie", "Aantal", "Aandeel", "HR (95 %-BI)",
                                            "HR (95 %-BI) (ondergrens)",
                                            "HR (95 %-BI) (bovengrens)",
                                            "Grenzen (ondergrens)", "Grenzen (bovengrens)"]
    a, b, c, total = rows[1:5]
    # 2/3 to the 15 digits a spreadsheet keeps, shown with the report's one decimal
    assert b[2]["type"] == "percentage" and float(b[2]["value"]) == pytest.approx(
        2 / 3, rel=1e-14)
    style = number_style(root, b[2]["style"])
    assert style.tag == q("number:percentage-style")
    assert style.find(q("number:number")).get(q("number:decimal-places")) == "1"
    assert b[2]["text"].replace(".", ",").replace("%", "") == "66,7"
    # counts as whole numbers, hidden cells as their mark, text
    assert [(x["type"], x["value"]) for x in (b[1], total[1])] == [("float", "40"),
                                                                  ("float", "60")]
    assert [(x[1]["type"], x[1]["text"], x[2]["text"]) for x in (a, c)] == [
        ("string", "<5", "x"), ("string", "x", "x")]
    # an estimate with its interval: three numbers, each unrounded, shown with 2 decimals
    assert [float(x["value"]) for x in b[3:6]] == [1.2345, 0.9876, 1.5432]
    assert [float(x["value"]) for x in b[6:8]] == [0.5, 1.25]  # bounds alone: two columns
    assert number_style(root, b[3]["style"]).find(q("number:number")).get(
        q("number:decimal-places")) == "2"


# --------------------------------------------------------------------------- a real run


def sheet_by_title(root: ET.Element, title: str) -> list[list[dict]]:
    """The sheet whose first note row (the table's title) starts with ``title``."""
    for table in root.iter(q("table:table")):
        rows = cells(root, table.get(q("table:name")))
        notes = [r[0]["text"] for r in rows[1:] if len(r) == 1]
        if notes and notes[0].startswith(title):
            return rows
    raise AssertionError(f"geen blad met titel {title!r}")


def columns(rows: list[list[dict]]) -> list[dict[str, dict]]:
    """Rows as {header: cell}, note rows left out."""
    headers = [c["text"] for c in rows[0]]
    return [dict(zip(headers, r, strict=False)) for r in rows[1:] if len(r) > 1]


def same(cell: dict, source: float) -> bool:
    """A numeric cell holding ``source`` to the 15 digits a spreadsheet keeps."""
    return (cell["type"] in ("float", "percentage")
            and math.isclose(float(cell["value"]), source, rel_tol=1e-14, abs_tol=1e-300))


@NEEDS_SOFFICE
def test_a_real_runs_numbers_are_the_results_numbers_to_full_precision(tmp_path: Path) -> None:
    """Named tables of tabellen.xlsx against results.json: every numeric cell is the
    source number itself (6 significant digits as stored, or a share computed from two
    published counts, unrounded), never the number as printed."""
    out = year_outputs()
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    root = convert(out / "tabellen.xlsx", tmp_path)
    ind = results["indicators"]
    by_name = {r["naam"]: r for r in ind["per_caw"]} | {"Totaal": ind["overall"]}
    checked = 0

    # staffing per region: FTE, extra FTE, active trajectories, clients per FTE
    sources = {"VTE (gem. over het jaar)": "fte", "waarvan extra VTE": "fte_extra",
               "Actieve trajecten": "active", "Cliënten per VTE": "clients_per_fte"}
    for row in columns(sheet_by_title(root, "Actieve trajecten per VTE")):
        region = by_name[row["CAW-regio"]["text"]]
        for header, key in sources.items():
            cell = row[header]
            if cell["text"] in ("<5", "x"):
                assert cell["type"] == "string"
                continue
            assert same(cell, region[key]), (header, cell, region[key])
            checked += 1
    # goals at closure: counts, shares and their intervals as results.json holds them
    overall = ind["overall"]
    goals = {"Bereikt": "goals_bereikt", "Gedeeltelijk bereikt": "goals_gedeeltelijk",
             "Niet bereikt": "goals_niet_bereikt"}
    for row in columns(sheet_by_title(root, "Handelingsdoelen bij afsluiting, in")):
        key = goals.get(row["Handelingsdoelen"]["text"])
        if key is None:
            continue
        values = [row[h] for h in row if h != "Handelingsdoelen"]
        expected = [overall[key], overall[f"{key}_share"], *overall[f"{key}_ci"]]
        assert all(map(same, values, expected)), (values, expected)
        checked += len(values)
    # goals per region: shares the checkpoint computes from the published counts, so
    # 16/39 = 0.410256410256... (not the 0.410 printed, nor the 0.410256 stored)
    for row in columns(sheet_by_title(root, "Handelingsdoelen bij afsluiting per")):
        region = by_name[row["CAW-regio"]["text"]]
        for header, key in (("Bereikt", "goals_bereikt"),
                            ("Gedeeltelijk bereikt", "goals_gedeeltelijk"),
                            ("Niet bereikt", "goals_niet_bereikt")):
            cell = row[header]
            if cell["text"] in ("<5", "x"):
                assert cell["type"] == "string"
                continue
            assert same(cell, region[key] / region["goals_n"]), (header, cell)
            assert math.isclose(float(cell["value"]), region[f"{key}_share"], rel_tol=1e-5)
            checked += 1
    # the Cox model: hazard ratio, its bounds and p of every term (age per 10 years: the
    # ratios of results.json, per year, to the 10th power, computed unrounded)
    terms = [((t["hr"], *t["hr_ci"]) if t["term"] != "leeftijd" else
              tuple(v ** 10 for v in (t["hr"], *t["hr_ci"])), t["p"])
             for t in results["cox"]["terms"]]
    rows = sheet_by_title(root, "Hazardratio's van afsluiting (Cox-model)")
    for row in columns(rows):
        cells_ = list(row.values())[1:]
        match = [p for ratios, p in terms if all(map(same, cells_[:3], ratios))]
        assert len(match) == 1, (row["Kenmerk"]["text"], [c["value"] for c in cells_])
        assert same(cells_[3], match[0]) or cells_[3]["text"].startswith("<"), cells_[3]
        checked += 4
    assert checked > 60, checked
