"""One deployment, several areas (issue 28): each area with its own snapshot folder, officers' list and signing key;
the area in the address, a landing page listing them, a deployment of one area opening straight on it; roles per
area (an officer of one area is the public in another); an unknown area, and a snapshot store that cannot be
reached, said plainly on every page.

Two areas are made here from the demonstration's tables with recognisable ward counts (tests/leaks.py): Bury
(E08000002) as it is, and Manchester (E08000003) with the two codes swapped in the indicator and waiting-time rows,
so each area's snapshots hold figures for their own code.
"""

from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import ui.papers
import ui.state
from metrics import deployment, signing
from metrics.snapshot import open_snapshot
from tests.leaks import SCALE, SENTINEL_DATES, exact_ward_counts, sent
from tests.pages_helper import TEST_AUTH, app, page_text, registered_pages, unescape

BURY, MANCHESTER = "E08000002", "E08000003"
NAMES = {BURY: "Bury", MANCHESTER: "Manchester"}
OFFICIAL = "Official – not for publication"
BURY_OFFICER = {
    "is_logged_in": True,
    "email": "data.officer@bury.gov.uk",
    "email_verified": True,
    "name": "Bury officer",
}
AREAS = {
    BURY: {"officers": {"domains": ["bury.gov.uk"]}},
    MANCHESTER: {"officers": {"domains": ["manchester.gov.uk"]}},
}


def area_tables(demo_tables: dict[str, pl.DataFrame], code: str) -> dict[str, pl.DataFrame]:
    """The demonstration's tables with recognisable ward counts, as area `code`'s: Manchester's swap the two codes
    in every row that names an area, so its own figures are under its own code."""
    wd = demo_tables["ward_demand"].with_columns(
        count=pl.when(pl.col("count") > 0).then(pl.col("count") * SCALE + 7).otherwise(pl.col("count")),
        population=pl.col("population") * SCALE,
    )
    tables = {**demo_tables, "ward_demand": wd}
    if code == MANCHESTER:
        swap = {BURY: MANCHESTER, MANCHESTER: BURY}
        for name in ("kpi_values", "waiting_times"):
            tables[name] = tables[name].with_columns(area_code=pl.col("area_code").replace(swap))
    return tables


def write_area(root: Path, demo_tables, code: str, key: str | None = None) -> Path:
    """Both sentinel dates of area `code` in `root` (its own folder), signed with `key` when given."""
    from ingest.writer import write_snapshot

    for as_at in SENTINEL_DATES:
        write_snapshot(
            area_tables(demo_tables, code),
            out_root=root,
            as_at=as_at,
            area={"la_code": code, "la_name": NAMES[code]},
            demo=True,
            key=key,
        )
    return root


@pytest.fixture(scope="module")
def areas_root(tmp_path_factory, demo_tables) -> Path:
    """A snapshot folder of two areas, one folder each, named by its code."""
    root = tmp_path_factory.mktemp("areas")
    for code in (BURY, MANCHESTER):
        write_area(root / code, demo_tables, code)
    return root


def run(root: Path, monkeypatch, page: str | None = None, *, user=None, areas=None, auth=True, **query):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    at = app(**query)
    if auth:
        at.secrets["auth"] = TEST_AUTH
        at.secrets["areas"] = AREAS if areas is None else areas
    if user:
        at.user = user
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def area_links(at) -> list[tuple[str, str]]:
    return [
        (link.proto.label, link.proto.query_string)
        for link in at.get("page_link")
        if "area=" in link.proto.query_string
    ]


def area_notice(at) -> list[str]:
    return [w.value for w in at.warning if "This dashboard has no area" in w.value]


# ── reading the deployment (metrics.deployment) ────────────────────────────────────────────────────────────────────
def test_a_folder_of_snapshots_is_one_area_as_before(tmp_path):
    (tmp_path / "2025-10-31").mkdir()
    found = deployment.read({"officers": {"domains": ["bury.gov.uk"]}}, tmp_path)
    assert not found.several and [a.code for a in found.areas] == [""]
    assert found.areas[0].root == tmp_path and found.areas[0].officers == {"domains": ["bury.gov.uk"]}


def test_one_folder_per_area_makes_several_named_as_the_dfe_names_them(tmp_path):
    for name in (MANCHESTER, BURY, "2025-10-31", "E0800000", ".papers"):  # a short code is not an area
        (tmp_path / name).mkdir()
    (tmp_path / "E08000035").symlink_to(tmp_path / BURY)  # a link is no area folder (say so in [areas] instead)
    found = deployment.read({}, tmp_path)
    assert found.several and found.problems == ()
    assert [(a.code, a.title, a.root) for a in found.areas] == [
        (BURY, "Bury", tmp_path / BURY),
        (MANCHESTER, "Manchester", tmp_path / MANCHESTER),
    ]
    assert found.find("e08000003 ").code == MANCHESTER and found.find("E08000035") is None and found.find(None) is None
    # a date folder left at the top is not shown, and the landing page says why
    assert "(2025-10-31) are not shown" in found.notices[0]


def test_area_blocks_name_each_areas_folder_name_and_officers_and_every_problem_is_listed(tmp_path):
    secrets = {
        "areas": {
            BURY: {"name": "Bury Council", "snapshots": "/srv/bury", "officers": {"domains": ["bury.gov.uk"]}},
            MANCHESTER: {"snapshots": "manchester"},  # relative: read from the snapshot folder
            "E0800002": {},
            "E08000004": {"nmae": "Oldham", "key": "", "officers": "oldham.gov.uk", "snapshots": 3},
        }
    }
    found = deployment.read(secrets, tmp_path)
    areas = {a.code: a for a in found.areas}
    assert areas[BURY].root == Path("/srv/bury") and areas[BURY].title == "Bury Council"
    assert areas[BURY].officers == {"domains": ["bury.gov.uk"]}
    assert areas[MANCHESTER].root == tmp_path / "manchester" and areas[MANCHESTER].officers is None
    assert "E0800002" not in areas
    assert list(found.problems) == [
        "[areas] has 'E0800002', which is not an English local authority's GSS code (E06, E08, E09 or E10 and six "
        "digits, such as E08000002)",
        "[areas.E08000004] has nmae, which this dashboard does not read (did you mean name?)",
        "[areas.E08000004] snapshots must be the path of the area's snapshot folder",
        "[areas.E08000004] key must be a non-empty string",
        "[areas.E08000004] officers must be a table ([areas.E08000004.officers])",
    ]


# ── signing keys per area (metrics.signing) ────────────────────────────────────────────────────────────────────────
def test_an_area_with_its_own_key_is_signed_and_checked_with_it_and_the_others_with_the_deployments(monkeypatch):
    secrets = {"snapshots": {"key": "the-deployment-key"}, "areas": {BURY: {"key": "bury-key"}, MANCHESTER: {}}}
    monkeypatch.delenv(signing.KEY_ENV, raising=False)
    monkeypatch.delenv(signing.AREA_ENV, raising=False)
    monkeypatch.setattr(signing, "_source", lambda: secrets)
    shown = {"area": None}
    monkeypatch.setattr(signing, "_area", lambda: shown["area"])
    assert signing.snapshot_key() == b"the-deployment-key"  # no area chosen
    shown["area"] = BURY
    assert signing.snapshot_key() == b"bury-key"
    shown["area"] = MANCHESTER
    assert signing.snapshot_key() == b"the-deployment-key"
    monkeypatch.setenv(signing.KEY_ENV, "from-the-environment")  # the environment's key is the deployment's
    assert signing.snapshot_key() == b"from-the-environment"
    assert signing.snapshot_key(BURY) == b"bury-key"  # an area's own key is more particular than either
    # the command line names the area in $SEND_AREA
    monkeypatch.setattr(signing, "_area", None)
    monkeypatch.setenv(signing.AREA_ENV, BURY)
    assert signing.snapshot_key() == b"bury-key"


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ({"kee": "bury-key"}, f"[areas.{BURY}] has kee, which this dashboard does not read"),
        ({"key": ""}, f"[areas.{BURY}] key must be a non-empty string"),
        ({"key": 42}, f"[areas.{BURY}] key must be a non-empty string"),
    ],
)
def test_an_area_key_that_cannot_be_used_is_an_error_not_the_deployments_key(block, problem, monkeypatch):
    """A misspelt `kee` would otherwise leave the area on the deployment's key, or on none: unsigned snapshots
    shown as if nothing were wrong."""
    monkeypatch.delenv(signing.KEY_ENV, raising=False)
    monkeypatch.setattr(signing, "_source", lambda: {"areas": {BURY: block}})
    with pytest.raises(signing.SigningKeyError) as err:
        signing.snapshot_key(BURY)
    assert problem in str(err.value)


# ── roles per area (ui.access.decide) ──────────────────────────────────────────────────────────────────────────────
def test_an_officer_of_one_area_is_the_public_in_another(tmp_path):
    from ui.access import OFFICER, PUBLIC, SIGNIN_ON, decide

    secrets = {"auth": TEST_AUTH, "areas": AREAS}
    found = deployment.read(secrets, tmp_path)
    bury, manchester = found.find(BURY), found.find(MANCHESTER)
    in_bury = decide(BURY_OFFICER, secrets, deployment=found, area=bury)
    in_manchester = decide(BURY_OFFICER, secrets, deployment=found, area=manchester)
    on_landing = decide(BURY_OFFICER, secrets, deployment=found, area=None)
    assert (in_bury.role, in_bury.signin, in_bury.area) == (OFFICER, SIGNIN_ON, "Bury")
    assert (in_manchester.role, in_manchester.area) == (PUBLIC, "Manchester")
    assert on_landing.role == PUBLIC  # nobody is an officer of no area


@pytest.mark.parametrize(
    ("secrets", "problem"),
    [
        (
            {"auth": TEST_AUTH, "officers": {"domains": ["bury.gov.uk"]}, "areas": {BURY: {}}},
            "[officers] is for a dashboard of one area: with several areas, list each area's officers under "
            "[areas.<code>.officers]",
        ),
        ({"auth": TEST_AUTH, "areas": {BURY: {}}}, "no area has an officers' list ([areas.<code>.officers])"),
        ({"areas": {BURY: {"officers": {"domains": ["bury.gov.uk"]}}}}, "[auth] is missing"),
        (
            {"auth": TEST_AUTH, "areas": {BURY: {"officers": {"domain": ["bury.gov.uk"]}}}},
            f"[areas.{BURY}.officers] has domain, which this dashboard does not read (did you mean domains?)",
        ),
        ({"areas": {BURY: {"nmae": "Bury"}}}, f"[areas.{BURY}] has nmae"),
    ],
)
def test_an_areas_configuration_that_cannot_work_gives_everyone_the_public_view(tmp_path, secrets, problem):
    from ui.access import PUBLIC, SIGNIN_BROKEN, decide

    found = deployment.read(secrets, tmp_path)
    access = decide(BURY_OFFICER, secrets, deployment=found, area=found.find(BURY))
    assert (access.role, access.signin) == (PUBLIC, SIGNIN_BROKEN)
    assert problem in access.problem


def test_without_sign_in_the_local_user_is_an_officer_of_every_area(tmp_path):
    from ui.access import OFFICER, SIGNIN_OFF, decide

    secrets = {"areas": {BURY: {"name": "Bury"}, MANCHESTER: {}}}
    found = deployment.read(secrets, tmp_path)
    for code in (BURY, MANCHESTER):
        access = decide({}, secrets, deployment=found, area=found.find(code))
        assert (access.role, access.signin) == (OFFICER, SIGNIN_OFF)


# ── the app ────────────────────────────────────────────────────────────────────────────────────────────────────────
def test_several_areas_open_on_a_landing_page_listing_them(areas_root, monkeypatch):
    at = run(areas_root, monkeypatch, auth=False)
    text = page_text(at)
    assert "This dashboard serves 2 areas." in text
    assert area_links(at) == [
        (r"Bury \(E08000002\)", f"area={BURY}"),
        (r"Manchester \(E08000003\)", f"area={MANCHESTER}"),
    ]
    assert not at.selectbox  # no area: nothing read, no controls
    # the link opens the area, and the address keeps it from then on
    at = run(areas_root, monkeypatch, auth=False, area=MANCHESTER)
    assert at.selectbox(key="g_snapshot").value == "2025-10-31"
    assert at.query_params["area"] in (MANCHESTER, [MANCHESTER])
    assert "Manchester" in page_text(at)
    at.switch_page("pages/ward_demand.py").run()  # a page switch's address holds no area: the session keeps it
    assert not at.exception and at.query_params["area"] in (MANCHESTER, [MANCHESTER])


@pytest.mark.parametrize("asked", ["E09999999", "<b>nowhere</b>", ""])
def test_an_unknown_area_in_the_address_gives_the_landing_page_with_a_notice(areas_root, monkeypatch, asked):
    at = run(areas_root, monkeypatch, "pages/ward_demand.py", auth=False, area=asked)
    notices = area_notice(at)
    assert len(notices) == 1 and notices[0].endswith("Choose one of its areas below.")
    assert f"no area \u2018{asked or '(nothing)'}\u2019" in unescape(notices[0])  # named as typed, escaped
    assert "<b>" not in notices[0]  # the address's text is never markup
    assert [q for _, q in area_links(at)] == [f"area={BURY}", f"area={MANCHESTER}"]


def test_a_deployment_of_one_area_opens_straight_on_it_and_refuses_another_in_the_address(
    tmp_path, demo_tables, monkeypatch
):
    write_area(tmp_path / BURY, demo_tables, BURY)
    at = run(tmp_path, monkeypatch, auth=False)
    assert at.selectbox(key="g_snapshot").value == "2025-10-31" and not area_notice(at)
    at = run(tmp_path, monkeypatch, auth=False, area=MANCHESTER)
    assert any("This dashboard has no area" in w.value for w in at.warning)
    assert area_links(at) == [(r"Bury \(E08000002\)", f"area={BURY}")]


def test_the_committed_demonstration_opens_as_before_and_knows_its_own_area(monkeypatch):
    monkeypatch.delenv("SEND_SNAPSHOT_ROOT", raising=False)
    at = app()
    at.run()
    assert not at.exception and not area_notice(at) and "area" not in at.query_params
    at = app(area=BURY)
    at.run()
    assert not area_notice(at) and at.selectbox(key="g_snapshot").value
    at = app(area=MANCHESTER)
    at.run()
    assert any("This dashboard has no area" in w.value for w in at.warning)
    assert area_links(at) == [(r"Bury \(E08000002\)", f"area={BURY}")]


def test_an_officer_of_bury_gets_exact_figures_and_the_update_page_in_bury(areas_root, monkeypatch):
    exact = exact_ward_counts(areas_root / BURY / "2025-10-31")
    at = run(areas_root, monkeypatch, "pages/ward_demand.py", user=BURY_OFFICER, area=BURY, mode="officer")
    text, numbers = sent(at)
    assert len(numbers & exact) >= 17 and OFFICIAL in text
    assert "on the officers' list for Bury" in text
    at.switch_page("pages/update_data.py").run()
    assert not at.exception and "Update data" in [t.value for t in at.title]


def test_an_officer_of_bury_is_refused_manchesters_update_page_and_exact_figures(areas_root, monkeypatch):
    exact = exact_ward_counts(areas_root / MANCHESTER / "2025-10-31")
    at = run(areas_root, monkeypatch, "pages/update_data.py", user=BURY_OFFICER, area=MANCHESTER, mode="officer")
    assert "Update data" not in [t.value for t in at.title]  # sent to the Summary with a notice
    assert any("Updating the data is for signed-in officers" in str(t.value) for t in at.toast) or any(
        "Updating the data is for signed-in officers" in str(i.value) for i in at.info
    )
    at.switch_page("pages/ward_demand.py").run()
    text, numbers = sent(at)
    assert not numbers & exact, sorted(numbers & exact)[:5]
    assert OFFICIAL not in text and not at.sidebar.toggle
    assert "who is not on the officers' list for Manchester: you see its public view" in text


@pytest.mark.parametrize("page_file", registered_pages())
def test_every_page_of_another_area_is_the_public_view_for_an_officer_of_bury(areas_root, monkeypatch, page_file):
    exact = exact_ward_counts(areas_root / MANCHESTER / "2025-10-31")
    at = run(areas_root, monkeypatch, page_file, user=BURY_OFFICER, area=MANCHESTER, mode="officer")
    text, numbers = sent(at)
    assert not numbers & exact, (page_file, sorted(numbers & exact)[:5])
    assert OFFICIAL not in text


def test_moving_to_another_area_starts_the_session_afresh(areas_root, monkeypatch):
    at = run(areas_root, monkeypatch, "pages/update_data.py", auth=False, area=BURY)
    at.session_state["ed_text"] = "A note written for Bury"
    at.session_state[ui.papers.PENDING] = ("2025-10-31", "2025-09-30")  # Bury's papers being built
    at.run()
    assert at.session_state["ed_text"] == "A note written for Bury"
    at.query_params["area"] = MANCHESTER  # a landing page link to Manchester
    at.run()
    assert not at.exception and at.session_state["g_area"] == MANCHESTER
    assert "ed_text" not in at.session_state or at.session_state["ed_text"] == ""
    assert ui.papers.PENDING not in at.session_state


def test_each_area_publishes_into_its_own_folder_signed_with_its_own_key(
    tmp_path, demo_tables, monkeypatch, paper_builds
):
    keys = {BURY: "bury-signing-key-0123456789", MANCHESTER: "manchester-signing-key-0123456789"}
    for code in (BURY, MANCHESTER):
        write_area(tmp_path / code, demo_tables, code, key=keys[code])
    areas = {code: {"key": keys[code], "officers": AREAS[code]["officers"]} for code in keys}
    manchester_officer = {**BURY_OFFICER, "email": "data@manchester.gov.uk", "name": "Manchester officer"}
    at = run(tmp_path, monkeypatch, "pages/update_data.py", user=manchester_officer, areas=areas, area=MANCHESTER)
    assert at.selectbox(key="g_snapshot").value == "2025-10-31"  # checked with Manchester's key
    at.session_state["ed_actions_0"] = {
        "edited_rows": {"0": {"status": "off_track"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Check changes").click().run()
    next(b for b in at.button if b.label == "Publish snapshot").click().run()
    assert not at.exception, [e.value for e in at.exception]
    today = date.today().isoformat()
    assert not (tmp_path / BURY / today).exists()
    snap = open_snapshot(tmp_path / MANCHESTER / today, key=keys[MANCHESTER].encode())
    assert snap.signed and snap.la_code == MANCHESTER
    with pytest.raises(Exception, match="signature"):
        open_snapshot(tmp_path / MANCHESTER / today, key=keys[BURY].encode(), published=False)
    # its board papers are built in Manchester's folder, with Manchester's key
    build = paper_builds[-1]
    assert build.cmd[build.cmd.index("--root") + 1] == str(tmp_path / MANCHESTER)
    assert build.env[signing.KEY_ENV] == keys[MANCHESTER] and signing.AREA_ENV not in build.env


def test_a_snapshot_of_another_area_put_in_an_areas_folder_is_not_shown_as_its_own(areas_root, tmp_path, monkeypatch):
    root = tmp_path / "root"
    shutil.copytree(areas_root / BURY / "2025-09-30", root / BURY / "2025-09-30")
    shutil.copytree(areas_root / MANCHESTER / "2025-10-31", root / BURY / "2025-10-31")  # a whole, valid snapshot
    (root / MANCHESTER).mkdir()
    at = run(root, monkeypatch, auth=False, area=BURY)
    assert at.selectbox(key="g_snapshot").options == ["30 September 2025"]
    folders = "\n".join(e.proto.label for e in at.sidebar.expander) + page_text(at)
    assert "2025-10-31**: it is a snapshot of another area (E08000003), not of E08000002" in folders.replace("\\", "")


@pytest.mark.parametrize("page_file", registered_pages())
def test_a_snapshot_store_that_cannot_be_reached_is_said_on_every_page(tmp_path, monkeypatch, page_file):
    at = run(tmp_path / "not-mounted", monkeypatch, page_file, auth=False)
    said = [e.value for e in at.error]
    assert said and said[0].startswith("**The snapshot store cannot be reached just now:** it is not there")
    assert "No figures can be shown until it can." in said[0]
    assert str(tmp_path) not in " ".join(said)  # never a server path


def test_a_snapshot_store_that_does_not_answer_is_said_within_the_deadline(areas_root, monkeypatch):
    """A network share that has stopped answering hangs whoever reads it: a background probe looks at it, a page
    waits for the probe's first answer at most STORE_DEADLINE seconds, and while the probe is stuck every later page
    says so at once."""
    import time

    released = threading.Event()
    real = ui.state._probe_once

    def hung(root):
        if root.endswith(BURY):
            released.wait(30)
        return real(root)

    monkeypatch.setattr(ui.state, "_probe_once", hung)
    monkeypatch.setattr(ui.state, "STORE_DEADLINE", 0.5)
    monkeypatch.setattr(ui.state, "_PROBES", {})
    try:
        started = time.monotonic()
        at = run(areas_root, monkeypatch, auth=False, area=BURY)
        first = time.monotonic() - started
        assert "**The snapshot store cannot be reached just now:** it has not answered" in at.error[0].value
        started = time.monotonic()
        at.run()  # the probe is still stuck: said at once
        assert time.monotonic() - started < first
        assert "it has not answered" in at.error[0].value
        at = run(areas_root, monkeypatch, auth=False, area=MANCHESTER)  # another area's store answers
        assert not at.error and at.selectbox(key="g_snapshot").value == "2025-10-31"
    finally:
        released.set()


def test_a_store_that_comes_back_is_shown_again_within_seconds(tmp_path, demo_tables, monkeypatch):
    """The probe looks again every PROBE_EVERY seconds: a share mounted again is read at the next click after."""
    import time

    monkeypatch.setattr(ui.state, "PROBE_EVERY", 0.1)
    monkeypatch.setattr(ui.state, "_PROBES", {})
    write_area(tmp_path / BURY, demo_tables, BURY)
    hidden = tmp_path / f".{BURY}"
    (tmp_path / BURY).rename(hidden)
    (tmp_path / BURY).write_text("")  # unmounted: something that is not the folder
    at = run(tmp_path / BURY, monkeypatch, auth=False)
    assert "it is not a folder" in at.error[0].value
    (tmp_path / BURY).unlink()
    hidden.rename(tmp_path / BURY)
    time.sleep(0.5)
    at.run()
    assert not at.error and at.selectbox(key="g_snapshot").value == "2025-10-31"
