"""What the mirror's run logs say: the newest real run and the newest successful one.

Read from `logs/ops/workspaces_mirror/` (written by `ytm-doctor mirror` and by the old
workspaces_mirror.py alike, seed 002), newest first, never more than MAX_LOGS_READ of them: a
dry-run's log is skipped (its returncode 0 is not a mirror). YTM703 and `ytm-doctor status`
both read it here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ytm_doctor.clock import parse_utc
from ytm_doctor.jsonio import JsonInputError, read_json
from ytm_doctor.mirror.names import LOG_DIR, LOG_PREFIX, RSYNC_EXIT

MAX_LOGS_READ = 500  # newest first; a success is normally the newest or close to it
LOG_MAX_BYTES = 4 << 20


@dataclass(frozen=True)
class MirrorRun:
    log: str  # file name
    ok: bool
    status: str
    returncode: int | None
    finished: datetime
    reason: str | None  # why it failed, in words

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "log": f"{LOG_DIR}/{self.log}",
            "finished_at": self.finished.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "minutes_ago": round((now - self.finished).total_seconds() / 60, 1),
            "status": self.status,
            "returncode": self.returncode,
            "reason": self.reason,
        }


def read_run(folder: str, name: str) -> MirrorRun | None:
    """One real run's log, or None for a dry-run or a log that cannot be read. Old
    workspaces_mirror.py logs say `run` and `result.returncode` only: 0 is success."""
    path = os.path.join(folder, name)
    try:
        data = read_json(path, max_bytes=LOG_MAX_BYTES, what="mirror log", allow_bom=True)
    except JsonInputError:
        return None
    if not isinstance(data, dict) or data.get("run") is not True:
        return None
    result = data.get("result") if isinstance(data.get("result"), dict) else {}
    rc = data.get("returncode", result.get("returncode"))
    rc = rc if isinstance(rc, int) and not isinstance(rc, bool) else None
    ok = data["ok"] is True if "ok" in data else rc == 0
    status = str(data.get("status") or ("ok" if ok else "failed"))
    stamp = name[len(LOG_PREFIX) :].split(".", 1)[0].split("_", 1)[0]
    finished = (
        parse_utc(data.get("finished_at")) or parse_utc(data.get("started_at")) or parse_utc(stamp)
    )
    if finished is None:
        return None
    reason = None
    if not ok:
        reason = data.get("refused") or data.get("error")
        if not reason:
            reason = f"rsync exited {rc}" + (f" ({RSYNC_EXIT[rc]})" if rc in RSYNC_EXIT else "")
            stderr = data.get("stderr")
            if isinstance(stderr, list) and stderr and isinstance(stderr[0], str):
                reason += f": {stderr[0]}"
    return MirrorRun(name, ok, status, rc, finished, str(reason) if reason else None)


def mirror_history(workspace_root: str) -> tuple[MirrorRun | None, MirrorRun | None]:
    """(the newest real run, the newest successful one), reading logs newest first."""
    folder = os.path.join(workspace_root, LOG_DIR)
    try:
        names = [n for n in os.listdir(folder) if n.startswith(LOG_PREFIX) and n.endswith(".json")]
    except OSError:
        return None, None
    last = None
    # workspaces_mirror__<stamp>.json sorts before <stamp>_2.json: name order is time order.
    for name in sorted(names, reverse=True)[:MAX_LOGS_READ]:
        run = read_run(folder, name)
        if run is None:
            continue
        last = last or run
        if run.ok:
            return last, run
    return last, None
