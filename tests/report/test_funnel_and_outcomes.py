"""Funnel plots of the regional comparison and the four cause-specific outcome sections
(issue 13, item 8), built from the demo year's stored results (tests/report).

The funnel plot may only draw what the checkpoint published: a point's height O/E times
its (published) expected count E gives the observed count back, so a region whose count
is hidden must have no point and no ratio, in the chart, in its data table and in the
table. The reconstruction below is the reader's attempt of tests/test_disclosure.py on
the numbers as printed; drawing the hidden region's ratio makes it succeed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pipeline.regional import by_outcome
from pipeline.report import charts, content, funnel_plot
from pipeline.report import formatting as fmt
from pipeline.report.chapters import modellen
from tests.report import golden
from tests.test_disclosure import attack, shown

OUTCOMES = ("uithuisgezet", "vermeden")
TEXT = re.compile(r"<text\b[^>]*>([^<]*)</text>")


def results() -> dict[str, Any]:
    return copy.deepcopy(golden.inputs()["results"])


def build(res: dict[str, Any]) -> content.Report:
    return content.build_report(res, None, translate=str)


def comparison(report: content.Report, res: dict[str, Any], outcome: str):
    """(rows of the table, rows of the figure's data table, the SVG, the region of each
    table row, the checkpoint's observed cell of each row)."""
    tables = {t.key: t for t in report.tables}
    figures = {f.key: f for f in report.figures}
    table, figure = tables[f"vergelijking-{outcome}"], figures[f"trechter-{outcome}"]
    names = {report_region(res, x["caw"]): x for x in by_outcome(
        res["regional_comparison"])[outcome]["per_caw"]}
    published = report.checkpoint.table(f"vergelijking-{outcome}")
    rows = table.rows[:-1]  # the last row is the total
    regions = [names[r[0]] for r in rows]
    cells = [published[(i, 0)] for i in range(len(rows))]
    return rows, [list(r) for r in figure.rows], str(figure.svg), regions, cells


def report_region(res: dict[str, Any], code: str) -> str:
    return content.Builder(res, None, translate=str).region(code)


def test_funnel_points_are_the_published_ratios() -> None:
    res = results()
    report = build(res)
    for outcome in OUTCOMES:
        rows, data, svg, regions, cells = comparison(report, res, outcome)
        points = [funnel_plot.FunnelPoint(x["caw"], r[0], x["expected"], cell, x["limits95"],
                                     x["limits998"])
                  for r, x, cell in zip(rows, regions, cells, strict=True)]
        drawn = {code: ratio for code, _e, ratio in funnel_plot.funnel_points(points)}
        published = {x["caw"] for x, cell in zip(regions, cells, strict=True) if cell.published}
        assert drawn.keys() == published and len(published) >= 3
        for row, fig_row, x, cell in zip(rows, data, regions, cells, strict=True):
            assert fig_row[0] == row[0] and fig_row[2] == row[2]  # same region, same count
            if cell.published:
                # the point's height is the published count over the expected count, the
                # table's ratio and (to rounding) results.json's
                assert abs(drawn[x["caw"]] - x["ratio"]) < 1e-5 * x["ratio"] + 1e-9
                assert row[4] == fig_row[3] == fmt.dec(cell.value / x["expected"], 2)
                assert shown(row[2]) == x["observed"]
            else:
                assert row[4] == "x" and fig_row[3] in ("<5", "x")
        # one marker and one label per drawn region, none for a hidden one; each marker
        # where its expected count and published ratio put it, read back through the axes
        labels = set(TEXT.findall(svg)) & {x["caw"] for x in regions}
        assert labels == published
        markers = sorted(plotted(svg))
        want = sorted((x["expected"], drawn[x["caw"]]) for x in regions
                      if x["caw"] in published)
        assert len(markers) == len(want)
        for (px, py), (e, ratio) in zip(markers, want, strict=True):
            assert abs(px - e) < 1e-4 * e and abs(py - ratio) < 1e-4


TICK = re.compile(r'<use href="#[^"]*" x="([\d.]+)" y="([\d.]+)" style="stroke: #000000;'
                  r'[^"]*"/>\s*(?:</g>\s*)+<g>\s*<text style="[^"]*text-anchor: (middle|end)"'
                  r'[^>]*>([\d.,]+)</text>')
MARKER = re.compile(r'<use href="#[^"]*" x="([\d.]+)" y="([\d.]+)" style="fill: #'
                    r'(?:0072b2|d55e00)')


def plotted(svg: str) -> list[tuple[float, float]]:
    """The data coordinates of the region markers of a funnel plot's SVG: pixels mapped
    back through the first and last tick mark of each axis, read with their labels (x
    ticks' labels centred, y ticks' right-aligned)."""
    ticks: dict[str, list[tuple[float, float]]] = {"middle": [], "end": []}
    for x, y, anchor, text in TICK.findall(svg):
        ticks[anchor].append((float(text.replace(".", "").replace(",", ".")),
                              float(x if anchor == "middle" else y)))

    def axis(pairs: list[tuple[float, float]]):  # type: ignore[no-untyped-def]
        (v0, p0), (v1, p1) = pairs[0], pairs[-1]
        return lambda pixel: v0 + (pixel - p0) * (v1 - v0) / (p1 - p0)

    to_x, to_y = axis(ticks["middle"]), axis(ticks["end"])
    return [(to_x(float(x)), to_y(float(y))) for x, y in MARKER.findall(svg)]


def test_a_hidden_region_is_not_drawn_and_cannot_be_reconstructed() -> None:
    res = results()
    report = build(res)
    rows, data, svg, regions, cells = comparison(report, res, "uithuisgezet")
    hidden = [x["caw"] for x, cell in zip(regions, cells, strict=True) if cell.hidden]
    assert hidden and any(0 < x["observed"] < 5 for x in regions if x["caw"] in hidden)
    assert not set(hidden) & set(TEXT.findall(svg))
    total = next(t for t in report.tables if t.key == "vergelijking-uithuisgezet").rows[-1]
    true = {x["caw"]: x["observed"] for x in regions}
    # what the reader has: each printed count, the printed total, and each printed ratio
    # (O/E with E printed beside it gives O: at 2 decimals and E below 100, exactly)
    relations: dict[str, tuple[dict[str, int], str]] = {"total": (dict.fromkeys(true, 1),
                                                                  total[2])}
    for row, fig_row, x in zip(rows, data, regions, strict=True):
        relations[x["caw"]] = ({x["caw"]: 1}, row[2])
        for name, text in (("table", row[4]), ("figure", fig_row[3])):
            ratio = fmt_number(text)
            relations[f"{x['caw']} ratio ({name})"] = (
                {x["caw"]: 1}, "x" if ratio is None else str(round(ratio * x["expected"])))
    assert attack(true, relations, hidden) == {}
    # had the chart drawn the hidden regions (their ratio in the figure), the reader wins
    before = dict(relations)
    for code in hidden:
        before[f"{code} point"] = ({code: 1}, str(true[code]))
    found = attack(true, before, hidden)
    assert set(found) == {c for c in hidden if 0 < true[c] < 5}
    assert all(low == high == true[c] for c, (low, high) in found.items())


def fmt_number(text: str) -> float | None:
    """A printed Dutch decimal ('1,13') as a number; a mark ('x', '<5') as None."""
    return float(text.replace(",", ".")) if re.fullmatch(r"\d+,\d+", text) else None


def test_regions_outside_their_998_limits_are_named_and_marked() -> None:
    res = results()
    block = res["regional_comparison"]
    region = max(block["per_caw"], key=lambda x: x["observed"])  # a published region
    region["limits998"] = [0.5, 1.05]
    region["signal"] = "hoger"
    report = build(res)
    name = report_region(res, region["caw"])
    section = next(s for c in report.chapters for s in c.sections if s.key == "vergelijking")
    texts = [b.data.get("text", "") for b in section.blocks if b.kind == "text"]
    evicted = next(t for t in texts if t.startswith("Uithuiszettingen:"))
    avoided = next(t for t in texts if t.startswith("Vermeden uithuiszettingen:"))
    ratio = fmt.dec(region["observed"] / region["expected"], 2)
    assert f"{name} ({ratio}, hoger dan verwacht)" in evicted and "geen rangorde" in evicted
    assert "geen enkele regio ligt buiten de 99,8%-grenzen" in avoided
    table = next(t for t in report.tables if t.key == "vergelijking-uithuisgezet")
    assert next(r for r in table.rows if r[0] == name)[-1] == "boven de grenzen"
    figure = next(f for f in report.figures if f.key == "trechter-uithuisgezet")
    assert charts.PALETTE[5].lower() in str(figure.svg)  # the signal's own colour
    # without the signal nothing is named and no point has the signal's colour
    plain = build(results())
    figure = next(f for f in plain.figures if f.key == "trechter-uithuisgezet")
    assert charts.PALETTE[5].lower() not in str(figure.svg)


# --------------------------------------------------------------------------- four outcomes


WORDS = {"vermeden": "met vermeden uithuiszetting afgesloten",
         "uithuisgezet": "uithuisgezet (HR",
         "niet_vermeden": "afgesloten zonder afgewende dreiging, maar ook zonder uithuiszetting",
         "onbekend": "afgesloten zonder geregistreerde afloop"}


def outcome_sections(report: content.Report) -> dict[str, Any]:
    return {s.key: s for c in report.chapters for s in c.sections if s.key.startswith("afloop-")}


def test_each_outcome_has_its_section_with_its_own_wording() -> None:
    res = results()
    # one significant term each way in every model, so that both wordings are exercised
    for model in res["cause_specific"].values():
        up, down = [t for t in model["terms"] if t["term"] != "leeftijd"][:2]
        up.update(hr=1.8, lower=1.2, upper=2.7, p=0.004)
        down.update(hr=0.5, lower=0.3, upper=0.8, p=0.003)
    report = build(res)
    sections = outcome_sections(report)
    assert list(sections) == ["afloop-vermeden", "afloop-uithuisgezet", "afloop-niet-vermeden",
                              "afloop-onbekend"]
    ci = res["cumulative_incidence"]
    year = ci["days"].index(365)
    for outcome, words in WORDS.items():
        blocks = sections[f"afloop-{outcome.replace('_', '-')}"].blocks
        keys = {b.key for b in blocks if b.kind != "text"}
        assert keys == {f"oorzaak-{outcome}", f"oorzaak-{outcome}-forest"}
        lead = blocks[0].data["text"]  # the percentage first
        assert fmt.pct(ci[outcome][year], 1) in lead and "binnen een jaar" in lead.lower()
        sentences = next(b.data["items"][0]["sub"] for b in blocks if b.kind == "text"
                         and "items" in b.data)
        assert len(sentences) >= 2 and all(words in s for s in sentences)
        assert not any("sneller afgesloten" in s or "met welke afloop" in s for s in sentences)
    evicted = next(b for b in sections["afloop-uithuisgezet"].blocks if "items" in b.data)
    assert any(": vaker uithuisgezet (HR 1,80" in s for s in evicted.data["items"][0]["sub"])
    assert any(": minder vaak uithuisgezet (HR 0,50" in s
               for s in evicted.data["items"][0]["sub"])
    avoided = next(b for b in sections["afloop-vermeden"].blocks if "items" in b.data)
    assert any("sneller met vermeden uithuiszetting afgesloten (HR 1,80" in s
               for s in avoided.data["items"][0]["sub"])


def test_an_outcome_with_few_events_keeps_its_section_without_a_model() -> None:
    res = results()
    res["cause_specific"]["onbekend"]["events"] = 3
    res["cumulative_incidence"]["events"]["onbekend"] = 3
    report = build(res)
    blocks = outcome_sections(report)["afloop-onbekend"].blocks
    assert [b.kind for b in blocks] == ["text"]
    assert "geen model getoond" in blocks[0].data["text"]
    assert "oorzaak-onbekend" not in {t.key for t in report.tables}
    assert len(outcome_sections(report)) == 4
    assert set(modellen.OUTCOMES) == {"vermeden", "uithuisgezet", "niet_vermeden", "onbekend"}


def test_outcome_tables_show_joint_tests_and_age_per_ten_years() -> None:
    res = results()
    report = build(res)
    tables = {t.key: t for t in report.tables}
    for outcome, model in res["cause_specific"].items():
        table = tables[f"oorzaak-{outcome}"]
        note = next(n for n in table.notes if n.startswith("Gezamenlijke toets"))
        for test in model["factor_tests"]:
            if test.get("chi2") is not None:
                assert f"χ² = {fmt.dec(test['chi2'], 2)}, vg = {test['df']}" in note
        age = next(x for x in model["terms"] if x["term"] == "leeftijd")
        row = next(r for r in table.rows if r[0].startswith("Leeftijd"))
        assert row[0] == "Leeftijd (per 10 jaar)"
        assert row[1].startswith(fmt.dec(age["hr"] ** 10, 2) + " (")  # once, not ** 100


def test_funnel_chart_is_deterministic_and_draws_nothing_hidden() -> None:
    from pipeline.report import disclosure
    from pipeline.stats.funnel import poisson_limits

    ck = disclosure.Checkpoint(5)
    spec = disclosure.Spec("t")
    spec.grid(["A", "B"], ["o"], [[3], [12]], row_total=False, col_total=False)
    cells = ck.publish(spec)
    points = [funnel_plot.FunnelPoint("A", "Regio A", 4.2, cells[("A", "o")], [0.1, 2.0],
                                 [0.0, 2.6]),
              funnel_plot.FunnelPoint("B", "Regio B", 10.5, cells[("B", "o")], [0.5, 1.6],
                                 [0.3, 2.0])]
    first = funnel_plot.funnel_chart(points, poisson_limits, chart_id="f")
    assert first == funnel_plot.funnel_chart(points, poisson_limits, chart_id="f")
    assert [c for c, *_ in funnel_plot.funnel_points(points)] == ["B"]
    assert first.table.rows[0][2:4] == ["<5", "<5"] and first.table.rows[1][3] == "1,14"
    assert "A" not in TEXT.findall(first.svg) and "B" in TEXT.findall(first.svg)
    # no region published: curves only, no marker, no label
    hidden = [p._replace(observed=cells[("A", "o")]) for p in points]
    empty = funnel_plot.funnel_chart(hidden, poisson_limits, chart_id="g")
    assert plotted(empty.svg) == [] and not {"A", "B"} & set(TEXT.findall(empty.svg))


def test_a_region_without_an_expected_count_has_no_ratio_but_is_not_hidden() -> None:
    res = results()
    region = max(res["regional_comparison"]["per_caw"], key=lambda x: x["observed"])
    region.update(expected=0.0, ratio=None, limits95=[None, None], limits998=[None, None],
                  signal=None)
    report = build(res)
    rows, data, svg, regions, cells = comparison(report, res, "uithuisgezet")
    i = next(k for k, x in enumerate(regions) if x["caw"] == region["caw"])
    assert cells[i].published and rows[i][4] == "–" and rows[i][-1] == "–"
    assert region["caw"] not in TEXT.findall(svg)
