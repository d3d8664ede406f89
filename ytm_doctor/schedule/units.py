"""The files a schedule installs: a systemd user service and timer, or a launchd agent."""

from __future__ import annotations

import configparser
import os
import plistlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.errors import UsageError
from ytm_doctor.model import display, has_undecodable
from ytm_doctor.schedule.jobs import HEADER, SCAN_JOB, Job, ScheduledScan, format_interval

if TYPE_CHECKING:
    pass

# flush-outbox only: a flush that fails once the share is back (a share that is still waking
# up, a busy NAS) is tried again after this many seconds, then on its timer.
FLUSH_RETRY_S = 300


# ---------------------------------------------------------------------------------------------
# systemd


def _c_escape(text: str) -> str:
    out = []
    for ch in text:
        if "\udc80" <= ch <= "\udcff":  # an undecodable byte from a file name
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return "".join(out)


def systemd_word(arg: str) -> str:
    """One ExecStart= word: % and $ escaped (specifiers, variables), quoted when needed."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if arg and not re.search(r"[\s\"'\\;]", arg) and not has_undecodable(arg):
        return arg
    return f'"{_c_escape(arg)}"'


def systemd_environment(name: str, value: str) -> str:
    return f'Environment="{_c_escape(f"{name}={value}".replace("%", "%%"))}"'


def render_service(scan: ScheduledScan, job: Job = SCAN_JOB, seconds: int = 0) -> str:
    lines = [
        HEADER,
        "[Unit]",
        f"Description=ytm-doctor {job.what} (scheduled)",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=" + " ".join(systemd_word(a) for a in scan.argv),
    ]
    lines += [systemd_environment(k, v) for k, v in sorted(scan.env.items())]
    if job.name == "scan":
        lines += [
            "# Exit 1 means violations were found: the scan itself worked. 2-5 (interrupted,",
            "# internal error, bad configuration, no checks) mark the unit failed.",
        ]
    elif job.name == "offline-fallback":
        lines += ["# Exit 1: some input must wait for the share (a stand-in); not a failure."]
    if job.success_exit:
        lines.append(f"SuccessExitStatus={job.success_exit}")
    if job.name == "flush-outbox":
        lines += [
            "# A flush that fails after the share is back is tried again RestartSec later, at",
            "# most 3 times per timer interval (StartLimit*); then the timer's next run. A try",
            "# while the share is down ends at once with exit 0 and is not retried.",
            "Restart=on-failure",
            f"RestartSec={FLUSH_RETRY_S}s",
        ]
    lines += ["Nice=10", ""]
    if job.name == "flush-outbox":
        # StartLimit* belong to [Unit]. The timer's own start counts too: 1 + 3 retries.
        at = lines.index("[Service]") - 1
        window = max(seconds, 4 * FLUSH_RETRY_S)
        lines[at:at] = [f"StartLimitIntervalSec={window}s", "StartLimitBurst=4"]
    return "\n".join(lines)


def render_timer(seconds: int, job: Job = SCAN_JOB) -> str:
    every = format_interval(seconds)
    accuracy = max(1, min(60, seconds // 10))
    return "\n".join(
        [
            HEADER,
            "[Unit]",
            f"Description=ytm-doctor {job.name} every {every}",
            "",
            "[Timer]",
            "# One minute after boot (at once when enabled later), then every interval after",
            "# the previous run started. Boot catches up a missed run, so Persistent= (which",
            "# only applies to OnCalendar=) is not needed.",
            "OnBootSec=1min",
            f"OnUnitActiveSec={seconds}s",
            f"AccuracySec={accuracy}s",
            f"Unit={job.service}",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )


def read_unit(text: str) -> configparser.RawConfigParser:
    """A unit file as systemd's INI dialect: repeated keys allowed, case kept."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


# ---------------------------------------------------------------------------------------------
# launchd


def render_plist(scan: ScheduledScan, seconds: int, log_dir: Path, job: Job = SCAN_JOB) -> bytes:
    for text in [*scan.argv, *scan.env.values(), os.fspath(log_dir)]:
        if has_undecodable(text):
            raise UsageError(
                f"schedule: {display(text)} is not valid UTF-8 and cannot go into a launchd plist"
            )
    agent: dict[str, Any] = {
        "Label": job.label,
        "ProgramArguments": scan.argv,
        "StartInterval": seconds,
        "RunAtLoad": True,
        "StandardOutPath": os.fspath(log_dir / job.out_log),
        "StandardErrorPath": os.fspath(log_dir / job.err_log),
        "ProcessType": "Background",
    }
    if scan.env:
        agent["EnvironmentVariables"] = dict(sorted(scan.env.items()))
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML)
