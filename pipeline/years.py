"""The year definitions of registration-format.md, as one function.

Reporting year Y has cut-off Y-12-31. Follow-up is truncated at the cut-off:
a closure after it counts as still open (censored at the cut-off), and a
trajectory starting after it is out of scope for Y. So re-running Y later,
with later extracts present, gives the same answer.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipeline.contract import COLUMN_NAMES, PSEUDONYMISED_COLUMNS

#: The four closure outcomes (competing events) of registration-format.md, "Definitions".
OUTCOMES = ("vermeden", "uithuisgezet", "niet_vermeden", "onbekend")
#: ``ander`` = the closures that are neither avoided nor an eviction (the last two together).
OTHER_OUTCOMES = ("niet_vermeden", "onbekend")
# The rules above in words, as results.json and the methods chapter record them. Fixed by
# the registration format, so not a setting: another day would change every analysis.
CUTOFF_RULES = {
    "peildatum": "31 december van het registratiejaar",
    "afsluiting_na_peildatum": "telt als open (gecensureerd op de peildatum)",
    "start_na_peildatum": "buiten het jaar (geldig, geteld, niet geanalyseerd)",
}
# The one order of the trajectories frame, whatever the order of the files and rows of
# the delivery: by region, then by a 64-bit hash of every other delivered value, the
# pseudonyms last. (caw, dossier_id) is unique among valid rows (dubbel_dossier
# quarantines every copy), so the order is total. Rows that tie on everything but their
# pseudonyms are interchangeable in every analysis, so the order the models see does not
# depend on the pseudonym key either. Why it matters: the float sums of the Cox and
# logistic fits depend on the order of their rows in the last bits, which rounding to six
# significant digits hides almost always, but not always. Why a hash: one integer key
# sorts in a fraction of the time that 27 columns take (1M rows: ~1.2 s of CPU for the
# 27 columns, ~0.5 s for hash + sort); the hash is polars' (fixed seed), stable within
# the pinned polars version (constraints.txt), which is all byte-identical reruns need.
CANONICAL_ORDER: tuple[str, ...] = (
    "caw", *(c for c in COLUMN_NAMES if c not in ("caw", *PSEUDONYMISED_COLUMNS)),
    "client_id", "begeleider_id", "dossier_id")
_TIE_BREAK = ("client_id", "begeleider_id", "dossier_id")
_HASH_SEED = 20121201


def cutoff(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def canonical_order(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows in the canonical order (see CANONICAL_ORDER), of the columns the frame has.

    Region first (its rank among the delivered regions, in the high bits of one unsigned
    64-bit key), then the hash of the other delivered values; only when two rows share
    that key (the same values, or a hash collision) do the columns themselves decide,
    pseudonyms last. Ties that remain keep their order.
    """
    keys = [c for c in CANONICAL_ORDER if c in frame.columns]
    if not keys or frame.height < 2:
        return frame
    values = [c for c in keys if c not in ("caw", *_TIE_BREAK)]
    key = pl.struct(values).hash(seed=_HASH_SEED) // 16 if values else pl.lit(0, pl.UInt64)
    if "caw" in frame.columns:
        region = pl.col("caw").rank("dense").fill_null(0).cast(pl.UInt64)  # nulls first
        key = key + region * (1 << 60)  # fewer than 16 regions: the order by caw, then hash
    frame = frame.rechunk()  # gathering from one chunk per column is several times faster
    order = frame.select(key.alias("key"))
    if order["key"].is_duplicated().any():  # equal keys: the columns decide, as before
        order = order.hstack(frame.select(keys)).with_row_index("_i")
        index = order.sort(["key", *keys], nulls_last=True, maintain_order=True)["_i"]
    else:
        index = order["key"].arg_sort()
    return frame[index]


def trajectories(valid: pl.DataFrame, year: int) -> pl.DataFrame:
    """Valid registrations -> the trajectories frame of reporting year `year`.

    Rows come in the canonical order (CANONICAL_ORDER), not in delivery order, so
    that a delivery with its files or rows in another order gives the same bytes.

    Added columns:
      in_scope            datum_start <= cut-off (only these are analysed)
      datum_afsluiting_y  the closure as seen at the cut-off (null when after it)
      active              in scope and open at the cut-off or closed on/after Y-01-01
      closed_in_year      closure within Y
      open_at_cutoff      in scope and not closed by the cut-off
      closed              closed by the cut-off (the event of time to closure)
      days_to_closure     datum_start -> closure, or -> cut-off when open (censored)
      entry_days          for active rows: days from datum_start to max(datum_start, Y-01-01),
                          the delayed entry of the period analysis (at risk on the days
                          entry_days..days_to_closure of the scale "days since start")
      closure_outcome     vermeden / uithuisgezet / niet_vermeden / onbekend for closures by
                          the cut-off (OUTCOMES; ``ander`` = the last two together)
      eviction_avoided    for closures in Y with uithuiszetting_vermeden ja/nee: 1/0
      open_days_in_year   days of Y on which the trajectory was open, [start, closure)
    """
    first, last = dt.date(year, 1, 1), cutoff(year)
    start = pl.col("datum_start")
    seen = (pl.when(pl.col("datum_afsluiting") <= last)
            .then(pl.col("datum_afsluiting")).otherwise(None))
    frame = canonical_order(valid).with_columns(
        (start <= last).alias("in_scope"),
        seen.alias("datum_afsluiting_y"),
    )
    in_scope, closure = pl.col("in_scope"), pl.col("datum_afsluiting_y")
    outcome = (pl.when(closure.is_null()).then(None)
               .when(pl.col("afsluitreden") == "uithuisgezet").then(pl.lit("uithuisgezet"))
               .when(pl.col("uithuiszetting_vermeden") == "ja").then(pl.lit("vermeden"))
               .when(pl.col("uithuiszetting_vermeden") == "nee").then(pl.lit("niet_vermeden"))
               .otherwise(pl.lit("onbekend")))
    closed_in_year = closure.is_not_null() & (closure >= first)
    # Open on day d when start <= d < closure (or up to and including the cut-off when open).
    end_exclusive = pl.coalesce(closure, pl.lit(last + dt.timedelta(days=1)))
    overlap = (pl.min_horizontal(end_exclusive, pl.lit(last + dt.timedelta(days=1)))
               - pl.max_horizontal(start, pl.lit(first))).dt.total_days()
    active = in_scope & (closure.is_null() | (closure >= first))
    return frame.with_columns(
        active.alias("active"),
        (in_scope & closed_in_year).alias("closed_in_year"),
        (in_scope & closure.is_null()).alias("open_at_cutoff"),
        (in_scope & closure.is_not_null()).alias("closed"),
        pl.when(in_scope)
        .then((pl.coalesce(closure, pl.lit(last)) - start).dt.total_days())
        .alias("days_to_closure"),
        pl.when(active)
        .then((pl.max_horizontal(start, pl.lit(first)) - start).dt.total_days())
        .alias("entry_days"),
        pl.when(in_scope).then(outcome).alias("closure_outcome"),
        pl.when(in_scope & closed_in_year
                & pl.col("uithuiszetting_vermeden").is_in(["ja", "nee"]))
        .then((pl.col("uithuiszetting_vermeden") == "ja").cast(pl.Int8))
        .alias("eviction_avoided"),
        pl.when(in_scope).then(overlap.clip(lower_bound=0)).otherwise(0)
        .alias("open_days_in_year"),
    )


def year_counts(frame: pl.DataFrame) -> dict[str, int]:
    """The counts of results.json for a trajectories frame."""
    row = frame.select(
        pl.col("active").sum(),
        pl.col("closed_in_year").sum().alias("closed"),
        pl.col("open_at_cutoff").sum(),
        (~pl.col("in_scope")).sum().alias("out_of_scope"),
    ).row(0, named=True)
    return {k: int(v) for k, v in row.items()}


def years_touched(frame: pl.DataFrame, first_year: int, last_year: int) -> list[int]:
    """Reporting years in which a file's rows are active: the `active` of `trajectories`
    as a span of years, start year to closure year (a test holds the two together).
    An open trajectory is followed up to the file's own horizon, the latest year of
    any date in it: an extract from early 2014 touches 2013 and 2014, not every
    year since. Rows without a start date touch no year. Limited to
    [first_year, last_year].
    """
    if frame.is_empty() or first_year > last_year:
        return []
    dates = ("datum_aanmelding", "datum_start", "datum_afsluiting")
    horizon = frame.select(pl.max_horizontal(pl.col(c).dt.year().max() for c in dates)).item()
    if horizon is None:
        return []
    spans = frame.select(
        pl.col("datum_start").dt.year().alias("from"),
        pl.coalesce(pl.col("datum_afsluiting").dt.year(), pl.lit(horizon)).alias("to"),
    ).drop_nulls("from").filter(pl.col("to") >= pl.col("from"))
    years: set[int] = set()
    for start, end in spans.unique().iter_rows():
        years.update(range(max(start, first_year), min(end, last_year) + 1))
    return sorted(years)
