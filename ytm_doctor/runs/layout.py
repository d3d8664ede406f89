"""Where runs live and where archived runs go, and how one run's tree is measured.

An archive is `video/_archive/<stamp>/`: the moved runs under `runs/<run_id>/` and
`archive_report.json` saying what moved from where (the format the older cleanup tool wrote,
which YTM405 and restore-run read, extended with the guards and what was kept).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass

RUNS_DIR = "video/runs"
ARCHIVE_DIR = "video/_archive"
ARCHIVE_REPORT = "archive_report.json"
KEEP_MARKER = ".keep"  # a person's "never archive this run"
REPORT_SCHEMA = "ytm.video_runs_archive_report.v1"  # as the older cleanup tool named it
RESTORE_SCHEMA = "ytm.video_runs_restore_report.v1"
DRY_RUN_DIR = "runs_archive"  # under the report dir: what dry runs would have done
REPORT_MAX_BYTES = 64 << 20  # a report lists every moved run; still bounded
# A run named after an episode: "CH02-012__20260120T101500Z", "CH02-012_retake".
EPISODE_RUN_RE = re.compile(r"(CH[0-9]{2})-([0-9]{3})(?![0-9])")
CHANNEL_RUN_RE = re.compile(r"(CH[0-9]{2})(?![0-9])")


def run_rel(run_id: str) -> str:
    return f"{RUNS_DIR}/{run_id}"


def archive_rel(stamp: str) -> str:
    return f"{ARCHIVE_DIR}/{stamp}"


def archived_run_rel(stamp: str, run_id: str) -> str:
    return f"{ARCHIVE_DIR}/{stamp}/runs/{run_id}"


def plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name and "\0" not in name


@dataclass
class RunStats:
    """One run's tree as measured (lstat, links never followed): what the recent guard and
    the sizes read. Filled by `measure_run` (the commands) or entry by entry (YTM406 through
    the shared walk)."""

    size_bytes: int = 0
    newest_ns: int = 0  # newest mtime of the run dir and everything in it
    entries: int = 0
    keep_marker: bool = False
    error: str | None = None  # a part could not be read: the run's recency is unknown

    def add(self, st: os.stat_result) -> None:
        self.entries += 1
        self.newest_ns = max(self.newest_ns, st.st_mtime_ns)
        if stat.S_ISREG(st.st_mode):
            self.size_bytes += st.st_size


def measure_run(path: str) -> RunStats:
    """Size and newest mtime of the run at `path` (a directory; links inside are counted as
    links, never followed). A run being generated writes deep inside it (images/, remotion/)
    without touching the run dir's own mtime, so every entry is looked at."""
    stats = RunStats()
    try:
        stats.add(os.lstat(path))
    except OSError as exc:
        stats.error = exc.strerror or str(exc)
        return stats
    stats.keep_marker = os.path.lexists(os.path.join(path, KEEP_MARKER))
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                for entry in listing:
                    st = entry.stat(follow_symlinks=False)
                    stats.add(st)
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
        except FileNotFoundError:
            continue  # removed while measured: nothing there to be recent
        except OSError as exc:
            stats.error = f"{os.path.relpath(current, path)}: {exc.strerror or exc}"
    return stats
