"""The fix, apply and undo commands: scan -> plan -> run_plan -> print.

Without --run nothing changes: the plan is printed (and saved with --plan-out). With --run the
same plan is executed; each fix's preconditions are checked again right before it runs. The
engine is ytm_doctor.fix; this module only reads options and prints.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ytm_doctor.atomic import write_atomic
from ytm_doctor.collect import split_codes
from ytm_doctor.context import Context, Scope
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.fix.journal import list_runs
from ytm_doctor.fix.operation import operations_for
from ytm_doctor.fix.output import (
    print_plan,
    print_results,
    print_undo_outcome,
    print_undo_plan,
    result_json,
    results_line,
    undo_hint,
)
from ytm_doctor.fix.plan import Plan
from ytm_doctor.fix.planning import Planned, Selection, build_plan
from ytm_doctor.fix.run import RunOutcome, check_plan, override_from, run_plan
from ytm_doctor.fix.run_lock import RunBusy, run_lock
from ytm_doctor.fix.undo import UndoPlan, plan_undo, run_undo
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.session import scan

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def plan_fixes(config: Config, scope: Scope, argv: list[str]) -> tuple[Planned, Context]:
    """Scan with the selection, then ask each fixer for the fixes of its rules' findings."""
    result = scan(config, scope, argv)
    selection = Selection(
        fingerprints=set(config.getoption("fingerprint") or []),
        prefixes=split_codes(config.getoption("select")),
        options=config.options,
    )
    # A fingerprint that matches no finding (mistyped, already fixed, outside the selection)
    # would plan nothing and `--run` would journal an empty run with exit 0, as if it had
    # fixed something: it is a usage error, before anything is planned or journaled.
    found = {f.fingerprint for f in result.report.findings}
    unmatched = sorted(selection.fingerprints - found)
    if unmatched:
        raise UsageError(
            f"--fingerprint {', '.join(unmatched)}: no finding of this scan (with this "
            "selection) has this fingerprint"
        )
    planned = build_plan(
        result.ctx,
        result.report.findings,
        result.rules,
        result.fixers,
        operations_for(config),
        selection,
    )
    return planned, result.ctx


def execute(config: Config, ctx: Context, plan: Plan, command: str, argv: list[str]) -> int:
    """Apply every fix of `plan` (journaled, audited), print the results; exit 0 when all
    applied."""
    override = override_from(config)
    registry = operations_for(config)
    header = {"plan_created": plan.to_json()["created"]}
    outcome = run_plan(
        ctx,
        plan.fixes,
        registry,
        command=command,
        argv=argv,
        header=header,
        override=override,
    )
    print_outcome(config, outcome)
    return ExitCode.OK if outcome.ok else ExitCode.VIOLATIONS


def print_outcome(config: Config, outcome: RunOutcome) -> None:
    if config.getoption("json"):
        data = {
            "run_id": outcome.run_id,
            "journal": os.fspath(outcome.journal),
            "results": [result_json(r) for r in outcome.results],
        }
        print(dumps_json(data, indent=2))
        return
    print_results(outcome.results)
    print(f"\nrun {outcome.run_id}: {results_line(outcome.results)}")
    print(f"journal: {outcome.journal}")
    if outcome.undoable:  # only offered when an applied operation can be undone
        print(f"undo:    {undo_hint(config.file, outcome.run_id)}")


def fix_command(config: Config, scope: Scope, argv: list[str]) -> int:
    if config.getoption("run"):
        # Scanned, planned and applied under one lock: a plan made while another run changes
        # the disk would describe a world that is gone by the time it runs.
        return locked(config, "fix", argv, lambda: _fix_run(config, scope, argv))
    planned, _ = plan_fixes(config, scope, argv)
    registry = operations_for(config)
    plan_out = config.getoption("plan_out")
    _save_plan(planned, plan_out)
    if config.getoption("json"):
        data = {
            "dry_run": True,
            "plan": planned.plan.to_json(),
            "without_fixer": planned.without_fixer,
            "info_unselected": planned.info_unselected,
        }
        print(dumps_json(data, indent=2))
        return ExitCode.OK
    print_plan(
        planned.plan, registry, planned.without_fixer, info_unselected=planned.info_unselected
    )
    if plan_out:
        print(f"plan saved to {plan_out}; apply it with: ytm-doctor apply {plan_out} --run")
    if planned.plan.fixes:
        print("dry-run: nothing was changed. Add --run to apply this plan.")
    else:
        print("nothing to fix.")
    return ExitCode.OK


def _fix_run(config: Config, scope: Scope, argv: list[str]) -> int:
    planned, ctx = plan_fixes(config, scope, argv)
    _save_plan(planned, config.getoption("plan_out"))
    if not config.getoption("json"):
        print_plan(
            planned.plan,
            operations_for(config),
            planned.without_fixer,
            info_unselected=planned.info_unselected,
        )
    return execute(config, ctx, planned.plan, "fix", argv)


def _save_plan(planned: Planned, plan_out: str | None) -> None:
    if plan_out:
        try:
            write_atomic(plan_out, planned.plan.dumps())
        except OSError as exc:
            raise UsageError(f"cannot write the plan to {plan_out}: {exc}") from None


def apply_command(config: Config, plan_file: str, argv: list[str]) -> int:
    registry = operations_for(config)
    plan = Plan.read(plan_file, registry)
    ctx = Context(config)
    if config.getoption("run"):
        return locked(config, "apply", argv, lambda: execute(config, ctx, plan, "apply", argv))
    results = check_plan(ctx, plan.fixes, registry, override_from(config))
    if config.getoption("json"):
        data = {"dry_run": True, "results": [result_json(r) for r in results]}
        print(dumps_json(data, indent=2))
        return ExitCode.OK
    print(
        f"plan {plan_file} made {plan.to_json()['created']} on {plan.host or '?'}: "
        f"{len(plan.fixes)} fixes"
    )
    print_results(results)
    ready = sum(r.status == "ready" for r in results)
    print(
        f"\n{ready} ready, {len(results) - ready} would be refused. "
        f"Nothing was changed; add --run to apply."
    )
    return ExitCode.OK


def undo_command(config: Config, run_id: str | None, argv: list[str]) -> int:
    ctx = Context(config)
    if config.getoption("list") or not run_id:
        print_runs(ctx)
        return ExitCode.OK
    registry = operations_for(config)
    if not config.getoption("run"):
        plan = plan_undo(ctx, registry, run_id)
        _note_undone(plan)
        print_undo_plan(plan)
        return ExitCode.OK

    plan_undo(ctx, registry, run_id)  # a bad run id is exit 4 before any lock is taken

    def undo() -> int:
        # Judged again under the lock: another run may have changed the disk meanwhile.
        plan = plan_undo(ctx, registry, run_id)
        _note_undone(plan)
        outcome = run_undo(ctx, registry, plan, argv)
        print_undo_outcome(outcome)
        clean = outcome.count("refused") == outcome.count("failed") == 0
        return ExitCode.OK if clean else ExitCode.VIOLATIONS

    return locked(config, "undo", argv, undo)


def _note_undone(plan: UndoPlan) -> None:
    if plan.undone_by:
        print(
            f"note: run {plan.run_id} was already undone (at least in part) by "
            f"{', '.join(plan.undone_by)}; what is already reverted shows below as refused"
        )


def locked(config: Config, command: str, argv: list[str], work: Callable[[], int]) -> int:
    """`work()` while holding fix.lock (one fix, apply or undo run at a time); when another
    run keeps it past the wait, nothing is done: one line naming the holder, exit 1."""
    try:
        with run_lock(config, command, argv):
            return work()
    except RunBusy as exc:
        if config.getoption("json"):
            holder = exc.holder.to_json()
            print(dumps_json({"status": "busy", "holder": holder, "lock": os.fspath(exc.path)}))
        print(f"ytm-doctor: {command}: {exc}; nothing done", file=sys.stderr)
        return ExitCode.VIOLATIONS


def print_runs(ctx: Context) -> None:
    log_dir = ctx.paths.report_dir
    runs = list_runs(log_dir)
    if not runs:
        print(f"no runs journaled in {log_dir}")
    for rec in runs:
        # str() throughout: a journal edited by hand may hold anything in its header.
        header = rec.header
        done = sum(e.done for e in rec.entries)
        undo_of = header.get("undo_of")
        what = f"undo of {undo_of}" if undo_of else str(header.get("command") or "?")
        started = str(header.get("started") or "")[:19]
        print(f"{header.get('run_id')}  {started}  {what:<22} {done} actions")
