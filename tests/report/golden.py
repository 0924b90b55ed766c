"""The golden rendering of the demo report: guards moving the report's code around.

``demo_2013.json`` holds the inputs of one report (results.json and the profile counts)
from the demo year: `pwb synth --years 2012-2013 --seed 7 --n-per-year 400` with 3 % dirty
rows, run by `pwb run --year 2013` (the same year tests/test_report.py builds). Rendering
from these stored inputs keeps the comparison about the report's code only: a change in a
model or in the synthetic generator does not touch it.

``golden_2013.nl.txt`` is the text content of the Dutch rendering (one line per text node,
charts' SVG and the style sheet left out), with a fixed run timestamp and software list.
A change that is meant to change the report rewrites it, and the diff of that file in the
commit shows exactly what changed for the reader::

    .venv/bin/python -m tests.report.golden
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "demo_2013.json"
GOLDEN = HERE / "golden_2013.nl.txt"
STAMP = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
SOFTWARE = {"pwb": "golden"}


def inputs() -> dict[str, Any]:
    return json.loads(INPUTS.read_text(encoding="utf-8"))


def text_of(page: str) -> str:
    """The text a reader sees, one text node a line (no SVG, no style sheet)."""
    page = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    page = re.sub(r"<[^>]+>", "\n", page)
    lines = (" ".join(line.split()) for line in html.unescape(page).split("\n"))
    return "\n".join(line for line in lines if line) + "\n"


def render_text(lang: str = "nl") -> str:
    from pipeline.report.render import render

    data = inputs()
    return text_of(render(data["results"], profile=data["profile"], lang=lang,
                          software=SOFTWARE, run_timestamp=STAMP).html)


if __name__ == "__main__":
    GOLDEN.write_text(render_text(), encoding="utf-8")
    print(f"geschreven: {GOLDEN}")
