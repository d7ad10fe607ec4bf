"""AppTest: theme pages show exactly their workstreams and one block per catalogue indicator with the icons that
metrics.spc.icons gives; Since last board lists what an independent comparison of two snapshots finds."""

from __future__ import annotations

import json

import polars as pl
import pytest

from metrics.formatting import VARIATION_LABELS, WORKSTREAM_TITLES
from metrics.snapshot import open_snapshot, scan_table
from metrics.spc import icons, spc
from tests.pages_helper import app

BURY = "E08000002"


@pytest.fixture(scope="module")
def newest(demo_root):
    return open_snapshot(demo_root / "2025-10-31")


def _texts(node) -> list[str]:
    return [str(m.value) for m in node.markdown]


@pytest.mark.parametrize("theme", [1, 2, 3])
def test_theme_page_shows_its_workstreams_and_one_block_per_indicator(theme, newest):
    at = app().run()
    at.switch_page(f"pages/theme_{theme}.py").run()
    assert not at.exception
    cat = scan_table(newest, "kpi_catalogue").filter(pl.col("theme") == theme).collect()
    headers = [h.value for h in at.header]
    expected_ws = [WORKSTREAM_TITLES[w] for w in dict.fromkeys(cat.sort("workstream")["workstream"].to_list())]
    assert sorted(headers) == sorted(expected_ws)
    values = scan_table(newest, "kpi_values").filter((pl.col("area_code") == BURY) & (pl.col("phase") == "all"))
    shown_blocks = 0
    needs = cat.filter(pl.col("kpi_id").str.starts_with("ehcp_need_"))
    if needs.height:  # the primary-need shares: one table of needs, Bury's share beside England's and the region's
        table = at.get_by_key("kpi-primary-need").dataframe[0].value
        for kpi in needs.iter_rows(named=True):
            v = values.filter(pl.col("kpi_id") == kpi["kpi_id"]).collect().sort("period_end")["value"][-1]
            need = kpi["title"].removeprefix("Primary need: ").removesuffix(" (DfE)").capitalize()
            assert table.loc[table["Primary need"] == need, "Bury"].item() == f"{v:.1f}%"
            shown_blocks += 1
        assert list(table.columns) == ["Primary need", "Bury", "England", "North West"]
    for kpi in cat.filter(~pl.col("kpi_id").str.starts_with("ehcp_need_")).iter_rows(named=True):
        block = at.get_by_key(f"kpi-{kpi['kpi_id']}")
        shown_blocks += 1
        result = spc(
            values.filter(pl.col("kpi_id") == kpi["kpi_id"]), polarity=kpi["polarity"], rebase=list(kpi["spc_rebase"])
        ).collect()
        expected = icons(result, polarity=kpi["polarity"], target=kpi["target"])
        icon_line = next(t for t in _texts(block) if t.startswith("**Icons:**"))
        if expected["variation"] == "none":
            assert "Too few points for SPC" in icon_line
        else:
            assert VARIATION_LABELS[expected["variation"]] in icon_line, (kpi["kpi_id"], icon_line)
    assert shown_blocks == cat.height
    other = scan_table(newest, "kpi_catalogue").filter(pl.col("theme") != theme).collect()
    for kpi_id in other["kpi_id"]:  # no block from another theme
        with pytest.raises(KeyError):
            at.get_by_key(f"kpi-{kpi_id}")


def test_salt_block_shows_special_cause_improvement_and_20_week_consistent_pass():
    at = app().run()
    at.switch_page("pages/theme_2.py").run()
    salt = next(t for t in _texts(at.get_by_key("kpi-wait_u18_salt_pct")) if t.startswith("**Icons:**"))
    assert "Special cause: improving (higher)" in salt
    month = next(t for t in _texts(at.get_by_key("kpi-ehcp_20wk_month_pct")) if t.startswith("**Icons:**"))
    assert "Consistently passes the target" in month


def test_theme_charts_carry_the_series_values(newest):
    at = app().run()
    at.switch_page("pages/theme_2.py").run()
    charts = at.get("vega_lite_chart")
    cat = scan_table(newest, "kpi_catalogue").filter(pl.col("theme") == 2).collect()
    assert len(charts) == cat.filter(~pl.col("kpi_id").str.starts_with("ehcp_need_")).height  # needs: one table
    specs = [json.loads(c.proto.spec) for c in charts]
    salt = next(s for s in specs if s.get("description", "").startswith("Speech and language therapy"))
    assert "34% in Jul 2025" in salt["description"]
    assert '"field": "upl"' in json.dumps(salt)  # drawn as an SPC chart, with process limits


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

    from ui import data

    snap = data.snapshot(demo_root / "2025-10-31")
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
    assert "· target 80% by Mar 2026" in page_text(at.switch_page("pages/theme_2.py").run())
