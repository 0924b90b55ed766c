"""results.json is assembled in one function and follows its JSON Schema (issue 13, item 3).

Every results.json a run writes (here and in every other test that runs the pipeline)
went through `assemble_results`, which validates it; these tests show that the schema
is a real draft 2020-12 schema that describes every key, that it rejects what it must,
that the new estimand blocks of issue 12 fit it in the shapes the issue fixes, and that
docs/results.md is generated from it.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from year_run import year_outputs

from pipeline.results import (
    BLOCKS,
    DOCS_FILE,
    SCHEMA_VERSION,
    ResultsSchemaError,
    load_schema,
    schema_markdown,
    validate_results,
)


@pytest.fixture(scope="module")
def written() -> dict[str, Any]:
    """results.json of a real run (pwb run on a small synthetic delivery)."""
    return json.loads((year_outputs() / "results.json").read_text(encoding="utf-8"))


def _errors(results: dict) -> str:
    with pytest.raises(ResultsSchemaError) as caught:
        validate_results(results)
    return str(caught.value)


def test_schema_is_draft_2020_12_and_every_field_is_described() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"] == {
        "const": SCHEMA_VERSION, "description": "Versie van dit schema."}
    undescribed = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, child in node.get("properties", {}).items():
                target = schema["$defs"][child["$ref"].split("/")[-1]] if "$ref" in child \
                    else child  # a bare $ref carries the description of its definition
                if "description" not in child and "description" not in target:
                    undescribed.append(f"{path}.{key}")
            for key, child in node.items():
                walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}[{i}]")

    walk(schema, "")
    assert undescribed == []
    assert set(BLOCKS) | {"settings"} <= set(schema["properties"])


def test_a_real_results_json_follows_the_schema(written: dict) -> None:
    assert next(iter(written)) == "schema_version" and written["schema_version"] == "1.0"
    validate_results(written)  # the run validated it already; the file as written too
    # the documented order: provenance, the blocks in BLOCKS order, settings last
    order = [k for k in written if k in BLOCKS]
    assert order == [k for k in BLOCKS if k in written] and list(written)[-1] == "settings"


def test_the_schema_describes_every_key_a_run_writes(written: dict) -> None:
    """No key of a real results.json slips through an open object: each path is in the
    schema as a property (or a described map such as by_group.<kenmerk>)."""
    schema = load_schema()
    closed = []

    def resolved(node: dict) -> dict:
        """The node with its $ref and the properties of its allOf parts merged in."""
        if "$ref" in node:
            node = {**schema["$defs"][node["$ref"].split("/")[-1]],
                    **{k: v for k, v in node.items() if k != "$ref"}}
        node = {**node, "properties": dict(node.get("properties", {}))}
        for part in node.get("allOf", []):
            part = resolved(part)
            node["properties"] |= part["properties"]
            for key in ("items", "additionalProperties", "patternProperties"):
                if key in part and key not in node:
                    node[key] = part[key]
        return node

    def walk(node: dict, value: Any, path: str) -> None:
        node = resolved(node)
        if isinstance(value, dict):
            props = node["properties"]
            for key, child in value.items():
                if key in props:
                    walk(props[key], child, f"{path}.{key}")
                elif isinstance(node.get("additionalProperties"), dict):
                    walk(node["additionalProperties"], child, f"{path}.{key}")
                elif not any(re.search(p, key) for p in node.get("patternProperties", {})):
                    closed.append(f"{path}.{key}")
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for child in value:
                walk(node["items"], child, f"{path}[]")

    walk(schema, written, "")
    assert closed == [], "\n".join(closed)


@pytest.mark.parametrize(("change", "where"), [
    (lambda r: r["counts"].pop("active"), "counts: 'active' is a required property"),
    (lambda r: r.update(extra_block={}), "'extra_block' was unexpected"),
    (lambda r: r["counts"].update(closed="1389"), "counts.closed: '1389' is not of type"),
    (lambda r: r["cox"]["terms"][0].update(hr_ci=[1.0]), "cox.terms[0].hr_ci"),
    (lambda r: r.update(cutoff="31-12-2013"), "cutoff: '31-12-2013' does not match"),
    (lambda r: r["indicators"]["overall"].update(eviction_avoided_rate=1.5),
     "indicators.overall.eviction_avoided_rate: 1.5 is greater than the maximum"),
    (lambda r: r.update(schema_version="0.9"), "schema_version: '1.0' was expected"),
    (lambda r: r["cumulative_incidence"]["events"].update(onbekend=-1),
     "cumulative_incidence.events.onbekend: -1 is less than the minimum"),
])
def test_the_schema_rejects_what_it_must(written: dict, change, where: str) -> None:
    broken = copy.deepcopy(written)
    change(broken)
    assert where in _errors(broken)


def issue_12_blocks() -> dict[str, Any]:
    """The new blocks in the shapes issue 12 fixes ("results.json (fixed interface)");
    regional_comparison as one such block per outcome (evictions, avoided evictions)."""
    row = {"n": 300, "events": 120, "median_days": 227.0, "rmst_days": 262.4,
           "rmst_ci": [250.1, 274.9]}
    cs_term = {"term": "procedure_gestart", "coef": 0.742, "se": 0.1, "hr": 2.1,
               "lower": 1.72, "upper": 2.56, "p": 1e-12}
    factor = [{"factor": "gezinstype", "chi2": 7.2, "df": 4, "p": 0.126}]
    return {
        "duration": {"basis": "period", "period_start": "2013-01-01", "n": 2700,
                     "events": 1389, "median_days": 217.0, "median_ci": [209.0, 226.0],
                     "tau_days": 730, "rmst_days": 268.3, "rmst_ci": [259.0, 277.7],
                     "study_mean_days": 274,
                     "by_caw": [{"caw": "OVL", **row}],
                     "by_start_year": [{"year": 2010, **row, "complete": False},
                                       {"year": 2011, **row, "median_days": None,
                                        "complete": True}]},
        "cause_specific": {o: {"n": 4111, "events": 500, "terms": [cs_term],
                               "factor_tests": factor}
                           for o in ("vermeden", "uithuisgezet", "niet_vermeden", "onbekend")},
        "fine_gray": {"uithuisgezet": {"n": 4111, "events": 512, "terms": [
            {"term": "procedure_gestart", "coef": 0.61, "se": 0.09, "shr": 1.84,
             "lower": 1.54, "upper": 2.2, "p": 3e-11}]}},
        "regional_comparison": {
            "uithuisgezet": {"outcome": "uithuisgezet", "per_caw": [
                {"caw": "OVL", "n": 229, "observed": 31, "expected": 24.2, "ratio": 1.28,
                 "limits95": [0.62, 1.41], "limits998": [0.45, 1.62], "signal": None},
                {"caw": "BRU", "n": 120, "observed": 30, "expected": 12.0, "ratio": 2.5,
                 "limits95": [0.5, 1.6], "limits998": [0.3, 2.0], "signal": "hoger"}]},
            "vermeden": {"outcome": "vermeden", "per_caw": [
                {"caw": "OVL", "n": 229, "observed": 151, "expected": 150.2, "ratio": 1.01,
                 "limits95": [0.85, 1.16], "limits998": [0.76, 1.26], "signal": None}]}},
    }


def _with_issue_12(written: dict) -> dict:
    results = copy.deepcopy(written)
    results.update(issue_12_blocks())
    ev = results["eviction_avoided"]
    ev.update(cov_type="nonrobust (CAW-vaste effecten)", cluster=None, n_clusters=None,
              factor_tests=[{"factor": "inkomensbron", "chi2": 12.1, "df": 6, "p": 0.06}],
              predicted=[{"factor": "gezinstype", "level": "alleenstaand", "share": 0.66,
                          "lower": 0.61, "upper": 0.7}],
              unknown_bounds=[0.645, 0.674])
    ev["terms"].append({"term": "caw[OVL]", "coef": 0.1, "se": 0.2, "or": 1.105,
                        "or_ci": [0.75, 1.63], "p": 0.62})
    results["cox"]["factor_tests"] = [{"factor": "gezinstype", "chi2": 3.0, "df": 4, "p": 0.56}]
    ci = results["cumulative_incidence"]
    ci["events"].update(niet_vermeden=400, onbekend=96)
    for part in (ci, ci["lower"], ci["upper"], ci["curve"], ci["curve"]["lower"],
                 ci["curve"]["upper"]):
        part.update(niet_vermeden=list(part["ander"]), onbekend=list(part["ander"]))
    return results


def test_the_blocks_of_issue_12_fit_in_their_fixed_shapes(written: dict) -> None:
    validate_results(_with_issue_12(written))


@pytest.mark.parametrize(("change", "where"), [
    (lambda r: r["regional_comparison"]["uithuisgezet"]["per_caw"][0].update(signal="higher"),
     "regional_comparison.uithuisgezet.per_caw[0].signal: 'higher' is not one of"),
    (lambda r: r["regional_comparison"].pop("vermeden"),
     "regional_comparison: 'vermeden' is a required property"),
    (lambda r: r["duration"]["by_caw"][0].pop("caw"), "duration.by_caw[0]: 'caw' is a required"),
    (lambda r: r["duration"]["by_start_year"][0].update(rmst_ci=[1, 2, 3]),
     "duration.by_start_year[0].rmst_ci"),
    (lambda r: r["cause_specific"].update(ander={}), "'ander' was unexpected"),
    (lambda r: r["fine_gray"]["uithuisgezet"]["terms"][0].pop("shr"),
     "fine_gray.uithuisgezet.terms[0]: 'shr' is a required property"),
    (lambda r: r["eviction_avoided"]["predicted"][0].update(share=66.0),
     "eviction_avoided.predicted[0].share: 66.0 is greater than the maximum"),
    (lambda r: r["eviction_avoided"]["factor_tests"][0].pop("df"),
     "eviction_avoided.factor_tests[0]: 'df' is a required property"),
])
def test_wrong_shapes_of_the_new_blocks_are_refused(written: dict, change, where: str) -> None:
    results = _with_issue_12(written)
    change(results)
    assert where in _errors(results)


def test_docs_are_generated_from_the_schema() -> None:
    """docs/results.md is `python -m pipeline.results --docs`; regenerate after a change."""
    assert DOCS_FILE.read_text(encoding="utf-8") == schema_markdown(), \
        "docs/results.md wijkt af van het schema: draai `python -m pipeline.results --docs`"
    text = DOCS_FILE.read_text(encoding="utf-8")
    for path in ("`by_group.<sleutel>.levels[].median_ci`", "`uithuisgezet.per_caw[].signal`",
                 "`by_start_year[].complete`", "`terms[].or_ci`", "`unknown_bounds`"):
        assert path in text, path
