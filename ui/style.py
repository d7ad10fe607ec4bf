"""Fixed CSS written for this project (the only use of unsafe_allow_html): board mode's larger type and the
palette's focus outline. No data ever passes through here."""

from __future__ import annotations

import streamlit as st

BASE_CSS = """
<style>
:focus-visible { outline: 3px solid #12436D !important; outline-offset: 2px; }
[data-testid="stCaptionContainer"] { opacity: 1 !important; }
[data-testid="stCaptionContainer"] p, [data-testid="stCaptionContainer"] p * { color: #3D3D3D !important; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stDateInput"] [role="spinbutton"] { display: inline-block; min-width: 24px; min-height: 24px; text-align: center; }
[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"] span { white-space: normal !important; overflow: visible !important; }
[data-testid="stTable"] td [data-testid="stMarkdownContainer"] { max-width: none !important; }
</style>
"""

BOARD_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
h1 { font-size: 2.6rem !important; }
h2 { font-size: 2.0rem !important; }
h3 { font-size: 1.6rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3rem !important; line-height: 1.2; }
[data-testid="stTable"] table { font-size: 1.05rem; }
[data-testid="stTable"] td, [data-testid="stTable"] th { padding: 0.3rem 0.6rem !important; line-height: 1.3; }
[data-testid="stCaptionContainer"] p { font-size: 1.05rem; }
[data-testid="stTable"] th { font-size: 1.1rem; }
[data-testid="stMetricLabel"] p { font-size: 1.2rem !important; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 1.5rem 2.5rem 2rem 2.5rem; }
/* theme names in the sidebar on two lines at most: a wider sidebar and nav text at a normal line height */
[data-testid="stSidebar"][data-collapsed="false"] { width: 460px !important; min-width: 460px !important; }
[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"] p { line-height: 1.3; }
[data-testid="stMainMenu"], [data-testid="stToolbarActions"], [data-testid="stAppDeployButton"] { display: none; }
</style>
"""


def apply(board: bool) -> None:
    st.markdown(BASE_CSS + (BOARD_CSS if board else ""), unsafe_allow_html=True)
