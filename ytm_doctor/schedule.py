"""Scheduled scans (SPEC §7, §10): a systemd user timer on Linux, a launchd agent on macOS.

`ytm-doctor schedule install --every 10m` prints the files it would write and the commands it
would run, and changes nothing; with `--run` it writes them atomically and enables them.
`schedule remove [--run]` disables them and sets the files aside (never deletes them);
`schedule status` shows what is installed and what systemctl/launchctl says about it.

The scheduled command is this very installation of ytm-doctor, with absolute paths only (a timer
has no working directory and no shell profile): the config file, the settings given on this
command line (as --set) or in the environment (as environment variables), `-q`, and the
retention/publish options. Secrets (the webhook URL) are never copied into these files: put
them in the config file.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import write_atomic
from ytm_doctor.config import KEYS, plain_value
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.model import display, has_undecodable
from ytm_doctor.reports.publish import DEFAULT_KEEP_REPORTS, keep_reports_value

if TYPE_CHECKING:
    from ytm_doctor.config import Config

SERVICE = "ytm-doctor-scan.service"
TIMER = "ytm-doctor-scan.timer"
LABEL = "ytm.doctor.scan"
PLIST = f"{LABEL}.plist"
# Where replaced or removed files are kept. Hidden: neither systemd nor launchd looks inside.
PREVIOUS_DIR = ".ytm-doctor-previous"
OUT_LOG = "scheduled_scan.out.log"
ERR_LOG = "scheduled_scan.err.log"
ACTIONS = ("install", "remove", "status")
PLATFORMS = ("linux", "macos")
MIN_INTERVAL_S = 60  # below this a scan of a large tree would mostly wait for the previous one
UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
TOOL_TIMEOUT_S = 30
ENV_PASSTHROUGH = ("YTM_DOCTOR_DISABLE_PLUGIN_AUTOLOAD",)
HEADER = "# Written by `ytm-doctor schedule install`; `ytm-doctor schedule remove` takes it away."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="install, remove, or show the schedule")
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
        help="where the files go (default: ~/.config/systemd/user or ~/Library/LaunchAgents)",
    )


# ---------------------------------------------------------------------------------------------
# The interval


def parse_interval(text: str) -> int:
    """'90s', '10m', '1h', '1h30m', '1d' -> seconds."""
    cleaned = (text or "").strip().lower().replace(" ", "")
    parts = re.findall(r"(\d+)([dhms])", cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise UsageError(
            f"schedule: --every {text!r}: expected a duration such as 90s, 10m, 1h or 1h30m"
        )
    seconds = sum(int(n) * UNIT_SECONDS[u] for n, u in parts)
    if seconds < MIN_INTERVAL_S:
        raise UsageError(f"schedule: --every {text}: the shortest interval is 1m")
    return seconds


def format_interval(seconds: int) -> str:
    out = ""
    for unit, size in UNIT_SECONDS.items():
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"


# ---------------------------------------------------------------------------------------------
# What the scheduled job runs


def ytm_doctor_command() -> list[str]:
    """This installation of ytm-doctor, by absolute path: its console script when that is what
    runs now, else this interpreter with `-m` (a timer must not depend on PATH)."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "ytm-doctor" and argv0.is_file():
        return [os.path.abspath(argv0)]
    # abspath, not resolve(): a venv's python is a symlink and only its own path is the venv.
    return [os.path.abspath(sys.executable), "-m", "ytm_doctor.cli"]


def _env_text(value: Any) -> str:
    value = plain_value(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return os.pathsep.join(str(v) for v in value)
    return str(value)


def _is_secret(key: str) -> bool:
    spec = KEYS.get(key)
    return bool(spec and spec.secret)


@dataclass
class ScheduledScan:
    argv: list[str]
    env: dict[str, str]
    left_out: list[str] = field(default_factory=list)  # secrets not copied, for a note


def scheduled_scan(config: Config, keep_reports: int, publish: bool) -> ScheduledScan:
    argv = ytm_doctor_command()
    if config.file is not None:
        argv += ["--config", os.path.abspath(config.file)]
    for spec in config.getoption("plugins") or []:
        is_file = spec.endswith(".py") or "/" in spec or os.sep in spec
        argv += ["-p", os.path.abspath(os.path.expanduser(spec)) if is_file else spec]
    env: dict[str, str] = {}
    left_out: list[str] = []
    for key, setting in config.settings.items():
        if setting.source not in ("flag", "env"):
            continue
        if _is_secret(key):
            left_out.append(setting.origin or key)
            continue
        if setting.source == "flag":
            # JSON is YAML, so --set reads it back exactly, quotes and colons included.
            argv += ["--set", f"{key}={json.dumps(plain_value(setting.value), ensure_ascii=False)}"]
        else:
            env[KEYS[key].env or key] = _env_text(setting.value)
    for name in ENV_PASSTHROUGH:
        if os.environ.get(name):
            env[name] = os.environ[name]
    argv.append("-q")
    pm = config.pluginmanager
    if pm is not None and not pm.has_plugin("publish"):
        # -p no:publish: the scheduled scan would not know these options.
        if publish:
            raise UsageError("schedule install: --publish needs the publish plugin (-p no:publish)")
    else:
        argv += ["--keep-reports", str(keep_reports)]
        if publish:
            argv.append("--publish")
    return ScheduledScan(argv, env, left_out)


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


def render_service(scan: ScheduledScan) -> str:
    lines = [
        HEADER,
        "[Unit]",
        "Description=ytm-doctor scan of the workspace and the share (scheduled)",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=" + " ".join(systemd_word(a) for a in scan.argv),
    ]
    lines += [systemd_environment(k, v) for k, v in sorted(scan.env.items())]
    lines += [
        "# Exit 1 means violations were found: the scan itself worked. 2-5 (interrupted,",
        "# internal error, bad configuration, no checks) mark the unit failed.",
        "SuccessExitStatus=1",
        "Nice=10",
        "",
    ]
    return "\n".join(lines)


def render_timer(seconds: int) -> str:
    every = format_interval(seconds)
    accuracy = max(1, min(60, seconds // 10))
    return "\n".join(
        [
            HEADER,
            "[Unit]",
            f"Description=ytm-doctor scan every {every}",
            "",
            "[Timer]",
            "# One minute after boot (at once when enabled later), then every interval after",
            "# the previous scan started. Boot catches up a missed run, so Persistent= (which",
            "# only applies to OnCalendar=) is not needed.",
            "OnBootSec=1min",
            f"OnUnitActiveSec={seconds}s",
            f"AccuracySec={accuracy}s",
            f"Unit={SERVICE}",
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


def render_plist(scan: ScheduledScan, seconds: int, log_dir: Path) -> bytes:
    for text in [*scan.argv, *scan.env.values(), os.fspath(log_dir)]:
        if has_undecodable(text):
            raise UsageError(
                f"schedule: {display(text)} is not valid UTF-8 and cannot go into a launchd plist"
            )
    agent: dict[str, Any] = {
        "Label": LABEL,
        "ProgramArguments": scan.argv,
        "StartInterval": seconds,
        "RunAtLoad": True,
        "StandardOutPath": os.fspath(log_dir / OUT_LOG),
        "StandardErrorPath": os.fspath(log_dir / ERR_LOG),
        "ProcessType": "Background",
    }
    if scan.env:
        agent["EnvironmentVariables"] = dict(sorted(scan.env.items()))
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML)


# ---------------------------------------------------------------------------------------------
# Where, and with which tool


def host_platform() -> str:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("linux"):
        return "linux"
    raise UsageError(f"schedule: no scheduler for {sys.platform}; use --platform linux|macos")


def default_unit_dir(platform: str) -> Path:
    if platform == "macos":
        return Path.home() / "Library" / "LaunchAgents"
    base = os.environ.get("XDG_CONFIG_HOME") or os.fspath(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


@dataclass
class Tool:
    argv: list[str]
    may_fail: bool = False  # e.g. unloading an agent that is not loaded

    def __str__(self) -> str:
        return shlex.join(self.argv)


@dataclass
class ToolResult:
    ok: bool
    found: bool
    output: str

    @property
    def message(self) -> str:
        lines = [ln.strip() for ln in self.output.splitlines() if ln.strip()]
        return lines[-1] if lines else "no output"


def run_tool(tool: Tool) -> ToolResult:
    program = shutil.which(tool.argv[0])
    if program is None:
        return ToolResult(False, False, f"{tool.argv[0]} not found")
    try:
        proc = subprocess.run(
            [program, *tool.argv[1:]],
            capture_output=True,
            text=True,
            errors="backslashreplace",
            timeout=TOOL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ToolResult(False, True, f"no answer in {TOOL_TIMEOUT_S}s")
    except OSError as exc:
        return ToolResult(False, False, f"{tool.argv[0]}: {exc.strerror or exc}")
    return ToolResult(proc.returncode == 0, True, (proc.stdout or "") + (proc.stderr or ""))


@dataclass
class Target:
    platform: str
    unit_dir: Path

    @property
    def names(self) -> list[str]:
        return [SERVICE, TIMER] if self.platform == "linux" else [PLIST]

    @property
    def paths(self) -> list[Path]:
        return [self.unit_dir / n for n in self.names]

    def enable_tools(self) -> list[Tool]:
        if self.platform == "linux":
            return [
                Tool(["systemctl", "--user", "daemon-reload"]),
                Tool(["systemctl", "--user", "enable", "--now", TIMER]),
            ]
        domain = f"gui/{os.getuid()}"
        return [
            # A re-install replaces a loaded agent: unload it first (fails when none is).
            Tool(["launchctl", "bootout", f"{domain}/{LABEL}"], may_fail=True),
            Tool(["launchctl", "bootstrap", domain, os.fspath(self.unit_dir / PLIST)]),
        ]

    def disable_tools(self) -> list[Tool]:
        if self.platform == "linux":
            return [Tool(["systemctl", "--user", "disable", "--now", TIMER])]
        return [Tool(["launchctl", "bootout", f"gui/{os.getuid()}/{LABEL}"], may_fail=True)]

    def after_remove_tools(self) -> list[Tool]:
        return [Tool(["systemctl", "--user", "daemon-reload"])] if self.platform == "linux" else []


def target_for(config: Config) -> Target:
    platform = config.getoption("platform") or host_platform()
    unit_dir = config.getoption("unit_dir")
    path = Path(unit_dir).expanduser().absolute() if unit_dir else default_unit_dir(platform)
    return Target(platform, path)


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def set_aside(path: Path, stamp: str) -> Path:
    """Move `path` under <its dir>/.ytm-doctor-previous/<stamp>/ (nothing is deleted)."""
    dest_dir = path.parent / PREVIOUS_DIR / stamp
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / path.name
    n = 1
    while os.path.lexists(dest):
        n += 1
        dest = dest_dir / f"{path.name}.{n}"
    os.replace(path, dest)
    return dest


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"schedule: cannot read {path}: {exc.strerror or exc}") from None


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


def planned_files(config: Config, target: Target, seconds: int) -> tuple[dict[Path, bytes], list]:
    scan = scheduled_scan(
        config, config.getoption("keep_reports", DEFAULT_KEEP_REPORTS), config.getoption("publish")
    )
    if target.platform == "linux":
        files = {
            target.unit_dir / SERVICE: render_service(scan).encode("utf-8", "surrogateescape"),
            target.unit_dir / TIMER: render_timer(seconds).encode("utf-8"),
        }
    else:
        files = {target.unit_dir / PLIST: render_plist(scan, seconds, config.paths.report_dir)}
    return files, scan.left_out


def install(config: Config) -> int:
    every = config.getoption("every")
    if not every:
        raise UsageError("schedule install: --every is required, e.g. --every 10m")
    seconds = parse_interval(every)
    config.validate()  # a timer that fails with exit 4 every 10 minutes helps nobody
    target = target_for(config)
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
            current = _read_bytes(path)
            state = (
                "new"
                if current is None
                else "unchanged"
                if current == data
                else f"replaces the current one, kept in {path.parent / PREVIOUS_DIR}"
            )
            print(f"--- {path} ({state})")
            sys.stdout.write(data.decode("utf-8", "backslashreplace"))
        print("--- commands it would run")
        for tool in target.enable_tools():
            print(
                f"  {tool}"
                + ("   (fails harmlessly when nothing is loaded)" if tool.may_fail else "")
            )
        print(f"\nDry run: nothing written. Add --run to install a scan every {every}.")
        return ExitCode.OK

    stamp = _stamp()
    try:
        target.unit_dir.mkdir(parents=True, exist_ok=True)
        if target.platform == "macos":
            # launchd opens the log files but does not create their directory.
            config.paths.report_dir.mkdir(parents=True, exist_ok=True)
        for path, data in files.items():
            current = _read_bytes(path)
            if current == data:
                print(f"unchanged {path}")
                continue
            if current is not None:
                print(f"kept the previous {path.name} as {set_aside(path, stamp)}")
            write_atomic(path, data)
            print(f"wrote {path}")
    except OSError as exc:
        raise UsageError(f"schedule install: cannot write {exc.filename}: {exc.strerror}") from None

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
    print(f"scheduled: a scan every {format_interval(seconds)} (`ytm-doctor schedule status`)")
    return ExitCode.OK


def remove(config: Config) -> int:
    target = target_for(config)
    present = [p for p in target.paths if os.path.lexists(p)]
    if not present:
        print(f"nothing installed in {target.unit_dir}")
        return ExitCode.OK
    if not config.getoption("run"):
        for tool in target.disable_tools():
            print(f"would run  {tool}")
        for path in present:
            print(f"would move {path} to {target.unit_dir / PREVIOUS_DIR}/<stamp>/")
        for tool in target.after_remove_tools():
            print(f"would run  {tool}")
        print("\nDry run: nothing changed. Add --run to remove the schedule.")
        return ExitCode.OK

    for tool in target.disable_tools():
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
    stamp = _stamp()
    try:
        for path in present:
            print(f"moved {path} to {set_aside(path, stamp)}")
    except OSError as exc:
        raise UsageError(f"schedule remove: cannot move {exc.filename}: {exc.strerror}") from None
    for tool in target.after_remove_tools():
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
        if path.name == TIMER:
            every = read_unit(data.decode("utf-8")).get("Timer", "OnUnitActiveSec", fallback="")
            seconds = int(every.rstrip("s")) if every.rstrip("s").isdigit() else None
            return f"installed: every {format_interval(seconds)}" if seconds else "installed"
        if path.name == SERVICE:
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


def _scheduler_state(target: Target) -> list[str]:
    if target.platform == "linux":
        tools = {
            "enabled": Tool(["systemctl", "--user", "is-enabled", TIMER]),
            "active": Tool(["systemctl", "--user", "is-active", TIMER]),
            "last run": Tool(
                [
                    "systemctl",
                    "--user",
                    "show",
                    SERVICE,
                    "--property=Result,ExecMainStatus,ExecMainExitTimestamp",
                ]
            ),
        }
    else:
        tools = {"launchd": Tool(["launchctl", "print", f"gui/{os.getuid()}/{LABEL}"])}
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
    target = target_for(config)
    kind = "systemd user units" if target.platform == "linux" else "launchd agent"
    print(f"schedule ({target.platform}, {kind} in {target.unit_dir})")
    for path in target.paths:
        print(f"  {path.name}: {_describe_file(path)}")
    for line in _scheduler_state(target):
        print(f"  {line}")
    report_dir = None
    if config["workspace_root"] is not None and config["shared_storage.root"] is not None:
        report_dir = config.paths.report_dir
    if report_dir is not None:
        from ytm_doctor.reports.publish import report_groups

        try:
            stamps = sorted(report_groups(report_dir))
        except OSError:
            stamps = []
        last = f"report__{stamps[-1]}.json" if stamps else "none yet"
        print(f"  last saved report: {last} in {report_dir}")
    return ExitCode.OK
