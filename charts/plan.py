"""The risk register's heat grid: likelihood × severity, every open risk placed by its reference, each cell in the
register's own band colour — green low, amber medium, red high — and never colour alone: the band is written in
the key with its scores, in every cell beside the cell's score, and in each cell's tooltip. Pure Altair, no
Streamlit."""

from __future__ import annotations

import altair as alt
import polars as pl

from charts.palette import RAG_FILL, RAG_INK

# The register's bands by score (metrics.plan.risk_grid): low 1–6 green, medium 8–12 amber, high 15–25 red.
BAND_RAG = {"low": "Green", "medium": "Amber", "high": "Red"}
BAND_KEY = {"low": "Green: low (1–6)", "medium": "Amber: medium (8–12)", "high": "Red: high (15–25)"}
LIKELIHOOD = {1: "1 Rare", 2: "2 Unlikely", 3: "3 Possible", 4: "4 Likely", 5: "5 Almost certain"}
SEVERITY = {1: "1 Negligible", 2: "2 Minor", 3: "3 Moderate", 4: "4 Major", 5: "5 Severe"}


def risk_grid_chart(grid: pl.DataFrame, *, font_scale: float = 1.0, description: str = "") -> alt.LayerChart:
    """A 5 × 5 grid (likelihood across, severity up), each cell filled with its band's red, amber or green and
    labelled with the references of the open risks in it, its band and its score."""
    keys = list(BAND_KEY.values())
    data = grid.with_columns(
        likelihood_label=pl.col("likelihood").replace_strict(LIKELIHOOD, return_dtype=pl.String),
        severity_label=pl.col("severity").replace_strict(SEVERITY, return_dtype=pl.String),
        band_key=pl.col("band").replace_strict(BAND_KEY, return_dtype=pl.String),
        band_text=pl.format("{} · {}", pl.col("band").str.to_titlecase(), pl.col("score")),
        ink=pl.col("band").replace_strict({b: RAG_INK[r] for b, r in BAND_RAG.items()}, return_dtype=pl.String),
        refs_text=pl.when(pl.col("n") == 0).then(pl.lit("none")).otherwise(pl.col("label")),
    ).drop("refs")
    labels = {"labelFontSize": 12 * font_scale, "titleFontSize": 13 * font_scale, "labelLimit": 0}
    x = alt.X(
        "likelihood_label:O",
        sort=list(LIKELIHOOD.values()),
        title="Likelihood",
        axis=alt.Axis(labelAngle=0, orient="bottom", **labels),
    )
    y = alt.Y("severity_label:O", sort=list(reversed(SEVERITY.values())), title="Severity", axis=alt.Axis(**labels))
    tooltip = [
        alt.Tooltip("likelihood_label:N", title="Likelihood"),
        alt.Tooltip("severity_label:N", title="Severity"),
        alt.Tooltip("score:Q", title="Score"),
        alt.Tooltip("band_key:N", title="Band"),
        alt.Tooltip("refs_text:N", title="Risks"),
    ]
    base = alt.Chart(data).encode(x=x, y=y)
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=alt.Color(
            "band_key:N",
            scale=alt.Scale(domain=keys, range=[RAG_FILL[BAND_RAG[b]] for b in BAND_KEY]),
            legend=alt.Legend(
                title="Band (score)",
                orient="bottom",
                direction="horizontal",
                values=keys,
                labelFontSize=13 * font_scale,
                titleFontSize=13 * font_scale,
                symbolType="square",
                symbolSize=260 * font_scale,
                symbolStrokeColor="#0B0C0C",
                symbolStrokeWidth=1,
                labelLimit=0,
            ),
        ),
        tooltip=tooltip,
    )
    ink = alt.Color("ink:N", scale=None, legend=None)
    refs = base.mark_text(fontWeight="bold", fontSize=15 * font_scale, dy=-6 * font_scale).encode(
        text="label:N", color=ink, tooltip=tooltip
    )
    band = base.mark_text(fontSize=11 * font_scale, baseline="top", dy=8 * font_scale).encode(
        text="band_text:N", color=ink, tooltip=tooltip
    )
    return alt.layer(cells, refs, band).properties(
        height=330 * font_scale, width="container", description=description or "Risk heat grid"
    )
