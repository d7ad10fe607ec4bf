"""Hardening: what the app and the pack put out can never be turned against their readers (rows 8–12 of the
hardening issue): formulas in CSV downloads, data inside the pack's CSS, area names inside Vega expressions,
markdown in names and commentary, and a provider with nobody waiting."""

from __future__ import annotations

import json
import re
from datetime import date

import polars as pl
import pytest

from tests.pages_helper import app, unescape

# --- row 8: CSV formula injection ---------------------------------------------------------------------------------


def test_text_cells_that_a_spreadsheet_would_run_are_prefixed_in_every_download():
    from present.csv import stamped_csv

    frame = pl.DataFrame(
        {
            "Note": ['=HYPERLINK("https://x","Click")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Plan agreed", "a=b"],
            "Count": [1, -5, 3, 4, 5, 6, 7, 8],
        }
    )
    csv = stamped_csv(frame, as_at=date(2025, 10, 31), demo=True, source="=cmd|' /C calc'!A0").decode()
    back = pl.read_csv(csv.encode(), infer_schema=False)
    assert back["Note"].to_list() == [
        '\'=HYPERLINK("https://x","Click")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Plan agreed",
        "a=b",
    ]
    assert back["Count"].to_list() == ["1", "-5", "3", "4", "5", "6", "7", "8"]  # numbers stay numbers
    assert set(back["source"]) == {"'=cmd|' /C calc'!A0"}


# --- row 9: nothing from the data inside the pack's CSS ---------------------------------------------------------------

HOSTILE = "Bury</style><style>td{background:red}@page{@bottom-left{content:none}}</style><a href='x'>"


def test_an_area_name_cannot_break_out_of_the_packs_css(demo_root, tmp_path, demo_tables):
    from boardpack import build_html
    from ingest.writer import write_snapshot
    from metrics.snapshot import open_snapshot

    path = write_snapshot(
        demo_tables, out_root=tmp_path, as_at="2025-10-31", area={"la_code": "E08000002", "la_name": HOSTILE}, demo=True
    )
    document = build_html(open_snapshot(path), None)
    head, body = document.split("</head>", 1)
    assert head.count("<style>") == 1 and head.count("</style>") == 1  # only the project's own stylesheet
    css = head.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "Bury" not in css and "element(footer)" in css
    assert "<style>" not in body and "<a href='x'>" not in body
    footer = re.split(r"<div class=['\"]running-footer['\"]>", body, maxsplit=1)[1].split("</div>", 1)[0]
    assert footer.startswith("Data as at 31 October 2025 · Bury&lt;/style&gt;&lt;style&gt;")
    assert footer.endswith("DEMONSTRATION DATA")


# --- row 10: area names are data in Vega, never expressions --------------------------------------------------------

NAMES = ["King's Lynn and West Norfolk", "x' || alert(1) || '", 'Say "hello"', "back\\slash"]


@pytest.mark.parametrize("area", NAMES)
def test_a_quote_or_a_crafted_name_in_a_benchmark_chart_is_only_data(area):
    import vl_convert as vlc

    from charts.benchmarks import comparator_trend_chart

    trend = pl.DataFrame(
        {
            "series": ["area", "England", "area", "England"],
            "period_label": ["2023", "2023", "2024", "2024"],
            "period_end": [date(2023, 12, 31)] * 2 + [date(2024, 12, 31)] * 2,
            "value": [50.0, 49.0, 60.0, 50.0],
        }
    )
    chart = comparator_trend_chart(trend, area=area, unit_title="%", decimals=0)
    spec = chart.to_dict()
    condition = spec["encoding"]["strokeWidth"]["condition"]
    assert condition["test"] == {"field": "series", "equal": area}  # a predicate, not an expression string
    assert area not in json.dumps([v for k, v in spec.items() if k not in ("datasets", "data", "encoding", "config")])
    svg = vlc.vegalite_to_svg(spec)  # renders: the name neither breaks the spec nor runs
    assert "<svg" in svg


@pytest.mark.parametrize("area", NAMES)
def test_a_quote_in_the_waiting_times_heat_table_is_only_data(area):
    import vl_convert as vlc

    from charts.waits import heat

    cells = pl.DataFrame(
        {
            "area_name": [area, "Bolton"],
            "service_name": ["speech and language therapy"] * 2,
            "pct": [40.0, 60.0],
            "label": ["40%", "60%"],
            "tooltip": ["40%", "60%"],
            "quarter": [4, 1],
            "quarter_word": ["2nd of 2", "1st of 2"],
            "is_area": [True, False],
        }
    )
    spec = heat(cells, area=area).to_dict()
    text = json.dumps(spec)
    assert "datum.value ==" not in text
    assert "<svg" in vlc.vegalite_to_svg(spec)


# --- row 11: markdown in names, titles, roles and commentary -------------------------------------------------------

FORGED = "![](https://attacker.example/pixel.png) [Verified by DfE](https://attacker.example) :green-badge[RAG: Green]"


@pytest.fixture
def forged_root(snapshot_factory, demo_tables):
    wards = demo_tables["wards"].with_columns(
        ward_name=pl.when(pl.col("ward_name") == "Bury East").then(pl.lit(FORGED)).otherwise(pl.col("ward_name"))
    )
    commentary = demo_tables["commentary"].with_columns(
        text=pl.lit(FORGED + "\n\n**Bold** stays bold\n\n- and lists stay lists"),
        author_role=pl.lit("[Chief Executive](https://attacker.example)"),
    )
    catalogue = demo_tables["kpi_catalogue"].with_columns(title=pl.col("title") + pl.lit(" :red[forged]"))
    return snapshot_factory(wards=wards, commentary=commentary, kpi_catalogue=catalogue).parent


def _all_markdown(at) -> list[str]:
    from tests.leaks import walk

    out = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        body = getattr(proto, "body", None) if proto is not None else None
        if isinstance(body, str) and body:
            out.append(body)
        label = getattr(proto, "label", None) if proto is not None else None
        if isinstance(label, str) and label:
            out.append(label)
    return out


@pytest.mark.parametrize("page_file", ["pages/ward_demand.py", "pages/theme_1.py", "pages/summary.py"])
def test_markdown_in_data_shows_as_text_never_as_images_links_or_badges(forged_root, monkeypatch, page_file):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(forged_root))
    at = app().run()
    at.switch_page(page_file).run()
    assert not at.exception
    for md in _all_markdown(at):
        for dangerous in ("![](", "](https://attacker", ":green-badge[RAG", ":red[forged]"):
            assert dangerous not in md, (page_file, md[:200])
    if page_file == "pages/ward_demand.py":
        sentence = next(m.value for m in at.markdown if "significantly above the borough rate" in m.value)
        assert FORGED in unescape(sentence)  # shown as the characters typed
    if page_file == "pages/theme_1.py":
        shown = [m.value for m in at.markdown]
        assert any("[image]" in unescape(m) and "Verified by DfE (https" in unescape(m) for m in shown)
        assert any("**Bold** stays bold" in m for m in shown) and any("\n- and lists stay lists" in m for m in shown)


# --- row 12: a provider with nobody waiting ------------------------------------------------------------------------


def test_a_provider_with_nobody_waiting_shows_z_not_an_error():
    from present.waits import provider_display

    rows = pl.DataFrame(
        {
            "area_code": ["RM3", "RM3"],
            "service": ["salt", "ot"],
            "waiting_total": [0, 200],
            "waiting_under_18_weeks": [0, 150],
            "waiting_over_52_weeks": [0, 3],
        }
    )
    shown = provider_display(rows, {})
    assert shown["Under 18 weeks"].to_list() == ["z", "75%"]


def test_the_waiting_times_page_runs_with_a_provider_with_nobody_waiting(snapshot_factory, demo_tables, monkeypatch):
    waits = demo_tables["waiting_times"]
    latest = waits["period_end"].max()
    provider = pl.DataFrame(
        {
            "period_end": [latest, latest],
            "area_code": ["QOP", "RM3"],
            "service": ["salt", "salt"],
            "waiting_total": [0, 400],
            "waiting_under_18_weeks": [0, 100],
            "waiting_over_52_weeks": [0, 2],
            "median_wait_weeks": [None, None],
            "source": ["chs_sitrep_provider"] * 2,
        },
        schema=waits.schema,
    )
    root = snapshot_factory(waiting_times=pl.concat([waits, provider])).parent
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    at = app().run()
    at.switch_page("pages/waiting_times.py").run()
    assert not at.exception, [e.value for e in at.exception]
    tables = [df.value for df in at.dataframe if "Organisation" in df.value.columns]
    assert tables and "z" in set(tables[0]["Under 18 weeks"])


# --- row 23: board papers are built once per pair per server, outside any page run (tests/test_pages_papers.py) ---
