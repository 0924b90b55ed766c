"""Report charts as inline SVG text, each with the data table shown beside it.

Why this shape: the report is one offline HTML file that must be byte-identical for the
same inputs. So charts are drawn on bare ``Figure`` objects (no pyplot, no GUI backend,
no global state) inside an ``rc_context`` with a fixed ``svg.hashsalt``, text kept as text
(``svg.fonttype='none'``: no embedded glyphs, no font files) and no date metadata. The SVG
is then made inline-safe: no XML declaration, DOCTYPE, comments or namespace URLs
(the HTML parser puts ``<svg>`` in the SVG namespace; ``xlink:href`` becomes ``href``),
matplotlib's document-wide ``<style>*{...}</style>`` becomes a root attribute, unused ids
are dropped and used ids get a per-chart prefix so several charts can share one page.

Every function returns ``Chart(svg, table)``; ``table`` holds the plotted values as
display strings (Dutch by default). ``translate`` maps the Dutch labels used here (all
listed in ``MESSAGES``) to the report language; ``locale`` picks the number formats.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from pipeline.report import chart_layout, parallel_charts
from pipeline.report import formatting as fmt
from pipeline.report.disclosure import Cell

Translate = Callable[[str], str]

RC = {
    "svg.hashsalt": "pwb-report",
    "svg.fonttype": "none",
    "svg.id": None,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}
# Okabe-Ito: distinguishable in colour-blind vision and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
FOUR_OUTCOMES = {"vermeden": ("Uithuiszetting vermeden", "#009E73"),
                 "uithuisgezet": ("Uithuisgezet", "#D55E00"),
                 "niet_vermeden": ("Niet vermeden, zonder uithuiszetting", "#E69F00"),
                 "onbekend": ("Afloop onbekend", "#999999")}
OUTCOMES = {"vermeden": ("Uithuiszetting vermeden", "#009E73"),
            "uithuisgezet": ("Uithuisgezet", "#D55E00"),
            "ander": ("Andere afsluiting", "#999999")}
MESSAGES = (
    "Dagen sinds de start van de begeleiding", "Aandeel nog in begeleiding", "Groep", "Dag",
    "Nog in begeleiding", "Ondergrens (%(level)s)", "Bovengrens (%(level)s)",
    "Cumulatieve incidentie", *(label for label, _ in OUTCOMES.values()),
    *(label for label, _ in FOUR_OUTCOMES.values()),
    "Hazardratio (logaritmische schaal)", "Oddsratio (logaritmische schaal)",
    "Subdistributie-hazardratio (logaritmische schaal)", "Kenmerk",
    "Subdistributie-hazardratio (%(level)s-BI)",
    "Hazardratio (%(level)s-BI)", "Oddsratio (%(level)s-BI)", "p", "Categorie", "Aantal",
    "Aandeel", "Totaal", "%(label)s (%(level)s-BI)",
)


class DataTable(NamedTuple):
    """The plotted values as display strings, for a ``<details>`` beside the chart."""

    columns: list[str]
    rows: list[list[str]]


class Chart(NamedTuple):
    svg: str
    table: DataTable


def _identity(text: str) -> str:
    return text


def _figure(height: float = 3.4) -> Figure:
    return Figure(figsize=(6.4, height), layout="constrained")


def _styled(chart: Callable[..., Chart]) -> Callable[..., Chart]:
    """Run a chart function inside RC: artists read rcParams when they are created.

    Inside ``parallel_charts.drawn_later()`` the call is kept as a ``PendingChart`` (drawn
    with the report's other charts on both cores, ``parallel_charts.draw``) instead.
    """
    def drawn(*args: Any, **kwargs: Any) -> Chart:
        with mpl.rc_context(RC):
            return chart(*args, **kwargs)

    @functools.wraps(chart)
    def wrapper(*args: Any, **kwargs: Any) -> Chart:
        pending = parallel_charts.kept(drawn, args, kwargs)
        return drawn(*args, **kwargs) if pending is None else pending  # type: ignore[return-value]
    return wrapper


def _positive(value: Any) -> bool:
    return value is not None and math.isfinite(value) and value > 0


_REF = re.compile(r'(?:url\(#|href="#)([\w.:-]+)')
_ID = re.compile(r' id="([^"]+)"')


def to_inline_svg(fig: Figure, *, alt: str = "", chart_id: str | None = None) -> str:
    """Serialise ``fig`` deterministically and make it safe to inline in HTML."""
    buf = io.StringIO()
    with mpl.rc_context(RC), chart_layout.measured_once():
        chart_layout.lay_out(fig)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None,
                                                  "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s*xmlns(:xlink)?="[^"]*"', "", svg).replace("xlink:href=", "href=")
    style = re.search(r'<style type="text/css">\*\{([^}]*)\}</style>', svg)
    svg = svg.replace(style.group(0), "") if style else svg
    svg = re.sub(r"<defs>\s*</defs>\s*", "", svg)
    used = set(_REF.findall(svg))
    prefix = chart_id or "c" + hashlib.sha256(svg.encode()).hexdigest()[:10]
    prefix = re.sub(r"[^\w-]", "-", prefix)
    svg = _ID.sub(lambda m: f' id="{prefix}-{m[1]}"' if m[1] in used else "", svg)
    svg = _REF.sub(lambda m: f"{m[0][:-len(m[1])]}{prefix}-{m[1]}", svg)
    label = f' aria-label="{_attr(alt)}"' if alt else ""
    root = (f'<svg class="pwb-chart" role="img"{label} '
            f'style="max-width:100%;height:auto;{style.group(1) if style else ""}"')
    return svg.replace("<svg", root, 1).rstrip() + "\n"


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _percent_axis(axis: Any, locale: str) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.pct(v, 0, locale)))


def _days_axis(axis: Any, locale: str) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.integer(v, locale)))


def _level(conf_level: float, locale: str) -> dict[str, str]:
    return {"level": fmt.pct(conf_level, 0, locale)}


@_styled
def km_chart(curves: Mapping[str, Any], *, conf_level: float = 0.95, locale: str = "nl",
             translate: Translate | None = None, alt: str = "",
             chart_id: str | None = None) -> Chart:
    """Kaplan–Meier step curves with their confidence band.

    ``curves`` is one curve (keys days, survival, optional lower/upper: the
    ``time_to_closure.curve`` of results.json) or a mapping of group label -> curve.
    """
    t = translate or _identity
    groups = {"": curves} if "days" in curves else dict(curves)
    fig = Figure(figsize=(6.4, 3.4))  # laid out by chart_layout.plain_margins
    ax = fig.add_subplot()
    rows = []
    for k, (name, c) in enumerate(groups.items()):
        colour = PALETTE[k % len(PALETTE)]
        ax.step(c["days"], c["survival"], where="post", color=colour, lw=1.4,
                label=name or None)
        if c.get("lower") is not None and c.get("upper") is not None:
            ax.fill_between(c["days"], c["lower"], c["upper"], step="post", color=colour,
                            alpha=0.2, lw=0)
        for i, day in enumerate(c["days"]):
            bounds = [fmt.pct(c[b][i] if c.get(b) else None, 1, locale)
                      for b in ("lower", "upper")]
            rows.append(([name] if len(groups) > 1 else [])
                        + [fmt.integer(day, locale), fmt.pct(c["survival"][i], 1, locale),
                           *bounds])
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    _percent_axis(ax.yaxis, locale)
    _days_axis(ax.xaxis, locale)
    ax.set_xlabel(t("Dagen sinds de start van de begeleiding"))
    ax.set_ylabel(t("Aandeel nog in begeleiding"))
    if len(groups) > 1:
        ax.legend(frameon=False)
    level = _level(conf_level, locale)
    columns = ([t("Groep")] if len(groups) > 1 else []) + [
        t("Dag"), t("Nog in begeleiding"), t("Ondergrens (%(level)s)") % level,
        t("Bovengrens (%(level)s)") % level]
    chart_layout.plain_margins(fig, ax)
    return Chart(to_inline_svg(fig, alt=alt, chart_id=chart_id), DataTable(columns, rows))


@_styled
def incidence_chart(curve: Mapping[str, Any], *, stacked: bool = True,
                    conf_level: float = 0.95, locale: str = "nl",
                    translate: Translate | None = None, alt: str = "",
                    chart_id: str | None = None,
                    outcomes: Mapping[str, tuple[str, str]] | None = None) -> Chart:
    """Cumulative incidence of the three closure outcomes (Aalen–Johansen).

    ``curve`` is ``cumulative_incidence.curve`` of results.json. Stacked areas show how
    closed trajectories split over the outcomes (their sum is 1 - KM); ``stacked=False``
    draws each outcome as a step line with its confidence band (also in the table).
    """
    t = translate or _identity
    shown = OUTCOMES if outcomes is None else outcomes  # key -> (Dutch label, colour)
    days = list(curve["days"])
    fig = Figure(figsize=(6.4, 3.4))  # laid out by chart_layout.plain_margins
    ax = fig.add_subplot()
    base = [0.0] * len(days)
    for key, (_label, colour) in shown.items():
        values = list(curve[key])
        if stacked:
            top = [b + v for b, v in zip(base, values, strict=True)]
            ax.fill_between(days, base, top, step="post", color=colour, lw=0)
            base = top
        else:
            ax.step(days, values, where="post", color=colour, lw=1.4)
            if "lower" in curve and "upper" in curve:
                ax.fill_between(days, curve["lower"][key], curve["upper"][key], step="post",
                                color=colour, alpha=0.2, lw=0)
    ax.legend(handles=[Patch(color=c, label=t(label)) for label, c in shown.values()],
              frameon=False, loc="upper left")
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0)
    _percent_axis(ax.yaxis, locale)
    _days_axis(ax.xaxis, locale)
    ax.set_xlabel(t("Dagen sinds de start van de begeleiding"))
    ax.set_ylabel(t("Cumulatieve incidentie"))

    def cell(key: str, i: int) -> str:
        text = fmt.pct(curve[key][i], 1, locale)
        if stacked or "lower" not in curve:
            return text
        lo, hi = (fmt.dec(curve[b][key][i] * 100, 1, locale) for b in ("lower", "upper"))
        return f"{text} ({lo}–{hi})"

    rows = [[fmt.integer(d, locale), *(cell(k, i) for k in shown)] for i, d in enumerate(days)]
    columns = [t("Dag"), *(t(label) for label, _ in shown.values())]
    if not stacked and "lower" in curve:
        columns[1:] = [t("%(label)s (%(level)s-BI)") % {"label": c, **_level(conf_level, locale)}
                       for c in columns[1:]]
    chart_layout.plain_margins(fig, ax)
    return Chart(to_inline_svg(fig, alt=alt, chart_id=chart_id), DataTable(columns, rows))


def term_label(term: str) -> str:
    """'verhuurder_type[SVK]' -> 'verhuurder_type: SVK' (model terms as in results.json)."""
    match = re.fullmatch(r"(.+)\[(.+)\]", term)
    return f"{match[1]}: {match[2]}" if match else term


def _ratio_ticks(lo: float, hi: float) -> list[float]:
    nice = [0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10, 20]
    return [v for v in nice if lo <= v <= hi]


def _short(value: float, locale: str) -> str:
    digits = 0 if value == int(value) else 1 if value * 10 == int(value * 10) else 2
    return fmt.dec(value, digits, locale)


@_styled
def forest_plot(terms: Sequence[Mapping[str, Any]], *,
                measure: Literal["hr", "or", "shr"] = "hr",
                label: Callable[[str], str] = term_label, conf_level: float = 0.95,
                locale: str = "nl", translate: Translate | None = None, alt: str = "",
                chart_id: str | None = None) -> Chart:
    """Hazard or odds ratios with their CIs on a log axis, first term at the top.

    ``terms`` are ``cox.terms`` or ``eviction_avoided.terms``; the intercept is left out.
    A term without finite CI bounds is drawn as a point and shown with '–' bounds.
    """
    t = translate or _identity
    terms = [x for x in terms if x["term"] != "(Intercept)"]
    name = {"hr": "Hazardratio", "or": "Oddsratio", "shr": "Subdistributie-hazardratio"}[measure]
    fig = Figure(figsize=(6.4, 1.0 + 0.26 * max(len(terms), 1)))  # see chart_layout.plain_margins
    ax = fig.add_subplot()
    finite = [v for x in terms for v in (x[measure], *x[f"{measure}_ci"]) if _positive(v)]
    rows, bars, points = [], [], []
    for k, x in enumerate(terms):
        y = len(terms) - 1 - k
        lo, hi = x[f"{measure}_ci"]
        if _positive(lo) and _positive(hi):
            bars.append((y, lo, hi))
        if _positive(x[measure]):
            points.append((x[measure], y))
        rows.append([label(x["term"]), fmt.ci(x[measure], lo, hi, 2, locale),
                     fmt.pvalue(x.get("p"), locale, prefix=False)])
    if bars:  # one collection and one marker line, not two artists per term
        ys, los, his = zip(*bars, strict=True)
        ax.hlines(ys, los, his, color="#333333", lw=1.2, capstyle="projecting")
    if points:
        ax.plot(*zip(*points, strict=True), marker="s", color=PALETTE[0], ms=5, ls="none")
    ax.axvline(1, color="#777777", lw=0.8, ls="--")
    ax.set_xscale("log")
    lo_lim, hi_lim = min([*finite, 0.8]) / 1.15, max([*finite, 1.25]) * 1.15
    ax.set_xlim(lo_lim, hi_lim)
    ax.xaxis.set_major_locator(FixedLocator(_ratio_ticks(lo_lim, hi_lim)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _short(v, locale)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks(range(len(terms)), [label(x["term"]) for x in reversed(terms)])
    ax.set_ylim(-0.7, len(terms) - 0.3)
    ax.set_xlabel(t(f"{name} (logaritmische schaal)"))
    chart_layout.plain_margins(fig, ax)
    columns = [t("Kenmerk"), t(f"{name} (%(level)s-BI)") % _level(conf_level, locale), t("p")]
    return Chart(to_inline_svg(fig, alt=alt, chart_id=chart_id), DataTable(columns, rows))


@_styled
def bar_chart(labels: Sequence[str], counts: Sequence[Cell], shares: Sequence[Cell], *,
              total: Cell | None = None, percent: bool = True, locale: str = "nl",
              translate: Translate | None = None, alt: str = "",
              chart_id: str | None = None) -> Chart:
    """A distribution as horizontal bars, first category at the top.

    Drawing only: ``counts`` and ``shares`` are cells the disclosure checkpoint already
    decided (``pipeline.report.disclosure``), so a bar never shows what the table hides:
    a hidden category gets no bar, only its mark (``<5`` or ``x``). Bars show the shares
    (``percent``) or the counts.
    """
    t = translate or _identity

    def count_text(cell: Cell) -> str:
        return cell.text(lambda v: fmt.integer(v, locale))

    def share_text(cell: Cell) -> str:
        return cell.text(lambda v: fmt.pct(v, 1, locale))

    fig = _figure(height=0.9 + 0.28 * max(len(labels), 1))
    ax = fig.add_subplot()
    ys = list(range(len(labels) - 1, -1, -1))
    values = [(s.value or 0.0) if percent else (c.value or 0)
              for c, s in zip(counts, shares, strict=True)]
    ax.barh(ys, values, color=PALETTE[0], height=0.65)
    top = max(values, default=0) or 1
    for y, v, c, s in zip(ys, values, counts, shares, strict=True):
        text = count_text(c) if c.hidden else (share_text(s) if percent else count_text(c))
        ax.text(v + top * 0.01, y, text, va="center", ha="left", fontsize=8, color="#333333")
    ax.set_yticks(ys, list(labels))
    ax.set_xlim(0, top * 1.15)
    if percent:
        _percent_axis(ax.xaxis, locale)
    else:
        _days_axis(ax.xaxis, locale)
    ax.set_xlabel(t("Aandeel") if percent else t("Aantal"))
    columns = [t("Categorie"), t("Aantal"), t("Aandeel")]
    rows = [[str(label), count_text(c), share_text(s)]
            for label, c, s in zip(labels, counts, shares, strict=True)]
    if total is not None:
        rows.append([t("Totaal"), count_text(total), fmt.pct(1.0, 1, locale)
                     if total.published and total.value else "–"])
    return Chart(to_inline_svg(fig, alt=alt, chart_id=chart_id), DataTable(columns, rows))


Point = Cell | float | int | None


def _plotted(value: Point) -> float:
    """The height drawn for one point: NaN (a gap in the line, nothing drawn) for a cell
    the disclosure checkpoint hid and for a missing value."""
    if isinstance(value, Cell):
        value = value.value  # None when hidden
    if value is None or not math.isfinite(value):
        return math.nan
    return float(value)


def _shown(value: Point, text: Callable[[Any], str]) -> str:
    """A point as the data table shows it: the number, the mark of a hidden cell, or '–'."""
    if isinstance(value, Cell):
        return value.text(text)
    return fmt.MISSING if value is None or not math.isfinite(value) else text(value)


def _line_axes(ax: Any, xs: Sequence[float], x_text: Callable[[Any], str], *,
               percent: bool, locale: str, every: int) -> None:
    ax.xaxis.set_major_locator(FixedLocator(list(xs)[::every]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: x_text(v)))
    ax.xaxis.set_minor_locator(NullLocator())
    if percent:
        _percent_axis(ax.yaxis, locale)
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _short(v, locale)))
    if len(xs) == 1:
        ax.set_xlim(xs[0] - 0.5, xs[0] + 0.5)


@_styled
def line_chart(x: Sequence[float], series: Mapping[str, Sequence[Point]], *,
               x_label: str, y_label: str, value_text: Callable[[Any], str],
               x_text: Callable[[Any], str] = str,
               band: Mapping[str, tuple[Sequence[Any], Sequence[Any]]] | None = None,
               band_label: str = "", reference: tuple[float, str] | None = None,
               percent: bool = False, zero: bool = False, locale: str = "nl",
               alt: str = "", chart_id: str | None = None) -> Chart:
    """Lines over ``x`` (years, months), one per series, every point marked.

    Drawing only: a point is a ``Cell`` the disclosure checkpoint decided (or a plain
    number that rests on no hidden count); a hidden or missing point is a gap in its line,
    never drawn, and only its mark (``<5``/``x``) or '–' stands in the data table.
    ``band``: per series the lower and upper bounds, drawn as a shaded band and given in
    the table as 'estimate (lower–upper)' under the header ``band_label % name``;
    ``reference``: a horizontal line (a norm, or no change) with its legend text.
    Labels come translated from the caller.
    """
    band = band or {}
    xs = [float(v) for v in x]
    fig = Figure(figsize=(6.4, 3.0))  # laid out by chart_layout.plain_margins
    ax = fig.add_subplot()
    for k, (name, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        ys = [_plotted(v) for v in values]
        ax.plot(xs, ys, color=colour, lw=1.4, marker="o", ms=4, label=name)
        if name in band:
            lo, hi = ([_plotted(v) for v in b] for b in band[name])
            ax.fill_between(xs, lo, hi, color=colour, alpha=0.18, lw=0)
    if reference is not None:
        ax.axhline(reference[0], color="#777777", lw=0.9, ls="--", label=reference[1])
    if zero:
        ax.set_ylim(bottom=0)
    _line_axes(ax, xs, x_text, percent=percent, locale=locale,
               every=max(1, math.ceil(len(xs) / 13)))
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if len(series) > 1 or reference is not None:
        ax.legend(frameon=False, fontsize=8)

    def cell(name: str, i: int) -> str:
        text = _shown(series[name][i], value_text)
        if name not in band or math.isnan(_plotted(series[name][i])):
            return text
        lo, hi = (_shown(b[i], value_text) for b in band[name])
        return text if lo == hi == fmt.MISSING else f"{text} ({lo}; {hi})"

    columns = [x_label, *((band_label % {"name": n}) if n in band and band_label else n
                          for n in series)]
    rows = [[x_text(v), *(cell(n, i) for n in series)] for i, v in enumerate(x)]
    chart_layout.plain_margins(fig, ax)
    return Chart(to_inline_svg(fig, alt=alt, chart_id=chart_id), DataTable(columns, rows))


@_styled
def small_multiples(x: Sequence[float], panels: Mapping[str, Sequence[Point]], *,
                    row_label: str, y_label: str, value_text: Callable[[Any], str],
                    x_text: Callable[[Any], str] = str,
                    reference: tuple[float, str] | None = None, percent: bool = False,
                    zero: bool = True, columns: int = 5, locale: str = "nl",
                    alt: str = "", chart_id: str | None = None) -> Chart:
    """One small line chart per panel (a region), sharing both axes so that the panels
    compare at a glance. Points as in :func:`line_chart`: hidden ones are gaps, never
    drawn. The data table has a row per panel and a column per ``x``."""
    xs = [float(v) for v in x]
    n = max(len(panels), 1)
    cols = min(columns, n)
    rows_n = math.ceil(n / cols)
    height = 0.7 + 1.35 * rows_n
    # fixed margins instead of the constrained layout: ten panels laid out by the solver
    # cost seconds a chart, and the panels' labels are short and known
    fig = Figure(figsize=(6.4, height))
    axes = fig.subplots(rows_n, cols, sharex=True, sharey=True, squeeze=False,
                        gridspec_kw={"left": 0.1, "right": 0.98, "bottom": 0.35 / height,
                                     "top": 1 - 0.45 / height, "wspace": 0.18,
                                     "hspace": 0.45})
    for k, ax in enumerate(axes.flat):
        if k >= len(panels):
            ax.set_axis_off()
            continue
        name = list(panels)[k]
        ax.plot(xs, [_plotted(v) for v in panels[name]], color=PALETTE[0], lw=1.3,
                marker="o", ms=3)
        if reference is not None:
            ax.axhline(reference[0], color="#777777", lw=0.8, ls="--")
        ax.text(0.5, 1.03, name, transform=ax.transAxes, ha="center", va="bottom",
                fontsize=8)  # not set_title: placing titles measures every panel
        ax.tick_params(labelsize=7)
        # the panels have no axis labels: a fixed (unused) label position spares each
        # axis measuring its tick labels a second time at every draw to place one
        ax.xaxis.set_label_coords(0.5, 0)
        ax.yaxis.set_label_coords(0, 0.5)
        _line_axes(ax, xs, x_text, percent=percent, locale=locale,
                   every=max(1, math.ceil(len(xs) / 4)))
    if zero:
        axes.flat[0].set_ylim(bottom=0)
    if len(xs) > 1:
        pad = (xs[-1] - xs[0]) * 0.12
        axes.flat[0].set_xlim(xs[0] - pad, xs[-1] + pad)
    fig.text(0.01, 0.5, y_label, rotation=90, va="center", ha="left", fontsize=8)
    if reference is not None:
        fig.text(0.98, 1 - 0.12 / height, f"- - {reference[1]}", va="top", ha="right",
                 fontsize=7, color="#555555")
    rows = [[name, *(_shown(v, value_text) for v in values)]
            for name, values in panels.items()]
    return Chart(to_inline_svg(fig, alt=alt, chart_id=chart_id),
                 DataTable([row_label, *(x_text(v) for v in x)], rows))
