"""The look every chart shares: no template, transparent backgrounds (light and dark themes), the page's
text colour, full names in hover labels, quiet grid lines."""

from __future__ import annotations

import plotly.graph_objects as go

from .run_charts import GRID_COLOUR, TEXT_COLOUR


def base_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        template="none",
        height=height,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": 12, "color": TEXT_COLOUR},
        hoverlabel={"namelength": -1},
    )
    return fig


def grid_axes(fig: go.Figure, automargin: bool = False) -> go.Figure:
    """Cartesian axes in the grid colour, no zero line, exponents as ``1e-05``."""
    axes = {"gridcolor": GRID_COLOUR, "linecolor": GRID_COLOUR, "zeroline": False}
    if automargin:
        axes["automargin"] = True
    fig.update_xaxes(**axes)
    fig.update_yaxes(exponentformat="e", **axes)
    return fig
