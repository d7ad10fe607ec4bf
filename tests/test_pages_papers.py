"""The board's papers on the Summary page (ui.papers): kept papers are served at once with no build; a missing one
is built by a separate process only when asked, once per pair on a server and at most one per session; the public
are offered, and can only build, the papers a board publishes (a snapshot against the one before it)."""

from __future__ import annotations

import typing

import pytest

import ui.papers
from boardpack import papers
from metrics.snapshot import open_snapshot
from tests.pages_helper import app, with_sign_in

DATES = ("2025-08-31", "2025-09-30", "2025-10-31")


class FakeBuild:
    """Stands in for the build process: records its command line; running until told otherwise."""

    started: typing.ClassVar[list[list[str]]] = []

    def __init__(self, cmd, **kwargs):
        FakeBuild.started.append(cmd)
        FakeBuild.env = kwargs.get("env")
        self.code = None
        self.stderr = None

    def poll(self):
        return self.code


@pytest.fixture
def root(tmp_path, demo_copy, monkeypatch):
    demo_copy(*DATES)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(tmp_path))
    monkeypatch.setattr(ui.papers, "_spawn", FakeBuild)
    monkeypatch.setattr(ui.papers, "_JOBS", {})
    FakeBuild.started = []
    return tmp_path


def keep(root, snap_id: str, compare_id: str | None) -> None:
    snap = open_snapshot(root / snap_id)
    compare = open_snapshot(root / compare_id) if compare_id else None
    for kind in papers.KINDS:
        papers.write(root, snap, compare, kind, f"{kind} of {snap_id} against {compare_id}".encode(), key=None)


def buttons(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button") if "board" in b.proto.label]


def test_kept_papers_are_served_at_once(root, monkeypatch):
    keep(root, "2025-10-31", "2025-09-30")
    served = []
    real = papers.read
    monkeypatch.setattr(papers, "read", lambda *a, **k: served.append(real(*a, **k)) or served[-1])
    at = app().run()
    assert not at.exception
    assert buttons(at) == ["Download board pack (PDF)", "Download board slides (PowerPoint)"]
    assert served == [b"pdf of 2025-10-31 against 2025-09-30", b"pptx of 2025-10-31 against 2025-09-30"]
    assert not [b for b in at.button if b.key == "prepare_papers"] and FakeBuild.started == []


def test_an_officer_asks_for_papers_not_kept_and_they_appear_when_built(root):
    at = app(as_at="2025-10-31", compare="2025-08-31").run()
    assert buttons(at) == [] and FakeBuild.started == []  # nothing is built until asked
    assert "have not been prepared yet" in " ".join(c.value for c in at.caption)
    at.button(key="prepare_papers").click().run()
    assert len(FakeBuild.started) == 1
    assert FakeBuild.started[0][-6:] == ["--root", str(root), "--snapshot", "2025-10-31", "--compare", "2025-08-31"]
    assert any("Preparing the board papers for 31 October 2025 against 31 August 2025" in i.value for i in at.info)
    at.run()  # checking back while it runs starts nothing more
    assert len(FakeBuild.started) == 1
    keep(root, "2025-10-31", "2025-08-31")  # the build finishes
    at.run()
    assert buttons(at) == ["Download board pack (PDF)", "Download board slides (PowerPoint)"]
    assert "_papers_pending" not in at.session_state


def test_a_session_waits_for_one_build_at_a_time(root):
    at = app(as_at="2025-10-31", compare="2025-08-31").run()
    at.button(key="prepare_papers").click().run()
    at.selectbox(key="g_compare").set_value("2025-09-30").run()  # another comparison while the first builds
    assert any("another comparison are still being prepared" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "prepare_papers"] and len(FakeBuild.started) == 1


def test_the_same_pair_is_built_once_on_a_server(root):
    assert ui.papers.start_build(root, "2025-10-31", "2025-09-30")
    assert ui.papers.start_build(root, "2025-10-31", "2025-09-30")  # a second session asks: the first build serves
    assert len(FakeBuild.started) == 1
    ui.papers.start_build(root, "2025-09-30", "2025-08-31")
    assert len(FakeBuild.started) == 2


def test_a_failed_build_is_reported_not_retried_in_a_loop(root):
    at = app(as_at="2025-10-31", compare="2025-08-31").run()
    at.button(key="prepare_papers").click().run()
    next(iter(ui.papers._JOBS.values())).code = 1
    at.run()
    assert any("could not be built" in e.value for e in at.error)
    assert "_papers_pending" not in at.session_state and len(FakeBuild.started) == 1


def test_the_public_get_the_published_papers_whatever_the_comparison_chosen(root):
    at = with_sign_in(app(as_at="2025-10-31", compare="2025-08-31")).run()
    assert not at.exception
    at.button(key="prepare_papers").click().run()
    # the published papers compare 31 October with the snapshot before it (30 September), not the one on screen
    assert FakeBuild.started[0][-2:] == ["--compare", "2025-09-30"]
    keep(root, "2025-10-31", "2025-09-30")
    at.run()
    assert buttons(at) == ["Download board pack (PDF)", "Download board slides (PowerPoint)"]
    assert "compare 31 October 2025 against 30 September 2025, as published" in " ".join(c.value for c in at.caption)


def test_a_build_that_leaves_nothing_servable_is_reported(root):
    at = app(as_at="2025-10-31", compare="2025-08-31").run()
    at.button(key="prepare_papers").click().run()
    next(iter(ui.papers._JOBS.values())).code = 0  # it ended, but kept nothing this server can read back
    at.run()
    assert any("could not be built" in e.value for e in at.error)


def test_the_build_checks_and_seals_with_the_apps_own_key(root, monkeypatch):
    """The key from the app's secrets (whatever file they came from) is handed to the build in its environment,
    never on its command line."""
    monkeypatch.delenv("SEND_SNAPSHOT_KEY", raising=False)
    monkeypatch.setattr(ui.papers.snapshots, "snapshot_key", lambda: b"the-apps-key")
    assert ui.papers.start_build(root, "2025-10-31", "2025-09-30")
    assert FakeBuild.env["SEND_SNAPSHOT_KEY"] == "the-apps-key"
    assert not any("the-apps-key" in part for part in FakeBuild.started[0])
