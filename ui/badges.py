"""The project's own badges: RAG, variation and assurance, each a coloured badge with a symbol and words, never
colour alone."""

from __future__ import annotations

import streamlit as st

from metrics.formatting import ASSURANCE_LABELS, ASSURANCE_SHORT, RAG_WORDS, VARIATION_LABELS, VARIATION_SHORT

RAG_COLOURS = {"Green": "green", "Amber": "orange", "Red": "red", "Grey": "gray"}
RAG_SYMBOLS = {"Green": "✓", "Amber": "!", "Red": "✗", "Grey": "–"}


def variation_colour(code: str) -> str:
    if code.startswith("improvement"):
        return "blue"
    if code.startswith("concern"):
        return "orange"
    if code.startswith("neutral"):
        return "violet"
    return "gray"


def rag_badge(word: str, *, container=st) -> None:
    container.badge(f"{RAG_SYMBOLS[word]} RAG: {RAG_WORDS[word]}", color=RAG_COLOURS[word])


def variation_badge(code: str, *, container=st) -> None:
    container.badge(VARIATION_SHORT[code], color=variation_colour(code), help=VARIATION_LABELS[code])


def assurance_badge(code: str, *, container=st) -> None:
    colour = {"pass": "blue", "fail": "orange", "hit_and_miss": "gray", "none": "gray"}[code]
    container.badge(ASSURANCE_SHORT[code], color=colour, help=ASSURANCE_LABELS[code])
