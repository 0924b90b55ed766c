"""The bad-input corpus (tests/bad_inputs.py): every case gets its exact verdict.

All fast cases are written into one folder and go through one `ingest` + `validate`
(Great Expectations included), as a delivery would. For each file: rejected whole
with its file rule, a Dutch message naming the file (and the line and column
where there is one) and nothing of it kept; or accepted with rows in = valid +
quarantined, the quarantined lines exactly those expected. No message, warning or
quarantine text holds a cell value (every identifying cell carries `ZQ`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from bad_inputs import CASES, MARK, Case, huge_csv, template, without_file, write_corpus
from registration_files import RUN_DATE

from pipeline import ingest_csv as ingest_module
from pipeline.contract import SOURCE_FILE
from pipeline.ingest import FileRejected, ingest, load_file
from pipeline.validation import validate
from pwb import cli

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("corpus")
    written = write_corpus(folder)
    validated = validate(ingest([folder / name for name in written]), RUN_DATE)
    return folder, written, validated


def _file_of(written: dict[str, Case], case: Case) -> str:
    return next(name for name, c in written.items() if c is case)


def _texts(validated, file: str) -> list[str]:
    """Everything a person reads about one file: message, warnings, quarantine messages."""
    account = next(f for f in validated.files if f.file == file)
    quarantine = validated.quarantine.filter(pl.col(SOURCE_FILE) == file)
    return [account.message or "", *account.warnings, *quarantine["melding"].to_list()]


@pytest.mark.parametrize("case", CASES, ids=[c.write.__name__ for c in CASES])
def test_case_gets_its_exact_verdict(corpus, case: Case) -> None:
    _, written, validated = corpus
    file = _file_of(written, case)
    account = next(f for f in validated.files if f.file == file)
    quarantine = validated.quarantine.filter(pl.col(SOURCE_FILE) == file)
    assert account.rejected is case.rejected, account.message
    assert account.rule == (case.rule.value if case.rule else None)
    assert (account.rows_in, account.rows_valid, account.rows_quarantined) == \
        (case.rows_in, case.valid, len(case.quarantined_lines))
    assert tuple(quarantine["bron_regel"].to_list()) == case.quarantined_lines
    texts = " ".join(_texts(validated, file))
    for fragment in case.says + case.warns:
        assert fragment in texts, fragment
    if case.rejected:
        message = account.message or ""
        assert message.startswith(f"Bestand '{file}'")
        if case.line is not None:
            assert re.search(rf"\b(regel|rij) {case.line}\b", message), message
        if case.column is not None:
            assert f"'{case.column}'" in message or f"kolom {case.column} " in message
        assert not account.warnings  # a rejected file has nothing else to say


def test_rejected_files_keep_no_row(corpus) -> None:
    _, written, validated = corpus
    rejected = {f.file for f in validated.files if f.rejected}
    assert rejected == {name for name, case in written.items() if case.rejected}
    kept = set(validated.valid[SOURCE_FILE].to_list()) | set(
        validated.quarantine[SOURCE_FILE].to_list())
    assert not kept & rejected


def test_every_file_and_the_run_reconcile(corpus) -> None:
    _, written, validated = corpus
    assert len(validated.files) == len(written) == len(CASES)
    for f in validated.files:
        assert f.rows_in == f.rows_valid + f.rows_quarantined
    assert validated.rows_in == validated.rows_valid + validated.rows_quarantined == \
        sum(c.rows_in for c in CASES)
    assert validated.gx_agrees, validated.mismatches


def test_no_message_repeats_a_cell_value(corpus) -> None:
    _, written, validated = corpus
    for file in written:
        for text in _texts(validated, file):
            assert MARK not in text, text
            assert "Traceback" not in text and "Error" not in text


def test_load_file_raises_only_file_rejected(corpus) -> None:
    """The same verdicts from `load_file` alone: FileRejected or rows, nothing else."""
    folder, written, _ = corpus
    for name, case in written.items():
        if case.rejected:
            with pytest.raises(FileRejected) as info:
                load_file(folder / name)
            assert info.value.rule is case.rule and info.value.file_name == name
        else:
            frame, report = load_file(folder / name)
            assert frame.height == report.rows_in == case.rows_in


def test_csv_layout_does_not_depend_on_the_chunk_size(corpus, monkeypatch) -> None:
    """Lines are counted per 16 MB chunk; with 7-byte chunks every boundary case occurs."""
    folder, written, _ = corpus
    texts = []
    for path in sorted(folder.iterdir()):
        if path.suffix != ".csv" or path.stat().st_size > 1_000_000:
            continue
        try:
            data = ingest_module._decode(path.read_bytes(), path.name)
        except FileRejected:
            continue
        if data.strip():
            texts.append(data)
    assert len(texts) >= 15
    for data in texts:
        whole = ingest_module._csv_layout(data)
        monkeypatch.setattr(ingest_module, "_CHUNK", 7)
        small = ingest_module._csv_layout(data)
        monkeypatch.undo()
        assert (small.fault, small.header_line, small.separator) == \
            (whole.fault, whole.header_line, whole.separator)
        assert (small.fields == whole.fields).all()
        assert (small.data_lines == whole.data_lines).all()


def test_corpus_covers_every_case_of_the_issue() -> None:
    kinds = {c.kind for c in CASES}
    issue = {"leeg bestand", "alleen een kopregel", "kopregel zonder data, met BOM",
             "ander scheidingsteken halverwege", "rafelige rij (te kort)",
             "rafelige rij (te lang)", "aanhalingsteken niet gesloten", "gemengde coderingen",
             "NUL-tekens", "XLSX met formules", "XLSX met samengevoegde cellen",
             "XLSX met verborgen werkblad", "XLSX met datums als tekst",
             "Parquet met verkeerde types", "ZIP hernoemd naar .csv", "PDF hernoemd naar .csv",
             "dubbele kolomnaam", "kolomnamen verschillen alleen in accent",
             "kolomnamen verschillen alleen in hoofdletters", "zeer lange regel (5 MB)"}
    assert issue <= kinds
    assert len({c.write.__name__ for c in CASES}) == len(CASES)


def test_corpus_summary(corpus, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Figures for the note: files, verdicts and distinct messages; written to basetemp."""
    _, written, validated = corpus
    messages = [f.message for f in validated.files if f.rejected]
    warnings = [w for f in validated.files for w in f.warnings]
    summary = {
        "bestanden": len(written),
        "geweigerd": len(messages),
        "aanvaard": len(written) - len(messages),
        "rijen_in": validated.rows_in,
        "rijen_geldig": validated.rows_valid,
        "rijen_quarantaine": validated.rows_quarantined,
        "verschillende_weigeringen": len({without_file(m) for m in messages}),
        "soorten_weigeringen": len({template(m) for m in messages}),
        "verschillende_waarschuwingen": len({without_file(w) for w in warnings}),
        "soorten_waarschuwingen": len({template(w) for w in warnings}),
        "quarantaineregels": len(set(", ".join(validated.quarantine["regels"].to_list())
                                     .split(", ")) - {""}),
        "sluitend": all(f.rows_in == f.rows_valid + f.rows_quarantined
                        for f in validated.files),
    }
    target = tmp_path_factory.getbasetemp() / "corpus-samenvatting.json"
    target.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(f"\ncorpus: {json.dumps(summary)}")
    # No CSV rejection falls back to the catch-all "cannot be read as CSV".
    assert not any("kan niet als CSV gelezen worden" in m for m in messages)
    assert summary["sluitend"]


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("case_name", ["ragged_short", "unterminated_quote",
                                       "xlsx_duplicate_header", "parquet_nested"])
def test_pwb_validate_exits_1_with_the_message(corpus, case_name: str, capsys,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder, written, validated = corpus
    case = next(c for c in CASES if c.write.__name__ == case_name)
    file = _file_of(written, case)
    monkeypatch.setattr(cli.console, "_width", 1000)  # one line per table row
    assert cli.main(["validate", str(folder / file)]) == 1
    out = capsys.readouterr()
    message = next(f.message for f in validated.files if f.file == file)
    assert message in out.out
    assert "geweigerd" in out.out and "1 bestand(en) geweigerd" in out.out
    assert "Traceback" not in out.out + out.err


# --------------------------------------------------------------------------- 200 MB


def _measure(path: Path) -> dict:
    """ingest + validate of one file in a child process: its own time and peak memory."""
    script = (
        "import datetime as dt, json, resource, sys, time\n"
        "from pathlib import Path\n"
        "import great_expectations\n"
        "from pipeline.ingest import ingest\n"
        "from pipeline.validation import validate\n"
        "start = time.perf_counter()\n"
        "ingested = ingest([Path(sys.argv[1])])\n"
        "read = time.perf_counter() - start\n"
        "validated = validate(ingested, dt.date(2026, 11, 29))\n"
        "f = validated.files[0]\n"
        "print(json.dumps({'rows_in': f.rows_in, 'valid': f.rows_valid,\n"
        "    'quarantined': f.rows_quarantined, 'rejected': f.rejected,\n"
        "    'ingest_s': round(read, 1),\n"
        "    'ingest_validate_s': round(time.perf_counter() - start, 1),\n"
        "    'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, check=True, timeout=580)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_200_mb_file_reads_and_reconciles(tmp_path: Path,
                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    start = time.perf_counter()
    path, count = huge_csv(tmp_path)
    written_s = time.perf_counter() - start
    figures = _measure(path)
    figures.update(size_mb=round(path.stat().st_size / 2**20), rows=count,
                   write_s=round(written_s, 1))
    (tmp_path_factory.getbasetemp() / "groot-200mb.json").write_text(json.dumps(figures))
    print(f"\n200 MB: {json.dumps(figures)}")
    assert figures["size_mb"] >= 200
    assert not figures["rejected"]
    assert figures["rows_in"] == figures["valid"] + figures["quarantined"] == count
    assert figures["quarantined"] == 0

