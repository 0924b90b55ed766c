"""The disclosure checkpoint against a reader who combines every published number.

Each case builds the report's tables from a results dict the way the report does, then
attempts the reconstruction a disclosure auditor would (integer programming over the
published relations: margins, sums such as 'ja + nee', the same count in two tables,
prose and key figures) on the numbers as published, and shows it fails; the same attempt
on the numbers the report published before the checkpoint succeeds, so each test can fail.
"""

from __future__ import annotations

import copy
import re

import pytest

from pipeline.report import content, disclosure
from pipeline.report.reconstruction import Problem, reconstruct
from tests.report import golden

T = 5
DIGITS = re.compile(r"^\d+$")


def shown(text: str) -> int | None:
    """A published count as the reader reads it ('1.234' -> 1234; '<5', 'x' -> None)."""
    text = text.replace(".", "")
    return int(text) if DIGITS.match(text) else None


def attack(true: dict[str, int], relations: dict[str, tuple[dict[str, int], str]],
           targets: list[str]) -> dict[str, tuple[float, float]]:
    """The reader's attempt: every relation whose right-hand side is shown as a number is
    an equation; the targets the equations place in 1..4 are returned with their range."""
    problem = Problem(dict(true))
    for name, (coefs, text) in relations.items():
        value = shown(text)
        if value is not None:  # a true relation, or the attempt would prove nothing
            assert sum(true[k] * v for k, v in coefs.items()) == value, (name, text)
            problem.equal.append(({k: float(v) for k, v in coefs.items()}, float(value)))
    found = reconstruct(problem, {k: {k: 1.0} for k in targets}, T)
    return {name: (low, high) for name, low, high, _ in found}


def builder(changes: dict) -> content.Builder:
    """The demo year's results (tests/report) with ``changes`` merged in, block by block."""
    results = copy.deepcopy(golden.inputs()["results"])
    for block, values in changes.items():
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(results[block].get(key), dict):
                results[block][key].update(value)
            else:
                results[block][key] = value
    return content.Builder(results, None, translate=str)


# --------------------------------------------------------------------------- the issue's case


ISSUE = {"indicators": {"overall": {"eviction_avoided": 10, "eviction_n": 20,
                                    "eviction_unknown": 2, "closed": 22,
                                    "eviction_avoided_rate": 0.5,
                                    "eviction_avoided_ci": [0.3, 0.7]}}}
TRUE = {"ja": 10, "nee": 10, "onbekend": 2}
ALL = {"ja": 1, "nee": 1, "onbekend": 1}


def test_issue_case_table_prose_and_key_figure_give_nothing_back() -> None:
    b = builder(ISSUE)
    text, table = b.results_avoided()
    prose = str(text.data["text"])  # the paragraph as the reader gets it
    prose_n = re.search(r"Onder de (\S+) afsluitingen", prose)[1]
    prose_rate = re.search(r"vermeden bij (.+?)\. Het is", prose)[1]
    figures = dict(b.key_figures())
    b.ck.verify()
    cells = {row[0]: row[1] for row in table.rows}
    relations = {"ja": ({"ja": 1}, cells["Ja"]), "nee": ({"nee": 1}, cells["Nee"]),
                 "onbekend": ({"onbekend": 1}, cells["Onbekend"]),
                 "totaal": (ALL, cells["Totaal"]),
                 "prose n": ({"ja": 1, "nee": 1}, prose_n)}
    assert attack(TRUE, relations, ["ja", "nee", "onbekend"]) == {}
    # the rate of the prose and the key figure is the same hidden cell
    assert figures["Uithuiszetting vermeden"] == prose_rate == "x"
    assert cells["Onbekend"] == "<5" and cells["Totaal"] == "22"

    # what the report published before: Nee 10, Totaal 22, "onder de 20" and 50,0 %
    before = {"nee": ({"nee": 1}, "10"), "totaal": (ALL, "22"),
              "prose n": ({"ja": 1, "nee": 1}, "20")}
    assert attack(TRUE, before, ["ja", "nee", "onbekend"]) == {"onbekend": (2.0, 2.0)}
    rate = Problem(dict(TRUE), equal=[({"nee": 1.0}, 10.0), (dict.fromkeys(ALL, 1.0), 22.0)],
                   share=[({"ja": 1.0}, {"ja": 1.0, "nee": 1.0}, 50.0, 1)])
    assert [name for name, *_ in reconstruct(rate, {"onbekend": {"onbekend": 1.0}}, T)] == \
        ["onbekend"]  # the key figure 50,0 % with Nee 10 gives Ja 10, then Onbekend 2


# --------------------------------------------------------------------------- one small region


def per_caw(rows: list[tuple[str, int, int, int]]) -> dict:
    """indicators with eviction counts (ja, nee, onbekend) per region: the demo year's
    first regions, renamed, with these counts."""
    demo = golden.inputs()["results"]["indicators"]["per_caw"]
    regions = [{**demo[i], "caw": c, "naam": c, "eviction_avoided": y, "eviction_n": y + n,
                "eviction_unknown": u, "closed": y + n + u, "active": 2 * (y + n + u)}
               for i, (c, y, n, u) in enumerate(rows)]
    total = {k: sum(r[k] for r in regions) for k in ("eviction_avoided", "eviction_n",
                                                      "eviction_unknown", "closed", "active")}
    return {"indicators": {"per_caw": regions, "overall": total}}


def test_a_region_with_few_cases_in_one_category() -> None:
    # region B has 3 closures, all 'ja'; its closures are also published per region in the
    # caseload table (the same fact), and the columns have published totals
    rows = [("A", 30, 12, 6), ("B", 3, 0, 0), ("C", 25, 9, 7)]
    b = builder(per_caw(rows))
    outcomes = {t.key: t for t in b.regions_outcomes() if isinstance(t, content.Table)}
    caseload = {t.key: t for t in b.regions_caseload() if isinstance(t, content.Table)}
    b.ck.verify()
    true = {f"{c}.{k}": v for c, *vals in rows for k, v in zip(("y", "n", "u"), vals,
                                                                 strict=True)}
    ev = {r[0]: r[1:4] for r in outcomes["vermeden-regio"].rows}
    closed = {r[0]: r[3] for r in caseload["caseload"].rows}
    relations: dict[str, tuple[dict[str, int], str]] = {}
    for c, *_ in rows:
        for k, text in zip(("y", "n", "u"), ev[c], strict=True):
            relations[f"{c}.{k}"] = ({f"{c}.{k}": 1}, text)
        relations[f"{c} closed"] = ({f"{c}.{k}": 1 for k in "ynu"}, closed[c])
    for j, k in enumerate("ynu"):
        relations[f"total {k}"] = ({f"{c}.{k}": 1 for c, *_ in rows}, ev["Totaal"][j])
    relations["total closed"] = ({key: 1 for key in true}, closed["Totaal"])
    assert attack(true, relations, list(true)) == {}
    assert ev["B"][0] == "<5" and closed["B"] == "<5"

    # before: only the small cells themselves were hidden; the column total gives B.y back
    before = {name: (coefs, "<5" if 0 < sum(true[k] * v for k, v in coefs.items()) < T
                     else str(sum(true[k] * v for k, v in coefs.items())))
              for name, (coefs, _) in relations.items()}
    assert "B.y" in attack(true, before, list(true))


# --------------------------------------------------------------------------- few closures


def test_a_year_with_fewer_than_five_closures() -> None:
    counts = {"rows_valid": 60, "closed": 3, "open_at_cutoff": 40, "out_of_scope": 2,
              "active": 43}
    b = builder({"counts": counts})
    *prose, table = b.methods_definitions()  # the active count is in the definitions' text
    active = re.search(r"\((\S+) trajecten\)", str(prose[-1].data["items"][0][1]))[1]
    figures = dict(b.key_figures())
    b.ck.verify()
    rows = {r[0]: r[1] for r in table.rows}
    true = {"before": 15, "closed": 3, "open": 40, "out": 2}
    relations = {
        "before": ({"before": 1}, rows["Afgesloten vóór 2013"]),
        "closed": ({"closed": 1}, rows["Afgesloten in 2013"]),
        "open": ({"open": 1}, rows["Open op de peildatum"]),
        "out": ({"out": 1}, rows["Gestart na de peildatum (buiten het jaar)"]),
        "valid": ({k: 1 for k in true}, rows["Geldige rijen"]),
        "active (prose)": ({"closed": 1, "open": 1}, active),
        "active (key figure)": ({"closed": 1, "open": 1}, figures["Actieve trajecten"]),
        "closed (key figure)": ({"closed": 1}, figures["Afgesloten trajecten"]),
    }
    assert attack(true, relations, list(true)) == {}
    assert figures["Afgesloten trajecten"] == "<5"
    # before: the key figure 'Actieve trajecten 43' stood beside 'Open 40'
    before = dict(relations)
    before["open"] = ({"open": 1}, "40")
    before["active (key figure)"] = ({"closed": 1, "open": 1}, "43")
    assert attack(true, before, list(true)) == {"closed": (3.0, 3.0)}


# --------------------------------------------------------------------------- per-CAW tables


def test_per_caw_tables_with_one_tiny_region() -> None:
    rows = [("A", 40, 10, 5), ("B", 1, 1, 0), ("C", 35, 12, 4)]
    b = builder({**per_caw(rows), "counts": {"active": 2 * sum(sum(r[1:]) for r in rows)}})
    norm = next(t for t in b.regions_norm() if isinstance(t, content.Table))
    b.ck.verify()
    active = {r[0]: r[3] for r in norm.rows}
    true = {c: 2 * (y + n + u) for c, y, n, u in rows}  # 110, 4, 102
    relations = {c: ({c: 1}, active[c]) for c in true}
    relations["total"] = ({c: 1 for c in true}, active["Totaal"])
    relations["key figure"] = ({c: 1 for c in true}, dict(b.key_figures())["Actieve trajecten"])
    assert active["B"] == "<5"
    assert attack(true, relations, list(true)) == {}
    before = {c: ({c: 1}, "<5" if true[c] < T else str(true[c])) for c in true}
    before["total"] = ({c: 1 for c in true}, str(sum(true.values())))
    assert attack(true, before, list(true)) == {"B": (4.0, 4.0)}


# --------------------------------------------------------------------------- the audit


def test_the_audit_fails_the_build_when_a_published_number_gives_a_cell_back() -> None:
    ck = disclosure.Checkpoint(T)
    spec = disclosure.Spec("t")
    spec.grid(["ja", "nee", "onbekend"], ["n"], [[10], [10], [2]], row_total=False)
    spec.total("known", [("ja", "n"), ("nee", "n")])
    published = ck.publish(spec)
    assert published[("onbekend", "n")].hidden and ck.audit() == []
    # force the unsafe publication the old report made, and the audit must say so
    table = ck.tables[0]
    for key in (("ja", "n"), ("nee", "n"), "known"):
        table.status[key] = disclosure.Status.PUBLISHED
    with pytest.raises(disclosure.DisclosureError, match="onbekend"):
        ck.verify()


def test_the_same_count_in_two_tables_has_one_status() -> None:
    ck = disclosure.Checkpoint(T)
    first = disclosure.Spec("first")
    first.grid(["a", "b"], ["n"], [[3], [40]], row_total=False,
               facts={("b", "n"): "b", (disclosure.TOTAL, "n"): "all"})
    one = ck.publish(first)
    second = disclosure.Spec("second")
    second.grid(["b1", "b2"], ["n"], [[30], [10]], row_total=False,
                facts={(disclosure.TOTAL, "n"): "b"})
    two = ck.publish(second)
    assert one[("b", "n")].hidden and two[(disclosure.TOTAL, "n")].hidden
    assert ck.count("b", 40).hidden and ck.count("all", 43).published
    assert ck.audit() == []


# --------------------------------------------------------------------------- across chapter 6


def test_not_avoided_less_evicted_is_no_small_group() -> None:
    # every eviction is a 'niet vermeden' closure: a region's 'Niet vermeden' in Table
    # vermeden-regio less its evictions in the funnel table is a count of households (not
    # avoided, not evicted); with 3 of them both numbers may not be published together
    from pipeline.report.chapters import vergelijking

    # the demo year's Delta - Vilvoorde: 8 not avoided (published), 5 evicted, so 3 neither
    results = copy.deepcopy(golden.inputs()["results"])
    i, region = next((i, r) for i, r in enumerate(results["indicators"]["per_caw"])
                     if r["caw"] == "DV")
    nee = region["eviction_n"] - region["eviction_avoided"]
    rc = results["regional_comparison"]
    row = next(x for x in rc["per_caw"] if x["caw"] == "DV")
    assert (nee, row["observed"]) == (8, 5)
    b = content.Builder(results, None, translate=str)
    outcomes = {t.key: t for t in b.regions_outcomes() if isinstance(t, content.Table)}
    funnel = {t.key: t for s in vergelijking.sections(b) for t in s.blocks
              if isinstance(t, content.Table)}
    b.ck.verify()
    label = outcomes["vermeden-regio"].rows[i][0]
    shown_nee = outcomes["vermeden-regio"].rows[i][2]
    shown_evicted = next(r[2] for r in funnel["vergelijking-uithuisgezet"].rows
                         if r[0] == label)
    true = {"evicted": nee - 3, "rest": 3}
    relations = {"nee": ({"evicted": 1, "rest": 1}, shown_nee),
                 "evicted": ({"evicted": 1}, shown_evicted)}
    assert attack(true, relations, ["rest"]) == {}
    # both published, as before the relation was declared: the 3 follow
    before = {"nee": ({"evicted": 1, "rest": 1}, str(nee)),
              "evicted": ({"evicted": 1}, str(nee - 3))}
    assert attack(true, before, ["rest"]) == {"rest": (3.0, 3.0)}
