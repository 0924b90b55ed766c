"""Report building blocks: formats, disclosure control, charts, translations."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest

from pipeline.report import charts, disclosure, i18n
from pipeline.report import formatting as f

NB = "\u00a0"
TEMPLATES = Path(__file__).resolve().parents[1] / "reports" / "templates"


# --- formatting -------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "nl", "en"), [
    (lambda loc: f.integer(1234, loc), "1.234", "1,234"),
    (lambda loc: f.integer(1234567.5, loc), "1.234.568", "1,234,568"),
    (lambda loc: f.integer(0, loc), "0", "0"),
    (lambda loc: f.dec(12.345, 1, loc), "12,3", "12.3"),
    (lambda loc: f.dec(12.345, 2, loc), "12,35", "12.35"),  # half-up on the repr
    (lambda loc: f.dec(2.5, 0, loc), "3", "3"),
    (lambda loc: f.dec(-0.04, 1, loc), "0,0", "0.0"),  # no '-0,0'
    (lambda loc: f.dec(-3.25, 1, loc), "-3,3", "-3.3"),
    (lambda loc: f.dec(Decimal("1234.5"), 1, loc), "1.234,5", "1,234.5"),
    (lambda loc: f.pct(0.62, 1, loc), f"62,0{NB}%", "62.0%"),
    (lambda loc: f.pct(0.663941, 1, loc), f"66,4{NB}%", "66.4%"),
    (lambda loc: f.pct(1, 0, loc), f"100{NB}%", "100%"),
    (lambda loc: f.pvalue(0.0004, loc), f"p{NB}<{NB}0,001", f"p{NB}<{NB}0.001"),
    (lambda loc: f.pvalue(0.0415, loc), f"p{NB}={NB}0,042", f"p{NB}={NB}0.042"),
    (lambda loc: f.pvalue(0.001, loc), f"p{NB}={NB}0,001", f"p{NB}={NB}0.001"),
    (lambda loc: f.pvalue(0.05, loc, prefix=False), "0,050", "0.050"),
    (lambda loc: f.pvalue(1e-30, loc, prefix=False), f"<{NB}0,001", f"<{NB}0.001"),
    (lambda loc: f.ci(0.832505, [0.759929, 0.912013], locale=loc),
     "0,83 (0,76–0,91)", "0.83 (0.76–0.91)"),
    (lambda loc: f.ci(224, 217, 232, 0, loc), "224 (217–232)", "224 (217–232)"),
    (lambda loc: f.ci(-0.18, -0.27, -0.09, locale=loc),
     "-0,18 (-0,27; -0,09)", "-0.18 (-0.27, -0.09)"),
    (lambda loc: f.ci(1.2, None, None, locale=loc), "1,20", "1.20"),
    (lambda loc: f.long_date(dt.date(2013, 12, 31), loc), "31 december 2013", "31 December 2013"),
    (lambda loc: f.long_date("2013-03-01", loc), "1 maart 2013", "1 March 2013"),
    (lambda loc: f.short_date(dt.datetime(2013, 1, 5, 10), loc), "05/01/2013", "05/01/2013"),
    (lambda loc: f.euro(63452, locale=loc), f"€{NB}63.452", "€63,452"),
    (lambda loc: f.euro(1234.5, 2, loc), f"€{NB}1.234,50", "€1,234.50"),
    (lambda loc: f.euro(-1234.4, locale=loc), f"€{NB}-1.234", "-€1,234"),
])
def test_formats_exact(call, nl, en):
    assert (call("nl"), call("en")) == (nl, en)


@pytest.mark.parametrize("value", [None, math.nan, math.inf, float("-inf")])
def test_missing_values_are_a_dash(value):
    for show in (f.integer, f.dec, f.pct, f.pvalue, f.euro):
        assert show(value) == "–"
    assert f.ci(value, 1, 2) == "–"
    assert f.long_date(None) == f.short_date(None) == "–"


def test_format_errors():
    with pytest.raises(ValueError, match="p-waarde"):
        f.pvalue(1.2)
    with pytest.raises(ValueError, match="onbekende taal"):
        f.integer(1, "fr")


def test_jinja_filters_follow_the_locale():
    source = ("{{ n|num }}|{{ x|dec }}|{{ x|dec(2) }}|{{ r|pct }}|{{ p|pval }}|"
              "{{ p|pval(false) }}|{{ hr|ci(hr_ci) }}|{{ d|longdate }}|{{ d|shortdate }}|"
              "{{ e|euro }}|{{ none|num }}")
    data = dict(n=4111, x=12.345, r=0.62, p=0.0004, hr=0.832505, hr_ci=[0.759929, 0.912013],
                d="2013-12-31", e=63452, none=None)
    rendered = {}
    for loc in ("nl", "en"):
        env = jinja2.Environment(autoescape=True)
        f.register_filters(env, loc)
        rendered[loc] = env.from_string(source).render(**data)
    assert rendered["nl"] == (f"4.111|12,3|12,35|62,0{NB}%|p{NB}&lt;{NB}0,001|&lt;{NB}0,001|"
                              f"0,83 (0,76–0,91)|31 december 2013|31/12/2013|€{NB}63.452|–")
    assert rendered["en"] == (f"4,111|12.3|12.35|62.0%|p{NB}&lt;{NB}0.001|&lt;{NB}0.001|"
                              "0.83 (0.76–0.91)|31 December 2013|31/12/2013|€63,452|–")


# --- suppression (the disclosure checkpoint on single tables) ---------------------------

def _decide(rows, cols, values, *, threshold=5, locale="nl", **kw):
    """Publish one grid; (display grid with totals, share grid or None, published)."""
    spec = disclosure.Spec("t")
    spec.grid(rows, cols, values, **kw)
    published = disclosure.Checkpoint(threshold).publish(spec)
    all_rows = [*rows, disclosure.TOTAL] if kw.get("col_total", True) else list(rows)
    all_cols = [*cols, disclosure.TOTAL] if kw.get("row_total", True) else list(cols)
    display = [[r] + [published[(r, c)].text(lambda v: f.integer(v, locale)) for c in all_cols]
               for r in all_rows]
    shares = None
    if kw.get("percent"):
        shares = [[r] + [published[("%", r, c)].text(lambda v: f.pct(v, 1, locale))
                         for c in all_cols] for r in all_rows]
    return display, shares, published


def test_primary_and_secondary_suppression_with_row_percentages():
    display, shares, published = _decide(["A", "B", "C"], ["v", "u", "a"],
                                         [[20, 6, 7], [3, 9, 8], [15, 0, 2]], percent="row")
    # B.v=3 and C.a=2 are small (primary). Row B then has one hidden cell, so its smallest
    # other cell (a 8) goes too; row C's smallest non-zero cell is v 15 (the 0 is not
    # chosen). Columns v and a then hold two hidden cells each, and the exact check finds
    # B.v anywhere in 1..11 and C.a in 0..10: nothing more to hide.
    assert display == [["A", "20", "6", "7", "33"], ["B", "<5", "9", "x", "20"],
                       ["C", "x", "0", "<5", "17"], ["Totaal", "38", "15", "17", "70"]]
    assert published[("B", "v")].status is disclosure.Status.PRIMARY
    assert published[("B", "a")].status is disclosure.Status.SECONDARY
    assert published[("B", "a")].value is None and published[("A", "v")].value == 20
    # a share is hidden with its count, marked '<5' where the count is small itself
    assert shares == [
        ["A", f"60,6{NB}%", f"18,2{NB}%", f"21,2{NB}%", f"100,0{NB}%"],
        ["B", "<5", f"45,0{NB}%", "x", f"100,0{NB}%"],
        ["C", "x", f"0,0{NB}%", "<5", f"100,0{NB}%"],
        ["Totaal", f"54,3{NB}%", f"21,4{NB}%", f"24,3{NB}%", f"100,0{NB}%"],
    ]
    assert published.note().startswith("<5: minder dan 5, niet gepubliceerd; x: ")


def test_secondary_suppression_cascades_until_stable():
    display, _, _ = _decide(["A", "B", "C"], ["p", "q", "r"],
                            [[3, 7, 20], [9, 30, 40], [12, 25, 60]])
    # A.p primary -> row A hides A.q (7); column p hides B.p (9), column q hides C.q (25);
    # then rows B and C hold one hidden cell each -> B.q (30 < 40) and C.p (12 < 60).
    assert display == [["A", "<5", "x", "20", "30"], ["B", "x", "x", "40", "79"],
                       ["C", "x", "x", "60", "97"], ["Totaal", "24", "62", "120", "206"]]


def test_a_small_row_total_is_protected_through_the_totals_column():
    display, _, _ = _decide(["A", "B", "C"], ["p", "q"], [[1, 2], [10, 20], [15, 25]])
    # A's total 3 is small. Hiding B.p and B.q (the line rule) still leaves A.p + A.q =
    # 73 - 30 - 40 = 3: the exact check finds the group of 3, and only hiding B's total
    # (no single cell of C does) leaves A's total anywhere in 0..33.
    assert display == [["A", "<5", "<5", "<5"], ["B", "x", "x", "x"],
                       ["C", "15", "25", "40"], ["Totaal", "26", "47", "73"]]


def test_threshold_is_a_setting_and_zero_is_published():
    display, _, _ = _decide(["a", "b", "c"], ["n"], [[2], [3], [0]], threshold=3,
                            row_total=False, locale="en")
    assert display == [["a", "<3"], ["b", "x"], ["c", "0"], ["Totaal", "5"]]
    _, _, plain = _decide(["a", "b", "c"], ["n"], [[2], [3], [0]], threshold=1,
                          row_total=False)
    assert not plain.any_hidden and plain.note() == ""


def test_suppression_refuses_bad_input():
    with pytest.raises(ValueError):
        _decide(["a"], ["n"], [[-1]])
    with pytest.raises(ValueError):
        _decide(["a"], ["n"], [[10]], row_total=False, percent="row")
    with pytest.raises(ValueError):
        disclosure.Checkpoint(0)


# --- charts -----------------------------------------------------------------------------

DAYS = [0, 30, 60, 90, 120]
KM = {"days": DAYS, "survival": [1.0, 0.95914, 0.902951, 0.84, 0.77],
      "lower": [1.0, 0.953034, 0.893731, 0.83, 0.76],
      "upper": [1.0, 0.965285, 0.912268, 0.85, 0.78]}
CIF = {"days": DAYS, "vermeden": [0.0, 0.027, 0.065, 0.11, 0.16],
       "uithuisgezet": [0.0, 0.007, 0.016, 0.027, 0.04], "ander": [0.0, 0.006, 0.017, 0.03, 0.05],
       "lower": {k: [max(v - 0.01, 0) for v in vs] for k, vs in
                 {"vermeden": [0, 0.027, 0.065, 0.11, 0.16], "uithuisgezet": [0, 0.007, 0.016,
                  0.027, 0.04], "ander": [0, 0.006, 0.017, 0.03, 0.05]}.items()},
       "upper": {k: [v + 0.01 for v in vs] for k, vs in
                 {"vermeden": [0, 0.027, 0.065, 0.11, 0.16], "uithuisgezet": [0, 0.007, 0.016,
                  0.027, 0.04], "ander": [0, 0.006, 0.017, 0.03, 0.05]}.items()}}
TERMS = [{"term": "(Intercept)", "or": 2.7, "or_ci": [1.5, 4.9], "p": 0.0006},
         {"term": "verhuurder_type[SVK]", "or": 0.771354, "or_ci": [0.593298, 1.00285],
          "p": 0.0525335},
         {"term": "leeftijd", "or": 1.01, "or_ci": [math.nan, math.nan], "p": None}]
COX = [{"term": "verhuurder_type[SVK]", "hr": 0.832505, "hr_ci": [0.759929, 0.912013],
        "p": 8.18e-05}, {"term": "gezinstype[andere]", "hr": 0.987, "hr_ci": [0.82, 1.18],
                         "p": 0.889}]
BAR_LABELS = ["alleenstaand", "eenoudergezin", "andere", "klein"]


def _bar(counts, **kw):
    """A bar chart of published cells: the distribution decided by the checkpoint."""
    spec = disclosure.Spec("bar")
    spec.grid(BAR_LABELS, ["n"], [[n] for n in counts], row_total=False, percent="col")
    cells = disclosure.Checkpoint().publish(spec)
    return charts.bar_chart(BAR_LABELS, [cells[(k, "n")] for k in BAR_LABELS],
                            [cells[("%", k, "n")] for k in BAR_LABELS],
                            total=cells[(disclosure.TOTAL, "n")], **kw)


BAR = [120, 60, 30, 3]


def _all_charts(translate=None, locale="nl", shift=0.0):
    km = {**KM, "survival": [v - shift for v in KM["survival"]]}
    return {
        "km": charts.km_chart(km, locale=locale, translate=translate),
        "km_groups": charts.km_chart({"SHM": KM, "SVK": km}, locale=locale,
                                     translate=translate),
        "stacked": charts.incidence_chart(CIF, locale=locale, translate=translate),
        "lines": charts.incidence_chart(CIF, stacked=False, locale=locale,
                                        translate=translate),
        "forest_or": charts.forest_plot(TERMS, measure="or", locale=locale,
                                        translate=translate),
        "forest_hr": charts.forest_plot(COX, locale=locale, translate=translate),
        "bar": _bar(BAR, locale=locale, translate=translate),
    }


@pytest.fixture(scope="module")
def rendered():
    return _all_charts()


def test_svg_is_deterministic_and_follows_the_data(rendered):
    again = _all_charts()
    assert {k: c.svg for k, c in again.items()} == {k: c.svg for k, c in rendered.items()}
    assert charts.km_chart({**KM, "survival": [1.0, 0.9, 0.8, 0.7, 0.6]}).svg != \
        rendered["km"].svg
    assert _bar([120, 60, 31, 3]).svg != rendered["bar"].svg


def test_svg_is_inline_safe_valid_xml_without_external_resources(rendered):
    for name, chart in rendered.items():
        svg = chart.svg
        for banned in ("http", "<image", "@font-face", "<?xml", "<!DOCTYPE", "xlink", "<style",
                       "<!--", "url(data:", "font-face"):
            assert banned not in svg, (name, banned)
        root = ET.fromstring(svg)
        assert root.tag == "svg" and root.get("role") == "img", name
        assert root.findall(".//text"), name  # text stays text (svg.fonttype 'none')
        ids = [el.get("id") for el in root.iter() if el.get("id")]
        prefix = ids[0].split("-")[0] if ids else ""
        assert all(i.startswith(prefix + "-") for i in ids), name
        refs = set(re.findall(r'(?:url\(#|href="#)([\w.:-]+)', svg))
        assert refs <= set(ids), name  # every reference resolves inside this chart


def test_charts_on_one_page_share_no_ids(rendered):
    ids = [i for c in rendered.values() for i in re.findall(r' id="([^"]+)"', c.svg)]
    assert len(ids) == len(set(ids))
    named = charts.km_chart(KM, chart_id="fig 4.2", alt='Figuur "4.2" <KM> & CI').svg
    assert ' id="fig-4-2-' in named
    assert ET.fromstring(named).get("aria-label") == 'Figuur "4.2" <KM> & CI'


def test_data_tables_hold_the_plotted_values(rendered):
    km = rendered["km"].table
    assert km.columns == ["Dag", "Nog in begeleiding", f"Ondergrens (95{NB}%)",
                          f"Bovengrens (95{NB}%)"]
    assert km.rows[1] == ["30", f"95,9{NB}%", f"95,3{NB}%", f"96,5{NB}%"]
    assert rendered["km_groups"].table.rows[5][:2] == ["SVK", "0"]
    assert rendered["stacked"].table.rows[4] == ["120", f"16,0{NB}%", f"4,0{NB}%", f"5,0{NB}%"]
    assert rendered["lines"].table.rows[4][1] == f"16,0{NB}% (15,0–17,0)"
    forest = rendered["forest_or"].table
    assert forest.columns == ["Kenmerk", f"Oddsratio (95{NB}%-BI)", "p"]
    assert forest.rows == [["verhuurder_type: SVK", "0,77 (0,59–1,00)", "0,053"],
                           ["leeftijd", "1,01", "–"]]


def test_bar_chart_never_shows_what_the_table_hides(rendered):
    bar = rendered["bar"]
    assert bar.table.rows == [["alleenstaand", "120", f"56,3{NB}%"],
                              ["eenoudergezin", "60", f"28,2{NB}%"],
                              ["andere", "x", "x"], ["klein", "<5", "<5"],
                              ["Totaal", "213", f"100,0{NB}%"]]
    assert "&lt;5" in bar.svg and ">x<" in bar.svg.replace("\n", "").replace(" ", "")
    assert "14,1" not in bar.svg and "1,4" not in bar.svg  # 30/213 and 3/213 stay hidden


def test_chart_labels_are_translated_and_all_in_the_catalogue():
    asked: set[str] = set()
    translator = i18n.Translator("en")

    def recording(text):
        asked.add(text)
        return translator.gettext(text)

    english = _all_charts(translate=recording, locale="en")
    assert asked <= set(charts.MESSAGES)  # MESSAGES lists every label the charts use
    assert i18n.missing_messages(charts.MESSAGES) == []
    assert translator.missing == set()
    assert "Days since the start of support" in english["km"].svg
    assert english["forest_or"].table.columns == ["Characteristic", "Odds ratio (95% CI)", "p"]
    assert english["km"].table.rows[1] == ["30", "95.9%", "95.3%", "96.5%"]


# --- i18n -------------------------------------------------------------------------------

SAMPLE = """<h1>{{ _("Inleiding") }}</h1>
<p>{{ _("Tabel %(n)s", n=3) }} {{ _("Een zin die nog niemand vertaalde") }}</p>
{% trans k=regions %}Er zijn {{ k }} regio's.{% endtrans %}
{{ ngettext("%(num)d dag", "%(num)d dagen", days) }} {{ share|pct }} {{ _(variable) }}"""


def test_missing_translations_are_detected():
    assert i18n.template_messages(SAMPLE) == [
        "Inleiding", "Tabel %(n)s", "Een zin die nog niemand vertaalde",
        "Er zijn %(k)s regio's.", "%(num)d dag"]
    assert i18n.missing_translations(SAMPLE) == [
        "%(num)d dag", "Een zin die nog niemand vertaalde", "Er zijn %(k)s regio's."]
    assert i18n.missing_translations(SAMPLE, lang="nl") == []


def test_english_render_falls_back_to_dutch_and_reports_it():
    catalogue = {**i18n.load_catalogue("en"), "%(num)d dag": ["%(num)d day", "%(num)d days"]}
    for lang, expected in [
        ("nl", f"<h1>Inleiding</h1>\n<p>Tabel 3 Een zin die nog niemand vertaalde</p>\n"
               f"Er zijn 10 regio's.\n2 dagen 62,0{NB}% Resultaten"),
        ("en", "<h1>Introduction</h1>\n<p>Table 3 Een zin die nog niemand vertaalde</p>\n"
               "Er zijn 10 regio's.\n2 days 62.0% Results"),
    ]:
        env = jinja2.Environment(autoescape=True)
        translator = i18n.install(env, lang)
        translator.catalogue = catalogue if lang == "en" else {}
        html = env.from_string(SAMPLE).render(regions=10, days=2, share=0.62,
                                              variable="Resultaten")
        assert html == expected
        assert env.globals["lang"] == lang
        assert translator.missing == ({"Een zin die nog niemand vertaalde",
                                       "Er zijn %(k)s regio's."} if lang == "en" else set())


def test_python_side_notes_translate_and_escape():
    env = jinja2.Environment(autoescape=True)
    i18n.install(env, "en")
    _, _, table = _decide(["a", "b"], ["n"], [[2], [30]])
    html = env.from_string("{{ t.note(translate) }}").render(t=table)
    assert html.startswith("&lt;5: fewer than 5, not published; x: not published")


def test_catalogue_is_tidy_and_complete_for_the_report_templates():
    path = i18n.CATALOGUES / "en.json"
    catalogue = json.loads(path.read_text(encoding="utf-8"))
    assert list(catalogue) == sorted(catalogue) and all(catalogue.values())
    for key, value in catalogue.items():  # placeholders survive translation
        english = " ".join(value) if isinstance(value, list) else value
        assert set(re.findall(r"%\(\w+\)", key)) == set(re.findall(r"%\(\w+\)", english)), key
    assert i18n.missing_messages([disclosure.NOTE, disclosure.TOTAL]) == []
    for template in sorted(TEMPLATES.glob("*.j2")):
        assert i18n.missing_translations(template.read_text(encoding="utf-8")) == [], template
