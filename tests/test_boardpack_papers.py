"""The board's papers kept with the snapshots (boardpack.papers): read back exactly as written, never served when
their bytes, record or signing key do not match, named so that a replaced snapshot never serves old papers, and
built once by `python -m boardpack --prebuild`."""

from __future__ import annotations

import json
import shutil

import pytest

from boardpack import papers
from boardpack.__main__ import main
from metrics.snapshot import open_snapshot


@pytest.fixture
def pair(demo_root):
    return open_snapshot(demo_root / "2025-10-31"), open_snapshot(demo_root / "2025-09-30")


def test_a_written_paper_reads_back_exactly(tmp_path, pair):
    snap, compare = pair
    path = papers.write(tmp_path, snap, compare, "pdf", b"%PDF-1.7 pack", key=None)
    assert path.parent.name == ".papers" and path.name.startswith("2025-10-31_vs_2025-09-30_")
    assert papers.read(tmp_path, snap, compare, "pdf", key=None) == b"%PDF-1.7 pack"
    assert papers.read(tmp_path, snap, compare, "pptx", key=None) is None  # not built
    assert papers.read(tmp_path, snap, None, "pdf", key=None) is None  # another pair
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_a_changed_file_or_record_is_never_served(tmp_path, pair):
    snap, compare = pair
    path = papers.write(tmp_path, snap, compare, "pdf", b"%PDF-1.7 pack", key=None)
    path.write_bytes(b"%PDF-1.7 pack, edited")
    assert papers.read(tmp_path, snap, compare, "pdf", key=None) is None
    papers.write(tmp_path, snap, compare, "pdf", b"%PDF-1.7 pack", key=None)
    record = path.with_name(path.name + ".json")
    record.write_text(json.dumps({**json.loads(record.read_text()), "sha256": "0" * 64}))
    assert papers.read(tmp_path, snap, compare, "pdf", key=None) is None
    record.unlink()
    assert papers.read(tmp_path, snap, compare, "pdf", key=None) is None


def test_with_a_key_a_paper_must_be_sealed_with_that_key(tmp_path, pair):
    snap, compare = pair
    papers.write(tmp_path, snap, compare, "pptx", b"deck", key=b"board-key")
    assert papers.read(tmp_path, snap, compare, "pptx", key=b"board-key") == b"deck"
    assert papers.read(tmp_path, snap, compare, "pptx", key=b"another-key") is None
    assert papers.read(tmp_path, snap, compare, "pptx", key=None) is None  # sealed, but no key to check it with
    papers.write(tmp_path, snap, compare, "pptx", b"deck", key=None)  # written unsealed...
    assert papers.read(tmp_path, snap, compare, "pptx", key=b"board-key") is None  # ...not served once a key is set


def test_a_replaced_snapshot_gets_new_papers(tmp_path, demo_root, pair):
    snap, compare = pair
    copy = tmp_path / "2025-10-31"
    shutil.copytree(demo_root / "2025-10-31", copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["notes"] = [*manifest.get("notes", []), "replaced"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    replaced = open_snapshot(copy)
    assert papers.paper_path(tmp_path, replaced, compare, "pdf") != papers.paper_path(tmp_path, snap, compare, "pdf")


def test_prebuild_builds_each_paper_once(tmp_path, pair, monkeypatch):
    snap, compare = pair
    built = []
    monkeypatch.setattr(papers, "build", lambda s, c, kind, key: built.append(kind) or f"{kind} bytes".encode())
    first = papers.prebuild(tmp_path, snap, compare, key=None)
    again = papers.prebuild(tmp_path, snap, compare, key=None)
    assert built == ["pdf", "pptx"] and first == again
    assert papers.read(tmp_path, snap, compare, "pptx", key=None) == b"pptx bytes"


def test_the_command_prebuilds_the_newest_against_the_one_before(tmp_path, demo_copy, monkeypatch, capsys):
    demo_copy("2025-09-30", "2025-10-31")
    monkeypatch.delenv("SEND_SNAPSHOT_KEY", raising=False)
    monkeypatch.setattr("metrics.signing.SECRETS_FILES", ())
    assert main(["--prebuild", "--root", str(tmp_path)]) == 0
    assert "board papers for 2025-10-31 against 2025-09-30 ready (pdf, pptx)" in capsys.readouterr().out
    snap, compare = open_snapshot(tmp_path / "2025-10-31"), open_snapshot(tmp_path / "2025-09-30")
    pdf = papers.read(tmp_path, snap, compare, "pdf", key=None)
    pptx = papers.read(tmp_path, snap, compare, "pptx", key=None)
    assert pdf.startswith(b"%PDF") and pptx.startswith(b"PK")
    assert main(["--prebuild", "--root", str(tmp_path), "--snapshot", "2024-01-31"]) == 1
