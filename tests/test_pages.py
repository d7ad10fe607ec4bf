"""AppTest: every registered page runs; the Summary shows exactly the catalogue with the values metrics compute;
a damaged snapshot is refused in the app with the file named; links reopen the same view."""

from __future__ import annotations

import json

import polars as pl
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from ingest.demo import CATALOGUE
from metrics import kpi
from metrics.formatting import fmt_value
from metrics.schema import BENCHMARK_ONLY
from metrics.snapshot import open_snapshot, scan_table
from tests.pages_helper import app, page_text, registered_pages

# every indicator of the demo catalogue the board follows (not LAIT's measures shown on Benchmarks only)
N_INDICATORS = len([k for k in CATALOGUE if k.workstream != BENCHMARK_ONLY])


@pytest.mark.parametrize("page_file", registered_pages())
@pytest.mark.parametrize("mode", ["officer", "board"])
def test_every_registered_page_runs_without_exception(page_file, mode):
    at = app(mode=mode).run()
    at.switch_page(page_file).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "Demonstration data" in page_text(at)


def test_summary_shows_one_row_per_indicator_with_the_computed_values(demo_root):
    at = app().run()
    assert not at.exception
    table = at.dataframe[0].value
    snap = open_snapshot(demo_root / "2025-10-31")
    compare = open_snapshot(demo_root / "2025-09-30")
    expected = kpi.summary(
        scan_table(snap, "kpi_catalogue"),
        scan_table(snap, "kpi_values"),
        scan_table(compare, "kpi_values"),
        area_code="E08000002",
    ).collect()
    followed = scan_table(snap, "kpi_catalogue").filter(pl.col("workstream") != BENCHMARK_ONLY)
    assert len(table) == followed.select(pl.len()).collect().item() == N_INDICATORS
    assert list(table["kpi_id"]) == expected["kpi_id"].to_list()
    shown = dict(zip(table["kpi_id"], table["Latest"], strict=True))
    for r in expected.iter_rows(named=True):
        assert shown[r["kpi_id"]] == fmt_value(r["value"], r["unit"], r["decimals"], r["status"])
    periods = dict(zip(table["kpi_id"], table["Period"], strict=True))
    assert periods["wait_u18_salt_pct"] == "Jul 2025" and shown["wait_u18_salt_pct"] == "34%"
    assert periods["ehcp_20wk_pct"] == "2024" and shown["ehcp_20wk_pct"] == "99.0%"
    assert shown["annual_review_overdue_pct"] == "34%"
    # each RAG word is a pill in its GOV.UK colour (the grid's own colouring, no pandas Styler)
    pills = {o["value"]: o["color"] for o in json.loads(at.dataframe[0].proto.columns)["RAG"]["type_config"]["options"]}
    assert pills["Green"] == "#00703C" and pills["Amber"] == "#FFDD00" and pills["Red"] == "#D4351C"
    words = {"Green": "Green", "Amber": "Amber", "Red": "Red", "Grey": "No target"}
    shown_rag = dict(zip(table["kpi_id"], (list(v) for v in table["RAG"]), strict=True))
    for r in expected.iter_rows(named=True):
        word = words[r["rag"]] if r["period_label"] is not None or r["target"] is None else "No data"
        assert shown_rag[r["kpi_id"]] == [word], r["kpi_id"]
    counts = {m.label.split(":")[0]: m.value for m in at.metric}
    rag = expected["rag"].value_counts()
    for word, label in [("Green", "Green"), ("Amber", "Amber"), ("Red", "Red"), ("Grey", "No target or no data")]:
        n = rag.filter(pl.col("rag") == word)["count"].sum()
        assert counts[label] == f"{n} of {N_INDICATORS}"


def test_summary_theme_filter_and_csv_download(monkeypatch):
    # the file name a download button offers is held by Streamlit's media store, not in the button's message: note
    # the name each stored file was given, by the id the button's address ends with
    names: dict[str, str | None] = {}
    store = MemoryMediaFileStorage.load_and_get_id

    def noted(self, data, mimetype, kind, filename=None):
        names[file_id := store(self, data, mimetype, kind, filename)] = filename
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", noted)
    at = app().run()
    at.segmented_control(key="summary_theme").set_value("Theme 3 – Adulthood, transitions, reviews, AP").run()
    table = at.dataframe[0].value
    assert set(table["Theme"]) == {"3"} and len(table) == len(
        [k for k in CATALOGUE if k.theme == 3 and k.workstream != BENCHMARK_ONLY]
    )
    csv = at.get("download_button")[0].proto
    assert csv.label == "Download this table (CSV)"
    assert names[csv.url.rsplit("/", 1)[-1].split(".")[0]] == "summary_2025-10-31.csv"


def test_summary_change_column_names_the_compare_snapshot():
    at = app(as_at="2025-10-31", compare="2025-09-30").run()
    table = at.dataframe[0].value
    change = dict(zip(table["kpi_id"], table["Since compare snapshot"], strict=True))
    # Sep 2025 is new in the October snapshot; August's provisional 29 of 30 was confirmed as 30 of 30? no: the
    # newest month is always the provisional one, so the comparison is a new period.
    # the grid gives a new period's change without the period, which its Period column shows beside it
    assert change["ehcp_20wk_month_pct"].endswith(" on Aug 2025")
    assert dict(zip(table["kpi_id"], table["Period"], strict=True))["ehcp_20wk_month_pct"] == "Sep 2025"
    assert change["ehcp_caseload"] == "No new data"
    assert change["wait_u18_salt_pct"] == "▲ +3 points on Jun 2025"


def test_link_reopens_the_same_view():
    at = app(as_at="2025-08-31", phase="secondary", mode="officer").run()
    assert not at.exception
    text = page_text(at)
    assert "Data as at **31 August 2025**" in text and "compared with the snapshot of 31 July 2025" in text
    assert "phase: Secondary (11–15)" in text
    assert at.query_params["as_at"] == ["2025-08-31"] or at.query_params["as_at"] == "2025-08-31"


def test_board_mode_hides_all_controls_but_the_snapshot():
    at = app(mode="board").run()
    labels = [s.label for s in at.selectbox]
    assert labels == ["Snapshot (data as at)"]
    assert "Board mode is on" in "\n".join(m.value for m in at.sidebar.markdown)


def test_damaged_snapshot_is_listed_as_unavailable_and_the_app_shows_the_others(demo_copy, tmp_path, monkeypatch):
    demo_copy("2025-09-30", "2025-10-31")
    target = tmp_path / "2025-10-31" / "kpi_values.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0xFF
    target.write_bytes(bytes(data))
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(tmp_path))
    at = app().run()
    assert not at.exception and not at.error
    [box] = [e for e in at.sidebar.expander if "cannot be shown" in e.label]
    assert box.label == "1 snapshot folder(s) cannot be shown"
    reason = box.markdown[0].value
    assert "2025\\-10\\-31" in reason and "kpi\\_values\\.parquet" in reason and "contents do not match" in reason
    assert str(tmp_path) not in reason  # the viewer is never shown the server's paths
    assert at.selectbox(key="g_snapshot").options == ["30 September 2025"]
    assert len(at.dataframe[0].value) == N_INDICATORS  # the good snapshot is shown


def test_no_snapshots_gives_a_plain_instruction(tmp_path, monkeypatch):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(tmp_path))
    at = app().run()
    assert not at.exception
    assert "python -m ingest demo" in at.error[0].value
    assert str(tmp_path) not in at.error[0].value


def test_summary_opens_with_the_exceptions_and_their_reasons(demo_root):
    """The first table is what needs the board's attention: every indicator that is Red, in special-cause concern,
    consistently failing or whose RAG changed since the compare snapshot (here: salt is Red at 34% against 80%
    and fails its target; complaints went Amber → Green), worst first, then the full table."""
    from metrics import diff, exceptions, kpi, series
    from metrics.snapshot import open_snapshot, scan_table

    at = app(as_at="2025-10-31", compare="2025-09-30").run()
    assert not at.exception
    shown = at.table[0].value
    snap, before = open_snapshot(demo_root / "2025-10-31"), open_snapshot(demo_root / "2025-09-30")

    def rated(s):
        cat = scan_table(s, "kpi_catalogue")
        out = kpi.summary(cat, scan_table(s, "kpi_values"), None, area_code="E08000002").collect()
        return out.join(
            series.all_icons(cat.collect(), scan_table(s, "kpi_values"), area_code="E08000002", phase="all"),
            on="kpi_id",
        )

    now = (
        kpi.summary(
            scan_table(snap, "kpi_catalogue"),
            scan_table(snap, "kpi_values"),
            scan_table(before, "kpi_values"),
            area_code="E08000002",
        )
        .collect()
        .join(rated(snap).select("kpi_id", "variation", "assurance"), on="kpi_id", maintain_order="left")
    )
    expected = exceptions.exceptions(now, diff.rating_changes(rated(snap).lazy(), rated(before).lazy()).collect())
    assert list(shown["Indicator"]) == expected["title"].to_list()
    why = dict(zip(shown["Indicator"], shown["Why it needs attention"], strict=True))
    assert why["Speech and language therapy (SALT): children waiting under 18 weeks"] == (
        "Red (target 80% by Mar 2026); will fail its target without a change (SPC)"
    )
    assert why["Complaints from parent carers"] == "RAG Amber → Green since 30 Sep 2025 (better)"
    assert list(shown.columns) == ["Workstream", "Indicator", "Latest", "Period", "Why it needs attention"]
    assert [h.value for h in at.header][:2] == ["Needs the board's attention", "Every indicator"]
