"""Undo: a journaled run's inverses, grouped by fix and judged against the disk now, then run
through the same Executor rules, in a journal of their own (`undo_of`).

An inverse runs only while the path is what its action left; a fix whose inverses cannot all
run is refused whole. An action begun but never recorded done is undone only where the disk
shows it happened. Journals written before operations became classes undo the same way: each
entry is dispatched on its action's op name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.executor import Executor, UndoStep
from ytm_doctor.fix.journal import JournalRecord, audit, list_runs, read_journal
from ytm_doctor.fix.operation import OperationRegistry, Refused
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
    by_fix: dict[int, list] = {}
    # A fix that failed during its run was reverted then and there: nothing left to undo.
    rolled_back = {n.get("fix") for n in record.notes if "rolled_back" in n}
    for entry in record.entries:
        if entry.fix not in rolled_back:
            by_fix.setdefault(entry.fix, []).append(entry)
    undone_by = [
        str(r.header.get("run_id"))
        for r in list_runs(log_dir)
        if r.header.get("undo_of") == run_id and any(e.done for e in r.entries)
    ]
    executor = Executor(ctx, registry)
    groups = []
    for fix_index in sorted(by_fix, reverse=True):
        try:
            steps = [executor.step_for(e.action, e.inverse) for e in by_fix[fix_index]]
        except Refused as exc:  # an operation whose plugin is not loaded
            groups.append(UndoGroup(fix_index, [], [str(exc)]))
            continue
        # Begun but not recorded done: undo it only where the disk shows it happened.
        entries = zip(by_fix[fix_index], steps, strict=True)
        kept = [s for e, s in entries if e.done or not executor.inverse_problems(s)]
        kept.reverse()
        groups.append(UndoGroup(fix_index, kept, executor.group_problems(kept)))
    return UndoPlan(run_id, record, groups, undone_by)


def run_undo(
    ctx: Context, registry: OperationRegistry, plan: UndoPlan, argv: list[str]
) -> UndoOutcome:
    journal = open_journal(ctx, {"command": "undo", "argv": argv, "undo_of": plan.run_id})
    executor = Executor(ctx, registry, journal=journal)
    for group in plan.groups:
        if group.problems:
            group.status = "refused"
            journal.note({"fix": group.fix, "refused": group.problems})
            continue
        try:
            for step in group.steps:
                seq = journal.begin(group.fix, step.inverse, {})
                executor.run_inverse(step)
                journal.done(seq)
            group.status = "undone"
        except (OSError, Refused) as exc:
            group.status, group.error = "failed", str(exc)
            journal.note({"fix": group.fix, "failed": str(exc)})
    outcome = UndoOutcome(journal.run_id, journal.path, plan.groups)
    audit(
        ctx.paths.report_dir,
        {
            "run_id": outcome.undo_id,
            "command": "undo",
            "undo_of": plan.run_id,
            "argv": argv,
            "applied": outcome.count("undone"),
            "refused": outcome.count("refused"),
            "failed": outcome.count("failed"),
        },
    )
    return outcome
