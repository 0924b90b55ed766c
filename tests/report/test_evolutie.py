"""Chapter 7, Evolutie (issue 14 items 1-3, the report side): the 2011 column and its unit,
small region-year counts hidden so that no published number gives them back (the reader's
attempt, as in tests/test_disclosure.py, fails on the chapter and succeeds on a naive
publication), hidden points drawn as gaps, the design's limits in words, the English
edition.

The inputs are the golden demo year (tests/report/demo_2013.json) with a ``trends``,
``intake`` and ``reinforcement`` block written here: consistent with its indicators (the
last year's counts per region are the indicators', the years are tied by active = carried
in + starts and carried in = active - closed), with one region-year of 3 new starts.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from pipeline.report import charts, content
from pipeline.report.chapters import evolutie
from pipeline.report.disclosure import Cell, Status
from pipeline.report.reconstruction import Problem, reconstruct
from pipeline.report.render import render
from tests.report import golden

T = 5
SMALL = ("OVL", 2012)  # the region-year with 3 new starts
OUTCOME_SPLIT = (("avoided_share", 0.6), ("evicted_share", 0.2), ("unknown_share", 0.05))


def _row(year: int, starts: int, referrals: int, active: int, closed: int) -> dict[str, Any]:
    counts = {key: round(share * closed) for key, share in OUTCOME_SPLIT}
    counts["not_avoided_share"] = closed - sum(counts.values())
    shares = {key: (n / closed if closed else None) for key, n in counts.items()}
    return {"year": year, "starts": starts, "referrals": referrals, "active": active,
            "closed": closed, "clients_per_fte": 24.0 + active % 7, "caseload_per_fte": 14.5,
            "rmst_days": 250.0 + year % 10, **shares,
            "avoided_ci": [0.4, 0.7] if closed else [None, None],
            "evicted_ci": [0.1, 0.3] if closed else [None, None],
            "re_referral_share": 0.05}


def trends_block(results: dict[str, Any], small: int = 3) -> dict[str, Any]:
    """Two years per region, the last one's counts the indicators'; SMALL gets ``small``
    new starts in the first year."""
    year = results["year"]
    per_caw = []
    for x in results["indicators"]["per_caw"]:
        active, closed = x["active"], x["closed"]
        starts = active // 2
        carried = active - starts  # = active - closed of the year before
        closed0 = carried // 2
        active0 = carried + closed0
        starts0 = small if (x["caw"], year - 1) == SMALL else active0 // 2
        per_caw.append({"caw": x["caw"], "per_year": [
            _row(year - 1, starts0, max(starts0 - 1, 0), active0, closed0),
            _row(year, starts, starts - 2, active, closed)]})
    per_year = []
    for i, y in enumerate((year - 1, year)):
        sums = {k: sum(c["per_year"][i][k] for c in per_caw)
                for k in ("starts", "referrals", "active", "closed")}
        row = _row(y, **sums)
        for key in ("avoided_share", "evicted_share", "unknown_share", "not_avoided_share"):
            n = sum(round((c["per_year"][i][key] or 0) * c["per_year"][i]["closed"])
                    for c in per_caw)
            row[key] = n / sums["closed"]
        per_year.append(row)
    return {"years": [year - 1, year], "per_year": per_year, "per_caw": per_caw,
            "study_2011": {"concurrent_per_worker": 20.0, "mean_duration_days": 274,
                           "supports_per_worker_year": 26.66,
                           "source": "Evaluatie van het Steunpunt (2011), geciteerd in de "
                                     "omzendbrief 2012 punt 3",
                           "unit": "per hulpverlener (niet per VTE)"},
            "basis": "Elk jaar berekend uit de geleverde registraties."}


def intake_block(trends: dict[str, Any]) -> dict[str, Any]:
    rows = [{"caw": c["caw"], "year": r["year"], "starts": r["starts"], "n": r["starts"],
             "median": 11.0, "q1": 5.0, "q3": 20.0, "starts_per_fte_month": 0.05 * r["starts"]}
            for c in trends["per_caw"] for r in c["per_year"]]
    return {"year": trends["years"][-1], "per_caw": rows,
            "waiting_days": {"n": trends["per_year"][-1]["starts"], "median": 11.0,
                             "q1": 6.0, "q3": 20.0, "missing_referral_date": 0},
            "definition": "Wachttijd = dagen van datum_aanmelding tot datum_start.",
            "first_day": f"{trends['years'][0]}-01-01"}


def _model(**extra: Any) -> dict[str, Any]:
    return {"outcome": "starts per month", "design": "PPML", "elasticity": 0.8,
            "ci": [0.3, 1.4], "p": 0.012, "n_regions": 10, "n_months": 24,
            "inference": "wild cluster score bootstrap (Kline & Santos 2012), Webb weights, "
                         "B = 9999, seed 20121201, interval by test inversion",
            "event_study": [{"month": m, "coef": None if m == -1 else 0.02 * m,
                             "lower": None if m == -1 else 0.02 * m - 0.3,
                             "upper": None if m == -1 else 0.02 * m + 0.3}
                            for m in range(-6, 7)], **extra}


def results_with_trends(small: int = 3) -> dict[str, Any]:
    results = copy.deepcopy(golden.inputs()["results"])
    results["trends"] = trends_block(results, small)
    results["intake"] = intake_block(results["trends"])
    results["reinforcement"] = _model(
        region_trends=True,
        waiting_time=_model(outcome="mean waiting days of a month's starts", elasticity=0.1,
                            ci=[-0.5, 0.6], p=0.7),
        evicted_12m=_model(outcome="share evicted within 12 months", elasticity=None,
                           ci=[None, None], p=None, n_months=12, too_early=True,
                           followed_up_months_after=1))
    return results


@pytest.fixture(scope="module")
def report() -> content.Report:
    return content.build_report(results_with_trends(), None, translate=str)


GOLDEN = golden.HERE / "golden_evolutie.nl.txt"


def chapter_text(report: content.Report) -> str:
    """Chapter 7 as text, block by block (titles, columns, rows, footers, paragraphs):
    the golden guard of its wording, regenerated by
    ``.venv/bin/python -m tests.report.test_evolutie`` after an intended change."""
    chapter = next(c for c in report.chapters if c.key == "evolutie")
    lines = [f"{chapter.number} {chapter.title}"]
    for section in chapter.sections:
        lines.append(f"{section.number} {section.title}")
        for b in section.blocks:
            if b.kind == "text":
                lines.append(str(b.data.get("text", b.name)))
                continue
            lines += [f"{b.label} {b.title}", " | ".join(b.columns)]
            lines += [" | ".join(row) for row in b.rows]
            lines += [x for x in (b.n, *b.notes, b.source) if x]
    return "\n".join(lines) + "\n"


def blocks(report: content.Report) -> dict[str, Any]:
    chapter = next(c for c in report.chapters if c.key == "evolutie")
    return {b.key: b for b in chapter.blocks() if b.kind != "text"}


def texts(report: content.Report) -> str:
    chapter = next(c for c in report.chapters if c.key == "evolutie")
    return "\n".join(str(b.data.get("text", "")) for b in chapter.blocks() if b.kind == "text")


# --------------------------------------------------------------------------- the chapter


def test_chapter_sits_between_the_regions_and_need_with_the_2011_column(report) -> None:
    keys = [c.key for c in report.chapters]
    assert keys.index("regio") + 1 == keys.index("evolutie") == keys.index("vraag") - 1
    table = blocks(report)["evolutie-vlaanderen"]
    assert table.columns[:4] == ("Indicator", "2011 (studie)", "2012", "2013")
    study = {row[0]: row[1] for row in table.rows}
    assert study["Cliënten per VTE (norm: minstens 27)"] == "26,66 per hulpverlener"
    assert study["Gemiddelde caseload per VTE"] == "20 per hulpverlener"
    assert study["Beperkt gemiddelde duur (dagen, periodeanalyse)"] == \
        "274 (gemiddelde, 9 maanden)"
    assert study["Nieuwe starts"] == "–"  # the study has no such count
    note = " ".join(table.notes)
    assert "per hulpverlener en niet per VTE" in note and "omzendbrief, punt 3" in note
    # the Flanders counts of the last year are chapter 6's (one fact, one number)
    counts = {row[0]: row[3] for row in table.rows}
    assert counts["Actieve trajecten"] == "694" and counts["Afgesloten trajecten"] == "398"


def test_without_trends_the_chapter_says_so() -> None:
    chapter = evolutie.build(content.Builder(golden.inputs()["results"], None, translate=str))
    assert [b.data["text"] for b in chapter.blocks()] == [
        "Deze run bevat geen cijfers over meerdere jaren (geen blok 'trends' in results.json)."]


# --------------------------------------------------------------------------- disclosure


def _published(report: content.Report) -> dict[tuple[str, str, int], str]:
    """(kind, region, year) -> the text of the evolutie-regio table (S, R, A, C)."""
    table = blocks(report)["evolutie-regio"]
    names = {v: k for k, v in _region_names().items()}
    out = {}
    for row in table.rows:
        caw = names.get(row[0], "all")
        for kind, text in zip("SRAC", row[2:6], strict=True):
            out[(kind, caw, int(row[1]))] = text
    return out


def _region_names() -> dict[str, str]:
    per_caw = golden.inputs()["results"]["indicators"]["per_caw"]
    return {x["caw"]: x.get("naam") or x["caw"] for x in per_caw}


def _shown(text: str) -> int | None:
    text = text.replace(".", "")
    return int(text) if re.fullmatch(r"\d+", text) else None


def _attack(published: dict[tuple[str, str, int], str], trends: dict[str, Any]
            ) -> dict[str, tuple[float, float]]:
    """The reader's attempt on the region-year counts: every shown count is an equation,
    and the reader knows how they hang together: starts = referrals + late ones, active =
    carried in + starts, carried into a year = active - closed of the year before, the
    regions add up to Flanders. Unknowns: per region and year S, R, L (late), K (carried
    in), C; the targets are the small true counts that are not shown."""
    years = trends["years"]
    true: dict[str, int] = {}
    rows = {c["caw"]: {r["year"]: r for r in c["per_year"]} for c in trends["per_caw"]}
    for caw, by_year in rows.items():
        for y, r in by_year.items():
            true |= {f"S.{caw}.{y}": r["starts"], f"R.{caw}.{y}": r["referrals"],
                     f"L.{caw}.{y}": r["starts"] - r["referrals"],
                     f"K.{caw}.{y}": r["active"] - r["starts"], f"C.{caw}.{y}": r["closed"]}
    problem = Problem(dict(true))

    def equal(coefs: dict[str, float], value: float) -> None:
        assert sum(true[k] * v for k, v in coefs.items()) == value, coefs  # a true relation
        problem.equal.append((coefs, float(value)))

    for caw in rows:
        for i, y in enumerate(years):
            equal({f"S.{caw}.{y}": 1, f"R.{caw}.{y}": -1, f"L.{caw}.{y}": -1}, 0)
            if i:
                p = years[i - 1]
                equal({f"K.{caw}.{y}": 1, f"C.{caw}.{p}": 1, f"K.{caw}.{p}": -1,
                       f"S.{caw}.{p}": -1}, 0)
    terms = {"S": lambda c, y: {f"S.{c}.{y}": 1.0}, "R": lambda c, y: {f"R.{c}.{y}": 1.0},
             "A": lambda c, y: {f"K.{c}.{y}": 1.0, f"S.{c}.{y}": 1.0},
             "C": lambda c, y: {f"C.{c}.{y}": 1.0}}
    for (kind, caw, y), text in published.items():
        value = _shown(text)
        if value is None:
            continue
        coefs: dict[str, float] = {}
        for c in (rows if caw == "all" else [caw]):
            coefs |= terms[kind](c, y)
        equal(coefs, value)
    targets = {k: {k: 1.0} for k, v in true.items() if 0 < v < T}
    return {name: (low, high) for name, low, high, _ in reconstruct(problem, targets, T)}


def test_a_small_region_year_is_hidden_and_cannot_be_recomputed(report) -> None:
    trends = results_with_trends()["trends"]
    published = _published(report)
    caw, year = SMALL
    assert published[("S", caw, year)] == f"<{T}"
    assert published[("R", caw, year)] == f"<{T}"  # referrals are among those starts
    report.checkpoint.verify()  # the build's audit holds
    assert _attack(published, trends) == {}
    # the same attempt on a naive publication (every count shown but the small ones)
    # gives the 3 starts back: the test can fail
    naive = {}
    rows = {c["caw"]: {r["year"]: r for r in c["per_year"]} for c in trends["per_caw"]}
    for (kind, c, y) in published:
        field = {"S": "starts", "R": "referrals", "A": "active", "C": "closed"}[kind]
        value = (trends["per_year"][trends["years"].index(y)] if c == "all"
                 else rows[c][y])[field]
        naive[(kind, c, y)] = f"<{T}" if 0 < value < T else str(value)
    found = _attack(naive, trends)
    assert found[f"S.{caw}.{year}"] == (3, 3)


def test_what_rests_on_a_hidden_count_is_hidden(report) -> None:
    caw, year = SMALL
    name = _region_names()[caw]
    waiting = {(r[0], r[1]): r for r in blocks(report)["wachttijd-regio"].rows}
    assert waiting[(name, str(year))][2:] == ["x", "x", "x"]  # median, quartiles, per FTE
    assert waiting[(name, str(year + 1))][2] == "11"
    figure = blocks(report)["evolutie-starts"]
    assert {r[0]: r for r in figure.rows}[caw][1] == f"<{T}"


def _circle_markers(svg: str) -> int:
    """Drawn data points: uses of a marker whose path is a circle (ticks are lines)."""
    circles = set(re.findall(r'<path id="([^"]+)" d="M 0 [^"]*C [^"]*"', svg))
    return sum(len(re.findall(rf'<use href="#{re.escape(c)}"', svg)) for c in circles)


def test_a_hidden_point_is_not_drawn() -> None:
    def chart(second: Cell) -> charts.Chart:
        shown = Cell("a", Status.PUBLISHED, T, "count", 12)
        return charts.small_multiples(
            [2012, 2013], {"OVL": [shown, second], "BMK": [shown, shown]},
            row_label="CAW-regio", y_label="Starts", value_text=str,
            x_text=lambda v: str(int(v)))

    visible = chart(Cell("b", Status.PUBLISHED, T, "count", 30))
    hidden = chart(Cell("b", Status.PRIMARY, T, "count", 3))
    assert _circle_markers(visible.svg) == 4 and _circle_markers(hidden.svg) == 3
    assert hidden.table.rows[0] == ["OVL", "12", f"<{T}"]
    # the y axis does not stretch to a hidden value either
    assert ">30<" not in hidden.svg.replace(" ", "")


def test_the_chapters_small_multiples_draw_only_published_points(report) -> None:
    figure = blocks(report)["evolutie-starts"]
    published = sum(1 for row in figure.rows for cell in row[1:] if _shown(cell) is not None)
    # the small one and the one hidden with it so that Flanders' sum does not give it back
    assert published == len(figure.rows) * 2 - 2
    assert sorted(c for row in figure.rows for c in row[1:] if _shown(c) is None) == \
        [f"<{T}", "x"]
    assert _circle_markers(str(figure.svg)) == published
    for key in ("evolutie-vte-regio", "evolutie-vermeden-regio"):  # rates and shares too
        figure = blocks(report)[key]
        drawn = sum(1 for row in figure.rows for cell in row[1:]
                    if cell not in (f"<{T}", "x", "–"))
        assert _circle_markers(str(figure.svg)) == drawn, key


# --------------------------------------------------------------------------- reinforcement


def test_the_design_limits_and_too_early_are_said(report) -> None:
    text = texts(report)
    assert "Onze eigen schatting: had een regio in een maand 10 % meer VTE in voege" in text
    assert "Wat dit design kan en niet kan tonen." in text
    assert "geen uitspraak over oorzaak en gevolg buiten dit design" in text
    assert "wilde cluster-bootstrap over de regio's" in text and "9.999 trekkingen" in text
    assert "is te vroeg om te oordelen" in text
    effect = {r[0]: r for r in blocks(report)["versterking-effect"].rows}
    assert effect["Nieuwe starts per maand"][1] == "0,80 (0,30 tot 1,40)"
    assert effect["Aandeel starts binnen 12 maanden uit huis gezet"][1] == \
        "te vroeg om te oordelen"
    event = blocks(report)["versterking-event"]
    assert {r[0]: r[1] for r in event.rows}["−1"] == "–"  # the reference month, no band


def test_english_report_renders_the_chapter() -> None:
    rendered = render(results_with_trends(), lang="en")
    assert rendered.missing == set()
    page = rendered.html
    assert "2011 (study)" in page and "per worker" in page
    assert "What this design can and cannot show." in page
    assert "Trends over the years" not in page  # the stub is for runs without trends
    for dutch in ("per hulpverlener", "Onze eigen schatting", "te vroeg om te oordelen"):
        assert dutch not in page, dutch


def test_golden_chapter_text(report) -> None:
    # the wording and the published cells of the chapter on this file's inputs; an
    # intended change rewrites the file (see chapter_text) and its diff shows what moved
    assert chapter_text(report) == GOLDEN.read_text(encoding="utf-8")


if __name__ == "__main__":
    GOLDEN.write_text(chapter_text(content.build_report(results_with_trends(), None,
                                                        translate=str)), encoding="utf-8")
    print(f"geschreven: {GOLDEN}")


def test_event_studies_for_starts_waiting_and_evictions_once_followed_up(report) -> None:
    # issue 14 item 3: an event study of starts, and the same for waiting time and for the
    # share evicted within 12 months; the latter only once the months after are followed up
    shown = blocks(report)
    assert {"versterking-event", "versterking-event-wachttijd"} <= set(shown)
    assert "versterking-event-uitgezet" not in shown  # too early in these inputs
    waiting = shown["versterking-event-wachttijd"]
    assert waiting.rows[-1][1].startswith("12,7")  # exp(0.12) - 1 at month +6
    results = results_with_trends()
    evicted = results["reinforcement"]["evicted_12m"]
    evicted.update(too_early=False, elasticity=0.2, ci=[-0.4, 0.8], p=0.5)
    later = blocks(content.build_report(results, None, translate=str))
    assert "versterking-event-uitgezet" in later
