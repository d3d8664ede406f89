"""One scan: select checks, walk each root once, let checks report, build the report."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ytm_doctor.baseline import apply_to_report, load_from_options
from ytm_doctor.carry import Unchecked, unchecked_for
from ytm_doctor.collect import Selection, collect_checks, collect_fixers, select_checks, split_codes
from ytm_doctor.context import Context, Scope
from ytm_doctor.model import Check, Entry, Finding, Rule, Severity
from ytm_doctor.progress import Progress
from ytm_doctor.report import (
    CheckOutcome,
    Report,
    ReportRule,
    compare_with_previous,
    load_previous,
    new_run,
    outcome_for,
    rules_with_findings,
)
from ytm_doctor.walk import Subscribers, WalkRoot, WalkStats, walk_root
from ytm_doctor.walk_fork import ListingChild, dispatch_listed, start_listing

if TYPE_CHECKING:
    from ytm_doctor.config import Config

# A listing over a network mount is a few round trips of waiting, not CPU, so many can be in
# flight even on 2 cores. Over sshfs with 1 ms each way (benchmarks/bench_network.py, 100,000
# entries) 8 threads walked in 20.8 s, 16 in 16.2 s, 32 in 9.7 s and 64 in 9.5 s: the mount
# itself is the limit by 32, and the main thread spent 9.3 of its 9.9 s walk waiting for listings.
AUTO_NETWORK_THREADS = 32


def selection_for(config: Config, checks: list[Check]) -> Selection:
    """The checks this invocation's --select/--ignore/-k/--lf leave."""
    only = None
    if config.getoption("lf"):
        # Quiet here: a bad latest.json is told once, when the scan compares with it.
        only = rules_with_findings(load_previous(config.paths.report_dir, warn=False))
        if not only:  # nothing failed last time (or no last time): run everything, as pytest
            only = None
    return select_checks(
        checks,
        select=split_codes(config.getoption("select")),
        ignore=split_codes(config.getoption("ignore")),
        keyword=config.getoption("keyword"),
        only_codes=only,
    )


@dataclass
class _Run:
    ctx: Context
    outcomes: dict[str, CheckOutcome]
    findings: list[Finding] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def emit(self, check: Check, found) -> None:
        outcome = self.outcomes[check.rule.code]
        for finding in found:
            if not self.ctx.scope.includes(finding.channel, finding.video):
                continue
            self.findings.append(finding)
            outcome.findings += 1

    def check_failed(self, check: Check, exc: BaseException, entry: Entry | None = None) -> None:
        code = check.rule.code
        self.failed.add(code)
        message = f"{type(exc).__name__}: {exc}"
        self.outcomes[code].error = message
        error = {"kind": "check", "check": code, "message": message}
        if entry is not None:
            error.update(root=entry.root, path=entry.rel)
        # The one-line message says what; the traceback says where, which is what a plugin's
        # author needs (kept in the JSON report, shown by the terminal under -v).
        import traceback  # on first error: its import costs every scan's start-up

        error["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.errors.append(error)

    def walk_failed(self, root: WalkRoot, rel: str, exc: OSError) -> None:
        reason = exc.strerror or type(exc).__name__
        self.errors.append({"kind": "walk", "root": root.name, "path": rel, "message": reason})


def walk_roots(ctx: Context) -> tuple[list[WalkRoot], dict[str, str]]:
    """The roots that can be walked now, and why the others are skipped."""
    paths = ctx.paths
    roots = [WalkRoot("workspace", os.fspath(paths.workspace_root))]
    skipped: dict[str, str] = {}
    share_walks = [
        WalkRoot("vault", os.fspath(paths.vault_workspaces_root)),
        WalkRoot("share", os.fspath(paths.asset_vault), "asset_vault"),
    ]
    if not ctx.share.online:
        # A stub's ytm_workspaces is a local fallback, not the Vault: do not judge the Vault by it.
        for walk in share_walks:
            skipped[_key(walk)] = f"share is {ctx.share.status}"
    else:
        for walk in share_walks:
            if os.path.isdir(walk.path) and not os.path.islink(walk.path):
                roots.append(walk)
            else:
                skipped[_key(walk)] = "missing"
    for name, path in (("drafts", paths.draft_root), ("outbox", paths.fallback_root)):
        if path is not None and path.is_dir():
            roots.append(WalkRoot(name, os.fspath(path)))
    # A planning SoT outside the workspace and the Vault needs a walk of its own (YTM602).
    planning = os.path.normpath(paths.planning_root)
    covered = [os.path.normpath(p) for p in (paths.workspace_root, paths.vault_workspaces_root)]
    if os.path.isdir(planning) and not any(
        planning == c or planning.startswith(c.rstrip(os.sep) + os.sep) for c in covered
    ):
        roots.append(WalkRoot("planning", planning))
    return roots, skipped


def _key(walk: WalkRoot) -> str:
    return f"{walk.name}:{walk.rel_prefix}" if walk.rel_prefix else walk.name


def _threads_for(ctx: Context, path: str) -> int:
    configured = ctx.config["scan.threads"]
    if configured:
        return configured
    from ytm_doctor.mount import mount_of

    info = mount_of(path, ctx.mounts)
    return AUTO_NETWORK_THREADS if info and info.network else 1


def fix_hint(finding: Finding, fixer: str, config: Config) -> dict[str, str]:
    """The exact commands that preview and apply the fix of this one finding."""
    words = ["ytm-doctor", "fix"]
    if config.file:
        words += ["--config", os.fspath(config.file)]
    words += ["--select", finding.rule, "--fingerprint", finding.fingerprint]
    preview = shlex.join(words)
    return {"fixer": fixer, "preview": preview, "apply": preview + " --run"}


@dataclass
class ScanResult:
    """One scan's report, and what `fix` plans with after it: the Context the checks saw, the
    selected rules by code and the fixers (collected once per invocation)."""

    report: Report
    ctx: Context
    rules: dict[str, Rule]
    fixers: dict[str, Any]


def run_scan(
    config: Config,
    scope: Scope,
    argv: list[str],
    before_walk: Callable[[], None] | None = None,
) -> Report:
    """One scan. `before_walk` runs once the command line has proved valid (baseline, plugins,
    selection) and before anything is read: the scan command takes its lock there."""
    return scan(config, scope, argv, before_walk).report


def scan(
    config: Config,
    scope: Scope,
    argv: list[str],
    before_walk: Callable[[], None] | None = None,
) -> ScanResult:
    """run_scan, keeping its Context, rules and fixers for the fix engine."""
    run_info = new_run(argv)
    baseline = load_from_options(config)  # a bad baseline stops the run before the walk
    checks = collect_checks(config)
    selection = selection_for(config, checks)
    fixers = collect_fixers(config)
    if before_walk is not None:
        before_walk()
    ctx = Context(config, scope)
    run = _Run(ctx=ctx, outcomes={c.rule.code: outcome_for(c) for c in selection.selected})

    active = []
    for check in selection.selected:
        try:
            check.start(ctx)
            active.append(check)
        except Exception as exc:
            run.check_failed(check, exc)

    roots, skipped = walk_roots(ctx)
    walks: dict[str, Any] = {key: {"skipped": why} for key, why in skipped.items()}
    progress = Progress()  # draws only when stderr is a terminal
    try:
        _walk_all(ctx, run, active, roots, walks, progress)
    finally:
        progress.clear()

    for check in active:
        if check.rule.code in run.failed:
            continue
        try:
            run.emit(check, list(check.finish(ctx) or ()))
        except Exception as exc:
            run.check_failed(check, exc)

    rules = {c.rule.code: c.rule for c in selection.selected}
    for finding in run.findings:
        rule = rules[finding.rule]
        if rule.fixer and rule.fixer in fixers and finding.fixable:
            finding.fix = fix_hint(finding, rule.fixer, config)
    run.findings.sort(key=Finding.sort_key)

    run_info.ended = datetime.now(timezone.utc)
    report = Report(
        run=run_info,
        config=describe_config(ctx, walks),
        outcomes=list(run.outcomes.values()),
        findings=run.findings,
        errors=run.errors
        + [
            {"kind": "input", "path": os.fspath(p.path), "message": p.message}
            for p in _input_problems(ctx)
        ],
        deselected=len(selection.deselected),
        exit_zero=bool(config.getoption("exit_zero")),
        full_scan=not selection.deselected and scope.channel is None,
        fail_on=Severity(config.getoption("fail_on") or Severity.VIOLATION.value),
        rules=report_rules(checks, selection),
    )
    apply_to_report(report, config, baseline)
    unchecked = unchecked_in(ctx, report, selection.selected, skipped)
    compare_with_previous(report, load_previous(config.paths.report_dir), scope, unchecked)
    return ScanResult(report, ctx, rules, fixers)


def unchecked_in(
    ctx: Context, report: Report, selected: list[Check], skipped: dict[str, str]
) -> Unchecked:
    """What this scan could not judge: the roots skipped because the share is down, the checks
    that errored, and (share down) the rules that need the share."""
    down = set() if ctx.share.online else {key.split(":")[0] for key in skipped}
    return unchecked_for(
        share_online=ctx.share.online,
        skipped_roots=down,
        errored=[o.code for o in report.outcomes if o.error],
        needs_share=[c.rule.code for c in selected if c.rule.needs_share],
    )


def report_rules(checks: list[Check], selection: Selection) -> list[ReportRule]:
    """The catalogue as the report carries it to the writers, each rule marked selected or not."""
    chosen = {c.rule.code for c in selection.selected}
    return [ReportRule.of(c, selected=c.rule.code in chosen) for c in checks]


def _walk_all(
    ctx: Context,
    run: _Run,
    active: list[Check],
    roots: list[WalkRoot],
    walks: dict[str, Any],
    progress: Progress,
) -> None:
    """One walk per root, each entry dispatched to the checks subscribed to it. With automatic
    threads, the later local roots are listed by a child process while the first is walked
    here (walk_fork); the checks still see every root's entries here, in the serial order."""
    jobs = []
    for root in roots:
        subscribers = Subscribers()
        for check in active:
            for sub in check.subscriptions:
                if root.name in sub.roots:
                    subscribers.add(check, sub)
        if subscribers:
            jobs.append((root, subscribers, _threads_for(ctx, root.path)))
    forked = [
        (_key(root), root, subs)
        for root, subs, threads in jobs[1:]
        if threads == 1 and not ctx.config["scan.threads"]
    ]
    child = start_listing(forked)
    listed_by_child = {key for key, _, _ in forked} if child is not None else set()
    try:
        for root, subscribers, threads in jobs:
            lister = child if _key(root) in listed_by_child else None
            stats = _walk_one(ctx, run, root, subscribers, threads, progress, lister)
            walks[_key(root)] = {
                "path": root.path,
                "entries": stats.entries,
                "dirs": stats.dirs,
                "errors": stats.errors,
                "threads": threads,
                "listed_by_child": lister is not None and lister.listings is not None,
            }
    finally:
        if child is not None:
            child.stop()


def _walk_one(
    ctx: Context,
    run: _Run,
    root: WalkRoot,
    subscribers: Subscribers,
    threads: int,
    progress: Progress,
    child: ListingChild | None,
) -> WalkStats:
    def on_error(check: Check, exc: BaseException, entry: Entry) -> None:
        run.check_failed(check, exc, entry)
        subscribers.remove(check)  # one error per check, not one per entry

    listings = child.take() if child is not None else None
    records = listings.get(_key(root)) if listings is not None else None
    if records is not None:
        return dispatch_listed(
            root,
            records,
            subscribers,
            ctx,
            run.emit,
            on_error,
            run.walk_failed,
            progress.walking(_key(root)),
        )
    return walk_root(
        root,
        subscribers,
        ctx,
        run.emit,
        on_error,
        run.walk_failed,
        threads,
        progress.walking(_key(root)),
    )


def _input_problems(ctx: Context) -> list:
    # Only when some check loaded the workspace model: the scan does not read it for nothing.
    workspace = ctx.workspace_if_loaded()
    return list(workspace.problems) if workspace is not None else []


def describe_config(ctx: Context, walks: dict[str, Any]) -> dict[str, Any]:
    paths = ctx.paths
    return {
        "config_file": os.fspath(ctx.config.file) if ctx.config.file else None,
        "workspace_root": os.fspath(paths.workspace_root),
        "share_root": os.fspath(paths.share_root),
        "namespace": paths.namespace,
        "vault_workspaces_root": os.fspath(paths.vault_workspaces_root),
        "planning_root": os.fspath(paths.planning_root),
        "fallback_root": os.fspath(paths.fallback_root),
        "draft_root": os.fspath(paths.draft_root) if paths.draft_root else None,
        "scope": {"channel": ctx.scope.channel, "video": ctx.scope.video},
        "share": ctx.share.to_json(),
        "walks": walks,
    }
