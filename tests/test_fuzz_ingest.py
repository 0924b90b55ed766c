"""Fuzzing ingest + validate (issue 8): mutated registration files never break the promises.

Hypothesis starts from a small valid registration file (CSV with `,` in UTF-8, CSV
with `;` in Windows-1252 with Belgian dates and decimal commas, XLSX, Parquet),
replaces cells (random text, odd dates, huge numbers, separators, quotes, line
breaks, NUL, empty) and then mutates bytes (flip, insert separators / quotes /
line breaks / NUL / BOM / Windows-1252 or UTF-16 bytes, delete, duplicate a line,
truncate). On every example:

- nothing but a verdict comes out: no exception from `ingest` or `validate`;
- a rejected file keeps no row, its rule is a file rule and its Dutch message
  starts by naming the file; a line it names exists in the file;
- an accepted file reconciles: rows in = valid + quarantined, lines ascending;
- with cells changed but bytes intact the structure is sound, so every row is
  counted in (or the file is refused for a reason a cell can cause: personal data,
  or two encodings in a Windows-1252 file);
- no message, warning or quarantine text holds a cell value (every identifying
  cell carries `ZQ`, and so does every marker text a mutation writes).

Per example, `validate` runs with the polars twin of each rule standing in for
Great Expectations (GX costs a second per call); at the end all example files go
through one real `ingest` + `validate` with GX, which must agree with the twins
and reconcile every file the same way.

    PWB_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest -q -s -m slow tests/test_fuzz_ingest.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import polars as pl
import pytest
from bad_inputs import MARK, row, template, without_file
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from registration_files import RUN_DATE, write_csv, write_xlsx

from pipeline.contract import COLUMN_NAMES, ROW_RULES, SOURCE_FILE, FileRule
from pipeline.ingest import UTF8_MULTIBYTE, ingest
from pipeline.validation import (
    RuleOutcome,
    SuiteOutcome,
    broken_rules,
    rule_counts,
    validate,
)

FAST_EXAMPLES = int(os.environ.get("PWB_FUZZ_EXAMPLES", "60"))
SLOW_EXAMPLES = int(os.environ.get("PWB_FUZZ_EXAMPLES", "2000"))
SLOW_SEED = int(os.environ.get("PWB_FUZZ_SEED", "20121201"))

VARIANTS = ("csv_utf8", "csv_cp1252", "xlsx", "parquet")
SUFFIX = {"csv_utf8": ".csv", "csv_cp1252": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}
FILE_RULES = {r.value for r in FileRule}


def rules_from_cells(variant: str, cells) -> set[FileRule]:
    """File rules a changed cell can trigger in a structurally sound file: personal data;
    in a CSV a NUL (the file is then binary); in Windows-1252 text two bytes that read
    as UTF-8 (e.g. 'Ã©' typed into a cell), which is indistinguishable from mixed
    encodings."""
    allowed = {FileRule.PERSONAL_DATA}
    texts = [v for _, _, v in cells if isinstance(v, str)]
    if SUFFIX[variant] == ".csv" and any("\x00" in t for t in texts):
        allowed.add(FileRule.UNREADABLE)
    if variant == "csv_cp1252" and any(
            UTF8_MULTIBYTE.search(t.encode("cp1252", "replace")) for t in texts):
        allowed.add(FileRule.UNREADABLE)
    return allowed


def base_rows() -> list[dict[str, object]]:
    """Five valid trajectories, one open, with an accented landlord and a decimal amount."""
    rows = [row("fz", n) for n in range(1, 6)]
    rows[1].update(datum_afsluiting=None, afsluitreden=None, handelingsdoelen=None,
                   uithuiszetting_vermeden=None, nazorg=None)
    rows[2].update(verhuurder_id=f"V{MARK}3107 Zenneé", huurachterstand_eur=0.5, caw="BMK")
    rows[3].update(leeftijd=67, gezinstype="eenoudergezin", aantal_kinderen=2)
    return rows


# --------------------------------------------------------------------------- strategies

ODD_DATES = ["2012-13-01", "31/02/2012", "2012/03/15", "15.03.2012", "15-3-12", "40983",
             "15 maart 2012", "2012-03-15T10:00:00", "00/00/0000", "1900-01-01", "9999-12-31",
             "2102-03-15", "15/03/2012 09:30", "2012-02-29", "29/02/2013"]
SPECIAL = [",", ";", '"', '""', "\n", "\r\n", "\r", "\t", "\x00", "\ufeff", " ", "ja", "NEE",
           "1.0", "1.234,50", "1,5", "-0", "nan", "inf", "1e308", "SHM", "shm", "ovl", "é"]

cell_values = st.one_of(
    st.none(),
    st.text(max_size=25),
    st.text(alphabet="0123456789.,-/ ", max_size=14),
    st.builds(lambda s: f"{MARK}{s}", st.text(max_size=12)),  # a marker: must never be shown
    st.sampled_from(ODD_DATES),
    st.sampled_from(SPECIAL),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
cell_mutations = st.lists(
    st.tuples(st.integers(0, 4), st.sampled_from(COLUMN_NAMES), cell_values), max_size=4)

INSERTS = [b",", b";", b'"', b'""', b"\n", b"\r\n", b"\r", b"\x00", b"\xef\xbb\xbf", b"\xe9",
           b"\x81", b"\x8d", "é".encode(), b"\xc3", b"\xff\xfe", b"\t", b" ", b"PK\x03\x04"]
byte_mutations = st.lists(st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10**6),
              st.one_of(st.sampled_from(INSERTS), st.binary(min_size=1, max_size=6))),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 40)),
    st.tuples(st.just("line"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
), max_size=3)


def mutate_bytes(data: bytes, mutations: list[tuple[str, int, object]]) -> bytes:
    for kind, at, arg in mutations:
        at = at % (len(data) + 1)
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([arg]) + data[at + 1:]  # type: ignore[list-item]
        elif kind == "insert":
            data = data[:at] + arg + data[at:]  # type: ignore[operator]
        elif kind == "delete":
            data = data[:at] + data[at + arg:]  # type: ignore[operator]
        elif kind == "line":  # copy one line to another place (a pasted row)
            lines = data.split(b"\n")
            source = lines[at % len(lines)]
            lines.insert(arg % (len(lines) + 1), source)  # type: ignore[operator]
            data = b"\n".join(lines)
        elif kind == "truncate":
            data = data[:at]
    return data


def write_variant(path: Path, variant: str, rows: list[dict[str, object]]) -> Path:
    if variant == "csv_utf8":
        return write_csv(path, rows, sep=",")
    if variant == "csv_cp1252":
        safe = [{k: (v.encode("cp1252", "replace").decode("cp1252") if isinstance(v, str)
                     else v) for k, v in r.items()} for r in rows]
        return write_csv(path, safe, sep=";", encoding="cp1252", belgian=True,
                         decimal_comma=True)
    if variant == "xlsx":
        return write_xlsx(path, rows, sheet_first=None)
    columns = {}
    for name in COLUMN_NAMES:  # a column keeps its type unless a mutation mixed in text
        values = [r[name] for r in rows]
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1:
            values = [None if v is None else str(v) for v in values]
        columns[name] = values
    pl.DataFrame(columns, strict=False).write_parquet(path)
    return path


# --------------------------------------------------------------------------- checks


def _polars_suite(frame: pl.DataFrame, run_date: dt.date, suite=None, **_) -> SuiteOutcome:
    """GX's verdict as the polars twins give it (the real GX run comes at the end)."""
    counts = rule_counts(broken_rules(frame, run_date))
    outcomes = tuple(RuleOutcome(r.name, r.expectation_type, frame.height, counts.get(r.name, 0))
                     for r in ROW_RULES)
    return SuiteOutcome(not counts, outcomes, "polars")


@dataclass
class Tally:
    examples: int = 0
    per_variant: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    rows_in: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    messages: set[str] = field(default_factory=set)  # rejections, file name left out
    warnings: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)  # quarantine rules seen
    verdicts: dict[str, tuple[bool, int]] = field(default_factory=dict)  # file -> (rejected, in)


def check_example(folder: Path, tally: Tally, variant: str, cells, mutations) -> None:
    rows = base_rows()
    for index, column, value in cells:
        rows[index][column] = value
    number = tally.examples
    tally.examples += 1
    tally.per_variant[variant] = tally.per_variant.get(variant, 0) + 1
    path = write_variant(folder / f"fuzz_{number:05d}{SUFFIX[variant]}", variant, rows)
    if mutations:
        path.write_bytes(mutate_bytes(path.read_bytes(), mutations))
    data = path.read_bytes()

    ingested = ingest([path])
    with mock.patch("pipeline.validation.run_suite", _polars_suite):
        validated = validate(ingested, RUN_DATE)

    (account,) = validated.files
    assert account.file == path.name
    quarantine = validated.quarantine
    texts = [account.message or "", *account.warnings, *quarantine["melding"].to_list()]
    for text in texts:
        assert MARK not in text, text
    tally.verdicts[path.name] = (account.rejected, account.rows_in)
    tally.warnings |= {without_file(w) for w in account.warnings}
    if account.rejected:
        message = account.message or ""
        assert account.rule in FILE_RULES
        assert (account.rows_in, account.rows_valid, account.rows_quarantined) == (0, 0, 0)
        assert ingested.frame.height == 0
        assert message.startswith(f"Bestand '{path.name}'"), message
        assert "kan niet als CSV gelezen worden" not in message, message  # no fallback
        named = re.search(r"\bregel (\d+)\b", message)
        if named and SUFFIX[variant] == ".csv":
            assert 1 <= int(named.group(1)) <= data.count(b"\n") + 1, message
        tally.rejected += 1
        tally.messages.add(without_file(message))
        if not mutations:
            assert FileRule(account.rule) in rules_from_cells(variant, cells), message
        return
    assert account.rows_in == account.rows_valid + account.rows_quarantined
    assert account.rows_in == ingested.frame.height == validated.rows_in
    lines = ingested.frame["bron_regel"].to_list()
    assert lines == sorted(set(lines))
    if SUFFIX[variant] == ".csv" and lines:
        assert lines[0] >= 2 and lines[-1] <= data.count(b"\n") + 1
    if not mutations:
        assert account.rows_in == len(rows)
    tally.rows_in += account.rows_in
    tally.rows_valid += account.rows_valid
    tally.rows_quarantined += account.rows_quarantined
    tally.rules |= {r for rules in quarantine["regels"].to_list() for r in rules.split(", ")}


def final_gx_run(folder: Path, tally: Tally) -> dict:
    """All example files at once, with Great Expectations: same verdicts, GX agrees."""
    paths = sorted(folder.iterdir())
    start = time.perf_counter()
    validated = validate(ingest(paths), RUN_DATE)
    assert validated.gx_agrees, validated.mismatches
    for account in validated.files:
        assert account.rows_in == account.rows_valid + account.rows_quarantined
        assert (account.rejected, account.rows_in) == tally.verdicts[account.file]
    assert validated.rows_in == validated.rows_valid + validated.rows_quarantined
    rejected = {f.file for f in validated.files if f.rejected}
    assert not rejected & set(validated.valid[SOURCE_FILE].to_list())
    return {"gx_bestanden": len(paths), "gx_rijen_in": validated.rows_in,
            "gx_s": round(time.perf_counter() - start, 1)}


def run_fuzz(folder: Path, examples: int, *, derandomize: bool) -> Tally:
    tally = Tally()

    @settings(max_examples=examples, deadline=None, derandomize=derandomize, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
              print_blob=True)
    @given(variant=st.sampled_from(VARIANTS), cells=cell_mutations,
           mutations=st.one_of(st.just([]), byte_mutations))
    def one(variant, cells, mutations) -> None:
        check_example(folder, tally, variant, cells, mutations)

    if not derandomize:
        one = seed(SLOW_SEED)(one)
    one()
    return tally


def summary(tally: Tally, started: float, gx: dict) -> dict:
    return {
        "voorbeelden": tally.examples, "per_variant": tally.per_variant,
        "geweigerd": tally.rejected, "aanvaard": tally.examples - tally.rejected,
        "rijen_in": tally.rows_in, "rijen_geldig": tally.rows_valid,
        "rijen_quarantaine": tally.rows_quarantined,
        "verschillende_weigeringen": len(tally.messages),
        "soorten_weigeringen": len({template(m) for m in tally.messages}),
        "verschillende_waarschuwingen": len(tally.warnings),
        "soorten_waarschuwingen": len({template(w) for w in tally.warnings}),
        "quarantaineregels": len(tally.rules),
        "sluitend": True, "duur_s": round(time.perf_counter() - started, 1), **gx,
    }


def test_fuzz_ingest(tmp_path: Path) -> None:
    """The fast run: a fixed set of examples (derandomised), the same on every machine."""
    started = time.perf_counter()
    tally = run_fuzz(tmp_path, FAST_EXAMPLES, derandomize=True)
    figures = summary(tally, started, final_gx_run(tmp_path, tally))
    print(f"\nfuzz (snel): {json.dumps(figures)}")
    assert tally.examples >= FAST_EXAMPLES
    assert tally.rejected and tally.rows_quarantined and tally.rows_valid  # all three seen


@pytest.mark.slow
def test_fuzz_ingest_long(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The long run (`make fuzz`): thousands of examples; figures in fuzz-samenvatting.json."""
    started = time.perf_counter()
    tally = run_fuzz(tmp_path, SLOW_EXAMPLES, derandomize=False)
    figures = summary(tally, started, final_gx_run(tmp_path, tally))
    figures["seed"] = SLOW_SEED
    figures["weigeringen"] = sorted({template(m) for m in tally.messages})
    figures["waarschuwingen"] = sorted({template(w) for w in tally.warnings})
    (tmp_path_factory.getbasetemp() / "fuzz-samenvatting.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    shown = {k: v for k, v in figures.items() if k not in ("weigeringen", "waarschuwingen")}
    print(f"\nfuzz (lang): {json.dumps(shown, ensure_ascii=False)}")
    assert tally.examples >= SLOW_EXAMPLES
