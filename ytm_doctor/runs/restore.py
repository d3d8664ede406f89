"""Planning a restore from an archive report: each archived run renamed back to where the
report says it came from, refused for a run whose place is taken now (or whose archived copy
is gone), and nothing changed for it. One Fix for the runs that can go back, with
`restore_report_<stamp>.json` written beside the report and the report itself rewritten (a
`replace`: its old bytes are kept, undo puts them back) to mark what was restored."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import iso_seconds
from ytm_doctor.errors import UsageError
from ytm_doctor.fix.plan import Action, Fix, PathRef
from ytm_doctor.identity import host_name
from ytm_doctor.jsonio import JsonInputError, dumps_json, read_json
from ytm_doctor.paths import is_under
from ytm_doctor.runs.layout import (
    ARCHIVE_DIR,
    REPORT_MAX_BYTES,
    REPORT_SCHEMA,
    RESTORE_SCHEMA,
    RUNS_DIR,
    plain_name,
)
from ytm_doctor.text import plural

if TYPE_CHECKING:
    from ytm_doctor.context import Context

FIXER = "restore-runs"
WHAT = "archive report"
RESTORE, REFUSED, IN_PLACE = "restore", "refused", "in place"


@dataclass
class ArchiveReport:
    path: str  # as given
    rel: str  # workspace-relative: video/_archive/<stamp>/archive_report.json
    data: dict[str, Any]

    @property
    def folder_rel(self) -> str:
        return self.rel.rpartition("/")[0]

    @property
    def moved(self) -> list[Any]:
        return self.data["moved"]


@dataclass
class RestoreItem:
    index: int  # in the report's `moved`
    run_id: str
    src: str | None  # where the run was (workspace-relative), where it goes back to
    dest: str | None  # where the archive put it
    status: str = RESTORE
    why: str = ""


@dataclass
class RestorePlan:
    report: ArchiveReport
    stamp: str
    created: datetime
    items: list[RestoreItem] = field(default_factory=list)
    fix: Fix | None = None
    restore_report: dict[str, Any] = field(default_factory=dict)

    def having(self, status: str) -> list[RestoreItem]:
        return [i for i in self.items if i.status == status]

    @property
    def restore_report_rel(self) -> str:
        return f"{self.report.folder_rel}/restore_report_{self.stamp}.json"


def read_report(ctx: Context, path: str) -> ArchiveReport:
    """The archive report at `path`, which must lie under this workspace's video/_archive/
    (the restore report is written beside it and it is rewritten): UsageError otherwise."""
    ws_root = os.path.normpath(os.path.abspath(ctx.paths.workspace_root))
    archive = os.path.join(ws_root, ARCHIVE_DIR)
    full = os.path.normpath(os.path.abspath(path))
    if is_under(full, archive):
        rel = os.path.relpath(full, ws_root)
    elif is_under(os.path.realpath(full), os.path.realpath(archive)):
        # Named through a link (macOS /var vs /private/var): by its place in the workspace.
        rel = os.path.relpath(os.path.realpath(full), os.path.realpath(ws_root))
    else:
        raise UsageError(
            f"{path}: not an archive report of this workspace (expected under {archive}/)"
        )
    try:
        data = read_json(full, max_bytes=REPORT_MAX_BYTES, what=WHAT, follow_symlinks=False)
    except JsonInputError as exc:
        raise UsageError(str(exc)) from None
    if (
        not isinstance(data, dict)
        or data.get("schema", REPORT_SCHEMA) != REPORT_SCHEMA
        or not isinstance(data.get("moved"), list)
    ):
        raise UsageError(f"{path}: not a video runs archive report (no list of moved runs)")
    return ArchiveReport(path, rel.replace(os.sep, "/"), data)


def plan_restore(
    ctx: Context, report: ArchiveReport, created: datetime, stamp: str, only: str | None
) -> RestorePlan:
    plan = RestorePlan(report, stamp, created)
    ws_root = os.fspath(ctx.paths.workspace_root)
    seen: set[str] = set()
    for index, entry in enumerate(report.moved):
        item = _item(ws_root, index, entry)
        if only is not None and item.run_id != only:
            continue
        if item.status == RESTORE and item.src in seen:
            item.status, item.why = REFUSED, f"{item.src} is listed twice; restore it by hand"
        if item.status == RESTORE:
            _judge(ws_root, item, entry)
        if item.src:
            seen.add(item.src)
        plan.items.append(item)
    if only is not None and not plan.items:
        raise UsageError(f"{report.path}: lists no run {only}")
    plan.restore_report = _restore_report(plan, only)
    restoring = plan.having(RESTORE)
    if restoring:
        plan.fix = Fix(
            fixer=FIXER,
            rule="",
            title=f"restore {plural(len(restoring), 'run')} from {report.rel}",
            actions=_actions(ws_root, plan, restoring),
        )
    return plan


def _ws_rel(ws_root: str, value: Any) -> str | None:
    """A report path as a plain workspace-relative path: relative ones as written, absolute
    ones only inside this workspace (the older tool wrote absolute paths)."""
    if not isinstance(value, str) or not value or "\0" in value:
        return None
    if os.path.isabs(value):
        if not is_under(os.path.normpath(value), os.path.normpath(ws_root)):
            return None
        value = os.path.relpath(os.path.normpath(value), ws_root)
    rel = os.path.normpath(value).replace(os.sep, "/")
    return None if rel.startswith("..") or rel in (".", "") else rel


def _item(ws_root: str, index: int, entry: Any) -> RestoreItem:
    if not isinstance(entry, dict):
        return RestoreItem(index, "?", None, None, REFUSED, "not an object")
    src = _ws_rel(ws_root, entry.get("src"))
    dest = _ws_rel(ws_root, entry.get("dest"))
    run_id = entry.get("run_id")
    if not isinstance(run_id, str):
        run_id = src.rpartition("/")[2] if src else "?"
    item = RestoreItem(index, run_id, src, dest)
    parent, _, name = (src or "").rpartition("/")
    if src is None or parent != RUNS_DIR or not plain_name(name):
        item.status, item.why = REFUSED, f"its origin {entry.get('src')!r} is not in {RUNS_DIR}/"
    elif dest is None or not dest.startswith(ARCHIVE_DIR + "/"):
        item.status, item.why = REFUSED, f"its copy {entry.get('dest')!r} is not in {ARCHIVE_DIR}/"
    return item


def _judge(ws_root: str, item: RestoreItem, entry: dict[str, Any]) -> None:
    """Whether the run can go back now: its copy is a folder and its place is free."""
    assert item.src is not None and item.dest is not None
    archived = os.path.join(ws_root, item.dest)
    original = os.path.join(ws_root, item.src)
    if not os.path.lexists(archived):
        if os.path.lexists(original):
            item.status = IN_PLACE
            item.why = "already restored" if entry.get("restored_at") else f"{item.src} exists"
        else:
            item.status, item.why = REFUSED, f"its archived copy {item.dest} is gone"
    elif os.path.islink(archived) or not os.path.isdir(archived):
        item.status, item.why = REFUSED, f"{item.dest} is not a run folder"
    elif os.path.lexists(original):
        item.status = REFUSED
        item.why = f"{item.src} exists now; nothing changed for this run"


def _restore_report(plan: RestorePlan, only: str | None) -> dict[str, Any]:
    return {
        "schema": RESTORE_SCHEMA,
        "tool": "ytm-doctor",
        "created_at": iso_seconds(plan.created),
        "host": host_name(),
        "archive_report": plan.report.rel,
        "only_run_id": only,
        "restored": [
            {"run_id": i.run_id, "from": i.dest, "to": i.src} for i in plan.having(RESTORE)
        ],
        "refused": [{"run_id": i.run_id, "why": i.why} for i in plan.having(REFUSED)],
        "in_place": [{"run_id": i.run_id, "why": i.why} for i in plan.having(IN_PLACE)],
    }


def _actions(ws_root: str, plan: RestorePlan, restoring: list[RestoreItem]) -> list[Action]:
    def ref(rel: str) -> PathRef:
        return PathRef("workspace", rel)

    actions = []
    for rel in ("video", RUNS_DIR):  # video/runs may be gone since: made again, undone with it
        if not os.path.lexists(os.path.join(ws_root, rel)):
            actions.append(Action("mkdir", ref(rel)))
    for item in restoring:
        assert item.src is not None and item.dest is not None
        actions.append(Action("rename", ref(item.dest), dest=ref(item.src), note="restore"))
    body = (dumps_json(plan.restore_report, indent=2) + "\n").encode("utf-8")
    actions.append(Action("write", ref(plan.restore_report_rel), data=body, note="report"))
    actions.append(
        Action("replace", ref(plan.report.rel), data=_marked(plan, restoring), note="mark")
    )
    return actions


def _marked(plan: RestorePlan, restoring: list[RestoreItem]) -> bytes:
    """The archive report with each restored run marked (when, and by which restore report)."""
    data = dict(plan.report.data)
    moved = list(data["moved"])
    name = plan.restore_report_rel.rpartition("/")[2]
    for item in restoring:
        moved[item.index] = {
            **moved[item.index],
            "restored_at": iso_seconds(plan.created),
            "restore_report": name,
        }
    data["moved"] = moved
    return (dumps_json(data, indent=2) + "\n").encode("utf-8")
