"""A second area, in another region and another health system: Leeds (Yorkshire and The Humber), in West
Yorkshire, built from small fixtures in the real formats (DfE EHCP 2025-release CSVs in tests/fixtures/area_leeds,
an NHS England community health services workbook made here) with only [area] and [system] configured. Every page
opens as an officer and as the public, compares Leeds with its own region and system, shows the national ICB and
provider leagues, and never says another area's words."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from boardpack.model import build as pack_model
from ingest.__main__ import main as ingest_main
from metrics.areas import setup_of
from metrics.schema import PLAN_WORKSTREAMS
from metrics.snapshot import open_snapshot, scan_table
from tests.leaks import sent
from tests.pages_helper import app, page_text, registered_pages, unescape, with_sign_in

FIX = Path(__file__).parent / "fixtures" / "area_leeds"
LEEDS = "E08000035"
WEST_YORKSHIRE = ["E08000032", "E08000033", "E08000034", "E08000035", "E08000036"]
OTHER_AREAS = re.compile(r"Greater Manchester|North West|\bGM\b|Bury")
PLAN_NUMBER = re.compile(r"\b(?:PIP|AFI)\d")  # a workstream number of a plan (the first area's are PIP1 … AFI3)

# NHS England CHS workbook organisations: (type, code, published name) and, per band sheet, speech and language
# therapy's counts. Under 18 weeks = the five bands to 18 weeks; over 52 = the >52-104 and >104 sheets.
ORGS = [
    ("National", "", "England"),
    ("Region", "Y63", "NORTH EAST AND YORKSHIRE"),
    ("ICB", "QWO", "WEST YORKSHIRE"),
    ("ICB", "QOQ", "HUMBER AND NORTH YORKSHIRE"),
    ("ICB", "QHM", "NORTH EAST AND NORTH CUMBRIA"),
    ("Provider", "RY6", "LEEDS COMMUNITY HEALTHCARE NHS TRUST"),
    ("Provider", "RXF", "MID YORKSHIRE TEACHING NHS TRUST"),
    ("Provider", "RCF", "AIREDALE NHS FOUNDATION TRUST"),
]
SALT = {  # total, five bands to 18 weeks, >18-52, >52-104, >104
    "ENG": (10000, 1200, 1200, 1200, 1200, 1200, 2000, 1500, 500),
    "Y63": (3000, 400, 400, 400, 400, 400, 600, 400, 0),
    "QWO": (1000, 100, 100, 100, 100, 100, 300, 200, 0),  # 50% under 18 weeks
    "QOQ": (800, 112, 112, 112, 112, 112, 140, 100, 0),  # 70%
    "QHM": (500, 80, 80, 80, 80, 80, 60, 40, 0),  # 80%
    "RY6": (600, 48, 48, 48, 48, 48, 260, 100, 0),  # 40%
    "RXF": (300, 42, 42, 42, 42, 42, 60, 30, 0),  # 70%
    "RCF": (100, 10, 10, 10, 10, 10, 40, 10, 0),  # 50%
}
TITLES = [
    "Total waiting list",
    "Number waiting 0-1 weeks (0-7 days)",
    "Number waiting >1-2 weeks (8-14 days)",
    "Number waiting >2-4 weeks (15-28 days)",
    "Number waiting >4-12 weeks (29-84 days)",
    "Number waiting >12-18 weeks (85-126 days)",
    "Number waiting >18-52 weeks (127-364 days)",
    "Number waiting >52-104 weeks (365-728 days)",
    "Number waiting over 104 weeks (over 2 years)",
]


def chs_workbook(path: Path, month: str = "July 2025", salt: dict | None = None) -> Path:
    """The workbook for a month; `salt` replaces the speech and language therapy lines (an organisation left out
    has no line, as when it made no return)."""
    salt = SALT if salt is None else salt
    wb = openpyxl.Workbook()
    wb.active.title = "Cover page"
    for i, (sheet, title) in enumerate(zip(["Table 4", *[f"Table 4{c}" for c in "abcdefgh"]], TITLES, strict=True)):
        ws = wb.create_sheet(sheet)
        ws["A1"] = f"{title} by service, {month}"
        ws.append([])
        ws.append([])
        ws.append([])
        ws.append(
            [
                "Organisation Type",
                "Organisation Code",
                "Organisation Name",
                "(CYP) Therapy interventions: Speech and language",
            ]
        )
        for kind, code, name in ORGS:
            if (code or "ENG") in salt:
                ws.append([kind, code, name, salt[code or "ENG"][i]])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def leeds(tmp_path_factory):
    root = tmp_path_factory.mktemp("leeds")
    chs_workbook(root / "chs.xlsx")
    (root / "ingest.toml").write_text(
        f"""
[area]
la_code = "{LEEDS}"
la_name = "Leeds"
[system]
name = "West Yorkshire"
localities = {WEST_YORKSHIRE!r}
icb = "QWO"
providers = ["RY6", "RXF"]
[sources]
ehcp = ["{FIX}"]
chs = ["chs.xlsx"]
""".replace("'", '"')
    )
    out = root / "snapshots"
    assert (
        ingest_main(["build", "--config", str(root / "ingest.toml"), "--as-at", "2025-11-03", "--out", str(out)]) == 0
    )
    return out


def test_the_region_comes_from_the_dfe_rows_and_the_system_from_the_config(leeds):
    snap = open_snapshot(leeds / "2025-11-03")
    assert snap.manifest["region"] == {"code": "E12000003", "name": "Yorkshire and The Humber"}
    assert snap.manifest["system"] == {
        "name": "West Yorkshire",
        "short_name": "West Yorkshire",
        "localities": WEST_YORKSHIRE,
        "icb": "QWO",
        "providers": ["RY6", "RXF"],
    }
    where = setup_of(snap.manifest)
    assert where.name("QWO") == "West Yorkshire ICB"  # the workbook's upper-case name, as people write it
    assert where.name("RY6") == "Leeds Community Healthcare NHS Trust"
    assert where.comparator_names() == {"E92000001": "England", "E12000003": "Yorkshire and The Humber"}


def _run(page: str, monkeypatch, leeds, officer: bool):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(leeds))
    at = app()
    if officer:
        at = with_sign_in(at, {"email": "chair@partner.org.uk", "email_verified": True, "name": "The chair"})
    else:
        at = with_sign_in(at)
    at.run()
    if page != "pages/summary.py":
        at.switch_page(page).run()
    return at


@pytest.mark.parametrize("officer", [True, False], ids=["officer", "public"])
def test_every_page_opens_and_never_names_another_area(leeds, monkeypatch, officer):
    for page in registered_pages():
        at = _run(page, monkeypatch, leeds, officer)
        assert not at.exception, (page, at.exception)
        text, _ = sent(at)
        found = OTHER_AREAS.findall(unescape(text))
        assert not found, (page, sorted(set(found)))


def test_benchmarks_compare_leeds_with_its_own_region_and_system(leeds, monkeypatch):
    at = _run("pages/benchmarks.py", monkeypatch, leeds, officer=True)
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "Indicator",
        "Period",
        "Area",
        "Counts",
        "England",
        "Yorkshire and The Humber",
        "West Yorkshire",
        "Rank in West Yorkshire",
        "Rank in England",
        "Quartile (A = best)",
        "Note",
    ]
    row = table[table["Indicator"] == "New EHC plans issued within 20 weeks (DfE)"].iloc[0]
    # 2024: Leeds 600 of 800 (75%); the five West Yorkshire authorities pooled (600+300+180+100+240)/2300 = 61.7%;
    # ranked Calderdale 90, Wakefield 80, Leeds 75, Bradford 50, Kirklees 25
    assert (row["Period"], row["Area"], row["England"], row["Yorkshire and The Humber"]) == (
        "2024",
        "75.0%",
        "45.9%",
        "50.0%",
    )
    assert row["West Yorkshire"] == f"{100 * 1420 / 2300:.1f}%"
    assert row["Rank in West Yorkshire"] == "3rd of 5"
    assert row["Rank in England"] == "Needs the full DfE release"  # 7 authorities are not the national picture
    intro = unescape(" ".join(m.value for m in at.markdown))
    assert "How Leeds compares with England, Yorkshire and The Humber and West Yorkshire" in intro


def test_waiting_times_show_the_icb_and_provider_leagues_from_the_nhs_workbook(leeds, monkeypatch):
    at = _run("pages/waiting_times.py", monkeypatch, leeds, officer=False)
    assert at.title[0].value == "Waiting times: ICB and provider league tables"
    text = unescape(" ".join(m.value for m in at.markdown))
    assert (
        "West Yorkshire ICB is 3rd of 3 ICBs for speech and language therapy: 50% waiting under 18 weeks in July "
        "2025." in text
    )
    assert "Leeds Community Healthcare NHS Trust is 3rd of 3 providers" in text
    assert "Mid Yorkshire Teaching NHS Trust is 1st of 3 providers" in text
    icb = at.table[0].value  # the area's own ICB first (the public view shows static tables)
    assert icb["ICB"].tolist() == ["West Yorkshire ICB (this area's)"]
    # 500 of 1,000 is 50% (Wilson 95% interval 46.9% to 53.1%), wholly below England's 6,000 of 10,000 (60%)
    assert icb.iloc[0][
        ["Rank", "Under 18 weeks", "95% interval", "Compared with England", "Over 52 weeks"]
    ].tolist() == [
        "3rd of 3",
        "50%",
        "47% to 53%",
        "Worse than England",
        "200",
    ]
    whole = at.table[1].value  # every ICB, best first
    assert whole["ICB"].tolist() == [
        "North East and North Cumbria ICB",
        "Humber and North Yorkshire ICB",
        "West Yorkshire ICB (this area's)",
    ]
    captions = unescape(" ".join(c.value for c in at.caption))
    assert "Better or worse than England means the ICB's 95% confidence interval lies wholly above" in captions
    assert "the provider's 95% confidence interval" in captions and "icb's" not in captions
    assert (
        "Each point is one of the integrated care boards. One outside the 95% lines differs from England by more "
        "than chance would suggest for its list size; outside the 99.8% lines, the difference is very unlikely to be "
        "chance." in captions
    )
    providers = next(d.value for d in at.table if "Provider" in d.value.columns)  # the area's own first
    assert providers["Provider"].tolist() == [
        "Mid Yorkshire Teaching NHS Trust (this area's)",
        "Leeds Community Healthcare NHS Trust (this area's)",
    ]


def test_the_board_pack_model_names_no_other_area(leeds):
    snap = open_snapshot(leeds / "2025-11-03")
    pack = pack_model(snap, None)
    # no locality return: the ICB and provider leagues, the area's own organisations ranked among all of them
    assert pack.waits_title == "Waiting times: ICB and provider league tables"
    assert [(w["service"], w["unit"]) for w in pack.waits] == [("salt", "ICB"), ("salt", "Provider")]
    assert pack.waits[0]["headline"].startswith("West Yorkshire ICB is 3rd of 3 ICBs for speech and language therapy")
    assert [r["Provider"] for r in pack.waits[1]["rows"]] == [
        "Mid Yorkshire Teaching NHS Trust",
        "Leeds Community Healthcare NHS Trust",
    ]
    words = OTHER_AREAS.findall(repr(pack))
    assert not words, sorted(set(words))
    comparators = {c for w in pack.workstreams for i in w.indicators for c in i.comparators}
    assert comparators <= {"England", "Yorkshire and The Humber"} and "Yorkshire and The Humber" in comparators


def test_a_system_config_with_mistakes_is_refused_with_each_one(tmp_path):
    (tmp_path / "ingest.toml").write_text(
        '[area]\nla_code = "E08000035"\nla_name = "Leeds"\n[system]\nlocalities = ["Leeds"]\nproviders = "RY6"\n'
    )
    from ingest.build import BuildError, build

    with pytest.raises(BuildError) as err:
        build(tmp_path / "ingest.toml", as_at="2025-11-03", out_root=tmp_path / "out", log=lambda _m: None)
    assert err.value.problems == [
        "ingest.toml [system]: name — expected the system's name, e.g. the ICB's area",
        "ingest.toml [system]: localities: 'Leeds' — expected a local authority GSS code: E06, E08, E09 or E10 and "
        "six digits, such as 'E08000002'",
        "ingest.toml [system]: providers 'RY6' — expected a list of NHS ODS codes such as 'RM3'",
    ]
    assert not (tmp_path / "out").exists()


def test_every_mistake_in_a_config_is_listed_at_once_with_its_value_before_any_source_is_read(tmp_path):
    chs_workbook(tmp_path / "chs.xlsx")
    (tmp_path / "ingest.toml").write_text(
        f"""[area]
la_code = "E8000035"
la_name = ""
[system]
name = "West Yorkshire"
localities = ["E08000032", "Bradford"]
icb = "West Yorkshire"
providers = ["RY6", "leeds community"]
[comparators]
neighbours = ["E08000036", "Sheffield"]
[chs]
provider_for = {{ E08000035 = "RY6 and RXF" }}
[sources]
ehcp = ["{FIX}", "missing.zip"]
chs = ["chs.xlsx"]
surveys = "parents.csv"
[sytem]
name = "West Yorkshire"
"""
    )
    from ingest.build import BuildError, build

    said: list[str] = []
    with pytest.raises(BuildError) as err:
        build(tmp_path / "ingest.toml", as_at="2025-11-03", out_root=tmp_path / "out", log=said.append)
    assert err.value.problems == [
        "ingest.toml: [sytem] is not a section of the build config (expected [area], [sources], [system], "
        "[comparators], [chs], [plan])",
        "ingest.toml [area]: la_code 'E8000035' — expected a local authority GSS code: E06, E08, E09 or E10 and six "
        "digits, such as 'E08000002'",
        "ingest.toml [area]: la_name '' — expected the local authority's name, such as 'Leeds'",
        "ingest.toml [system]: localities: 'Bradford' — expected a local authority GSS code: E06, E08, E09 or E10 "
        "and six digits, such as 'E08000002'",
        "ingest.toml [system]: icb 'West Yorkshire' — expected an integrated care board's ODS code, such as 'QOP'",
        "ingest.toml [system]: providers: 'leeds community' — expected an NHS trust's ODS code, such as 'RM3'",
        "ingest.toml [comparators]: neighbours: 'Sheffield' — expected a local authority GSS code: E06, E08, E09 or "
        "E10 and six digits, such as 'E08000002'",
        "ingest.toml [chs]: provider_for E08000035: 'RY6 and RXF' — expected an NHS trust's ODS code, such as 'RM3'",
        "ingest.toml [sources]: ehcp 'missing.zip' — no such file or folder",
        "ingest.toml [sources]: 'surveys' is not a source (expected ehcp, lait, chs, wards, templates)",
    ]
    assert said == [] and not (tmp_path / "out").exists()  # no source was read, nothing written


def test_a_well_formed_code_in_no_loaded_file_stops_the_build_and_names_it(tmp_path):
    """E08000099 is a well-formed code of no authority in the DfE files read, QXX of no ICB and RZZ of no provider
    in the NHS workbook: built, every page would say "No data" and nothing would be highlighted, with no warning."""
    chs_workbook(tmp_path / "chs.xlsx")
    (tmp_path / "ingest.toml").write_text(
        f"""[area]
la_code = "E08000099"
la_name = "Nowhere"
[system]
name = "West Yorkshire"
localities = ["E08000032", "E08000099"]
icb = "QXX"
providers = ["RY6", "RZZ"]
[comparators]
neighbours = ["E06000099"]
[sources]
ehcp = ["{FIX}"]
chs = ["chs.xlsx"]
"""
    )
    from ingest.build import BuildError, build

    with pytest.raises(BuildError) as err:
        build(tmp_path / "ingest.toml", as_at="2025-11-03", out_root=tmp_path / "out", log=lambda _m: None)
    assert err.value.problems == [
        "ingest.toml [area]: la_code E08000099 is in none of the DfE files read (area_leeds) — check the code",
        "ingest.toml [system]: locality E08000099 is in none of the DfE files read (area_leeds) — check the code",
        "ingest.toml [comparators]: neighbour E06000099 is in none of the DfE files read (area_leeds) — check the code",
        "ingest.toml [system]: icb QXX is in none of the NHS England workbooks read (chs.xlsx) — check the code",
        "ingest.toml [system]: provider RZZ is in none of the NHS England workbooks read (chs.xlsx) — check the code",
    ]
    assert not (tmp_path / "out").exists()


def test_an_area_with_only_its_area_block_opens_every_page(tmp_path, monkeypatch):
    """No [system]: no system columns, no locality league, the national leagues with nothing highlighted."""
    chs_workbook(tmp_path / "chs.xlsx")
    (tmp_path / "ingest.toml").write_text(
        f'[area]\nla_code = "{LEEDS}"\nla_name = "Leeds"\n[sources]\nehcp = ["{FIX}"]\nchs = ["chs.xlsx"]\n'
    )
    out = tmp_path / "snapshots"
    assert (
        ingest_main(["build", "--config", str(tmp_path / "ingest.toml"), "--as-at", "2025-11-03", "--out", str(out)])
        == 0
    )
    assert "system" not in open_snapshot(out / "2025-11-03").manifest
    for page in registered_pages():
        at = _run(page, monkeypatch, out, officer=True)
        assert not at.exception, (page, at.exception)
    at = _run("pages/waiting_times.py", monkeypatch, out, officer=True)
    text = unescape(" ".join(c.value for c in at.caption))
    assert "No ICB is configured for this area" in text and "No providers are configured" in text
    bench = _run("pages/benchmarks.py", monkeypatch, out, officer=True).dataframe[0].value
    assert "Yorkshire and The Humber" in bench.columns and not any(c.startswith("Rank in West") for c in bench.columns)


def test_an_area_from_public_files_alone_shows_no_target_rag_or_plan_number(leeds, monkeypatch):
    """Leeds configured no plan: the DfE measures are grouped by topic, with no target, so no RAG rating. (The first
    area's own plan put the 20-week measures under PIP6.1 with a 90% target: Leeds's 75% in 2024 showed Red.)"""
    snap = open_snapshot(leeds / "2025-11-03")
    cat = scan_table(snap, "kpi_catalogue").collect()
    assert cat.height and cat["target"].null_count() == cat.height and cat["target_date"].null_count() == cat.height
    assert not set(cat["workstream"]) & set(PLAN_WORKSTREAMS)
    topic = dict(zip(cat["kpi_id"], cat["workstream"], strict=True))
    assert topic["ehcp_20wk_pct"] == topic["ehcp_requests"] == "EHCP_ASSESS"
    assert topic["ehcp_caseload"] == topic["ehcp_placement_special_pct"] == "CONTEXT"

    summary = _run("pages/summary.py", monkeypatch, leeds, officer=True)
    table = summary.dataframe[0].value
    rags = {word for cell in table["RAG"] for word in cell}  # each cell a one-word list, shown as a pill
    assert set(table["Target"]) == {"No target"} and rags <= {"No target", "No data"}
    assert set(table["Workstream"]) == {"EHC plans: requests and assessments", "Context"}
    metrics = {m.label: m.value for m in summary.metric}
    assert metrics["Red: missing target"].startswith("0 of") and metrics["Green: meeting target"].startswith("0 of")

    theme = _run("pages/theme_2.py", monkeypatch, leeds, officer=True)
    assert theme.radio(key="theme_ws").options == ["EHC plans: requests and assessments", "Context"]
    text = page_text(theme)
    assert "EHC plans: requests and assessments" in [h.value for h in theme.header]
    assert "no target" in text and "target 90%" not in text
    for page in registered_pages():
        at = _run(page, monkeypatch, leeds, officer=True)
        found = PLAN_NUMBER.findall(page_text(at)) + PLAN_NUMBER.findall(
            " ".join(str(d.value.to_dict()) for d in at.dataframe)
        )
        assert not found, (page, sorted(set(found)))

    pack = pack_model(snap, None)
    assert [w.title for w in pack.workstreams] == ["EHC plans: requests and assessments", "Context"]
    assert {i.rag for w in pack.workstreams for i in w.indicators} == {"No target"}
    assert {r["Workstream"] for r in pack.summary} == {"EHC plans: requests and assessments", "Context"}
    assert not PLAN_NUMBER.findall(repr(pack))


def test_an_areas_own_plan_places_the_shared_measures_and_sets_its_targets(tmp_path):
    """[plan] in the build config: the area's workstream, theme and target for a shared indicator; the rest stay in
    their topic with no target."""
    (tmp_path / "ingest.toml").write_text(
        f'''[area]\nla_code = "{LEEDS}"\nla_name = "Leeds"\n[sources]\nehcp = ["{FIX}"]\n
[plan]
ehcp_20wk_pct = {{ workstream = "PIP2", theme = 1, target = 70, target_date = 2026-03-31 }}
ehcp_requests = {{ workstream = "AFI1" }}
'''
    )
    out = tmp_path / "snapshots"
    assert (
        ingest_main(["build", "--config", str(tmp_path / "ingest.toml"), "--as-at", "2025-11-03", "--out", str(out)])
        == 0
    )
    snap = open_snapshot(out / "2025-11-03")
    cat = {r["kpi_id"]: r for r in scan_table(snap, "kpi_catalogue").collect().iter_rows(named=True)}
    assert (cat["ehcp_20wk_pct"]["workstream"], cat["ehcp_20wk_pct"]["theme"], cat["ehcp_20wk_pct"]["target"]) == (
        "PIP2",
        1,
        70.0,
    )
    assert str(cat["ehcp_20wk_pct"]["target_date"]) == "2026-03-31"
    assert (cat["ehcp_requests"]["workstream"], cat["ehcp_requests"]["target"]) == ("AFI1", None)
    assert (cat["ehcp_20wk_excl_pct"]["workstream"], cat["ehcp_20wk_excl_pct"]["target"]) == ("EHCP_ASSESS", None)
    pack = pack_model(snap, None)
    # Leeds 2024: 600 of 800 = 75%, at least its own 70% target: Green
    planned = next(i for w in pack.workstreams for i in w.indicators if i.kpi_id == "ehcp_20wk_pct")
    assert (planned.rag, planned.target) == ("Green", "70.0% by Mar 2026")


def test_a_plan_with_mistakes_is_refused_with_each_one_quoted(tmp_path):
    (tmp_path / "ingest.toml").write_text(
        f'''[area]\nla_code = "{LEEDS}"\nla_name = "Leeds"\n[sources]\nehcp = ["{FIX}"]\n
[plan]
ehcp_20wk_pct = {{ workstream = "PIP9", target = "ninety", target_date = "soon", owner = "me" }}
ehcp_requests = {{ theme = 4, target_date = 2026-03-31 }}
ehcp_new_plan = {{ workstream = "PIP1" }}
'''
    )
    from ingest.build import BuildError, build

    with pytest.raises(BuildError) as err:
        build(tmp_path / "ingest.toml", as_at="2025-11-03", out_root=tmp_path / "out", log=lambda _m: None)
    assert err.value.problems == [
        "ingest.toml [plan] ehcp_20wk_pct: 'owner' is not a plan setting (expected workstream, theme, target, "
        "target_date)",
        "ingest.toml [plan] ehcp_20wk_pct: workstream 'PIP9' — expected one of PIP1, PIP2, PIP3, PIP4, PIP5, "
        "PIP6.1, PIP6.2, AFI1, AFI2, AFI3, EHCP_ASSESS, EHCP_REVIEWS, COMMUNITY_WAITS, CONTEXT, BENCHMARKS",
        "ingest.toml [plan] ehcp_20wk_pct: target 'ninety' — expected a number such as 90",
        "ingest.toml [plan] ehcp_20wk_pct: target_date 'soon' — expected a date such as 2026-03-31",
        "ingest.toml [plan] ehcp_requests: theme '4' — expected 1, 2 or 3",
        "ingest.toml [plan] ehcp_requests: target_date without a target — give the target too",
    ]
    # once the settings are right, a plan for an indicator nobody defines is refused too
    text = (tmp_path / "ingest.toml").read_text().split("[plan]")[
        0
    ] + '[plan]\nehcp_new_plan = { workstream = "PIP1" }\n'
    (tmp_path / "ingest.toml").write_text(text)
    with pytest.raises(BuildError) as err:
        build(tmp_path / "ingest.toml", as_at="2025-11-03", out_root=tmp_path / "out", log=lambda _m: None)
    assert err.value.problems == [
        "ingest.toml [plan] ehcp_new_plan: not an indicator the build knows (a DfE, waiting-time or annual-review "
        "indicator, a LAIT measure of the files in [sources] lait, or one defined in kpi_catalogue)"
    ]
    assert not (tmp_path / "out").exists()


def test_a_system_that_leaves_out_the_area_itself_is_refused(tmp_path):
    from ingest.build import config_problems

    cfg = {
        "area": {"la_code": LEEDS, "la_name": "Leeds"},
        "system": {"name": "West Yorkshire", "localities": ["E08000032", "E08000033"]},
    }
    assert config_problems(cfg, "ingest.toml", tmp_path) == [
        "ingest.toml [system]: localities — the area's own code E08000035 is not among them"
    ]


def test_an_icb_trend_over_a_month_its_provider_had_no_line_carries_a_caution(tmp_path, monkeypatch):
    """June 2025's workbook has no speech and language therapy line for Leeds Community Healthcare (RY6), one of
    West Yorkshire's providers: West Yorkshire ICB's June figure is its other providers' returns alone. The trend
    says so; the provider's own headline for June says it is not in the publication, where it used to say it "made
    no return" (a locality return's words)."""
    june = {code: v for code, v in SALT.items() if code != "RY6"}
    june["QWO"] = (400, 52, 52, 52, 52, 52, 40, 100, 0)  # 260 of 400 under 18 weeks: 65%
    chs_workbook(tmp_path / "june.xlsx", "June 2025", june)
    chs_workbook(tmp_path / "july.xlsx")
    (tmp_path / "ingest.toml").write_text(
        f"""[area]
la_code = "{LEEDS}"
la_name = "Leeds"
[system]
name = "West Yorkshire"
localities = {WEST_YORKSHIRE!r}
icb = "QWO"
providers = ["RY6", "RXF"]
[sources]
chs = ["june.xlsx", "july.xlsx"]
""".replace("'", '"')
    )
    out = tmp_path / "snapshots"
    assert (
        ingest_main(["build", "--config", str(tmp_path / "ingest.toml"), "--as-at", "2025-11-03", "--out", str(out)])
        == 0
    )
    at = _run("pages/waiting_times.py", monkeypatch, out, officer=True)
    text = unescape(" ".join(m.value for m in at.markdown))
    caution = (
        "Caution: Leeds Community Healthcare NHS Trust has no figures in the publication for June 2025, so West "
        "Yorkshire ICB's figure for that month leaves out its waiting list."
    )
    # July 50% against June 65%, the earliest month loaded in the year before, which had the gap
    assert (
        "West Yorkshire ICB is 3rd of 3 ICBs for speech and language therapy: 50% waiting under 18 weeks in July "
        f"2025, down from 65% in June 2025. {caution}" in text
    )
    captions = unescape(" ".join(c.value for c in at.caption))
    assert f"{caution} Those months are ringed in orange." in captions
    trend = next(d.value for d in at.dataframe if "Caution" in d.value.columns)
    assert trend[["Month", "Caution"]].values.tolist() == [
        ["Jun 2025", "Leaves out Leeds Community Healthcare NHS Trust (no figures that month)"],
        ["Jul 2025", ""],
    ]
    at.session_state["wt_nhs_month"] = at.session_state["wt_nhs_month"].replace(month=6, day=30)
    at.run()
    text = unescape(" ".join(m.value for m in at.markdown))
    assert (
        "Leeds Community Healthcare NHS Trust is not in NHS England's community health services waiting lists for "
        "speech and language therapy in June 2025." in text
    )
    assert "made no return" not in text
    pack = pack_model(open_snapshot(out / "2025-11-03"), None)
    assert pack.waits[0]["headline"].endswith(caution)


def test_an_update_in_the_app_places_a_dfe_indicator_it_adds_as_the_areas_plan_says(tmp_path):
    """Built from the 20-week file alone, with a plan that also places requests; a later upload of the requests
    file adds that indicator under the plan's workstream (the snapshot keeps the plan), not its topic."""
    from ingest.update import prepare, recognise

    (tmp_path / "ingest.toml").write_text(
        f"""[area]\nla_code = "{LEEDS}"\nla_name = "Leeds"\n[sources]\nehcp = ["{FIX / "timeliness_20_week.csv"}"]
[plan]
ehcp_requests = {{ workstream = "AFI1", theme = 1 }}
ehcp_20wk_pct = {{ workstream = "PIP2", target = 70, target_date = 2026-03-31 }}
"""
    )
    out = tmp_path / "snapshots"
    assert (
        ingest_main(["build", "--config", str(tmp_path / "ingest.toml"), "--as-at", "2025-11-03", "--out", str(out)])
        == 0
    )
    base = open_snapshot(out / "2025-11-03")
    assert base.manifest["config"]["plan"]["ehcp_20wk_pct"] == {
        "workstream": "PIP2",
        "target": 70.0,
        "target_date": "2026-03-31",
    }
    upload = recognise("requests.csv", (FIX / "requests.csv").read_bytes())
    plan = prepare(base, [upload], work_dir=tmp_path, as_at="2025-11-10")
    assert not plan.problems, plan.problems
    cat = plan.tables["kpi_catalogue"]
    added = cat.filter(cat["kpi_id"] == "ehcp_requests").row(0, named=True)
    assert (added["workstream"], added["theme"], added["target"]) == ("AFI1", 1, None)
    assert cat.filter(cat["kpi_id"] == "ehcp_requests_assessed_pct")["workstream"].to_list() == ["EHCP_ASSESS"]
