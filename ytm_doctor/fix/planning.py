"""From findings to a plan: each fixer plans the fixes of its rules' findings; every fix gets
the state of each path it touches as its preconditions, and two fixes touching one path are
not both planned."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import file_stamp
from ytm_doctor.facts import NotFixable
from ytm_doctor.fix.executor import Executor
from ytm_doctor.fix.fixer import FixContext, Fixer
from ytm_doctor.fix.operation import OperationRegistry
from ytm_doctor.fix.plan import Fix, PathRef, Plan, Unfixable
from ytm_doctor.fix.state import path_state
from ytm_doctor.identity import host_name
from ytm_doctor.model import Finding, Rule, Severity

if TYPE_CHECKING:
    from ytm_doctor.context import Context


@dataclass
class Planned:
    plan: Plan
    without_fixer: dict[str, int] = field(default_factory=dict)  # rule -> findings
    # Info findings a run without a selection leaves alone (rule -> findings): they are fixed
    # only when selected by code or fingerprint (an archived run of a Published episode is
    # info on purpose, and moving it back would undo the archiving).
    info_unselected: dict[str, int] = field(default_factory=dict)


@dataclass
class Selection:
    """What the command line asked for: --fingerprint values and --select prefixes."""

    fingerprints: set[str] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)
    options: Any = None  # the command line's options (a fixer's resolves_with, --draft-dir)

    def names(self, finding: Finding) -> bool:
        """The finding was asked for by name: its fingerprint, or a --select prefix that names
        its rule or its family (YTM703, YTM70, YTM7; a bare "YTM", every rule, is not a name)."""
        if finding.fingerprint in self.fingerprints:
            return True
        return any(
            finding.rule.startswith(p) and any(c.isdigit() for c in p) for p in self.prefixes
        )

    def option(self, name: str) -> Any:
        return getattr(self.options, name, None) if self.options is not None else None


def build_plan(
    ctx: Context,
    findings: list[Finding],
    rules: dict[str, Rule],
    fixers: dict[str, Fixer],
    registry: OperationRegistry,
    selection: Selection,
) -> Planned:
    """Ask each fixer for the fixes of its rules' findings."""
    created = datetime.now(timezone.utc)
    fx = FixContext(ctx=ctx, stamp=file_stamp(created), options=selection.options)
    planned = Planned(new_plan(ctx, created, [], []))
    by_fixer = _route(findings, rules, fixers, selection, fx, planned)
    unfixable = planned.plan.unfixable
    planned.plan.fixes = _plan_fixes(by_fixer, fixers, fx, Executor(ctx, registry), unfixable)
    return planned


def _route(findings, rules, fixers, selection: Selection, fx: FixContext, planned: Planned):
    """Each finding to its rule's fixer, or to why it is not fixed (noted in `planned`)."""
    by_fixer: dict[str, list[Finding]] = {}
    unfixable = planned.plan.unfixable
    without_fixer = planned.without_fixer
    for finding in findings:
        if selection.fingerprints and finding.fingerprint not in selection.fingerprints:
            continue
        if finding.severity is Severity.INFO and not selection.names(finding):
            left = planned.info_unselected
            left[finding.rule] = left.get(finding.rule, 0) + 1
            continue
        rule = rules.get(finding.rule)
        if rule is None or not rule.fixer or rule.fixer not in fixers:
            without_fixer[finding.rule] = without_fixer.get(finding.rule, 0) + 1
            continue
        fixer = fixers[rule.fixer]
        if fixer.irreversible and not selection.names(finding):
            why = (
                f"{fixer.name} rewrites a whole tree, so it runs only when selected by name: "
                f"ytm-doctor fix --select {finding.rule} --run"
            )
            unfixable.append(fx.unfixable(finding, why))
            continue
        resolved_by_option = any(selection.option(o) for o in fixer.resolves_with)
        if not finding.fixable and not resolved_by_option:
            reason = str(finding.details.get("unfixable") or "not fixable automatically")
            unfixable.append(fx.unfixable(finding, reason))
            continue
        by_fixer.setdefault(rule.fixer, []).append(finding)
    return by_fixer


def _plan_fixes(by_fixer, fixers, fx: FixContext, executor: Executor, unfixable) -> list[Fix]:
    """The fixers' fixes with their preconditions; a fix touching a path an earlier fix
    touches waits for the next run."""
    fixes: list[Fix] = []
    claimed: dict[PathRef, str] = {}
    for name in sorted(by_fixer):
        for item in _fixer_plan(fixers[name], by_fixer[name], fx, unfixable):
            if isinstance(item, Unfixable):
                unfixable.append(item)
                continue
            touched = executor.first_touches(item)
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
    return fixes


def _fixer_plan(
    fixer: Fixer, findings: list[Finding], fx: FixContext, unfixable: list[Unfixable]
) -> list[Fix | Unfixable]:
    """What the fixer plans for these findings. A finding lacking what the fixer reads (from a
    third-party check, an older report) raises NotFixable: it becomes unfixable with that
    reason, and the fixer plans the others again. Planning only reads, so that is safe."""
    pending = list(findings)
    while pending:
        try:
            return list(fixer.plan(pending, fx))
        except NotFixable as exc:
            # A NotFixable naming no finding of these (a fixer's own) counts against them all.
            bad = [f for f in pending if f is exc.finding] or pending
            unfixable.extend(fx.unfixable(f, exc.reason) for f in bad)
            pending = [f for f in pending if not any(f is b for b in bad)]
    return []


def with_preconditions(ctx: Context, fixes: list[Fix], registry: OperationRegistry) -> list[Fix]:
    """Each fix with the state of every path it touches now as its preconditions (plans built
    from arguments: store, flush-outbox)."""
    executor = Executor(ctx, registry)
    for fix in fixes:
        fix.preconditions = [
            (ref, path_state(executor.resolve(ref))) for ref in executor.first_touches(fix)
        ]
    return fixes


def new_plan(ctx: Context, created: datetime, fixes: list[Fix], unfixable: list[Unfixable]) -> Plan:
    return Plan(
        created=created,
        fixes=fixes,
        unfixable=unfixable,
        roots={k: os.fspath(v) for k, v in ctx.paths.named_roots().items()},
        host=host_name(),
    )
