"""Reproducible: same inputs and settings -> the same bytes (mission.md, "Reproducible").

One synthetic delivery (24 files in four variants, about 3,000 rows, 5% injected row
defects and four rejected files) is evaluated twice as it is, and once more after every
accepted file was rewritten in its own format with its rows shuffled (and the files
written to the folder in the reverse order). results.json and tabellen.xlsx must be
byte-identical, rapport.html identical but for the one marked run timestamp.

What may differ for the shuffled delivery, and why:
* quarantaine.csv: the line numbers (a shuffled row really sits on another line). The
  test asserts the same multiset of (file, caw, rules, message) rows.
* Rejected files are copied unchanged: their message names the line of the first
  offending cell, so shuffling them would change the input that results.json reports.

File names are part of the input: results.json lists every file with its verdict, the
report and tabellen.xlsx show the per-file table. A delivery whose files are renamed is
another input; the last test renames the files so that they sort (and are read) in the
reverse order and checks that results.json is byte-identical once the names are mapped
back and the per-file list is put in name order again: reading order changes nothing
but the order of that list.

The runs are in-process `materialize` calls with separate stores and output folders and
a fixed run date (`PwbSettings(run_date=...)`), so "today" stays out of the comparison.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from dagster import DagsterInstance, materialize
from registration_files import RUN_DATE

from assets.definitions import ASSETS, resources
from assets.resources import PwbSettings
from pipeline import models
from pipeline.contract import COLUMN_NAMES, PSEUDONYMISED_COLUMNS
from pipeline.ingest import ingest, registration_files
from pipeline.privacy import pseudonymise
from pipeline.stats import cox_ph, logistic
from pipeline.synthetic import generate
from pipeline.years import trajectories

YEAR = 2012
SEED = 20260417  # the synthetic delivery
SHUFFLE_SEED = 7  # the row permutation of the shuffled copy
STAMP = re.compile(r"<time data-run-timestamp>[^<]*</time>")
OUTPUTS = ("results.json", "tabellen.xlsx", "rapport.html", "quarantaine.csv")


# --------------------------------------------------------------------------- shuffled copies


def _shuffle_csv(source: Path, target: Path, rng: np.random.Generator) -> None:
    """The same CSV (encoding, BOM, separator, line ends, headers as typed), rows shuffled."""
    raw = source.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = body.decode("cp1252"), "cp1252"
    header = text.split("\n", 1)[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    ending = "\r\n" if "\r\n" in text else "\n"
    frame = pl.read_csv(text.encode("utf-8"), separator=separator, infer_schema=False,
                        has_header=True, quote_char='"')
    frame = frame[rng.permutation(frame.height)]
    out = frame.write_csv(separator=separator, line_terminator=ending,
                          quote_style="necessary")
    target.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.encode(encoding))


def _shuffle_xlsx(source: Path, target: Path, rng: np.random.Generator) -> None:
    """Every sheet copied cell by cell (dates stay date cells); the data sheet's rows shuffled."""
    import openpyxl
    import xlsxwriter

    book = openpyxl.load_workbook(source)
    names = book.sheetnames
    data_sheet = next((s for s in names if s.strip().lower() == "registratie"), names[0])
    out = xlsxwriter.Workbook(str(target))
    date_format = out.add_format({"num_format": "dd/mm/yyyy"})
    for name in names:
        rows = [list(r) for r in book[name].iter_rows(values_only=True)]
        if name == data_sheet:
            rows = [rows[0], *(rows[1:][i] for i in rng.permutation(len(rows) - 1))]
        sheet = out.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.datetime | dt.date):
                    sheet.write_datetime(i, j, value, date_format)
                elif isinstance(value, bool | int | float):
                    sheet.write_number(i, j, value)
                else:
                    sheet.write_string(i, j, str(value))
    out.close()


def _shuffle_parquet(source: Path, target: Path, rng: np.random.Generator) -> None:
    frame = pl.read_parquet(source)
    frame[rng.permutation(frame.height)].write_parquet(target)


def shuffled_copy(source: Path, target: Path, rejected: set[str], *, seed: int,
                  rename=lambda name: name) -> dict[str, str]:
    """Rewrite every accepted file with its rows shuffled; rejected files byte for byte.

    Files are written in the reverse name order (the folder's listing order changes
    with it). Returns {new name: original name}.
    """
    rng = np.random.default_rng(seed)
    target.mkdir(parents=True)
    names = {}
    for path in sorted(source.iterdir(), key=lambda p: p.name, reverse=True):
        new = target / rename(path.name)
        names[new.name] = path.name
        suffix = path.suffix.lower()
        if path.name in rejected:
            new.write_bytes(path.read_bytes())
        elif suffix == ".csv":
            _shuffle_csv(path, new, rng)
        elif suffix == ".xlsx":
            _shuffle_xlsx(path, new, rng)
        elif suffix == ".parquet":
            _shuffle_parquet(path, new, rng)
        else:  # pragma: no cover - the generator writes only these
            raise AssertionError(f"unexpected file {path.name}")
    return names


# --------------------------------------------------------------------------- runs


def run(delivery: Path, root: Path) -> Path:
    """Materialise the whole graph for YEAR in-process; the year's output folder."""
    root.mkdir(parents=True)
    settings = PwbSettings(input_dir=str(delivery), out_dir=str(root / "out"),
                           run_date=RUN_DATE.isoformat())
    result = materialize(ASSETS, partition_key=str(YEAR),
                         instance=DagsterInstance.ephemeral(),
                         resources=resources(root / "store", settings))
    assert result.success
    return root / "out" / str(YEAR)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    out = tmp_path_factory.mktemp("synth")
    generate(out, [YEAR], SEED, n_per_year=1500, dirty=0.05)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rejected = {f["file"] for f in manifest["files"] if f["defect"]}
    assert len(manifest["files"]) > 20 and len(rejected) == 4
    assert manifest["expected"]["rows_quarantined"] > 50
    return out / "registraties", rejected


@pytest.fixture(scope="module")
def shuffled(synthetic, tmp_path_factory: pytest.TempPathFactory) -> Path:
    delivery, rejected = synthetic
    target = tmp_path_factory.mktemp("geschud") / "registraties"
    shuffled_copy(delivery, target, rejected, seed=SHUFFLE_SEED)
    return target


@pytest.fixture(scope="module")
def runs(synthetic, shuffled, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    delivery, _ = synthetic
    root = tmp_path_factory.mktemp("runs")
    return {"first": run(delivery, root / "first"), "second": run(delivery, root / "second"),
            "shuffled": run(shuffled, root / "shuffled")}


def _unstamped(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert len(STAMP.findall(text)) == 1, "exactly one marked run timestamp"
    return STAMP.sub("<time data-run-timestamp></time>", text)


def _quarantine(path: Path) -> pl.DataFrame:
    return pl.read_csv(path.read_bytes()[3:], separator=";", infer_schema=False)


# --------------------------------------------------------------------------- tests


def test_shuffled_copy_really_differs(synthetic, shuffled) -> None:
    """The shuffled delivery holds the same rows in another order (not a no-op)."""
    delivery, rejected = synthetic
    original = ingest(registration_files(delivery)).frame
    again = ingest(registration_files(shuffled)).frame
    assert original.height == again.height > 2500
    keys = ["bron_bestand", "caw", "dossier_id"]
    assert not original.select(keys).equals(again.select(keys))
    body = [c for c in original.columns if c not in ("rij_id", "bron_regel")]
    assert original.select(body).sort(body, nulls_last=True).equals(
        again.select(body).sort(body, nulls_last=True))


def test_file_order_passed_to_ingest_is_irrelevant(synthetic) -> None:
    delivery, _ = synthetic
    files = registration_files(delivery)
    assert ingest(files).frame.equals(ingest(files[::-1]).frame)


def test_two_runs_are_byte_identical(runs) -> None:
    first, second = runs["first"], runs["second"]
    for name in ("results.json", "tabellen.xlsx", "quarantaine.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert _unstamped(first / "rapport.html") == _unstamped(second / "rapport.html")


def test_shuffled_rows_and_file_order_give_the_same_bytes(runs) -> None:
    first, shuffled = runs["first"], runs["shuffled"]
    assert (first / "results.json").read_bytes() == (shuffled / "results.json").read_bytes()
    assert (first / "tabellen.xlsx").read_bytes() == (shuffled / "tabellen.xlsx").read_bytes()
    assert _unstamped(first / "rapport.html") == _unstamped(shuffled / "rapport.html")


def test_model_input_has_one_canonical_order(runs) -> None:
    """The stored trajectories (the models' input): the same rows in the same order.

    Only the run-wide row id and the source line say where a row was delivered. The
    models' float sums (Cox, logistic) depend on the order of their rows in the last
    bits; one canonical order (pipeline.years.CANONICAL_ORDER) keeps those bits.
    The registrations store keeps the delivery order (file, line): the same rows.
    """
    where = ["rij_id", "bron_regel"]

    def stored(run: str, asset: str) -> pl.DataFrame:
        return pl.read_parquet(runs[run].parents[1] / "store" / asset / f"{YEAR}.parquet")

    first, shuffled = stored("first", "trajecten"), stored("shuffled", "trajecten")
    assert first.height > 2500
    assert not first["bron_regel"].equals(shuffled["bron_regel"])
    assert first.drop(where).equals(shuffled.drop(where))
    first, shuffled = stored("first", "registraties"), stored("shuffled", "registraties")
    key = ["caw", "dossier_id"]
    assert first.drop(where).sort(key).equals(shuffled.drop(where).sort(key))


def test_models_see_one_order_at_full_precision(runs) -> None:
    """Cox and logistic fits bit for bit, whatever the row order and the pseudonym key.

    Without the canonical order their coefficients differ in the last bits (about
    1e-15) between two orders of the same rows.
    """
    stored = pl.read_parquet(runs["first"].parents[1] / "store" / "trajecten"
                             / f"{YEAR}.parquet")
    valid = stored.select("rij_id", *COLUMN_NAMES, "bron_bestand", "bron_regel")
    rekeyed = pseudonymise(valid, PSEUDONYMISED_COLUMNS, b"another-key-0123456789")
    rekeyed = rekeyed[np.random.default_rng(SHUFFLE_SEED).permutation(rekeyed.height)]
    settings = models.ModelSettings()

    def fits(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        traj = trajectories(frame, YEAR)
        cox = cox_ph(models.survival_sample(traj), "days_to_closure", "closed",
                     list(settings.cox_covariates), references=settings.references,
                     strata=list(settings.cox_strata))
        logit = logistic(models.eviction_sample(traj), "eviction_avoided",
                         list(settings.logistic_covariates), references=settings.references,
                         cluster=settings.cluster)
        return cox.terms, logit.terms

    for a, b in zip(fits(valid), fits(rekeyed), strict=True):
        assert a.height > 10 and a.equals(b)


def test_shuffled_quarantine_differs_only_in_line_numbers(runs) -> None:
    first = _quarantine(runs["first"] / "quarantaine.csv")
    shuffled = _quarantine(runs["shuffled"] / "quarantaine.csv")
    assert first.columns == ["bestand", "regel", "caw", "regels", "melding"]
    key = ["bestand", "caw", "regels", "melding"]
    assert Counter(first.select(key).rows()) == Counter(shuffled.select(key).rows())
    assert first.height > 50
    assert first["regel"].to_list() != shuffled["regel"].to_list()  # the lines did move


def test_renamed_files_read_in_reverse_order(synthetic, runs,
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    """Files renamed so that they sort the other way round: the same results, names aside."""
    delivery, rejected = synthetic
    count = len(list(delivery.iterdir()))
    ranks = {p.name: i for i, p in enumerate(sorted(delivery.iterdir()))}
    root = tmp_path_factory.mktemp("hernoemd")
    names = shuffled_copy(delivery, root / "registraties", rejected, seed=SHUFFLE_SEED + 1,
                          rename=lambda name: f"{count - ranks[name]:02d}_{name}")
    assert sorted(names) != sorted(names.values())
    renamed = run(root / "registraties", root / "run")
    results = json.loads((renamed / "results.json").read_text(encoding="utf-8"))
    files = results["validation"]["files"]
    assert [f["bestand"] for f in files] == sorted(names)  # read in the new name order
    for f in files:
        for key in ("bestand", "melding", "waarschuwingen"):
            for new, old in names.items():
                if f[key]:
                    f[key] = f[key].replace(new, old)
    files.sort(key=lambda f: f["bestand"])
    text = json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    assert text == (runs["first"] / "results.json").read_text(encoding="utf-8")
