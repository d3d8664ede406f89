"""`ytm-doctor schedule install|remove|status`: its options and the three actions."""

from __future__ import annotations

import argparse
import configparser
import os
import plistlib
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.atomic import write_atomic
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.saved_reports import DEFAULT_KEEP_REPORTS, keep_reports_value, report_groups
from ytm_doctor.schedule.hosts import (
    Tool,
    aside_stamp,
    host_platform,
    is_foreign,
    read_bytes,
    run_tool,
    set_aside,
    this_platform,
)
from ytm_doctor.schedule.job_target import JobTarget, job_target
from ytm_doctor.schedule.jobs import (
    ACTIONS,
    JOBS,
    MIRROR_RECORD,
    PLATFORMS,
    PREVIOUS_DIR,
    ScheduledScan,
    drop_mirror_record,
    format_interval,
    parse_interval,
    scheduled_job,
    ytm_doctor_command,
)
from ytm_doctor.schedule.units import read_unit, render_plist, render_service, render_timer

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="install, remove, or show the schedule")
    parser.add_argument(
        "--job",
        choices=tuple(JOBS),
        help="which job: scan (default), mirror, flush-outbox, offline-fallback (opt-in: local "
        "copies of Hot inputs while the share is down); status without --job shows them all",
    )
    parser.add_argument(
        "--every",
        metavar="INTERVAL",
        help="install: how often to scan, e.g. 90s, 10m, 1h, 1h30m (at least 1m)",
    )
    parser.add_argument(
        "--run",
        action="store_true",
        help="do it: write and enable (install), or disable and set the files aside (remove); "
        "default: print the files and commands and change nothing",
    )
    parser.add_argument(
        "--keep-reports",
        metavar="N",
        type=keep_reports_value,
        default=DEFAULT_KEEP_REPORTS,
        help=f"install: the scheduled scan keeps the newest N reports (default "
        f"{DEFAULT_KEEP_REPORTS}; 0 keeps all)",
    )
    parser.add_argument(
        "--publish",
        action="store_true",
        help="install: the scheduled scan copies its report to <share>/_reports/ when online",
    )
    parser.add_argument(
        "--platform",
        choices=PLATFORMS,
        help="the kind of files: systemd (linux) or launchd (macos); default: this host's",
    )
    parser.add_argument(
        "--unit-dir",
        metavar="DIR",
        help="where the files go (default: ~/.config/systemd/user or ~/Library/LaunchAgents); "
        "files put elsewhere are only written, never enabled",
    )
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="install: the Python interpreter (with ytm-doctor installed) that runs the scan, "
        "by absolute path; required with --platform for another host (default: this one)",
    )


# ---------------------------------------------------------------------------------------------
# The three actions


def schedule_command(config: Config) -> int:
    action = config.getoption("action")
    if action != "install" and config.getoption("every"):
        raise UsageError(f"schedule {action}: --every only applies to install")
    if action == "install":
        return install(config)
    if action == "remove":
        return remove(config)
    return status(config)


def planned_files(
    config: Config, target: JobTarget, seconds: int
) -> tuple[dict[Path, bytes], list]:
    job = target.job
    keep = config.getoption("keep_reports", DEFAULT_KEEP_REPORTS)
    scan = scheduled_job(config, job, keep, config.getoption("publish"))
    _on_target_host(config, scan)
    if target.platform == "linux":
        service = render_service(scan, job, seconds).encode("utf-8", "surrogateescape")
        files = {
            target.unit_dir / job.service: service,
            target.unit_dir / job.timer: render_timer(seconds, job).encode("utf-8"),
        }
    else:
        plist = render_plist(scan, seconds, config.paths.report_dir, job)
        files = {target.unit_dir / job.plist: plist}
    return files, scan.left_out


def _on_target_host(config: Config, scan: ScheduledScan) -> None:
    """The job's interpreter and config file as the host that runs it knows them. This host's
    paths are right only for this host: files for another one take them from --python and
    --config, which are then required (nothing here can know where they are there)."""
    python = config.getoption("python")
    foreign = is_foreign(config)
    if foreign and not python:
        raise UsageError(
            f"schedule install --platform {config.getoption('platform')}: the files are for "
            "another host: give its interpreter with --python PATH"
        )
    if foreign and not config.getoption("config"):
        raise UsageError(
            f"schedule install --platform {config.getoption('platform')}: the files are for "
            "another host: give its config file with --config PATH"
        )
    if python:
        if not os.path.isabs(os.path.expanduser(python)):
            raise UsageError(f"schedule install: --python {python}: give an absolute path")
        here = ytm_doctor_command()
        if scan.argv[: len(here)] == here:
            scan.argv[: len(here)] = [os.path.expanduser(python), "-m", "ytm_doctor.cli"]
    raw = config.getoption("config")
    if foreign and raw and "--config" in scan.argv:
        # The path as given (absolute), not as this host resolves it (symlinks, cwd).
        if not os.path.isabs(os.path.expanduser(raw)):
            raise UsageError(f"schedule install: --config {raw}: give that host's absolute path")
        scan.argv[scan.argv.index("--config") + 1] = os.path.expanduser(raw)


def _record_mirror(config: Config, target: JobTarget, seconds: int) -> None:
    """Tell YTM703 a mirror is expected here (files for another platform run elsewhere)."""
    try:
        here = host_platform()
    except UsageError:
        return
    if target.job.name != "mirror" or target.platform != here:
        return
    record = {"job": "mirror", "every_s": seconds, "unit_dir": os.fspath(target.unit_dir)}
    try:
        config.paths.report_dir.mkdir(parents=True, exist_ok=True)
        data = dumps_json(record).encode("utf-8")
        write_atomic(config.paths.report_dir / MIRROR_RECORD, data)
    except OSError as exc:
        print(f"ytm-doctor: warning: cannot write {MIRROR_RECORD}: {exc}", file=sys.stderr)


def install(config: Config) -> int:
    every = config.getoption("every")
    if not every:
        raise UsageError("schedule install: --every is required, e.g. --every 10m")
    seconds = parse_interval(every)
    if not is_foreign(config):
        # A timer that fails with exit 4 every 10 minutes helps nobody. Another host's
        # workspace is not on this disk: it is checked where it runs.
        config.validate()
    target = job_target(config)
    files, left_out = planned_files(config, target, seconds)
    run = bool(config.getoption("run"))
    for name in left_out:
        print(
            f"note: {name} is a secret and is not copied into the schedule files; "
            "set it in the config file instead (e.g. notify.webhook_url)",
            file=sys.stderr,
        )

    if not run:
        for path, data in files.items():
            current = read_bytes(path)
            state = (
                "new"
                if current is None
                else "unchanged"
                if current == data
                else f"replaces the current one, kept in {path.parent / PREVIOUS_DIR}"
            )
            print(f"--- {path} ({state})")
            sys.stdout.write(data.decode("utf-8", "backslashreplace"))
        print(
            "--- commands it would run"
            if target.runs_tools
            else f"--- commands to run where the files are used ({_why_not_run(target)})"
        )
        for tool in target.enable_tools():
            print(
                f"  {tool}"
                + ("   (fails harmlessly when nothing is loaded)" if tool.may_fail else "")
            )
        what = target.job.name
        print(f"\nDry run: nothing written. Add --run to install the {what} job every {every}.")
        return ExitCode.OK

    stamp = aside_stamp()
    try:
        target.unit_dir.mkdir(parents=True, exist_ok=True)
        if target.platform == "macos" and target.runs_tools:
            # launchd opens the log files but does not create their directory (another
            # host's workspace is not this disk's to create).
            config.paths.report_dir.mkdir(parents=True, exist_ok=True)
        for path, data in files.items():
            current = read_bytes(path)
            if current == data:
                print(f"unchanged {path}")
                continue
            if current is not None:
                print(f"kept the previous {path.name} as {set_aside(path, stamp)}")
            write_atomic(path, data)
            print(f"wrote {path}")
    except OSError as exc:
        raise UsageError(f"schedule install: cannot write {exc.filename}: {exc.strerror}") from None
    _record_mirror(config, target, seconds)

    if not target.runs_tools:
        steps = " && ".join(str(t) for t in target.enable_tools() if not t.may_fail)
        print(f"not enabled ({_why_not_run(target)}); to enable them there: {steps}")
        return ExitCode.OK
    for tool in target.enable_tools():
        result = run_tool(tool)
        if result.ok or (tool.may_fail and result.found):
            print(f"ran {tool}")
            continue
        steps = " && ".join(str(t) for t in target.enable_tools() if not t.may_fail)
        print(
            f"ytm-doctor: error: schedule install: {tool} failed: {result.message}; "
            f"the files are written, enable them with: {steps}",
            file=sys.stderr,
        )
        return ExitCode.VIOLATIONS
    print(
        f"scheduled: the {target.job.name} job every {format_interval(seconds)} "
        "(`ytm-doctor schedule status`)"
    )
    return ExitCode.OK


def _why_not_run(target: JobTarget) -> str:
    if target.platform != this_platform():
        return f"files for {target.platform}: its tools are not run on this host"
    return f"{target.unit_dir} is not where the scheduler looks: nothing is reloaded"


def remove(config: Config) -> int:
    target = job_target(config)
    present = [p for p in target.paths if os.path.lexists(p)]
    if not present:
        print(f"nothing installed in {target.unit_dir}")
        return ExitCode.OK
    tools = target.runs_tools
    if not config.getoption("run"):
        for tool in target.disable_tools() if tools else []:
            print(f"would run  {tool}")
        for path in present:
            print(f"would move {path} to {target.unit_dir / PREVIOUS_DIR}/<stamp>/")
        for tool in target.after_remove_tools() if tools else []:
            print(f"would run  {tool}")
        if not tools:
            print(f"runs no systemctl/launchctl ({_why_not_run(target)})")
        print("\nDry run: nothing changed. Add --run to remove the schedule.")
        return ExitCode.OK

    for tool in target.disable_tools() if tools else []:
        result = run_tool(tool)
        if result.ok or (tool.may_fail and result.found):
            print(f"ran {tool}")
        elif not result.found:
            # No systemctl/launchctl here: nothing can have been enabled through it.
            print(f"{tool.argv[0]} is not available here: nothing to disable")
        else:
            print(
                f"ytm-doctor: error: schedule remove: {tool} failed: {result.message}; "
                "the files are left in place",
                file=sys.stderr,
            )
            return ExitCode.VIOLATIONS
    stamp = aside_stamp()
    try:
        for path in present:
            print(f"moved {path} to {set_aside(path, stamp)}")
    except OSError as exc:
        raise UsageError(f"schedule remove: cannot move {exc.filename}: {exc.strerror}") from None
    if (
        target.job.name == "mirror"
        and target.platform == this_platform()
        and config["workspace_root"] is not None
    ):
        # Our own note (only ever written for this host's platform); YTM703 stops expecting one.
        drop_mirror_record(config.paths.report_dir)
    for tool in target.after_remove_tools() if tools else []:
        result = run_tool(tool)
        if result.ok:
            print(f"ran {tool}")
        elif result.found:
            print(f"ytm-doctor: warning: {tool} failed: {result.message}", file=sys.stderr)
    print("schedule removed")
    return ExitCode.OK


def _describe_file(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "not installed"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    try:
        if path.suffix == ".timer":
            every = read_unit(data.decode("utf-8")).get("Timer", "OnUnitActiveSec", fallback="")
            seconds = int(every.rstrip("s")) if every.rstrip("s").isdigit() else None
            return f"installed: every {format_interval(seconds)}" if seconds else "installed"
        if path.suffix == ".service":
            command = read_unit(data.decode("utf-8", "surrogateescape")).get(
                "Service", "ExecStart", fallback=""
            )
            return f"installed: runs {command}"
        agent = plistlib.loads(data)
        return (
            f"installed: every {format_interval(int(agent.get('StartInterval', 0)))}, "
            f"runs {shlex.join(agent.get('ProgramArguments', []))}"
        )
    except (ValueError, configparser.Error, plistlib.InvalidFileException, TypeError) as exc:
        return f"installed, but not readable as expected: {exc}"


def _scheduler_state(target: JobTarget) -> list[str]:
    job = target.job
    if target.platform == "linux":
        tools = {
            "enabled": Tool(["systemctl", "--user", "is-enabled", job.timer]),
            "active": Tool(["systemctl", "--user", "is-active", job.timer]),
            "last run": Tool(
                [
                    "systemctl",
                    "--user",
                    "show",
                    job.service,
                    "--property=Result,ExecMainStatus,ExecMainExitTimestamp",
                ]
            ),
        }
    else:
        tools = {"launchd": Tool(["launchctl", "print", f"gui/{os.getuid()}/{job.label}"])}
    lines = []
    for label, tool in tools.items():
        result = run_tool(tool)
        if not result.found:
            return [f"{tool.argv[0]}: not available on this host ({result.message})"]
        if label == "launchd":
            if not result.ok:
                lines.append("launchd: not loaded")
                continue
            wanted = ("state =", "runs =", "last exit code =")
            found = [
                ln.strip() for ln in result.output.splitlines() if ln.strip().startswith(wanted)
            ]
            lines.append("launchd: loaded" + (f" ({'; '.join(found)})" if found else ""))
        elif label == "last run":
            values = dict(ln.split("=", 1) for ln in result.output.splitlines() if "=" in ln)
            if result.ok and values.get("ExecMainExitTimestamp"):
                lines.append(
                    f"last run: {values.get('Result', '?')}, exit status "
                    f"{values.get('ExecMainStatus', '?')}, at {values['ExecMainExitTimestamp']}"
                )
        else:
            lines.append(f"{label}: {result.message}")
    return lines


def status(config: Config) -> int:
    target = job_target(config)
    kind = "systemd user units" if target.platform == "linux" else "launchd agents"
    print(f"schedule ({target.platform}, {kind} in {target.unit_dir})")
    if config.getoption("job"):
        shown = [target]
    else:
        # Without --job: the scan (installed or not, as always) and every other job installed.
        shown = [job_target(config, job) for job in JOBS.values()]
        shown = [t for t in shown if t.job.name == "scan" or any(p.exists() for p in t.paths)]
    for one in shown:
        if len(shown) > 1:
            print(f" {one.job.name} job:")
        for path in one.paths:
            print(f"  {path.name}: {_describe_file(path)}")
        if not one.runs_tools:
            print(f"  not asked: {_why_not_run(one)}")
        for line in _scheduler_state(one) if one.runs_tools else []:
            print(f"  {line}")
    report_dir = None
    if config["workspace_root"] is not None and config["shared_storage.root"] is not None:
        report_dir = config.paths.report_dir
    if report_dir is not None:
        try:
            stamps = sorted(report_groups(report_dir))
        except OSError:
            stamps = []
        last = f"report__{stamps[-1]}.json" if stamps else "none yet"
        print(f"  last saved report: {last} in {report_dir}")
    return ExitCode.OK
