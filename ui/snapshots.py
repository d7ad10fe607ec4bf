"""Verified snapshot handles for the app, and its one cache. A snapshot is opened and verified once per
fingerprint (its files' sizes, times and inodes, the signed index beside it and the signing key in force), so a
changed file is never served from an old handle; `cached` keys every cached query on those same fingerprints. The
run lock lets one page run (or fragment rerun) compute at a time per server."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import NamedTuple

import streamlit as st

from metrics import signing
from metrics.schema import TABLES
from metrics.snapshot import INDEX_FILE, Snapshot, SnapshotError, open_snapshot

LOG = logging.getLogger(__name__)
RUN_LOCK = threading.RLock()  # held by a script run (app.py) and by a fragment's rerun: one at a time per server


def _streamlit_secrets() -> dict:
    """The app's secrets as Streamlit read them (whichever files `--secrets.files` names); {} when there is no
    secrets file. A file that does not parse raises SigningKeyError: never read as "no key"."""
    from streamlit.errors import StreamlitSecretNotFoundError

    try:
        return st.secrets.to_dict()
    except StreamlitSecretNotFoundError as exc:
        if getattr(exc, "error_id", "") == "no-secrets-found":
            return {}
        LOG.error("Secrets file could not be read: %s", exc)
        raise signing.SigningKeyError(signing.unreadable(str(exc))) from exc
    except Exception as exc:
        LOG.error("Secrets file could not be read: %s", exc)
        raise signing.SigningKeyError("the secrets file cannot be read") from exc


# Every reader and writer in this process (the checks, Publish, the board pack) gets the key from the app's secrets.
signing.use_secrets(_streamlit_secrets)


def key_problem() -> str:
    """Why no snapshot can be checked ("" when the key, or the lack of one, is clear): see metrics.signing."""
    try:
        signing.snapshot_key()
    except signing.SigningKeyError as exc:
        return str(exc)
    return ""


def snapshot_key() -> bytes | None:
    """The snapshot signing key (None: unsigned); raises SnapshotError when it cannot be known (fail closed)."""
    try:
        return signing.snapshot_key()
    except signing.SigningKeyError as exc:
        raise SnapshotError(f"no snapshot can be checked: {exc}") from exc


SNAPSHOT_FILES = ("manifest.json", *[f"{t}.parquet" for t in TABLES])
# One look at a snapshot's files per script run: a page asks for its data many times in a run, so the fingerprints
# are worked out once a run (app.py calls new_run first) and reused until the next run of that session.
_RUN_FINGERPRINTS: dict[str, dict[str, str]] = {}


def new_run() -> None:
    """Start this session's run afresh: the next fingerprint of each snapshot looks at its files again."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        if len(_RUN_FINGERPRINTS) > 2048:  # sessions that have gone: forget them all, they are cheap to redo
            _RUN_FINGERPRINTS.clear()
        _RUN_FINGERPRINTS[ctx.session_id] = {}


def fingerprint(path: Path | str) -> str:
    """Sizes, modification times and inodes of a snapshot's files and of the signed index beside it, and which
    signing key is in force: cheap, and changes whenever a file, the index or the key does, so a cached handle is
    never reused after any of them changes. Worked out once per snapshot per run of a session (see new_run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    memo = _RUN_FINGERPRINTS.get(ctx.session_id) if ctx is not None else None
    folder = os.fspath(path)
    if memo is not None and folder in memo:
        return memo[folder]
    try:
        key = signing.snapshot_key()
        parts = [f"key:{hashlib.sha256(key).hexdigest()[:16] if key else ''}"]
    except signing.SigningKeyError as exc:
        parts = [f"key-problem:{exc}"]
    # the folder's files, and the signed index beside it, which says whether the folder is the published one
    for file in (
        *[os.path.join(folder, name) for name in SNAPSHOT_FILES],
        os.path.join(os.path.dirname(os.path.normpath(folder)), INDEX_FILE),
    ):
        try:
            s = os.stat(file)
            parts.append(f"{os.path.basename(file)}:{s.st_size}:{s.st_mtime_ns}:{s.st_ino}")
        except FileNotFoundError:
            parts.append(f"{os.path.basename(file)}:missing")
    value = "|".join(parts)
    if memo is not None:
        memo[folder] = value
    return value


@st.cache_resource(max_entries=16, show_spinner=False)
def _open(path: str, fp: str) -> Snapshot:
    return open_snapshot(path, key=snapshot_key())


@st.cache_data(max_entries=64, show_spinner=False)
def _verdict(path: str, fp: str) -> str:
    try:
        _open(path, fp)
        return ""
    except SnapshotError as exc:
        LOG.warning("Snapshot at %s refused: %s", path, exc)  # the server log gets the full path
        return str(exc)


def verdict(path: Path | str) -> str:
    """Why the snapshot at `path` cannot be shown ("" when it verifies); the outcome is cached per fingerprint."""
    return _verdict(str(path), fingerprint(path))


def snapshot(path: Path | str) -> Snapshot:
    """The verified snapshot at `path`; raises SnapshotError naming the file when it cannot be trusted."""
    return _open(str(path), fingerprint(path))


class _Ref(NamedTuple):
    """A snapshot as a cache key: its folder and fingerprint (small, hashable, changes with any of its files)."""

    path: str
    fp: str


def _to_key(value):
    if isinstance(value, Snapshot):
        return _Ref(str(value.path), fingerprint(value.path))
    return tuple(value) if isinstance(value, list) else value


def _from_key(value):
    return _open(value.path, value.fp) if isinstance(value, _Ref) else value


def cached(*, max_entries: int, shared: bool = True):
    """Cache a function of snapshots (and None for no compare snapshot) and small arguments (lists are passed on as
    tuples). The cache is keyed on each snapshot's path and fingerprint and the other arguments; the function gets
    the verified snapshots back. `shared`: the result (a Polars frame) is one object shared by every session
    (st.cache_resource); otherwise a copy (st.cache_data: specs, bytes, lists, dicts)."""

    def wrap(fn):
        def run(*args, **kwargs):
            return fn(*map(_from_key, args), **{k: _from_key(v) for k, v in kwargs.items()})

        # Streamlit tells caches apart by the function's module, name and source: every `run` has the same source,
        # so each takes the name of the function it runs.
        run.__module__, run.__name__, run.__qualname__ = fn.__module__, fn.__name__, fn.__qualname__
        store = (st.cache_resource if shared else st.cache_data)(max_entries=max_entries, show_spinner=False)(run)

        @functools.wraps(fn)
        def keyed(*args, **kwargs):
            return store(*map(_to_key, args), **{k: _to_key(v) for k, v in kwargs.items()})

        keyed.clear = store.clear
        return keyed

    return wrap
