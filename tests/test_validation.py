"""Each row rule on a failing example; GX and the polars twins agree row for row; accounting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from registration_files import RUN_DATE, open_row, valid_row, write_csv, write_xlsx

from pipeline.contract import ROW_RULES, RULES_BY_NAME
from pipeline.ingest import ingest
from pipeline.validation import (
    SUITE_PATH,
    broken_rules,
    load_suite_dict,
    run_suite,
    suite_dict,
    validate,
)

# (overrides of a valid closed row, the exact rules it must break)
FAILING: list[tuple[dict[str, object], set[str]]] = [
    ({"dossier_id": None}, {"verplicht:dossier_id"}),
    ({"caw": None}, {"verplicht:caw"}),
    ({"leeftijd": None}, {"verplicht:leeftijd"}),
    ({"datum_start": None}, {"verplicht:datum_start"}),
    ({"probleem_onderhoud": None}, {"verplicht:probleem_onderhoud"}),
    ({"datum_start": "2012-02-30"}, {"onleesbaar:datum_start"}),
    ({"datum_start": "15.02.2012"}, {"onleesbaar:datum_start"}),
    ({"probleem_onderhoud": "misschien"}, {"onleesbaar:probleem_onderhoud"}),
    ({"leeftijd": "vijftig"}, {"onleesbaar:leeftijd"}),
    ({"leeftijd": "45.5"}, {"onleesbaar:leeftijd"}),
    ({"huurachterstand_eur": "veel"}, {"onleesbaar:huurachterstand_eur"}),
    ({"caw": "XYZ"}, {"code:caw"}),
    ({"gezinstype": "kot"}, {"code:gezinstype"}),
    ({"verhuurder_type": "private"}, {"code:verhuurder_type"}),
    ({"gemeente_nis": "Marieke Peeters"}, {"formaat:gemeente_nis"}),  # a name is no NIS code
    ({"gemeente_nis": "4402"}, {"formaat:gemeente_nis"}),
    ({"leeftijd": 7}, {"bereik:leeftijd"}),
    ({"leeftijd": 111}, {"bereik:leeftijd"}),
    ({"aantal_kinderen": 16}, {"bereik:aantal_kinderen"}),
    ({"huurachterstand_eur": -5.0}, {"bereik:huurachterstand_eur"}),
    ({"aantal_huisbezoeken": 20, "aantal_contacten": 10}, {"contacten_huisbezoeken"}),
    ({"datum_start": dt.date(2012, 1, 15)}, {"volgorde:datum_start"}),
    ({"datum_afsluiting": dt.date(2012, 2, 10)}, {"volgorde:datum_afsluiting"}),
    ({"datum_aanmelding": dt.date(2001, 12, 31)}, {"datumbereik:datum_aanmelding"}),
    ({"datum_afsluiting": dt.date(2027, 1, 5)}, {"datumbereik:datum_afsluiting"}),
    ({"afsluitreden": None}, {"afsluiting_ontbreekt:afsluitreden"}),
    ({"uithuiszetting_vermeden": None}, {"afsluiting_ontbreekt:uithuiszetting_vermeden"}),
    ({"afsluitreden": "uithuisgezet"}, {"uithuisgezet_niet_vermeden"}),
    ({"datum_afsluiting": None, "nazorg": None},
     {"afsluiting_bij_open_dossier:afsluitreden", "afsluiting_bij_open_dossier:handelingsdoelen",
      "afsluiting_bij_open_dossier:uithuiszetting_vermeden"}),
    ({"leeftijd": 7, "gezinstype": "kot"}, {"bereik:leeftijd", "code:gezinstype"}),
]


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("rules")
    rows = [valid_row(i, **overrides) for i, (overrides, _) in enumerate(FAILING, start=1)]
    rows += [valid_row(900), open_row(901, caw="BMK", verhuurder_type="svk", aanmelder="SVK")]
    path = write_csv(folder / "regels.csv", rows)
    ingested = ingest([path])
    return ingested, validate(ingested, RUN_DATE)


def test_suite_json_is_generated_from_the_contract() -> None:
    assert load_suite_dict(SUITE_PATH) == suite_dict()
    names = [e["meta"]["regel"] for e in suite_dict()["expectations"]]
    assert names == [r.name for r in ROW_RULES] and len(set(names)) == len(names)


@pytest.mark.parametrize("index", range(len(FAILING)))
def test_each_rule_quarantines_its_row(failing_run, index: int) -> None:
    _, validated = failing_run
    line = index + 2
    row = validated.quarantine.filter(validated.quarantine["bron_regel"] == line)
    assert row.height == 1
    assert set(row["regels"][0].split(", ")) == FAILING[index][1]
    for rule in FAILING[index][1]:
        assert RULES_BY_NAME[rule].message in row["melding"][0]


def test_valid_rows_pass_and_codes_are_normalised(failing_run) -> None:
    _, validated = failing_run
    assert validated.valid.height == 2
    assert validated.valid["verhuurder_type"].to_list() == ["SHM", "SVK"]
    assert validated.valid["aanmelder"].to_list() == ["shm", "svk"]


def test_gx_and_polars_find_the_same_rows(failing_run) -> None:
    ingested, _ = failing_run
    frame = ingested.frame
    outcome = run_suite(frame, RUN_DATE, with_rows=True)
    broken = broken_rules(frame, RUN_DATE).explode("regels")
    assert not outcome.success
    for rule in outcome.rules:
        ours = tuple(sorted(broken.filter(broken["regels"] == rule.rule)["rij_id"].to_list()))
        assert rule.rows == ours, rule.rule
    assert sum(r.broken for r in outcome.rules) == broken.height


def test_split_batches_give_the_same_rows_as_one_batch(failing_run) -> None:
    """Large frames run per row condition on narrow batches: same verdicts, row for row."""
    ingested, _ = failing_run
    whole = run_suite(ingested.frame, RUN_DATE, with_rows=True, split_from_rows=10**9)
    split = run_suite(ingested.frame, RUN_DATE, with_rows=True, split_from_rows=0)
    assert [(r.rule, r.broken, r.rows) for r in whole.rules] == \
        [(r.rule, r.broken, r.rows) for r in split.rules]
    assert sum(r.broken for r in split.rules) > len(FAILING)


def test_every_rule_kind_is_exercised() -> None:
    kinds = {name.split(":")[0] for _, rules in FAILING for name in rules}
    assert kinds == {r.name.split(":")[0] for r in ROW_RULES} - {"dubbel_dossier"}


def test_duplicate_dossier_across_files_quarantines_all_copies(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [valid_row(1), valid_row(2)])
    b = write_xlsx(tmp_path / "b.xlsx", [valid_row(1, leeftijd=50), valid_row(3)])
    c = write_csv(tmp_path / "c.csv", [valid_row(1, caw="BMK")])  # other region: no conflict
    validated = validate(ingest([a, b, c]), RUN_DATE)
    quarantined = validated.quarantine.select("bron_bestand", "bron_regel", "regels").rows()
    assert quarantined == [("a.csv", 2, "dubbel_dossier"), ("b.xlsx", 2, "dubbel_dossier")]
    assert validated.rows_valid == 3


def test_accounting_per_file_and_total(failing_run, tmp_path: Path) -> None:
    _, validated = failing_run
    assert validated.rows_in == validated.rows_valid + validated.rows_quarantined == \
        len(FAILING) + 2
    (account,) = validated.files
    assert (account.rows_in, account.rows_valid, account.rows_quarantined) == \
        (len(FAILING) + 2, 2, len(FAILING))


def test_messages_never_repeat_cell_values(failing_run) -> None:
    _, validated = failing_run
    text = " ".join(validated.quarantine["melding"].to_list())
    for value in ("misschien", "vijftig", "XYZ", "kot", "private", "2012-02-30", "veel"):
        assert value not in text


def test_disagreement_between_gx_and_rules_is_reported(failing_run) -> None:
    """A suite that lacks a rule's expectation makes the counts differ: the check must see it."""
    ingested, _ = failing_run
    suite = suite_dict()
    suite["expectations"] = [e for e in suite["expectations"]
                             if e["meta"]["regel"] != "bereik:leeftijd"]
    validated = validate(ingested, RUN_DATE, suite)
    assert validated.mismatches == ("bereik:leeftijd: GX 0 / polars 3",)
    assert not validated.gx_agrees


def test_gx_frame_keeps_every_value_in_either_text_form() -> None:
    """Text with few distinct values goes to GX as categorical, mostly distinct text (the
    dossier ids) as plain text: the same values and nulls either way."""
    import pandas as pd
    import polars as pl

    from pipeline import gx_suite

    frame = pl.DataFrame({"dossier_id": [f"d{i}" for i in range(9)] + [None],
                          "caw": ["OVL", "BMK", None, "OVL", "OVL", "BMK", "LIM", "OVL",
                                  "BMK", "OVL"]})
    data = gx_suite._to_pandas(frame)
    assert str(data["dossier_id"].dtype) == "object"
    assert str(data["caw"].dtype) == "category"
    for column in frame.columns:  # NaN (categorical) and None (text) both read as null
        assert [None if pd.isna(x) else x for x in data[column]] == frame[column].to_list()


def test_a_gx_without_its_fingerprint_threshold_fails_loudly(failing_run, monkeypatch) -> None:
    """The batch fingerprint is switched off through GX's HASH_THRESHOLD; a GX version
    without that setting stops the validation instead of hashing every batch unseen."""
    from great_expectations.execution_engine import pandas_execution_engine

    from pipeline.gx_suite import ValidationMismatch

    ingested, _ = failing_run
    monkeypatch.delattr(pandas_execution_engine, "HASH_THRESHOLD")
    with pytest.raises(ValidationMismatch, match="HASH_THRESHOLD"):
        run_suite(ingested.frame, RUN_DATE)
