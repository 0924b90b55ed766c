"""Harrell's concordance index, O(n log n), for the Cox model (R ``concordance``).

Split from :mod:`pipeline.stats.cox` (which re-exports ``concordance_index``) to keep
the modules short; ``_sort_by`` lives here because both use it.
"""

from __future__ import annotations

import numpy as np

from .design import dense_codes, distinct


def _sort_by(*keys) -> np.ndarray:
    """The permutation of ``np.lexsort(keys[::-1])`` (first key primary), faster.

    One stable sort per key, the last key first. Small non-negative integer
    and boolean keys (codes, time ranks) are sorted as int16, for which numpy's
    stable sort is a radix sort.
    """
    order = np.arange(np.asarray(keys[0]).size)
    for key in reversed(keys):
        k = np.asarray(key)[order]
        if k.dtype == bool:
            k = k.astype(np.int16)
        elif k.dtype.kind in "iu" and k.size and 0 <= k.min() and k.max() < 2**15:
            k = k.astype(np.int16)
        order = order[np.argsort(k, kind="stable")]
    return order


def _block_bounds(new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per position, start and end (exclusive) of its block; ``new`` marks block starts."""
    starts = np.flatnonzero(new)
    block = np.cumsum(new) - 1
    ends = np.r_[starts[1:], new.size]
    return starts[block], ends[block]


def _prefix_below(values: np.ndarray, ends: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """For every query q: how many of ``values[:ends[q]]`` are below ``limits[q]``.

    ``values`` are non-negative integers. All queries at once in
    O((n + queries) log(max value)) whole-array operations, with a wavelet
    matrix (Claude, Navarro & Ordonez 2015) built and queried level by level:

    At each bit, most significant first, the values are stably partitioned by
    that bit (zeros first). For one query, the values of its prefix that agree
    with the limit on the bits seen so far stay a contiguous range [lo, hi).
    Where the limit's bit is 1, the range's zeros are below the limit (counted)
    and the range moves on with its ones; where it is 0, with its zeros. Each
    end of the range moves on by itself (to its number of zeros before it, or
    past all zeros by its number of ones), so the count is the sum over the
    levels of zeros_before(hi) - zeros_before(lo). Every lo starts at 0 and
    its path depends on the limit only: it is tracked once per distinct limit.
    """
    n = values.size
    itype = np.int32 if n < 2**31 - 1 else np.int64  # positions: int32 halves the traffic
    limits = np.asarray(limits, dtype=np.int64)
    each, which = distinct(limits)
    pos = np.concatenate([ends, np.zeros(each.size, dtype=itype)]).astype(itype)
    lim = np.concatenate([limits, each])
    vals = np.asarray(values, dtype=np.int64)
    counted = np.zeros(pos.size, dtype=np.int64)
    zeros_before = np.zeros(n + 1, dtype=itype)
    for b in reversed(range(int(max(vals.max(initial=0), lim.max(initial=0))).bit_length())):
        is_zero = ((vals >> b) & 1) == 0
        np.cumsum(is_zero, out=zeros_before[1:])
        z = zeros_before[pos]
        limit_one = ((lim >> b) & 1) == 1
        counted += np.where(limit_one, z, 0)
        pos = np.where(limit_one, zeros_before[-1] + (pos - z), z)
        vals = np.concatenate((vals[is_zero], vals[~is_zero]))
    q = limits.size
    return counted[:q] - counted[q:][which]


def concordance_index(time, event, risk, strata=None) -> float:
    """Harrell's C (R ``concordance`` conventions, see module docstring).

    A higher ``risk`` predicts a shorter time. O(n log n), see ``_harrell``.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    r = np.asarray(risk, dtype=float)
    if not e.any():
        return float("nan")
    s = np.zeros(t.size, dtype=np.int64) if strata is None else dense_codes(strata)
    return _harrell(distinct(t)[1], e, r, s)


def _harrell(time_rank, event, risk, stratum) -> float:
    """Harrell's C from dense time ranks, event flags, risks and stratum codes.

    A row j is comparable with an event i of its stratum when it outlives i:
    with key = 2 time rank + 1 if censored, exactly when key_j > key_i (a
    later time, or the same time and censored). Sorted by (stratum, risk), the
    rows of i's stratum with a lower, the same and a higher risk are three
    consecutive ranges of positions, so each count is "how many keys above
    key_i in a range": differences of prefix counts, which ``_prefix_below``
    gives for all events at once (no loop over times).
    """
    key = 2 * np.asarray(time_rank, dtype=np.int64) + ~event
    order = _sort_by(stratum, risk)
    s_o, r_o, key_o, ev = stratum[order], risk[order], key[order], event[order]
    new_stratum = np.r_[True, s_o[1:] != s_o[:-1]]
    new_tie = new_stratum | np.r_[True, r_o[1:] != r_o[:-1]]
    stratum_start, stratum_end = (b[ev] for b in _block_bounds(new_stratum))
    tie_start, tie_end = (b[ev] for b in _block_bounds(new_tie))
    limit = key_o[ev] + 1  # rows with key < limit are not comparable with event i
    # the stratum bounds repeat for every event of a stratum and key: ask once per pair
    stratum_ev = (np.cumsum(new_stratum) - 1)[ev]
    pairs, pair = distinct(stratum_ev * (int(limit.max()) + 1) + limit)
    first = np.zeros(pairs.size, dtype=np.int64)
    first[pair] = np.arange(pair.size)  # an event of each pair (any one will do)
    m, u = limit.size, first.size
    below = _prefix_below(
        key_o,
        np.concatenate([tie_start, tie_end, stratum_start[first], stratum_end[first]]),
        np.concatenate([limit, limit, limit[first], limit[first]]),
    )
    at_tie_start, at_tie_end = below[:m], below[m:2 * m]
    at_stratum_start, at_stratum_end = below[2 * m:2 * m + u][pair], below[2 * m + u:][pair]
    # comparable rows (key > key_i) with a lower, the same and a higher risk
    lower = (tie_start - stratum_start) - (at_tie_start - at_stratum_start)
    tied = (tie_end - tie_start) - (at_tie_end - at_tie_start)
    higher = (stratum_end - tie_end) - (at_stratum_end - at_tie_end)
    conc, tie, disc = float(lower.sum()), float(tied.sum()), float(higher.sum())
    denom = conc + disc + tie
    return float((conc + tie / 2) / denom) if denom > 0 else float("nan")
