"""The English catalogue holds exactly the messages the report uses: none missing (the
English report would show Dutch), none stale (an entry no code uses any more hides that a
text changed). The messages are found in the whole pipeline/report package and its
templates (i18n.package_messages), statically: no report is rendered, so this runs in a
second. To drop stale entries after a text change (others may be adding entries at the
same time, so load, modify and dump at once)::

    .venv/bin/python -c "import json; from pipeline.report import i18n; \\
    p = i18n.CATALOGUES / 'en.json'; c = json.loads(p.read_text()); \\
    [c.pop(k) for k in i18n.stale_messages()]; \\
    p.write_text(json.dumps(c, ensure_ascii=False, indent=2, sort_keys=True) + '\\n')"
"""

from __future__ import annotations

import json

from pipeline import years
from pipeline.report import i18n


def test_the_scanner_finds_marked_messages_in_code_and_templates() -> None:
    source = '''
ctx.t("Een zin")
label = N_("Een label")
text = ctx.t("Twee "
             "delen")
translate(variable)
other("Geen bericht")
ngettext("%(n)s dag", "%(n)s dagen", 3)
'''
    assert i18n.python_messages(source) == ["Een zin", "Een label", "Twee delen",
                                            "%(n)s dag"]
    assert i18n.template_messages('{% trans k=n %}Er zijn {{ k }}\n regio\'s.{% endtrans %}'
                                  '{{ _("Titel") }}') == ["Er zijn %(k)s regio's.", "Titel"]


def test_the_whole_package_is_scanned() -> None:
    found = i18n.package_messages()
    # chapter text (a chapter module), a block helper, a label, a chart, the template
    # frame, a cut-off rule of results.json: each from another place of the package
    for message in ("Het rapport beantwoordt de vragen die uit de omzendbrief volgen:",
                    "Constante", "Type verhuurder", "Aandeel nog in begeleiding",
                    "Lijst van tabellen", "Gegevens bij de figuur",
                    "telt als open (gecensureerd op de peildatum)"):
        assert message in found, message
    assert set(years.CUTOFF_RULES.values()) <= found
    assert len(found) > 700


def test_every_message_has_an_english_entry() -> None:
    assert i18n.missing_messages(i18n.package_messages()) == []


def test_no_stale_entry_in_the_english_catalogue() -> None:
    assert i18n.stale_messages("en") == []


def test_a_stale_or_missing_entry_is_detected(monkeypatch) -> None:
    catalogue = json.loads((i18n.CATALOGUES / "en.json").read_text(encoding="utf-8"))
    used = sorted(i18n.package_messages())
    changed = {k: v for k, v in catalogue.items() if k in used and k != used[0]}
    changed["Een zin die niemand meer gebruikt"] = "A sentence nobody uses"
    i18n.load_catalogue.cache_clear()
    monkeypatch.setattr(i18n, "load_catalogue", lambda lang: changed)
    assert i18n.stale_messages("en") == ["Een zin die niemand meer gebruikt"]
    assert i18n.missing_messages(used) == [used[0]]
