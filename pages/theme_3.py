"""Themes › Theme 3: its workstreams' indicators (SPC or run charts with table twins), actions and commentary."""

from ui.theme_page import render

render(3)
