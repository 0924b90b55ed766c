"""results.json: the machine-readable outcome of one reporting year.

No run timestamp and no identifiers: the same inputs and settings give the
same bytes. Keys follow mission.md's fixed interface; later issues add to it.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pipeline.reference import Reference, unknown_references
from pipeline.validation import rule_counts
from pipeline.years import cutoff, year_counts

FILE_COLUMNS = ("bestand", "rijen_in", "rijen_geldig", "rijen_quarantaine", "geweigerd",
                "regel", "melding", "waarschuwingen")


def build_results(year: int, files: pl.DataFrame, quarantine: pl.DataFrame,
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
