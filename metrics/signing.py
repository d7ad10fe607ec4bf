"""The snapshot signing key and the signatures made with it: the one place every reader and writer gets the key.

The key is $SEND_SNAPSHOT_KEY, else `[snapshots] key` in the secrets; in a deployment of several areas (see
metrics.deployment) an area's own `[areas.<code>] key` comes first for that area's snapshots. Which area: the app
names the one its session is showing (`use_area`), the command line the one in $SEND_AREA. Which secrets: the app hands over its own once
(`use_secrets`: Streamlit's, read from whichever files `--secrets.files` names), so the app's checks, its Publish
button and its board pack all use one key; the command line reads the user's and then the project's
`.streamlit/secrets.toml`, merged as Streamlit merges them by default.

Fail closed: a secrets file that cannot be parsed, or a `[snapshots]` block that cannot be used, raises
SigningKeyError — never "no key", which would quietly switch every signature check off.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

KEY_ENV = "SEND_SNAPSHOT_KEY"
AREA_ENV = "SEND_AREA"  # on the command line: the area whose `[areas.<code>] key` signs and checks
SIGNATURE_PREFIX = "hmac-sha256:"
# What a signed index is prefixed with before its HMAC, so a manifest's signature can never pass as an index's.
INDEX_DOMAIN = b"send-dashboard published-snapshots index\n"
# Streamlit's default secrets files, in its order (a later file's sections win).
SECRETS_FILES = (
    Path.home() / ".streamlit" / "secrets.toml",
    Path(__file__).resolve().parents[1] / ".streamlit" / "secrets.toml",
)


class SigningKeyError(Exception):
    """Whether snapshots are signed cannot be known (the secrets cannot be read, or `[snapshots]` is unusable). The
    message is plain English and never holds a secret."""


_source: Callable[[], Mapping[str, Any]] | None = None
_area: Callable[[], str | None] | None = None


def use_secrets(source: Callable[[], Mapping[str, Any]] | None) -> None:
    """Make `source` where the secrets come from in this process (the app's Streamlit secrets); None: the files."""
    global _source
    _source = source


def use_area(source: Callable[[], str | None] | None) -> None:
    """Make `source` tell which area's snapshots this process is reading or writing now (the app: the session's
    area); None: $SEND_AREA."""
    global _area
    _area = source


def current_area() -> str:
    """The GSS code of the area being read or written now, or "" (one area, or none chosen)."""
    code = _area() if _area is not None else None
    return code or os.environ.get(AREA_ENV, "").strip()


def unreadable(detail: str, name: str = "the secrets file") -> str:
    """The plain-English problem for a secrets file that does not parse: where, never what (a value may be secret)."""
    at = re.search(r"line (\d+), column (\d+)", detail)
    where = f" (line {at.group(1)}, column {at.group(2)})" if at else ""
    return f"{name} cannot be read: it is not valid TOML{where}"


def read_secrets_files(files: tuple[Path, ...] | None = None) -> dict[str, Any]:
    """The secrets from `files` (default SECRETS_FILES) merged section by section; {} when none exists."""
    merged: dict[str, Any] = {}
    for file in files or SECRETS_FILES:
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningKeyError(f"the secrets file {file.name} cannot be read ({type(exc).__name__})") from exc
        try:
            merged.update(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise SigningKeyError(unreadable(str(exc), f"the secrets file {file.name}")) from exc
    return merged


def _looks_like(name: str, word: str) -> bool:
    """A near miss of a section name: other capitals, a letter out, a letter swapped."""
    return bool(difflib.get_close_matches(name.strip().lower(), [word], n=1, cutoff=0.8))


def key_problems(secrets: Mapping[str, Any]) -> list[str]:
    """Why the secrets do not say clearly whether (and with what) snapshots are signed; empty when they do."""
    problems = []
    for name in secrets:
        if isinstance(name, str) and name != "snapshots" and _looks_like(name, "snapshots"):
            problems.append(f"[{name}] is not a section this dashboard reads (the signing key goes under [snapshots])")
    if "key" in secrets:
        problems.append("key is outside any section (the signing key goes under [snapshots])")
    problems += _area_key_problems(secrets.get("areas"))
    block = secrets.get("snapshots")
    if block is None:
        return problems
    if not isinstance(block, Mapping):
        return [*problems, "[snapshots] in the secrets file is not a table of settings"]
    unknown = sorted(str(k) for k in block if k != "key")
    if unknown:
        problems.append(f"[snapshots] has {', '.join(unknown)}, which this dashboard does not read (the key is 'key')")
    key = block.get("key")
    if not isinstance(key, str) or not key.strip():
        problems.append("[snapshots] has no key (a non-empty string)")
    return problems


def _area_key_problems(areas: Any) -> list[str]:
    """Any `[areas.<code>]` block that leaves its area's key unclear: a key that is not a non-empty string, or a
    setting this dashboard does not read (a misspelt `kee` must never pass for "no key of its own")."""
    from metrics.deployment import AREA_KEYS

    if areas is None:
        return []
    if not isinstance(areas, Mapping):
        return ["[areas] in the secrets file is not a table of areas"]
    problems = []
    for code, block in areas.items():
        if not isinstance(block, Mapping):
            continue  # named by metrics.deployment; it holds no key
        where = f"[areas.{str(code)[:40]}]"
        unknown = sorted(str(k) for k in block if k not in AREA_KEYS)
        if unknown:
            problems.append(f"{where} has {', '.join(unknown)}, which this dashboard does not read")
        key = block.get("key")
        if key is not None and (not isinstance(key, str) or not key.strip()):
            problems.append(f"{where} key must be a non-empty string")
    return problems


def snapshot_key(area: str | None = None) -> bytes | None:
    """The key every snapshot is signed and checked with: for an area of a deployment of several (`area`, else the
    one being shown: `current_area`) its own `[areas.<code>] key` when it has one; else $SEND_SNAPSHOT_KEY, else
    `[snapshots] key` in the secrets; None when none is set (snapshots are then unsigned, and the Data and methods
    page says so). Raises SigningKeyError when the secrets cannot be read or a key's setting cannot be used."""
    code = current_area() if area is None else area
    secrets = None
    if code:
        secrets = _source() if _source is not None else read_secrets_files()
        problems = key_problems(secrets)
        if problems:
            raise SigningKeyError("; ".join(problems))
        areas = secrets.get("areas")
        block = areas.get(code) if isinstance(areas, Mapping) else None
        if isinstance(block, Mapping) and isinstance(block.get("key"), str):
            return block["key"].encode("utf-8")
    env = os.environ.get(KEY_ENV, "")
    if env:
        return env.encode("utf-8")
    if secrets is None:
        secrets = _source() if _source is not None else read_secrets_files()
    problems = key_problems(secrets)
    if problems:
        raise SigningKeyError("; ".join(problems))
    block = secrets.get("snapshots")
    return block["key"].encode("utf-8") if isinstance(block, Mapping) else None


def canonical(document: Mapping[str, Any]) -> bytes:
    """A document as signed: every field but the signature, as sorted, compact UTF-8 JSON."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(manifest: Mapping[str, Any], key: bytes) -> str:
    """A manifest's signature: HMAC-SHA256 of its canonical JSON (covering the demo flag, sources, every hash)."""
    return SIGNATURE_PREFIX + hmac.new(key, canonical(manifest), hashlib.sha256).hexdigest()


def sign_index(index: Mapping[str, Any], key: bytes) -> str:
    """The signature of the index of published snapshots (HMAC-SHA256, kept apart from manifests' by a prefix)."""
    return SIGNATURE_PREFIX + hmac.new(key, INDEX_DOMAIN + canonical(index), hashlib.sha256).hexdigest()


def matches(signature: Any, expected: str) -> bool:
    """Whether a signature read from a file is the expected one (compared in constant time)."""
    return isinstance(signature, str) and hmac.compare_digest(signature.encode("utf-8"), expected.encode("utf-8"))
