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


ISSUE_12 = {  # the fixed interface of issue 12 ("results.json (fixed interface)")
    "duration": {"basis", "period_start", "n", "events", "median_days", "median_ci", "tau_days",
                 "rmst_days", "rmst_ci", "study_mean_days", "by_caw", "by_start_year"},
    "duration.by_caw": {"caw", "n", "events", "median_days", "rmst_days", "rmst_ci"},
    "duration.by_start_year": {"year", "n", "events", "median_days", "rmst_days", "rmst_ci",
                               "complete"},
    "cause_specific.*": {"n", "events", "terms", "factor_tests"},
    "cause_specific.*.terms": {"term", "coef", "se", "hr", "lower", "upper", "p"},
    "cause_specific.*.factor_tests": {"factor", "chi2", "df", "p"},
    "fine_gray.uithuisgezet": {"n", "events", "terms"},
    "fine_gray.uithuisgezet.terms": {"term", "coef", "se", "shr", "lower", "upper", "p"},
    "eviction_avoided": {"cov_type", "factor_tests", "predicted", "unknown_bounds"},
    "eviction_avoided.predicted": {"factor", "level", "share", "lower", "upper"},
    "regional_comparison": {"outcome", "per_caw", "vermeden"},
    "regional_comparison.per_caw": {"caw", "n", "observed", "expected", "ratio", "limits95",
                                    "limits998", "signal"},
    "regional_comparison.vermeden": {"outcome", "per_caw"},
    "regional_comparison.vermeden.per_caw": {"caw", "n", "observed", "expected", "ratio",
                                             "limits95", "limits998", "signal"},
}


def _at(results: dict, path: str) -> list[dict]:
    """The objects at a dotted path ('*' = every value of a map; lists are flattened)."""
    found: list[Any] = [results]
    for part in path.split("."):
        step = []
        for node in found:
            values = list(node.values()) if part == "*" else [node[part]]
            for value in values:
                step += value if isinstance(value, list) else [value]
        found = step
    return found


def test_a_run_writes_the_blocks_of_issue_12_with_their_fixed_keys(written: dict) -> None:
    assert set(written["cause_specific"]) == {"vermeden", "uithuisgezet", "niet_vermeden",
                                              "onbekend"}
    assert written["regional_comparison"]["outcome"] == "uithuisgezet"
    assert written["regional_comparison"]["vermeden"]["outcome"] == "vermeden"
    assert set(written["cumulative_incidence"]["events"]) == {
        "vermeden", "uithuisgezet", "ander", "niet_vermeden", "onbekend"}
    assert written["duration"]["tau_days"] == 730 and written["duration"]["basis"] == "period"
    assert any(t["term"].startswith("caw[") for t in written["eviction_avoided"]["terms"])
    assert len(written["eviction_avoided"]["unknown_bounds"]) == 2
    for path, keys in ISSUE_12.items():
        objects = _at(written, path)
        assert objects, path
        for obj in objects:
            assert keys <= set(obj), (path, sorted(keys - set(obj)))


@pytest.mark.parametrize(("change", "where"), [
    (lambda r: r["regional_comparison"]["per_caw"][0].update(signal="higher"),
     "regional_comparison.per_caw[0].signal: 'higher' is not one of"),
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
    results = copy.deepcopy(written)
    change(results)
    assert where in _errors(results)


def test_docs_are_generated_from_the_schema() -> None:
    """docs/results.md is `python -m pipeline.results --docs`; regenerate after a change."""
    assert DOCS_FILE.read_text(encoding="utf-8") == schema_markdown(), \
        "docs/results.md wijkt af van het schema: draai `python -m pipeline.results --docs`"
    text = DOCS_FILE.read_text(encoding="utf-8")
    for path in ("`by_group.<sleutel>.levels[].median_ci`", "`vermeden.per_caw[].signal`",
                 "`by_start_year[].complete`", "`terms[].or_ci`", "`unknown_bounds`"):
        assert path in text, path
