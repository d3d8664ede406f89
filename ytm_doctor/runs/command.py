"""`ytm-doctor archive runs` and `ytm-doctor restore runs`: read the options, plan, print.

Dry-run by default: the decisions are printed, a dry run's report is saved under
`<report dir>/runs_archive/` and nothing else changes. With --run the plan goes through
run_plan (journaled, audited, undoable with `ytm-doctor undo RUN_ID --run`).

Exit codes: 0 done, previewed or nothing to do; 1 the fix was refused or failed, or (restore) a
run was refused; 4 bad input (one line).
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import write_atomic
from ytm_doctor.clock import file_stamp
from ytm_doctor.commands.options import parse_scope
from ytm_doctor.context import Context
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.fix.operation import operations_for
from ytm_doctor.fix.output import print_results, result_json, results_line, undo_hint
from ytm_doctor.fix.planning import with_preconditions
from ytm_doctor.fix.run import RunOutcome, check_plan, run_plan
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.model import display
from ytm_doctor.runs.archive import ArchivePlan, plan_archive
from ytm_doctor.runs.layout import DRY_RUN_DIR
from ytm_doctor.runs.restore import (
    IN_PLACE,
    REFUSED,
    RESTORE,
    RestorePlan,
    plan_restore,
    read_report,
)
from ytm_doctor.runs.select import NEWEST, Decision, Guards, Selection
from ytm_doctor.text import plural
from ytm_doctor.text import size as human_size

if TYPE_CHECKING:
    from pathlib import Path

    from ytm_doctor.config import Config
    from ytm_doctor.fix.plan import Fix


def archive_command(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    selection = _selection(options)
    guards = Guards.from_config(config)
    ctx = Context(config)
    created = datetime.now(timezone.utc)
    plan = plan_archive(
        ctx, selection, guards, created, file_stamp(created), reason=_reason(argv), rule=""
    )
    as_json = bool(options.json)
    if not as_json:
        _print_archive(plan)
    if not options.run:
        name = f"video_runs_cleanup_dryrun_{plan.stamp}.json"
        _dry_run_end(ctx, config, plan.fix, name, plan.report, as_json, "archive")
        return ExitCode.OK
    if plan.fix is None:
        print(dumps_json({"status": "nothing to archive"}) if as_json else "nothing to archive.")
        return ExitCode.OK
    outcome = _run(ctx, config, plan.fix, "archive runs", argv)
    return _finish(outcome, as_json, {"archive_report": plan.report_rel}, config.file)


def restore_command(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    if not options.report:
        raise UsageError("restore runs needs --report FILE (an archive_report.json)")
    ctx = Context(config)
    report = read_report(ctx, options.report)
    created = datetime.now(timezone.utc)
    plan = plan_restore(ctx, report, created, file_stamp(created), options.only_run_id)
    as_json = bool(options.json)
    if not as_json:
        _print_restore(plan)
    refused = bool(plan.having(REFUSED))
    if not options.run:
        name = f"restore_video_runs_dryrun_{plan.stamp}.json"
        _dry_run_end(ctx, config, plan.fix, name, plan.restore_report, as_json, "restore")
        return ExitCode.VIOLATIONS if refused else ExitCode.OK
    if plan.fix is None:
        if as_json:
            print(dumps_json({"status": "nothing to restore", "report": plan.restore_report}))
        else:
            print("nothing to restore.")
        return ExitCode.VIOLATIONS if refused else ExitCode.OK
    outcome = _run(ctx, config, plan.fix, "restore runs", argv)
    code = _finish(outcome, as_json, {"restore_report": plan.restore_report_rel}, config.file)
    return ExitCode.VIOLATIONS if refused else code


def _reason(argv: list[str]) -> str:
    """The command line as the report records it: `ytm-doctor archive runs --all ...`."""
    return " ".join(["ytm-doctor", *argv])


def _selection(options: argparse.Namespace) -> Selection:
    if options.all and options.channel:
        raise UsageError("archive runs: --all and --channel exclude each other")
    if not options.all and not options.channel:
        raise UsageError(
            "archive runs needs a scope: --channel CH [--video NNN], or --all for every run"
        )
    scope = parse_scope(options)
    return Selection(scope.channel, scope.video, unscoped_only=bool(options.unscoped_only))


def _print_archive(plan: ArchivePlan) -> None:
    print(f"archive runs: {plan.selection.describe()} ({plan.guards.describe()})")
    moving = plan.moved_ids
    for decision in plan.decisions:
        if decision.run.run_id in moving:
            print(f"  move  {display(decision.run.rel)}  ({_about(decision)})")
    kept = [d for d in plan.decisions if d.kept]
    tags = {
        d.run.run_id: ", ".join(
            f"newest {plan.guards.keep_last_runs}" if k == NEWEST else k for k in d.kept
        )
        for d in kept
    }
    width = max((len(t) for t in tags.values()), default=0)
    for decision in kept:
        tag = tags[decision.run.run_id]
        why = "; ".join(decision.why)
        print(f"  kept: {tag:<{width}}  {display(decision.run.rel)}  ({display(why)})")
    if moving:
        print(
            f"{plural(len(moving), 'run')} ({human_size(plan.size_bytes)}) to move to "
            f"{plan.report['archive_dir']}/runs/, {plan.report_rel} listing them; {len(kept)} kept"
        )
    else:
        print(f"no run to move; {len(kept)} kept")


def _about(decision: Decision) -> str:
    run = decision.run
    owner = run.episode or f"tied to no episode: {run.unscoped}"
    size = human_size(decision.stats.size_bytes) if decision.stats else "?"
    return f"{owner}, {size}"


def _print_restore(plan: RestorePlan) -> None:
    print(f"restore runs from {plan.report.rel}")
    for item in plan.items:
        if item.status == RESTORE:
            print(f"  restore   {display(str(item.dest))} -> {display(str(item.src))}")
        elif item.status == IN_PLACE:
            print(f"  in place  {display(item.run_id)}: {display(item.why)}")
    for item in plan.having(REFUSED):
        print(f"  refused   {display(item.run_id)}: {display(item.why)}")
    count = len(plan.having(RESTORE))
    print(f"{plural(count, 'run')} to restore; {len(plan.having(REFUSED))} refused")


def _dry_run_end(
    ctx: Context,
    config: Config,
    fix: Fix | None,
    name: str,
    report: dict[str, Any],
    as_json: bool,
    verb: str,
) -> None:
    """A dry run's last words: what a --run would refuse now, and where its report went."""
    saved = _save_dry_run(ctx, name, report)
    refusals = _refusals(ctx, config, fix)
    if as_json:
        data = {"dry_run": True, "saved": saved, "refused": refusals, "report": report}
        print(dumps_json(data, indent=2))
        return
    for reason in refusals:
        print(f"  would be refused: {display(reason)}")
    print(f"dry-run report: {saved}")
    print(f"dry-run: nothing was changed. Add --run to {verb}." if fix else f"nothing to {verb}.")


def _save_dry_run(ctx: Context, name: str, report: dict[str, Any]) -> str:
    """What a dry run would do, kept for later comparison. The tool's own log: written
    directly, like the mirror's run logs, never into the user's tree."""
    folder = os.path.join(os.fspath(ctx.paths.report_dir), DRY_RUN_DIR)
    path = os.path.join(folder, name)
    try:
        os.makedirs(folder, exist_ok=True)
        write_atomic(path, dumps_json({**report, "dry_run": True}, indent=2) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write the dry-run report {path}: {exc}") from None
    return path


def _refusals(ctx: Context, config: Config, fix: Fix | None) -> list[str]:
    """Why a --run would refuse the plan now (a run swapped for a link leading out...)."""
    if fix is None:
        return []
    registry = operations_for(config)
    with_preconditions(ctx, [fix], registry)
    return [reason for result in check_plan(ctx, [fix], registry) for reason in result.reasons]


def _run(ctx: Context, config: Config, fix: Fix, command: str, argv: list[str]) -> RunOutcome:
    registry = operations_for(config)
    with_preconditions(ctx, [fix], registry)
    return run_plan(ctx, [fix], registry, command=command, argv=argv)


def _finish(
    outcome: RunOutcome, as_json: bool, extra: dict[str, str], config_file: Path | None = None
) -> int:
    if as_json:
        data = {
            "run_id": outcome.run_id,
            "journal": os.fspath(outcome.journal),
            "results": [result_json(r) for r in outcome.results],
            **extra,
        }
        print(dumps_json(data, indent=2))
    else:
        print()
        print_results(outcome.results)
        print(f"\nrun {outcome.run_id}: {results_line(outcome.results)}")
        for key, value in extra.items():
            print(f"{key.replace('_', ' ')}: {value}")
        print(f"journal: {outcome.journal}")
        if outcome.undoable:
            print(f"undo:    {undo_hint(config_file, outcome.run_id)}")
    return ExitCode.OK if outcome.ok else ExitCode.VIOLATIONS
