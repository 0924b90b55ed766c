"""The counts of chapter 7 (Evolutie) through the disclosure checkpoint, for the chapter
(``evolutie``) and the regional feedback reports alike.

Why one disclosure table for all years and regions (``evolutie``): the counts of the
years are tied together. A region's active trajectories of a year are those carried in
plus its new starts, and those carried into the next year are the active ones minus the
closed ones, so a reader holding active, closed and starts of two years can compute any
one of them from the others; the region counts add up to Flanders'; the shares of the
four closure outcomes times the closures give their counts. The table declares exactly
these relations (carried-in and late-referral counts are never shown, but declared, so
the checkpoint's exact check uses the identities), links the last year's counts to the
same counts of chapter 6 (one status), and the audit of the build checks the lot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.report import disclosure
from pipeline.report.chapters.bereik import FLANDERS
from pipeline.report.context import Context
from pipeline.report.disclosure import Cell
from pipeline.report.labels import N_

OUTCOMES = {"vermeden": ("avoided_share", N_("Uithuiszetting vermeden")),
            "uithuisgezet": ("evicted_share", N_("Uithuisgezet")),
            "niet_vermeden": ("not_avoided_share", N_("Niet vermeden, zonder uithuiszetting")),
            "onbekend": ("unknown_share", N_("Afloop onbekend"))}


class Published:
    """The decided cells of the chapter's counts and of what rests on them."""

    def __init__(self, cells: disclosure.Published, years: Sequence[int],
                 codes: Sequence[str]) -> None:
        self.cells, self.years, self.codes = cells, list(years), list(codes)

    def count(self, kind: str, caw: str, year: int) -> Cell:
        """kind: S (new starts), R (referrals), A (active), C (closed)."""
        return self.cells[(kind, caw, year)]

    def share(self, outcome: str, caw: str, year: int) -> Cell:
        return self.cells[("%", outcome, caw, year)]

    def value(self, name: str, caw: str, year: int) -> Cell:
        """name: clients, caseload, rmst (hidden with the active count they rest on)."""
        return self.cells[(name, caw, year)]

    def note(self, translate: Any) -> str:
        """The suppression legend (``ctx.table(grids=[...])`` reads it)."""
        return self.cells.note(translate)


def _int(value: Any) -> int:
    return int(value or 0)


def _outcome_counts(row: Mapping[str, Any]) -> dict[str, int]:
    """The four outcome counts behind the shares (share x closures, exact for the six
    significant digits of results.json); a rounding remainder goes to 'onbekend'."""
    closed = _int(row.get("closed"))
    counts = {o: int(round((row.get(key) or 0.0) * closed)) for o, (key, _) in OUTCOMES.items()}
    rest = closed - sum(counts.values())
    if rest < 0 or (closed and any(row.get(key) is None for key, _ in OUTCOMES.values())):
        raise ValueError(f"trends: de uitkomsten van {row.get('year')} tellen niet op tot de "
                         f"afsluitingen ({closed})")
    counts["onbekend"] += rest
    return counts


def region_rows(trends: Mapping[str, Any], ctx: Context) -> dict[str, dict[int, Any]]:
    """caw -> year -> row, regions in the report's order, Flanders last."""
    order = {c: i for i, c in enumerate(ctx.region_codes)}
    per_caw = sorted(trends.get("per_caw") or [], key=lambda x: (order.get(x["caw"], 99),
                                                                 x["caw"]))
    out = {x["caw"]: {r["year"]: r for r in x.get("per_year") or []} for x in per_caw}
    out[FLANDERS] = {r["year"]: r for r in trends.get("per_year") or []}
    return out


def _fact(ctx: Context, name: str, value: int) -> str | None:
    return ctx.ck.fact(name, value)


def fact_name(kind: str, caw: str, year: int, last: int) -> str:
    """The shared name of a count (one status wherever it is shown): the reporting year's
    counts are chapter 6's and chapter 5's; earlier years' the names the regional feedback
    reports (pipeline/report/feedback.py) use for the same counts. ``caw`` FLANDERS is
    'all' there. (The last year's open trajectories, active minus closed, are declared
    by chapter 4's period table, not here.)"""
    who, flanders = ("all" if caw == FLANDERS else caw), caw == FLANDERS
    if year == last:
        named = {"A": "counts.active" if flanders else f"active.n.{caw}",
                 "C": "counts.closed" if flanders else f"closed.n.{caw}",
                 "uithuisgezet": "outcome.uithuisgezet" if flanders else f"evicted.{caw}",
                 # not chapter 6's eviction.ja.<caw>: 'ja' there counts evicted ones too
                 **({o: f"outcome.{o}" for o in OUTCOMES if o != "uithuisgezet"}
                    if flanders else {})}
        if kind in named:
            return named[kind]
    return {"S": f"starts.{who}.{year}", "R": f"referrals.{who}.{year}",
            "A": f"active.{who}.{year}", "C": f"closed.{who}.{year}",
            "vermeden": f"avoided.{who}.{year}", "uithuisgezet": f"evicted.{who}.{year}",
            }.get(kind, f"evolutie.{kind}.{who}.{year}")


def publish(ctx: Context, trends: Mapping[str, Any]) -> Published:
    """Declare every count of the chapter with its relations and let the checkpoint decide."""
    years = list(trends["years"])
    rows = region_rows(trends, ctx)
    codes = [c for c in rows if c != FLANDERS]
    last = ctx.year
    spec = disclosure.Spec("evolutie")
    zero = {"starts": 0, "referrals": 0, "active": 0, "closed": 0}
    for caw in codes:
        for i, y in enumerate(years):
            row = rows[caw].get(y, zero)
            s, r = _int(row.get("starts")), _int(row.get("referrals"))
            a, c = _int(row.get("active")), _int(row.get("closed"))
            if r <= s:  # referrals of the year are starts of the year: S = R + late ones
                spec.cell(("R", caw, y), r, fact=_fact(ctx, fact_name("R", caw, y, last), r))
                spec.cell(("L", caw, y), s - r)
                spec.total(("S", caw, y), [("R", caw, y), ("L", caw, y)],
                           fact=_fact(ctx, fact_name("S", caw, y, last), s))
            else:  # inconsistent dates: no relation to declare
                spec.cell(("R", caw, y), r)
                spec.cell(("S", caw, y), s, fact=_fact(ctx, fact_name("S", caw, y, last), s))
            spec.cell(("K", caw, y), max(a - s, 0))  # carried in from the year before
            spec.total(("A", caw, y), [("K", caw, y), ("S", caw, y)],
                       fact=_fact(ctx, fact_name("A", caw, y, last), a))
            for o, n in _outcome_counts({**row, "year": y}).items():
                spec.cell(("O", o, caw, y), n, fact=_fact(ctx, fact_name(o, caw, y, last), n))
            spec.total(("C", caw, y), [("O", o, caw, y) for o in OUTCOMES],
                       fact=_fact(ctx, fact_name("C", caw, y, last), c))
            if i:  # carried into this year = active minus closed of the year before
                prev = rows[caw].get(years[i - 1], zero)
                if _int(prev.get("active")) - _int(prev.get("closed")) == a - s:
                    spec.total(("A2", caw, years[i - 1]),
                               [("C", caw, years[i - 1]), ("K", caw, y)],
                               fact=spec.quantities[("A", caw, years[i - 1])].fact)
    for y in years:  # Flanders: the sums of the regions
        flanders = rows[FLANDERS].get(y, zero)
        fields = {"S": "starts", "R": "referrals", "A": "active", "C": "closed"}
        for kind in fields:
            parts = [(kind, caw, y) for caw in codes]
            total = _int(flanders.get(fields[kind]))
            rest = total - sum(spec.quantities[part].value for part in parts)
            if rest < 0:
                raise ValueError(f"trends {y}: de regio's tellen meer {fields[kind]} dan "
                                 "Vlaanderen")
            if rest:  # trajectories of no listed region: never shown, but in the sum
                parts.append(spec.cell((kind, "rest", y), rest))
            spec.total((kind, FLANDERS, y), parts,
                       fact=_fact(ctx, fact_name(kind, FLANDERS, y, last), total))
        for o in OUTCOMES:
            total = sum(spec.quantities[("O", o, caw, y)].value for caw in codes)
            spec.total(("O", o, FLANDERS, y), [("O", o, caw, y) for caw in codes],
                       fact=_fact(ctx, fact_name(o, FLANDERS, y, last), total))
    for caw in [*codes, FLANDERS]:
        for y in years:
            row = rows[caw].get(y, {})
            for o in OUTCOMES:
                spec.share(("%", o, caw, y), ("O", o, caw, y), ("C", caw, y))
            for name, key in (("clients", "clients_per_fte"), ("caseload", "caseload_per_fte"),
                              ("rmst", "rmst_days")):
                spec.value((name, caw, y), row.get(key), on=[("A", caw, y)])
    return Published(ctx.ck.publish(spec), years, codes)
