"""Planning an archive of runs: one Fix that makes `video/_archive/<stamp>/runs/`, renames each
run the guards allow into it (same filesystem: nothing copied, nothing deleted) and writes
`archive_report.json` beside it, all journaled so `ytm-doctor undo RUN --run` removes the report
and moves every run back. Shared by `archive runs` and the archive-runs fixer (YTM406)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import iso_seconds
from ytm_doctor.fix.plan import Action, Fix, PathRef
from ytm_doctor.identity import host_name
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.runs.layout import (
    ARCHIVE_DIR,
    ARCHIVE_REPORT,
    REPORT_SCHEMA,
    archive_rel,
    archived_run_rel,
)
from ytm_doctor.runs.select import Decision, Guards, Selection, decide
from ytm_doctor.text import plural

if TYPE_CHECKING:
    from ytm_doctor.context import Context

FIXER = "archive-runs"
RULE = "YTM406"


@dataclass
class ArchivePlan:
    stamp: str  # the archive's folder name under video/_archive
    created: datetime
    selection: Selection
    guards: Guards
    decisions: list[Decision]
    fix: Fix | None  # None: nothing to move
    report: dict[str, Any]  # archive_report.json (also the dry run's report)

    @property
    def moving(self) -> list[Decision]:
        return [d for d in self.decisions if d.run.run_id in self.moved_ids]

    @property
    def moved_ids(self) -> set[str]:
        return {m["run_id"] for m in self.report["moved"]}

    @property
    def size_bytes(self) -> int:
        return sum(int(m.get("size_bytes") or 0) for m in self.report["moved"])

    @property
    def report_rel(self) -> str:
        return f"{archive_rel(self.stamp)}/{ARCHIVE_REPORT}"


def plan_archive(
    ctx: Context,
    selection: Selection,
    guards: Guards,
    created: datetime,
    stamp: str,
    *,
    only: Iterable[str] | None = None,
    reason: str = "archive runs",
    rule: str = RULE,
    fingerprints: Iterable[str] = (),
) -> ArchivePlan:
    """Decide every run `selection` asks about and plan moving the archivable ones (of those,
    only the runs in `only` when given: a fixer moves what its finding listed, nothing more)."""
    decisions = decide(ctx.workspace, selection, guards)
    wanted = set(only) if only is not None else None
    moving = [d for d in decisions if d.archivable and (wanted is None or d.run.run_id in wanted)]
    ws_root = os.fspath(ctx.paths.workspace_root)
    stamp = _free_stamp(ws_root, stamp)
    report = _report(decisions, moving, selection, guards, created, stamp, reason)
    fix = None
    if moving:
        fix = Fix(
            fixer=FIXER,
            rule=rule,
            title=f"archive {plural(len(moving), 'run')} to {archive_rel(stamp)}/runs/",
            actions=_actions(ws_root, moving, stamp, report),
            fingerprints=list(fingerprints),
            channel=selection.channel,
            video=selection.video,
        )
    return ArchivePlan(stamp, created, selection, guards, decisions, fix, report)


def _free_stamp(ws_root: str, stamp: str) -> str:
    """The stamp, or stamp-2, -3...: two archives in one second never share a folder."""
    candidate, n = stamp, 1
    while os.path.lexists(os.path.join(ws_root, archive_rel(candidate))):
        n += 1
        candidate = f"{stamp}-{n}"
    return candidate


def _actions(
    ws_root: str, moving: list[Decision], stamp: str, report: dict[str, Any]
) -> list[Action]:
    def ref(rel: str) -> PathRef:
        return PathRef("workspace", rel)

    actions = []
    # Each missing folder its own mkdir, so undo removes exactly the ones the archive made.
    for rel in ("video", ARCHIVE_DIR):
        if not os.path.lexists(os.path.join(ws_root, rel)):
            actions.append(Action("mkdir", ref(rel)))
    actions.append(Action("mkdir", ref(archive_rel(stamp))))
    actions.append(Action("mkdir", ref(f"{archive_rel(stamp)}/runs")))
    for decision in moving:
        run_id = decision.run.run_id
        dest = ref(archived_run_rel(stamp, run_id))
        actions.append(Action("rename", ref(decision.run.rel), dest=dest, note="archive"))
    data = (dumps_json(report, indent=2) + "\n").encode("utf-8")
    actions.append(
        Action("write", ref(f"{archive_rel(stamp)}/{ARCHIVE_REPORT}"), data=data, note="report")
    )
    return actions


def _report(
    decisions: list[Decision],
    moving: list[Decision],
    selection: Selection,
    guards: Guards,
    created: datetime,
    stamp: str,
    reason: str,
) -> dict[str, Any]:
    """archive_report.json: what moved from where (`moved`: run_id, src, dest, as the older
    tool wrote and YTM405 reads), and what was kept and why. Kept runs are listed under other
    keys than run_id/src/dest, so nothing reading moves mistakes them for moved runs."""
    moved_ids = {d.run.run_id for d in moving}
    return {
        "schema": REPORT_SCHEMA,
        "tool": "ytm-doctor",
        "created_at": iso_seconds(created),
        "host": host_name(),
        "reason": reason,
        "archive_dir": archive_rel(stamp),
        "scope": selection.to_json(),
        "guards": guards.to_json(),
        "moved": [_moved(d, stamp) for d in moving],
        "kept": [
            {"kept_run": d.run.run_id, "path": d.run.rel, "guards": d.kept, "why": d.why}
            for d in decisions
            if d.run.run_id not in moved_ids and d.kept
        ],
    }


def _moved(decision: Decision, stamp: str) -> dict[str, Any]:
    run, stats = decision.run, decision.stats
    entry: dict[str, Any] = {
        "run_id": run.run_id,
        "episode": run.episode,
        "src": run.rel,
        "dest": archived_run_rel(stamp, run.run_id),
    }
    if run.unscoped:
        entry["unscoped"] = run.unscoped
    if stats is not None:
        entry["size_bytes"] = stats.size_bytes
        entry["newest_mtime"] = iso_seconds(
            datetime.fromtimestamp(stats.newest_ns / 1e9, tz=timezone.utc)
        )
    return entry
