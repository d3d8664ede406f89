"""Printing plans, results and undos for people (the commands' --json output is built from the
same objects). Kept apart from running: ytm_doctor.fix.run and .undo print nothing.

Everything that may come from disk, a plan file or a journal goes through printable(): a file
name holding ESC or a newline is shown escaped, never obeyed by the terminal."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ytm_doctor.fix.state import describe_state
from ytm_doctor.model import printable
from ytm_doctor.text import plural

if TYPE_CHECKING:
    from ytm_doctor.fix.executor import FixResult
    from ytm_doctor.fix.operation import OperationRegistry
    from ytm_doctor.fix.plan import Fix, Plan
    from ytm_doctor.fix.undo import UndoOutcome, UndoPlan


def undo_hint(config_file: Path | None, run_id: str) -> str:
    """The command that undoes a run. It names the config file (as a finding's fix hint does):
    the journal is found through the configured workspace, and the hint may be run from
    another directory, where ./ytm-doctor.yaml is not the same file or not there."""
    words = ["ytm-doctor", "undo", run_id]
    if config_file is not None:
        words[2:2] = ["--config", os.fspath(config_file)]
    return shlex.join([*words, "--run"])


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
            out.write(printable(f"  {item.rule} {item.where}: {item.reason}") + "\n")
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
    out.write(printable(f"[{index}] {label}{fix.fixer}  {fix.rule}  {fix.title}{episode}") + "\n")
    if status or registry is None:
        return
    for ref, state in fix.preconditions:
        out.write(f"      requires {printable(str(ref))} is {printable(describe_state(state))}\n")
    for action in fix.actions:
        out.write(f"      {printable(registry.describe(action))}\n")
    out.write("\n")


def print_results(results: list[FixResult], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for r in results:
        print_fix(out, r.index, r.fix, None, r.status)
        for reason in r.reasons:
            out.write(f"      {printable(reason)}\n")


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
    # str(): a journal edited by hand may hold anything in its header
    started = str(header.get("started") or "")[:19]
    out.write(printable(f"undo of run {plan.run_id} ({header.get('command')}, {started}):") + "\n")
    for group in plan.groups:
        out.write(f"[{group.fix}] {'refused' if group.problems else 'ready'}\n")
        for step in group.steps:
            out.write(f"      {printable(step.op.describe_inverse(step.inverse))}\n")
        for problem in group.problems:
            out.write(f"      {printable(problem)}\n")
    out.write("\ndry-run: nothing was changed. Add --run to undo.\n")


def print_undo_outcome(outcome: UndoOutcome, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for group in outcome.groups:
        if group.status == "failed":
            out.write(f"[{group.fix}] failed: {printable(group.error)}\n")
            continue
        out.write(f"[{group.fix}] {group.status}\n")
        if group.status == "refused":
            for problem in group.problems:
                out.write(f"      {printable(problem)}\n")
    out.write(
        f"\nundo run {outcome.undo_id}: {outcome.count('undone')} undone, "
        f"{outcome.count('refused')} refused, {outcome.count('failed')} failed\n"
    )
