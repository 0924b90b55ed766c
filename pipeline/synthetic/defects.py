"""Injected defects with an exact expected verdict (`--dirty RATE`).

Why so careful: the manifest is the answer key of the validation tests, row for
row. Each row defect is chosen so that it breaks exactly its one rule (e.g. an
impossible start date goes only to open trajectories, where no order rule can
fire as well), and each file defect breaks exactly one file rule, checked in the
order ingest checks them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl

from pipeline.contract import FIRST_PROJECT_DATE, RULES_BY_NAME, FileRule
from pipeline.synthetic.files import AGE_TEXT, NOTE, TEXT_VARIANTS, VARIANTS, FilePlan
from pipeline.synthetic.simulate import day_number

DEFECT = "_defect"
FILE = "_file"
ORDER = "_order"

ROW_DEFECTS: tuple[str, ...] = (
    "verplicht:datum_start",
    "onleesbaar:leeftijd",
    "code:gezinstype",
    "bereik:leeftijd",
    "datumbereik:datum_start",
    "afsluiting_ontbreekt:afsluitreden",
    "afsluiting_bij_open_dossier:afsluitreden",
    "volgorde:datum_start",
    "volgorde:datum_afsluiting",
    "contacten_huisbezoeken",
    "uithuisgezet_niet_vermeden",
    "dubbel_dossier",
)
_unknown = set(ROW_DEFECTS) - set(RULES_BY_NAME)
assert not _unknown, f"row defects without a contract rule: {_unknown}"

FUTURE_SHIFT_DAYS = 32_872  # about 90 years: "2102" typed for "2012"


def _days(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Int32).fill_null(-(10**9)).to_numpy().astype(np.int64)


def inject_rows(rng: np.random.Generator, rows: pl.DataFrame, plans: Sequence[FilePlan],
                rate: float, last_valid_day: dt.date) -> pl.DataFrame:
    """Break about `rate` x rows (each kind at least once), one rule per chosen row.

    `rows` holds every registration row with its file index (`_file`) and order in
    the file (`_order`); the result adds `_defect` (rule name or null) and, for
    `dubbel_dossier`, a copy of each chosen row appended to another file of its CAW.
    """
    n = rows.height
    variant = np.array([p.variant for p in plans], dtype=object)[rows[FILE].to_numpy()]
    closed = rows["datum_afsluiting"].is_not_null().to_numpy()
    start = _days(rows["datum_start"])
    visits = rows["aantal_huisbezoeken"].fill_null(-1).to_numpy()
    contacts_known = rows["aantal_contacten"].is_not_null().to_numpy()
    first_day, last_day = day_number(FIRST_PROJECT_DATE), day_number(last_valid_day)
    files_of_caw: dict[str, list[int]] = {}
    for i, plan in enumerate(plans):
        files_of_caw.setdefault(plan.caw, []).append(i)
    caw = rows["caw"].to_numpy()
    several_files = np.array([len(files_of_caw[c]) > 1 for c in caw], dtype=bool)
    eligible = {
        "verplicht:datum_start": np.ones(n, dtype=bool),
        "onleesbaar:leeftijd": np.isin(variant, TEXT_VARIANTS),
        "code:gezinstype": np.ones(n, dtype=bool),
        "bereik:leeftijd": np.ones(n, dtype=bool),
        "datumbereik:datum_start": ~closed,
        "afsluiting_ontbreekt:afsluitreden": closed,
        "afsluiting_bij_open_dossier:afsluitreden": ~closed,
        "volgorde:datum_start": start < last_day,
        "volgorde:datum_afsluiting": closed & (start > first_day),
        "contacten_huisbezoeken": (visits >= 1) & contacts_known,
        "uithuisgezet_niet_vermeden": closed,
        "dubbel_dossier": several_files,
    }
    total = max(len(ROW_DEFECTS), round(rate * n))
    counts = 1 + rng.multinomial(total - len(ROW_DEFECTS),
                                 np.full(len(ROW_DEFECTS), 1 / len(ROW_DEFECTS)))
    used = np.zeros(n, dtype=bool)
    chosen: dict[str, np.ndarray] = {}
    for i, (kind, count) in enumerate(zip(ROW_DEFECTS, counts, strict=True)):
        # The first row of each kind comes from a rotating variant where possible, so
        # every variant's line numbering is put to the test.
        preferred = np.flatnonzero(eligible[kind] & ~used & (variant == VARIANTS[i % 4]))
        pool = preferred if len(preferred) else np.flatnonzero(eligible[kind] & ~used)
        if len(pool) == 0:
            raise ValueError(f"too few rows to inject the defect {kind}; generate more rows")
        first = pool[rng.integers(len(pool))]
        used[first] = True
        pool = np.flatnonzero(eligible[kind] & ~used)
        more = rng.choice(pool, size=min(int(count) - 1, len(pool)), replace=False)
        pick = np.sort(np.r_[first, more]).astype(np.int64)
        used[pick] = True
        chosen[kind] = pick

    def mask(kind: str) -> pl.Series:
        m = np.zeros(n, dtype=bool)
        m[chosen[kind]] = True
        return pl.Series(m)

    u = rng.random(n)
    late_referral = start + 1 + np.floor(u * np.clip(last_day - start, 1, 30)).astype(np.int64)
    early_closure = start - 1 - np.floor(u * np.clip(start - first_day, 1, 30)).astype(np.int64)
    label = np.full(n, -1, dtype=np.int64)
    for k, kind in enumerate(ROW_DEFECTS):
        label[chosen[kind]] = k

    def where(kind: str, value, column: str) -> pl.Expr:
        return pl.when(mask(kind)).then(value).otherwise(pl.col(column)).alias(column)

    def as_date(days: np.ndarray) -> pl.Series:
        return pl.Series(days.astype(np.int32)).cast(pl.Date)

    out = rows.with_columns(
        pl.Series(DEFECT, label).replace_strict(dict(enumerate(ROW_DEFECTS)), default=None,
                                                return_dtype=pl.String),
        pl.when(mask("verplicht:datum_start")).then(None)
        .when(mask("datumbereik:datum_start"))
        .then(pl.col("datum_start") + pl.duration(days=FUTURE_SHIFT_DAYS))
        .otherwise(pl.col("datum_start")).alias("datum_start"),
        where("onleesbaar:leeftijd", pl.format("ongeveer {}", "leeftijd"), AGE_TEXT),
        where("code:gezinstype", pl.lit("samenwonend"), "gezinstype"),
        where("bereik:leeftijd", pl.Series(np.where(u < 0.5, 7, 117)), "leeftijd"),
        pl.when(mask("afsluiting_ontbreekt:afsluitreden")).then(None)
        .when(mask("afsluiting_bij_open_dossier:afsluitreden")).then(pl.lit("doelen_bereikt"))
        .when(mask("uithuisgezet_niet_vermeden")).then(pl.lit("uithuisgezet"))
        .otherwise(pl.col("afsluitreden")).alias("afsluitreden"),
        where("uithuisgezet_niet_vermeden", pl.lit("ja"), "uithuiszetting_vermeden"),
        where("volgorde:datum_start", as_date(late_referral), "datum_aanmelding"),
        where("volgorde:datum_afsluiting", as_date(early_closure), "datum_afsluiting"),
        where("contacten_huisbezoeken", pl.col("aantal_huisbezoeken") - 1, "aantal_contacten"),
    )
    # A re-delivered trajectory: the same dossier in another file of the same CAW.
    originals = chosen["dubbel_dossier"]
    own = rows[FILE].to_numpy()[originals]
    target = np.array([
        (others := [f for f in files_of_caw[caw[i]] if f != f_own])[rng.integers(len(others))]
        for i, f_own in zip(originals, own, strict=True)], dtype=np.int64)
    copies = out[originals].with_columns(
        pl.Series(FILE, target), pl.Series(ORDER, n + np.arange(len(originals))),
        pl.lit(None, dtype=pl.String).alias(NOTE))
    return pl.concat([out, copies], how="vertical")


def national_register_number(rng: np.random.Generator) -> str:
    """A fictitious but check-valid Belgian national register number (born in the 1900s):
    the check digits are 97 - (first nine digits mod 97)."""
    born = dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(0, 18_000)))
    serial = int(rng.integers(1, 998))
    base = int(f"{born:%y%m%d}{serial:03d}")
    check = 97 - base % 97
    return f"{born:%y.%m.%d}-{serial:03d}.{check:02d}"


FILE_DEFECTS: tuple[tuple[str, FileRule], ...] = (
    ("aanvulling", FileRule.PERSONAL_DATA),  # a national register number in `opmerking`
    ("export_zonder_aanmelding", FileRule.MISSING_COLUMN),
    ("met_namen", FileRule.PERSONAL_DATA),  # a direct-identifier header
    ("oud_systeem", FileRule.UNREADABLE),  # bytes that are neither UTF-8 nor Windows-1252
)
