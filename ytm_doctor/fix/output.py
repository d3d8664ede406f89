"""Printing plans, results and undos for people (the commands' --json output is built from the
same objects). Kept apart from running: ytm_doctor.fix.run and .undo print nothing."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from ytm_doctor.fix.state import describe_state
from ytm_doctor.model import display
from ytm_doctor.text import plural

if TYPE_CHECKING:
    from ytm_doctor.fix.executor import FixResult
    from ytm_doctor.fix.operation import OperationRegistry
    from ytm_doctor.fix.plan import Fix, Plan
    from ytm_doctor.fix.undo import UndoOutcome, UndoPlan


def print_plan(
    plan: Plan,
    registry: OperationRegistry,
    without_fixer: dict[str, int] | None = None,
    out: TextIO | None = None,
    info_unselected: dict[str, int] | None = None,
) -> None:
    out = out or sys.stdout
    actions = sum(len(f.actions) for f in plan.fixes)
    out.write(f"plan: {plural(len(plan.fixes), 'fix')}, {plural(actions, 'action')}")
    if plan.unfixable:
        out.write(f"; {plural(len(plan.unfixable), 'finding')} cannot be fixed automatically")
    out.write("\n\n")
    for index, fix in enumerate(plan.fixes, 1):
        print_fix(out, index, fix, registry)
    if plan.unfixable:
        out.write("cannot fix automatically:\n")
        for item in plan.unfixable:
            out.write(f"  {item.rule} {display(item.where)}: {display(item.reason)}\n")
        out.write("\n")
    if without_fixer:
        parts = ", ".join(f"{code} ({n})" for code, n in sorted(without_fixer.items()))
        out.write(f"no fixer for: {parts}; see `ytm-doctor explain CODE`\n\n")
    if info_unselected:
        parts = ", ".join(f"{code} ({n})" for code, n in sorted(info_unselected.items()))
        out.write(
            f"info findings left as they are: {parts}; fix them by name: "
            "ytm-doctor fix --select CODE\n\n"
        )


def print_fix(
    out: TextIO, index: int, fix: Fix, registry: OperationRegistry | None, status: str = ""
) -> None:
    episode = f" [{fix.episode}]" if fix.episode else ""
    label = f"{status:<9}" if status else ""
    out.write(f"[{index}] {label}{fix.fixer}  {fix.rule}  {display(fix.title)}{episode}\n")
    if status or registry is None:
        return
    for ref, state in fix.preconditions:
        out.write(f"      requires {display(str(ref))} is {display(describe_state(state))}\n")
    for action in fix.actions:
        out.write(f"      {display(registry.describe(action))}\n")
    out.write("\n")


def print_results(results: list[FixResult], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for r in results:
        print_fix(out, r.index, r.fix, None, r.status)
        for reason in r.reasons:
            out.write(f"      {display(reason)}\n")


def results_line(results: list[FixResult]) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("applied", "refused", "failed")}
    return ", ".join(f"{n} {s}" for s, n in counts.items())


def result_json(r: FixResult) -> dict[str, Any]:
    return {
        "index": r.index,
        "status": r.status,
        "reasons": r.reasons,
        "actions_done": r.actions_done,
        "fix": r.fix.to_json(),
    }


def print_undo_plan(plan: UndoPlan, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    header = plan.record.header
    out.write(
        # str(): a journal edited by hand may hold anything in its header
        f"undo of run {plan.run_id} ({header.get('command')}, "
        f"{str(header.get('started') or '')[:19]}):\n"
    )
    for group in plan.groups:
        out.write(f"[{group.fix}] {'refused' if group.problems else 'ready'}\n")
        for step in group.steps:
            out.write(f"      {display(step.op.describe_inverse(step.inverse))}\n")
        for problem in group.problems:
            out.write(f"      {display(problem)}\n")
    out.write("\ndry-run: nothing was changed. Add --run to undo.\n")


def print_undo_outcome(outcome: UndoOutcome, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for group in outcome.groups:
        if group.status == "failed":
            out.write(f"[{group.fix}] failed: {display(group.error)}\n")
            continue
        out.write(f"[{group.fix}] {group.status}\n")
        if group.status == "refused":
            for problem in group.problems:
                out.write(f"      {display(problem)}\n")
    out.write(
        f"\nundo run {outcome.undo_id}: {outcome.count('undone')} undone, "
        f"{outcome.count('refused')} refused, {outcome.count('failed')} failed\n"
    )
