"""Render OUT/Y/rapport.html from reports/templates with Jinja2.

One self-contained file: no external script, style, font or image (the style sheet is
inlined, charts are inline SVG). The one place that differs between two runs on the same
inputs is the marked run timestamp (``<time data-run-timestamp>``).

The asset calls::

    render(results, profile=profile, lang="nl", threshold=5, software=versions).html

``results`` is results.json, ``profile`` the counts of ``pipeline.report.profile``,
``software`` the package versions (``content.software_versions()``, computed by the
caller so that rendering never looks anything up), ``lang`` 'nl' or 'en' (one template,
the English catalogue in translations/en.json).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline.report import i18n
from pipeline.report.content import Report, build_report
from pipeline.report.disclosure import DEFAULT_THRESHOLD

TEMPLATES = Path(__file__).resolve().parents[2] / "reports" / "templates"
TEMPLATE = "rapport.html.j2"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M UTC"


class Rendered(NamedTuple):
    html: str
    missing: set[str]  # messages the language's catalogue did not translate
    report: Report  # the view-model (numbered tables: content.workbook_sheets)


def environment() -> Environment:
    # autoescape on for every template (the names end in .j2, so select_autoescape would not)
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def render(results: Mapping[str, Any], *, profile: Mapping[str, Any] | None = None,
           lang: str = i18n.SOURCE_LANG, threshold: int = DEFAULT_THRESHOLD,
           software: Mapping[str, str] | None = None,
           run_timestamp: dt.datetime | None = None) -> Rendered:
    """The report's HTML and the messages left untranslated (empty for a full catalogue)."""
    env = environment()
    translator = i18n.install(env, lang)
    report = build_report(results, profile, translate=translator.gettext, lang=lang,
                          threshold=threshold, software=software)
    stamp = (run_timestamp or dt.datetime.now(dt.UTC)).strftime(TIMESTAMP_FORMAT)
    html = env.get_template(TEMPLATE).render(r=results, c=report, run_timestamp=stamp)
    return Rendered(html, set(translator.missing), report)
