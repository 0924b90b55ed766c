"""The report's charts drawn on both cores, after the chapters are built (issue 16).

Drawing is most of the report's time (matplotlib, one core: about 1.5 s for the 30
charts of a yearly report) and the charts do not depend on one another. While the
report is built (`drawn_later`), each chart call is kept as a `PendingChart`; the
chapters keep it in their `Figure` (its table and SVG are read only when the page is
written). `draw` then draws them: on Linux a forked child takes them from the first,
this process from the last, each claiming a chart before drawing it, so that both
cores stay busy until the last one is done. The child only runs chart code on values
made before the fork (no polars, no store, no lock another thread could hold), writes
each chart to a file in a private temporary folder and leaves without any cleanup of
the parent. A chart is the same bytes whichever process draws it; one the child did
not deliver (it failed, or was killed) is drawn here, so an error shows as it would.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

#: PWB_PARALLEL_CHARTS=0 draws every chart in this process (the benchmarks compare both).
PARALLEL = os.environ.get("PWB_PARALLEL_CHARTS", "1") != "0"


class PendingChart:
    """A chart call kept for later: its ``svg`` and ``table`` as the ``Chart``'s, drawn on
    first use unless `draw` gave it its chart before."""

    __slots__ = ("_call", "_chart", "args", "kwargs")

    def __init__(self, call: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self._call, self.args, self.kwargs = call, args, kwargs
        self._chart: Any = None

    @property
    def drawn(self) -> bool:
        return self._chart is not None

    def draw(self) -> Any:
        if self._chart is None:
            self._chart = self._call(*self.args, **self.kwargs)
        return self._chart

    def give(self, chart: Any) -> None:
        """The chart as the other process drew it from the same call."""
        self._chart = chart

    @property
    def svg(self) -> str:
        return self.draw().svg

    @property
    def table(self) -> Any:
        return self.draw().table

    def missing_messages(self) -> set[str] | None:
        """The untranslated-message set of the call's translator (i18n.Translator), if any:
        what the child adds to its copy is brought back to this one."""
        owner = getattr(self.kwargs.get("translate"), "__self__", None)
        missing = getattr(owner, "missing", None)
        return missing if isinstance(missing, set) else None


_LATER: contextvars.ContextVar[list[PendingChart] | None] = contextvars.ContextVar(
    "pwb_charts_drawn_later", default=None)


@contextlib.contextmanager
def drawn_later() -> Iterator[list[PendingChart]]:
    """Keep every chart call of this block as a PendingChart, in the list given."""
    later: list[PendingChart] = []
    token = _LATER.set(later)
    try:
        yield later
    finally:
        _LATER.reset(token)


def kept(call: Callable[..., Any], args: tuple[Any, ...],
         kwargs: dict[str, Any]) -> PendingChart | None:
    """The call kept for later inside `drawn_later`; None outside it (draw it now)."""
    later = _LATER.get()
    if later is None:
        return None
    pending = PendingChart(call, args, kwargs)
    later.append(pending)
    return pending


def draw(pending: Sequence[PendingChart], *, parallel: bool | None = None) -> None:
    """Draw every pending chart: on two processes when there are two or more (Linux)."""
    todo = [p for p in pending if not p.drawn]
    parallel = PARALLEL if parallel is None else parallel
    if parallel and len(todo) >= 2 and hasattr(os, "fork"):
        with tempfile.TemporaryDirectory(prefix="pwb-grafieken-") as folder:
            _draw_on_two(todo, folder)
    for chart in todo:  # what no child delivered: drawn here (an error raises here)
        chart.draw()


def _claim(folder: str, index: int) -> bool:
    """Whether this process may draw chart `index` (the other one has not claimed it)."""
    try:
        os.close(os.open(os.path.join(folder, f"{index}.claim"),
                         os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return True
    except FileExistsError:
        return False


def _draw_on_two(todo: list[PendingChart], folder: str) -> None:
    try:
        pid = os.fork()
    except OSError:  # no second process now (memory, process limit): all drawn here
        return
    if pid == 0:  # the child: from the first chart on, until one is claimed by the parent
        code = 1
        try:
            for index, chart in enumerate(todo):
                if not _claim(folder, index):
                    break
                missing = chart.missing_messages()
                before = set(missing) if missing is not None else set()
                result = (chart.draw(), (missing or set()) - before)
                path = os.path.join(folder, f"{index}.chart")
                with open(path + ".tmp", "wb") as out:
                    pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(path + ".tmp", path)
            code = 0
        finally:
            os._exit(code)
    try:
        for index in reversed(range(len(todo))):  # this process: from the last one back
            if not _claim(folder, index):
                break
            todo[index].draw()
    finally:
        os.waitpid(pid, 0)
    for index, chart in enumerate(todo):
        path = os.path.join(folder, f"{index}.chart")
        if chart.drawn or not os.path.exists(path):
            continue
        with open(path, "rb") as result:
            drawn, missing = pickle.load(result)
        chart.give(drawn)
        if missing and (own := chart.missing_messages()) is not None:
            own.update(missing)
