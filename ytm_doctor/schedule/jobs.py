"""What a scheduled job runs: its interval, its command line and environment (absolute
paths only: a timer has no working directory and no shell profile).

Four jobs, each its own systemd service/timer pair or launchd agent so they coexist: `scan`
(the default), `mirror`, `flush-outbox` and the opt-in `offline-fallback`."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.config import KEYS, plain_value
from ytm_doctor.errors import UsageError
from ytm_doctor.jsonio import JsonInputError, read_json

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
# Written by `schedule install --job mirror --run` in the report directory, taken away by
# `schedule remove --job mirror --run`: how YTM703 knows a mirror is expected on this host
# (the unit files may live anywhere with --unit-dir; this record is where the check looks).
MIRROR_RECORD = "scheduled_mirror.json"
HEADER = "# Written by `ytm-doctor schedule install`; `ytm-doctor schedule remove` takes it away."


# ---------------------------------------------------------------------------------------------
# The jobs


@dataclass(frozen=True)
class Job:
    name: str
    what: str  # for the unit's description and the install line
    # Exit statuses that are not a failure of the job: 1 means "found problems" for a scan and
    # "some fallback must wait for the share" for offline-fallback.
    success_exit: str | None = None

    @property
    def service(self) -> str:
        return f"ytm-doctor-{self.name}.service"

    @property
    def timer(self) -> str:
        return f"ytm-doctor-{self.name}.timer"

    @property
    def label(self) -> str:
        return f"ytm.doctor.{self.name}"

    @property
    def plist(self) -> str:
        return f"{self.label}.plist"

    @property
    def out_log(self) -> str:
        return f"scheduled_{self.name}.out.log"

    @property
    def err_log(self) -> str:
        return f"scheduled_{self.name}.err.log"


JOBS = {
    job.name: job
    for job in (
        Job("scan", "scan of the workspace and the share", success_exit="1"),
        Job("mirror", "mirror of Hot to the Vault"),
        Job("flush-outbox", "flush of the outbox to the share"),
        Job("offline-fallback", "local copies of Hot inputs while the share is down", "1"),
    )
}
SCAN_JOB = JOBS["scan"]


def job_named(name: str | None) -> Job:
    return JOBS[name or "scan"]


def mirror_record(report_dir: Path) -> dict[str, Any] | None:
    """The record `schedule install --job mirror --run` left, or None (none, or unreadable:
    a check must not fail over it)."""
    try:
        data = read_json(report_dir / MIRROR_RECORD, max_bytes=1 << 16, what="schedule record")
    except JsonInputError:
        return None
    return data if isinstance(data, dict) else None


def drop_mirror_record(report_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (report_dir / MIRROR_RECORD).unlink()


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


def _config_args(config: Config) -> ScheduledScan:
    """--config, -p and --set (and the environment) that make the job see this configuration."""
    argv: list[str] = []
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
    return ScheduledScan(argv, env, left_out)


# What each non-scan job runs after `ytm-doctor`: the subcommand first (its options follow),
# then what makes it safe unattended. --if-share-up: a share that is down is "nothing to do",
# exit 0 in one line, instead of the interactive refusal.
JOB_COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "mirror": (["mirror"], ["--run", "--if-share-up"]),
    "flush-outbox": (["store", "flush-outbox"], ["--run", "--if-share-up"]),
    "offline-fallback": (["fix"], ["--select", "YTM403", "--run"]),
}


def scheduled_job(config: Config, job: Job, keep_reports: int, publish: bool) -> ScheduledScan:
    if job.name == "scan":
        return scheduled_scan(config, keep_reports, publish)
    if publish:
        raise UsageError(f"schedule install: --publish is for the scan job, not {job.name}")
    sub, tail = JOB_COMMANDS[job.name]
    common = _config_args(config)
    argv = [*ytm_doctor_command(), *sub, *common.argv, *tail]
    return ScheduledScan(argv, common.env, common.left_out)


def scheduled_scan(config: Config, keep_reports: int, publish: bool) -> ScheduledScan:
    common = _config_args(config)
    argv = [*ytm_doctor_command(), *common.argv, "-q"]
    pm = config.pluginmanager
    if pm is not None and not pm.has_plugin("publish"):
        # -p no:publish: the scheduled scan would not know these options.
        if publish:
            raise UsageError("schedule install: --publish needs the publish plugin (-p no:publish)")
    else:
        argv += ["--keep-reports", str(keep_reports)]
        if publish:
            argv.append("--publish")
    return ScheduledScan(argv, common.env, common.left_out)
