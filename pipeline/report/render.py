"""Render OUT/Y/rapport.html from reports/templates with Jinja2.

One self-contained file: no external script, style, font or image. The one
place that differs between two runs on the same inputs is the marked run
timestamp (`data-run-timestamp`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parents[2] / "reports" / "templates"


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                       undefined=StrictUndefined, keep_trailing_newline=True)


def render_report(results: dict[str, Any], *, run_timestamp: dt.datetime | None = None) -> str:
    stamp = (run_timestamp or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return environment().get_template("rapport.html.j2").render(r=results, run_timestamp=stamp)
