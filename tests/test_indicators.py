"""Programme indicators (pipeline.indicators, pipeline.agreements) by hand, and their assets."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from registration_files import RUN_DATE, frame_of, open_row, valid_row, write_csv

from pipeline.agreements import agreement_coverage, extra_fte_effect
from pipeline.indicators import TOTAL, activity, programme_indicators, re_referral, wilson
from pipeline.reference import Reference, load_reference
from pipeline.years import trajectories

D = dt.date
Y = 2013  # 365 days


def hand_reference(extra: list[tuple[str, dt.date, float]] | None = None) -> Reference:
    """Two regions: OVL base 2.0 FTE, BMK base 1.0 FTE in 2013; five landlords; the
    shipped norms. Default extra FTE: OVL +1.0 from 2013-10-20 (73 of 365 days)."""
    extra = [("OVL", D(2013, 10, 20), 1.0)] if extra is None else extra
    landlords = pl.DataFrame({
        "verhuurder_id": ["SHM-1", "SHM-2", "SVK-1", "SHM-3", "SVK-2"],
        "verhuurder_type": ["SHM", "SHM", "SVK", "SHM", "SVK"],
        "naam": ["a", "b", "c", "d", "e"],
        "caw": ["OVL", "OVL", "OVL", "BMK", "BMK"],
        "gemeente_nis": ["44021", "41002", "44021", "31005", "31005"],
        "woningen": [1000, 500, 100, 800, 200],
        "overeenkomst": [True, True, True, True, True],
        "overeenkomst_sinds": [D(2010, 1, 1), D(2014, 3, 1), None, D(2012, 5, 1),
                               D(2013, 12, 31)],
        "lokaal_bestuur": [True, False, False, True, True],
        "illustratief": [False] * 5,
    })
    return Reference(
        regions=pl.DataFrame({"caw": ["OVL", "BMK"], "naam": ["Oost", "Brugge"]}),
        extra_fte=pl.DataFrame(
            {"caw": [e[0] for e in extra], "vanaf": [e[1] for e in extra],
             "extra_vte": [e[2] for e in extra], "budget_eur": [1.0] * len(extra),
             "bron": ["test"] * len(extra)},
            schema={"caw": pl.String, "vanaf": pl.Date, "extra_vte": pl.Float64,
                    "budget_eur": pl.Float64, "bron": pl.String}),
        norms=load_reference().norms,
        landlords=landlords,
        staffing=pl.DataFrame({"caw": ["OVL", "BMK"], "jaar": [2013, 2013],
                               "basis_vte": [2.0, 1.0], "illustratief": [False, False]}),
        sources={},
    )


def closed(n, caw, start, end, *, client, **kw) -> dict:
    return valid_row(n, caw=caw, client_id=client, datum_aanmelding=start, datum_start=start,
                     datum_afsluiting=end, **kw)


def still_open(n, caw, start, *, client) -> dict:
    return open_row(n, caw=caw, client_id=client, datum_aanmelding=start, datum_start=start)


ROWS = [
    # OVL
    closed(1, "OVL", D(2012, 7, 1), D(2013, 3, 1), client="K1", aantal_huisbezoeken=4,
           aantal_contacten=10, doorverwezen=True, nazorg=True, handelingsdoelen="bereikt",
           uithuiszetting_vermeden="ja"),                                          # A
    closed(2, "OVL", D(2013, 2, 1), D(2013, 8, 1), client="K2", aantal_huisbezoeken=0,
           aantal_contacten=3, doorverwezen=False, nazorg=False, afsluitreden="uithuisgezet",
           handelingsdoelen="niet_bereikt", uithuiszetting_vermeden="nee"),        # B
    still_open(3, "OVL", D(2013, 5, 1), client="K3"),                              # C
    closed(4, "OVL", D(2012, 3, 1), D(2012, 11, 30), client="K4"),                 # D
    closed(5, "OVL", D(2013, 3, 1), D(2013, 11, 1), client="K4", aantal_huisbezoeken=None,
           aantal_contacten=None, doorverwezen=None, nazorg=None, afsluitreden="verhuisd",
           handelingsdoelen="gedeeltelijk", uithuiszetting_vermeden="onbekend"),   # E
    still_open(6, "OVL", D(2014, 1, 10), client="K6"),                             # F
    closed(7, "OVL", D(2013, 6, 1), D(2014, 2, 1), client="K7"),                   # G
    # BMK
    closed(8, "BMK", D(2012, 12, 1), D(2013, 1, 31), client="K8", aantal_huisbezoeken=2,
           aantal_contacten=2, doorverwezen=True, nazorg=False, handelingsdoelen="bereikt",
           uithuiszetting_vermeden="ja"),                                          # H
    closed(9, "BMK", D(2012, 1, 15), D(2012, 6, 30), client="K9"),                 # I
    closed(10, "BMK", D(2011, 5, 1), D(2012, 2, 1), client="K10"),                 # J
    still_open(11, "BMK", D(2013, 4, 1), client="K10"),                            # K
    closed(12, "BMK", D(2011, 9, 1), D(2012, 9, 1), client=None),                  # L
]


@pytest.fixture(scope="module")
def traj() -> pl.DataFrame:
    return trajectories(frame_of(ROWS), Y)


@pytest.fixture(scope="module")
def rows(traj) -> dict[str, dict]:
    per_caw, overall = activity(traj, hand_reference(), Y)
    return {r["caw"]: r for r in [*per_caw, overall]}


def close(a, b) -> bool:
    return a == pytest.approx(b, rel=1e-5)


# --------------------------------------------------------------------------- norms, activity


def test_ovl_norms_caseload_duration_and_littles_law(rows) -> None:
    r = rows["OVL"]
    # FTE: 2.0 + 1.0 x 73/365 (in force 2013-10-20..12-31) = 2.2
    assert close(r["fte"], 2.2) and close(r["fte_extra"], 0.2) and r["fte_base"] == 2.0
    # active A B C E G (D closed 2012, F starts 2014); started B C E G; closed A B E;
    # open at the cut-off C and G (closure 2014-02-01 is after it).
    assert (r["active"], r["started"], r["closed"], r["open_at_cutoff"]) == (5, 4, 3, 2)
    assert close(r["clients_per_fte"], 5 / 2.2) and r["meets_norm"] is False  # 2.27 < 27
    assert close(r["started_per_fte"], 4 / 2.2) and close(r["closed_per_fte"], 3 / 2.2)
    # open days in 2013: A 01-01..03-01 = 59, B 181, C 05-01..12-31 = 245, E 245, G 214
    open_days = 59 + 181 + 245 + 245 + 214  # 944
    assert close(r["mean_caseload"], open_days / 365)  # 2.5863
    assert close(r["mean_caseload_per_fte"], open_days / 365 / 2.2)  # 1.1756
    assert close(r["caseload_ratio_to_norm"], open_days / 365 / 2.2 / 20)
    # duration, period analysis (tests/test_duration.py works it out): median 244, RMST
    # 181 + 0.75 x 62 + 0.5 x 2 = 228.5 <= 9 x 30.4375 = 273.94 (a mean against a mean)
    assert r["median_duration_days"] == 244 and r["rmst_days"] == 228.5
    assert r["duration_within_norm"] is True and r["duration_basis"] == "period"
    assert close(r["rmst_months"], 228.5 / (365.25 / 12))
    # the year's closures A 243, B 181, E 245: their mean is Little's W, not a duration
    assert r["mean_duration_days"] == 223 and close(r["mean_duration_months"], 223 / 30.4375)
    # Little: throughput 3 closures a year, W = 223 days -> lambda W = 669/365 = 1.8329
    assert r["little_throughput_per_year"] == 3
    assert close(r["little_predicted_caseload"], 669 / 365)
    assert close(r["little_discrepancy"], (944 - 669) / 365)  # 0.7534
    assert close(r["little_relative_discrepancy"], 275 / 669)  # 0.4111


def test_ovl_features_and_outcomes(rows) -> None:
    r = rows["OVL"]
    # closed in 2013 with visits known: A 4, B 0 (E unknown)
    assert r["visits_n"] == 2 and r["home_visits_per_trajectory"] == 2.0
    assert r["share_home_visit"] == 0.5 and r["share_home_visit_ci"] == wilson(1, 2)
    assert r["contacts_per_trajectory"] == 6.5  # (10 + 3) / 2
    assert (r["referred_n"], r["share_referred_on"]) == (2, 0.5)  # A ja, B nee
    assert (r["aftercare_n"], r["share_aftercare"]) == (2, 0.5)  # A ja, B nee
    # goals: A bereikt, E gedeeltelijk, B niet_bereikt
    assert r["goals_n"] == 3
    for goal in ("bereikt", "gedeeltelijk", "niet_bereikt"):
        assert r[f"goals_{goal}"] == 1 and close(r[f"goals_{goal}_share"], 1 / 3)
        assert r[f"goals_{goal}_ci"] == wilson(1, 3)
    # eviction avoided: A ja, B nee; E onbekend is not in the sample
    assert (r["eviction_n"], r["eviction_avoided"], r["eviction_unknown"]) == (2, 1, 1)
    assert r["eviction_avoided_rate"] == 0.5 and r["eviction_avoided_ci"] == wilson(1, 2)


def test_bmk_row(rows) -> None:
    r = rows["BMK"]
    assert r["fte"] == 1.0 and r["fte_extra"] == 0.0
    # active H (closed 2013-01-31) and K; I, J, L closed in 2012
    assert (r["active"], r["started"], r["closed"], r["open_at_cutoff"]) == (2, 1, 1, 1)
    assert r["clients_per_fte"] == 2.0 and r["meets_norm"] is False
    # open days: H 01-01..01-31 = 30, K 04-01..12-31 = 275 -> 305
    assert close(r["mean_caseload_per_fte"], 305 / 365)
    # period: H (entered day 31) closes on day 61 with K at risk -> S 1/2 to K's day 274
    assert r["median_duration_days"] == 167.5 and r["mean_duration_days"] == 61  # H's 61
    assert r["rmst_days"] is None and r["duration_within_norm"] is None  # not estimable
    assert close(r["little_predicted_caseload"], 61 / 365)
    assert close(r["little_discrepancy"], 244 / 365) and r["little_relative_discrepancy"] == 4
    assert (r["home_visits_per_trajectory"], r["share_home_visit"],
            r["contacts_per_trajectory"]) == (2.0, 1.0, 2.0)
    assert (r["share_referred_on"], r["share_aftercare"]) == (1.0, 0.0)
    assert (r["goals_bereikt"], r["goals_gedeeltelijk"], r["goals_niet_bereikt"]) == (1, 0, 0)
    assert (r["eviction_avoided"], r["eviction_n"], r["eviction_avoided_rate"]) == (1, 1, 1.0)
    # Wilson for 1/1: lower = n / (n + z^2) = 1 / (1 + 1.959964^2) = 0.206549, upper 1
    assert r["eviction_avoided_ci"] == [pytest.approx(1 / (1 + 1.959964 ** 2), abs=1e-6), 1.0]


def test_overall_row(rows) -> None:
    r = rows[TOTAL]
    assert close(r["fte"], 3.2)  # 2.2 + 1.0
    assert (r["active"], r["started"], r["closed"], r["open_at_cutoff"]) == (7, 5, 4, 3)
    assert close(r["clients_per_fte"], 7 / 3.2) and r["meets_norm"] is False
    assert close(r["mean_caseload_per_fte"], (944 + 305) / 365 / 3.2)
    # period median 244 (test_duration.py); closures' durations 243, 181, 245, 61: mean 182.5
    assert r["median_duration_days"] == 244 and r["mean_duration_days"] == 182.5
    assert r["little_predicted_caseload"] == 2.0  # 730 / 365
    assert close(r["little_discrepancy"], 519 / 365)  # (1249 - 730) / 365
    assert close(r["home_visits_per_trajectory"], 2.0)  # (4 + 0 + 2) / 3
    assert close(r["share_home_visit"], 2 / 3) and r["contacts_per_trajectory"] == 5.0
    assert close(r["share_referred_on"], 2 / 3) and close(r["share_aftercare"], 1 / 3)
    assert (r["goals_n"], r["goals_bereikt"], r["goals_gedeeltelijk"],
            r["goals_niet_bereikt"]) == (4, 2, 1, 1)
    assert (r["eviction_n"], r["eviction_avoided"]) == (3, 2)
    assert (r["regions_meeting_norm"], r["regions_with_fte"]) == (0, 2)


def test_per_caw_keys_of_results_json(traj) -> None:
    result = programme_indicators(traj, hand_reference(), Y)
    required = {"caw", "fte", "active", "started", "closed", "clients_per_fte", "meets_norm",
                "mean_caseload_per_fte", "median_duration_days", "mean_duration_days"}
    assert [r["caw"] for r in result["per_caw"]] == ["OVL", "BMK"]
    assert all(required <= set(r) for r in [*result["per_caw"], result["overall"]])
    assert result["norms"]["clients_per_fte"] == 27 and result["days_in_year"] == 365
    text = json.dumps(result, allow_nan=False, sort_keys=True)
    assert text == json.dumps(programme_indicators(traj, hand_reference(), Y),
                              allow_nan=False, sort_keys=True)


def test_region_without_fte_or_trajectories_gives_none() -> None:
    ref = hand_reference()
    ref = Reference(ref.regions, ref.extra_fte, ref.norms, ref.landlords,
                    ref.staffing.filter(pl.col("caw") == "OVL"), ref.sources)
    traj = trajectories(frame_of([still_open(1, "OVL", D(2013, 5, 1), client="K1")]), Y)
    per_caw, _ = activity(traj, ref, Y)
    bmk = per_caw[1]
    assert bmk["fte"] == 0 and bmk["clients_per_fte"] is None and bmk["meets_norm"] is None
    assert bmk["median_duration_days"] is None and bmk["eviction_avoided_ci"] == [None, None]


# --------------------------------------------------------------------------- herval


def test_re_referral_by_hand(traj) -> None:
    result = re_referral(traj, Y)
    # cohort: closures in 2012: D (OVL, K4), I (K9), J (K10), L (no client_id) -> 4, 3 known.
    # D -> E: K4 starts again 2013-03-01 <= 2012-11-30 + 1 year: re-referral.
    # J -> K: K10 starts again 2013-04-01 > 2012-02-01 + 1 year: too late.
    assert result["available"] is True and result["cohort_year"] == 2012
    assert result["overall"] == {"closed_prev_year": 4, "with_client_id": 3, "re_referred": 1,
                                 "rate": pytest.approx(1 / 3, rel=1e-5),
                                 "rate_ci": wilson(1, 3)}
    by_caw = {r["caw"]: r for r in result["per_caw"]}
    assert (by_caw["OVL"]["re_referred"], by_caw["OVL"]["with_client_id"]) == (1, 1)
    assert (by_caw["BMK"]["re_referred"], by_caw["BMK"]["closed_prev_year"]) == (0, 3)
    assert "1 zonder client_id" in result["note"]


def test_re_referral_says_when_the_data_do_not_allow() -> None:
    only_2013 = trajectories(frame_of([still_open(1, "OVL", D(2013, 5, 1), client="K1")]), Y)
    result = re_referral(only_2013, Y)
    assert result["available"] is False and result["overall"]["rate"] is None
    assert "kan voor 2013 niet bepaald worden" in result["note"]
    no_ids = trajectories(frame_of([closed(1, "OVL", D(2012, 1, 1), D(2012, 5, 1),
                                           client=None)]), Y)
    result = re_referral(no_ids, Y)
    assert result["available"] is False and "client_id" in result["note"]


# --------------------------------------------------------------------------- Wilson


@pytest.mark.parametrize(("k", "n", "lower", "upper"), [
    # Newcombe RG (1998). Two-sided confidence intervals for the single proportion:
    # comparison of seven methods. Statistics in Medicine 17:857-872; worked examples,
    # method 3 (score interval without continuity correction), 4 decimals.
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_against_newcombe_1998(k, n, lower, upper) -> None:
    # Tolerance: half a unit of the published 4th decimal. (statsmodels'
    # proportion_confint(method="wilson") agrees to 1e-12; not imported here: 3 s.)
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(lower, abs=5e-5) and hi == pytest.approx(upper, abs=5e-5)


def test_wilson_edges() -> None:
    assert wilson(0, 0) == [None, None]
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0


# --------------------------------------------------------------------------- agreements


def test_agreement_coverage_by_hand() -> None:
    result = agreement_coverage(hand_reference(), Y)
    ovl, bmk = result["per_caw"]
    # OVL: SHM-1 in force (2010), SHM-2 signed 2014-03-01 (after the cut-off), SVK-1 undated
    assert (ovl["shm_n"], ovl["shm_covered"], ovl["shm_share"]) == (2, 1, 0.5)
    assert close(ovl["shm_dwellings_share"], 1000 / 1500)
    assert (ovl["svk_share"], ovl["svk_dwellings_share"]) == (1.0, 1.0)
    assert close(ovl["landlords_share"], 2 / 3) and ovl["landlords_dwellings_share"] == 0.6875
    assert (ovl["agreements_in_force"], ovl["with_local_authority"]) == (2, 1)
    assert ovl["share_with_local_authority"] == 0.5 and ovl["all_with_local_authority"] is False
    assert (ovl["municipalities"], ovl["municipalities_covered"]) == (2, 1)  # 41002 not
    assert ovl["gebiedsdekkend"] is False and ovl["undated"] == 1
    assert ovl["signed_after_cutoff"] == ["SHM-2"] and ovl["uncovered"] == ["SHM-2"]
    # BMK: SVK-2 signed on the cut-off itself counts as in force
    assert bmk["gebiedsdekkend"] is True and bmk["all_with_local_authority"] is True
    assert (bmk["landlords_covered"], bmk["landlords_dwellings_share"]) == (2, 1.0)
    total = result["overall"]
    assert total["regions_gebiedsdekkend"] == 1 and total["landlords_covered"] == 4
    assert close(total["landlords_dwellings_share"], 2100 / 2600)
    # a year later SHM-2 is in force as well: OVL becomes area-wide
    assert agreement_coverage(hand_reference(), 2014)["per_caw"][0]["gebiedsdekkend"] is True


# --------------------------------------------------------------------------- extra FTE


def test_extra_fte_before_after_and_first_month() -> None:
    ref = hand_reference([("OVL", D(2013, 10, 20), 1.0), ("BMK", D(2013, 12, 15), 0.5)])
    rows = [
        closed(1, "OVL", D(2013, 1, 5), D(2013, 8, 20), client="K1"),   # S0
        still_open(2, "OVL", D(2013, 8, 10), client="K2"),              # S1
        closed(3, "OVL", D(2013, 9, 15), D(2013, 10, 15), client="K3"),  # S2
        still_open(4, "OVL", D(2013, 10, 20), client="K4"),             # S3
        still_open(5, "OVL", D(2013, 11, 1), client="K5"),              # S4
        still_open(6, "OVL", D(2013, 11, 19), client="K6"),             # S5
        still_open(7, "OVL", D(2013, 12, 1), client="K7"),              # S6
    ]
    traj = trajectories(frame_of(rows), Y)
    per_caw, _ = activity(traj, ref, Y)
    result = extra_fte_effect(traj, ref, Y, per_caw)
    ovl, bmk = result["per_reinforcement"]
    # window = 2013-10-20..12-31 = 73 days; before = 2013-08-08..10-19
    assert (ovl["window_days"], ovl["before_from"], ovl["after_to"]) == (
        73, "2013-08-08", "2013-12-31")
    assert (ovl["fte_before"], ovl["fte_after"]) == (2.0, 3.0)
    assert (ovl["starts_before"], ovl["starts_after"], ovl["starts_change"]) == (2, 4, 1.0)
    # open days before: S0 08-08..08-19 = 12, S1 08-10..10-19 = 71, S2 09-15..10-14 = 30
    assert close(ovl["caseload_before"], (12 + 71 + 30) / 73)
    # after: S1 73, S3 73, S4 61, S5 43, S6 31
    assert close(ovl["caseload_after"], (73 + 73 + 61 + 43 + 31) / 73)
    # first month 10-20..11-19: S3 S4 S5 = 3 > 2 x 31/73 = 0.849 -> realised
    assert ovl["starts_first_month"] == 3 and close(ovl["baseline_first_month"], 62 / 73)
    assert ovl["realised_within_month"] is True and ovl["note"] is None
    assert close(ovl["expected_extra_starts_first_month"], 26.66 * 31 / 365.25)
    # BMK from 12-15: its first month ends after the cut-off -> not judged
    assert bmk["window_days"] == 17 and bmk["realised_within_month"] is None
    assert "niet volledig" in bmk["note"]
    regions = {r["caw"]: r for r in result["per_caw"]}
    # OVL: 7 active, FTE 2.2 with the extra (2.0 + 73/365), 2.0 without
    assert close(regions["OVL"]["clients_per_fte"], 7 / 2.2)
    assert regions["OVL"]["clients_per_base_fte"] == 3.5
    assert regions["OVL"]["meets_norm"] is False
    # BMK: FTE 1.0 + 0.5 x 17/365, no trajectories
    assert close(regions["BMK"]["fte"], 1 + 0.5 * 17 / 365) and regions["BMK"]["active"] == 0


def test_extra_fte_without_earlier_data_is_not_judged() -> None:
    traj = trajectories(frame_of([still_open(1, "OVL", D(2013, 11, 1), client="K1")]), Y)
    per_caw, _ = activity(traj, hand_reference(), Y)
    (row,) = extra_fte_effect(traj, hand_reference(), Y, per_caw)["per_reinforcement"]
    assert row["realised_within_month"] is None and "niets om mee te vergelijken" in row["note"]


# --------------------------------------------------------------------------- at scale


def test_synthetic_year_recovers_the_simulated_supply() -> None:
    """Synthetic starts follow 26.66 supports per FTE a year; the indicators see that.
    (Starts proportional to the FTE, no regional trends: the generator's defaults follow
    FTE ** 0.8 with trends, for the reinforcement analysis.)"""
    from pipeline.contract import COLUMN_NAMES
    from pipeline.synthetic import SynthConfig, simulate

    sim = simulate([2012, 2013], seed=7, today=RUN_DATE,
                   config=SynthConfig(fte_power=1.0, intake_growth={}))
    traj = trajectories(sim.frame.select(COLUMN_NAMES), 2013)
    result = programme_indicators(traj, load_reference(), 2013)
    total = result["overall"]
    assert total["started_per_fte"] == pytest.approx(26.66, rel=0.08)
    assert all(r["meets_norm"] for r in result["per_caw"])
    assert result["re_referral"]["available"] and result["re_referral"]["overall"]["rate"] > 0
    json.dumps(result, allow_nan=False)


# --------------------------------------------------------------------------- Dagster


@pytest.fixture(scope="module")
def materialised(tmp_path_factory: pytest.TempPathFactory):
    from dagster import DagsterInstance, materialize

    from assets.definitions import resources
    from assets.programme import PROGRAMME_ASSETS
    from assets.registrations import trajectories as trajectories_asset
    from assets.registrations import validated_registrations
    from assets.resources import PwbSettings

    root = tmp_path_factory.mktemp("programme")
    inbox = root / "inbox"
    inbox.mkdir()
    write_csv(inbox / "levering.csv", [r for r in ROWS if r["datum_start"] <= RUN_DATE],
              sep=";")
    settings = PwbSettings(input_dir=str(inbox), out_dir=str(root / "out"),
                           run_date=RUN_DATE.isoformat())
    result = materialize(
        [validated_registrations, trajectories_asset, *PROGRAMME_ASSETS], partition_key="2013",
        instance=DagsterInstance.local_temp(str(root)),
        resources=resources(root / "store", settings))
    return result, root


def test_assets_store_what_the_functions_return(materialised) -> None:
    from pipeline.allocation import need_supply

    result, root = materialised
    assert result.success
    traj = pl.read_parquet(root / "store" / "trajecten" / "2013.parquet")
    reference = load_reference()
    stored = json.loads((root / "store" / "programma_indicatoren" / "2013.json").read_text())
    assert stored == json.loads(json.dumps(programme_indicators(traj, reference, 2013)))
    assert stored["overall"]["active"] == 7 and len(stored["per_caw"]) == 10
    stored = json.loads((root / "store" / "nood_aanbod" / "2013.json").read_text())
    assert stored == json.loads(json.dumps(need_supply(reference, 2013, trajectories=traj)))
    meta = {m.asset_key.to_user_string(): m.metadata
            for m in (e.materialization for e in result.get_asset_materialization_events())}
    assert meta["programma_indicatoren"]["regio_s_volgens_norm"].value == 0
    assert meta["nood_aanbod"]["scenario_s"].value[0]["vte"] == 7.88


def test_asset_definitions() -> None:
    from assets.programme import need_supply, programme_indicators

    for spec in (programme_indicators, need_supply):
        key = spec.key
        assert spec.group_names_by_key[key] == "programma"
        assert spec.specs_by_key[key].owners == ["team:pwb"]
        assert spec.partitions_def is not None
        assert "polars" in spec.specs_by_key[key].kinds
    assert {k.to_user_string() for k in programme_indicators.dependency_keys} == {"trajecten"}

