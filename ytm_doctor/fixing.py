"""fix, apply and undo: findings -> plan -> executor -> journal (SPEC §6.1).

Without --run nothing changes: the plan is printed (and saved with --plan-out). With --run the
same plan is executed; each fix's preconditions are checked again right before it runs.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import write_atomic
from ytm_doctor.collect import collect_checks, collect_fixers, split_codes
from ytm_doctor.context import Context, Scope
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.executor import Executor, FixResult, Override, Refused
from ytm_doctor.fixer import FixContext
from ytm_doctor.journal import Journal, audit, list_runs, new_run_id, read_journal
from ytm_doctor.model import display
from ytm_doctor.plan import Fix, PathRef, Plan, Unfixable, describe_state, first_touches, path_state
from ytm_doctor.reports.terminal import plural
from ytm_doctor.session import run_scan

if TYPE_CHECKING:
    from ytm_doctor.config import Config

OVERRIDE_ENV = "YTM_EMERGENCY_OVERRIDE"


@dataclass
class Planned:
    plan: Plan
    without_fixer: dict[str, int] = field(default_factory=dict)  # rule -> findings


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


def build_plan(config: Config, scope: Scope, argv: list[str]) -> tuple[Planned, Context]:
    """Scan with the selection, then ask each fixer for the fixes of its rules' findings."""
    report = run_scan(config, scope, argv)
    ctx = Context(config, scope)
    rules = {c.rule.code: c.rule for c in collect_checks(config)}
    fixers = collect_fixers(config)
    wanted = set(config.getoption("fingerprint") or [])
    selected = split_codes(config.getoption("select"))
    created = datetime.now(timezone.utc)
    fx = FixContext(ctx=ctx, stamp=created.strftime("%Y%m%dT%H%M%SZ"), options=config.options)

    by_fixer: dict[str, list] = {}
    unfixable: list[Unfixable] = []
    without_fixer: dict[str, int] = {}
    for finding in report.findings:
        if wanted and finding.fingerprint not in wanted:
            continue
        rule = rules.get(finding.rule)
        if rule is None or not rule.fixer or rule.fixer not in fixers:
            without_fixer[finding.rule] = without_fixer.get(finding.rule, 0) + 1
            continue
        fixer = fixers[rule.fixer]
        if fixer.irreversible and not _named(finding, selected, wanted):
            unfixable.append(
                fx.unfixable(
                    finding,
                    (
                        f"{fixer.name} cannot be undone, so it runs only when selected by name: "
                        f"ytm-doctor fix --select {finding.rule} --run"
                    ),
                )
            )
            continue
        resolved_by_option = any(config.getoption(o) for o in fixer.resolves_with)
        if not finding.fixable and not resolved_by_option:
            reason = str(finding.details.get("unfixable") or "not fixable automatically")
            unfixable.append(fx.unfixable(finding, reason))
            continue
        by_fixer.setdefault(rule.fixer, []).append(finding)

    executor = Executor(ctx)
    fixes: list[Fix] = []
    claimed: dict[PathRef, str] = {}
    for name in sorted(by_fixer):
        for item in fixers[name].plan(by_fixer[name], fx):
            if isinstance(item, Unfixable):
                unfixable.append(item)
                continue
            touched = first_touches(item.actions)
            clash = next((ref for ref in touched if ref in claimed), None)
            if clash is not None:
                unfixable.append(
                    Unfixable(
                        item.rule,
                        ",".join(item.fingerprints),
                        str(clash),
                        f"touches {clash} like the fix for {claimed[clash]}; "
                        "run fix again after that one",
                    )
                )
                continue
            for ref in touched:
                claimed[ref] = item.title
            watched = touched + [r for r in item.reads if r not in touched]
            item.preconditions = [(ref, path_state(executor.resolve(ref))) for ref in watched]
            fixes.append(item)
    plan = Plan(
        created=created,
        fixes=fixes,
        unfixable=unfixable,
        roots={k: os.fspath(v) for k, v in ctx.paths.named_roots().items()},
        host=socket.gethostname(),
    )
    return Planned(plan, without_fixer), ctx


def _named(finding, selected: list[str], fingerprints: set[str]) -> bool:
    """The finding was asked for by name: its fingerprint, or a --select prefix that names its
    rule or its family (YTM703, YTM70, YTM7; a bare "YTM", every rule, is not a name)."""
    if finding.fingerprint in fingerprints:
        return True
    return any(finding.rule.startswith(p) and any(c.isdigit() for c in p) for p in selected)


# -- printing --------------------------------------------------------------------------------


def print_plan(planned: Planned, out=None) -> None:
    out = out or sys.stdout
    plan = planned.plan
    actions = sum(len(f.actions) for f in plan.fixes)
    out.write(f"plan: {plural(len(plan.fixes), 'fix')}, {plural(actions, 'action')}")
    if plan.unfixable:
        out.write(f"; {plural(len(plan.unfixable), 'finding')} cannot be fixed automatically")
    out.write("\n\n")
    for index, fix in enumerate(plan.fixes, 1):
        _print_fix(out, index, fix)
    if plan.unfixable:
        out.write("cannot fix automatically:\n")
        for item in plan.unfixable:
            out.write(f"  {item.rule} {display(item.where)}: {display(item.reason)}\n")
        out.write("\n")
    if planned.without_fixer:
        parts = ", ".join(f"{code} ({n})" for code, n in sorted(planned.without_fixer.items()))
        out.write(f"no fixer for: {parts}; see `ytm-doctor explain CODE`\n\n")


def _print_fix(out, index: int, fix: Fix, status: str = "") -> None:
    episode = f" [{fix.episode}]" if fix.episode else ""
    label = f"{status:<9}" if status else ""
    out.write(f"[{index}] {label}{fix.fixer}  {fix.rule}  {display(fix.title)}{episode}\n")
    if not status:
        for ref, state in fix.preconditions:
            out.write(f"      requires {display(str(ref))} is {display(describe_state(state))}\n")
        for action in fix.actions:
            out.write(f"      {display(action.describe())}\n")
    out.write("\n" if not status else "")


def print_results(results: list[FixResult], out=None) -> None:
    out = out or sys.stdout
    for r in results:
        _print_fix(out, r.index, r.fix, r.status)
        for reason in r.reasons:
            out.write(f"      {display(reason)}\n")


def results_line(results: list[FixResult]) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("applied", "refused", "failed")}
    return ", ".join(f"{n} {s}" for s, n in counts.items())


# -- running ---------------------------------------------------------------------------------


def execute(config: Config, ctx: Context, plan: Plan, command: str, argv: list[str]) -> int:
    """Apply every fix of `plan` (journaled, audited); exit 0 when all applied."""
    override = override_from(config)
    log_dir = ctx.paths.report_dir
    run_id = new_run_id()
    try:
        journal = Journal(
            log_dir,
            run_id,
            {"command": command, "argv": argv, "plan_created": plan.to_json()["created"]},
        )
    except OSError as exc:
        raise UsageError(
            f"cannot write the journal under {log_dir}: {exc}; nothing was "
            "changed (a fix that cannot be undone is not run)"
        ) from None
    executor = Executor(ctx, journal=journal, override=override)
    results = [executor.apply(i, fix) for i, fix in enumerate(plan.fixes, 1)]
    record: dict[str, Any] = {
        "run_id": run_id,
        "command": command,
        "argv": argv,
        "fixes": len(results),
        **{s: sum(r.status == s for r in results) for s in ("applied", "refused", "failed")},
    }
    if override is not None:
        record.update(
            override=override.via,
            reason=override.reason,
            overridden=[
                r.fix.episode for r in results if r.status == "applied" and r.fix.destructive
            ],
        )
    audit(log_dir, record)
    if config.getoption("json"):
        print(
            json.dumps(
                {
                    "run_id": run_id,
                    "journal": os.fspath(journal.path),
                    "results": [_result_json(r) for r in results],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print_results(results)
        print(f"\nrun {run_id}: {results_line(results)}")
        print(f"journal: {journal.path}")
        undoable = [
            a for r in results if r.status == "applied" for a in r.fix.actions if a.undoable
        ]
        if undoable:  # a mirror (rsync) alone cannot be undone: do not offer it
            print(f"undo:    ytm-doctor undo {run_id} --run")
    ok = all(r.status == "applied" for r in results)
    return ExitCode.OK if ok else ExitCode.VIOLATIONS


def _result_json(r: FixResult) -> dict[str, Any]:
    return {
        "index": r.index,
        "status": r.status,
        "reasons": r.reasons,
        "actions_done": r.actions_done,
        "fix": r.fix.to_json(),
    }


def fix_command(config: Config, scope: Scope, argv: list[str]) -> int:
    planned, ctx = build_plan(config, scope, argv)
    plan_out = config.getoption("plan_out")
    if plan_out:
        try:
            write_atomic(plan_out, planned.plan.dumps())
        except OSError as exc:
            raise UsageError(f"cannot write the plan to {plan_out}: {exc}") from None
    if config.getoption("run"):
        if not config.getoption("json"):
            print_plan(planned)
        return execute(config, ctx, planned.plan, "fix", argv)
    if config.getoption("json"):
        print(
            json.dumps(
                {
                    "dry_run": True,
                    "plan": planned.plan.to_json(),
                    "without_fixer": planned.without_fixer,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return ExitCode.OK
    print_plan(planned)
    if plan_out:
        print(f"plan saved to {plan_out}; apply it with: ytm-doctor apply {plan_out} --run")
    if planned.plan.fixes:
        print("dry-run: nothing was changed. Add --run to apply this plan.")
    else:
        print("nothing to fix.")
    return ExitCode.OK


def apply_command(config: Config, plan_file: str, argv: list[str]) -> int:
    try:
        text = Path(plan_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read plan {plan_file}: {exc}") from None
    plan = Plan.loads(text, plan_file)
    ctx = Context(config)
    if config.getoption("run"):
        return execute(config, ctx, plan, "apply", argv)
    executor = Executor(ctx, override=override_from(config))
    results = [executor.check(i, fix) for i, fix in enumerate(plan.fixes, 1)]
    if config.getoption("json"):
        print(
            json.dumps(
                {"dry_run": True, "results": [_result_json(r) for r in results]},
                ensure_ascii=False,
                indent=2,
            )
        )
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
    log_dir = ctx.paths.report_dir
    if config.getoption("list") or not run_id:
        runs = list_runs(log_dir)
        if not runs:
            print(f"no runs journaled in {log_dir}")
        for rec in runs:
            done = sum(e.done for e in rec.entries)
            undo_of = rec.header.get("undo_of")
            what = f"undo of {undo_of}" if undo_of else rec.header.get("command", "?")
            print(
                f"{rec.header.get('run_id')}  {rec.header.get('started', '')[:19]}  "
                f"{what:<22} {done} actions"
            )
        return ExitCode.OK
    record = read_journal(log_dir, run_id)
    if record.header.get("undo_of"):
        raise UsageError(f"run {run_id} is itself an undo; run the fix again instead")
    groups: dict[int, list] = {}
    # A fix that failed during its run was reverted then and there: nothing left to undo.
    rolled_back = {n.get("fix") for n in record.notes if "rolled_back" in n}
    for entry in record.entries:
        if entry.fix not in rolled_back:
            groups.setdefault(entry.fix, []).append(entry)
    earlier = [
        r.header.get("run_id")
        for r in list_runs(log_dir)
        if r.header.get("undo_of") == run_id and any(e.done for e in r.entries)
    ]
    if earlier:
        print(
            f"note: run {run_id} was already undone (at least in part) by {', '.join(earlier)};"
            " what is already reverted shows below as refused"
        )
    executor = Executor(ctx)
    planned: list[tuple[int, list, list[str]]] = []
    for fix_index in sorted(groups, reverse=True):
        # An action begun but not recorded done may or may not have happened: undo it only
        # where the disk shows it did.
        entries = [
            e for e in groups[fix_index] if e.done or not executor.inverse_problems(e.inverse)
        ]
        inverses = [e.inverse for e in reversed(entries)]
        problems = executor.group_problems(inverses)
        planned.append((fix_index, inverses, problems))

    if not config.getoption("run"):
        print(
            f"undo of run {run_id} ({record.header.get('command')}, "
            f"{record.header.get('started', '')[:19]}):"
        )
        for fix_index, inverses, problems in planned:
            state = "refused" if problems else "ready"
            print(f"[{fix_index}] {state}")
            for inv in inverses:
                print(f"      {_describe_inverse(inv)}")
            for p in problems:
                print(f"      {display(p)}")
        print("\ndry-run: nothing was changed. Add --run to undo.")
        return ExitCode.OK

    undo_id = new_run_id()
    journal = Journal(log_dir, undo_id, {"command": "undo", "argv": argv, "undo_of": run_id})
    applied = refused = failed = 0
    for fix_index, inverses, problems in planned:
        if problems:
            refused += 1
            journal.note({"fix": fix_index, "refused": problems})
            print(f"[{fix_index}] refused")
            for p in problems:
                print(f"      {display(p)}")
            continue
        try:
            for inv in inverses:
                seq = journal.begin(fix_index, inv, {})
                executor.run_inverse(inv)
                journal.done(seq)
            applied += 1
            print(f"[{fix_index}] undone")
        except (OSError, Refused) as exc:
            failed += 1
            journal.note({"fix": fix_index, "failed": str(exc)})
            print(f"[{fix_index}] failed: {display(str(exc))}")
    audit(
        log_dir,
        {
            "run_id": undo_id,
            "command": "undo",
            "undo_of": run_id,
            "argv": argv,
            "applied": applied,
            "refused": refused,
            "failed": failed,
        },
    )
    print(f"\nundo run {undo_id}: {applied} undone, {refused} refused, {failed} failed")
    return ExitCode.OK if refused == failed == 0 else ExitCode.VIOLATIONS


def _describe_inverse(inv: dict[str, Any]) -> str:
    ref = PathRef.from_json(inv["path"])
    if inv["op"] == "rename":
        return f"rename   {ref} -> {PathRef.from_json(inv['dest'])}"
    if inv["op"] == "restore":
        return f"restore  {ref} from {PathRef.from_json(inv['backup'])}"
    return f"{inv['op']:<8} {ref}"
