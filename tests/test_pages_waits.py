"""AppTest: the waiting-times page shows all 10 localities per service and the area's headline sentence."""

from __future__ import annotations

import io

import pytest
from pptx import Presentation

from boardpack import model
from boardpack.slides import build_pptx
from ingest.demo_facts import GM_LOCALITIES
from metrics.snapshot import open_snapshot
from tests.pages_helper import app, unescape


def run(service: str, mode: str = "officer"):
    at = app(mode=mode).run()
    at.switch_page("pages/waiting_times.py")
    at.session_state["wt_service"] = service
    return at.run()


@pytest.mark.parametrize(
    ("service", "sentence"),
    [
        (
            "salt",
            # July 2025 against July 2024, the same month a year earlier (both 9% there and in August 2024, the
            # month the board's report compared with, 11 months before)
            "Bury is 9th of 10 for speech and language therapy: 34% waiting under 18 weeks in July 2025, up "
            "from 9% in July 2024.",
        ),
        (
            "camhs",
            "Bury is 8th of 10 for child and adolescent mental health services (CAMHS): 69% waiting under 18 "
            "weeks in June 2025",
        ),
        ("ot", "Bury is 4th of 10 for occupational therapy: 72%"),
        ("physio", "Bury is 7th of 10 for physiotherapy: 71%"),
        ("community_paediatrics", "Bury is 4th of 10 for community paediatrics: 79%"),
    ],
)
def test_league_table_has_ten_localities_and_the_headline(service, sentence):
    at = run(service)
    assert not at.exception
    assert any(sentence in unescape(m.value) for m in at.markdown), [m.value for m in at.markdown][:5]
    table = at.dataframe[0].value
    assert sorted(table["Locality"]) == sorted(GM_LOCALITIES.values())
    ranks = list(table["Rank"])
    assert ranks[0].startswith("1st of 10")
    bury = table[table["Locality"] == "Bury"].iloc[0]
    assert bury["Rank"].split(" of ")[0].lstrip("=") in sentence


def test_all_services_heat_table_and_a_missing_return():
    at = run("all")
    assert not at.exception
    assert sum("Bury is" in unescape(m.value) for m in at.markdown) == 5
    # the heat map is drawn and its table twin is not built until it is chosen
    assert len(at.get("vega_lite_chart")) == 1 and len(at.dataframe) == 0
    at.segmented_control(key="wt_heat_view").set_value("Table").run()
    assert len(at.get("vega_lite_chart")) == 0
    heat = at.dataframe[0].value
    assert heat.shape == (5, 11)  # 5 services × (Service + 10 localities)
    assert set(heat.columns) - {"Service"} == set(GM_LOCALITIES.values())
    at.session_state["wt_month"] = at.session_state["wt_month"].replace(year=2025, month=2, day=28)
    at.session_state["wt_service"] = "ot"
    at.run()
    table = at.dataframe[0].value
    tameside = table[table["Locality"] == "Tameside"].iloc[0]
    assert tameside["Under 18 weeks"] == "x" and tameside["Rank"] == "x"  # no return that month: x, never 0
    assert table["Rank"].iloc[0].endswith("of 9")


def test_board_mode_runs_with_the_charts():
    at = run("salt", mode="board")
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2  # funnel plot and trend


def test_the_page_the_pack_and_the_slides_compare_with_the_same_month_a_year_earlier(demo_root):
    """One rule everywhere, from the same functions: July 2025 against July 2024, in the sentence and the column."""
    sentence = (
        "Bury is 9th of 10 for speech and language therapy: 34% waiting under 18 weeks in July 2025, up from 9% in "
        "July 2024."
    )
    at = run("salt")
    assert [c for c in at.dataframe[0].value.columns if c.startswith("Since")] == ["Since last month", "Since Jul 2024"]
    pack = model.build(open_snapshot(demo_root / "2025-10-31"), None)
    salt = next(w for w in pack.waits if w["service"] == "salt")
    assert salt["headline"] == sentence and "Since Jul 2024" in salt["rows"][0]
    deck = Presentation(io.BytesIO(build_pptx(pack)))
    assert sentence in [
        shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame
    ]


def test_the_league_caption_spells_out_the_systems_short_name_and_reads_as_sentences():
    at = run("salt")
    captions = unescape(" ".join(c.value for c in at.caption))
    # the short name ("GM", from data/reference/systems.toml) is spelt out where it is first used
    assert (
        "Greater Manchester (GM) figure (all returns pooled): 41%. Better or worse than GM means the locality's 95% "
        "confidence interval lies wholly above or below it" in captions
    )
    assert "Each point is a locality. One outside the 95% lines differs from the Greater Manchester figure" in captions


def test_england_at_nought_with_icbs_on_the_list_says_so_on_the_page_and_in_the_pack(tmp_path, monkeypatch):
    """NHS England's workbook with England's line at 0 waiting for speech and language therapy while each ICB and
    provider has children on its list: the national funnel raised a TypeError (no England figure to centre it on).
    The page and the pack say there is no England figure, rank the ICBs among themselves, and draw no funnel."""
    from ingest.__main__ import main as ingest_main
    from tests.test_second_area import LEEDS, SALT, WEST_YORKSHIRE, chs_workbook, with_sign_in

    chs_workbook(tmp_path / "chs.xlsx", salt={**SALT, "ENG": (0,) * 9})
    (tmp_path / "ingest.toml").write_text(
        f'[area]\nla_code = "{LEEDS}"\nla_name = "Leeds"\n[system]\nname = "West Yorkshire"\n'
        f"localities = {WEST_YORKSHIRE!r}\n".replace("'", '"')
        + 'icb = "QWO"\nproviders = ["RY6", "RXF"]\n[sources]\nchs = ["chs.xlsx"]\n'
    )
    out = tmp_path / "snapshots"
    config = str(tmp_path / "ingest.toml")
    assert ingest_main(["build", "--config", config, "--as-at", "2025-11-03", "--out", str(out)]) == 0
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(out))
    at = with_sign_in(app()).run()
    at.switch_page("pages/waiting_times.py").run()
    assert not at.exception, [e.value for e in at.exception]
    said = unescape(" ".join([*(c.value for c in at.caption), *(i.value for i in at.info)]))
    for unit in ("ICB", "provider"):
        assert (
            "There is no England figure for speech and language therapy for July 2025 (England had nobody waiting), "
            f"so no {unit} is compared with it." in said
        )
    assert said.count("There is no funnel plot without it.") == 2  # in place of each funnel plot
    assert len(at.get("vega_lite_chart")) == 2  # the two trends; no funnel
    # West Yorkshire ICB is still ranked among the ICBs: 50%, 3rd of 3
    text = unescape(" ".join(m.value for m in at.markdown))
    assert "West Yorkshire ICB is 3rd of 3 ICBs for speech and language therapy: 50%" in text
    pack = model.build(open_snapshot(out / "2025-11-03"), None)
    assert pack.waits[0]["headline"].endswith(
        "There is no England figure for speech and language therapy for July 2025 (England had nobody waiting), so "
        "no ICB is compared with it."
    )
