"""Where the files go on this host, the tool that enables them (systemctl, launchctl), and
setting old files aside instead of deleting them."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.clock import file_stamp, utc_now
from ytm_doctor.errors import UsageError
from ytm_doctor.schedule.jobs import LABEL, PLIST, PREVIOUS_DIR, SERVICE, TIMER, TOOL_TIMEOUT_S

if TYPE_CHECKING:
    from ytm_doctor.config import Config


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
        # Another host's launchd domain is its user's uid, left for its shell to expand:
        # double quotes, not shlex's single ones.
        return shlex.join(self.argv).replace("'gui/$(id -u)'", '"gui/$(id -u)"')


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
    # Whether systemctl/launchctl may be run: only for this host's own kind of files in the
    # directory its scheduler reads. Files for another host, or for a directory of the user's
    # choosing, are only written: reloading this host's systemd (or calling launchctl on
    # Linux) would act on something these files are not part of.
    runs_tools: bool = True

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
        # On another host its own uid, not this one's.
        domain = f"gui/{os.getuid()}" if self.runs_tools else "gui/$(id -u)"
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
    here = host_platform() if not config.getoption("platform") else this_platform()
    platform = config.getoption("platform") or here
    unit_dir = config.getoption("unit_dir")
    path = Path(unit_dir).expanduser().absolute() if unit_dir else default_unit_dir(platform)
    return Target(platform, path, runs_tools=platform == here and not unit_dir)


def this_platform() -> str | None:
    """This host's platform, or None where there is no scheduler (files can still be written
    for one that has)."""
    try:
        return host_platform()
    except UsageError:
        return None


def is_foreign(config: Config) -> bool:
    """The files are for another kind of host than this one."""
    wanted = config.getoption("platform")
    return bool(wanted) and wanted != this_platform()


def aside_stamp() -> str:
    return file_stamp(utc_now())


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


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"schedule: cannot read {path}: {exc.strerror or exc}") from None
