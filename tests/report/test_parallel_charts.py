"""Charts drawn on two processes (pipeline/report/parallel_charts.py): the same bytes as
drawn in one, both processes draw, a failing child loses nothing, errors still raise."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import pytest

from pipeline.report import charts, parallel_charts
from pipeline.report.i18n import Translator

KM = {"days": [0, 30, 90, 180, 365], "survival": [1.0, 0.92, 0.81, 0.66, 0.5],
      "lower": [1.0, 0.9, 0.78, 0.62, 0.45], "upper": [1.0, 0.94, 0.84, 0.7, 0.55]}


def _calls(translate=None) -> list:
    """Five real charts of different kinds (the report's own functions)."""
    kwargs = {"translate": translate} if translate else {}
    lines = {"x_label": "Jaar", "y_label": "Starts", "value_text": str}
    return [
        lambda: charts.km_chart(KM, chart_id="a", **kwargs),
        lambda: charts.km_chart({"SHM": KM, "SVK": {**KM, "survival": [1, .9, .7, .5, .4]}},
                                chart_id="b", **kwargs),
        lambda: charts.line_chart([2011, 2012, 2013], {"Vlaanderen": [10.0, 12.0, 15.0]},
                                  chart_id="c", **lines),
        lambda: charts.small_multiples([2011, 2012, 2013],
                                       {r: [1.0, 2.0, float(i)] for i, r in
                                        enumerate(["OVL", "BMK", "LIM", "BRU"])},
                                       chart_id="d", row_label="Regio", y_label="Starts",
                                       value_text=str),
        lambda: charts.km_chart({**KM, "survival": [1, .95, .85, .7, .6]}, chart_id="e",
                                **kwargs),
    ]


def test_two_processes_draw_the_same_bytes_as_one() -> None:
    alone = [call() for call in _calls()]
    with parallel_charts.drawn_later() as pending:
        kept = [call() for call in _calls()]
    assert kept == pending and not any(p.drawn for p in pending)
    parallel_charts.draw(pending, parallel=True)
    assert all(p.drawn for p in pending)
    assert [p.svg for p in pending] == [c.svg for c in alone]
    assert [p.table for p in pending] == [c.table for c in alone]


def test_untranslated_messages_found_by_the_child_come_back() -> None:
    translator = Translator("en", {})  # an empty catalogue: every label is missing
    alone = Translator("en", {})
    for call in _calls(alone.gettext):
        call()
    assert alone.missing  # the chart labels are looked up
    with parallel_charts.drawn_later() as pending:
        for call in _calls(translator.gettext):
            call()
    parallel_charts.draw(pending, parallel=True)
    assert translator.missing == alone.missing


class _Barrier:
    """Chart stand-ins that return the pid that drew them; the first waits until the last
    is claimed and the last until the first is: both processes must draw one."""

    def __init__(self, folder: Path, count: int) -> None:
        self.folder, self.count = folder, count

    def chart(self, index: int) -> int:
        other = {0: self.count - 1, self.count - 1: 0}.get(index)
        deadline = time.monotonic() + 60
        while other is not None and not (self.folder / f"{other}.claim").exists():
            assert time.monotonic() < deadline, "the other process never claimed its chart"
            time.sleep(0.005)
        return os.getpid()


@pytest.fixture
def claims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "claims"

    @contextlib.contextmanager
    def fixed_folder(prefix: str = ""):
        folder.mkdir()
        yield str(folder)

    monkeypatch.setattr(parallel_charts.tempfile, "TemporaryDirectory", fixed_folder)
    return folder


def test_both_processes_draw_and_each_chart_once(claims: Path) -> None:
    barrier = _Barrier(claims, 6)
    pending = [parallel_charts.PendingChart(barrier.chart, (i,), {}) for i in range(6)]
    parallel_charts.draw(pending, parallel=True)
    pids = [p.draw() for p in pending]
    assert pids[0] != os.getpid() and pids[-1] == os.getpid()
    assert sorted(p.name for p in claims.glob("*.claim")) == [f"{i}.claim" for i in range(6)]


def test_a_child_that_fails_loses_no_chart(claims: Path) -> None:
    parent = os.getpid()

    def fragile(i: int) -> int:
        if os.getpid() != parent:
            raise MemoryError("the child fails")
        return i

    pending = [parallel_charts.PendingChart(fragile, (i,), {}) for i in range(4)]
    parallel_charts.draw(pending, parallel=True)
    assert [p.draw() for p in pending] == [0, 1, 2, 3]


def test_an_error_in_a_chart_raises_here() -> None:
    def broken(i: int) -> int:
        if i == 2:
            raise ValueError("kapotte grafiek")
        return i

    pending = [parallel_charts.PendingChart(broken, (i,), {}) for i in range(4)]
    with pytest.raises(ValueError, match="kapotte grafiek"):
        parallel_charts.draw(pending, parallel=True)


def test_outside_drawn_later_a_chart_is_drawn_at_once() -> None:
    chart = charts.km_chart(KM)
    assert isinstance(chart, charts.Chart)


def test_no_second_process_draws_everything_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """fork refused (memory, process limit): every chart is drawn in this process."""
    def refused() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(parallel_charts.os, "fork", refused)
    pending = [parallel_charts.PendingChart(lambda i: (i, os.getpid()), (i,), {})
               for i in range(3)]
    parallel_charts.draw(pending, parallel=True)
    assert [p.draw() for p in pending] == [(i, os.getpid()) for i in range(3)]
