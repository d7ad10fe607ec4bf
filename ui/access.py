"""Who is looking, decided on the server: the role comes from the signed-in identity (`st.user`, set by Streamlit's
own OpenID Connect sign-in) and the officers' list in the secrets file, never from the URL or a widget.

Two roles. An *officer* (on the `[officers]` list, or the single local user when sign-in is not configured) sees
exact figures. Everyone else — not signed in, signed in but not on the list, or any session while sign-in is
misconfigured — gets the *public* view: disclosure control on every figure below local-authority level.

The decision itself (`decide`, `is_officer`, `auth_problems`) is pure and takes plain mappings, so it is tested
without Streamlit; `current()` is the one place that reads `st.user` and `st.secrets`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

LOG = logging.getLogger(__name__)

AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
OFFICER, PUBLIC = "officer", "public"
# Whether sign-in is configured: "off" (no [auth]: a person's own local tool), "on", or "broken" (an [auth] that
# cannot work; the public view is shown, never the officer view).
SIGNIN_OFF, SIGNIN_ON, SIGNIN_BROKEN = "off", "on", "broken"


@dataclass(frozen=True)
class Access:
    role: str  # OFFICER or PUBLIC
    signin: str  # SIGNIN_OFF, SIGNIN_ON or SIGNIN_BROKEN
    signed_in: bool = False
    name: str = ""
    email: str = ""
    problem: str = ""  # why sign-in is broken, in plain English (no secrets in it)
    metadata_url: str = ""  # the identity provider's OpenID configuration (not a secret)

    @property
    def officer(self) -> bool:
        return self.role == OFFICER

    @property
    def publisher(self) -> dict[str, str]:
        """Who to record as publishing a snapshot: the signed-in officer, or "local user"."""
        if self.signed_in:
            return {"name": self.name or self.email, "email": self.email}
        return {"name": "local user", "email": ""}


def _strings(value: Any) -> list[str]:
    """A list of non-empty strings from a TOML value that should be a list of strings (a lone string is accepted)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return [v.strip().lower() for v in value if isinstance(v, str) and v.strip()]


def _verified(user: Mapping[str, Any]) -> bool:
    """False only when the provider says the email is not verified (absent means the provider does not say)."""
    flag = user.get("email_verified", True)
    if isinstance(flag, str):
        return flag.strip().lower() not in ("false", "0", "no")
    return flag is not False and flag != 0


def is_officer(user: Mapping[str, Any], officers: Mapping[str, Any] | None) -> bool:
    """Whether a signed-in identity is on the officers' list: its email, compared case-insensitively, is one of
    `officers.emails` or its domain (after the last @, exactly, no subdomains) one of `officers.domains`. A missing,
    malformed or provider-unverified email is never an officer; an empty or missing list has no officers."""
    if not user.get("is_logged_in") or not officers:
        return False
    email = user.get("email")
    if not isinstance(email, str) or not _verified(user):
        return False
    email = email.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return False
    emails = set(_strings(officers.get("emails")))
    domains = {d.lstrip("@") for d in _strings(officers.get("domains"))}
    return email in emails or domain in domains


def auth_problems(auth: Any) -> list[str]:
    """What is wrong with an `[auth]` block, in plain English; empty when it can work. Values are never quoted, as
    some of them are secrets."""
    if not isinstance(auth, Mapping):
        return ["[auth] in the secrets file is not a table of settings"]
    problems = [f"[auth] has no {k}" for k in AUTH_KEYS if not isinstance(auth.get(k), str) or not auth.get(k)]
    redirect = auth.get("redirect_uri")
    if isinstance(redirect, str) and redirect and not redirect.rstrip("/").endswith("/oauth2callback"):
        problems.append("[auth] redirect_uri must end with /oauth2callback")
    metadata = auth.get("server_metadata_url")
    if isinstance(metadata, str) and metadata and urlparse(metadata).scheme not in ("http", "https"):
        problems.append("[auth] server_metadata_url must be an http or https address")
    secret = auth.get("cookie_secret")
    if isinstance(secret, str) and secret and len(secret) < 32:
        problems.append("[auth] cookie_secret must be at least 32 characters long")
    return problems


def decide(user: Mapping[str, Any], secrets: Mapping[str, Any] | None, *, secrets_error: str = "") -> Access:
    """The role for one session from its `st.user` claims and the secrets (`[auth]`, `[officers]`).

    No `[auth]` (and a readable secrets file, or none): the local officer. An `[auth]` that cannot work, or a
    secrets file that cannot be read: the public view with the problem. Otherwise officer only when on the list."""
    if secrets_error:
        return Access(PUBLIC, SIGNIN_BROKEN, problem=secrets_error)
    secrets = secrets or {}
    if "auth" not in secrets:
        return Access(OFFICER, SIGNIN_OFF)
    problems = auth_problems(secrets.get("auth"))
    if problems:
        return Access(PUBLIC, SIGNIN_BROKEN, problem="; ".join(problems))
    signed_in = bool(user.get("is_logged_in"))
    name = user.get("name") if isinstance(user.get("name"), str) else ""
    email = user.get("email") if isinstance(user.get("email"), str) else ""
    officers = secrets.get("officers")
    role = OFFICER if is_officer(user, officers if isinstance(officers, Mapping) else None) else PUBLIC
    metadata_url = secrets["auth"]["server_metadata_url"]
    return Access(role, SIGNIN_ON, signed_in=signed_in, name=name, email=email, metadata_url=metadata_url)


def current() -> Access:
    """The role of the session running now (reads `st.user` and `st.secrets`; never the URL or a widget)."""
    import streamlit as st
    from streamlit.errors import StreamlitSecretNotFoundError

    try:
        secrets = st.secrets.to_dict()
        error = ""
    except StreamlitSecretNotFoundError as exc:
        # No secrets file at all is the local case; a file that exists but does not parse is an error.
        missing = getattr(exc, "error_id", "") == "no-secrets-found"
        secrets, error = None, ("" if missing else "the secrets file could not be read")
        if error:
            LOG.error("Secrets file could not be read: %s", exc)
    except Exception as exc:  # a malformed file must never fall back to the officer view
        LOG.error("Secrets file could not be read: %s", exc)
        secrets, error = None, "the secrets file could not be read"
    try:
        user = st.user.to_dict()
    except Exception:  # no sign-in machinery in this run (e.g. AppTest without a user)
        user = {}
    access = decide(user, secrets, secrets_error=error)
    if access.signin == SIGNIN_BROKEN:
        LOG.warning("Sign-in is misconfigured; showing the public view: %s", access.problem)
    return access
