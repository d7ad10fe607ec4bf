"""AppTest: theme pages show exactly their workstreams and one block per catalogue indicator with the icons that
metrics.spc.icons gives; Since last board lists what an independent comparison of two snapshots finds."""

from __future__ import annotations

import json

import polars as pl
import pytest

from metrics.formatting import VARIATION_LABELS, WORKSTREAM_TITLES
from metrics.schema import WORKSTREAMS
from metrics.snapshot import open_snapshot, scan_table
from metrics.spc import icons, spc
from tests.pages_helper import app

BURY = "E08000002"


@pytest.fixture(scope="module")
def newest(demo_root):
    return open_snapshot(demo_root / "2025-10-31")


def _texts(node) -> list[str]:
    return [str(m.value) for m in node.markdown]


def _workstream_run(theme: int, ws: str | None = None, **query):
    at = app(**query).run()
    at.switch_page(f"pages/theme_{theme}.py").run()
    if ws is not None:
        at.radio(key="theme_ws").set_value(ws).run()
    return at


@pytest.mark.parametrize("theme", [1, 2, 3])
def test_theme_page_shows_one_workstream_at_a_time_with_one_block_per_indicator(theme, newest):
    cat = (  # the measures shown on Benchmarks only have no theme page
        scan_table(newest, "kpi_catalogue")
        .filter((pl.col("theme") == theme) & (pl.col("workstream") != "BENCHMARKS"))
        .collect()
    )
    order = [w for w in WORKSTREAMS if w in set(cat["workstream"])]  # the board's order
    first = _workstream_run(theme)
    assert not first.exception
    control = first.radio(key="theme_ws")
    assert list(control.options) == [WORKSTREAM_TITLES[w] for w in order] and control.value == order[0]
    values = scan_table(newest, "kpi_values").filter((pl.col("area_code") == BURY) & (pl.col("phase") == "all"))
    shown_blocks = 0
    for ws in order:
        at = _workstream_run(theme, ws)
        assert not at.exception
        assert [h.value for h in at.header] == [WORKSTREAM_TITLES[ws]]  # only the chosen workstream is built
        assert at.query_params["ws"] == ws  # kept in the address
        mine = cat.filter(pl.col("workstream") == ws)
        needs = mine.filter(pl.col("kpi_id").str.starts_with("ehcp_need_"))
        if needs.height:  # the primary-need shares: one table, Bury's share beside England's and the region's
            table = at.get_by_key("kpi-primary-need").table[0].value
            for kpi in needs.iter_rows(named=True):
                v = values.filter(pl.col("kpi_id") == kpi["kpi_id"]).collect().sort("period_end")["value"][-1]
                need = kpi["title"].removeprefix("Primary need: ").removesuffix(" (DfE)").capitalize()
                assert table.loc[table["Primary need"] == need, "Bury"].item() == f"{v:.1f}%"
                shown_blocks += 1
            assert list(table.columns) == ["Primary need", "Bury", "England", "North West"]
        for kpi in mine.filter(~pl.col("kpi_id").str.starts_with("ehcp_need_")).iter_rows(named=True):
            block = at.get_by_key(f"kpi-{kpi['kpi_id']}")
            shown_blocks += 1
            result = spc(
                values.filter(pl.col("kpi_id") == kpi["kpi_id"]),
                polarity=kpi["polarity"],
                rebase=list(kpi["spc_rebase"]),
                breaks=list(kpi["series_breaks"] or []),
                denominator="denominator",
                start="period_start",
            ).collect()
            expected = icons(result, polarity=kpi["polarity"], target=kpi["target"])
            icon_line = next(t for t in _texts(block) if t.startswith("**Icons:**"))
            if result["overlapping"].any():  # rolling 12-month figures: never SPC
                assert "No SPC: rolling 12-month figures overlap: a run chart" in icon_line
            elif expected["variation"] == "none":
                n = result["value"].is_not_null().sum()
                drawn = "its values are shown as a table" if n < 6 else "a run chart"
                assert (
                    f"{n} period{'' if n == 1 else 's'}, too few for SPC control limits (they need 13): {drawn}"
                    in icon_line
                )
            else:
                assert VARIATION_LABELS[expected["variation"]] in icon_line, (kpi["kpi_id"], icon_line)
            points = result["value"].is_not_null().sum()
            charts = block.get("vega_lite_chart")
            if points < 6:  # a short series: its few values as a compact table, no chart
                assert not charts and len(block.table) == 1 and not block.dataframe
                assert (
                    block.table[0].value["Period"].tolist()[-points:]
                    == result.drop_nulls("value")["period_label"].to_list()[-points:]
                )
            else:
                assert len(charts) == 1
        for kpi_id in cat.filter(pl.col("workstream") != ws)["kpi_id"]:  # no block from another workstream
            with pytest.raises(KeyError):
                at.get_by_key(f"kpi-{kpi_id}")
    assert shown_blocks == cat.height


def test_a_link_to_a_workstream_opens_it():
    at = app(ws="PIP6.1").run()
    at.switch_page("pages/theme_2.py").run()
    assert at.radio(key="theme_ws").value == "PIP6.1"
    assert [h.value for h in at.header] == [WORKSTREAM_TITLES["PIP6.1"]]


def test_salt_block_shows_special_cause_improvement_and_20_week_consistent_pass():
    salt = next(t for t in _texts(_workstream_run(2, "PIP3").get_by_key("kpi-wait_u18_salt_pct")) if "Icons" in t)
    assert "Special cause: improving (higher)" in salt
    at = _workstream_run(2, "PIP6.1")
    month = next(t for t in _texts(at.get_by_key("kpi-ehcp_20wk_month_pct")) if t.startswith("**Icons:**"))
    assert "Consistently passes the target" in month


def test_theme_charts_carry_the_series_values_and_a_table_is_built_only_when_chosen():
    at = _workstream_run(2, "PIP3")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    salt = next(s for s in specs if s.get("description", "").startswith("Speech and language therapy"))
    assert "34% in Jul 2025" in salt["description"]
    assert '"field": "upl"' in json.dumps(salt)  # drawn as an SPC chart, with process limits
    block = at.get_by_key("kpi-wait_u18_salt_pct")
    assert len(block.dataframe) == 0  # the table twin is not built while the chart is shown
    at.segmented_control(key="view-wait_u18_salt_pct").set_value("Table").run()
    block = at.get_by_key("kpi-wait_u18_salt_pct")
    assert not block.get("vega_lite_chart") and "Upper process limit" in block.dataframe[0].value.columns


def test_since_last_board_matches_an_independent_comparison(demo_root):
    a, b = (open_snapshot(demo_root / d) for d in ("2025-10-31", "2025-09-30"))

    def rows(snap):
        v = scan_table(snap, "kpi_values").filter((pl.col("area_code") == BURY) & (pl.col("phase") == "all"))
        return {
            (r["kpi_id"], r["period_end"]): (r["value"], r["period_label"]) for r in v.collect().iter_rows(named=True)
        }

    ra, rb = rows(a), rows(b)
    new = sorted((k[0], lab) for k, (_, lab) in ra.items() if k not in rb)
    dec = dict(scan_table(a, "kpi_catalogue").select("kpi_id", "decimals").collect().iter_rows())
    revised = sorted(
        (k[0], ra[k][1])
        for k in ra
        if k in rb
        and ra[k][0] is not None
        and rb[k][0] is not None
        and abs(ra[k][0] - rb[k][0]) >= 0.5 * 10 ** -dec[k[0]] - 1e-9
    )
    acts_a = dict(scan_table(a, "actions").select("action_id", "status").collect().iter_rows())
    acts_b = dict(scan_table(b, "actions").select("action_id", "status").collect().iter_rows())
    changed_actions = sorted(k for k in acts_a if acts_b.get(k) != acts_a[k])

    at = app(as_at="2025-10-31", compare="2025-09-30").run()
    at.switch_page("pages/since_last_board.py").run()
    assert not at.exception
    titles = dict(scan_table(a, "kpi_catalogue").select("title", "kpi_id").collect().iter_rows())
    frames = [d.value for d in at.dataframe]
    new_table, revised_table = frames[0], frames[1]
    assert sorted(zip([titles[t] for t in new_table["Indicator"]], new_table["Period"], strict=True)) == new
    assert sorted(zip([titles[t] for t in revised_table["Indicator"]], revised_table["Period"], strict=True)) == revised
    assert revised == [("ehcp_20wk_month_pct", "Aug 2025")]  # the provisional month, confirmed
    action_table = next(f for f in frames if "Ref" in f.columns and "Owner (role)" in f.columns)
    assert sorted(action_table["Ref"]) == changed_actions
    assert f"{len({k for k, _ in new})} indicators have new data ({len(new)} new periods)" in "\n".join(
        m.value for m in at.markdown
    )


def test_since_last_board_empty_states_are_worded_for_people(demo_root):
    at = app(as_at="2025-06-30").run()  # the oldest snapshot has nothing before it
    at.switch_page("pages/since_last_board.py").run()
    assert not at.exception
    assert any("no earlier snapshot to compare with" in i.value.lower() for i in at.info)


def test_an_indicators_download_is_its_table_twin_stamped_with_date_source_and_status(demo_root):
    import io

    from ui import data, snapshots

    snap = snapshots.snapshot(demo_root / "2025-10-31")
    table = data.indicator_table(snap, "wait_u18_salt_pct", "all")
    csv = pl.read_csv(io.BytesIO(data.indicator_csv(snap, "wait_u18_salt_pct", "all")), infer_schema=False)
    assert csv.columns == [*table.columns, "data_as_at", "source", "data_status"]
    assert csv["Period"].to_list() == table["Period"].to_list() and csv.height == table.height > 12
    assert csv["Value"].to_list() == table["Value"].cast(pl.String).to_list()
    assert set(csv["data_as_at"]) == {"2025-10-31"} and set(csv["data_status"]) == {"Demonstration data"}
    source = scan_table(open_snapshot(demo_root / "2025-10-31"), "kpi_catalogue").filter(
        pl.col("kpi_id") == "wait_u18_salt_pct"
    )
    assert set(csv["source"]) == set(source.collect()["source"])


def test_headline_cards_say_no_target_plainly():
    from tests.pages_helper import page_text

    at = app().run()
    at.switch_page("pages/theme_3.py").run()
    text = page_text(at)
    assert "2023/24 · no target" in text and "target No target" not in text
    assert "· target 80% by Mar 2026" in page_text(_workstream_run(2, "PIP3"))


@pytest.mark.parametrize("board", [False, True])
def test_tile_change_arrows_follow_the_sign_and_colours_the_polarity(demo_root, board):
    """Every tile with a change since the compare snapshot: the arrow points the way the number moved and the colour
    says what that means for the indicator (a fall in plans audited inadequate is good; a fall in plans within 20
    weeks is bad; requests are neutral and grey), in officer and board mode."""
    from streamlit.proto.Metric_pb2 import Metric

    from tests.pages_helper import unescape

    cat = scan_table(open_snapshot(demo_root / "2025-08-31"), "kpi_catalogue").collect()
    polarity = dict(zip(cat["title"], cat["polarity"], strict=True))
    seen = set()
    query = {"as_at": "2025-08-31", "compare": "2025-07-31", **({"mode": "board"} if board else {})}
    for theme, ws in [(1, "PIP1"), (2, "PIP3"), (2, "PIP6.1"), (3, "AFI2")]:
        at = _workstream_run(theme, ws, **query)
        assert not at.exception
        for m in at.metric:
            if not m.proto.delta:
                continue
            text, title = unescape(m.proto.delta), unescape(m.proto.label)
            direction = Metric.MetricDirection.Name(m.proto.direction)
            colour = Metric.MetricColor.Name(m.proto.color)
            sign = "none" if text.startswith("No change") else "down" if text.startswith("−") else "up"
            assert direction == {"up": "UP", "down": "DOWN", "none": "NONE"}[sign], (title, text, direction)
            good = {"higher_is_better": "up", "lower_is_better": "down"}.get(polarity[title])
            expected = "GRAY" if good is None or sign == "none" else "GREEN" if sign == good else "RED"
            assert colour == expected, (title, text, colour)
            seen.add((sign, expected))
    # the demo's August board has falls that are bad (physiotherapy −5 points) and a neutral change (requests)
    assert ("down", "RED") in seen and ("up", "GRAY") in seen


def test_short_series_words_match_what_is_drawn():
    """A series of under 6 points is a table, so its block never says "run chart"; from 6 to 12 it is a run chart;
    the count of periods is a number of periods, in words."""
    from tests.pages_helper import page_text

    text = page_text(_workstream_run(2, "PIP2"))
    assert "too few for SPC control limits (they need 13): its values are shown as a table" in text
    assert "(n = " not in text and ": run chart" not in text
    assert "1 periods" not in text


def test_summary_with_nothing_to_compare_says_so_plainly(snapshot_factory, monkeypatch):
    from tests.pages_helper import page_text

    path = snapshot_factory()
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(path.parent))
    at = app().run()
    assert not at.exception
    text = page_text(at)
    assert "there is no earlier snapshot to compare with" in text
    assert "since no earlier snapshot" not in text


def test_a_figure_on_fewer_than_10_cases_carries_a_caution_and_no_rating(snapshot_factory, monkeypatch):
    """METHODS §8: Bury's latest month of plans within 20 weeks made 4 of 5 (80%): against the 90% target that would
    read Red, but five plans say too little. The Summary, the tile and the pack show the figure with a caution and
    rate it "Too few cases", never Red and never "No target" (it has one)."""
    from datetime import date

    from boardpack import model
    from ingest.demo import build_tables
    from tests.pages_helper import page_text

    values = build_tables(date(2025, 10, 31))["kpi_values"]
    mine = (pl.col("kpi_id") == "ehcp_20wk_month_pct") & (pl.col("area_code") == BURY) & (pl.col("phase") == "all")
    last = values.filter(mine)["period_end"].max()
    values = values.with_columns(
        **{
            c: pl.when(mine & (pl.col("period_end") == last)).then(pl.lit(v)).otherwise(pl.col(c))
            for c, v in (("value", 80.0), ("numerator", 4.0), ("denominator", 5.0))
        }
    )
    path = snapshot_factory(kpi_values=values)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(path.parent))
    at = app().run()
    table = at.dataframe[0].value
    row = table[table["kpi_id"] == "ehcp_20wk_month_pct"].iloc[0]
    assert row["Latest"] == "80% (caution: fewer than 10 cases)"
    assert list(row["RAG"]) == ["Too few cases"]
    text = page_text(_workstream_run(2, "PIP6.1"))
    assert "caution: fewer than 10 cases" in text and "RAG: Too few cases" in text
    pack = model.build(open_snapshot(path), None)
    summary_row = next(r for r in pack.summary if r["Indicator"] == row["Indicator"])
    assert (summary_row["RAG"], summary_row["Latest"]) == ("Too few cases", "80% (caution: fewer than 10 cases)")


def test_a_charts_key_names_a_target_only_when_the_chart_draws_one(demo_root):
    from boardpack import model
    from tests.pages_helper import page_text

    no_target = page_text(_workstream_run(3, "AFI2"))  # children in alternative provision: no target
    assert "Solid grey line: mean." in no_target and "target." not in no_target.split("Solid grey line")[1][:200]
    with_target = page_text(_workstream_run(2, "PIP6.1"))  # plans within 20 weeks (monthly): 90%
    assert "Dotted turquoise line: target." in with_target
    pack = model.build(open_snapshot(demo_root / "2025-10-31"), None)
    keys = {i.kpi_id: i.line_key for ws in pack.workstreams for i in ws.indicators}
    assert "target" not in keys["ap_children"] and "Dotted turquoise line: target." in keys["ehcp_20wk_month_pct"]


def test_board_mode_charts_read_from_the_back_of_the_room():
    """In board mode every axis and legend of a theme page's chart is at least 16 px in dark ink, and the period
    axis uses short, level labels ("Sep 25"), the rolling series saying so in its axis title."""
    at = _workstream_run(1, "PIP1", mode="board")
    chart = at.get_by_key("kpi-requests_per_1000_4_19").get("vega_lite_chart")[0]  # rolling figures, 19 months
    spec = json.loads(chart.proto.spec)
    for part in ("axis", "legend"):
        assert spec["config"][part]["labelFontSize"] >= 16 and spec["config"][part]["titleFontSize"] >= 16
        assert spec["config"][part]["labelColor"] == "#0B0C0C"

    def sizes(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("axis", "legend") and isinstance(value, dict):
                    yield from (v for k, v in value.items() if k in ("labelFontSize", "titleFontSize"))
                yield from sizes(value)
        elif isinstance(node, list):
            for item in node:
                yield from sizes(item)

    assert min(sizes(spec)) >= 16
    x = next(layer["encoding"]["x"] for layer in spec["layer"] if "x" in layer.get("encoding", {}))
    assert x["field"] == "period_axis" and x["axis"]["labelAngle"] == 0
    assert x["sort"][-1] == "Sep 25" and x["title"] == "Rolling 12 months to"
