"""Figures: one object per chart holding what every output needs of it — the Altair chart (its Vega-Lite spec),
the one-sentence description that is also its accessible text, and its table twin (whose stamped CSV is the
download). The app draws the spec, the PDF draws the chart as an image with the description as its alternative
text, and both show the same table. Built from metrics' frames; nothing here reads a snapshot or imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import altair as alt
import polars as pl

from charts.palette import readable
from metrics import plan, series
from present.csv import stamped_csv
from present.tables import series_display

BOARD_SCALE = 16 / 11  # board mode: the charts' 11 px text at the app's 16 px body size


@dataclass(frozen=True)
class Figure:
    chart: alt.TopLevelMixin
    description: str
    table: pl.DataFrame | None = None  # the table twin, as people read it
    board: bool = False  # drawn for a shared screen: labels raised to the readable minimum (charts.palette)
    raise_labels: bool = False  # whether board mode raises this chart's labels (the others scale their own fonts)

    def spec(self) -> dict:
        """The Vega-Lite spec as drawn."""
        spec = self.chart.to_dict()
        return readable(spec) if self.board and self.raise_labels else spec

    def csv(self, *, as_at: date, demo: bool, source: str) -> bytes:
        """The table twin as the stamped, formula-safe CSV its download gives."""
        return stamped_csv(self.table, as_at=as_at, demo=demo, source=source)


def draws_comparators(unit: str) -> bool:
    """Whether an indicator's chart draws its comparators' lines (England's, the region's): not for a count, where
    England's hundreds of thousands would flatten the area's line onto the axis. Its table twin gives them all."""
    return unit != "count"


def indicator_figure(
    result: pl.DataFrame, comparators: pl.DataFrame, kpi: dict, *, board: bool = False, height: int | None = None
) -> Figure:
    """One indicator's SPC or run chart (charts.spc.indicator_chart) with metrics.series.describe's sentence and
    the period-by-period table (present.tables.series_display). `height` None: the app's (taller in board mode)."""
    from charts.spc import indicator_chart

    text = series.describe(result, kpi)
    chart = indicator_chart(
        result,
        title=None,
        unit=kpi["unit"],
        decimals=kpi["decimals"],
        target=kpi["target"],
        comparators=comparators if comparators.height and draws_comparators(kpi["unit"]) else None,
        description=text,
        height=height or (380 if board else 300),
        font_scale=BOARD_SCALE if board else 1.0,
    )
    return Figure(chart, text, series_display(result, comparators, kpi), board=board, raise_labels=True)


def risk_figure(grid: pl.DataFrame, *, board: bool = False) -> Figure:
    """The 5 × 5 likelihood × severity heat grid of the open risks, its description naming where each sits."""
    from charts.plan import risk_grid_chart

    text = plan.describe_grid(grid)
    chart = risk_grid_chart(grid, font_scale=BOARD_SCALE if board else 1.0, description=text)
    return Figure(chart, text, board=board, raise_labels=True)
