"""Synthetic registrations (`pwb synth`): determinism, calibration to the circular,
the file variants, and the manifest as the exact answer key of ingest and validation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import fastexcel
import numpy as np
import polars as pl
import pytest

from pipeline.contract import COLUMN_NAMES, PSEUDONYMISED_COLUMNS
from pipeline.ingest import ingest, registration_files
from pipeline.privacy import pseudonymise, scan_personal_data
from pipeline.reference import load_reference
from pipeline.synthetic import REFERENCES, ROW_DEFECTS, SynthConfig, allowed_terms, generate, simulate
from pipeline.synthetic.defects import national_register_number
from pipeline.validation import validate

KEY = b"pwb-test-synth-key-0123456789"
# Not imported from conftest: tests/conftest.py and tests/stats/conftest.py share the module
# name `conftest`, so which one `from conftest import` finds depends on collection order.
RUN_DATE = dt.date.today()
YEARS = (2012, 2013)
SEED = 20121201
PER_FTE = 26.66
TARGET_DAYS = 9 * 365.25 / 12


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _open_days(frame: pl.DataFrame, first: dt.date, last: dt.date, by: str | None = None):
    """Days each trajectory was open within [first, last] (open at the extract = to the end)."""
    end = pl.coalesce(pl.col("datum_afsluiting"), pl.lit(last + dt.timedelta(days=1)))
    days = (pl.min_horizontal(end, pl.lit(last + dt.timedelta(days=1)))
            - pl.max_horizontal(pl.col("datum_start"), pl.lit(first))).dt.total_days()
    expr = days.clip(lower_bound=0).sum().alias("days")
    return frame.group_by(by).agg(expr) if by else frame.select(expr).item()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def calibration():
    """The default, FTE-calibrated volumes over 2012-2014 (warm-up 2011), in memory."""
    return simulate((2012, 2013, 2014), SEED)


@pytest.fixture(scope="module")
def clean_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth_clean")
    generate(out, YEARS, SEED, n_per_year=1200)
    return out


@pytest.fixture(scope="module")
def dirty_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth_dirty")
    generate(out, YEARS, SEED, n_per_year=1200, dirty=0.02)
    return out


def _run(out: Path):
    ingested = ingest(registration_files(out / "registraties"), key=KEY)
    return ingested, validate(ingested, RUN_DATE)


@pytest.fixture(scope="module")
def clean_run(clean_set: Path):
    return _run(clean_set)


@pytest.fixture(scope="module")
def dirty_run(dirty_set: Path):
    return _run(dirty_set)


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    config = SynthConfig(xlsx_max_rows=5)  # small cap: the XLSX overflow file is written too
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(tmp_path / name, (2013,), seed, n_per_year=250, dirty=0.03, config=config)
    first, second, other = (_all_bytes(tmp_path / n) for n in "abc")
    assert first == second
    assert any(n.endswith("_deel2.csv") for n in first)
    assert first.keys() & other.keys()
    assert all(first[n] != other[n] for n in first.keys() & other.keys()
               if n.startswith("registraties/"))


def test_regenerate_replaces_own_output_but_refuses_foreign_files(tmp_path: Path) -> None:
    generate(tmp_path, (2013,), 1, n_per_year=200)
    summary = generate(tmp_path, (2013,), 2, n_per_year=200)
    assert sorted(p.name for p in (tmp_path / "registraties").iterdir()) == \
        sorted(p.name for p in summary.files)
    (tmp_path / "registraties" / "echte_registratie.csv").write_text("x")
    with pytest.raises(FileExistsError):
        generate(tmp_path, (2013,), 3, n_per_year=200)


# --------------------------------------------------------------------------- calibration


def test_starts_per_fte_year_near_the_circulars_26_66(calibration) -> None:
    reference = load_reference()
    for year in calibration.simulated_years:
        starts = calibration.frame.filter(pl.col("datum_start").dt.year() == year).height
        fte = reference.fte_in_year(year)["vte"].sum()
        assert starts / fte == pytest.approx(PER_FTE, rel=0.10), year


def test_concurrent_caseload_per_fte_near_20_in_a_steady_year(calibration) -> None:
    # 2014: staffing unchanged since 2013-01-01, so the caseload has caught up.
    first, last = dt.date(2014, 1, 1), dt.date(2014, 12, 31)
    caseload = _open_days(calibration.frame, first, last) / 365
    fte = load_reference().fte_in_year(2014)["vte"].sum()
    assert caseload / fte == pytest.approx(20.0, rel=0.15)


def test_worker_caseloads_are_realistic(calibration) -> None:
    first, last = dt.date(2014, 1, 1), dt.date(2014, 12, 31)
    per_worker = (_open_days(calibration.frame.drop_nulls("begeleider_id"), first, last,
                             by="begeleider_id")["days"] / 365)
    per_worker = per_worker.filter(per_worker > 0)
    assert per_worker.mean() == pytest.approx(20.0 / 1.2, rel=0.25)
    assert per_worker.max() < 40


def test_mean_duration_near_9_months_on_an_uncensored_cohort(calibration) -> None:
    # The warm-up cohort (2011) is followed until 2015-02-15: practically all closed.
    cohort = calibration.frame.filter(pl.col("datum_start").dt.year() == 2011)
    closed = cohort.filter(pl.col("datum_afsluiting").is_not_null())
    assert closed.height / cohort.height > 0.995
    days = (closed["datum_afsluiting"] - closed["datum_start"]).dt.total_days()
    assert days.mean() == pytest.approx(TARGET_DAYS, rel=0.15)


def test_outcomes_avoided_share_and_consistency(calibration) -> None:
    closed = calibration.frame.filter(pl.col("datum_afsluiting").is_not_null())
    decided = closed.filter(pl.col("uithuiszetting_vermeden").is_in(["ja", "nee"]))
    share = (decided["uithuiszetting_vermeden"] == "ja").mean()
    assert 0.60 <= share <= 0.70
    unknown = (closed["uithuiszetting_vermeden"] == "onbekend").mean()
    assert 0.02 <= unknown <= 0.06
    evicted = closed.filter(pl.col("afsluitreden") == "uithuisgezet")
    assert evicted.height > 0 and (evicted["uithuiszetting_vermeden"] == "nee").all()
    assert (evicted["handelingsdoelen"] != "bereikt").all()
    still_open = calibration.frame.filter(pl.col("datum_afsluiting").is_null())
    assert still_open.height > 0
    assert still_open.select(pl.col("afsluitreden", "handelingsdoelen",
                                    "uithuiszetting_vermeden", "nazorg")
                             .is_null().all()).row(0) == (True,) * 4


def test_tenant_profile_is_plausible(calibration) -> None:
    f = calibration.frame
    arrears, upkeep, living = (f[c].mean() for c in (
        "probleem_huurachterstand", "probleem_onderhoud", "probleem_samenleven"))
    assert arrears > upkeep > living > 0.15
    assert 0.10 < f["procedure_gestart"].mean() < 0.50
    households = f["gezinstype"].value_counts(sort=True, normalize=True)
    assert households["gezinstype"][0] == "alleenstaand"
    assert 0.40 <= households["proportion"][0] <= 0.55
    assert 0.12 <= (f["inkomensbron"] == "arbeid").mean() <= 0.22
    assert 40 <= f["leeftijd"].mean() <= 50 and f["leeftijd"].is_between(18, 90).all()
    assert 0.15 < (f["verhuurder_type"] == "SVK").mean() < 0.35
    referrer_is_landlord = (f["aanmelder"] == f["verhuurder_type"].str.to_lowercase()).mean()
    assert referrer_is_landlord > 0.6
    assert (f["aantal_contacten"] >= f["aantal_huisbezoeken"]).fill_null(True).all()
    assert (f["aantal_huisbezoeken"] >= 1).mean() > 0.85
    arrears_eur = f["huurachterstand_eur"].drop_nulls()
    assert 1000 < arrears_eur.median() < 2000
    assert f.filter(~pl.col("probleem_huurachterstand"))["huurachterstand_eur"].is_null().all()


def test_landlords_follow_dwellings_times_risk(calibration) -> None:
    f = calibration.frame.drop_nulls("verhuurder_id")
    known = set(load_reference().landlords["verhuurder_id"])
    assert set(f["verhuurder_id"]) <= known
    # Antwerpen (11002) SHM tenants carry the 1.65% risk: more referrals per dwelling.
    mtm = f.filter((pl.col("caw") == "MTM") & (pl.col("verhuurder_type") == "SHM"))
    city = mtm["gemeente_nis"].eq("11002").mean()
    assert city > 24_000 / 38_000


def test_ids_re_referral_and_dates(calibration) -> None:
    f = calibration.frame
    assert f.select(pl.struct("caw", "dossier_id").is_unique().all()).item()
    succ = f.filter(pl.col("_voorganger").is_not_null())
    assert succ.height > 0.02 * f.height
    pred = f[succ["_voorganger"].to_list()]
    assert (succ["client_id"] == pred["client_id"]).all()
    assert (succ["caw"] == pred["caw"]).all()
    assert (succ["datum_aanmelding"] > pred["datum_afsluiting"]).all()
    assert (f.group_by("client_id").len()["len"] > 1).sum() == succ.height
    extract = calibration.extract_date
    assert extract == dt.date(2015, 2, 15) <= dt.date.today()
    for column in ("datum_aanmelding", "datum_start", "datum_afsluiting"):
        assert f[column].drop_nulls().max() <= extract
    assert (f["datum_aanmelding"] <= f["datum_start"]).all()
    assert (f["datum_start"] <= f["datum_afsluiting"]).fill_null(True).all()


def test_n_per_year_rescales_volumes(tmp_path: Path) -> None:
    sim = simulate((2012, 2013), 3, n_per_year=2000)
    per_year = sim.frame.group_by("_startjaar").len().sort("_startjaar")["len"]
    assert per_year.to_list() == pytest.approx([2000] * 3, rel=0.08)
    assert sim.truth["fte_calibration_holds"] is False
    assert "no longer holds" in sim.truth["volume_note"]


# --------------------------------------------------------------------------- truth.json


def test_truth_records_the_generating_model(clean_set: Path) -> None:
    truth = _read_json(clean_set / "truth.json")
    assert truth["seed"] == SEED and truth["years"] == list(YEARS)
    assert truth["warm_up_year"] == 2011 and truth["extract_date"] == "2014-02-15"
    assert truth["references"] == dict(REFERENCES)
    terms = set(allowed_terms())
    assert set(truth["cox"]["log_hr"]) <= terms and set(truth["logistic"]["coef"]) <= terms
    assert truth["cox"]["baseline"]["distribution"] == "weibull"
    assert truth["cox"]["baseline"]["shape"] > 1 and truth["cox"]["baseline"]["scale_days"] > 0
    assert isinstance(truth["logistic"]["intercept"], float)
    assert truth["settings"]["target_avoided_share"] == pytest.approx(0.65)
    assert truth["reference"]["illustrative"] is True
    with pytest.raises(ValueError, match="unknown model terms"):
        simulate(YEARS, 1, config=SynthConfig(cox_log_hr={"leeftijd_per_jaar": 0.1}))


# --------------------------------------------------------------------------- file variants


def test_every_variant_is_written_as_specified(clean_set: Path) -> None:
    manifest = _read_json(clean_set / "manifest.json")
    folder = clean_set / "registraties"
    by_variant: dict[str, list[str]] = {}
    for f in manifest["files"]:
        by_variant.setdefault(f["variant"], []).append(f["file"])
    assert set(by_variant) == {"csv_cp1252", "xlsx", "parquet", "csv_utf8_bom"}
    assert len({f["year"] for f in manifest["files"] if f["variant"] == "xlsx"}) == \
        len(by_variant["xlsx"])  # at most one XLSX a year

    raw = (folder / by_variant["csv_cp1252"][0]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    header = text.split("\r\n", 1)[0]
    assert ";" in header and header != header.lower() and " ;" in header + ";"
    assert '"Huisbezoek; cliënt niet thuis.\nNieuwe' in text and "café" in text
    assert any("/" in cell and len(cell) == 10 for cell in text.split(";"))
    assert any("," in cell and cell.replace(",", "").isdigit() for cell in text.split(";"))

    raw = (folder / by_variant["csv_utf8_bom"][0]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:].decode("utf-8")
    assert body.split("\n", 1)[0].startswith("dossier_id,client_id,caw")

    workbook = fastexcel.read_excel(str(folder / by_variant["xlsx"][0]))
    assert workbook.sheet_names == ["toelichting", "registratie"]
    sheet = workbook.load_sheet("registratie").to_polars()
    assert isinstance(sheet.schema["datum_start"], pl.Datetime | pl.Date)
    assert set(sheet["procedure_gestart"].unique()) <= {0.0, 1.0}

    schema = pl.read_parquet_schema(folder / by_variant["parquet"][0])
    assert schema["datum_start"] == pl.Date and schema["procedure_gestart"] == pl.Boolean
    assert schema["leeftijd"] == pl.Int64 and schema["huurachterstand_eur"] == pl.Float64


def test_clean_set_passes_validation_and_round_trips(clean_set, clean_run, calibration) -> None:
    ingested, validated = clean_run
    manifest = _read_json(clean_set / "manifest.json")
    assert not [f.file for f in ingested.files if f.rejected]
    assert validated.rows_quarantined == 0 and validated.files_rejected == 0
    assert validated.rows_in == manifest["expected"]["rows_in"] == validated.rows_valid
    assert {f.file for f in ingested.files} == {f["file"] for f in manifest["files"]}
    # Every cell read back equals the simulated value (ids through the same keyed pseudonyms).
    sim = simulate(YEARS, SEED, n_per_year=1200).frame
    expected = pseudonymise(sim.select(COLUMN_NAMES), PSEUDONYMISED_COLUMNS, KEY)
    got = validated.valid.select(COLUMN_NAMES)
    key = ["caw", "dossier_id"]
    joined = expected.join(got, on=key, how="full", suffix="_got", coalesce=True)
    assert joined.height == expected.height == got.height
    for column in COLUMN_NAMES:
        if column in key:
            continue
        a, b = joined[column], joined[column + "_got"]
        if a.dtype == pl.Float64:
            same = ((a - b).abs() < 1e-6) | (a.is_null() & b.is_null())
        else:
            same = (a == b) | (a.is_null() & b.is_null())
        assert same.fill_null(False).all(), column


# --------------------------------------------------------------------------- defects


def test_manifest_matches_quarantine_and_rejections_row_for_row(dirty_set, dirty_run) -> None:
    ingested, validated = dirty_run
    manifest = _read_json(dirty_set / "manifest.json")
    found = {(file, line, rule)
             for file, line, rules in validated.quarantine
             .select("bron_bestand", "bron_regel", "regels").iter_rows()
             for rule in rules.split(", ")}
    expected = {(d["file"], d["line"], d["rule"]) for d in manifest["row_defects"]}
    assert found == expected
    assert {d["rule"] for d in manifest["row_defects"]} == set(ROW_DEFECTS)
    assert len(expected) >= 0.02 * validated.rows_in
    rejected = {(f.file, f.rule) for f in ingested.files if f.rejected}
    assert rejected == {(d["file"], d["rule"]) for d in manifest["file_defects"]}
    assert {rule for _, rule in rejected} == {
        "persoonsgegevens", "verplichte_kolom_ontbreekt", "onleesbaar_bestand"}
    assert validated.rows_in == manifest["expected"]["rows_in"]
    assert validated.rows_quarantined == manifest["expected"]["rows_quarantined"]


def test_duplicate_dossier_is_quarantined_in_both_files(dirty_set, dirty_run) -> None:
    _, validated = dirty_run
    manifest = _read_json(dirty_set / "manifest.json")
    assert manifest["duplicates"]
    for dup in manifest["duplicates"]:
        assert len(dup["files"]) == 2 and dup["files"][0] != dup["files"][1]
    doubles = validated.quarantine.filter(pl.col("regels").str.contains("dubbel_dossier"))
    assert doubles.height == 2 * len(manifest["duplicates"])
    assert (doubles.group_by("caw", "dossier_id").len()["len"] == 2).all()


def test_row_defects_spread_over_files_and_variants(dirty_set) -> None:
    manifest = _read_json(dirty_set / "manifest.json")
    variant = {f["file"]: f["variant"] for f in manifest["files"]}
    hit = {d["file"] for d in manifest["row_defects"]}
    assert len(hit) >= 5
    assert {variant[f] for f in hit} == {"csv_cp1252", "csv_utf8_bom", "parquet", "xlsx"}


def test_national_register_number_is_check_valid() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        number = national_register_number(rng)
        digits = number.replace(".", "").replace("-", "")
        assert len(digits) == 11 and int(digits[9:]) == 97 - int(digits[:9]) % 97
        findings = scan_personal_data(pl.DataFrame({"opmerking": [f"nr {number} gemeld"]}))
        assert [f.kind for f in findings] == ["rijksregisternummer"]


# --------------------------------------------------------------------------- recovery

MODEL_COLUMNS = ("procedure_gestart", "probleem_huurachterstand", "probleem_onderhoud",
                 "probleem_samenleven", "verhuurder_type", "gezinstype", "inkomensbron",
                 "leeftijd")


def _z_scores(seed: int, n_per_year: int) -> tuple[np.ndarray, np.ndarray]:
    """(estimate - truth) / se of every Cox and logistic term of the pipeline's models."""
    cox_ph = pytest.importorskip("pipeline.stats.cox").cox_ph
    logistic = pytest.importorskip("pipeline.stats.logistic").logistic
    sim = simulate(YEARS, seed, n_per_year=n_per_year)
    data = sim.frame.with_columns(
        (pl.coalesce("datum_afsluiting", pl.lit(sim.extract_date)) - pl.col("datum_start"))
        .dt.total_days().alias("dagen"),
        pl.col("datum_afsluiting").is_not_null().alias("afgesloten"))
    cox = cox_ph(data, "dagen", "afgesloten", MODEL_COLUMNS).terms
    truth = sim.truth["cox"]["log_hr"]
    z_cox = [(c - truth.get(t, 0.0)) / s for t, c, s in cox.select("term", "coef", "se").rows()]
    decided = data.filter(pl.col("afgesloten")
                          & pl.col("uithuiszetting_vermeden").is_in(["ja", "nee"]))
    fit = logistic(decided.with_columns((pl.col("uithuiszetting_vermeden") == "ja").alias("y")),
                   "y", MODEL_COLUMNS).terms
    truth = {"(Intercept)": sim.truth["logistic"]["intercept"], **sim.truth["logistic"]["coef"]}
    z_logit = [(c - truth[t] if t in truth else c) / s
               for t, c, s in fit.select("term", "coef", "se").rows()]
    assert len(z_cox) == 16 and len(z_logit) == 17  # every level of every model column
    return np.array(z_cox), np.array(z_logit)


def test_pipeline_models_recover_the_truth() -> None:
    # 33 terms: each within 3.5 se (a chance miss is ~1.5%), most inside the 95% interval.
    for z in _z_scores(2, 8000):
        assert np.all(np.abs(z) < 3.5)
        assert np.mean(np.abs(z) < 1.96) >= 0.8


@pytest.mark.slow
def test_coverage_of_95_percent_intervals_over_many_seeds() -> None:
    z_cox, z_logit = zip(*(_z_scores(seed, 5000) for seed in range(100, 130)), strict=True)
    for z in (np.concatenate(z_cox), np.concatenate(z_logit)):
        assert 0.91 <= np.mean(np.abs(z) < 1.96) <= 0.99
        assert abs(z.mean()) < 0.25
