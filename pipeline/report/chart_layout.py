"""How the report's charts are laid out: text measured once per process, the layout engine
run once before saving, and fixed margins computed from a chart's text.

Why apart from ``charts``: drawing speed is the run's cost (a yearly report draws some 30
charts), and these helpers touch matplotlib's renderer and layout machinery, not what a
chart shows. ``charts`` and ``funnel_plot`` call them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

_TEXT_SIZES: dict[tuple, tuple[float, float, float]] = {}
_FONT_KEYS = ("font.family", "font.sans-serif", "font.serif", "font.monospace",
              "font.cursive", "font.fantasy")
_MEASURE = RendererSVG.get_text_width_height_descent


def _measured(renderer: RendererSVG, s: str, prop: Any, ismath: Any
              ) -> tuple[float, float, float]:
    key = (s, prop.copy(), ismath, tuple(tuple(mpl.rcParams[k]) for k in _FONT_KEYS))
    if key not in _TEXT_SIZES:
        if len(_TEXT_SIZES) > 50_000:
            _TEXT_SIZES.clear()
        _TEXT_SIZES[key] = _MEASURE(renderer, s, prop, ismath)
    return _TEXT_SIZES[key]


@contextmanager
def measured_once() -> Iterator[None]:
    """Text extents measured once per process, not once per SVG renderer.

    Matplotlib caches a text's size per renderer, and every savefig makes two (the
    layout pass and the drawing), so the same tick labels and titles were shaped
    again for every chart: about a millisecond each (FreeType with libraqm), a
    third of the report's chart time. The SVG renderer's size of a string depends
    only on the string, its font properties and the fonts the rc settings name, so
    those are the key; the numbers are the renderer's own.
    """
    RendererSVG.get_text_width_height_descent = _measured  # type: ignore[method-assign]
    try:
        yield
    finally:
        RendererSVG.get_text_width_height_descent = _MEASURE  # type: ignore[method-assign]


def lay_out(fig: Figure) -> None:
    """Lay the figure out once, as savefig would, and spare savefig its layout pass.

    With a layout engine, savefig draws the whole figure once without output only to
    run the engine, then draws it for real. Here the engine runs on the same SVG
    canvas before savefig, so only the real drawing is left: the same bytes, one
    draw less per chart.
    """
    engine = fig.get_layout_engine()
    if engine is None or not fig.axes:
        return
    FigureCanvasSVG(fig)  # the canvas savefig would switch to: SVG text metrics
    engine.execute(fig)
    fig.set_layout_engine("none")


def _text_size(text: str) -> tuple[float, float]:
    """Width and height in points of one line of text at the rc font size, as the SVG
    renderer measures it when it draws (a line is at least as high as 'lp')."""
    renderer = RendererSVG(1, 1, io.StringIO())
    prop = FontProperties(size=mpl.rcParams["font.size"])
    w, h, _ = _measured(renderer, text, prop, False)
    return w, max(h, _measured(renderer, "lp", prop, False)[1])


def _tick_texts(ax: Any, which: str) -> list[tuple[str, float]]:
    """The major tick labels of one axis that will be drawn, with their position as a
    fraction of the axes (0 at the left or bottom), from its locator and formatter."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    locs = axis.get_majorticklocs()
    texts = axis.get_major_formatter().format_ticks(locs)  # as drawing formats them
    k = 0 if which == "x" else 1
    to_axes = ax.transScale + ax.transLimits
    fractions = [float(to_axes.transform([(v, v)])[0][k]) for v in locs]
    return [(s, f) for s, f in zip(texts, fractions, strict=True) if -1e-9 <= f <= 1 + 1e-9]


def plain_margins(fig: Figure, ax: Any) -> None:
    """Place a chart's one Axes (tick labels left and bottom, axis labels, a legend
    inside) with margins computed from its text instead of the constrained layout: the
    widest y tick label and the y label's line on the left, the x tick labels and the
    x label below, and room for the outer tick labels where they reach past the axes.
    Gaps as the constrained layout's (3 points around the figure) and the rc tick sizes
    and pads. Twice, since the automatic tick locators choose by the axes' size. The
    axis labels go where matplotlib would put them, so drawing measures the tick labels
    once."""
    rc = mpl.rcParams
    width, height = (v * 72 for v in fig.get_size_inches())
    pad = 72 * rc["figure.constrained_layout.w_pad"]
    x_tick = rc["xtick.major.size"] + rc["xtick.major.pad"]
    y_tick = rc["ytick.major.size"] + rc["ytick.major.pad"]
    line = _text_size("lp")[1]
    for _ in range(2):
        xs = [(*_text_size(s), f) for s, f in _tick_texts(ax, "x")]
        ys = [(*_text_size(s), f) for s, f in _tick_texts(ax, "y")]
        beside = y_tick + max((w for w, _h, _f in ys), default=0.0)
        beside += rc["axes.labelpad"] if ax.get_ylabel() else 0
        below = x_tick + max((h for _w, h, _f in xs), default=line) + rc["axes.labelpad"]
        left = pad + beside + (_text_size(ax.get_ylabel())[1] if ax.get_ylabel() else 0)
        bottom = pad + below + (_text_size(ax.get_xlabel())[1] if ax.get_xlabel() else 0)
        inner_w, inner_h = width - left - pad, height - bottom - pad
        right = pad + max([0.0, *(w / 2 - (1 - f) * inner_w for w, _h, f in xs)])
        top = pad + max([0.0, *(h / 2 - (1 - f) * inner_h for _w, h, f in ys)])
        left = max(left, pad + max([0.0, *(w / 2 - f * inner_w for w, _h, f in xs)]))
        fig.subplots_adjust(left=left / width, right=1 - right / width,
                            bottom=bottom / height, top=1 - top / height)
    ax.xaxis.set_label_coords(0.5, -below / (height - bottom - top))
    ax.yaxis.set_label_coords(-beside / (width - left - right), 0.5)
