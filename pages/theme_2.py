"""Themes › Theme 2: its workstreams' indicators (SPC or run charts with table twins), actions and commentary."""

from ui.theme_page import render

render(2)
