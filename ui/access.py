"""Who is looking, decided on the server: the role comes from the signed-in identity (`st.user`, set by Streamlit's
own OpenID Connect sign-in) and the officers' list in the secrets file, never from the URL or a widget.

Two roles. An *officer* (proven to be on the `[officers]` list, or the single local user when sign-in is not
configured) sees exact figures. Everyone else — not signed in, signed in but not on the list, or any session while sign-in is
misconfigured — gets the *public* view: disclosure control on every figure below local-authority level.

The decision itself (`decide`, `is_officer`, `auth_problems`) is pure and takes plain mappings, so it is tested
without Streamlit; `current()` is the one place that reads `st.user` and `st.secrets`.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from metrics.deployment import Area, Deployment
from metrics.signing import unreadable

LOG = logging.getLogger(__name__)

AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
OFFICER_KEYS = ("emails", "domains", "entra_tenant_id", "entra_object_ids")
SECTIONS = ("auth", "officers", "snapshots", "areas")
OFFICER, PUBLIC = "officer", "public"
# Whether sign-in is configured: "off" (neither [auth] nor [officers]: a person's own local tool), "on", or "broken"
# (anything between, or settings that cannot work; the public view is shown, never the officer view).
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
    area: str = ""  # in a deployment of several areas, the name of the area the role is for; "" otherwise

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


def _true(claim: Any) -> bool:
    """A claim that positively says yes: JSON true (or the text "true" / "1", as some providers send). Absent, null,
    false or anything else is not a proof."""
    if claim is True or (type(claim) is int and claim == 1):
        return True
    return isinstance(claim, str) and claim.strip().lower() in ("true", "1")


# One address, one @: a dot-atom local part (no quotes, no spaces, no second @) and a domain of DNS labels. A quoted
# local part ("x@evil.com"@bury.gov.uk) or two @s (x@evil.com@bury.gov.uk) never parses, so never matches a domain.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
ADDRESS = re.compile(rf"^({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+{_LABEL})$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def parse_address(value: Any) -> tuple[str, str] | None:
    """(local part, domain) of an email address, lower case; None unless it is exactly one plain address."""
    if not isinstance(value, str):
        return None
    match = ADDRESS.match(value.strip().lower())
    if not match or len(match.group(0)) > 254:
        return None
    return match.group(1), match.group(2)


def _guid(value: Any) -> str:
    """A GUID (Entra ID's tenant and object ids) in lower case, or "" when the value is not one."""
    return value.strip().lower() if isinstance(value, str) and GUID.match(value.strip().lower()) else ""


def is_officer(user: Mapping[str, Any], officers: Mapping[str, Any] | None) -> bool:
    """Whether a signed-in identity is an officer, on positive proof only.

    With `entra_tenant_id` set (Microsoft Entra ID), the token's `tid` must be that tenant; then an `oid` on
    `entra_object_ids` is an officer, and otherwise the email counts only when `xms_edov` (the tenant has verified the
    email's domain) or `email_verified` is true. Any other provider: the email counts only when `email_verified` is
    true. A counted email is an officer when it is one of `emails` or its domain (exactly, no subdomains) one of
    `domains`, compared without regard to case. Absent or null claims prove nothing."""
    if not user.get("is_logged_in") or not isinstance(officers, Mapping):
        return False
    tenant = _guid(officers.get("entra_tenant_id"))
    if tenant:
        if _guid(user.get("tid")) != tenant:
            return False
        oid = _guid(user.get("oid"))
        if oid and oid in {_guid(o) for o in _strings(officers.get("entra_object_ids"))}:
            return True
        proven = _true(user.get("xms_edov")) or _true(user.get("email_verified"))
    else:
        proven = _true(user.get("email_verified"))
    address = parse_address(user.get("email")) if proven else None
    if address is None:
        return False
    emails = set(_strings(officers.get("emails")))
    domains = {d.lstrip("@") for d in _strings(officers.get("domains"))}
    return "@".join(address) in emails or address[1] in domains


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


def _list_problem(block: Mapping[str, Any], key: str, valid, what: str, where: str) -> list[str]:
    value = block.get(key)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(v, str) and valid(v) for v in items):
        return [f"{where} {key} must be a list of {what}"]
    return []


def officers_problems(officers: Any, where: str = "[officers]") -> list[str]:
    """What is wrong with an `[officers]` block, or an area's `[areas.<code>.officers]` (`where`): a setting misspelt
    would otherwise quietly list nobody."""
    if not isinstance(officers, Mapping):
        return [f"{where} in the secrets file is not a table of settings"]
    problems = []
    for name in officers:
        if name not in OFFICER_KEYS:
            near = difflib.get_close_matches(str(name).lower(), OFFICER_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]}?)" if near else ""
            problems.append(f"{where} has {name}, which this dashboard does not read{hint}")
    problems += _list_problem(officers, "emails", lambda v: parse_address(v) is not None, "email addresses", where)
    problems += _list_problem(
        officers, "domains", lambda v: parse_address(f"x@{v.strip().lstrip('@')}") is not None, "domain names", where
    )
    problems += _list_problem(officers, "entra_object_ids", lambda v: bool(_guid(v)), "object ids (GUIDs)", where)
    tenant = officers.get("entra_tenant_id")
    if tenant is not None and not _guid(tenant):
        problems.append(f"{where} entra_tenant_id must be the tenant's id (a GUID)")
    if officers.get("entra_object_ids") and tenant is None:
        problems.append(f"{where} entra_object_ids needs entra_tenant_id, the tenant they belong to")
    if not any(officers.get(k) for k in ("emails", "domains", "entra_object_ids")):
        problems.append(f"{where} lists nobody: give emails, domains or entra_object_ids")
    return problems


def _officer_lists(secrets: Mapping[str, Any], deployment: Deployment | None) -> tuple[dict[str, Any], list[str]]:
    """Every officers' list the secrets give (by where it is), and what is wrong with the lists as a whole. One area:
    `[officers]`. Several: each area's `[areas.<code>.officers]`, and `[officers]` is an error (whose areas?)."""
    several = deployment is not None and deployment.several
    if not several:
        return ({"[officers]": secrets["officers"]} if "officers" in secrets else {}), []
    problems = list(deployment.problems)
    lists = {f"[areas.{a.code}.officers]": a.officers for a in deployment.areas if a.officers is not None}
    if "officers" in secrets:
        problems.append(
            "[officers] is for a dashboard of one area: with several areas, list each area's officers under "
            "[areas.<code>.officers]"
        )
    return lists, problems


def section_problems(secrets: Mapping[str, Any]) -> list[str]:
    """Sections and settings of the secrets file this dashboard does not read: a misspelt `[Auth]`, or `[auth]`'s
    settings with no heading above them, must never pass for "sign-in not configured". Top-level text values are
    allowed (Streamlit sets them as environment variables)."""
    problems = []
    for name, value in secrets.items():
        if name in SECTIONS:
            continue
        if isinstance(value, Mapping):
            near = difflib.get_close_matches(str(name).strip().lower(), SECTIONS, n=1, cutoff=0.75)
            hint = f" (did you mean [{near[0]}]? section names are lower case)" if near else ""
            problems.append(f"[{name}] is not a section this dashboard reads{hint}")
        elif name in AUTH_KEYS or name in OFFICER_KEYS or name == "key":
            section = "auth" if name in AUTH_KEYS else "officers" if name in OFFICER_KEYS else "snapshots"
            problems.append(f"{name} is outside any section (it belongs under [{section}])")
    return problems


def decide(
    user: Mapping[str, Any],
    secrets: Mapping[str, Any] | None,
    *,
    secrets_error: str = "",
    deployment: Deployment | None = None,
    area: Area | None = None,
) -> Access:
    """The role for one session in one area from its `st.user` claims and the secrets (`[auth]` and the officers'
    lists: `[officers]` for a dashboard of one area, each area's `[areas.<code>.officers]` for several).

    Sign-in is off (the local officer, in every area) only when the secrets configure neither `[auth]` nor any
    officers' list and hold nothing misspelt. Anything between — one without the other, a section or setting this
    dashboard does not read, an `[auth]`, officers' list or area that cannot work, a secrets file that cannot be
    read — is a configuration error: the public view for everyone, with the problem. Otherwise officer only on
    positive proof (is_officer) and only on the list of the area shown: an officer of one area is the public in
    another, and nobody is an officer while no area is chosen."""
    several = deployment is not None and deployment.several
    where = area.title if several and area is not None else ""
    if secrets_error:
        return Access(PUBLIC, SIGNIN_BROKEN, problem=secrets_error, area=where)
    secrets = secrets or {}
    problems = section_problems(secrets)
    lists, list_problems = _officer_lists(secrets, deployment)
    problems += list_problems
    has_auth = "auth" in secrets
    if not problems and not has_auth and not lists:
        return Access(OFFICER, SIGNIN_OFF, area=where)
    if has_auth:
        problems += auth_problems(secrets["auth"])
    else:
        problems.append("[auth] is missing, so nobody can sign in to be checked against the officers' list")
    if lists:
        for place, block in lists.items():
            problems += officers_problems(block, place)
    elif several:
        problems.append("no area has an officers' list ([areas.<code>.officers]), so nobody can be an officer")
    else:
        problems.append("[officers] is missing, so nobody can be an officer")
    if problems:
        return Access(PUBLIC, SIGNIN_BROKEN, problem="; ".join(problems), area=where)
    signed_in = bool(user.get("is_logged_in"))
    name = user.get("name") if isinstance(user.get("name"), str) else ""
    email = user.get("email") if isinstance(user.get("email"), str) else ""
    officers = (area.officers if area is not None else None) if several else secrets["officers"]
    role = OFFICER if officers is not None and is_officer(user, officers) else PUBLIC
    metadata_url = secrets["auth"]["server_metadata_url"]
    return Access(role, SIGNIN_ON, signed_in=signed_in, name=name, email=email, metadata_url=metadata_url, area=where)


def current(deployment: Deployment | None = None, area: Area | None = None) -> Access:
    """The role of the session running now in `area` of `deployment` (reads `st.user` and `st.secrets`; never the
    URL or a widget)."""
    import streamlit as st
    from streamlit.errors import StreamlitSecretNotFoundError

    try:
        secrets = st.secrets.to_dict()
        error = ""
    except StreamlitSecretNotFoundError as exc:
        # No secrets file at all is the local case; a file that exists but does not parse is an error.
        missing = getattr(exc, "error_id", "") == "no-secrets-found"
        secrets, error = None, ("" if missing else unreadable(str(exc)))
        if error:
            LOG.error("Secrets file could not be read: %s", exc)
    except Exception as exc:  # a malformed file must never fall back to the officer view
        LOG.error("Secrets file could not be read: %s", exc)
        secrets, error = None, "the secrets file could not be read"
    try:
        user = st.user.to_dict()
    except Exception:  # no sign-in machinery in this run (e.g. AppTest without a user)
        user = {}
    access = decide(user, secrets, secrets_error=error, deployment=deployment, area=area)
    if access.signin == SIGNIN_BROKEN:
        LOG.warning("Sign-in is misconfigured; showing the public view: %s", access.problem)
    return access
