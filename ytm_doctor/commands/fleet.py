"""`ytm-doctor fleet`: every host's published report on the share, side by side."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ytm_doctor.commands.base import Command
from ytm_doctor.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.fleet import Fleet

SHOWN_DIFFERENCES = 20  # on the terminal; --json and --html list them all


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Every host's report published on the share (scans run with --publish) side by side: "
        "last seen, the share as each host sees it, counts, and the findings one host has and "
        "another has not. Exit 1 when a host is not reporting (its report is older than "
        "fleet.stale_after_minutes), a report cannot be read, or the share is not online."
    )
    parser.add_argument("--json", action="store_true", help="the fleet as one JSON object")
    parser.add_argument(
        "--html", metavar="PATH", help="also write the fleet as one self-contained HTML page"
    )


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.fleet import gather_fleet
    from ytm_doctor.jsonio import dumps_json
    from ytm_doctor.mount import share_state
    from ytm_doctor.status import SHARE_WORDS

    html = _html_target(options.html)
    paths = config.paths
    share = share_state(paths, config["shared_storage.require_mount"])
    if not share.online:
        print(
            f"ytm-doctor: fleet: the share at {paths.share_root} is "
            f"{SHARE_WORDS.get(share.status, share.status)}: "
            "no host's published report can be read",
            file=sys.stderr,
        )
        return ExitCode.VIOLATIONS
    fleet = gather_fleet(paths.share_root, float(config["fleet.stale_after_minutes"]))
    for host in fleet.hosts:
        if host.problem:
            print(f"ytm-doctor: warning: {host.problem}", file=sys.stderr)
    data = fleet.to_json()
    if options.json:
        print(dumps_json(data, indent=2))
    else:
        show(fleet, sys.stdout)
    if html is not None:
        _write_html(config, data, html)
    return ExitCode.VIOLATIONS if fleet.exit_code else ExitCode.OK


def _html_target(value: str | None) -> Path | None:
    """--html PATH, checked before anything is read: one line, exit 4, when it cannot be."""
    if value is None:
        return None
    target = Path(value).absolute()
    if not value or target.is_dir():
        raise UsageError(f"--html {value}: is a directory")
    if not target.parent.is_dir():
        raise UsageError(f"--html {value}: its directory does not exist")
    return target


def _write_html(config: Config, data: dict, target: Path) -> None:
    from ytm_doctor.atomic import write_atomic

    page = config.pluginmanager.hook.ytm_doctor_render_fleet(fleet=data, config=config)
    if page is None:
        raise UsageError("--html: no plugin renders the fleet page (is fleet_html blocked?)")
    try:
        write_atomic(target, page.encode("utf-8", "backslashreplace"))
    except OSError as exc:
        raise UsageError(f"--html {target}: cannot write: {exc.strerror or exc}") from None
    print(f"ytm-doctor: fleet page written to {target}", file=sys.stderr)


def show(fleet: Fleet, out: TextIO) -> None:
    """The hosts as one aligned table, then the differences (the first SHOWN_DIFFERENCES)."""
    from ytm_doctor.lock import age_text
    from ytm_doctor.model import printable

    colour = _is_tty(out) and not os.environ.get("NO_COLOR")

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour else text

    out.write(
        f"fleet: {printable(fleet.reports_dir)} (not reporting after "
        f"{fleet.stale_after_minutes:g} min)\n"
    )
    if not fleet.hosts:
        out.write("no host has published a report yet (ytm-doctor --publish on each host)\n")
        return
    width = max(4, *(len(printable(h.host)) + (1 if h.this_host else 0) for h in fleet.hosts))
    out.write(
        f"{'host':<{width}}  {'state':<13}  {'last seen':<24}  {'age':>8}  {'share':<9}  "
        f"{'viol':>5} {'warn':>5} {'info':>5} {'unkn':>5}  exit\n"
    )
    for h in fleet.hosts:
        name = printable(h.host) + ("*" if h.this_host else "")
        state = paint(f"{h.state:<13}", "32" if h.state == "reporting" else "31")
        if h.state == "unreadable":
            out.write(f"{name:<{width}}  {state}  {printable(h.problem or '')}\n")
            continue
        age = age_text(h.age_s) if h.age_s is not None and h.age_s >= 0 else "ahead"
        c = h.counts
        out.write(
            f"{name:<{width}}  {state}  {printable(h.last_seen or '?'):<24}  {age:>8}  "
            f"{printable(h.share_status or '?'):<9}  {c['violations']:>5} {c['warnings']:>5} "
            f"{c['info']:>5} {c['unknown']:>5}  {h.exit_code}\n"
        )
    if any(h.this_host for h in fleet.hosts):
        out.write("(* this host)\n")
    if len([h for h in fleet.hosts if h.state != "unreadable"]) < 2:
        return
    if not fleet.differences:
        out.write("every host reports the same findings\n")
        return
    out.write(f"\n{len(fleet.differences)} finding(s) not every host has:\n")
    for d in fleet.differences[:SHOWN_DIFFERENCES]:
        message = d.message if len(d.message) <= 70 else d.message[:69] + "…"
        out.write(
            f"  {d.severity:<9} {d.rule}  only on {printable(', '.join(d.seen_by))}: "
            f"{printable(f'{d.root}:{d.path}')}  {printable(message)}\n"
        )
    rest = len(fleet.differences) - SHOWN_DIFFERENCES
    if rest > 0:
        out.write(f"  ... {rest} more (--json or --html lists them all)\n")


def _is_tty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


COMMAND = Command(
    name="fleet",
    help="every host's published report side by side: reporting or not, share, differences",
    add_options=add_options,
    run=run,
    needs_valid_config=True,
)
