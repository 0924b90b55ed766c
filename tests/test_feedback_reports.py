"""The feedback report per CAW region (issue 14, item 4): OUT/Y/regio/<CAW>.html.

Read from the shared real run (`year_run`: `pwb run --lang en` on a synthetic delivery):
one page per region present, self-contained, linked from the yearly report, English when
asked, opened in headless Chromium without console errors or requests and with no axe-core
violation. In-process on the same results.json: every regional build passes the
disclosure audit, and a region with 1-4 households in an outcome shows them hidden so that
the reader's reconstruction over the regional page *and* the yearly report's tables fails
(while the naive publication, only the small cells hidden, gives them back).
publish_year: the regio/ subfolder is published with the set, and a region no longer
present leaves no stale page.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path
from types import SimpleNamespace

import pytest
from year_run import year_outputs

from pipeline import outputs
from pipeline.report import feedback
from pipeline.report.reconstruction import DisclosureError, Problem, reconstruct
from pipeline.report.render import render

T = 5


@functools.cache
def run() -> SimpleNamespace:
    folder = year_outputs()
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return SimpleNamespace(folder=folder, results=results)


@functools.cache
def in_process() -> SimpleNamespace:
    """The yearly report and the regional reports rendered here from the run's results."""
    results = run().results
    main = render(results, lang="nl")
    regions = feedback.render_regional(results, main.report)
    return SimpleNamespace(main=main.report, regions=regions)


def expected_regions(results: dict) -> set[str]:
    return {x["caw"] for x in results["indicators"]["per_caw"] if x["active"] > 0}


# --------------------------------------------------------------------------- the files


def test_one_report_per_region_present_in_both_languages() -> None:
    r = run()
    codes = expected_regions(r.results)
    assert len(codes) == 10
    pages = {p.name for p in (r.folder / "regio").iterdir()}
    assert pages == {f"{c}.html" for c in codes} | {f"{c}.en.html" for c in codes}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("href", "src", "srcset", "action", "data", "poster"):
                self.refs.append((tag, name, value or ""))


def test_regional_reports_are_self_contained_and_link_back() -> None:
    r = run()
    for page in sorted((r.folder / "regio").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        links = Links()
        links.feed(html)
        assert not links.tags & {"script", "link", "img", "iframe", "object", "embed"}, page
        main = "../rapport.en.html" if page.name.endswith(".en.html") else "../rapport.html"
        for tag, attribute, value in links.refs:  # <a href>, and <use href="#..."> in SVG
            assert attribute == "href", (page, tag, attribute)
            assert value.startswith("#") or (tag == "a" and value == main), (page, value)
        assert "url(http" not in html and "@import" not in html, page
        assert "<time data-run-timestamp>" in html
        code = page.name.split(".")[0]
        assert f"({code})" in html or code in html  # the funnel's label of the region


def test_the_yearly_report_links_every_regional_report() -> None:
    r = run()
    for name, suffix in (("rapport.html", ".html"), ("rapport.en.html", ".en.html")):
        links = Links()
        links.feed((r.folder / name).read_text(encoding="utf-8"))
        linked = {v for _, _, v in links.refs if v.startswith("regio/")}
        assert linked == {f"regio/{c}{suffix}" for c in expected_regions(r.results)}
        for href in linked:
            assert (r.folder / href).is_file()


def test_the_english_copy_renders_in_english() -> None:
    r = run()
    code = sorted(expected_regions(r.results))[0]
    en = (r.folder / "regio" / f"{code}.en.html").read_text(encoding="utf-8")
    nl = (r.folder / "regio" / f"{code}.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in en and '<html lang="nl">' in nl
    assert "Feedback for CAW region" in en and "Terugkoppeling voor CAW-regio" in nl
    for dutch in ("Terugkoppeling", "Afloop van de afsluitingen", "Instroom en wachttijd",
                  "Tabel ", "Figuur ", "Vlaanderen en Brussel"):
        assert dutch not in en, dutch
    assert "Table 1.1" in en and "Flanders and Brussels" in en


def test_every_regional_page_has_its_parts_and_the_funnel_position() -> None:
    r = run()
    for code in expected_regions(r.results):
        html = (r.folder / "regio" / f"{code}.html").read_text(encoding="utf-8")
        for title in ("Personeel en de norm", "Instroom en wachttijd", "Duur van de begeleiding",
                      "Afloop van de afsluitingen", "De regio tegenover haar verwachting",
                      "Evolutie", "Kwaliteit van de aangeleverde gegevens"):
            assert f"{title}</h2>" in html, (code, title)
        # the position against the 99.8 % limits is said plainly, or hidden with its count
        assert re.search(r"99,8%-grenzen|te klein om te publiceren", html), code


# --------------------------------------------------------------------------- disclosure


def test_every_regional_build_passes_the_audit() -> None:
    built = in_process()
    assert set(built.regions.html) == expected_regions(run().results)
    built.main.checkpoint.verify()  # the whole set: the yearly report and all regions


def _counts(results: dict, code: str) -> dict[str, int]:
    row = next(x for x in results["indicators"]["per_caw"] if x["caw"] == code)
    evicted = next(x for x in results["regional_comparison"]["per_caw"]
                   if x["caw"] == code)["observed"]
    return {"ja": row["eviction_avoided"], "ev": int(evicted),
            "nv": row["eviction_n"] - row["eviction_avoided"] - int(evicted),
            "u": row["eviction_unknown"]}


def _shown(text: str) -> int | None:
    text = text.replace(".", "")
    return int(text) if re.fullmatch(r"\d+", text) else None


def test_a_region_with_few_cases_in_an_outcome_keeps_them_hidden() -> None:
    results, built = run().results, in_process()
    small = [c for c in sorted(built.regions.reports)
             if any(0 < v < T for v in _counts(results, c).values())]
    assert small, "the synthetic year has regions with 1-4 households in an outcome"
    naive_found: set[str] = set()
    for code in small:
        true = _counts(results, code)
        name = built.regions.reports[code].name
        own = next(t for t in built.regions.reports[code].tables if t.key == "uitkomsten")
        rows = {row[0]: row[1:] for row in own.rows}
        labels = ["Uithuiszetting vermeden", "Uithuisgezet",
                  "Niet vermeden, zonder uithuiszetting", "Afloop onbekend"]
        for atom, label in zip(true, labels, strict=True):  # small cells are not printed
            if 0 < true[atom] < T:
                assert rows[label][0] == f"<{T}", (code, label)
        main = {t.key: {row[0]: row[1:] for row in t.rows} for t in built.main.tables}
        ev_row = main["vermeden-regio"][name]  # Vermeden, Niet vermeden, Onbekend
        relations = [({"ja": 1}, rows[labels[0]][0]), ({"ev": 1}, rows[labels[1]][0]),
                     ({"nv": 1}, rows[labels[2]][0]), ({"u": 1}, rows[labels[3]][0]),
                     (dict.fromkeys(true, 1), rows["Totaal"][0]),
                     ({"ja": 1}, ev_row[0]), ({"ev": 1, "nv": 1}, ev_row[1]),
                     ({"u": 1}, ev_row[2]),
                     (dict.fromkeys(true, 1), main["caseload"][name][2])]
        for key, known in (("vergelijking-uithuisgezet", {"ev": 1}),
                           ("vergelijking-vermeden", {"ja": 1})):
            if key in main:  # n and the observed count of the funnel tables
                n = ({"ja": 1, "ev": 1, "nv": 1} if "vermeden" in key
                     else dict.fromkeys(true, 1))
                relations += [(n, main[key][name][0]), (known, main[key][name][1])]
        targets = {**{a: {a: 1.0} for a in true},
                   **{f"{a}+{b}": {a: 1.0, b: 1.0} for a, b in combinations(true, 2)}}

        assert _attack(true, targets, relations) == [], code
        # the naive page: every count printed unless it is small itself
        naive = [(coefs, str(v) if not 0 < (v := sum(true[k] * c for k, c in coefs.items()))
                  < T else f"<{T}") for coefs, _ in relations]
        naive_found |= {f"{code}: {x}" for x in _attack(true, targets, naive)}
    assert naive_found  # the naive publication gives a small count (or sum) back somewhere


def _attack(true: dict[str, int], targets: dict[str, dict[str, float]],
            published: list[tuple[dict, str]]) -> list[str]:
    """The reader's attempt on the printed counts (test_disclosure's, with sums)."""
    problem = Problem(dict(true))
    for coefs, text in published:
        value = _shown(text)
        if value is not None:
            assert sum(true[k] * v for k, v in coefs.items()) == value, (coefs, text)
            problem.equal.append(({k: float(v) for k, v in coefs.items()}, float(value)))
    return [name for name, *_ in reconstruct(problem, targets, T)]


def test_verify_since_fails_when_a_region_publishes_a_cell_back() -> None:
    from pipeline.report import disclosure

    ck = disclosure.Checkpoint(T)
    first = disclosure.Spec("jaarrapport")
    first.grid(["ja", "nee"], ["n"], [[12], [2]], row_total=False,
               facts={("ja", "n"): "eviction.ja.X", (disclosure.TOTAL, "n"): "closed.n.X"})
    ck.publish(first)
    ck.verify()
    start = len(ck.tables)
    second = disclosure.Spec("regio")
    second.cell("ja", 12)  # unlinked: the region prints what the yearly report hid
    ck.publish(second)
    ck.tables[-1].spec.quantities["ja"].fact = "eviction.ja.X"  # the same count, in truth
    with pytest.raises(DisclosureError):
        feedback.verify_since(ck, start)


# --------------------------------------------------------------------------- publish_year


def test_publish_year_writes_regio_and_drops_a_region_no_longer_present(tmp_path: Path) -> None:
    folder = tmp_path / "2013"

    def text(value: str):
        return functools.partial(outputs.write_text, text=value)

    owned = ["rapport.html", feedback.FOLDER]
    outputs.publish_year(folder, {"rapport.html": text("a"), "regio/A.html": text("A"),
                                  "regio/B.html": text("B")}, owned=owned)
    (folder / "notities.txt").write_text("eigen notities")
    assert sorted(p.name for p in (folder / "regio").iterdir()) == ["A.html", "B.html"]
    outputs.publish_year(folder, {"rapport.html": text("a2"), "regio/A.html": text("A2")},
                         owned=owned)
    assert sorted(p.name for p in (folder / "regio").iterdir()) == ["A.html"]
    assert (folder / "regio" / "A.html").read_text() == "A2"
    assert (folder / "notities.txt").read_text() == "eigen notities"  # not pwb's: kept
    outputs.publish_year(folder, {"rapport.html": text("a3")}, owned=owned)
    assert not (folder / "regio").exists()  # no region at all: no stale folder either
    for bad in ("../x.html", "regio/../x.html", "a/b/c.html", ".regio/x.html", "/tmp/x.html"):
        with pytest.raises(ValueError, match="geen geldige bestandsnaam"):
            outputs.publish_year(folder, {bad: text("x")})


# --------------------------------------------------------------------------- the browser


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium ontbreekt: installeer "
                    "Debian's chromium (.ci/run doet dat)")
def test_regional_reports_open_in_chromium_without_errors_and_pass_axe(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from test_accessibility import AXE, RUN_AXE, WCAG_21_AA
    from test_report import DevTools, _open, _problems

    r = run()
    pages = sorted((r.folder / "regio").glob("*.html"))
    browser = DevTools(tmp_path_factory.mktemp("chromium-regio"))
    try:
        for page in pages:
            session, shown = _open(browser, page)
            assert _problems(browser.events) == [], page.name
            requested = [e["params"]["request"]["url"] for e in browser.events
                         if e["method"] == "Network.requestWillBeSent"]
            assert requested == [page.as_uri()], page.name
            assert shown["banner"] and shown["width"] <= 1240, shown
        for page in (p for p in pages if not p.name.endswith(".en.html")):  # 4-6 A4 pages
            session, _ = _open(browser, page)
            browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
            pdf = base64.b64decode(browser.call("Page.printToPDF", {
                "preferCSSPageSize": True, "printBackground": True}, session=session,
                timeout=120)["data"])
            printed = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
            assert 4 <= printed <= 6, (page.name, printed)
        if AXE.exists():  # axe-core (tests/browser, `npm ci`) on a Dutch and an English page
            for page in (pages[0], next(p for p in pages if p.name.endswith(".en.html"))):
                session, _ = _open(browser, page)
                browser.call("Runtime.evaluate", {
                    "expression": AXE.read_text(encoding="utf-8") + "\n;true",
                    "returnByValue": True}, session=session, timeout=60)
                found = browser.call("Runtime.evaluate", {
                    "expression": RUN_AXE % json.dumps(WCAG_21_AA), "awaitPromise": True,
                    "returnByValue": True}, session=session, timeout=120)
                result = json.loads(found["result"]["value"])
                assert result["passes"] > 10
                assert result["violations"] == [], json.dumps(result["violations"], indent=1)
    finally:
        browser.close()
