"""Per-browser preferences (remembered in local storage): live refresh and the colour theme."""

from __future__ import annotations

from dash import Input, Output, callback, clientside_callback

from .. import ids


@callback(Output(ids.REFRESH_INTERVAL, "disabled"), Input(ids.LIVE_SWITCH, "value"))
def pause_refresh(live: bool | None) -> bool:
    return live is False


# Bootstrap 5.3 colour modes: the whole page, grid included, follows data-bs-theme.
clientside_callback(
    """
    function (dark) {
        document.documentElement.setAttribute("data-bs-theme", dark ? "dark" : "light");
    }
    """,
    Input(ids.THEME_SWITCH, "value"),
)
