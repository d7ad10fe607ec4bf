"""Hardening: snapshots a person or a hostile file could produce (rows 2–6 and 22 of the hardening issue). Each is
refused with a message naming the snapshot and the problem, never a traceback; the app stays up on every page with
any of them beside good snapshots; with a signing key, any edit of a manifest is refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingest.__main__ import main as ingest_main
from ingest.writer import WriteError, write_snapshot
from metrics.snapshot import SnapshotError, open_snapshot, scan_table
from tests.pages_helper import app, registered_pages

AREA = {"la_code": "E08000002", "la_name": "Bury"}


def copy(demo_root: Path, root: Path, name: str, as_name: str | None = None) -> Path:
    return Path(shutil.copytree(demo_root / name, root / (as_name or name)))


def edit_manifest(folder: Path, change) -> None:
    file = folder / "manifest.json"
    manifest = json.loads(file.read_text())
    change(manifest)
    file.write_text(json.dumps(manifest))


# --- rows 2 and 3: the writer refuses dates that are not real or are in the future ---------------------------------


@pytest.mark.parametrize(
    ("as_at", "message"),
    [
        ("2025-02-30", "as_at '2025-02-30' is not a real date written YYYY-MM-DD"),
        ("0000-00-00", "as_at '0000-00-00' is not a real date written YYYY-MM-DD"),
        ("../../etc", "as_at '../../etc' is not a real date written YYYY-MM-DD"),
        ("9999-12-31", "as_at 9999-12-31 is in the future"),
        ("1066-10-14", "as_at 1066-10-14 is before 1900"),
    ],
)
def test_the_writer_refuses_an_impossible_or_future_date(demo_tables, tmp_path, as_at, message):
    with pytest.raises(WriteError) as err:
        write_snapshot(demo_tables, out_root=tmp_path, as_at=as_at, area=AREA, demo=True)
    assert message in str(err.value)
    assert not any(tmp_path.iterdir())  # nothing written


def test_build_with_an_impossible_date_prints_a_problem_not_a_traceback(tmp_path, capsys):
    config = tmp_path / "ingest.toml"
    config.write_text('[area]\nla_code = "E08000002"\nla_name = "Bury"\n')
    assert ingest_main(["build", "--config", str(config), "--as-at", "2025-02-30", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "not a real date" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --- rows 4 and 5: the manifest is schema-checked, tables must be <table>.parquet inside the folder ------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["area"].pop("la_code"), "'area.la_code' must be an English local authority's GSS code"),
        (lambda m: m.update(area="Bury"), "'area' must be an object with la_code and la_name"),
        (lambda m: m["tables"].update(kpi_values="kpi_values.parquet"), "'tables.kpi_values' must be an object"),
        (lambda m: m["tables"]["risks"].update(file=None), "'tables.risks.file' must be exactly risks.parquet"),
        (
            lambda m: m["tables"]["kpi_values"].update(file="../../ext/kpi_values.parquet"),
            "'tables.kpi_values.file' must be exactly kpi_values.parquet, inside the snapshot folder",
        ),
        (
            lambda m: m["tables"]["kpi_values"].update(file="/tmp/kpi_values.parquet"),
            "'tables.kpi_values.file' must be exactly kpi_values.parquet",
        ),
        (lambda m: m["tables"]["risks"].update(rows="6"), "'tables.risks.rows' must be a whole number"),
        (lambda m: m["tables"]["risks"].update(sha256=5), "'tables.risks.sha256' must be 64 hexadecimal characters"),
        (lambda m: m.update(demo="yes"), "'demo' must be true or false"),
        (lambda m: m.update(sources="DfE"), "'sources' must be a list"),
        (lambda m: m.update(sources=[{"name": ["x"]}]), "'sources[0]' must be an object of text and number fields"),
        (lambda m: m.update(schema_version=True), "'schema_version' must be a whole number"),
        (lambda m: m.pop("tables"), "the manifest has no 'tables'"),
        (lambda m: m["tables"].update(extra={}), "unknown table(s) extra"),
    ],
)
def test_a_malformed_manifest_is_refused_by_field(demo_root, tmp_path, capsys, change, message):
    folder = copy(demo_root, tmp_path, "2025-10-31")
    edit_manifest(folder, change)
    with pytest.raises(SnapshotError) as err:
        open_snapshot(folder)
    assert str(err.value).startswith("2025-10-31/manifest.json: ") and message in str(err.value)
    assert ingest_main(["check", str(folder)]) == 1
    printed = capsys.readouterr().err
    assert message in printed and "Traceback" not in printed


def test_a_table_that_is_a_link_to_another_file_is_refused(demo_root, tmp_path):
    folder = copy(demo_root, tmp_path, "2025-10-31")
    outside = tmp_path / "outside.parquet"
    shutil.move(folder / "kpi_values.parquet", outside)
    (folder / "kpi_values.parquet").symlink_to(outside)
    with pytest.raises(SnapshotError, match=r"2025-10-31/kpi_values\.parquet: the table is a link"):
        open_snapshot(folder)


def test_what_was_verified_is_what_is_served_even_if_the_file_changes_afterwards(demo_root, tmp_path):
    folder = copy(demo_root, tmp_path, "2025-10-31")
    snap = open_snapshot(folder)
    before = scan_table(snap, "kpi_values").collect()
    # Swap the file for one with different figures after the check (what a cached handle used to read again).
    changed = before.with_columns(value=pl.col("value") * 0 + 123.0)
    changed.write_parquet(folder / "kpi_values.parquet")
    after = scan_table(snap, "kpi_values").collect()
    assert after.equals(before) and not after.equals(changed)
    with pytest.raises(SnapshotError, match="contents do not match the manifest"):
        open_snapshot(folder)  # and opening it again refuses the swapped file


# --- row 6: signed manifests -----------------------------------------------------------------------------------------

KEY = b"a-board-signing-key-for-tests-0123456789"


@pytest.fixture
def signed(demo_tables, tmp_path):
    return write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True, key=KEY)


def test_a_signed_snapshot_verifies_with_its_key(signed):
    assert json.loads((signed / "manifest.json").read_text())["signature"].startswith("hmac-sha256:")
    assert open_snapshot(signed, key=KEY).signed
    assert not open_snapshot(signed).signed  # without a key the signature is not checked (and not claimed)


def _recompute_sha(folder: Path, table: str, frame: pl.DataFrame) -> None:
    file = folder / f"{table}.parquet"
    frame.write_parquet(file)
    edit_manifest(folder, lambda m: m["tables"][table].update(sha256=hashlib.sha256(file.read_bytes()).hexdigest()))


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: edit_manifest(f, lambda m: m.update(demo=False)),
        lambda f: edit_manifest(f, lambda m: m["sources"].append({"name": "Verified by DfE", "publisher": "DfE"})),
        lambda f: edit_manifest(f, lambda m: m["area"].update(la_name="Elsewhere")),
        lambda f: _recompute_sha(
            f, "kpi_values", pl.read_parquet(f / "kpi_values.parquet").with_columns(value=pl.col("value") + 1)
        ),
        lambda f: edit_manifest(f, lambda m: m.update(signature="hmac-sha256:" + "0" * 64)),
    ],
    ids=["demo flag", "a source", "the area", "a value with its sha256 recomputed", "a forged signature"],
)
def test_with_a_key_any_edit_of_the_manifest_is_refused_by_name(signed, edit, capsys, monkeypatch):
    edit(signed)
    with pytest.raises(SnapshotError) as err:
        open_snapshot(signed, key=KEY)
    assert str(err.value).startswith("2025-10-31/manifest.json: the manifest's signature does not match")
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY.decode())
    assert ingest_main(["check", str(signed)]) == 1
    assert "signature does not match" in capsys.readouterr().err


def test_with_a_key_an_unsigned_snapshot_is_refused(demo_root):
    with pytest.raises(SnapshotError, match="the manifest is not signed"):
        open_snapshot(demo_root / "2025-10-31", key=KEY)


def test_the_app_refuses_unsigned_snapshots_when_a_key_is_configured(demo_root, signed, monkeypatch):
    copy(demo_root, signed.parent, "2025-09-30")  # unsigned, beside the signed one
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(signed.parent))
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY.decode())
    at = app().run()
    assert not at.exception
    assert at.selectbox(key="g_snapshot").options == ["31 October 2025"]
    [box] = [e for e in at.sidebar.expander if "cannot be shown" in e.label]
    assert "the manifest is not signed" in box.markdown[0].value
    at.switch_page("pages/data_methods.py").run()
    assert any("**Signature:** verified" in m.value for m in at.markdown)


def test_without_a_key_data_and_methods_says_snapshots_are_unsigned():
    at = app().run()
    at.switch_page("pages/data_methods.py").run()
    assert any("**Signature:** none. Snapshots are unsigned" in m.value for m in at.markdown)


# --- the app stays up with any one bad folder beside good ones --------------------------------------------------------


@pytest.fixture(scope="module")
def messy_root(demo_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("messy")
    for name in ("2025-09-30", "2025-10-31"):
        copy(demo_root, root, name)
    copy(demo_root, root, "2025-10-31", "2025-02-30")  # not a real date
    copy(demo_root, root, "2025-10-31", "9999-12-31")  # the future
    edit_manifest(copy(demo_root, root, "2025-08-31"), lambda m: m["tables"].update(risks="risks.parquet"))
    edit_manifest(copy(demo_root, root, "2025-07-31"), lambda m: m["area"].pop("la_code"))
    (root / "2025-06-30").mkdir()  # an empty folder
    (root / "notes").mkdir()
    (root / "2025-05-31").symlink_to(root / "2025-10-31")
    (root / "2025-10-31.replaced-20251101T090000").mkdir()  # the writer's own: not listed
    (root / ".tmp-2025-11-30-123").mkdir()
    return root


@pytest.mark.parametrize("page_file", registered_pages())
def test_every_page_runs_with_bad_folders_beside_good_ones(messy_root, monkeypatch, page_file):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(messy_root))
    at = app().run()
    at.switch_page(page_file).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="g_snapshot").options == ["31 October 2025", "30 September 2025"]
    [box] = [e for e in at.sidebar.expander if "cannot be shown" in e.label]
    reasons = {m.value.split("**")[1]: m.value for m in box.markdown}
    assert set(reasons) == {
        "9999\\-12\\-31",
        "2025\\-08\\-31",
        "2025\\-07\\-31",
        "2025\\-06\\-30",
        "2025\\-05\\-31",
        "2025\\-02\\-30",
        "notes",
    }
    assert "dated in the future" in reasons["9999\\-12\\-31"]
    assert "not a date" in reasons["2025\\-02\\-30"] and "not a date" in reasons["notes"]
    assert "link to somewhere else" in reasons["2025\\-05\\-31"]
    assert "manifest\\.json is missing" in reasons["2025\\-06\\-30"]
    assert str(messy_root) not in "\n".join(reasons.values())


def test_check_of_an_oddly_named_folder_prints_a_problem_not_a_traceback(messy_root, capsys):
    assert ingest_main(["check", str(messy_root / "2025-02-30")]) == 1
    err = capsys.readouterr().err
    assert "2025-02-30: the folder's name is not a date written YYYY-MM-DD" in err and "Traceback" not in err


# --- issue 24 item 4: a manifest too large or too deeply nested is one bad folder, never a crash ----------------------


def _nested_manifest(folder: Path, depth: int = 200_000) -> None:
    (folder / "manifest.json").write_text("[" * depth + "]" * depth)  # 400 KB of brackets


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_nested_manifest, "2025-10-31/manifest.json: nested more than 32 levels deep"),
        (
            lambda f: edit_manifest(
                f, lambda m: m.update(notes=[{"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}])
            ),
            "2025-10-31/manifest.json: nested more than 32 levels deep",
        ),
        (
            lambda f: edit_manifest(f, lambda m: m.update(notes=["x" * (1 << 20)])),
            "2025-10-31/manifest.json: larger than 1,048,576 bytes",
        ),
    ],
    ids=["400 KB of brackets", "33 levels inside a field", "over 1 MB"],
)
def test_a_manifest_over_the_caps_is_refused_by_name(demo_root, tmp_path, capsys, damage, message):
    folder = copy(demo_root, tmp_path, "2025-10-31")
    damage(folder)
    with pytest.raises(SnapshotError) as err:
        open_snapshot(folder)
    assert str(err.value).startswith(message)
    assert ingest_main(["check", str(folder)]) == 1
    printed = capsys.readouterr().err
    assert message in printed and "Traceback" not in printed


def test_brackets_inside_strings_do_not_count_towards_the_depth(demo_root, tmp_path):
    folder = copy(demo_root, tmp_path, "2025-10-31")
    edit_manifest(folder, lambda m: m.update(notes=["[" * 100 + "{" * 100]))
    assert open_snapshot(folder).manifest["notes"] == ["[" * 100 + "{" * 100]


def test_the_app_lists_a_deeply_nested_manifest_and_shows_the_others(demo_root, tmp_path, monkeypatch):
    """The 400 KB of brackets raised RecursionError in every page's snapshot list: the whole app was down."""
    copy(demo_root, tmp_path, "2025-09-30")
    _nested_manifest(copy(demo_root, tmp_path, "2025-10-31"))
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(tmp_path))
    for page in ("pages/summary.py", "pages/data_methods.py"):
        at = app().run()
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key="g_snapshot").options == ["30 September 2025"]
        [box] = [e for e in at.sidebar.expander if "cannot be shown" in e.label]
        assert "nested more than 32 levels deep" in box.markdown[0].value


# --- issue 24 item 8: a secrets file that cannot be parsed turns no check off --------------------------------------


@pytest.fixture
def unparsable_secrets(tmp_path, monkeypatch):
    """Streamlit reading a secrets file with a typo (an unclosed string), as `--secrets.files` would give it."""
    import streamlit
    from streamlit import config
    from streamlit.runtime.secrets import Secrets

    file = tmp_path / "secrets.toml"
    file.write_text('[snapshots]\nkey = "a-board-signing-key-for-tests-0123456789\n')
    monkeypatch.setattr(
        config,
        "get_option",
        lambda name, real=config.get_option: [str(file)] if name == "secrets.files" else real(name),
    )
    monkeypatch.setattr(streamlit, "secrets", Secrets())
    monkeypatch.delenv("SEND_SNAPSHOT_KEY", raising=False)
    return file


def test_with_a_secrets_file_that_does_not_parse_no_snapshot_is_served_as_verified(
    demo_root, tmp_path, unparsable_secrets, monkeypatch
):
    """A tampered unsigned snapshot (its demonstration flag removed) used to be served as real, without the
    Demonstration banner, because the typo turned signature checks off. Now nothing is served, and the page says
    why (where the file is wrong, never what it holds)."""
    root = tmp_path / "snapshots"
    edit_manifest(copy(demo_root, root, "2025-10-31"), lambda m: m.update(demo=False))
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    at = app().run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = at.main.error
    assert "**No snapshot can be shown:** the secrets file cannot be read" in error.value
    # line 2 is `key = "` (7 characters), the 40-character key, then the end of the line, where the string is
    # still open: column 7 + 40 + 1 = 48
    assert "line 2, column 48" in error.value and "a-board-signing-key" not in error.value
    assert not at.selectbox and not at.main.markdown  # no snapshot, no figure, no page content
    assert "Sign-in is not working" in at.sidebar.error[0].value  # and nobody is an officer meanwhile


def test_the_command_line_and_the_writer_fail_closed_on_a_secrets_file_that_does_not_parse(
    demo_root, demo_tables, tmp_path, monkeypatch, capsys
):
    import metrics.signing as signing

    bad = tmp_path / "secrets.toml"
    bad.write_text('[snapshots]\nkey = "unclosed\n')
    monkeypatch.setattr(signing, "SECRETS_FILES", (tmp_path / "absent.toml", bad))
    monkeypatch.setattr(signing, "_source", None)  # as on the command line, where no app hands its secrets over
    monkeypatch.delenv("SEND_SNAPSHOT_KEY", raising=False)
    folder = copy(demo_root, tmp_path, "2025-10-31")
    assert ingest_main(["check", str(folder)]) == 1
    assert "no snapshot can be checked: the secrets file secrets.toml cannot be read" in capsys.readouterr().err
    out = tmp_path / "out"
    with pytest.raises(WriteError, match=r"Snapshot not written: the secrets file secrets\.toml cannot be read"):
        write_snapshot(demo_tables, out_root=out, as_at="2025-10-31", area=AREA, demo=True)
    assert not out.exists()


@pytest.mark.parametrize(
    ("secrets", "problem"),
    [
        ({"snapshots": {"kee": "x" * 40}}, "[snapshots] has kee, which this dashboard does not read"),
        ({"snapshots": {"key": ""}}, "[snapshots] has no key"),
        ({"snapshots": "x" * 40}, "[snapshots] in the secrets file is not a table of settings"),
        ({"Snapshots": {"key": "x" * 40}}, "[Snapshots] is not a section this dashboard reads"),
        ({"snapshot": {"key": "x" * 40}}, "[snapshot] is not a section this dashboard reads"),
        ({"key": "x" * 40}, "key is outside any section"),
    ],
)
def test_a_misspelt_signing_key_is_an_error_not_no_key(secrets, problem, monkeypatch):
    import metrics.signing as signing

    monkeypatch.delenv("SEND_SNAPSHOT_KEY", raising=False)
    monkeypatch.setattr(signing, "_source", lambda: secrets)
    with pytest.raises(signing.SigningKeyError) as err:
        signing.snapshot_key()
    assert problem in str(err.value) and "x" * 40 not in str(err.value)


# --- issue 24 item 9: one key for every reader and writer; verified before it is renamed into place -----------------


def test_publishing_in_the_app_signs_with_the_key_from_the_apps_own_secrets(demo_tables, tmp_path, monkeypatch):
    """The key given only to Streamlit (as `--secrets.files` does; here AppTest's secrets) — not in the environment
    nor in the project's secrets file. The writer used to read only those two and wrote an unsigned snapshot, which
    every session then refused."""
    from datetime import date

    monkeypatch.delenv("SEND_SNAPSHOT_KEY", raising=False)
    for as_at in ("2025-09-30", "2025-10-31"):
        write_snapshot(demo_tables, out_root=tmp_path, as_at=as_at, area=AREA, demo=True, key=KEY)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(tmp_path))
    at = app()
    at.secrets["snapshots"] = {"key": KEY.decode()}
    at.run()
    at.switch_page("pages/update_data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.session_state["ed_actions_0"] = {
        "edited_rows": {"0": {"status": "off_track"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Check changes").click().run()
    next(b for b in at.button if b.label == "Publish snapshot").click().run()
    assert not at.exception, [e.value for e in at.exception]
    today = tmp_path / date.today().isoformat()
    manifest = json.loads((today / "manifest.json").read_text())
    assert manifest["signature"].startswith("hmac-sha256:")
    assert open_snapshot(today, key=KEY).signed  # signed with that key, and in the signed index
    assert at.selectbox(key="g_snapshot").value == today.name


def test_a_snapshot_the_readers_would_refuse_is_never_renamed_into_place(demo_tables, tmp_path, monkeypatch):
    """Signed with one key while this process's readers check with another: refused before anyone can see it."""
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY.decode())
    with pytest.raises(WriteError) as err:
        write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True, key=b"another-key")
    assert str(err.value).startswith(
        "Snapshot not written: it would not pass the dashboard's own check: 2025-10-31/manifest.json: the manifest's "
        "signature does not match"
    )
    assert list(tmp_path.iterdir()) == []  # no folder, no temporary, no index
    with pytest.raises(WriteError, match="the manifest is not signed"):
        write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True, key=None)
    assert list(tmp_path.iterdir()) == []


# --- issue 24 item 10: what makes a snapshot current is signed --------------------------------------------------------


def _replaced(root: Path) -> Path:
    [aside] = [p for p in root.iterdir() if ".replaced-" in p.name]
    return aside


def test_a_replaced_snapshot_put_back_is_not_published(demo_tables, tmp_path, monkeypatch, capsys):
    """Its own signature still holds (it was signed when it was current), so it used to verify: a roll-back."""
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY.decode())
    first = write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True, notes=["first"])
    old_digest = hashlib.sha256((first / "manifest.json").read_bytes()).hexdigest()
    write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=False, replace=True)
    assert open_snapshot(first, key=KEY).demo is False
    shutil.move(first, tmp_path / "elsewhere")
    shutil.move(_replaced(tmp_path), first)  # the old one put back by hand
    with pytest.raises(SnapshotError) as err:
        open_snapshot(first, key=KEY)
    assert str(err.value).startswith(
        "2025-10-31: not the published snapshot of 2025-10-31: the signed index of published snapshots names another"
    )
    assert ingest_main(["check", str(first)]) == 1
    assert "not the published snapshot" in capsys.readouterr().err
    # and the one that replaced it names it, under its signature
    replacing = json.loads((tmp_path / "elsewhere" / "manifest.json").read_text())
    assert replacing["replaces"] == {"as_at": "2025-10-31", "manifest_sha256": old_digest}


def test_a_signed_folder_copied_in_is_not_published(demo_tables, tmp_path, monkeypatch):
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY.decode())
    elsewhere = write_snapshot(demo_tables, out_root=tmp_path / "a", as_at="2025-10-31", area=AREA, demo=True)
    write_snapshot(demo_tables, out_root=tmp_path / "b", as_at="2025-09-30", area=AREA, demo=True)
    copied = Path(shutil.copytree(elsewhere, tmp_path / "b" / "2025-10-31"))
    with pytest.raises(SnapshotError, match=r"^2025-10-31: not published: the signed index .* does not list it"):
        open_snapshot(copied, key=KEY)
    assert open_snapshot(tmp_path / "b" / "2025-09-30", key=KEY).signed


def test_an_edited_index_is_refused_and_never_re_signed(demo_tables, tmp_path, monkeypatch):
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY.decode())
    first = write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True)
    write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=False, replace=True)
    aside = _replaced(tmp_path)
    index = json.loads((tmp_path / "index.json").read_text())
    index["published"]["2025-10-31"] = hashlib.sha256((aside / "manifest.json").read_bytes()).hexdigest()
    (tmp_path / "index.json").write_text(json.dumps(index))  # the roll-back written into the index by hand
    shutil.move(first, tmp_path / "elsewhere")
    shutil.move(aside, first)
    with pytest.raises(SnapshotError, match=r"index\.json: the index of published snapshots was changed after it"):
        open_snapshot(first, key=KEY)
    with pytest.raises(WriteError, match=r"index\.json: the index of published snapshots was changed"):
        write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-09-30", area=AREA, demo=True)
    assert not (tmp_path / "2025-09-30").exists()


def test_without_an_index_nothing_signed_is_published_until_it_is_signed(demo_tables, tmp_path, monkeypatch, capsys):
    """Snapshots signed before the index was kept: listed as not published, with the command that publishes them."""
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY.decode())
    folder = write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True)
    (tmp_path / "index.json").unlink()
    shutil.copytree(folder, tmp_path / "2025-09-30")  # a folder that does not verify is left out, with why
    with pytest.raises(SnapshotError, match=r"not shown as published: there is no signed index .* ingest index"):
        open_snapshot(folder, key=KEY)
    assert ingest_main(["index", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "signed the index of published snapshots" in captured.out and "2025-10-31" in captured.out
    assert "2025-09-30/manifest.json: as_at 2025-10-31 does not match the folder name" in captured.err
    assert json.loads((tmp_path / "index.json").read_text())["published"].keys() == {"2025-10-31"}
    assert open_snapshot(folder, key=KEY).signed


def test_the_app_lists_a_rolled_back_folder_as_not_published(demo_tables, tmp_path, monkeypatch):
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY.decode())
    root = tmp_path / "snapshots"
    write_snapshot(demo_tables, out_root=root, as_at="2025-09-30", area=AREA, demo=True)
    first = write_snapshot(demo_tables, out_root=root, as_at="2025-10-31", area=AREA, demo=True)
    write_snapshot(demo_tables, out_root=root, as_at="2025-10-31", area=AREA, demo=True, replace=True)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    at = app().run()
    assert at.selectbox(key="g_snapshot").options == ["31 October 2025", "30 September 2025"]
    shutil.move(first, tmp_path / "elsewhere")
    shutil.move(_replaced(root), first)
    at = app().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="g_snapshot").options == ["30 September 2025"]
    [box] = [e for e in at.sidebar.expander if "cannot be shown" in e.label]
    assert "not the published snapshot of 2025\\-10\\-31" in box.markdown[0].value
