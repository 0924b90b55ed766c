"""Numbers, anchors and cross-references of the report, resolved once.

Why one pass: chapters are built without knowing their number or the numbers of the
tables they cite. They write ``{ref:key}`` where a table, figure, section or chapter is
cited (``{ref:vermeden}`` -> "Tabel 5.2", ``{ref:hoofdstuk:resultaten}`` -> "5"); this
module numbers everything in reading order (chapters 1..n, appendices A, B, ...; tables
and figures per chapter or appendix) and replaces every placeholder in the notes, footers
and prose data. A placeholder whose key does not exist fails here, not as a wrong number
in print.

Prose (``Markup`` built by ``prose.markup``) may also write ``{link:key}``: the label as a
link to the block's anchor; in plain text it is the label alone. ``{link?:key}`` cites a
block of another chapter that a year may lack: it reads '–' then, instead of failing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from pipeline.report.formatting import MISSING
from pipeline.report.model import Block, Chapter, Figure, Section, Table, Text


def N_(text: str) -> str:
    """Mark a Dutch message for the catalogue; it is translated where it is shown."""
    return text


REF = re.compile(r"\{ref:([\w:.-]+)\}")
LINK = re.compile(r"\{(ref|link)(\??):([\w:.-]+)\}")
TABLE = N_("Tabel %(n)s")
FIGURE = N_("Figuur %(n)s")


class UnknownReference(KeyError):
    """A ``{ref:key}`` that names nothing in the report."""


def _blocks(prefix: str, blocks: Sequence[Block], refs: dict[str, str],
            anchors: dict[str, str], translate: Callable[[str], str],
            counts: dict[str, int]) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Text):
            out.append(block)
            continue
        counts[block.kind] += 1
        number = f"{prefix}.{counts[block.kind]}"
        label = translate(TABLE if block.kind == "table" else FIGURE) % {"n": number}
        anchor = ("tabel-" if block.kind == "table" else "figuur-") + \
            number.lower().replace(".", "-")
        if block.key in refs:
            raise ValueError(f"dubbele sleutel in het rapport: {block.key}")
        refs[block.key], anchors[block.key] = label, anchor
        out.append(dataclasses.replace(block, number=number, label=label, anchor=anchor))
    return out


def number(chapters: Sequence[Chapter], appendices: Chapter, translate: Callable[[str], str]
           ) -> tuple[list[Chapter], Chapter, dict[str, str], dict[str, str]]:
    """Numbered chapters and appendices, {key: label} and {key: anchor}, placeholders
    resolved."""
    refs: dict[str, str] = {}
    anchors: dict[str, str] = {}
    numbered: list[Chapter] = []
    for k, chapter in enumerate(chapters, start=1):
        counts = {"table": 0, "figure": 0}
        intro = _blocks(str(k), chapter.intro, refs, anchors, translate, counts)
        sections = []
        for s, section in enumerate(chapter.sections, start=1):
            blocks = _blocks(str(k), section.blocks, refs, anchors, translate, counts)
            sections.append(dataclasses.replace(section, blocks=tuple(blocks),
                                                number=f"{k}.{s}", anchor=f"sectie-{k}-{s}"))
            refs[f"sectie:{section.key}"] = f"{k}.{s}"
            anchors[f"sectie:{section.key}"] = f"sectie-{k}-{s}"
        refs[f"hoofdstuk:{chapter.key}"], anchors[f"hoofdstuk:{chapter.key}"] = \
            str(k), f"hoofdstuk-{k}"
        numbered.append(dataclasses.replace(chapter, intro=tuple(intro),
                                            sections=tuple(sections), number=str(k),
                                            anchor=f"hoofdstuk-{k}"))
    sections = []
    for s, section in enumerate(appendices.sections):
        letter = chr(ord("A") + s)
        blocks = _blocks(letter, section.blocks, refs, anchors, translate,
                         {"table": 0, "figure": 0})
        sections.append(dataclasses.replace(section, blocks=tuple(blocks), number=letter,
                                            anchor=f"bijlage-{letter.lower()}"))
        refs[f"bijlage:{section.key}"] = letter
        anchors[f"bijlage:{section.key}"] = f"bijlage-{letter.lower()}"
    appendix = dataclasses.replace(appendices, sections=tuple(sections), number="",
                                   anchor="bijlagen")
    resolved = [_resolve_chapter(c, refs, anchors) for c in numbered]
    return resolved, _resolve_chapter(appendix, refs, anchors), refs, anchors


def resolve(text: str, refs: Mapping[str, str]) -> str:
    """Replace every ``{ref:key}`` by its label; an unknown key is an error."""
    def label(match: re.Match[str]) -> str:
        if match[1] not in refs:
            raise UnknownReference(f"verwijzing naar iets dat niet in het rapport staat: "
                                  f"{match[1]}")
        return refs[match[1]]
    return REF.sub(label, text)


def _known(key: str, refs: Mapping[str, str], optional: bool = False) -> str:
    if optional and key not in refs:
        return MISSING
    if key not in refs:
        raise UnknownReference(f"verwijzing naar iets dat niet in het rapport staat: {key}")
    return refs[key]


def resolve_markup(text: Markup, refs: Mapping[str, str], anchors: Mapping[str, str]
                   ) -> Markup:
    """Prose with ``{ref:key}`` (the label) and ``{link:key}`` (the label linked to its
    anchor) resolved; the label is escaped, the result stays trusted markup."""
    def label(match: re.Match[str]) -> str:
        text = escape(_known(match[3], refs, bool(match[2])))
        if match[1] == "ref" or match[3] not in anchors:
            return text
        return Markup('<a href="#%s">%s</a>') % (anchors[match[3]], text)
    return Markup(LINK.sub(label, text))


def _resolve_any(value: Any, refs: Mapping[str, str], anchors: Mapping[str, str]) -> Any:
    if isinstance(value, Markup):
        return resolve_markup(value, refs, anchors) if "{" in value else value
    if isinstance(value, str):  # plain text: a link is its label alone
        return LINK.sub(lambda m: _known(m[3], refs, bool(m[2])), value) \
            if "{" in value else value
    if isinstance(value, list):
        return [_resolve_any(v, refs, anchors) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve_any(v, refs, anchors) for v in value)
    if isinstance(value, dict):
        return {k: _resolve_any(v, refs, anchors) for k, v in value.items()}
    return value


def _resolve_block(block: Block, refs: Mapping[str, str], anchors: Mapping[str, str]
                   ) -> Block:
    if isinstance(block, Text):
        return dataclasses.replace(block, data=_resolve_any(block.data, refs, anchors))
    assert isinstance(block, Table | Figure)
    return dataclasses.replace(block, notes=tuple(resolve(n, refs) for n in block.notes),
                               n=resolve(block.n, refs), title=resolve(block.title, refs))


def _resolve_chapter(chapter: Chapter, refs: Mapping[str, str],
                     anchors: Mapping[str, str]) -> Chapter:
    return dataclasses.replace(
        chapter, intro=tuple(_resolve_block(b, refs, anchors) for b in chapter.intro),
        sections=tuple(dataclasses.replace(
            s, blocks=tuple(_resolve_block(b, refs, anchors) for b in s.blocks))
            for s in chapter.sections))


def placeholder(key: str) -> str:
    """The placeholder a chapter writes to cite ``key``."""
    return "{ref:" + key + "}"


__all__ = ["Section", "number", "placeholder", "resolve"]
