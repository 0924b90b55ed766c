"""One template, two languages: Dutch source strings, an English catalogue.

Why: ``--lang en`` must render the same report, so the Dutch template text is the key and
``translations/en.json`` maps it to English (``{"Dutch": "English"}``; a plural entry maps
the Dutch singular to ``["English singular", "English plural"]``). A missing or empty
entry falls back to the Dutch text, so a report always renders; ``missing_translations``
lets a test demand a complete catalogue instead.

In templates (Jinja2's i18n extension, new style, whitespace-trimmed ``trans`` blocks):
``{{ _("Inleiding") }}``, ``{{ _("Tabel %(n)s", n=num) }}``,
``{% trans n=k %}{{ n }} regio's{% endtrans %}``, ``{{ ngettext("%(num)d dag",
"%(num)d dagen", k) }}``. New-style messages are %-formatted, so a literal ``%`` is ``%%``,
and the translation is inserted as trusted markup: write ``&lt;`` for ``<``.

The chapters' text is Python (``pipeline/report/chapters``): ``ctx.t("...")`` for the
message and ``prose.markup`` to fill it, with the same rules (the message is trusted
markup, every value escaped). ``package_messages`` finds every message of the package and
its templates, so a test can demand a catalogue with none missing and none stale.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from pipeline.report import formatting

SOURCE_LANG = "nl"
PACKAGE = Path(__file__).resolve().parent
CATALOGUES = PACKAGE / "translations"
TEMPLATES = PACKAGE.parents[1] / "reports" / "templates"
# calls whose first argument, a literal, is a message: ctx.t("..."), N_("..."), and the
# template functions; a message used through a variable is marked with N_ where it is
# defined, or listed in a module's MESSAGES-like constant (declared_messages)
GETTEXT_FUNCTIONS = ("_", "gettext", "ngettext")
MARKERS = ("t", "N_", *GETTEXT_FUNCTIONS)


@cache
def load_catalogue(lang: str) -> dict[str, str | list[str]]:
    """The catalogue for ``lang`` ({} for Dutch, the source language)."""
    formatting.babel_locale(lang)  # unknown languages fail here, with a Dutch message
    if lang == SOURCE_LANG:
        return {}
    return json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))


class Translator:
    """gettext/ngettext over a catalogue; remembers the messages it had to leave Dutch."""

    def __init__(self, lang: str = SOURCE_LANG,
                 catalogue: dict[str, str | list[str]] | None = None) -> None:
        self.lang = lang
        self.catalogue = load_catalogue(lang) if catalogue is None else catalogue
        self.missing: set[str] = set()

    def _lookup(self, message: str) -> str | list[str] | None:
        found = self.catalogue.get(message)
        if self.lang != SOURCE_LANG and not found:
            self.missing.add(message)
        return found or None

    def gettext(self, message: str) -> str:
        found = self._lookup(message)
        return found if isinstance(found, str) else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self._lookup(singular)
        forms = found if isinstance(found, list) and len(found) == 2 else [singular, plural]
        return forms[0] if n == 1 else forms[1]

    __call__ = gettext


def install(env: Environment, lang: str = SOURCE_LANG) -> Translator:
    """Give ``env`` the ``_``/``gettext``/``ngettext`` functions, the number/date filters,
    ``lang`` and ``translate`` (plain gettext, for Python helpers such as
    ``table.note(translate)``) for one language, so words and numbers never disagree."""
    translator = Translator(lang)
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(translator.gettext, translator.ngettext, newstyle=True)
    formatting.register_filters(env, lang)
    env.globals.update(lang=lang, translate=translator.gettext)
    return translator


def template_messages(template_source: str) -> list[str]:
    """The constant message ids (singular for plurals) marked in a template, in order."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True
    found: list[str] = []
    for _line, _func, message in env.extract_translations(template_source, GETTEXT_FUNCTIONS):
        first: Any = message[0] if isinstance(message, tuple) else message
        if isinstance(first, str) and first not in found:
            found.append(first)
    return found


def python_messages(source: str) -> list[str]:
    """The literal messages of ``t("...")``, ``N_("...")``, ``_``/``gettext``/``ngettext``
    calls in Python source (the singular of a plural), in order, each once."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in MARKERS and node.args[0].value not in found:
                found.append(node.args[0].value)
    return found


def declared_messages() -> set[str]:
    """Messages the code holds in constants rather than marking them at a call: the chart
    labels (charts.MESSAGES), the suppression legend and total (disclosure), the source
    line (context.SOURCE) and the cut-off rules of results.json (pipeline.years)."""
    from pipeline import years
    from pipeline.report import charts, context, disclosure

    return {*charts.MESSAGES, disclosure.NOTE, disclosure.TOTAL, context.SOURCE,
            *(rule.replace("_", " ") for rule in years.CUTOFF_RULES),
            *years.CUTOFF_RULES.values()}


def package_messages() -> set[str]:
    """Every message the report can show: marked in any module of pipeline/report, marked
    in a template, or declared (``declared_messages``). The catalogue of a language must
    hold exactly these (tests/test_translation_catalogue.py): none missing, none stale."""
    found = {m for path in sorted(PACKAGE.rglob("*.py"))
             for m in python_messages(path.read_text(encoding="utf-8"))}
    found |= {m for path in sorted(TEMPLATES.glob("*.j2"))
              for m in template_messages(path.read_text(encoding="utf-8"))}
    return found | declared_messages()


def stale_messages(lang: str = "en") -> list[str]:
    """Entries of ``lang``'s catalogue that no code or template uses any more, sorted."""
    if lang == SOURCE_LANG:
        return []
    return sorted(set(load_catalogue(lang)) - package_messages())


def missing_messages(messages: Iterable[str], lang: str = "en") -> list[str]:
    """The messages without a usable translation in ``lang``'s catalogue, sorted."""
    if lang == SOURCE_LANG:
        return []
    catalogue = load_catalogue(lang)
    return sorted({m for m in messages if not catalogue.get(m)})


def missing_translations(template_source: str, lang: str = "en") -> list[str]:
    """Messages marked in ``template_source`` that ``lang``'s catalogue does not translate."""
    return missing_messages(template_messages(template_source), lang)
