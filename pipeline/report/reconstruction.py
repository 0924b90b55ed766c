"""The reader's attempt: what published counts and shares pin down about hidden ones.

Why a module of its own: the checkpoint (:mod:`pipeline.report.disclosure`) uses it to
decide secondary suppression and to audit every build, and the tests use it as the
attacker on the numbers the old report published. Unknowns are non-negative integers;
a published count or sum is a linear equation, a published share (as rounded in print,
and also read as truncated) a pair of linear inequalities. The min and max of a target
come from linear programming, integer programming when the optimum is fractional
(``scipy.optimize``). A target the solver gives no answer for (a limit, numerical
trouble) counts as pinned to its true value: the checkpoint then hides more rather than
publish a number it could not check.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

Key = Hashable


class DisclosureError(RuntimeError):
    """A published number gives back a hidden count: the report must not be written."""


@dataclass(frozen=True)
class Finding:
    """A hidden number (or the hidden part of a published total) the published ones pin."""

    tables: tuple[str, ...]
    what: str
    low: float
    high: float
    true: float


# --------------------------------------------------------------------------- the exact check


@dataclass
class Problem:
    """Non-negative integer unknowns and what a reader knows about them.

    ``equal``: (coefficients, value) for every published count or sum; ``share``:
    (numerator, denominator, printed percentage, decimals) for every published share.
    """

    true: dict[Key, int]
    equal: list[tuple[dict[Key, float], float]] = field(default_factory=list)
    share: list[tuple[dict[Key, float], dict[Key, float], float, int]] = field(
        default_factory=list)

    def ranges(self, targets: Sequence[dict[Key, float]], *, truncated: bool = False,
               settled: Callable[[int, set[float]], bool] | None = None
               ) -> list[tuple[float, float]] | None:
        """(min, max) of each target over the integer solutions; None if none exist.

        ``settled(i, seen)`` may stop the search for target i early: every solution found
        (the true one, and each optimum on the way) gives a value of every target, and once
        those values already show the target is safe its exact range is not needed; the
        range returned is then the one seen.
        """
        names = list(self.true)
        index = {k: i for i, k in enumerate(names)}

        def row(coefs: Mapping[Key, float]) -> np.ndarray:
            out = np.zeros(len(names))
            for k, v in coefs.items():
                out[index[k]] += v
            return out

        rows, lo, hi = [], [], []
        for coefs, value in self.equal:
            rows.append(row(coefs))
            lo.append(value)
            hi.append(value)
        for num, den, pct, digits in self.share:
            unit = 10.0 ** -digits
            a, b = ((pct, pct + unit) if truncated else (pct - unit / 2, pct + unit / 2))
            a, b = max(a, 0.0) / 100, b / 100
            # num - a*den >= 0 and num - b*den < 0 (strict: a hair inside)
            rows.append(row(num) - a * row(den))
            lo.append(0.0)
            hi.append(np.inf)
            rows.append(row(num) - b * row(den))
            lo.append(-np.inf)
            hi.append(-1e-7 if truncated else 1e-9)
        big = max(1000.0, 10.0 * sum(self.true.values()))
        bounds = Bounds(np.zeros(len(names)), np.full(len(names), big))
        constraints = ([LinearConstraint(np.array(rows), np.array(lo), np.array(hi))]
                       if rows else [])
        a_ub, b_ub, a_eq, b_eq = _split(rows, lo, hi)
        integrality = np.ones(len(names))
        coefs = [row(t) for t in targets]
        truth = np.array([float(self.true[k]) for k in names])
        feasible = all(low - 1e-6 <= r @ truth <= high + 1e-6
                       for r, low, high in zip(rows, lo, hi, strict=True))
        seen: list[set[float]] = [{round(float(c @ truth), 6)} if feasible else set()
                                  for c in coefs]
        touched = (np.abs(np.array(rows)).sum(axis=0) > 0 if rows
                   else np.zeros(len(names), dtype=bool))
        out = []
        for i, c in enumerate(coefs):
            if not (touched & (c != 0)).any():  # no published number bears on it
                out.append((0.0, big))
                continue
            failed = False
            for sign in (1.0, -1.0):
                if settled is not None and settled(i, seen[i]):
                    break
                # the linear relaxation first: margins of a table are totally unimodular,
                # so its optimum is usually an integer vertex; only then it is the answer
                res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                              bounds=(0, big), method="highs")
                if res.status == 2:  # infeasible: this reading of the shares is impossible
                    return None
                if res.status != 0 or not np.allclose(res.x, np.round(res.x), atol=1e-7):
                    res = milp(sign * c, constraints=constraints, bounds=bounds,
                               integrality=integrality)
                    if res.status == 2:
                        return None
                if res.status != 0:  # no answer (a limit, numerical trouble): assume the
                    failed = True  # reader pins it, so the checkpoint hides more
                    break
                x = np.round(res.x)
                for k, other in enumerate(coefs):
                    seen[k].add(round(float(other @ x), 6))
            if failed:
                value = float(c @ truth)
                out.append((value, value))
            else:
                out.append((min(seen[i]), max(seen[i])))
        return out


def _split(rows: list[np.ndarray], lo: list[float], hi: list[float]):  # type: ignore[no-untyped-def]
    """Two-sided rows as linprog's A_ub x <= b_ub and A_eq x = b_eq."""
    a_ub, b_ub, a_eq, b_eq = [], [], [], []
    for r, low, high in zip(rows, lo, hi, strict=True):
        if low == high:
            a_eq.append(r)
            b_eq.append(low)
            continue
        if high != np.inf:
            a_ub.append(r)
            b_ub.append(high)
        if low != -np.inf:
            a_ub.append(-r)
            b_ub.append(-low)
    return (np.array(a_ub) if a_ub else None, np.array(b_ub) if b_ub else None,
            np.array(a_eq) if a_eq else None, np.array(b_eq) if b_eq else None)


def disclosed(low: float, high: float, threshold: int) -> bool:
    """A reader knows the number lies in 1..t-1: a group of fewer than t households is
    revealed, exactly (low == high) or not. A hidden count of t or more that can be
    recomputed, or a known sum of several hidden cells of t or more, reveals none."""
    return low >= 1 and high <= threshold - 1


def reconstruct(problem: Problem, targets: Mapping[str, dict[Key, float]], threshold: int
                ) -> list[tuple[str, float, float, float]]:
    """The targets a reader can place in 1..t-1 (shares read as rounded, then as
    truncated), each as (name, low, high, true value)."""
    found: dict[str, tuple[str, float, float, float]] = {}
    names = list(targets)
    trues = [sum(problem.true[k] * v for k, v in targets[n].items()) for n in names]

    def safe(i: int, seen: set[float]) -> bool:
        """A solution seen with the target outside 1..t-1 proves it safe."""
        return any(v < 1 or v > threshold - 1 for v in seen)

    for truncated in (False, True) if problem.share else (False,):
        ranges = problem.ranges([targets[n] for n in names], truncated=truncated,
                                settled=safe)
        if ranges is None:
            continue
        for name, true, (low, high) in zip(names, trues, ranges, strict=True):
            if low <= true + 1e-6 and true - 1e-6 <= high and disclosed(low, high, threshold):
                found.setdefault(name, (name, low, high, true))
    return list(found.values())
