"""Chapter prose (pipeline/report/prose.py) through numbering and the layout template:
the message is trusted markup, every value from results.json is escaped, a citation
becomes a link to its block, and a citation of nothing fails instead of printing a wrong
number."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from pipeline.report import i18n, numbering
from pipeline.report.model import Chapter, Section, Table, Text
from pipeline.report.prose import definitions, link, markup, numbered, paragraph, ref
from pipeline.report.render import environment


def _number(*blocks):
    table = Table(key="norm", title="Norm", columns=("a",), cells=(), numeric=(False,))
    chapter = Chapter("regio", "Regio", (Section("s", "S", (table, *blocks)),))
    chapters, _, refs, anchors = numbering.number([chapter], Chapter("bijlagen", "B", ()), str)
    return chapters[0].sections[0].blocks[1:], refs


def _html(block) -> str:
    env = environment()
    i18n.install(env, "nl")
    return str(env.get_template("_blokken.j2").module.blok(block)).strip()


def test_values_are_escaped_and_the_message_is_markup() -> None:
    text = markup("Regio %(name)s &lt;5 %(t)s (%(table)s), hoofdstuk %(ch)s; 95%%-BI.",
                  name="<b>Gent & co</b>", t=5, table=link("norm"), ch=ref("hoofdstuk:regio"))
    (block,), _ = _number(paragraph(text, "en <i>dit</i>", None, False))
    assert _html(block) == (
        '<p>Regio &lt;b&gt;Gent &amp; co&lt;/b&gt; &lt;5 5 '
        '(<a href="#tabel-1-1">Tabel 1.1</a>), hoofdstuk 1; 95%-BI.\n'
        'en &lt;i&gt;dit&lt;/i&gt;</p>')


def test_lists_and_definitions_render_with_their_layout() -> None:
    blocks, _ = _number(numbered([markup("Zie %(t)s.", t=link("norm")), "a < b"]),
                        definitions([("Term", markup("<cite>X</cite>"))], term_lang="nl"))
    assert _html(blocks[0]) == ('<ol>\n<li>Zie <a href="#tabel-1-1">Tabel 1.1</a>.</li>\n'
                                '<li>a &lt; b</li>\n</ol>')
    assert _html(blocks[1]) == ('<dl class="definities">\n<dt lang="nl">Term</dt>'
                                '<dd><cite>X</cite></dd>\n</dl>')


def test_a_citation_of_nothing_fails_unless_optional() -> None:
    with pytest.raises(numbering.UnknownReference):
        _number(paragraph(markup("Zie %(t)s.", t=link("bestaat-niet"))))
    (block,), _ = _number(paragraph(markup("Zie %(t)s.", t=link("bestaat-niet",
                                                                 optional=True))))
    assert block.data["text"] == Markup("Zie –.")
    # in plain text (not markup) a link is its label alone, and stays escaped text
    (block,), _ = _number(Text("alinea", {"text": "<Zie> {link:norm}"}))
    assert _html(block) == "<p>&lt;Zie&gt; Tabel 1.1</p>"


def test_a_text_block_without_a_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="geen opmaak"):
        Text("inleiding_omzendbrief")
