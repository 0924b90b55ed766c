"""The 2013 staffing survey of the circular: workbooks out, checked answers in (issue 5).

The circular announces a survey of the CAW's "om een zicht te krijgen op de
actuele inzet van personele middelen voor preventieve woonbegeleiding". Each
region gets one XLSX workbook, pre-filled with what we know (reference staffing,
the circular's extra FTE, the year's registered activity), that asks its current
FTE on the reference date by funding source: subsidy envelope, own means, local
authorities. The three answer cells carry data validation (a number of FTE from
0 to 100) and are the only unlocked cells of a protected sheet (no password: it
guards against slips, not people).

Returned workbooks are checked cell by cell; every problem names the file, the
sheet and the cell in Dutch. A workbook with any problem is refused whole, so no
half-answered region enters the staffing. The answers become rows in the format
of ``pipeline/reference/personeel.csv`` (caw, jaar, basis_vte, illustratief):
base FTE = reported total - the circular's extra FTE in force on the reference
date (pre-filled in the workbook, cell B11), because ``Reference`` adds those
extra FTE itself; a total below them is refused. Reference date: the cut-off
Y-12-31 unless the caller gives another.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.outputs import write_atomic, write_text
from pipeline.reference import Reference, load_reference
from pipeline.years import cutoff

SHEET = "bevraging"
NOTES_SHEET = "toelichting"
CELL_CAW, CELL_NAME, CELL_YEAR, CELL_DATE = "B4", "B5", "B6", "B7"
CELL_EXTRA, CELL_TOTAL, CELL_REMARK = "B11", "B24", "B26"
FUNDING = (("subsidie_vte", "B21", "Subsidie-enveloppe (inclusief de extra VTE van de "
            "omzendbrief)"),
           ("eigen_vte", "B22", "Eigen middelen van het CAW"),
           ("lokaal_vte", "B23", "Lokale besturen (gemeente, OCMW)"))
MAX_FTE = 100.0
STAFFING_SCHEMA = {"caw": pl.String, "jaar": pl.Int64, "basis_vte": pl.Float64,
                   "illustratief": pl.Boolean}
DETAIL_SCHEMA = {"bestand": pl.String, "caw": pl.String, "jaar": pl.Int64,
                 "peildatum": pl.Date, **{k: pl.Float64 for k, _, _ in FUNDING},
                 "totaal_vte": pl.Float64, "extra_vte": pl.Float64, "basis_vte": pl.Float64,
                 "opmerking": pl.String}
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")


def file_name(year: int, caw: str) -> str:
    return f"bevraging_personeel_{year}_{caw}.xlsx"


# --------------------------------------------------------------------------- export


def _registered(indicators: dict[str, Any] | None, caw: str) -> dict[str, Any]:
    rows = (indicators or {}).get("per_caw", [])
    return next((r for r in rows if r.get("caw") == caw), {})


def export_survey(year: int, out_dir: Path, reference: Reference,
                  indicators: dict[str, Any] | None, *, reference_date: dt.date | None = None
                  ) -> list[Path]:
    """One workbook per region in `out_dir`; `indicators` (results.json's) may be None."""
    import xlsxwriter

    day = reference_date or cutoff(year)
    staffing = {r["caw"]: r for r in reference.fte_on(day).iter_rows(named=True)}
    paths = []
    for caw, naam in reference.regions.select("caw", "naam").iter_rows():
        fte, seen = staffing[caw], _registered(indicators, caw)

        def write(tmp: Path, caw=caw, naam=naam, fte=fte, seen=seen) -> None:
            book = xlsxwriter.Workbook(str(tmp))
            book.set_properties({"title": f"Bevraging personeelsinzet {year} {caw}",
                                 "author": "Afdeling Welzijn en Samenleving",
                                 "created": dt.datetime(year, 1, 1)})
            _fill(book, year, day, caw, naam, fte, seen, reference.illustrative)
            book.close()

        paths.append(write_atomic(Path(out_dir) / file_name(year, caw), write))
    return paths


def _fill(book, year: int, day: dt.date, caw: str, naam: str, fte: dict, seen: dict,
          illustrative: bool) -> None:
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    number = book.add_format({"num_format": "0.00"})
    date = book.add_format({"num_format": "dd/mm/yyyy", "align": "left"})
    answer = book.add_format({"num_format": "0.00", "locked": False, "bg_color": "#FFF2CC",
                              "border": 1})
    remark = book.add_format({"locked": False, "bg_color": "#FFF2CC", "border": 1,
                              "text_wrap": True})
    sheet = book.add_worksheet(SHEET)
    sheet.set_column("A:A", 62)
    sheet.set_column("B:B", 18)
    sheet.write("A1", f"Bevraging personeelsinzet preventieve woonbegeleiding {year}", title)
    sheet.write("A2", "Omzendbrief preventieve woonbegeleiding 2012, punt 3 - afdeling Welzijn "
                      "en Samenleving")
    for cell, label, value, fmt in (
            ("4", "CAW-regio (code)", caw, bold), ("5", "Naam", naam, None),
            ("6", "Registratiejaar", year, None)):
        sheet.write(f"A{cell}", label)
        sheet.write(f"B{cell}", value, fmt)
    sheet.write("A7", "Peildatum")
    sheet.write_datetime(CELL_DATE, dt.datetime.combine(day, dt.time()), date)
    sheet.write("A9", "Wat wij nu kennen (ter informatie; niet wijzigen)", bold)

    def known(row: int, label: str, value: Any, fmt=number) -> None:
        sheet.write(f"A{row}", label)
        if value is None:
            sheet.write(f"B{row}", "niet beschikbaar")
        else:
            sheet.write_number(f"B{row}", value, fmt)

    known(10, "Basispersoneel volgens de referentie (VTE)", fte["basis_vte"])
    known(11, "Extra VTE van de omzendbrief in voege op de peildatum", fte["extra_vte"])
    known(12, f"VTE gemiddeld over {year} (basis + extra)", seen.get("fte"))
    known(13, f"Actieve trajecten in {year}", seen.get("active"), None)
    known(14, f"Gestarte trajecten in {year}", seen.get("started"), None)
    known(15, f"Afgesloten trajecten in {year}", seen.get("closed"), None)
    known(16, "Cliënten per VTE (norm: minstens 27)", seen.get("clients_per_fte"))
    if illustrative:
        sheet.write("A17", "Let op: de referentiecijfers (personeel, verhuurders) zijn "
                           "illustratief.")
    sheet.write("A19", "In te vullen: inzet voor preventieve woonbegeleiding op de peildatum, "
                       "in VTE", bold)
    sheet.write("A20", "Financieringsbron", bold)
    sheet.write("B20", "VTE", bold)
    for _, cell, label in FUNDING:
        sheet.write(f"A{cell[1:]}", label)
        sheet.write_blank(cell, None, answer)
    sheet.data_validation(f"{FUNDING[0][1]}:{FUNDING[-1][1]}", {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": MAX_FTE,
        "input_title": "Aantal VTE", "input_message": "Een getal van 0 tot 100, bv. 2,5. "
                                                      "Vul 0 in als er geen zijn.",
        "error_title": "Geen geldig aantal VTE",
        "error_message": "Vul een getal van 0 tot 100 in (voltijdse equivalenten)."})
    sheet.write("A24", "Totaal", bold)
    sheet.write_formula(CELL_TOTAL, f"=SUM({FUNDING[0][1]}:{FUNDING[-1][1]})", number)
    sheet.write("A26", "Opmerkingen (vrij)")
    sheet.write_blank(CELL_REMARK, None, remark)
    sheet.protect()
    notes = book.add_worksheet(NOTES_SHEET)
    notes.set_column("A:A", 100)
    for i, line in enumerate((
            "Toelichting",
            f"Vul op het blad '{SHEET}' de cellen B21 tot B23 in: het aantal VTE dat op de "
            f"peildatum ({day:%d/%m/%Y}) preventieve woonbegeleiding doet, per "
            f"financieringsbron.",
            "De subsidie-enveloppe omvat ook de extra VTE van de omzendbrief (cel B11).",
            "Vul 0 in voor een bron zonder VTE; laat geen cel leeg.",
            "Wijzig de voorgevulde cellen niet en hernoem het blad niet.",
            "Stuur het werkboek terug zoals het is (één werkboek per CAW-regio).")):
        notes.write(i, 0, line, bold if i == 0 else None)


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class SurveyProblem:
    file: str
    sheet: str | None
    cell: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f", blad '{self.sheet}'" if self.sheet else "")
        where += f", cel {self.cell}" if self.cell else ""
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class SurveyImport:
    """Accepted answers as staffing rows (`frame`, personeel.csv format), the detail per
    workbook, and every problem found (workbooks with a problem are not in `frame`)."""

    frame: pl.DataFrame
    detail: pl.DataFrame
    problems: list[SurveyProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def merged(self, staffing: pl.DataFrame) -> pl.DataFrame:
        """`staffing` with the surveyed (caw, jaar) rows replaced or added."""
        keep = staffing.join(self.frame.select("caw", "jaar"), on=["caw", "jaar"], how="anti")
        return (pl.concat([keep.select(list(STAFFING_SCHEMA)), self.frame])
                .sort("caw", "jaar"))


def _number(value: Any) -> tuple[float | None, str | None]:
    """A cell as FTE, or the Dutch reason why not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "Leeg: vul het aantal VTE in (0 als er geen zijn)."
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None, f"'{value}' is geen getal: vul een aantal VTE in, bijvoorbeeld 2,5."
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if not _NUMBER.match(text):
            return None, f"'{value}' is geen getal: vul een aantal VTE in, bijvoorbeeld 2,5."
        value = float(text.replace(",", "."))
    if value < 0:
        return None, f"Negatief aantal VTE ({value:g}): vul 0 of meer in."
    if value > MAX_FTE:
        return None, (f"{value:g} VTE is meer dan {MAX_FTE:g} en niet aannemelijk: geef "
                      f"voltijdse equivalenten, geen uren of personen.")
    return float(value), None


def _read_workbook(path: Path, regions: set[str]) -> tuple[dict | None, list[SurveyProblem]]:
    from openpyxl import load_workbook

    def problem(cell: str | None, message: str, sheet: str | None = SHEET) -> SurveyProblem:
        return SurveyProblem(path.name, sheet, cell, message)

    try:
        book = load_workbook(path, data_only=True, read_only=False)
    except Exception:
        return None, [problem(None, "Het bestand kan niet geopend worden als Excel-werkboek "
                                    "(.xlsx).", None)]
    if SHEET not in book.sheetnames:
        return None, [problem(None, f"Het blad '{SHEET}' ontbreekt: gebruik het werkboek "
                                    f"zoals het verstuurd werd, zonder bladen te hernoemen.",
                              None)]
    sheet = book[SHEET]
    problems: list[SurveyProblem] = []
    caw = sheet[CELL_CAW].value
    caw = caw.strip().upper() if isinstance(caw, str) else caw
    if caw not in regions:
        problems.append(problem(CELL_CAW, f"Onbekende CAW-regio '{caw}': de voorgevulde code "
                                          f"mag niet gewijzigd worden."))
    year = sheet[CELL_YEAR].value
    if isinstance(year, float) and year.is_integer():
        year = int(year)
    if not isinstance(year, int) or isinstance(year, bool):
        problems.append(problem(CELL_YEAR, f"Registratiejaar '{year}' is geen jaartal."))
    day = sheet[CELL_DATE].value
    if not isinstance(day, dt.datetime | dt.date):
        problems.append(problem(CELL_DATE, f"Peildatum '{day}' is geen datum."))
    extra, why = _number(sheet[CELL_EXTRA].value)
    if why:
        problems.append(problem(CELL_EXTRA, f"Voorgevulde extra VTE gewijzigd of gewist: {why}"))
    answers: dict[str, float] = {}
    for key, cell, label in FUNDING:
        value, why = _number(sheet[cell].value)
        if why:
            problems.append(problem(cell, f"{label}: {why}"))
        else:
            answers[key] = value
    total = sum(answers.values())
    if len(answers) == len(FUNDING) and extra is not None and total + 1e-9 < extra:
        problems.append(problem(CELL_TOTAL, (
            f"Het totaal ({total:g} VTE) is kleiner dan de extra VTE van de omzendbrief die op "
            f"de peildatum lopen ({extra:g} VTE, cel {CELL_EXTRA}): tel die mee in de "
            f"subsidie-enveloppe.")))
    if problems:
        return None, problems
    if isinstance(day, dt.datetime):
        day = day.date()
    remark = sheet[CELL_REMARK].value
    return {"bestand": path.name, "caw": caw, "jaar": year, "peildatum": day, **answers,
            "totaal_vte": round(total, 4), "extra_vte": extra,
            "basis_vte": round(total - extra, 4) + 0.0,
            "opmerking": None if remark is None else str(remark)}, []


def import_survey(folder: Path, reference: Reference | None = None) -> SurveyImport:
    """Check every returned workbook (*.xlsx) in `folder`; `reference` (default: the
    shipped one) gives the known region codes."""
    regions = set((reference or load_reference()).regions["caw"].to_list())
    files = sorted(p for p in Path(folder).glob("*.xlsx") if not p.name.startswith("~$"))
    rows: list[dict] = []
    problems: list[SurveyProblem] = []
    if not files:
        problems.append(SurveyProblem(str(folder), None, None,
                                      "Geen teruggestuurde werkboeken (.xlsx) in deze map."))
    for path in files:
        row, found = _read_workbook(path, regions)
        problems += found
        if row is not None:
            rows.append(row)
    by_key: dict[tuple[str, int], list[str]] = {}
    for row in rows:
        by_key.setdefault((row["caw"], row["jaar"]), []).append(row["bestand"])
    for (caw, year), names in by_key.items():
        if len(names) > 1:
            problems += [SurveyProblem(name, SHEET, CELL_CAW, (
                f"CAW-regio {caw} staat voor {year} in {len(names)} werkboeken "
                f"({', '.join(names)}): geen ervan is overgenomen; stuur één werkboek per "
                f"regio terug.")) for name in names]
    rows = [r for r in rows if len(by_key[(r["caw"], r["jaar"])]) == 1]
    detail = pl.DataFrame(rows, schema=DETAIL_SCHEMA).sort("caw", "jaar")
    frame = detail.select("caw", "jaar", "basis_vte", pl.lit(False).alias("illustratief"))
    return SurveyImport(frame=frame, detail=detail, problems=problems,
                        files=[p.name for p in files])


def write_staffing(path: Path, staffing: pl.DataFrame) -> Path:
    """A staffing frame as personeel.csv (ja/nee booleans), readable by `load_reference`."""
    out = staffing.select(
        "caw", "jaar", pl.col("basis_vte").round(4),
        pl.when(pl.col("illustratief")).then(pl.lit("ja")).otherwise(pl.lit("nee"))
        .alias("illustratief")).sort("caw", "jaar")
    return write_text(Path(path), out.write_csv())
