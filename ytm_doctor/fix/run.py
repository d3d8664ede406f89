"""Running a plan: the one place fix, apply, store and mirror (and undo, in ytm_doctor.fix.undo)
open a journal, hand each fix to the Executor and write the audit line. Nothing is printed
here; the commands print the RunOutcome (ytm_doctor.fix.output).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.executor import Executor, FixResult, Override
from ytm_doctor.fix.journal import Journal, audit, new_run_id
from ytm_doctor.fix.operation import OperationRegistry
from ytm_doctor.fix.plan import Fix

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.context import Context

OVERRIDE_ENV = "YTM_EMERGENCY_OVERRIDE"
STATUSES = ("applied", "refused", "failed")


@dataclass
class RunOutcome:
    """What one --run did: its id and journal, each fix's result, and what the operations
    reported beyond the journal (the mirror's run summary)."""

    run_id: str
    journal: Path
    results: list[FixResult]
    planned: int  # fixes in the plan (results may be fewer when the run stopped early)
    outcomes: list[Any] = field(default_factory=list)
    undoable: bool = False  # something applied that `undo` can revert

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        return len(self.results) == self.planned and all(
            r.status == "applied" for r in self.results
        )


def override_from(config: Config) -> Override | None:
    """--allow-unposted or YTM_EMERGENCY_OVERRIDE=1, which need --reason."""
    via = None
    if config.getoption("allow_unposted"):
        via = "--allow-unposted"
    elif os.environ.get(OVERRIDE_ENV) == "1":
        via = OVERRIDE_ENV
    if via is None:
        return None
    reason = (config.getoption("reason") or "").strip()
    if not reason:
        raise UsageError(f"{via} needs --reason TEXT (it is recorded in the audit log)")
    return Override(reason=reason, via=via)


def open_journal(ctx: Context, header: dict[str, Any]) -> Journal:
    """A new run's journal, or exit 4 before anything changed when it cannot be written."""
    log_dir = ctx.paths.report_dir
    try:
        return Journal(log_dir, new_run_id(), header)
    except OSError as exc:
        raise UsageError(
            f"cannot write the journal under {log_dir}: {exc}; nothing was "
            "changed (a fix that cannot be undone is not run)"
        ) from None


def run_plan(
    ctx: Context,
    fixes: list[Fix],
    registry: OperationRegistry,
    *,
    command: str,
    argv: list[str],
    header: dict[str, Any] | None = None,
    override: Override | None = None,
    held_locks: dict[str, Any] | None = None,
    stop_at_first_failure: bool = False,
    audit_extra: Callable[[RunOutcome], dict[str, Any]] | None = None,
) -> RunOutcome:
    """Apply `fixes` in order, journaled, then write one audit line.

    `held_locks`: locks the caller holds, by name (an operation needing one does not take it
    again). `stop_at_first_failure`: later fixes depend on earlier ones (the mirror's sentinel
    and dirs before its rsync). `audit_extra`: fields the command adds to the audit line."""
    journal = open_journal(ctx, {"command": command, "argv": argv, **(header or {})})
    executor = Executor(ctx, registry, journal=journal, override=override)
    executor.held_locks.update(held_locks or {})
    outcome = RunOutcome(
        run_id=journal.run_id, journal=journal.path, results=[], planned=len(fixes)
    )
    interrupted = True  # until the loop ends: a Ctrl-C or SIGTERM run is audited too
    try:
        for index, fix in enumerate(fixes, 1):
            result = executor.apply(index, fix)
            outcome.results.append(result)
            if stop_at_first_failure and result.status != "applied":
                break
        interrupted = False
    finally:
        outcome.outcomes = list(executor.outcomes)
        outcome.undoable = any(
            registry.undoable(a)
            for r in outcome.results
            if r.status == "applied"
            for a in r.fix.actions
        )
        record = _audit_record(outcome, registry, command, argv, override)
        if interrupted:
            record["interrupted"] = True
        elif audit_extra is not None:
            record.update(audit_extra(outcome))
        audit(ctx.paths.report_dir, record)
    return outcome


def _audit_record(
    outcome: RunOutcome,
    registry: OperationRegistry,
    command: str,
    argv: list[str],
    override: Override | None,
) -> dict[str, Any]:
    """The audit.jsonl line of a run: what it applied, refused and failed, and any override."""
    results = outcome.results
    record: dict[str, Any] = {
        "run_id": outcome.run_id,
        "command": command,
        "argv": argv,
        "fixes": len(results),
        **{s: outcome.count(s) for s in STATUSES},
    }
    if override is not None:
        record.update(
            override=override.via,
            reason=override.reason,
            overridden=[
                r.fix.episode
                for r in results
                if r.status == "applied"
                and (r.fix.destructive or any(registry.destructive(a) for a in r.fix.actions))
            ],
        )
    return record


def check_plan(
    ctx: Context,
    fixes: list[Fix],
    registry: OperationRegistry,
    override: Override | None = None,
) -> list[FixResult]:
    """What a --run would do with each fix now (ready or refused, and why); changes nothing."""
    executor = Executor(ctx, registry, override=override)
    return [executor.check(i, fix) for i, fix in enumerate(fixes, 1)]
