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
# after twenty seconds, so a moment's slowness never hides the button for long. Checks run in a background thread
# (at most one per provider at a time) with a short deadline, so no page run ever waits on the provider, and a hung
# one holds up nothing but its own check.
_CHECKED: dict[str, tuple[float, str]] = {}
_RUNNING: set[str] = set()
_LOCK = threading.Lock()
OK_FOR, RETRY_AFTER = 600.0, 20.0
CHECK_DEADLINE = 4.0  # seconds for the whole check: connecting, the answer, reading it
UNREACHABLE = "the identity provider cannot be reached just now"


def _fetch_problem(metadata_url: str) -> str:
    """Fetch the provider's OpenID configuration (the only network call the app makes) within CHECK_DEADLINE."""
    deadline = time.monotonic() + CHECK_DEADLINE
    try:
        with urllib.request.urlopen(metadata_url, timeout=CHECK_DEADLINE) as response:
            body = b""
            while len(body) <= 1 << 20:  # read in pieces, so a provider that dribbles is cut off at the deadline
                if time.monotonic() > deadline:
                    raise TimeoutError("the provider's answer took too long")
                piece = response.read(64 << 10)
                if not piece:
                    break
                body += piece
        metadata = json.loads(body)
    except (
        Exception
    ) as exc:  # unreachable, refused, hung, not JSON: the viewer gets a plain message, the log the detail
        LOG.warning("Identity provider at %s cannot be used: %s", metadata_url, exc)
        return UNREACHABLE
    ok = isinstance(metadata, dict) and "authorization_endpoint" in metadata
    return "" if ok else "the identity provider's configuration has no sign-in address"


def _check(metadata_url: str) -> None:
    problem = UNREACHABLE
    try:
        problem = _fetch_problem(metadata_url)
    finally:
        with _LOCK:
            _CHECKED[metadata_url] = (time.monotonic(), problem)
            _RUNNING.discard(metadata_url)


def provider_problem(metadata_url: str) -> str | None:
    """Why the identity provider cannot be used just now ("" when it answered), as last found; None when it has not
    been checked yet. Never waits: a check that is due starts in the background, shared by every session."""
    now = time.monotonic()
    with _LOCK:
        checked = _CHECKED.get(metadata_url)
        due = checked is None or now - checked[0] >= (OK_FOR if not checked[1] else RETRY_AFTER)
        if due and metadata_url not in _RUNNING:
            _RUNNING.add(metadata_url)
            threading.Thread(target=_check, args=(metadata_url,), name="identity-provider-check", daemon=True).start()
    return None if checked is None else checked[1]


@st.fragment(run_every=1.0)
def _awaiting_provider(metadata_url: str) -> None:
    """While the provider's first check runs: a line saying so, looked at again every second (this block only);
    when the answer is in, the whole page runs once more and draws the button or the reason, and this stops."""
    if provider_problem(metadata_url) is None:
        st.caption("Checking whether signing in is available…")
        return
    st.rerun()


def _who(viewer: Access) -> str:
    name, email = md_escape(viewer.name), md_escape(viewer.email)
    if name and email:
        return f"{name} ({email})"
    return name or email or "an account with no name or email"


def panel(viewer: Access, *, board: bool, landing: bool = False) -> None:
    """Draw the sign-in state and its buttons (call inside `with st.sidebar`). In a deployment of several areas the
    role is the area's (`viewer.area`); on the landing page (`landing`), where no area is chosen yet, a signed-in
    person is told that each area decides."""
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
            "local-authority level disclosure-controlled. The dashboard's administrator should correct the secrets "
            "file (its `[auth]` and `[officers]` sections).",
            icon=":material/error:",
        )
        return
    the_list = f"the officers' list for {md_escape(viewer.area)}" if viewer.area else "the officers' list"
    if landing and viewer.signed_in:
        st.markdown(
            f"Signed in as **{_who(viewer)}**. You see exact figures in the areas whose officers' list you are on, "
            "and the public view in the others."
        )
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="signout")
        return
    if viewer.officer:
        st.markdown(f"Signed in as **{_who(viewer)}**, on {the_list}.")
        if not board:
            st.caption(f"**{OFFICIAL}.** You see exact figures. Switch on board mode before sharing your screen.")
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="signout")
        return
    if viewer.signed_in:
        st.info(
            f"You are signed in as {_who(viewer)}, who is not on "
            + (
                f"{the_list}: you see its public view."
                if viewer.area
                else "this dashboard's officers' list: you see the public view."
            ),
            icon=":material/person:",
        )
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="signout")
        return
    st.markdown(
        "**Public view.** Figures below local-authority level are disclosure-controlled. Officers sign in to see "
        "exact figures."
    )
    problem = provider_problem(viewer.metadata_url)
    if problem is None:
        _awaiting_provider(viewer.metadata_url)
        return
    if problem:
        st.warning(f"Signing in is unavailable: {problem}.", icon=":material/cloud_off:")
        return
    st.button("Sign in", on_click=st.login, icon=":material/login:", key="signin", type="primary")
