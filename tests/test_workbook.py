"""tabellen.xlsx keeps numbers as numbers (issue 13, item 6): read back by a real
spreadsheet client, LibreOffice Calc headless, not by the library that wrote it.

The workbook is converted to flat OpenDocument (.fods), whose XML states each cell's
value type (float, percentage, string), its value and its number style.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from year_run import year_outputs

from pipeline.outputs import Share, Sheet, write_workbook

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
