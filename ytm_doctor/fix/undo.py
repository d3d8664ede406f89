"""Undo: a journaled run's inverses, grouped by fix and judged against the disk now, then run
through the same Executor rules, in a journal of their own (`undo_of`).

An inverse runs only while the path is what its action left; a fix whose inverses cannot all
run is refused whole. An action begun but never recorded done is undone only where the disk
shows it happened. Journals written before operations became classes undo the same way: each
entry is dispatched on its action's op name.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.executor import Executor, UndoStep, failure
from ytm_doctor.fix.journal import (
    Journal,
    JournalEntry,
    JournalRecord,
    audit,
    list_runs,
    read_journal,
)
from ytm_doctor.fix.operation import OperationRegistry, Refused
from ytm_doctor.fix.plan import PathRef, check_state, json_type
from ytm_doctor.fix.run import open_journal

if TYPE_CHECKING:
    from ytm_doctor.context import Context


@dataclass
class UndoGroup:
    """The inverses of one fix, in the order they run, and why they cannot (empty: they can)."""

    fix: int
    steps: list[UndoStep]
    problems: list[str]
    status: str = ""  # undone, refused, failed (after running)
    error: str = ""


@dataclass
class UndoPlan:
    run_id: str
    record: JournalRecord
    groups: list[UndoGroup]
    undone_by: list[str] = field(default_factory=list)  # earlier undo runs of this run


@dataclass
class UndoOutcome:
    undo_id: str
    journal: Path
    groups: list[UndoGroup]

    def count(self, status: str) -> int:
        return sum(g.status == status for g in self.groups)


def plan_undo(ctx: Context, registry: OperationRegistry, run_id: str) -> UndoPlan:
    log_dir = ctx.paths.report_dir
    record = read_journal(log_dir, run_id)
    if record.header.get("undo_of"):
        raise UsageError(f"run {run_id} is itself an undo; run the fix again instead")
    if record.damaged:
        lines = ", ".join(str(n) for n in record.damaged[:5])
        raise UsageError(
            f"{record.path}: line {lines} names no fix; undo refused (nothing changed): "
            "which fix those actions belong to is unknown"
        )
    by_fix: dict[int, list[JournalEntry]] = {}
    # A fix that failed during its run was reverted then and there: nothing left to undo.
    rolled_back = {n.get("fix") for n in record.notes if "rolled_back" in n and _int(n.get("fix"))}
    for entry in record.entries:
        if entry.fix not in rolled_back:
            by_fix.setdefault(entry.fix, []).append(entry)
    undone_by = [
        str(r.header.get("run_id"))
        for r in list_runs(log_dir)
        if r.header.get("undo_of") == run_id and any(e.done for e in r.entries)
    ]
    executor = Executor(ctx, registry)
    groups = [_undo_group(executor, n, by_fix[n]) for n in sorted(by_fix, reverse=True)]
    return UndoPlan(run_id, record, groups, undone_by)


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _undo_group(executor: Executor, fix: int, entries: list[JournalEntry]) -> UndoGroup:
    """The inverses of one fix, judged; refused whole when any entry cannot be trusted (an
    operation not loaded, a journal edited or damaged): undo never guesses."""
    try:
        steps = [_step(executor, entry) for entry in entries]
        # Begun but not recorded done: undo it only where the disk shows it happened.
        pairs = zip(entries, steps, strict=True)
        kept = [s for e, s in pairs if e.done or not executor.inverse_problems(s)]
        kept.reverse()
        return UndoGroup(fix, kept, executor.group_problems(kept))
    except Refused as exc:  # an operation whose plugin is not loaded
        return UndoGroup(fix, [], [str(exc)])
    except Exception as exc:
        return UndoGroup(fix, [], [f"the journal cannot be used: {failure(exc)}"])


def _step(executor: Executor, entry: JournalEntry) -> UndoStep:
    where = f"journal line {entry.line}"
    if entry.malformed:
        raise UsageError(f"{where}: {entry.malformed}")
    if not isinstance(entry.action, dict) or not isinstance(entry.action.get("op"), str):
        raise UsageError(f"{where}: its action is not an object with an op")
    if not isinstance(entry.inverse, dict):
        raise UsageError(f"{where}: its inverse is not an object")
    step = executor.step_for(entry.action, entry.inverse)
    check_inverse(step.inverse, where)
    return step


# What the built-in operations journal in an inverse, by type; another operation's own fields
# are its own to check.
_INVERSE_PATHS = ("dest", "source", "backup")
_INVERSE_FIELDS: dict[str, type] = {
    "target": str,
    "sha256": str,
    "original_sha256": str,
    "size": int,
    "dirs": list,
    "why": str,
}


def check_inverse(inverse: dict[str, Any], where: str) -> None:
    """UsageError unless `inverse` has the shape the operations write: an op, a path, and each
    known field of its type."""
    if not isinstance(inverse.get("op"), str):
        raise UsageError(f"{where}: its inverse has no op")
    PathRef.from_json(inverse.get("path"))
    for key in _INVERSE_PATHS:
        if inverse.get(key) is not None:
            PathRef.from_json(inverse[key])
    for key, kind in _INVERSE_FIELDS.items():
        value = inverse.get(key)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise UsageError(f"{where}: inverse {key} must not be {json_type(value)}")
    if inverse.get("state") is not None:
        check_state(inverse["state"], where)


def run_undo(
    ctx: Context,
    registry: OperationRegistry,
    plan: UndoPlan,
    argv: list[str],
    audit_extra: dict[str, Any] | None = None,
) -> UndoOutcome:
    """Undo `plan`, journaled, then one audit line; `audit_extra`: fields the caller adds to
    the journal's header and the audit line (the MCP server names its agent)."""
    extra = audit_extra or {}
    header = {"command": "undo", "argv": argv, "undo_of": plan.run_id, **extra}
    journal = open_journal(ctx, header)
    executor = Executor(ctx, registry, journal=journal)
    outcome = UndoOutcome(journal.run_id, journal.path, plan.groups)
    interrupted = True  # until the loop ends: Ctrl-C or SIGTERM is audited too
    try:
        for group in plan.groups:
            _undo_one(executor, journal, group)
        interrupted = False
    finally:
        record = {
            "run_id": outcome.undo_id,
            "command": "undo",
            "undo_of": plan.run_id,
            "argv": argv,
            "applied": outcome.count("undone"),
            "refused": outcome.count("refused"),
            "failed": outcome.count("failed"),
            **extra,
        }
        audit(ctx.paths.report_dir, {**record, **({"interrupted": True} if interrupted else {})})
    return outcome


def _undo_one(executor: Executor, journal: Journal, group: UndoGroup) -> None:
    """Run one fix's inverses (or record why not) and set the group's status."""
    if group.problems:
        group.status = "refused"
        journal.note({"fix": group.fix, "refused": group.problems})
        return
    try:
        for step in group.steps:
            seq = journal.begin(group.fix, step.inverse, {})
            executor.run_inverse(step)
            journal.done(seq)
        group.status = "undone"
    except Exception as exc:  # whatever it was, the others still run and it is audited
        group.status, group.error = "failed", failure(exc)
        with contextlib.suppress(OSError):
            journal.note({"fix": group.fix, "failed": group.error})
