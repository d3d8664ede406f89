"""The fleet page (`ytm-doctor fleet --html PATH`): every host's published report side by
side, one self-contained file with the report's stylesheet and no script at all (the
Content-Security-Policy allows none), so it can be mailed or opened from the share as is.

Host names, paths and messages come from files other hosts wrote: Jinja autoescapes them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ytm_doctor.plugins.hookspec import hookimpl

if TYPE_CHECKING:
    from ytm_doctor.config import Config

TEMPLATE = "fleet.html.j2"
SHOWN_DIFFERENCES = 2000  # beyond this the page names how many more `fleet --json` lists


@hookimpl
def ytm_doctor_render_fleet(fleet: dict[str, Any], config: Config) -> str:
    return render_fleet(fleet)


def render_fleet(fleet: dict[str, Any]) -> str:
    """The fleet, as `fleet --json` prints it, as one HTML document."""
    from ytm_doctor.reports.html_page import _environment  # every scan loads this plugin

    hosts = fleet["hosts"]
    readable = [h for h in hosts if h["state"] != "unreadable"]
    differences = fleet["differences"]
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            fleet=fleet,
            hosts=hosts,
            readable=readable,
            differences=differences[:SHOWN_DIFFERENCES],
            more=max(0, len(differences) - SHOWN_DIFFERENCES),
            not_reporting=[h for h in hosts if h["state"] != "reporting"],
            age=_age,
        )
    )


def _age(seconds: float | None) -> str:
    """42s, 17 min, 5 h, 3 days (a report from the future, a skewed clock: "in 5 min")."""
    if seconds is None:
        return "?"
    ahead = seconds < 0
    seconds = abs(seconds)
    if seconds < 120:
        text = f"{seconds:.0f}s"
    elif seconds < 120 * 60:
        text = f"{seconds / 60:.0f} min"
    elif seconds < 48 * 3600:
        text = f"{seconds / 3600:.0f} h"
    else:
        text = f"{seconds / 86400:.0f} days"
    return f"in {text} (clock ahead)" if ahead else f"{text} ago"
