"""The sidebar's sign-in panel: who the viewer is, what they see, and the Sign in / Sign out buttons.

The role itself is decided in `ui.access`; this only tells the viewer about it. Sign-in uses Streamlit's own
`st.login` / `st.logout` (OpenID Connect, configured under `[auth]` in `.streamlit/secrets.toml`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request

import streamlit as st

from metrics.formatting import md_escape
from ui.access import SIGNIN_BROKEN, SIGNIN_OFF, Access

LOG = logging.getLogger(__name__)
OFFICIAL = "Official – not for publication"


# url → (checked at, problem). A provider that answered is trusted for ten minutes; one that did not is asked again
# after twenty seconds, so a moment's slowness never hides the button for long.
_CHECKED: dict[str, tuple[float, str]] = {}
_LOCK = threading.Lock()
OK_FOR, RETRY_AFTER = 600.0, 20.0


def provider_problem(metadata_url: str) -> str:
    """Why the identity provider cannot be used just now ("" when it answers): its OpenID configuration is fetched
    from `metadata_url` (the only network call the app makes), shared by every session."""
    now = time.monotonic()
    with _LOCK:
        checked = _CHECKED.get(metadata_url)
    if checked and now - checked[0] < (OK_FOR if not checked[1] else RETRY_AFTER):
        return checked[1]
    problem = "the identity provider cannot be reached just now"
    for attempt in range(2):
        try:
            with urllib.request.urlopen(metadata_url, timeout=5) as response:
                metadata = json.loads(response.read(1 << 20))
            ok = isinstance(metadata, dict) and "authorization_endpoint" in metadata
            problem = "" if ok else "the identity provider's configuration has no sign-in address"
            break
        except Exception as exc:  # unreachable, refused, not JSON: the viewer gets a plain message, the log the detail
            LOG.warning("Identity provider at %s cannot be used (attempt %d): %s", metadata_url, attempt + 1, exc)
    with _LOCK:
        _CHECKED[metadata_url] = (now, problem)
    return problem


def _who(viewer: Access) -> str:
    name, email = md_escape(viewer.name), md_escape(viewer.email)
    if name and email:
        return f"{name} ({email})"
    return name or email or "an account with no name or email"


def panel(viewer: Access, *, board: bool) -> None:
    """Draw the sign-in state and its buttons (call inside `with st.sidebar`)."""
    st.divider()
    if viewer.signin == SIGNIN_OFF:
        st.warning(
            "**Sign-in is not configured:** anyone who can open this address sees exact figures. "
            "See the README, \u201cDeploying for a board\u201d.",
            icon=":material/lock_open:",
        )
        return
    if viewer.signin == SIGNIN_BROKEN:
        st.error(
            f"**Sign-in is not working:** {md_escape(viewer.problem)}. You see the public view, with figures below "
            "local-authority level disclosure-controlled. The dashboard's administrator should check the "
            "`[auth]` settings in the secrets file.",
            icon=":material/error:",
        )
        return
    if viewer.officer:
        st.markdown(f"Signed in as **{_who(viewer)}**, on the officers' list.")
        if not board:
            st.caption(f"**{OFFICIAL}.** You see exact figures. Switch on board mode before sharing your screen.")
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="signout")
        return
    if viewer.signed_in:
        st.info(
            f"You are signed in as {_who(viewer)}, who is not on this dashboard's officers' list: you see the "
            "public view.",
            icon=":material/person:",
        )
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="signout")
        return
    st.markdown(
        "**Public view.** Figures below local-authority level are disclosure-controlled. Officers sign in to see "
        "exact figures."
    )
    problem = provider_problem(viewer.metadata_url)
    if problem:
        st.warning(f"Signing in is unavailable: {problem}.", icon=":material/cloud_off:")
        return
    st.button("Sign in", on_click=st.login, icon=":material/login:", key="signin", type="primary")
