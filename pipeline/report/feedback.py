"""The feedback report of one CAW region (issue 14, item 4): OUT/Y/regio/<CAW>.html.

Why a separate report: the yearly report puts each region in one row of some fifty tables;
a CAW wants its own figures on a few pages, beside those of Flanders and Brussels: its
staffing against the norm, intake and waiting, duration, the four closure outcomes, its
place in the funnel plots, its trend and the quality of its delivery.

Disclosure: a region's numbers are small, and a reader holds the yearly report, the
workbook and every regional report together. So the regional reports are decided by the
*yearly report's* checkpoint, after the yearly report: a count it already published keeps
its cell (the same ``fact`` name: ``active.n.OVL``, ``closed.n.OVL``, ``eviction.ja.OVL``,
``evicted.OVL``, ...), a new count (a split the yearly report does not make) is checked
together with every table it shares a hidden fact with, and counts the yearly report
shows in tables without per-cell facts (the delivery's files and rules) are shown as the
yearly report's own cells (``_mirror``), so they cannot differ. After each region the
audit runs on every component the region's tables touch (``verify_since``: the others
were audited by the yearly report and no later table changes them).

Cost: nothing is drawn anew. The figures are the yearly report's that show every region
(the two funnel plots, the small multiples of clients per FTE), reused as drawn; the rest
is tables. A part whose table the checkpoint cannot protect (``Unprotectable``: the yearly
report's own numbers would fix a small count it shows) becomes a sentence instead.

Facts shared with the Evolutie chapter (chapters/evolutie.py): ``evolutie.S.<CAW>.<year>``
(starts), ``evolutie.A.<CAW>.<year>`` and ``evolutie.C.<CAW>.<year>`` (active and closed in
an earlier year), ``Vlaanderen`` for the whole; the trend table prints that chapter's own
cells when the yearly report has it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pipeline.report import i18n, numbering
from pipeline.report.context import Context, _get
from pipeline.report.disclosure import Checkpoint, DisclosureError
from pipeline.report.feedback_parts import Feedback
from pipeline.report.model import Chapter, Figure, Report, Table

FOLDER = "regio"
TEMPLATE = "regio.html.j2"
CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")


def report_file(code: str, lang: str = "nl") -> str:
    """The path of a region's report inside OUT/Y: regio/OVL.html, regio/OVL.en.html."""
    return f"{FOLDER}/{code}.html" if lang == "nl" else f"{FOLDER}/{code}.{lang}.html"


def report_regions(results: Mapping[str, Any], profile: Mapping[str, Any] | None) -> list[str]:
    """The regions with a report: known codes with trajectories active in the year or rows
    delivered (valid or quarantined), in the order of the yearly report."""
    per_caw = _get(results, "indicators", "per_caw", default=[])
    codes = [x["caw"] for x in per_caw]
    present = {x["caw"] for x in per_caw if (x.get("active") or 0) > 0}
    for row in (profile or {}).get("validation", {}).get("per_region", []):
        if row["caw"] in codes and row["valid"] + row["quarantined"] > 0:
            present.add(row["caw"])
    return [c for c in codes if c in present and CODE.fullmatch(c)]


def verify_since(ck: Checkpoint, start: int) -> None:
    """The audit on every component that holds a table decided from index ``start`` on;
    raises DisclosureError as ``Checkpoint.verify`` does. Earlier components were audited
    when they were complete, and a later table never changes an earlier table's status."""
    findings, done = [], set()
    for index in range(start, len(ck.tables)):
        if index in done:
            continue
        component = ck._component(index)
        done |= set(component)
        findings += [f for *_, f in ck._findings(component)]
    if findings:
        lines = [f"{f.what}: uit de gepubliceerde getallen volgt {f.low:g}..{f.high:g}"
                 for f in findings]
        raise DisclosureError("verborgen aantallen zijn af te leiden:\n" + "\n".join(lines))


@dataclasses.dataclass(frozen=True)
class RegionalReport:
    code: str
    name: str
    chapters: tuple[Chapter, ...]
    key_figures: tuple[tuple[str, str], ...]
    lang: str
    threshold: int
    main_file: str  # the yearly report, relative to the regional report

    @property
    def tables(self) -> list[Table]:
        return [b for c in self.chapters for b in c.blocks() if isinstance(b, Table)]

    @property
    def figures(self) -> list[Figure]:
        return [b for c in self.chapters for b in c.blocks() if isinstance(b, Figure)]


def build_regional(ctx: Context, code: str, main: Report | None = None, *,
                   main_file: str = "../rapport.html") -> RegionalReport:
    """One region's report, decided by ``ctx.ck`` (the yearly report's checkpoint) and
    audited before it is numbered."""
    start = len(ctx.ck.tables)
    chapters, key_figures = Feedback(ctx, code, main).build()
    verify_since(ctx.ck, start)
    numbered, _, _, _ = numbering.number(chapters, Chapter("bijlagen", "", ()), ctx.t)
    return RegionalReport(code=code, name=ctx.region(code), chapters=tuple(numbered),
                          key_figures=tuple(key_figures), lang=ctx.lang,
                          threshold=ctx.threshold, main_file=main_file)


class RenderedRegions(NamedTuple):
    html: dict[str, str]  # region code -> the page
    missing: set[str]  # messages the language's catalogue did not translate
    reports: dict[str, RegionalReport]


def render_regional(results: Mapping[str, Any], main: Report, *,
                    profile: Mapping[str, Any] | None = None, regions: Sequence[str] | None = None,
                    main_file: str = "rapport.html",
                    run_timestamp: dt.datetime | None = None) -> RenderedRegions:
    """The pages of ``regions`` (default: ``report_regions``) in the yearly report's language,
    decided by its checkpoint (``main.checkpoint``, extended here: render the yearly report
    first, then its regions). ``main_file``: the yearly report's file name in OUT/Y."""
    from pipeline.report.render import TIMESTAMP_FORMAT, environment

    env = environment()
    translator = i18n.install(env, main.lang)
    ctx = Context(results, profile, translate=translator.gettext, lang=main.lang,
                  threshold=main.threshold)
    ctx.ck = main.checkpoint
    template = env.get_template(TEMPLATE)
    stamp = (run_timestamp or dt.datetime.now(dt.UTC)).strftime(TIMESTAMP_FORMAT)
    pages, reports = {}, {}
    for code in (report_regions(results, profile) if regions is None else regions):
        report = build_regional(ctx, code, main, main_file=f"../{main_file}")
        reports[code] = report
        pages[code] = template.render(r=results, c=report, run_timestamp=stamp)
    return RenderedRegions(pages, set(translator.missing), reports)


__all__ = ["FOLDER", "RegionalReport", "RenderedRegions", "build_regional", "render_regional",
           "report_file", "report_regions", "verify_since"]
