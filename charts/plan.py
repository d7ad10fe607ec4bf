"""The risk register's heat grid: likelihood × severity, every open risk placed by its reference (never colour
alone: the band is written in each cell's tooltip and the references are printed). Pure Altair, no Streamlit."""

from __future__ import annotations

import altair as alt
import polars as pl

BANDS = {"low": "#ADD1F1", "medium": "#F9C7A8", "high": "#E8A0BF"}  # light fills so dark text keeps 4.5:1
LIKELIHOOD = {1: "1 Rare", 2: "2 Unlikely", 3: "3 Possible", 4: "4 Likely", 5: "5 Almost certain"}
SEVERITY = {1: "1 Negligible", 2: "2 Minor", 3: "3 Moderate", 4: "4 Major", 5: "5 Severe"}


def risk_grid_chart(grid: pl.DataFrame, *, font_scale: float = 1.0, description: str = "") -> alt.LayerChart:
    """A 5 × 5 grid (likelihood across, severity up), each cell shaded by its band and labelled with the
    references of the open risks in it."""
    data = grid.with_columns(
        likelihood_label=pl.col("likelihood").replace_strict(LIKELIHOOD, return_dtype=pl.String),
        severity_label=pl.col("severity").replace_strict(SEVERITY, return_dtype=pl.String),
        band_word=pl.col("band").str.to_titlecase(),
        refs_text=pl.when(pl.col("n") == 0).then(pl.lit("none")).otherwise(pl.col("label")),
    ).drop("refs")
    x = alt.X(
        "likelihood_label:O",
        sort=list(LIKELIHOOD.values()),
        title="Likelihood",
        axis=alt.Axis(labelAngle=0, labelFontSize=12 * font_scale, titleFontSize=13 * font_scale),
    )
    y = alt.Y(
        "severity_label:O",
        sort=list(reversed(SEVERITY.values())),
        title="Severity",
        axis=alt.Axis(labelFontSize=12 * font_scale, titleFontSize=13 * font_scale),
    )
    tooltip = [
        alt.Tooltip("likelihood_label:N", title="Likelihood"),
        alt.Tooltip("severity_label:N", title="Severity"),
        alt.Tooltip("score:Q", title="Score"),
        alt.Tooltip("band_word:N", title="Band"),
        alt.Tooltip("refs_text:N", title="Risks"),
    ]
    base = alt.Chart(data).encode(x=x, y=y)
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=alt.Color(
            "band_word:N",
            scale=alt.Scale(domain=["Low", "Medium", "High"], range=list(BANDS.values())),
            legend=alt.Legend(
                title="Band (score)",
                orient="bottom",
                labelFontSize=12 * font_scale,
                titleFontSize=12 * font_scale,
                values=["Low", "Medium", "High"],
                labelExpr="{'Low': 'Low (1–6)', 'Medium': 'Medium (8–12)', 'High': 'High (15–25)'}[datum.label]",
            ),
        ),
        tooltip=tooltip,
    )
    labels = base.mark_text(fontWeight="bold", fontSize=15 * font_scale, color="#0B0C0C").encode(
        text="label:N", tooltip=tooltip
    )
    return alt.layer(cells, labels).properties(
        height=330 * font_scale, width="container", description=description or "Risk heat grid"
    )
