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
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from pipeline.report import formatting

SOURCE_LANG = "nl"
CATALOGUES = Path(__file__).resolve().parent / "translations"
GETTEXT_FUNCTIONS = ("_", "gettext", "ngettext")


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


def missing_messages(messages: Iterable[str], lang: str = "en") -> list[str]:
    """The messages without a usable translation in ``lang``'s catalogue, sorted."""
    if lang == SOURCE_LANG:
        return []
    catalogue = load_catalogue(lang)
    return sorted({m for m in messages if not catalogue.get(m)})


def missing_translations(template_source: str, lang: str = "en") -> list[str]:
    """Messages marked in ``template_source`` that ``lang``'s catalogue does not translate."""
    return missing_messages(template_messages(template_source), lang)
