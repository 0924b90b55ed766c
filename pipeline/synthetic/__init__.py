"""Synthetic registrations with a known truth: `pwb synth`.

Real registrations are confidential, so the demo, tests and benchmarks run on
synthetic ones that look like CAW exports and follow a known statistical model.
`generate` writes OUT/registraties/ (run the pipeline with `--input
OUT/registraties`), OUT/truth.json (what generated the data) and
OUT/manifest.json (every file, and every injected defect with the verdict
validation must reach). Same seed and arguments give byte-identical files.

The data are made so that naive estimates fail in known ways (simulate.py): a
registration window with carried-in trajectories, outcome-specific closure hazards,
intake that grows differently per region and follows staffing to a power, and a
region with a higher eviction hazard; truth.json holds the marginal truth.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pipeline.synthetic.config import OUTCOMES, REFERENCES, SynthConfig, allowed_terms
from pipeline.synthetic.defects import (
    DEFECT,
    FILE,
    FILE_DEFECTS,
    ORDER,
    ROW_DEFECTS,
    inject_rows,
    national_register_number,
)
from pipeline.synthetic.files import (
    AGE_TEXT,
    CSV_CP1252,
    CSV_UTF8_BOM,
    DASH_DATES,
    FIRST_NOTE,
    NOTE,
    NOTES,
    FilePlan,
    csv_bytes,
    plan_files,
    write_file,
)
from pipeline.synthetic.options import add_synth_options, config_from_options
from pipeline.synthetic.simulate import Simulation, rng_stream, simulate

__all__ = ["OUTCOMES", "REFERENCES", "ROW_DEFECTS", "Simulation", "SynthConfig", "SynthSummary",
           "add_synth_options", "allowed_terms", "config_from_options", "generate", "simulate"]

FOLDER = "registraties"
TRUTH = "truth.json"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class SynthSummary:
    """What `generate` wrote."""

    files: tuple[Path, ...]  # every file in OUT/registraties, in name order
    rows: dict[str, int]  # rows per file name (injected defect files included)
    truth_path: Path
    manifest_path: Path
    trajectories: int  # simulated trajectories (without injected copies and defect files)

    @property
    def truth(self) -> Path:
        return self.truth_path

    @property
    def manifest(self) -> Path:
        return self.manifest_path

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _notes(rng: np.random.Generator, rows: pl.DataFrame, plans: Sequence[FilePlan],
           share: float) -> pl.Series:
    """Free text for the Windows-1252 files; each file's first row holds `;`, a newline
    and accented letters, so those files need the right encoding and quoting."""
    n = rows.height
    pick = rng.integers(0, len(NOTES), n)
    code = np.where(rng.random(n) < share, pick, -1)
    file = rows[FILE].to_numpy()
    first = np.r_[True, file[1:] != file[:-1]]
    cp1252 = np.array([p.variant == CSV_CP1252 for p in plans])[file]
    code[first & cp1252] = len(NOTES)
    code[~cp1252] = -1
    return pl.Series(NOTE, code).replace_strict(dict(enumerate((*NOTES, FIRST_NOTE))),
                                                default=None, return_dtype=pl.String)


def _check_previous(folder: Path, manifest: Path) -> None:
    """An earlier synth output may be replaced, but never files this generator did not write."""
    if not folder.exists():
        return
    present = {p.name for p in folder.iterdir()}
    listed: set[str] = set()
    if manifest.exists():
        listed = {f["file"] for f in json.loads(manifest.read_text("utf-8")).get("files", [])}
    stray = sorted(present - listed)
    if stray:
        raise FileExistsError(f"{folder} holds files that pwb synth did not write "
                              f"({', '.join(stray[:3])}...); choose another --out")


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _file_defects(rng: np.random.Generator, rows: pl.DataFrame, plans: Sequence[FilePlan],
                  folder: Path) -> list[tuple[FilePlan, int]]:
    """Extra files that must each be rejected whole by exactly one file rule."""
    clean = rows.filter(pl.col(DEFECT).is_null() & pl.col(NOTE).is_null())
    written = []
    for stem, rule in FILE_DEFECTS:
        home = plans[int(rng.integers(len(plans)))]
        sample = clean.filter(pl.col("caw") == home.caw)
        sample = sample[np.sort(rng.choice(sample.height, min(12, sample.height),
                                           replace=False))]
        sample = sample.with_columns(pl.col("dossier_id") + "B",
                                     pl.lit(None, dtype=pl.String).alias(NOTE))
        notes = [None] * sample.height
        variant, drop, extra, bad_bytes = CSV_CP1252, (), None, False
        if stem == "aanvulling":
            notes[min(3, sample.height - 1)] = (
                f"Rijksregisternummer {national_register_number(rng)} doorgegeven")
        elif stem == "export_zonder_aanmelding":
            variant, drop = CSV_UTF8_BOM, ("datum_aanmelding",)
        elif stem == "met_namen":
            variant = CSV_UTF8_BOM
            extra = {"Naam": pl.Series([None] * sample.height, dtype=pl.String)}
        else:
            notes[0], bad_bytes = "Export oud registratiesysteem §§", True
        sample = sample.with_columns(pl.Series(NOTE, notes, dtype=pl.String))
        data, _ = csv_bytes(sample, variant, drop=drop, extra=extra)
        if bad_bytes:  # 0x81 and 0x8D are undefined in Windows-1252 and invalid UTF-8
            data = data.replace("§§".encode("cp1252"), b"\x81\x8d")
        name = f"registratie_{home.caw}_{home.year}_{stem}.csv"
        (folder / name).write_bytes(data)
        written.append((FilePlan(name, variant, home.caw, home.year, rule.value),
                        sample.height))
    return written


def generate(out: Path, years: Sequence[int], seed: int, *, n_per_year: int | None = None,
             dirty: float = 0.0, config: SynthConfig | None = None) -> SynthSummary:
    """Write synthetic registration files, truth.json and manifest.json under `out`.

    `n_per_year` rescales all volumes by one factor so that on average about that many
    trajectories start per delivered year (from the registration window, or the warm-up
    year without a window, to the last year); the carried-in ones come on top.
    `dirty` > 0 injects about dirty x rows row defects (every kind at least once) and
    one file of each file defect.
    """
    if not 0.0 <= dirty < 1.0:
        raise ValueError("dirty must lie in [0, 1)")
    config = config or SynthConfig()
    out = Path(out)
    sim = simulate(years, seed, n_per_year=n_per_year, config=config)
    plans, file_of_row = plan_files(sim.frame, sim.regions, config.xlsx_max_rows)
    layout_rng = rng_stream(seed, 2)
    rows = sim.frame.with_columns(
        pl.Series(FILE, file_of_row), pl.Series(ORDER, np.arange(sim.frame.height)),
        pl.lit(None, dtype=pl.String).alias(DEFECT),
        pl.lit(None, dtype=pl.String).alias(AGE_TEXT),
        pl.Series(DASH_DATES, layout_rng.random(sim.frame.height)
                  < config.belgian_dash_date_share))
    rows = rows.with_columns(_notes(layout_rng, rows, plans, config.note_share))
    if dirty > 0:
        rows = inject_rows(rng_stream(seed, 1), rows, plans, dirty, sim.extract_date)

    out.mkdir(parents=True, exist_ok=True)
    folder, manifest_path, truth_path = out / FOLDER, out / MANIFEST, out / TRUTH
    _check_previous(folder, manifest_path)
    staging = out / f".{FOLDER}.tmp"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    created = dt.datetime.combine(sim.extract_date, dt.time(12, 0))
    row_defects: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    parts = rows.partition_by(FILE, as_dict=True, maintain_order=True)
    for index, plan in enumerate(plans):
        part = parts[(index,)].sort(ORDER)
        lines = write_file(part, plan, staging / plan.name, created)
        defect = part[DEFECT].to_numpy()
        for line, rule in zip(lines[defect != None], defect[defect != None],  # noqa: E711
                              strict=True):
            row_defects.append({"file": plan.name, "line": int(line), "rule": rule})
        files.append({"file": plan.name, "variant": plan.variant, "caw": plan.caw,
                      "year": plan.year, "rows": part.height, "defect": None})
    file_defects = []
    if dirty > 0:
        for plan, height in _file_defects(rng_stream(seed, 3), rows, plans, staging):
            files.append({"file": plan.name, "variant": plan.variant, "caw": plan.caw,
                          "year": plan.year, "rows": height, "defect": plan.defect})
            file_defects.append({"file": plan.name, "rule": plan.defect})
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(staging, folder)

    files.sort(key=lambda f: f["file"])
    row_defects.sort(key=lambda d: (d["file"], d["line"], d["rule"]))
    duplicates = (rows.filter(pl.col(DEFECT) == "dubbel_dossier")
                  .group_by("caw", "dossier_id", maintain_order=True)
                  .agg(pl.col(FILE).map_elements(lambda f: plans[f].name, return_dtype=pl.String)
                       .sort().alias("files"))
                  .sort("caw", "dossier_id").to_dicts())
    accepted = [f for f in files if f["defect"] is None]
    manifest = {
        "seed": seed, "years": list(sim.requested_years), "dirty": dirty,
        "extract_date": sim.extract_date.isoformat(),
        "files": files,
        "row_defects": row_defects,
        "file_defects": file_defects,
        "duplicates": duplicates,
        "expected": {
            "rows_in": sum(f["rows"] for f in accepted),
            "rows_quarantined": len({(d["file"], d["line"]) for d in row_defects}),
            "files_rejected": len(file_defects),
        },
        "row_defect_kinds": list(ROW_DEFECTS) if dirty > 0 else [],
    }
    truth = {**sim.truth, "files": [f["file"] for f in accepted]}
    _write_json(truth_path, truth)
    _write_json(manifest_path, manifest)
    return SynthSummary(
        files=tuple(sorted(folder / f["file"] for f in files)),
        rows={f["file"]: f["rows"] for f in files},
        truth_path=truth_path, manifest_path=manifest_path, trajectories=sim.frame.height)
