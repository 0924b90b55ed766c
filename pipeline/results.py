"""results.json: the machine-readable outcome of one reporting year, assembled in one place.

`assemble_results` builds the whole document (provenance, counts, the model and indicator
blocks, the settings), stamps `schema_version` and validates it against the JSON Schema
beside this module (`results.schema.json`, draft 2020-12) on every build: a renamed or
missing key fails the run here, not as a "–" in the report a week later. Validation takes
tens of milliseconds, so it always runs; every results.json a run or a test writes has
passed it.

No run timestamp and no identifiers: the same inputs and settings give the same bytes.
Keys follow mission.md's fixed interface; a new key is described in the schema first
(with a Dutch description), then `python -m pipeline.results --docs` regenerates
docs/results.md, the field-by-field description for the department (a test keeps the two
equal).
"""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.reference import Reference, unknown_references
from pipeline.validation import rule_counts
from pipeline.years import cutoff, year_counts

SCHEMA_VERSION = "1.0"
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")
DOCS_FILE = Path(__file__).resolve().parents[1] / "docs" / "results.md"

FILE_COLUMNS = ("bestand", "rijen_in", "rijen_geldig", "rijen_quarantaine", "geweigerd",
                "regel", "melding", "waarschuwingen")
# The model and indicator blocks in the order results.json holds them (the documented order).
BLOCKS = ("time_to_closure", "duration", "cox", "cause_specific", "fine_gray",
          "cumulative_incidence", "eviction_avoided", "regional_comparison", "indicators",
          "need_supply", "trends", "intake", "reinforcement")


class ResultsSchemaError(ValueError):
    """results.json does not follow results.schema.json (Dutch message, paths named)."""


def _provenance(year: int, files: pl.DataFrame, quarantine: pl.DataFrame,
                trajectories: pl.DataFrame, reference: Reference, *,
                synthetic: bool) -> dict[str, Any]:
    counts = year_counts(trajectories)
    rows_in = int(files["rijen_in"].sum())
    rows_valid = int(files["rijen_geldig"].sum())
    rows_quarantined = int(files["rijen_quarantaine"].sum())
    if rows_in != rows_valid + rows_quarantined or rows_valid != trajectories.height:
        raise ValueError("boekhouding klopt niet: rijen in != geldig + quarantaine")
    return {
        "year": year,
        "cutoff": cutoff(year).isoformat(),
        "counts": {
            "rows_in": rows_in,
            "rows_valid": rows_valid,
            "rows_quarantined": rows_quarantined,
            "files_rejected": int(files["geweigerd"].sum()),
            "active": counts["active"],
            "closed": counts["closed"],
            "open_at_cutoff": counts["open_at_cutoff"],
            "out_of_scope": counts["out_of_scope"],
        },
        "validation": {
            "rules_broken": rule_counts(quarantine),
            "files": [{k: row[k] for k in FILE_COLUMNS} for row in files.iter_rows(named=True)],
            "unknown_to_reference": unknown_references(trajectories, reference),
        },
        "data": {"synthetic": synthetic, "illustrative_reference": reference.illustrative,
                 "reference_sources": reference.sources},
    }


def assemble_results(year: int, files: pl.DataFrame, quarantine: pl.DataFrame,
                     trajectories: pl.DataFrame, reference: Reference, *, synthetic: bool,
                     blocks: Mapping[str, dict], settings: dict) -> dict[str, Any]:
    """The whole results.json of `year`, validated against the schema.

    `files`/`quarantine`: the file report and quarantine of the run; `blocks`: the model
    and indicator results by their results.json key (one of `BLOCKS`; the required ones
    are required by the schema); `settings`: the settings in force (models, threshold,
    norms, cut-off rules, run date). Raises `ResultsSchemaError` when the document does
    not follow the schema.
    """
    unknown = sorted(set(blocks) - set(BLOCKS))
    if unknown:
        raise ResultsSchemaError(f"results.json kent geen blok {', '.join(unknown)}: beschrijf "
                                 f"het eerst in {SCHEMA_FILE.name} en in BLOCKS")
    results = {"schema_version": SCHEMA_VERSION,
               **_provenance(year, files, quarantine, trajectories, reference,
                             synthetic=synthetic),
               **{key: blocks[key] for key in BLOCKS if key in blocks},
               "settings": settings}
    validate_results(results)
    return results


@functools.cache
def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    # The schema itself is checked against the meta-schema by tests/test_results_schema.py,
    # not at every run (0.15 s of a small run's 0.2 s here).
    return Draft202012Validator(load_schema())


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "(het document)"


def validate_results(results: Mapping[str, Any]) -> None:
    """Raise `ResultsSchemaError` naming every place where `results` leaves the schema."""
    errors = sorted(_validator().iter_errors(results), key=lambda e: [str(p) for p in e.path])
    if not errors:
        return
    lines = [f"- {_where(e.absolute_path)}: {e.message[:300]}" for e in errors[:20]]
    more = f"\n- … en nog {len(errors) - 20}" if len(errors) > 20 else ""
    raise ResultsSchemaError(
        f"results.json volgt het schema {SCHEMA_FILE.name} niet ({len(errors)} fout(en)):\n"
        + "\n".join(lines) + more + "\nEen nieuwe sleutel? Beschrijf hem in het schema en "
        "maak docs/results.md opnieuw met `python -m pipeline.results --docs`.")


# --------------------------------------------------------------------------- documentation


_TYPES = {"integer": "geheel getal", "number": "getal", "string": "tekst", "boolean": "ja/nee",
          "null": "leeg", "array": "lijst", "object": "object"}


def _resolve(node: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A node with its $ref and allOf merged in; the node's own description wins."""
    out: dict[str, Any] = {}
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        out |= _resolve(schema["$defs"][name], schema)
    for part in node.get("allOf", []):
        merged = _resolve(part, schema)
        out["properties"] = {**out.get("properties", {}), **merged.get("properties", {})}
        out["required"] = [*out.get("required", []), *merged.get("required", [])]
        out.setdefault("type", merged.get("type"))
    for key, value in node.items():
        if key in ("$ref", "allOf"):
            continue
        if key in ("properties", "required") and key in out:
            value = ({**out[key], **value} if key == "properties"
                     else [*out[key], *value])
        out[key] = value
    return out


def _type_label(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if "const" in node:
        return f"vast: `{node['const']}`"
    if "enum" in node:
        return "een van " + ", ".join("leeg" if v is None else f"`{v}`" for v in node["enum"])
    if "prefixItems" in node:
        return "interval [onder, boven] (getallen of leeg)"
    kinds = node.get("type", "object")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "pattern" in node and "-" in node["pattern"]:
        shape = "datum (JJJJ-MM-DD)" if "{4}" in node["pattern"] else "dag (MM-DD)"
        return f"{shape} of leeg" if "null" in kinds else shape
    if kinds == ["integer"] and node.get("minimum") == 0:
        return "aantal (geheel getal ≥ 0)"
    if "maximum" in node and node.get("minimum") == 0:
        return "aandeel 0–1 of leeg" if "null" in kinds else "aandeel 0–1"
    if kinds == ["array"]:
        items = _resolve(node.get("items", {}), schema)
        if items.get("type", "object") == "object" and "prefixItems" not in items:
            return "lijst van objecten"
        return f"lijst van: {_type_label(items, schema)}"
    return " of ".join(_TYPES[k] for k in kinds)


def _rows(node: Mapping[str, Any], path: str, schema: Mapping[str, Any],
          required: bool) -> list[tuple[str, str, str, str]]:
    node = _resolve(node, schema)
    rows = [(path, _type_label(node, schema), "ja" if required else "nee",
             " ".join(node.get("description", "").split()))] if path else []
    if node.get("type", "object") == "array" and "prefixItems" not in node:
        items = _resolve(node.get("items", {}), schema)
        if items.get("type", "object") == "object":
            rows += _children(items, f"{path}[]", schema)
        return rows
    if "properties" in node or "additionalProperties" in node or "patternProperties" in node:
        rows += _children(node, path, schema)
    return rows


def _children(node: Mapping[str, Any], path: str,
              schema: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    prefix = f"{path}." if path else ""
    rows = []
    needed = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        rows += _rows(child, f"{prefix}{key}", schema, key in needed)
    for pattern, child in node.get("patternProperties", {}).items():
        shown = pattern.strip("^$").replace("[0-9]+", "<getal>")
        rows += _rows(child, f"{prefix}{shown}", schema, False)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        rows += _rows(extra, f"{prefix}<sleutel>", schema, False)
    return rows


def schema_markdown(schema: Mapping[str, Any] | None = None) -> str:
    """docs/results.md: one table per top-level key, from the schema's descriptions."""
    schema = schema or load_schema()
    out = [f"# results.json: beschrijving per veld (schema {SCHEMA_VERSION})", "",
           "<!-- Gemaakt uit pipeline/results.schema.json met `python -m pipeline.results "
           "--docs`; pas het schema aan, niet dit bestand. -->", "",
           " ".join(schema["description"].split()), "",
           "Elk jaar krijgt een eigen `results.json` in de uitvoermap (`OUT/<jaar>/`). "
           "Hieronder staat elke sleutel met haar soort waarde, of ze altijd aanwezig is "
           "(verplicht) en wat ze betekent. Een pad als `a.b[].c` betekent: veld `c` van "
           "elk element van de lijst `b` in het object `a`; `<sleutel>` staat voor een "
           "vrij gekozen sleutel (een kenmerk, een regel, een bestand).", ""]
    required = set(schema.get("required", []))
    for key, child in schema["properties"].items():
        node = _resolve(child, schema)
        state = "verplicht" if key in required else "facultatief"
        out += [f"## `{key}` ({state})", "", " ".join(node.get("description", "").split()), ""]
        rows = _rows(child, "", schema, key in required) if "properties" in node or \
            node.get("type") == "object" else []
        if not rows:
            out += [f"Soort: {_type_label(node, schema)}.", ""]
            continue
        out += ["| Veld | Soort | Verplicht | Betekenis |", "|---|---|---|---|"]
        out += [f"| `{path}` | {kind} | {needed} | {text.replace('|', '/')} |"
                for path, kind, needed, text in rows]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.results")
    parser.add_argument("--docs", action="store_true",
                        help=f"schrijf {DOCS_FILE.relative_to(DOCS_FILE.parents[1])} uit het "
                             "schema")
    parser.add_argument("--check", nargs="*", metavar="RESULTS_JSON",
                        help="controleer results.json-bestanden tegen het schema")
    args = parser.parse_args(argv)
    if args.docs:
        DOCS_FILE.parent.mkdir(parents=True, exist_ok=True)
        DOCS_FILE.write_text(schema_markdown(), encoding="utf-8")
        print(f"geschreven: {DOCS_FILE}")
    for name in args.check or []:
        validate_results(json.loads(Path(name).read_text(encoding="utf-8")))
        print(f"{name}: volgt het schema")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
