"""The abbreviations list: what the papers' words use, and the area's own short name from its manifest."""

from __future__ import annotations

from present.words import ABBREVIATIONS, abbreviations, system_abbreviation
from tests.pages_helper import app


def listed(rows) -> list[str]:
    return [r["Abbreviation"] for r in rows]


def test_only_the_abbreviations_a_text_uses_are_listed_in_alphabetical_order():
    text = "PIP1 and PIP6.1 in the SEND plan; SENCos asked; EHCP figures; Local Offer; SEN-S_L3; SPCX"
    # PIP with its workstream's number, SENCo in the plural; SEN is not in SEND or SEN-S_L3, nor SPC in SPCX
    assert listed(abbreviations(text)) == ["EHCP", "PIP", "SENCo", "SEND"]
    assert abbreviations("No abbreviation here.") == []
    assert len(abbreviations()) == len(ABBREVIATIONS)


def test_the_systems_short_name_comes_from_the_manifest_and_is_listed_where_used():
    own = system_abbreviation({"name": "Greater Manchester", "short_name": "GM"})
    assert own == {"GM": "Greater Manchester"}
    assert system_abbreviation({"name": "West Yorkshire", "short_name": "West Yorkshire"}) == {}
    assert system_abbreviation(None) == {}
    assert abbreviations("Compared with GM", own) == [{"Abbreviation": "GM", "Meaning": "Greater Manchester"}]
    assert "GM" not in ABBREVIATIONS  # an area's word lives in its own configuration


def test_data_and_methods_lists_every_abbreviation_with_the_areas_own():
    at = app()
    at.run()
    at.switch_page("pages/data_methods.py").run()
    assert not at.exception
    table = next(t.value for t in at.table if "Abbreviation" in t.value.columns)
    rows = dict(zip(table["Abbreviation"], table["Meaning"], strict=True))
    assert rows["PIP"] == "Priority Impact Plan" and rows["GM"] == "Greater Manchester"  # the demo's system
    assert len(rows) == len(ABBREVIATIONS) + 1
