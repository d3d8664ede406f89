"""`ytm-doctor status`: where everything points and what state it is in, on one screen."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

from ytm_doctor.commands.base import Command
from ytm_doctor.errors import ExitCode

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.status import Status

EXIT_HELP = (
    "exit 1 when the share is not online (stub, unmounted, missing, degraded), a local volume "
    "is below disk.stop_free_gib, a lock is stale or its owner silent, or the last full scan "
    "failed; warnings (below disk.warn_free_gib, mirror failed or stale, outbox pending, no or "
    "an old scan) are shown and exit 0"
)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.description = "Where every path points and what state it is in now; no walk. " + (
        EXIT_HELP[0].upper() + EXIT_HELP[1:] + "."
    )
    parser.add_argument(
        "--json", action="store_true", help="the status as one JSON object (schema in README)"
    )


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.jsonio import dumps_json
    from ytm_doctor.status import gather

    status = gather(config)
    if options.json:
        print(dumps_json(status.to_json(), indent=2))
    else:
        Screen(sys.stdout).show(status)
    return ExitCode.VIOLATIONS if status.exit_code else ExitCode.OK


LEVEL_COLOUR = {"ok": "32", "warn": "33", "stop": "31", "problem": "31", "dim": "2"}


class Screen:
    """The status, aligned, coloured only on a terminal (and never under NO_COLOR)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        try:
            self.colour = out.isatty() and not os.environ.get("NO_COLOR")
        except (AttributeError, ValueError):
            self.colour = False

    def paint(self, text: str, level: str) -> str:
        code = LEVEL_COLOUR.get(level)
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and code else text

    def line(self, label: str = "", text: str = "") -> None:
        from ytm_doctor.model import printable

        self.out.write((f"{label:<10} {printable(text)}" if label else text).rstrip() + "\n")

    def show(self, status: Status) -> None:
        self._paths(status)
        self._share(status)
        self._volumes(status)
        self._locks(status)
        self._activity(status)
        self._verdict(status)

    def _paths(self, status: Status) -> None:
        self.line("config", status.config_file or "(none: flags, environment and defaults)")
        width = max(len(p.name) for p in status.paths)
        for row in status.paths:
            where = row.path or "(not set)"
            gone = "" if row.exists or row.path is None else "  [missing]"
            # The config file is named once, on the line above.
            source = row.source.replace(f"file ({status.config_file})", "config file")
            self.line("path", f"{row.name:<{width}}  {where}{gone}  [{source}]")

    def _share(self, status: Status) -> None:
        share = status.share
        state = share["status"]
        fs = f", {share['fstype']}" if share.get("fstype") else ""
        problems = "; ".join(share.get("problems") or [])
        text = f"{state}{fs}" + (f": {problems}" if problems else "") + f"  {share['root']}"
        self._painted("share", text, "ok" if state == "online" else "problem")
        link = status.workspaces
        if link.kind == "symlink":
            what = f"symlink -> {link.link_text}  (real: {link.realpath})"
        else:
            what = f"{link.kind}  (real: {link.realpath})"
        where = "on the share" if link.on_share else "OFF the share"
        if not link.exists:
            where += ", target missing"
        self.line("vault", f"ytm_workspaces is a {what}, {where}")

    def _volumes(self, status: Status) -> None:
        t = status.thresholds
        self.line(
            "disk",
            f"thresholds: warn below {t['warn_free_gib']:g} GiB, "
            f"stop below {t['stop_free_gib']:g} GiB",
        )
        for vol in status.volumes:
            roots = ",".join(vol.roots)
            total = vol.total_bytes / 1024**3
            text = f"{roots:<24} {vol.free_gib:>9.1f} GiB free of {total:.0f}  [{vol.level}]"
            text += f"  {vol.mountpoint or vol.path}"
            self._painted("  volume", text, vol.level if vol.level != "-" else "dim")

    def _locks(self, status: Status) -> None:
        for lock in status.locks:
            text = f"{lock.name:<7} {lock.state}"
            if lock.holder:
                h = lock.holder
                text += (
                    f"  pid {h.get('pid')} on {h.get('host')}, heartbeat "
                    f"{_age(lock.heartbeat_age_s)} ago: {h.get('command') or lock.name}"
                )
            elif lock.state == "stale":
                text += f"  ({lock.reason})"
            level = {"free": "dim", "held": "ok"}.get(lock.state, "problem")
            self._painted("lock", text, level)

    def _activity(self, status: Status) -> None:
        mirror = status.mirror
        last = mirror["last_run"]
        if last is None:
            text = "never ran here"
        else:
            # Why it failed is the warning line's: said once.
            text = f"{mirror['state']}: last run {last['finished_at']} ({last['status']})"
        self._painted("mirror", text, {"ok": "ok", "never": "dim"}.get(mirror["state"], "warn"))
        box = status.outbox
        text = f"{box['manifests']} manifest(s), {box['files']} file(s) pending"
        if box["oldest"]:
            text += f", oldest {box['oldest']}"
        self._painted("outbox", text, "warn" if box["manifests"] else "dim")
        scan = status.last_scan
        if scan["state"] == "none":
            text, level = "none saved yet", "warn"
        elif scan["state"] == "unreadable":
            text, level = scan["problem"], "warn"
        else:
            text = (
                f"{scan['started']} ({_age(scan['age_s'])} ago, on {scan['host']}): "
                f"{scan['violations']} violations, {scan['warnings']} warnings, "
                f"{scan['info']} info, {scan['unknown'] or 0} unknown -> exit {scan['exit_code']}"
            )
            level = "problem" if scan.get("exit_code") == 1 else "ok"
        self._painted("last scan", text, level)

    def _verdict(self, status: Status) -> None:
        for text in status.problems:
            self._painted("PROBLEM", text, "problem")
        for text in status.warnings:
            self._painted("warning", text, "warn")
        if not status.problems and not status.warnings:
            self._painted("ok", "nothing needs attention", "ok")

    def _painted(self, label: str, text: str, level: str) -> None:
        from ytm_doctor.model import printable

        self.out.write(f"{label:<10} {self.paint(printable(text), level)}".rstrip() + "\n")


def _age(seconds: float | None) -> str:
    from ytm_doctor.lock import age_text

    return "?" if seconds is None else age_text(seconds)


COMMAND = Command(
    name="status",
    help="where every path points, share, disks, locks, mirror, outbox, last scan (no walk)",
    add_options=add_options,
    run=run,
    loads_plugins=False,
    needs_valid_config=True,
)
