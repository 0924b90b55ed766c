"""Synthetic registrations (`pwb synth`): determinism, calibration to the circular,
the features that make naive estimates fail (registration window, outcome-specific
hazards, regional intake and effects), the marginal truth (integration against Monte
Carlo and closed forms), recovery by the pipeline's Cox model, the file variants, and
the manifest as the exact answer key of ingest and validation."""

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
from pipeline.synthetic import (
    OUTCOMES,
    REFERENCES,
    ROW_DEFECTS,
    SynthConfig,
    add_synth_options,
    allowed_terms,
    config_from_options,
    generate,
    simulate,
)
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
    """The default (all features on), FTE-calibrated volumes over 2012-2014, in memory."""
    return simulate((2012, 2013, 2014), SEED)


@pytest.fixture(scope="module")
def proportional():
    """Starts proportional to the FTE in force, no regional trends (the 2011 study's
    steady state), for the caseload calibration."""
    return simulate((2012, 2013, 2014), SEED, config=SynthConfig(fte_power=1.0,
                                                                 intake_growth={}))


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


def test_starts_per_fte_year_near_the_circulars_26_66_at_the_reference_date(
        calibration, proportional) -> None:
    # The intake model anchors 26.66 supports per FTE at 2011-01-01 (the reference date);
    # with power 1 and no trends it holds in every year.
    reference = load_reference()
    starts_2011 = calibration.frame.filter(pl.col("datum_start").dt.year() == 2011).height
    assert starts_2011 / reference.fte_in_year(2011)["vte"].sum() == pytest.approx(
        PER_FTE, rel=0.10)
    for year in (2011, 2012, 2013, 2014):
        starts = proportional.frame.filter(pl.col("datum_start").dt.year() == year).height
        fte = reference.fte_in_year(year)["vte"].sum()
        assert starts / fte == pytest.approx(PER_FTE, rel=0.10), year


def test_concurrent_caseload_per_fte_near_20_in_a_steady_year(proportional) -> None:
    # 2014: staffing unchanged since 2013-01-01, so the caseload has caught up.
    first, last = dt.date(2014, 1, 1), dt.date(2014, 12, 31)
    caseload = _open_days(proportional.frame, first, last) / 365
    fte = load_reference().fte_in_year(2014)["vte"].sum()
    assert caseload / fte == pytest.approx(20.0, rel=0.15)


def test_worker_caseloads_are_realistic(proportional) -> None:
    first, last = dt.date(2014, 1, 1), dt.date(2014, 12, 31)
    per_worker = (_open_days(proportional.frame.drop_nulls("begeleider_id"), first, last,
                             by="begeleider_id")["days"] / 365)
    per_worker = per_worker.filter(per_worker > 0)
    assert per_worker.mean() == pytest.approx(20.0 / 1.2, rel=0.25)
    assert per_worker.max() < 40


def test_intake_follows_fte_to_the_power_and_the_regional_trends() -> None:
    # Without trends, starts per day in 2013 against January-November 2012 (base staffing
    # the same in both) grow as (FTE ratio) ** power; the slope over the regions with
    # extra FTE recovers the power of truth.json.
    # (Without the window: the burn-in years add nothing here but time.)
    sim = simulate((2012, 2013), 4, n_per_year=60_000,
                   config=SynthConfig(intake_growth={}, registration_window=None))
    assert sim.truth["intake"]["fte_power"] == 0.8
    reference = load_reference()
    f = sim.frame.filter(~pl.col("_meegenomen"))
    x, y, w = [], [], []
    for caw in sim.regions:
        before = f.filter((pl.col("caw") == caw) & pl.col("datum_start").is_between(
            dt.date(2012, 1, 1), dt.date(2012, 11, 30))).height / 335
        after = f.filter((pl.col("caw") == caw)
                         & (pl.col("datum_start").dt.year() == 2013)).height / 365
        ratio = (reference.fte_on(dt.date(2013, 6, 1)).filter(pl.col("caw") == caw)["vte"]
                 .item() / reference.fte_on(dt.date(2012, 6, 1))
                 .filter(pl.col("caw") == caw)["vte"].item())
        if ratio > 1:
            x.append(np.log(ratio))
            y.append(np.log(after / before))
            w.append(1 / (1 / (after * 365) + 1 / (before * 335)))
    x, y, w = map(np.array, (x, y, w))
    slope = np.sum(w * x * y) / np.sum(w * x * x)
    se = 1 / np.sqrt(np.sum(w * x * x))
    assert len(x) == 9 and abs(slope - 0.8) < 4 * se and se < 0.03
    # With the default trends: OVL grows (trend and FTE), BRU (no extra FTE) shrinks.
    f = simulate((2012, 2013), 4, n_per_year=20_000,
                 config=SynthConfig(registration_window=None)).frame
    counts = dict(f.group_by("caw", pl.col("datum_start").dt.year().alias("y")).len()
                  .select(pl.format("{}{}", "caw", "y"), "len").iter_rows())
    bru = np.log(counts["BRU2013"] / counts["BRU2011"])
    assert abs(bru - 2 * np.log(0.85)) < 4 * np.sqrt(1 / counts["BRU2013"]
                                                     + 1 / counts["BRU2011"])
    assert counts["OVL2013"] / counts["OVL2011"] > 3.5


def test_registration_window_delivers_carried_in_trajectories_with_real_starts(
        calibration) -> None:
    f = calibration.frame
    window = dt.date(2011, 1, 1)
    assert calibration.window == window
    carried = f.filter(pl.col("datum_start") < window)
    assert (carried["_meegenomen"]).all() and not f.filter(
        pl.col("datum_start") >= window)["_meegenomen"].any()
    # Only those still open on the window's first day, with their real start dates.
    assert (carried["datum_afsluiting"].fill_null(dt.date(2100, 1, 1)) >= window).all()
    assert carried["datum_start"].min() < dt.date(2009, 1, 1)
    # Length bias: carried-in trajectories last much longer than new starts.
    new = f.filter(pl.col("datum_start").dt.year() == 2011)
    assert carried["_duur_latent"].mean() > 1.5 * new["_duur_latent"].mean()
    # About the caseload on the window day: starts per day x mean duration (Little).
    assert carried.height == pytest.approx(new.height / 365 * TARGET_DAYS, rel=0.2)
    # Carried-in rows go into the window year's file.
    assert set(carried["_bestandsjaar"]) == {2011}
    # Without a window: the earlier generator (empty at the warm-up year, all delivered).
    plain = simulate((2012, 2013), SEED, config=SynthConfig(registration_window=None))
    assert plain.frame["datum_start"].min() >= dt.date(2011, 1, 1)
    assert not plain.frame["_meegenomen"].any()
    assert plain.truth["registration_window"]["on"] is False
    with pytest.raises(ValueError, match="registration window"):
        simulate((2010,), SEED)


def test_mean_duration_of_an_uncensored_cohort_is_the_truth(calibration) -> None:
    # The 2011 cohort is followed until 2015-02-15: practically all closed. The mean of
    # the recorded days and the outcome shares agree with the truth of that start year.
    truth = calibration.truth["marginal"]["by_start_year"]["2011"]
    cohort = calibration.frame.filter(pl.col("datum_start").dt.year() == 2011)
    closed = cohort.filter(pl.col("datum_afsluiting").is_not_null())
    assert closed.height / cohort.height > 0.995
    days = (closed["datum_afsluiting"] - closed["datum_start"]).dt.total_days()
    se = days.std() / np.sqrt(days.len())
    assert abs(days.mean() - truth["mean_recorded_days"]) < 4 * se
    assert truth["mean_days"] == pytest.approx(TARGET_DAYS, abs=2.0)
    assert truth["median_days"] < truth["mean_days"] - 30  # right skew
    for outcome in OUTCOMES:
        share = (closed["_uitkomst"] == outcome).mean()
        p = truth["outcome_shares"][outcome]
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / closed.height), outcome


def test_outcome_fields_follow_the_registration_format(calibration) -> None:
    closed = calibration.frame.filter(pl.col("datum_afsluiting").is_not_null())
    by = {k: closed.filter(pl.col("_uitkomst") == k) for k in OUTCOMES}
    assert (by["vermeden"]["uithuiszetting_vermeden"] == "ja").all()
    assert (by["uithuisgezet"]["afsluitreden"] == "uithuisgezet").all()
    assert (by["uithuisgezet"]["uithuiszetting_vermeden"] == "nee").all()
    assert (by["uithuisgezet"]["handelingsdoelen"] != "bereikt").all()
    assert (by["niet_vermeden"]["uithuiszetting_vermeden"] == "nee").all()
    assert (by["niet_vermeden"]["afsluitreden"] != "uithuisgezet").all()
    assert (by["onbekend"]["uithuiszetting_vermeden"] == "onbekend").all()
    evicted = closed.filter(pl.col("afsluitreden") == "uithuisgezet")
    assert evicted.height == by["uithuisgezet"].height > 0
    decided = closed.filter(pl.col("uithuiszetting_vermeden").is_in(["ja", "nee"]))
    assert 0.60 <= (decided["uithuiszetting_vermeden"] == "ja").mean() <= 0.72
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
    # One factor for all volumes: on average n_per_year starts per delivered year
    # (2011-2013), carried-in trajectories on top.
    sim = simulate((2012, 2013), 3, n_per_year=2000)
    delivered = sim.frame.filter(~pl.col("_meegenomen"))
    assert delivered.height / 3 == pytest.approx(2000, rel=0.05)
    per_year = delivered.group_by("_startjaar").len().sort("_startjaar")["len"].to_list()
    assert per_year[0] < per_year[-1]  # the 2013 reinforcement still shows
    assert sim.truth["fte_calibration_holds"] is False
    assert "no longer holds" in sim.truth["volume_note"]


# --------------------------------------------------------------------------- truth.json


def test_truth_records_the_generating_model(clean_set: Path) -> None:
    truth = _read_json(clean_set / "truth.json")
    assert truth["seed"] == SEED and truth["years"] == list(YEARS)
    assert truth["registration_window"]["start"] == "2011-01-01"
    assert truth["registration_window"]["on"] is True
    assert truth["first_simulated_day"] == "2005-01-01" and truth["extract_date"] == "2014-02-15"
    assert truth["references"] == dict(REFERENCES)
    terms = set(allowed_terms())
    per_outcome = truth["cause_specific_log_hr"]
    assert set(per_outcome) == set(OUTCOMES)
    for outcome, log_hr in per_outcome.items():
        assert set(log_hr) - {"caw[LIM]"} <= terms, outcome
    # opposite effects of a started procedure, and the regional effect on eviction only
    assert per_outcome["uithuisgezet"]["procedure_gestart"] > 0 > \
        per_outcome["vermeden"]["procedure_gestart"]
    assert truth["regional_effect"] == {
        "caw": "LIM", "outcome": "uithuisgezet", "log_hr": 0.6, "term": "caw[LIM]",
        "note": "against every other region (all 0): cause-specific log-HR"}
    assert per_outcome["uithuisgezet"]["caw[LIM]"] == 0.6
    assert all("caw[LIM]" not in per_outcome[k] for k in OUTCOMES if k != "uithuisgezet")
    model = truth["closure_model"]["per_outcome"]
    assert all(model[k]["shape"] >= 1 and model[k]["scale_days"] > 0 for k in OUTCOMES)
    marginal = truth["marginal"]
    assert "numerical integration" in marginal["method"]
    head = marginal["headline"]
    assert head["mean_days"] == pytest.approx(TARGET_DAYS, abs=1.0)
    assert head["median_days"] < head["mean_days"] - 30 < head["mean_days"]
    assert head["rmst730_days"] < head["mean_days"]
    for t in ("90", "180", "365", "730"):
        total = head["survival"][t] + sum(head["cumulative_incidence"][k][t] for k in OUTCOMES)
        assert total == pytest.approx(1.0, abs=1e-6), t  # quadrature error ~1e-7
        assert head["cumulative_incidence"]["ander"][t] == pytest.approx(
            head["cumulative_incidence"]["niet_vermeden"][t]
            + head["cumulative_incidence"]["onbekend"][t])
    assert set(marginal["by_start_year"]) == {"2011", "2012", "2013"}
    assert marginal["by_caw"]["LIM"]["cumulative_incidence"]["uithuisgezet"]["730"] > \
        1.3 * marginal["by_caw"]["BRU"]["cumulative_incidence"]["uithuisgezet"]["730"]
    assert truth["intake"]["growth_per_year"]["OVL"] > 0 > truth["intake"]["growth_per_year"]["BRU"]
    assert truth["reference"]["illustrative"] is True
    with pytest.raises(ValueError, match="unknown model terms"):
        simulate(YEARS, 1, config=SynthConfig(common_log_hr={"leeftijd_per_jaar": 0.1}))


def test_options_switch_each_feature_off() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_synth_options(parser)
    assert config_from_options(parser.parse_args([])) == SynthConfig()
    off = config_from_options(parser.parse_args(
        ["--no-window", "--no-growth", "--no-outcome-specific", "--no-regional-effect",
         "--fte-power", "1"]))
    assert off.registration_window is None and off.intake_growth == {}
    assert off.outcome_specific is False and off.regional_effect is None
    assert off.fte_power == 1.0
    later = config_from_options(parser.parse_args(["--window-start", "2012-01-01",
                                                   "--burn-in-years", "4"]))
    assert later.registration_window == dt.date(2012, 1, 1) and later.burn_in_years == 4
    # One common hazard: every outcome has the same effects and shape.
    sim = simulate((2012,), 1, n_per_year=300, config=off)
    model = sim.truth["closure_model"]["per_outcome"]
    assert len({str(model[k]["log_hr"]) for k in OUTCOMES}) == 1
    assert len({model[k]["shape"] for k in OUTCOMES}) == 1
    assert sim.truth["regional_effect"] is None


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


# --------------------------------------------------------------------------- the truth


MARKS = ("90", "180", "365", "730")


def _population(config: SynthConfig | None = None):
    from pipeline.synthetic.truth import population

    reference = load_reference()
    regions = reference.regions["caw"].to_list()
    return population(config or SynthConfig(), reference, regions), reference, regions


def test_integration_matches_the_closed_form_without_covariates() -> None:
    # One common hazard without covariates: T is Weibull(shape, sum of the rates), the
    # outcome independent of T with shares rate_k / sum. Closed forms (scipy for the
    # restricted mean, an independent method) against the quadrature.
    from scipy.special import gamma as gamma_fn
    from scipy.special import gammainc

    from pipeline.synthetic.truth import summary

    config = SynthConfig(outcome_specific=False, common_log_hr={}, regional_effect=None)
    pop, _, _ = _population(config)
    got = summary(pop, pop.reference_weights)
    a, rate = pop.model.shape[0], pop.model.rate.sum()
    scale = rate ** (-1 / a)
    assert got["mean_days"] == pytest.approx(scale * gamma_fn(1 + 1 / a), rel=1e-8)
    assert got["mean_days"] == pytest.approx(TARGET_DAYS, rel=1e-6)  # the calibration
    assert got["median_days"] == pytest.approx(scale * np.log(2) ** (1 / a), rel=1e-8)
    rmst = scale / a * gamma_fn(1 / a) * gammainc(1 / a, rate * 730 ** a)
    assert got["rmst730_days"] == pytest.approx(rmst, rel=1e-8)
    for t in MARKS:
        s = np.exp(-rate * int(t) ** a)
        assert got["survival"][t] == pytest.approx(s, rel=1e-10)
        for i, k in enumerate(OUTCOMES):
            share = pop.model.rate[i] / rate
            assert got["cumulative_incidence"][k][t] == pytest.approx(share * (1 - s), rel=1e-6)
            assert share == pytest.approx(config.target_outcome_shares[k], rel=1e-5)


def _monte_carlo_agrees(n: int, seed: int, same_sample: bool) -> None:
    """Monte Carlo along the data's code path against the integration: every value within
    4 standard errors (Monte Carlo, plus the truth's covariate sample unless shared)."""
    from pipeline.synthetic.truth import TRUTH_ROWS_PER_REGION, monte_carlo, summary

    pop, reference, regions = _population()
    w = pop.reference_weights
    exact = summary(pop, w)
    mc = monte_carlo(SynthConfig(), reference, regions, n, seed, same_sample=same_sample)
    cov_share = 0.0 if same_sample else float(np.sum(w ** 2) / TRUTH_ROWS_PER_REGION)

    def close(got: float, want: float, sd: float, cov_se: float) -> None:
        se = np.sqrt(sd ** 2 / n + cov_se ** 2)
        assert abs(got - want) < 4 * se, (got, want, se)

    for t in MARKS:
        p = exact["survival"][t]
        close(mc["survival"][t], p, np.sqrt(p * (1 - p)), np.sqrt(cov_share * p * (1 - p)))
        for k in OUTCOMES:
            p = exact["cumulative_incidence"][k][t]
            close(mc["cumulative_incidence"][k][t], p, np.sqrt(p * (1 - p)),
                  np.sqrt(cov_share * p * (1 - p)))
    cov = exact["covariate_sample_se"]
    close(mc["mean_days"], exact["mean_days"], mc["sd_days"],
          0.0 if same_sample else cov["mean_days"])
    close(mc["rmst730_days"], exact["rmst730_days"], mc["sd_rmst730_days"],
          0.0 if same_sample else cov["rmst730_days"])
    density = float(w @ pop.survival_at(exact["median_days"])[1])
    close(mc["median_days"], exact["median_days"], 0.5 / density,
          0.0 if same_sample else np.sqrt(cov_share * 0.25) / density)


def test_monte_carlo_agrees_with_the_integration() -> None:
    _monte_carlo_agrees(200_000, 1, same_sample=True)
    _monte_carlo_agrees(200_000, 2, same_sample=False)


@pytest.mark.slow
def test_monte_carlo_agrees_with_the_integration_2_000_000_rows() -> None:
    # Standard errors here: about 0.0003 for S(t), 0.15 day for the mean.
    _monte_carlo_agrees(2_000_000, 3, same_sample=True)
    _monte_carlo_agrees(2_000_000, 4, same_sample=False)


def test_naive_median_from_day_0_is_length_biased_delayed_entry_is_not(calibration) -> None:
    # Year 2013 of a delivery with a registration window (2011-01-01): trajectories
    # active in 2013, follow-up to the cut-off. From day 0 (the old definition) the
    # long carried-over trajectories weigh in with their whole history: the median is
    # far above the truth. With entry at max(start, 2013-01-01) it is not.
    from pipeline.stats import kaplan_meier

    first, cutoff = dt.date(2013, 1, 1), dt.date(2013, 12, 31)
    active = calibration.frame.filter(
        (pl.col("datum_start") <= cutoff)
        & (pl.col("datum_afsluiting").is_null() | (pl.col("datum_afsluiting") >= first)))
    event = (active["datum_afsluiting"] <= cutoff).fill_null(False).to_numpy()
    end = active["datum_afsluiting"].fill_null(cutoff).clip(upper_bound=cutoff)
    days = (end - active["datum_start"]).dt.total_days().to_numpy()
    entry = (active["datum_start"].clip(lower_bound=first)
             - active["datum_start"]).dt.total_days().to_numpy()
    entry = entry - 0.5  # at risk from the entry day on, as models.py
    truth = calibration.truth["marginal"]["headline"]["median_recorded_days"]
    naive = kaplan_meier(days, event)
    period = kaplan_meier(days, event, entry=entry)
    assert naive.median > truth + 25 and naive.median_ci[0] > truth
    assert period.median_ci[0] <= truth <= period.median_ci[1]
    assert abs(period.median - truth) < (naive.median - truth) / 3


# --------------------------------------------------------------------------- recovery

MODEL_COLUMNS = ("procedure_gestart", "probleem_huurachterstand", "probleem_onderhoud",
                 "probleem_samenleven", "verhuurder_type", "gezinstype", "inkomensbron",
                 "leeftijd", "caw")


def _cause_z_scores(seed: int, n_per_year: int) -> dict[str, np.ndarray]:
    """(estimate - truth) / se of every term of a plain Cox model per outcome (the other
    outcomes censored) on the trajectories started inside the window, regions as terms
    against MTM."""
    cox_ph = pytest.importorskip("pipeline.stats.cox").cox_ph
    sim = simulate(YEARS, seed, n_per_year=n_per_year)
    inside = sim.frame.filter(~pl.col("_meegenomen")).with_columns(
        (pl.coalesce("datum_afsluiting", pl.lit(sim.extract_date)) - pl.col("datum_start"))
        .dt.total_days().alias("dagen"))
    truth = sim.truth["cause_specific_log_hr"]
    out = {}
    for outcome in OUTCOMES:
        data = inside.with_columns((pl.col("datum_afsluiting").is_not_null()
                                    & (pl.col("_uitkomst") == outcome)).alias("gebeurtenis"))
        fit = cox_ph(data, "dagen", "gebeurtenis", MODEL_COLUMNS,
                     references={"caw": "MTM"}).terms
        rows = fit.select("term", "coef", "se").rows()
        assert len(rows) == 16 + 9  # every level of every model column, 9 regions
        out[outcome] = np.array([(c - truth[outcome].get(t, 0.0)) / s for t, c, s in rows])
    return out


def test_cause_specific_cox_recovers_the_truth() -> None:
    # 4 x 25 terms: each within 4 se (a chance miss is ~0.6%), most inside the 95% CI.
    z = _cause_z_scores(2, 8000)
    for outcome, values in z.items():
        assert np.all(np.abs(values) < 4.0), outcome
    everything = np.concatenate(list(z.values()))
    assert np.mean(np.abs(everything) < 1.96) >= 0.88


@pytest.mark.slow
def test_coverage_of_95_percent_intervals_over_many_seeds() -> None:
    runs = [_cause_z_scores(seed, 5000) for seed in range(100, 200)]
    # 100 seeds x 25 terms per outcome; measured: coverage 0.949-0.951, mean z within 0.04.
    for outcome in OUTCOMES:
        z = np.concatenate([r[outcome] for r in runs])
        assert 0.93 <= np.mean(np.abs(z) < 1.96) <= 0.97, outcome
        assert abs(z.mean()) < 0.1, outcome
