"""The pack model (plain data, no HTML) section by section on the demo snapshot, checked against the metrics; and
HTML or template syntax in the data rendered as text in the PDF's templates."""

from __future__ import annotations

import polars as pl
import pytest

from boardpack import model, render
from ingest.demo import CATALOGUE
from ingest.demo_facts import GM_LOCALITIES
from metrics import diff, kpi, plan, series, waits, wards
from metrics.formatting import fmt_date, fmt_value
from metrics.schema import BENCHMARK_ONLY
from metrics.snapshot import open_snapshot, scan_table

# every indicator of the demo catalogue the board follows (not LAIT's measures shown on Benchmarks only)
N_INDICATORS = len([k for k in CATALOGUE if k.workstream != BENCHMARK_ONLY])


@pytest.fixture(scope="module")
def snaps(demo_root):
    return open_snapshot(demo_root / "2025-10-31"), open_snapshot(demo_root / "2025-09-30")


@pytest.fixture(scope="module")
def pack(snaps):
    return model.build(*snaps)


def test_cover(pack):
    assert (pack.area, pack.as_at.isoformat(), pack.compare_as_at.isoformat(), pack.demo) == (
        "Bury",
        "2025-10-31",
        "2025-09-30",
        True,
    )
    assert pack.board_date.isoformat() == "2025-11-17"  # the next board after the as-at date, from milestones


def test_summary_rows_are_the_metrics_values(pack, snaps):
    snap, compare = snaps
    expected = kpi.summary(
        scan_table(snap, "kpi_catalogue"),
        scan_table(snap, "kpi_values"),
        scan_table(compare, "kpi_values"),
        area_code="E08000002",
    ).collect()
    assert [r["Indicator"] for r in pack.summary] == expected["title"].to_list()
    for row, r in zip(pack.summary, expected.iter_rows(named=True), strict=True):
        shown = fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or "") if r["period_label"] else "No data"
        assert (row["Latest"], row["Period"]) == (shown, r["period_label"] or "")


def test_since_the_last_board(pack, snaps):
    snap, compare = snaps
    new = diff.new_periods(
        scan_table(snap, "kpi_catalogue"),
        scan_table(snap, "kpi_values"),
        scan_table(compare, "kpi_values"),
        area_code="E08000002",
    ).collect()
    sections = dict(pack.since["sections"])
    assert len(sections["New data"]) == new.height
    assert pack.since["paragraph"].startswith(
        f"Since the snapshot of {fmt_date(compare.as_at)}, {new['kpi_id'].n_unique()} indicators have new data"
    )


def test_workstreams_and_their_indicators(pack, snaps):
    snap, _ = snaps
    cat = scan_table(snap, "kpi_catalogue").collect()
    followed = cat.filter(pl.col("workstream") != BENCHMARK_ONLY)  # Benchmarks-only measures are not in the pack
    assert sum(len(w.indicators) for w in pack.workstreams) == followed.height == N_INDICATORS
    results = series.all_series(cat, scan_table(snap, "kpi_values"), area_code="E08000002", phase="all")
    for ws in pack.workstreams:
        for ind in ws.indicators:
            res = results[ind.kpi_id].sort("period_end")
            assert ind.values == res["value"].to_list() and ind.periods == res["period_label"].to_list()
            assert ind.figure is None  # no drawing asked for: no chart built
    pip1 = next(w for w in pack.workstreams if w.code == "PIP1")
    acts = plan.workstream_actions(scan_table(snap, "actions"), ["PIP1"], snap.as_at).collect()
    assert [a["Ref"] for a in pip1.actions] == acts["action_id"].to_list()
    assert {c["text"] for c in pip1.commentary} == set(
        plan.latest_commentary(scan_table(snap, "commentary"), "PIP1").filter(pl.col("is_latest")).collect()["text"]
    )


def test_wards_are_always_protected(pack, snaps):
    snap, _ = snaps
    rates = wards.ward_rates(
        scan_table(snap, "ward_demand"),
        scan_table(snap, "wards"),
        period_end=pack.wards["month"],
        measure="ehcp_caseload",
        protected=True,
    ).collect()
    assert len(pack.wards["rows"]) == 17
    assert pack.wards["sentence"] == wards.significance_sentence(rates)
    for row in pack.wards["rows"]:
        assert row["Count"] in ("c", "0") or int(row["Count"].replace(",", "")) % 5 == 0


def test_waiting_time_leagues(pack, snaps):
    snap, _ = snaps
    wt = scan_table(snap, "waiting_times")
    for league in pack.waits:
        lg = waits.league(
            wt, period_end=league["month"], service=league["service"], localities=list(GM_LOCALITIES)
        ).collect()
        tr = waits.area_trend(
            wt, service=league["service"], area_code="E08000002", localities=list(GM_LOCALITIES)
        ).collect()
        assert league["headline"] == waits.headline(
            lg, tr, area_code="E08000002", service=league["service"], name="Bury"
        )
        assert len(league["rows"]) == 10
    assert {w["service"] for w in pack.waits} == {"camhs", "salt", "ot", "physio", "community_paediatrics"}


def test_risks_actions_and_appendix(pack, snaps):
    snap, _ = snaps
    risks = scan_table(snap, "risks").collect()
    assert sorted(r["Ref"] for r in pack.risks) == sorted(risks["risk_id"])
    assert len(pack.actions) == scan_table(snap, "actions").select(pl.len()).collect().item() == 13
    assert len(pack.definitions) == N_INDICATORS and len(pack.sources) == len(snap.manifest["sources"])


def test_html_and_template_syntax_in_the_data_are_text_in_the_pdf(demo_tables, tmp_path):
    from ingest.writer import write_snapshot

    name = "Bury <b>{{ 7*7 }}</b> {% if x %}"
    commentary = demo_tables["commentary"].with_columns(text=pl.col("text") + " <script>{{ x }}</script>")
    path = write_snapshot(
        {**demo_tables, "commentary": commentary},
        out_root=tmp_path,
        as_at="2025-10-31",
        area={"la_code": "E08000002", "la_name": name},
        demo=True,
    )
    document = render(model.build(open_snapshot(path), None))
    assert "Bury &lt;b&gt;{{ 7*7 }}&lt;/b&gt; {% if x %}" in document and "<b>" not in document
    assert "&lt;script&gt;{{ x }}&lt;/script&gt;" in document and "<script>" not in document
    assert ">49<" not in document


def test_key_messages_are_the_summarys_exceptions_in_sentences(pack):
    """The pack's first page says, in sentences and in the same order, what the app's Summary opens with."""
    from tests.pages_helper import app

    at = app(as_at="2025-10-31", compare="2025-09-30").run()
    shown = at.table[0].value  # the Summary's "Needs the board's attention"
    assert pack.key_messages[0].startswith(f"{len(shown)} of {N_INDICATORS} indicators need the board's attention")
    assert len(pack.key_messages) == len(shown) + 1
    for message, title in zip(pack.key_messages[1:], shown["Indicator"], strict=True):
        assert message.startswith(f"{title}: ")
    salt = next(m for m in pack.key_messages if m.startswith("Speech and language therapy"))
    assert salt == (
        "Speech and language therapy (SALT): children waiting under 18 weeks: 34% in Jul 2025 — Red against its "
        "target of 80% by Mar 2026; will not meet its target without a change: the target lies outside the process "
        "limits (SPC)."
    )
