"""Sorted rows and risk-set sums of the Cox partial likelihood (for :mod:`pipeline.stats.cox`).

Split from :mod:`pipeline.stats.cox` (which imports ``_Sorted`` and ``_RiskSets`` from
here) to keep each module under the size rule; :mod:`pipeline.stats.fine_gray` reuses
``_Sorted``. No change in behaviour.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from .concordance import _sort_by
from .design import weighted_cross

# ----------------------------------------------------------------------------
# core computations on sorted data
#
# Speed at a million rows comes from three rules. (1) Every pass over the rows
# is one numpy operation: rows are sorted once, so a tied-time group is a
# contiguous slice (np.add.reduceat) and a risk set is a reverse cumulative
# sum over groups. (2) Everything indexed by Efron's tie rank is a scalar: the
# p-vectors and p x p matrices of a tied group are sums over its rows times
# scalar sums over its ranks (see ``_RiskSets``), so no (events x p) or
# (rows x p x p) array is ever formed. (3) Covariates are stored transposed
# (p x n, C order), so every per-row product and per-group sum reads
# contiguous memory, and products go into one reused buffer.


class _Sorted:
    """Rows sorted by (stratum, time, events first); groups are distinct (stratum, time).

    Events first within a group make each group's events a contiguous prefix
    of its rows, so their sums are slices too (``event_sums``). "Event groups"
    are the groups with at least one event; the Efron expansion has one entry
    per event ("tie rank") and holds scalars only.
    """

    def __init__(self, time, event, strata, xt, entry=None):
        # dense time ranks: sort as small integers, and the concordance needs them
        trank = np.unique(time, return_inverse=True)[1].reshape(-1)
        order = _sort_by(strata, trank, ~event)
        self.order = order  # sorted position -> input row
        self.entry = None if entry is None else entry[order]
        self.t = time[order]
        self.trank = trank[order]
        self.e = event[order].astype(float)
        self.s = strata[order]
        self.xt = np.take(xt, order, axis=1)  # p x n, C order (xt[:, order] would not be)
        n = self.t.size
        new = np.ones(n, dtype=bool)
        new[1:] = (self.s[1:] != self.s[:-1]) | (self.t[1:] != self.t[:-1])
        self.gstart = np.flatnonzero(new)
        self.gid = np.cumsum(new) - 1
        self.ngroups = self.gstart.size
        self.d = np.add.reduceat(self.e, self.gstart)
        self._strata_bounds()
        self._event_layout()
        self.late = None if entry is None else self._late_entries(self.entry)

    def _late_entries(self, entry):
        """Rows entering after their stratum's first time: (rows, last group before entry).

        A row is at risk in the groups k..gid of its stratum, k the first group
        with time > entry; it is subtracted from the time >= t sums of the
        groups before k, so it is booked at group k - 1 (``at_risk``).
        """
        times = np.unique(self.t)
        gkey = self.s[self.gstart].astype(np.int64) * (times.size + 1) + np.searchsorted(
            times, self.t[self.gstart])
        ekey = self.s.astype(np.int64) * (times.size + 1) + np.searchsorted(
            times, entry, side="right")
        first_at_risk = np.searchsorted(gkey, ekey, side="left")
        rows = np.flatnonzero(first_at_risk > self.g_first[self.gid])
        return rows, first_at_risk[rows] - 1

    def at_risk(self, a):
        """Per group: sums of ``a`` (last axis = rows) over the rows at risk at its time."""
        rc = self.rev_cumsum(self.group_sums(a))
        if self.late is None:
            return rc
        rows, before = self.late
        if a.ndim == 1:
            booked = np.bincount(before, weights=a[rows], minlength=self.ngroups)
        else:
            booked = np.zeros(a.shape[:-1] + (self.ngroups,))
            for j, row in enumerate(a):  # no terms: no rows
                booked[j] = np.bincount(before, weights=row[rows], minlength=self.ngroups)
        return rc - self.rev_cumsum(booked)

    def risk_set_totals(self, a_groups):
        """Per row: sum of ``a_groups`` (one value per group) over the groups it is at risk in."""
        cs = self.cumsum(a_groups)
        c = cs[self.gid]
        if self.late is not None:
            rows, before = self.late
            c[rows] -= cs[before]
        return c

    def _strata_bounds(self):
        """First group of each group's stratum and first group of the next one."""
        gstrat = self.s[self.gstart]
        snew = np.ones(self.ngroups, dtype=bool)
        snew[1:] = gstrat[1:] != gstrat[:-1]
        sstart = np.flatnonzero(snew)
        sid = np.cumsum(snew) - 1
        self.g_first = sstart[sid]
        self.g_next = np.r_[sstart[1:], self.ngroups][sid]

    def _event_layout(self):
        """Event groups, the slices of their events, and the Efron tie ranks."""
        self.ev_groups = np.flatnonzero(self.d > 0)
        dd = self.d[self.ev_groups].astype(np.int64)  # events per event group
        first = self.gstart[self.ev_groups]
        # reduceat over the interleaved (start, end) of each event slice: the even
        # outputs are the slices' sums, the odd ones (the gaps between) are dropped.
        # An end equal to n must go (not a valid index); the last slice then runs
        # to the end of the array, which is where it ends anyway.
        bounds = np.column_stack([first, first + dd]).ravel()
        self.ev_bounds = bounds[:-1] if bounds[-1] == self.t.size else bounds
        self.ev_rows = np.flatnonzero(self.e > 0)
        self.rank_group = np.repeat(np.arange(dd.size), dd)  # event group of each tie rank
        self.rank_starts = np.cumsum(dd) - dd  # a group's ranks are contiguous
        rank = np.arange(dd.sum()) - self.rank_starts[self.rank_group]  # 0..d-1 in its group
        self.frac_efron = rank / dd[self.rank_group]
        self.x_events = self.event_sums(self.xt)  # p x event groups
        self.sum_x_events = self.x_events.sum(axis=1)

    def group_sums(self, a):
        """Sums over the rows of each group (last axis = rows)."""
        return np.add.reduceat(a, self.gstart, axis=-1)

    def event_sums(self, a):
        """Sums over the events of each event group (last axis = rows)."""
        return np.add.reduceat(a, self.ev_bounds, axis=-1)[..., ::2]

    def rev_cumsum(self, a):
        """Sum over groups of the same stratum with time >= the group's time (last axis)."""
        rc = np.cumsum(a[..., ::-1], axis=-1)[..., ::-1]
        rc_ext = np.concatenate([rc, np.zeros(rc.shape[:-1] + (1,))], axis=-1)
        return rc - rc_ext[..., self.g_next]

    def cumsum(self, a):
        """Sum over groups of the same stratum with time <= the group's time."""
        cs = np.cumsum(a)
        cs_ext = np.concatenate([[0.0], cs])
        return cs - cs_ext[self.g_first]

    @cached_property
    def scratch(self) -> np.ndarray:
        """Buffer for products with one weight per row (allocated on first use)."""
        return np.empty(self.xt.shape)

    def free_scratch(self) -> None:
        """Drop the buffer (allocated again if used again)."""
        vars(self).pop("scratch", None)  # where cached_property keeps the value

    def weighted_rows(self, weight):
        """xt * weight (one weight per row), written into the shared buffer."""
        return np.multiply(self.xt, weight, out=self.scratch)

    def weighted_gram(self, weight):
        """sum over rows of weight * x x' (p x p), see ``weighted_cross``."""
        return weighted_cross(self.xt, weight)


class _RiskSets:
    """The risk-set sums of the partial likelihood at one ``beta``.

    Notation per event group: r0, r1 the sums of w and w x over the risk set,
    d0, d1 over the group's events; per tie rank k (fraction f_k = k/d, 0 for
    Breslow): den_k = r0 - f_k d0 and mean_k = (r1 - f_k d1) / den_k.

    The log likelihood needs only the scalars (cheap: step-halving trials pay
    for nothing else); the score and the information, computed on demand, are
    built from per-group scalar sums over the ranks:
      sum_k mean_k = r1 A - d1 B, with A = sum_k 1/den_k, B = sum_k f_k/den_k.
    """

    def __init__(self, srt: _Sorted, beta: np.ndarray, efron: bool):
        self.srt = srt
        eta = beta @ srt.xt
        shift = eta.max() if eta.size else 0.0  # exp() cannot overflow
        self.w = np.exp(eta - shift)
        self.frac = srt.frac_efron if efron else np.zeros(srt.rank_group.size)
        r0 = srt.at_risk(self.w)[srt.ev_groups]
        d0 = srt.event_sums(self.w)
        self.denom = r0[srt.rank_group] - self.frac * d0[srt.rank_group]
        # sum over events of (eta - shift), with sum eta = beta . (sum of their x)
        eta_events = float(beta @ srt.sum_x_events) - shift * srt.rank_group.size
        self.loglik = float(eta_events - np.log(self.denom).sum())
        self._r1 = None

    def _sums(self):
        """r1 and d1 per event group (p x event groups), computed once."""
        if self._r1 is None:
            srt = self.srt
            wx = srt.weighted_rows(self.w)
            self._r1 = srt.at_risk(wx)[:, srt.ev_groups]
            self._d1 = srt.event_sums(wx)
        return self._r1, self._d1

    def rank_sums(self, weights):
        """Per event group: sums over its tie ranks of ``weights`` (last axis = ranks)."""
        return np.add.reduceat(weights, self.srt.rank_starts, axis=-1)

    def mean_sum(self, h=None):
        """sum over events of h(group) * mean_k (h = None: 1)."""
        r1, d1 = self._sums()
        hk = 1.0 if h is None else h[self.srt.rank_group]
        a, b = self.rank_sums(np.stack([hk / self.denom, hk * self.frac / self.denom]))
        return r1 @ a - d1 @ b

    def score(self):
        return self.srt.sum_x_events - self.mean_sum()

    def info(self, h=None):
        """sum over events of h * [(S2 - f D2)/den - mean mean'] (h per event group).

        S2, D2 are the risk-set and tied-event sums of w x x'. h = None gives the
        information matrix; h = g(t) and g(t)^2 the off-diagonal and lower blocks
        of the ``cox.zph`` information. The S2/D2 part is one weighted cross-
        product over the rows: row i carries w_i times the sum of A over the
        event groups at or before its time (its risk sets) less B of its own
        group if it is an event. The mean mean' part expands
        (r1 - f d1)(r1 - f d1)' / den^2 into three scalar rank sums per group.
        """
        srt = self.srt
        r1, d1 = self._sums()
        hk = np.ones(srt.rank_group.size) if h is None else h[srt.rank_group]
        f, inv = self.frac, 1.0 / self.denom
        inv2 = hk * inv * inv
        a, b, rr, rd, dd = self.rank_sums(np.stack([hk * inv, hk * f * inv,
                                                    inv2, f * inv2, f * f * inv2]))
        a_all = np.zeros(srt.ngroups)
        a_all[srt.ev_groups] = a
        c = srt.risk_set_totals(a_all)  # A summed over the risk sets each row is in
        c[srt.ev_rows] -= b[srt.rank_group]  # event rows and tie ranks run in the same order
        first = srt.weighted_gram(self.w * c)
        cross = (r1 * rd) @ d1.T
        second = (r1 * rr) @ r1.T - cross - cross.T + (d1 * dd) @ d1.T
        return first - second
