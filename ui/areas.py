"""The area a session is showing, in a deployment of one area or several (metrics.deployment): chosen from the
address (`?area=E08000002`) or kept from the session's last run, and the landing page that lists the areas.

The area is chosen on every run before anything is read, and everything after follows it: where snapshots are read
and published (`ui.state.snapshot_root`), which key checks and signs them (metrics.signing, through
`ui.state.session_area`), who is an officer (ui.access) and therefore disclosure control, downloads, the board
papers and the Update data page. Moving to another area starts the session afresh, so nothing chosen, checked or
uploaded for one area can be shown or published in another.
"""

from __future__ import annotations

import logging

import streamlit as st

from metrics import deployment as dep
from metrics.deployment import Area, Deployment
from metrics.formatting import md_escape
from ui.state import AREA_IN_URL, AREA_ROOT, KEY_AREA, base_root, store_problem

LOG = logging.getLogger(__name__)
PARAM = "area"


def current_deployment() -> Deployment:
    """The deployment's areas from the app's secrets and the snapshot folder (read on every run: cheap, and an area
    added on the shared storage or in the secrets is offered at once)."""
    try:
        secrets = st.secrets.to_dict()
    except Exception:  # no secrets file, or one that does not parse (ui.access names that problem)
        secrets = {}
    return dep.read(secrets, base_root())


def _unknown(asked: str) -> str:
    shown = asked.strip()[:40] or "(nothing)"
    return (
        f"This dashboard has no area \u2018{md_escape(shown)}\u2019, the area named in the address you opened. "
        "Choose one of its areas below."
    )


def _start_afresh(area: Area) -> None:
    """Forget everything the session chose, checked or uploaded in another area, then show `area`."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[KEY_AREA] = area.code


def _legacy_matches(area: Area, asked: str) -> bool:
    """Whether the address's area is the one area of a root holding its snapshots itself: its snapshots' code (a
    root with no snapshot yet cannot say, and is not refused for it)."""
    from ui import snapshots
    from ui.state import snapshot_ids

    ids, _ = snapshot_ids()
    if not ids:
        return True
    return snapshots.snapshot(area.root / ids[0]).la_code == asked.strip().upper()


def choose(deployment: Deployment) -> tuple[Area | None, str]:
    """The area this run shows (None: the landing page), and a notice for the landing page. The address wins when
    it names an area (another than the session's starts the session afresh); a page switch, whose address names
    none, keeps the session's; a deployment of one area needs no choice."""
    asked = st.query_params.get(PARAM)
    kept = st.session_state.get(KEY_AREA)
    st.session_state[AREA_IN_URL] = deployment.several
    area, notice = None, ""
    if asked is not None and deployment.several:
        area = deployment.find(asked)
        if area is None:
            notice = _unknown(asked)
    elif asked is not None:  # one area: the address may name it, and nothing else
        only = deployment.areas[0]
        st.session_state[AREA_ROOT] = str(only.root)
        area = only if _legacy_matches(only, asked) else None
        notice = "" if area else _unknown(asked)
    elif kept is not None:
        area = deployment.find(kept) if deployment.several else deployment.areas[0]
    elif len(deployment.areas) == 1:
        area = deployment.areas[0]
    if area is None:
        st.session_state.pop(AREA_ROOT, None)
        if notice:
            LOG.info("Unknown area in the address: %r", asked[:40] if isinstance(asked, str) else asked)
        return None, notice
    if kept is not None and kept != area.code:
        _start_afresh(area)
        st.session_state[AREA_IN_URL] = deployment.several
    st.session_state[KEY_AREA] = area.code
    st.session_state[AREA_ROOT] = str(area.root)
    return area, ""


def landing(deployment: Deployment, notice: str, target) -> None:
    """The landing page: the deployment's areas, each a link to `target` (the page asked for, or the Summary) in
    that area, keeping the rest of the address (a shared link's snapshot and mode)."""
    st.title("SEND improvement board dashboard")
    if notice:
        st.warning(notice, icon=":material/travel_explore:")
    for line in deployment.notices:
        st.info(md_escape(line), icon=":material/info:")
    if deployment.several and not deployment.areas:
        st.error(
            "**No area can be shown.** The dashboard's snapshot folder holds no area folder (named by the area's code, "
            "such as E08000002) and the secrets file configures no area. The dashboard's administrator should see the "
            "README, \u201cRunning on more than one server\u201d.",
            icon=":material/error:",
        )
    problem = store_problem(base_root())
    if problem and (deployment.several or not deployment.areas):
        st.error(f"**The snapshot store cannot be reached just now:** {problem}.", icon=":material/cloud_off:")
    if not deployment.areas:
        return
    count = len(deployment.areas)
    st.markdown(
        "Choose the local area whose special educational needs and disabilities (SEND) improvement board you want "
        f"to see. This dashboard serves {count} area{'' if count == 1 else 's'}."
    )
    params = {k: v for k, v in st.query_params.to_dict().items() if k != PARAM}
    with st.container(key="area-list"):
        for area in deployment.areas:
            code = area.code or _only_code(area)
            title = area.name or dep.la_names().get(code, "") or code or "The dashboard's area"
            label = f"{title} ({code})" if code and code != title else title
            st.page_link(
                target,
                label=md_escape(label),
                icon=":material/location_city:",
                query_params={**params, PARAM: code} if code else params,
            )


def _only_code(area: Area) -> str:
    """The code of the one area of a root holding its snapshots itself: its newest snapshot's ("" with none)."""
    from ui import snapshots
    from ui.state import snapshot_ids

    ids, _ = snapshot_ids()
    return snapshots.snapshot(area.root / ids[0]).la_code if ids else ""


def sidebar_header(area: Area, landing_page) -> None:
    """In a deployment of several areas: the area shown, and the way back to the list (call inside the sidebar)."""
    st.markdown(f"**{md_escape(area.title)}** ({area.code})")
    st.page_link(landing_page, label="All areas", icon=":material/apps:")
