"""Prose blocks for the chapters: paragraphs, lists and definitions as ``model.Text``.

Why here: each chapter module holds its whole text (the templates keep only layout), so
the chapters need one safe way to write sentences that carry markup (a link to a table,
a ``<cite>``, ``&lt;``) next to numbers and names from results.json.

The rule is the one Jinja2's ``{% trans %}`` followed: a *message* (a Dutch msgid passed
through ``ctx.t``, so from the code or from translations/en.json) is trusted markup; every
*value* put into it is escaped unless it is ``Markup`` itself (a link from ``link``, or a
sentence built by ``markup``). ``markup(ctx.t("... %(table)s ..."), table=link("norm"))``
is therefore safe for any value; never pass text from results.json as the message.

Cross-references: ``link(key)`` writes ``{link:key}``, which numbering turns into
``<a href="#tabel-6-1">Tabel 6.1</a>``; ``ref(key)`` writes ``{ref:key}``, the label
alone (chapter numbers: ``ref("hoofdstuk:profiel")`` -> "3"). A key that is not in the
report fails in numbering, not as a wrong number in print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup

from pipeline.report.model import Text


def markup(message: str, /, **values: Any) -> Markup:
    """The (translated) ``message`` as trusted markup, its ``%(name)s`` filled with the
    escaped ``values``; ``%%`` becomes ``%`` even without values, as in ``{% trans %}``."""
    return Markup(message) % values


def link(key: str, *, optional: bool = False) -> Markup:
    """A linked cross-reference ('Tabel 6.1') to the table, figure or section ``key``;
    ``optional`` for a block of another chapter that a year may lack ('–' then)."""
    return Markup("{link?:%s}" if optional else "{link:%s}") % key


def ref(key: str) -> str:
    """A plain cross-reference: the label of ``key`` without a link."""
    return "{ref:" + key + "}"


def join(parts: Iterable[str | Markup | None | bool], sep: str = "\n") -> Markup:
    """Sentences of one paragraph, escaped where not markup; empty parts left out. One
    sentence group a line in the HTML source (a browser shows a space), so the golden
    text keeps its lines."""
    return Markup(sep).join(p for p in parts if p)


def paragraph(*parts: str | Markup | None | bool) -> Text:
    """One ``<p>``: its sentence groups joined (``join``); a false part is left out."""
    return Text("alinea", {"text": join(parts)})


def bullets(items: Iterable[str | Markup], style: str = "") -> Text:
    """A ``<ul>`` of the items (``style`` its class; '' none)."""
    return Text("lijst", {"items": [{"text": x, "sub": []} for x in items], "style": style})


def numbered(items: Iterable[str | Markup]) -> Text:
    """An ``<ol>`` of the items."""
    return Text("opsomming", {"items": list(items)})


def definitions(items: Sequence[tuple[str | Markup, str | Markup]], *,
                term_lang: str = "") -> Text:
    """A ``<dl class="definities">``: (term, definition) pairs; ``term_lang`` marks terms
    kept in another language than the report's (the glossary's Dutch terms)."""
    return Text("definities", {"items": [tuple(x) for x in items], "term_lang": term_lang})
