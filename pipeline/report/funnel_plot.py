"""The funnel plot of the regional comparison (Spiegelhalter 2005), in the style of
:mod:`pipeline.report.charts` (same rc settings, inline SVG, data table as its text
alternative).

Disclosure: a region's point is the published observed count over its expected count
(:func:`funnel_points`), read from the checkpoint's cell that the region's table row
shows; a region whose count is hidden has no point, no label and no ratio, since its
height times its published expected count would give the count back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import Bbox

from pipeline.report import chart_layout
from pipeline.report import formatting as fmt
from pipeline.report.charts import (
    PALETTE,
    Chart,
    DataTable,
    Translate,
    _figure,
    _identity,
    _positive,
    _short,
    _styled,
    to_inline_svg,
)
from pipeline.report.disclosure import Cell


class FunnelPoint(NamedTuple):
    """One region of a funnel plot: ``observed`` is the checkpoint's cell (the same as in
    the region's table row), ``expected`` the case-mix expected count."""

    code: str
    name: str
    expected: float | None
    observed: Cell
    limits95: Sequence[float | None]
    limits998: Sequence[float | None]


LimitCurve = Callable[[Any, float], tuple[Any, Any]]


def funnel_points(points: Sequence[FunnelPoint]) -> list[tuple[str, float, float]]:
    """(code, expected, O/E) of the regions a funnel plot draws: only those whose observed
    count is a published cell and whose expected count is positive. The O/E is the
    published count over the (published) expected count, so it is the ratio the region's
    table row shows and tells nothing the row does not; a region whose count is hidden has
    no point (its height times its expected count would give the count back)."""
    return [(p.code, float(p.expected), p.observed.value / p.expected) for p in points
            if p.observed.published and _positive(p.expected)]


def _outside(ratio: float, limits: Sequence[float | None]) -> bool:
    lo, hi = (limits or [None, None])[:2]
    return (hi is not None and ratio > hi) or (lo is not None and ratio < lo)


def _spread_labels(fig: Figure, labels: Sequence[Any]) -> None:
    """Move each point label to the first of a few offsets where it overlaps no label
    placed before it (measured after the layout, so close regions stay readable). The
    layout runs here, once, on the SVG canvas (:func:`chart_layout.lay_out`), and the labels
    are measured with its renderer: no drawing of the whole figure just to measure them."""
    chart_layout.lay_out(fig)
    renderer = fig._get_renderer()  # noqa: SLF001 - the public route needs pyplot
    placed: list[Any] = []  # the points themselves, then each label placed
    for label in labels:
        x, y = label.axes.transData.transform(label.xy)
        placed.append(Bbox.from_extents(x - 3, y - 3, x + 3, y + 3))
    for label in labels:
        for dx, dy in ((4, 3), (4, -10), (-4, 3), (-4, -10), (4, 12), (-4, 12), (4, -19)):
            label.set_position((dx, dy))
            label.set_horizontalalignment("left" if dx > 0 else "right")
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
        placed.append(label.get_window_extent(renderer))


@_styled
def funnel_chart(points: Sequence[FunnelPoint], limits: LimitCurve, *, locale: str = "nl",
                 translate: Translate | None = None, alt: str = "",
                 chart_id: str | None = None) -> Chart:
    """A funnel plot (Spiegelhalter 2005): per region the ratio observed / expected (y)
    against the expected count (x, the precision), with the 95 % and 99,8 % limits as
    curves around 1 (``limits(expected, level) -> (lower, upper)``, e.g.
    ``pipeline.stats.funnel.poisson_limits``). A region outside the 99,8 % limits (its own,
    as in its table row) is drawn in another colour and marked; every point is labelled
    with its region code. Regions whose counts the checkpoint hid are not drawn
    (:func:`funnel_points`); the data table shows their marks."""
    import numpy as np

    t = translate or _identity
    drawn = funnel_points(points)
    own = {p.code: p for p in points}
    expected = [float(p.expected) for p in points if _positive(p.expected)]
    fig = _figure(height=3.8)
    ax = fig.add_subplot()
    top = 2.0
    if expected:
        grid = np.linspace(min(expected) * 0.8, max(expected) * 1.1, 160)
        for level, style, colour in ((0.95, "--", "#777777"), (0.998, "-", "#333333")):
            lo, hi = limits(grid, level)
            label = t("%(level)s-grenzen") % {"level": fmt.pct(level, 0 if level == 0.95
                                                               else 1, locale)}
            ax.plot(grid, hi, ls=style, color=colour, lw=1.0, label=label)
            ax.plot(grid, lo, ls=style, color=colour, lw=1.0)
            top = max(top, float(np.nanmax(hi)))
    ax.axhline(1, color="#999999", lw=0.8)
    labels = []
    for code, x, y in sorted(drawn, key=lambda d: (d[1], d[2])):
        signal = _outside(y, own[code].limits998)
        ax.plot([x], [y], marker="D" if signal else "o", ms=5, ls="none",
                color=PALETTE[5] if signal else PALETTE[0])
        labels.append(ax.annotate(code, (x, y), xytext=(4, 3), textcoords="offset points",
                                  fontsize=7, color="#333333"))
        top = max(top, y)
    ax.set_ylim(0, top * 1.05)
    ax.set_xlim(left=0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _short(v, locale)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _short(v, locale)))
    ax.set_xlabel(t("Verwacht aantal (uit het profiel van de trajecten)"))
    ax.set_ylabel(t("Verhouding waargenomen / verwacht"))
    if expected:  # the limit curves
        ax.legend(frameon=False, loc="upper right")
    _spread_labels(fig, labels)

    def bounds(pair: Sequence[float | None]) -> str:
        lo, hi = (pair or [None, None])[:2]
        return f"{fmt.dec(lo, 2, locale)}–{fmt.dec(hi, 2, locale)}"

    ratios = {code: y for code, _x, y in drawn}
    rows = [[p.name, fmt.dec(p.expected, 1, locale),
             p.observed.text(lambda v: fmt.integer(v, locale)),
             fmt.dec(ratios[p.code], 2, locale) if p.code in ratios
             else (p.observed.mark if p.observed.hidden else "–"),
             bounds(p.limits95), bounds(p.limits998)] for p in points]
    columns = [t("CAW-regio"), t("Verwacht"), t("Waargenomen"),
               t("Verhouding waargenomen / verwacht"),
               t("%(level)s-grenzen") % {"level": fmt.pct(0.95, 0, locale)},
               t("%(level)s-grenzen") % {"level": fmt.pct(0.998, 1, locale)}]
    return Chart(to_inline_svg(fig, alt=alt, chart_id=chart_id), DataTable(columns, rows))


# --------------------------------------------------------------------------- line charts
