"""Design matrices for the regression models (Cox, logistic).

Why a module of its own: the Cox and logistic models must name, code and drop
terms in exactly the same way, because the report and ``results.json`` put
their terms side by side.

Conventions
-----------
* A string, categorical or enum column is *categorical*: one 0/1 dummy per
  level except the reference level. The term is named ``column[level]``.
* The reference level is, in order of precedence: ``references[column]``, the
  project default in :data:`DEFAULT_REFERENCES`, else the first level in sort
  order. A requested reference that does not occur in the data falls back to
  the first level in sort order, and the design says so in ``problems``.
* A boolean column becomes 0/1 and a numeric column is used as is; both are
  named ``column``.
* Rows with a missing value (null, or NaN in a float column) in any covariate
  are left out; the design records how many (``n_dropped``) and which
  (``keep``).
* A covariate with no variation (one level only, or a constant number) carries
  no information next to the baseline hazard or the intercept: it is dropped,
  and ``problems`` says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

#: Reference levels fixed by the mission (``results.json`` term names rely on them).
DEFAULT_REFERENCES: Mapping[str, str] = {
    "verhuurder_type": "SHM",
    "gezinstype": "alleenstaand",
    "inkomensbron": "arbeid",
    "aanmelder": "shm",
}


@dataclass(frozen=True)
class Design:
    """A model matrix with its term bookkeeping.

    ``matrix`` has one row per kept row of the input (``keep`` marks them, in
    input order) and one float64 column per entry of ``terms``. It is stored
    column by column (Fortran order): the models work term by term, and
    ``matrix.T`` is then a C-ordered (terms x rows) array without a copy.
    """

    matrix: np.ndarray
    terms: tuple[str, ...]
    sources: tuple[str, ...]  # the input column behind each term
    indicator: tuple[bool, ...]  # True for 0/1 terms (levels, booleans)
    references: Mapping[str, str]  # reference level per categorical column
    levels: Mapping[str, tuple[str, ...]]  # all observed levels, reference first
    keep: np.ndarray  # bool mask over the input rows
    n_dropped: int
    problems: tuple[str, ...] = field(default=())


def is_categorical(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


def missing_mask(data: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """True for rows with a null (or a float NaN) in any of ``columns``."""
    miss = np.zeros(data.height, dtype=bool)
    for col in columns:
        s = data[col]
        miss |= s.is_null().to_numpy()
        if s.dtype.is_float():
            miss |= s.is_nan().fill_null(False).to_numpy()
    return miss


def build_design(
    data: pl.DataFrame,
    covariates: Sequence[str],
    references: Mapping[str, str] | None = None,
    *,
    required: Sequence[str] = (),
) -> Design:
    """Dummy-code ``covariates`` of ``data`` (see the module docstring).

    ``required`` names further columns (duration, event, outcome, strata,
    cluster) whose missing values also drop a row, so that every model sees
    the same complete-case rows as its design.
    """
    covariates = list(dict.fromkeys(covariates))  # keep order, drop repeats
    missing_cols = [c for c in [*covariates, *required] if c not in data.columns]
    if missing_cols:
        raise KeyError(f"columns not in data: {missing_cols}")
    refs_in = dict(DEFAULT_REFERENCES)
    refs_in.update(references or {})

    miss = missing_mask(data, [*covariates, *required])
    keep = ~miss
    n_dropped = int(miss.sum())
    problems: list[str] = []
    if n_dropped:
        problems.append(f"{n_dropped} row(s) left out for missing values in the model columns")
    kept = data.filter(pl.Series(keep)) if n_dropped else data
    n = kept.height

    columns: list[np.ndarray] = []
    terms: list[str] = []
    sources: list[str] = []
    indicator: list[bool] = []
    ref_out: dict[str, str] = {}
    levels_out: dict[str, tuple[str, ...]] = {}

    for col in covariates:
        s = kept[col]
        dtype = s.dtype
        if is_categorical(dtype):
            s_str = s.cast(pl.String)
            levels = sorted(s_str.unique().drop_nulls().to_list())
            if not levels:
                problems.append(f"{col}: no observed levels; covariate dropped")
                continue
            wanted = refs_in.get(col)
            if wanted is not None and wanted in levels:
                ref = wanted
            else:
                ref = levels[0]
                if wanted is not None:
                    problems.append(
                        f"{col}: reference level {wanted!r} not in the data; "
                        f"using {ref!r} (first level in sort order)"
                    )
            ref_out[col] = ref
            levels_out[col] = (ref, *[lv for lv in levels if lv != ref])
            if len(levels) == 1:
                problems.append(f"{col}: only one level ({ref!r}); covariate dropped")
                continue
            for lv in levels:
                if lv == ref:
                    continue
                columns.append((s_str == lv).cast(pl.Float64).to_numpy().astype(np.float64))
                terms.append(f"{col}[{lv}]")
                sources.append(col)
                indicator.append(True)
        elif dtype == pl.Boolean or dtype.is_numeric():  # booleans enter as 0/1
            boolean = dtype == pl.Boolean
            x = s.cast(pl.Float64).to_numpy().astype(np.float64)
            if n and np.all(x == x[0]):
                shown = bool(x[0]) if boolean else f"{x[0]:g}"
                problems.append(f"{col}: constant ({shown}); covariate dropped")
                continue
            columns.append(x)
            terms.append(col)
            sources.append(col)
            indicator.append(boolean or (bool(n) and bool(np.all((x == 0) | (x == 1)))))
        else:
            raise TypeError(f"{col}: unsupported dtype {dtype} for a model covariate")

    matrix = np.stack(columns).T if columns else np.empty((n, 0), dtype=np.float64)
    return Design(
        matrix=matrix,
        terms=tuple(terms),
        sources=tuple(sources),
        indicator=tuple(indicator),
        references=ref_out,
        levels=levels_out,
        keep=keep,
        n_dropped=n_dropped,
        problems=tuple(problems),
    )


def independent_columns(matrix: np.ndarray, *, intercept: bool) -> list[int]:
    """Indices of a maximal set of linearly independent columns, greedy in order.

    Used to drop aliased terms (R reports them as NA) instead of failing on a
    singular information matrix. Columns are centred when the model has an
    intercept or a baseline hazard (both absorb constants).
    """
    if matrix.shape[1] == 0:
        return []
    xt = np.asarray(matrix, dtype=np.float64).T  # terms x rows: row-wise passes below
    if intercept:
        xt = xt - xt.mean(axis=1, keepdims=True)
    cross = weighted_cross(np.ascontiguousarray(xt))
    scale = np.sqrt(np.diag(cross))  # column norms
    scale[scale == 0] = 1.0
    g = cross / np.outer(scale, scale)
    kept: list[int] = []
    for j in range(g.shape[0]):
        trial = [*kept, j]
        sub = g[np.ix_(trial, trial)]
        if np.linalg.matrix_rank(sub, tol=1e-9) == len(trial):
            kept.append(j)
    return kept


def weighted_cross(xt: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """X' diag(weight) X (weight None: X'X) for ``xt`` = X' (terms x rows), in row blocks.

    The models' information matrices. One product over all rows is slow and
    erratic on the 2-core target: OpenBLAS splits it over its threads, which
    only add synchronisation on a terms x rows by rows x terms product and
    stall whenever the other core is busy (measured up to ten times slower).
    OpenBLAS keeps a product on one thread while m * n * k is at most
    65536 * 4 (interface/gemm.c, default build), so the rows go in blocks
    below that size; a block is weighted (into one small reused buffer) and
    multiplied while it is in cache.
    """
    p, n = xt.shape
    block = max(256, 200_000 // max(p * p, 1))
    buffer = np.empty((p, min(block, n))) if weight is not None else None
    out = np.zeros((p, p))
    for lo in range(0, n, block):
        part = xt[:, lo:lo + block]
        if weight is None:
            out += part @ part.T
        else:
            out += np.multiply(part, weight[lo:lo + block], out=buffer[:, :part.shape[1]]) @ part.T
    return out


def dense_codes(values) -> np.ndarray:
    """Integer codes 0..k-1 of the distinct values, in sort order (strata, clusters).

    Strings go through polars: ``np.unique`` on a million Python strings takes
    seconds, polars' dense rank a small fraction of that, and both order
    strings by code point (polars compares UTF-8 bytes, which orders the same).
    Accepts a numpy array, a sequence or a polars Series. Missing values are
    coded as the string "None", as ``np.unique(values.astype(str))`` would.
    """
    if isinstance(values, pl.Series):
        if is_categorical(values.dtype) and not values.null_count():
            return _string_codes(values.cast(pl.String))
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == "O":
        try:  # Python strings straight into polars (no numpy unicode copy)
            series = pl.Series(arr, dtype=pl.String)
        except (TypeError, pl.exceptions.PolarsError):
            series = None
        if series is not None and not series.null_count():
            return _string_codes(series)
    if arr.dtype.kind in "OUS":  # mixed objects, None, numpy unicode: as str(), as before
        return _string_codes(pl.Series(arr.astype(str)))
    return distinct(arr)[1]


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``, without sorting small integers.

    Non-negative integers no larger than a few times their count (codes, time
    ranks) are looked up in a table of which values occur: O(n), where
    ``np.unique`` sorts. The inverse is int64 and flat.
    """
    arr = np.asarray(values).reshape(-1)
    if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0 and arr.max() < 4 * arr.size + 1024:
        present = np.zeros(int(arr.max()) + 1, dtype=bool)
        present[arr] = True
        index = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present).astype(arr.dtype), index[arr]
    uniques, inverse = np.unique(arr, return_inverse=True)
    return uniques, inverse.astype(np.int64).reshape(-1)


def _string_codes(series: pl.Series) -> np.ndarray:
    return series.rank("dense").to_numpy().astype(np.int64) - 1


def wald_table(terms: Sequence[str], coef, se, conf_level: float,
               ratio_names: tuple[str, str, str]) -> pl.DataFrame:
    """Terms with coef, se, exp(coef) and its Wald interval, z and two-sided p.

    One table for Cox (hr, hr_lower, hr_upper) and logistic (odds_ratio, or_lower,
    or_upper): the same normal-theory interval on the log scale, exponentiated.
    """
    from scipy import stats

    z_crit = stats.norm.ppf(1 - (1 - conf_level) / 2)
    coef = np.asarray(coef, dtype=float)
    se = np.asarray(se, dtype=float)
    ratio, lower, upper = ratio_names
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = coef / se
        data = {"term": list(terms), "coef": coef, "se": se, ratio: np.exp(coef),
                lower: np.exp(coef - z_crit * se), upper: np.exp(coef + z_crit * se),
                "z": z, "p": 2 * stats.norm.sf(np.abs(z))}
    return pl.DataFrame(data, schema={"term": pl.String}
                        | {k: pl.Float64 for k in data if k != "term"})



def factor_tests(sources: Sequence[str], coef, cov) -> pl.DataFrame:
    """Joint Wald test per multi-level factor: H0 all its level terms are 0.

    Why: a factor with k levels has k-1 terms, and k-1 separate z-tests neither
    answer "does this factor matter" nor hold their level together. The statistic
    is b' V^-1 b over the factor's terms, chi-square with as many df as terms
    (R ``car::Anova(type = 3, test = "Wald")``, Stata ``testparm``). ``sources``
    names the input column of each coefficient (``Design.sources``); columns with
    a single term (numeric, boolean, two-level) are left out: their z-test is it.
    A non-invertible block gives NaN (the report shows "–").
    """
    from scipy import stats

    coef = np.asarray(coef, dtype=float)
    cov = np.asarray(cov, dtype=float)
    rows: list[dict] = []
    for factor in dict.fromkeys(sources):
        idx = [i for i, s in enumerate(sources) if s == factor]
        if len(idx) < 2:
            continue
        b, v = coef[idx], cov[np.ix_(idx, idx)]
        try:
            chi2 = float(b @ np.linalg.solve(v, b))
        except np.linalg.LinAlgError:
            chi2 = float("nan")
        if not np.isfinite(chi2):
            chi2 = float("nan")
        rows.append({"factor": factor, "chi2": chi2, "df": len(idx),
                     "p": float(stats.chi2.sf(chi2, len(idx))) if chi2 == chi2 else chi2})
    return pl.DataFrame(rows, schema={"factor": pl.String, "chi2": pl.Float64,
                                      "df": pl.Int64, "p": pl.Float64})
