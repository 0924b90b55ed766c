"""Cox proportional-hazards regression with a Schoenfeld-residual PH test.

Why our own (numpy) fit rather than a wrapper: the PH test of R's ``cox.zph``
(survival >= 3.0) needs the per-event-time risk-set sums of the fit, and on a
million rows a vectorised fit is much faster than lifelines' or statsmodels'
per-time Python loops (see the note in the report). lifelines and statsmodels
PHReg remain the cross-checks in the tests; R's published output is the
reference.

Conventions
-----------
* Ties: ``"efron"`` (default, as R ``coxph``) or ``"breslow"``.
* Strata: one or more columns; their cross-classification gives separate
  baseline hazards (R ``strata()``); no coefficients for them.
* Fit: Newton-Raphson from beta = 0 with step halving, converged when the
  relative change in the log partial likelihood is below 1e-10 (R: 1e-9).
* ``se``: model-based (inverse information); Wald z and two-sided normal p;
  hazard-ratio interval exp(coef +- z se) at ``conf_level``.
* ``lr_test``: 2 (loglik - loglik at beta = 0) on the number of estimated terms.
* ``concordance``: Harrell's C as R's ``concordance(fit)``: pairs within a
  stratum where the shorter time is an event (an event and a censoring at the
  same time are comparable, two events at the same time are not); ties in the
  linear predictor count 1/2.
* ``ph_test``: the score test of R ``cox.zph`` (survival >= 3.0; Grambsch &
  Therneau 1994): for each term, add x * g(t) to the model and test its
  coefficient at the fitted beta, g(t) centred over events. Transform ``"km"``
  (R's default: g = 1 - S(t-) from the pooled Kaplan-Meier curve), ``"rank"``,
  ``"identity"`` or ``"log"``. Per term (one df per coefficient, as
  ``cox.zph(terms=FALSE)``), per covariate (all levels of a categorical
  together, as ``cox.zph``'s default), and global.

Sparse data never crash the fit; ``problems`` says what happened:
* no rows, or no events at all: no fit, every estimate NaN;
* a 0/1 term (a level, a boolean) with no events among its rows has an MLE of
  minus infinity: its rows carry no weight in any risk set, so the other
  coefficients are fitted exactly as in that limit (those rows left out) and
  the term is reported as NaN;
* aliased (collinear) terms are dropped and reported NaN (R: NA);
* a coefficient that still runs away (monotone likelihood) is reported NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from .design import build_design, independent_columns
from .kaplan_meier import risk_table

TIES = ("efron", "breslow")
PH_TRANSFORMS = ("km", "rank", "identity", "log")


@dataclass(frozen=True)
class LRTest:
    statistic: float
    df: int
    p: float


@dataclass(frozen=True)
class PHTest:
    """Proportional-hazards test (R ``cox.zph`` score test)."""

    terms: pl.DataFrame  # term, chisq, df, p  (one row per coefficient)
    covariates: pl.DataFrame  # covariate, chisq, df, p  (levels of a factor together)
    global_chisq: float
    global_df: int
    global_p: float
    transform: str


@dataclass(frozen=True)
class CoxResult:
    terms: pl.DataFrame  # term, coef, se, hr, hr_lower, hr_upper, z, p
    loglik: float
    loglik_null: float
    lr_test: LRTest
    concordance: float
    ph_test: PHTest
    n: int
    events: int
    ties: str
    strata: tuple[str, ...]
    conf_level: float
    cov: np.ndarray  # covariance of the estimated (non-NaN) coefficients, term order
    converged: bool
    iterations: int
    problems: tuple[str, ...] = ()


# ----------------------------------------------------------------------------
# core computations on sorted data


class _Sorted:
    """Rows sorted by (stratum, time); groups are distinct (stratum, time)."""

    def __init__(self, time, event, strata, x):
        order = np.lexsort((time, strata))
        self.t = time[order]
        self.e = event[order].astype(float)
        self.s = strata[order]
        self.x = np.ascontiguousarray(x[order])
        self.order = order
        n = self.t.size
        new = np.ones(n, dtype=bool)
        if n:
            new[1:] = (self.s[1:] != self.s[:-1]) | (self.t[1:] != self.t[:-1])
        self.gstart = np.flatnonzero(new)
        self.gid = np.cumsum(new) - 1
        self.ngroups = self.gstart.size
        self.gtime = self.t[self.gstart]
        gstrat = self.s[self.gstart]
        self.d = np.add.reduceat(self.e, self.gstart) if n else np.zeros(0)
        # stratum bookkeeping over groups
        snew = np.ones(self.ngroups, dtype=bool)
        if self.ngroups:
            snew[1:] = gstrat[1:] != gstrat[:-1]
        sstart = np.flatnonzero(snew)
        sid = np.cumsum(snew) - 1
        self.g_first = sstart[sid]  # first group of the group's stratum
        send = np.r_[sstart[1:], self.ngroups]
        self.g_next = send[sid]  # first group of the next stratum
        # the Efron expansion: one row per event
        self.ev_groups = np.flatnonzero(self.d > 0)
        dd = self.d[self.ev_groups].astype(np.int64)
        self.rep = np.repeat(self.ev_groups, dd)
        offsets = np.repeat(np.cumsum(dd) - dd, dd)
        self.frac_efron = (np.arange(self.rep.size) - offsets) / np.repeat(dd, dd)
        self.sum_x_events = (self.x * self.e[:, None]).sum(axis=0)

    def rev_cumsum(self, a):
        """Sum over groups of the same stratum with time >= the group's time."""
        rc = np.cumsum(a[::-1], axis=0)[::-1]
        rc_ext = np.concatenate([rc, np.zeros((1,) + rc.shape[1:])], axis=0)
        return rc - rc_ext[self.g_next]

    def cumsum(self, a):
        """Sum over groups of the same stratum with time <= the group's time."""
        cs = np.cumsum(a, axis=0)
        cs_ext = np.concatenate([np.zeros((1,) + cs.shape[1:]), cs], axis=0)
        return cs - cs_ext[self.g_first]


def _terms(srt: _Sorted, beta: np.ndarray, efron: bool, *, need_info: bool = True):
    """Log partial likelihood, score, information and the per-event quantities."""
    eta = srt.x @ beta
    shift = eta.max() if eta.size else 0.0
    w = np.exp(eta - shift)
    we = w * srt.e
    wx = srt.x * w[:, None]
    r0 = srt.rev_cumsum(np.add.reduceat(w, srt.gstart))
    r1 = srt.rev_cumsum(np.add.reduceat(wx, srt.gstart, axis=0))
    d0 = np.add.reduceat(we, srt.gstart)
    d1 = np.add.reduceat(wx * srt.e[:, None], srt.gstart, axis=0)
    rep = srt.rep
    frac = srt.frac_efron if efron else np.zeros(rep.size)
    denom = r0[rep] - frac * d0[rep]
    means = (r1[rep] - frac[:, None] * d1[rep]) / denom[:, None]
    loglik = float(((eta - shift) * srt.e).sum() - np.log(denom).sum())
    score = srt.sum_x_events - means.sum(axis=0)
    parts = {"w": w, "denom": denom, "frac": frac, "means": means}
    if not need_info:
        return loglik, score, None, parts
    info = _info(srt, parts, None)
    return loglik, score, info, parts


def _info(srt: _Sorted, parts, h_group):
    """sum over event rows of h * [(S2 - frac D2)/denom - mean mean'].

    ``h_group`` is a weight per group (None = 1); with h = g(t) and g(t)^2 this
    gives the off-diagonal and lower blocks of the ``cox.zph`` information.
    """
    w, denom, frac, means = parts["w"], parts["denom"], parts["frac"], parts["means"]
    rep = srt.rep
    h_row = np.ones(rep.size) if h_group is None else h_group[rep]
    a_g = np.bincount(rep, weights=h_row / denom, minlength=srt.ngroups)
    b_g = np.bincount(rep, weights=h_row * frac / denom, minlength=srt.ngroups)
    c = srt.cumsum(a_g)[srt.gid] - srt.e * b_g[srt.gid]
    xw = srt.x * (w * c)[:, None]
    return xw.T @ srt.x - (means * h_row[:, None]).T @ means


def _fit(srt: _Sorted, efron: bool, max_iter: int = 50, eps: float = 1e-10):
    p = srt.x.shape[1]
    beta = np.zeros(p)
    loglik, score, info, parts = _terms(srt, beta, efron)
    loglik0 = loglik
    converged = p == 0
    last_step = np.zeros(p)
    it = 0
    while p and it < max_iter:
        it += 1
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        new_beta = beta + step
        new = _terms(srt, new_beta, efron)
        halvings = 0
        while (not np.isfinite(new[0]) or new[0] < loglik - 1e-12) and halvings < 30:
            step = step / 2
            new_beta = beta + step
            new = _terms(srt, new_beta, efron)
            halvings += 1
        rel = abs(new[0] - loglik) / max(abs(new[0]), 1e-300)
        beta, last_step = new_beta, step
        loglik, score, info, parts = new
        if rel < eps and np.all(np.abs(step) < 1e-6 * np.maximum(1.0, np.abs(beta))):
            converged = True
            break
    return beta, loglik, loglik0, score, info, parts, converged, it, last_step


# ----------------------------------------------------------------------------
# concordance


def _bit_add(tree: np.ndarray, pos: np.ndarray) -> None:
    """Add 1 at each position (1-based) of a Fenwick tree, one bincount per level."""
    size = tree.size - 1
    pos = pos[pos <= size]
    while pos.size:
        if pos.size * 16 > tree.size:  # large batch: one dense pass
            tree += np.bincount(pos, minlength=tree.size)[: tree.size]
        else:
            np.add.at(tree, pos, 1)
        pos = pos + (pos & -pos)
        pos = pos[pos <= size]


def _bit_prefix(tree: np.ndarray, pos: np.ndarray) -> np.ndarray:
    out = np.zeros(pos.size)
    pos = pos.copy()
    while np.any(pos > 0):
        out += tree[pos]
        pos = pos - (pos & -pos)
    return out


def concordance_index(time, event, risk, strata=None) -> float:
    """Harrell's C (R ``concordance`` conventions, see module docstring).

    A higher ``risk`` predicts a shorter time. One Fenwick tree over the ranks
    of (stratum, risk), each stratum a contiguous block of positions so that
    counts stay within strata; filled from the longest time down, one batch of
    numpy operations per distinct event time: O(n log n) work.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    r = np.asarray(risk, dtype=float)
    s = np.zeros(t.size, dtype=np.int64) if strata is None else np.asarray(strata)
    if not e.any():
        return float("nan")
    s_codes = np.unique(s, return_inverse=True)[1]
    # dense rank of (stratum, risk): strata occupy consecutive position blocks
    order = np.lexsort((r, s_codes))
    new = np.ones(t.size, dtype=bool)
    new[1:] = (s_codes[order][1:] != s_codes[order][:-1]) | (r[order][1:] != r[order][:-1])
    pos = np.empty(t.size, dtype=np.int64)
    pos[order] = np.cumsum(new)  # 1..U
    s_sorted = s_codes[order]
    last = np.flatnonzero(np.r_[s_sorted[1:] != s_sorted[:-1], True])  # end of each block
    block_end = pos[order][last]  # strata codes are 0..k-1, all present, in order
    block_start = np.r_[0, block_end[:-1]]  # position just before each block
    tree = np.zeros(int(pos.max()) + 1)
    by_time = np.argsort(-t, kind="stable")
    ts, es, ps, ss = t[by_time], e[by_time], pos[by_time], s_codes[by_time]
    conc = disc = tied = 0.0
    inserted = 0
    for dt in np.unique(ts[es])[::-1]:
        upto = int(np.searchsorted(-ts, -dt, side="left"))  # rows with a longer time
        if upto > inserted:
            _bit_add(tree, ps[inserted:upto])
        stop = int(np.searchsorted(-ts, -dt, side="right"))
        here = slice(upto, stop)
        cens = ~es[here]
        if cens.any():  # censored at this time: still at risk, comparable
            _bit_add(tree, ps[here][cens])
        dpos, dstr = ps[here][~cens], ss[here][~cens]
        base = _bit_prefix(tree, block_start[dstr])
        less = _bit_prefix(tree, dpos - 1) - base
        leq = _bit_prefix(tree, dpos) - base
        total = _bit_prefix(tree, block_end[dstr]) - base
        conc += less.sum()
        tied += (leq - less).sum()
        disc += (total - leq).sum()
        _bit_add(tree, dpos)
        inserted = stop
    denom = conc + disc + tied
    return float((conc + tied / 2) / denom) if denom > 0 else float("nan")


# ----------------------------------------------------------------------------
# PH test


def _ph_transform(time, event, kind: str) -> np.ndarray:
    if kind == "identity":
        return time.astype(float)
    if kind == "log":
        return np.log(time)
    if kind == "rank":
        return stats.rankdata(time)
    # "km": 1 - S(t-) of the pooled Kaplan-Meier curve (R's default)
    timeline, n_risk, n_event, _ = risk_table(time, event)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
    idx = np.searchsorted(timeline, time, side="left")  # times strictly before
    return 1.0 - np.concatenate(([1.0], surv))[idx]


def _ph_test(srt, parts, info, terms, sources, transform):
    g_all = _ph_transform(srt.t, srt.e.astype(bool), transform)
    g_all = g_all - g_all[srt.e > 0].mean()
    g_group = g_all[srt.gstart]  # constant within a (stratum, time) group
    g_row = g_group[srt.rep]
    p = len(terms)
    u2 = (srt.x * (srt.e * g_all)[:, None]).sum(axis=0) - (parts["means"] * g_row[:, None]).sum(0)
    i12 = _info(srt, parts, g_group)
    i22 = _info(srt, parts, g_group**2)
    imat = np.block([[info, i12], [i12.T, i22]])

    def score_test(cols):
        kk = [*range(p), *[p + j for j in cols]]
        u = np.concatenate([np.zeros(p), u2[cols]])
        sub = imat[np.ix_(kk, kk)]
        try:
            return float(u @ np.linalg.solve(sub, u))
        except np.linalg.LinAlgError:
            return float("nan")

    term_rows = []
    for j, term in enumerate(terms):
        chisq = score_test([j])
        term_rows.append((term, chisq, 1, float(stats.chi2.sf(chisq, 1))))
    cov_rows = []
    for src in dict.fromkeys(sources):
        cols = [j for j, s in enumerate(sources) if s == src]
        chisq = score_test(cols)
        cov_rows.append((src, chisq, len(cols), float(stats.chi2.sf(chisq, len(cols)))))
    gchisq = score_test(list(range(p)))
    return term_rows, cov_rows, gchisq


# ----------------------------------------------------------------------------
# public entry point


def _empty_ph(transform: str, terms: Sequence[str], sources: Sequence[str]) -> PHTest:
    nan = float("nan")
    return PHTest(
        terms=pl.DataFrame(
            {"term": list(terms), "chisq": [nan] * len(terms), "df": [1] * len(terms),
             "p": [nan] * len(terms)},
            schema={"term": pl.String, "chisq": pl.Float64, "df": pl.Int64, "p": pl.Float64},
        ),
        covariates=pl.DataFrame(
            {"covariate": list(dict.fromkeys(sources)),
             "chisq": [nan] * len(dict.fromkeys(sources)),
             "df": [sum(1 for s in sources if s == c) for c in dict.fromkeys(sources)],
             "p": [nan] * len(dict.fromkeys(sources))},
            schema={"covariate": pl.String, "chisq": pl.Float64, "df": pl.Int64,
                    "p": pl.Float64},
        ),
        global_chisq=nan,
        global_df=0,
        global_p=nan,
        transform=transform,
    )


def _terms_frame(terms, coef, se, conf_level) -> pl.DataFrame:
    z_crit = stats.norm.ppf(1 - (1 - conf_level) / 2)
    coef = np.asarray(coef, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = coef / se
        return pl.DataFrame(
            {
                "term": list(terms),
                "coef": coef,
                "se": se,
                "hr": np.exp(coef),
                "hr_lower": np.exp(coef - z_crit * se),
                "hr_upper": np.exp(coef + z_crit * se),
                "z": z,
                "p": 2 * stats.norm.sf(np.abs(z)),
            },
            schema={"term": pl.String, "coef": pl.Float64, "se": pl.Float64, "hr": pl.Float64,
                    "hr_lower": pl.Float64, "hr_upper": pl.Float64, "z": pl.Float64,
                    "p": pl.Float64},
        )


def _strata_codes(frame: pl.DataFrame, cols: Sequence[str]) -> np.ndarray:
    if not cols:
        return np.zeros(frame.height, dtype=np.int64)
    key = frame.select(
        pl.concat_str([pl.col(c).cast(pl.String) for c in cols], separator="\x1f")
    ).to_series().to_numpy()
    return np.unique(key.astype(str), return_inverse=True)[1].astype(np.int64)


def cox_ph(
    data: pl.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    references: Mapping[str, str] | None = None,
    ties: str = "efron",
    strata: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    ph_transform: str = "km",
) -> CoxResult:
    """Fit a Cox model on ``data`` (see the module docstring for conventions)."""
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}")
    if ph_transform not in PH_TRANSFORMS:
        raise ValueError(f"ph_transform must be one of {PH_TRANSFORMS}")
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    design = build_design(data, covariates, references, required=[duration, event, *strata_cols])
    problems = list(design.problems)
    kept = data.filter(pl.Series(design.keep)) if design.n_dropped else data
    time = kept[duration].cast(pl.Float64).to_numpy().astype(float)
    ev = kept[event].cast(pl.Float64).to_numpy().astype(float) != 0
    if np.any(time < 0):
        raise ValueError("negative durations")
    strat = _strata_codes(kept, strata_cols)
    x_full = design.matrix
    terms, sources = list(design.terms), list(design.sources)
    nterm = len(terms)
    coef = np.full(nterm, np.nan)
    se = np.full(nterm, np.nan)
    n, n_events = int(time.size), int(ev.sum())
    nan = float("nan")

    def result(loglik=nan, loglik0=nan, lr=None, conc=nan, ph=None, cov=None, conv=False, it=0):
        return CoxResult(
            terms=_terms_frame(terms, coef, se, conf_level),
            loglik=loglik,
            loglik_null=loglik0,
            lr_test=lr or LRTest(nan, 0, nan),
            concordance=conc,
            ph_test=ph or _empty_ph(ph_transform, terms, sources),
            n=n,
            events=n_events,
            ties=ties,
            strata=tuple(strata_cols),
            conf_level=conf_level,
            cov=np.full((0, 0), np.nan) if cov is None else cov,
            converged=conv,
            iterations=it,
            problems=tuple(problems),
        )

    if n == 0:
        problems.append("no observations: no model")
        return result()
    if n_events == 0:
        problems.append("no events (no closures at all): no model")
        return result()

    # 0/1 terms without events among their rows: MLE at -infinity (see docstring)
    rows = np.ones(n, dtype=bool)
    active = []
    for j in range(nterm):
        if design.indicator[j]:
            ones = x_full[:, j] == 1
            if ones.any() and not (ones & ev).any():
                problems.append(
                    f"{terms[j]}: no events among its {int(ones.sum())} row(s); hazard ratio "
                    "not estimable (zero), term reported as NaN and its rows left out"
                )
                rows &= ~ones
                continue
        active.append(j)
    if not rows.all():
        time, ev, strat = time[rows], ev[rows], strat[rows]
        x_full = x_full[rows]
    # terms constant on the remaining rows, then aliased terms
    varying = [j for j in active if np.ptp(x_full[:, j]) > 0] if time.size else []
    for j in active:
        if j not in varying:
            problems.append(f"{terms[j]}: no variation left in the fitted rows; term dropped")
    keep_idx = [varying[k] for k in independent_columns(x_full[:, varying], intercept=True)]
    for j in varying:
        if j not in keep_idx:
            problems.append(f"{terms[j]}: aliased with other terms (collinear); term dropped")
    if not ev.any():
        problems.append("no events left after removing empty levels: no model")
        return result()

    x = x_full[:, keep_idx]
    x = x - x.mean(axis=0) if x.size else x  # centring: same estimates, better conditioning
    srt = _Sorted(time, ev, strat, x)
    efron = ties == "efron"
    beta, loglik, loglik0, _score, info, parts, converged, it, last_step = _fit(srt, efron)
    if not converged and keep_idx:
        problems.append(f"Newton-Raphson did not converge in {it} iterations")
    try:
        cov = np.linalg.inv(info) if keep_idx else np.zeros((0, 0))
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
        problems.append("singular information matrix: standard errors unreliable")
    se_fit = np.sqrt(np.clip(np.diag(cov), 0, None)) if keep_idx else np.zeros(0)
    runaway = (np.abs(last_step) > 1e-3 * np.maximum(1.0, np.abs(beta))) | (
        (np.abs(beta) > 10) & (se_fit > 50)
    )
    for k, j in enumerate(keep_idx):
        if runaway[k]:
            problems.append(
                f"{terms[j]}: coefficient may be infinite (monotone likelihood); reported as NaN"
            )
        else:
            coef[j], se[j] = beta[k], se_fit[k]
    df = int(len(keep_idx))
    lr_stat = 2 * (loglik - loglik0)
    lr = LRTest(float(lr_stat), df, float(stats.chi2.sf(lr_stat, df)) if df else nan)

    eta_sorted = srt.x @ beta
    conc = concordance_index(srt.t, srt.e > 0, eta_sorted, srt.s)

    fit_terms = [terms[j] for j in keep_idx]
    fit_sources = [sources[j] for j in keep_idx]
    if keep_idx:
        term_rows, cov_rows, gchisq = _ph_test(srt, parts, info, fit_terms, fit_sources,
                                               ph_transform)
        by_term = {r[0]: r for r in term_rows}
        all_rows = [by_term.get(tm, (tm, nan, 1, nan)) for tm in terms]
        by_cov = {r[0]: r for r in cov_rows}
        cov_all = []
        for src in dict.fromkeys(sources):
            cov_all.append(by_cov.get(src, (src, nan, 0, nan)))
        ph = PHTest(
            terms=pl.DataFrame(all_rows, schema={"term": pl.String, "chisq": pl.Float64,
                                                 "df": pl.Int64, "p": pl.Float64},
                               orient="row"),
            covariates=pl.DataFrame(cov_all, schema={"covariate": pl.String,
                                                     "chisq": pl.Float64, "df": pl.Int64,
                                                     "p": pl.Float64}, orient="row"),
            global_chisq=gchisq,
            global_df=df,
            global_p=float(stats.chi2.sf(gchisq, df)),
            transform=ph_transform,
        )
    else:
        ph = _empty_ph(ph_transform, terms, sources)
    return result(loglik, loglik0, lr, conc, ph, cov, converged, it)
