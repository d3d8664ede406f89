"""`ytm-doctor store`: copy final artifacts to the shared store (SPEC §6.2, seed 000 §6).

    ytm-doctor store [sync] --src PATH [--kind K] [--channel CH --video NNN] [--run-id RUN]
    ytm-doctor store episode --channel CH --video NNN [--include-remotion [--run-id RUN]]
                             [--skip-audio]
    ytm-doctor store flush-outbox
      ... [--run] [--symlink-back | --move] [--allow-unposted --reason TEXT] [--json]

Dry-run by default: the plan is printed and nothing changes. With --run the same plan goes to
the Executor (journaled, audited, undoable with `ytm-doctor undo RUN_ID --run`) while the
`store` lock is held. While the share is a stub, unmounted or degraded, store writes the same
layout to the outbox and says so; --symlink-back and --move are refused then.

Exit codes: 0 stored (or previewed, or nothing to do; flush-outbox also when another store
holds the lock, or with --if-share-up while the share is down: the scheduled flush waits
quietly); 1 a fix was refused or failed, a destructive mode was refused, items remain in
the outbox, or (store) another store holds the lock; 4 bad input (one line).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import file_stamp
from ytm_doctor.context import Context
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.fix.journal import audit_takeover
from ytm_doctor.fix.operation import OperationRegistry, operations_for
from ytm_doctor.fix.output import print_plan
from ytm_doctor.fix.plan import Fix, Plan, Unfixable
from ytm_doctor.fix.planning import new_plan, with_preconditions
from ytm_doctor.fix.run import check_plan, override_from
from ytm_doctor.fixing import execute
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.model import printable
from ytm_doctor.store.layout import (
    Artifact,
    StorePlanner,
    Target,
    episode_artifacts,
    infer_artifact,
    store_target,
)
from ytm_doctor.store.outbox import outbox_manifests, plan_flush
from ytm_doctor.store.policy import delete_allowed, not_allowed_note

if TYPE_CHECKING:
    from ytm_doctor.config import Config

LOCK_NAME = "store"  # <report_dir>/store.lock: one store or flush at a time


def store_command(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    what = options.what
    if what != "flush-outbox" and getattr(options, "if_share_up", False):
        raise UsageError("--if-share-up belongs to `store flush-outbox`")
    if what == "flush-outbox":
        _reject(options, "flush-outbox", ("src", "kind", "channel", "video", "run_id"))
        _reject(options, "flush-outbox", ("include_remotion", "symlink_back", "move"))
        _reject(options, "flush-outbox", ("skip_audio",))
        return flush_command(config, options, argv)
    channel, video = _episode_options(options)
    ctx = Context(config)
    target = store_target(ctx)
    release = "symlink" if options.symlink_back else "move" if options.move else None
    if what == "episode":
        chosen = _episode_choice(ctx, options, channel, video, target)
    else:
        chosen = _file_choice(ctx, options, channel, video)
    if release and target.root != "share":
        flag = "--symlink-back" if release == "symlink" else "--move"
        print(
            f"ytm-doctor: refused: {flag} needs the verified shared copy, and {target.why}; "
            "nothing was changed. Store without it (to the outbox), then run "
            "`ytm-doctor store flush-outbox --run` once the share is back",
            file=sys.stderr,
        )
        return ExitCode.VIOLATIONS
    created = datetime.now(timezone.utc)
    planner = StorePlanner(ctx, target, file_stamp(created))
    # Only destructive fixes need the stage.
    stage = _stage(ctx, chosen.channel, chosen.video) if release else None
    notes = list(chosen.notes)
    releasable = chosen.artifacts
    if release:
        releasable = [a for a in chosen.artifacts if delete_allowed(config, a.src)]
        kept = [a for a in chosen.artifacts if a not in releasable]
        notes += [not_allowed_note(a.src) for a in kept]
        fixes = planner.fixes(kept) + planner.fixes(releasable, release=release, stage=stage)
    else:
        fixes = planner.fixes(chosen.artifacts)
    if not chosen.artifacts:
        notes = [*notes, "no L1 artifact of this episode is in the workspace"]
    plan = _plan(ctx, created, fixes, [], operations_for(config))
    header = f"store {chosen.subject} -> {target.describe()}"
    return _finish(config, ctx, plan, argv, header, notes, target, command="store")


@dataclass
class _Chosen:
    """What one `store` invocation stores, and for which episode."""

    artifacts: list[Artifact]
    notes: list[str]
    subject: str
    channel: str | None
    video: str | None


def _episode_choice(ctx, options, channel, video, target: Target) -> _Chosen:
    """`store episode --channel CH --video NNN [--include-remotion [--run-id RUN]]`."""
    _reject(options, "store episode", ("src", "kind"))
    if not (channel and video):
        raise UsageError("store episode needs --channel CH --video NNN")
    if options.run_id and not options.include_remotion:
        raise UsageError("--run-id needs --include-remotion in store episode")
    ep = ctx.workspace.episode(channel, video)
    run_id = options.run_id or (ctx.workspace.adopted_run(ep) if ep else None)
    if options.include_remotion and not run_id:
        raise UsageError(f"{channel}-{video} has no adopted run; give --run-id RUN")
    found = episode_artifacts(
        ctx,
        channel,
        video,
        remotion_run=run_id if options.include_remotion else None,
        target=target,
    )
    artifacts, notes = found.artifacts, found.notes
    if options.skip_audio:
        # Asked for by name (a small store while the share is slow or down): the audio stays
        # local and YTM705 keeps saying it is not stored until it is.
        artifacts = [a for a in artifacts if a.kind != "audio_final"]
        notes = [n for n in notes if not n.startswith("no final audio")]
        notes.append("final audio left out (--skip-audio)")
    return _Chosen(artifacts, notes, f"{channel}-{video}", channel, video)


def _file_choice(ctx, options, channel, video) -> _Chosen:
    """`store [sync] --src PATH [--kind K] [--channel CH --video NNN] [--run-id RUN]`."""
    if not options.src:
        raise UsageError("store needs --src PATH (or: store episode, store flush-outbox)")
    for flag in ("include_remotion", "skip_audio"):
        if getattr(options, flag, False):
            raise UsageError(f"--{flag.replace('_', '-')} belongs to `store episode`")
    artifact = infer_artifact(
        ctx,
        options.src,
        kind=options.kind,
        channel=channel,
        video=video,
        run_id=options.run_id,
    )
    return _Chosen([artifact], [], artifact.src.rel, artifact.channel, artifact.video)


def flush_command(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    ctx = Context(config)
    target = store_target(ctx)
    manifests = outbox_manifests(ctx)
    if not manifests:
        _say(options, {"status": "empty"}, "the outbox is empty: nothing to flush")
        return ExitCode.OK
    if target.root != "share" and options.if_share_up and not ctx.share.mounted:
        # The scheduled flush: a share that is down is the normal state of waiting, not a
        # failure; its timer tries again (ytm_doctor/schedule/units.py).
        why = {"status": "share-down", "pending": len(manifests)}
        _say(options, why, f"flush-outbox: {len(manifests)} manifests wait: {target.why}")
        return ExitCode.OK
    if target.root != "share":
        _say(
            options,
            {"status": "waiting", "pending": [m.rel for m in manifests], "why": target.why},
            f"{len(manifests)} manifests wait in the outbox, but {target.why}: nothing can be "
            "flushed now; run this again once the share is back",
        )
        return ExitCode.VIOLATIONS
    created = datetime.now(timezone.utc)
    items = plan_flush(ctx, manifests, file_stamp(created))
    fixes = [i for i in items if isinstance(i, Fix)]
    unfixable = [i for i in items if isinstance(i, Unfixable)]
    plan = _plan(ctx, created, fixes, unfixable, operations_for(config))
    header = f"flush-outbox: {len(manifests)} manifests in {target.describe()}"
    code = _finish(config, ctx, plan, argv, header, [], target, command="flush-outbox")
    return ExitCode.VIOLATIONS if unfixable and code == ExitCode.OK else code


def _finish(
    config: Config,
    ctx: Context,
    plan: Plan,
    argv: list[str],
    header: str,
    notes: list[str],
    target: Target,
    *,
    command: str,
) -> int:
    as_json = bool(config.getoption("json"))
    if not config.getoption("run"):
        return _dry_run(config, ctx, plan, header, notes, target, as_json)
    if not as_json:
        print(printable(header))
        for note in notes:
            print(printable(f"  skipped: {note}"))
        print_plan(plan, operations_for(config))
    if not plan.fixes:
        if not as_json:
            print(f"nothing to do: {_nothing(plan, notes)}.")
        else:
            print(json.dumps({"status": "nothing to do"}))
        return ExitCode.VIOLATIONS if plan.unfixable else ExitCode.OK
    lock = _lock(config, argv)
    from ytm_doctor.lock import LockBusy

    try:
        lock.acquire()
    except LockBusy as exc:
        print(
            f"ytm-doctor: {command}: another store holds {lock.path}: {exc.info.describe()}; "
            "nothing done",
            file=sys.stderr,
        )
        return ExitCode.OK if command == "flush-outbox" else ExitCode.VIOLATIONS
    except OSError as exc:
        raise UsageError(f"{command}: cannot take the lock {lock.path}: {exc}") from None
    try:
        audit_takeover(ctx.paths.report_dir, lock, command)
        code = execute(config, ctx, plan, command, argv)
    finally:
        lock.release()
    if target.root == "outbox" and not as_json:
        print(
            f"stored in the outbox ({target.why}); `ytm-doctor store flush-outbox --run` "
            "moves it to the share once it is back"
        )
    return code


def _dry_run(config, ctx, plan, header, notes, target: Target, as_json: bool) -> int:
    registry = operations_for(config)
    checks = check_plan(ctx, plan.fixes, registry, override_from(config))
    if as_json:
        print(
            json.dumps(
                {
                    "dry_run": True,
                    "target": {"root": target.root, "base": target.base, "mode": target.mode},
                    "why": target.why,
                    "skipped": notes,
                    "plan": plan.to_json(),
                    "refused": {str(r.index): r.reasons for r in checks if r.reasons},
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return ExitCode.OK
    print(printable(header))
    for note in notes:
        print(printable(f"  skipped: {note}"))
    print()
    print_plan(plan, registry)
    for result in checks:
        for reason in result.reasons:
            print(printable(f"[{result.index}] would be refused: {reason}"))
    if plan.fixes:
        print("dry-run: nothing was changed. Add --run to apply this plan.")
    else:
        print(f"nothing to do: {_nothing(plan, notes)}.")
    return ExitCode.OK


def _nothing(plan: Plan, notes: list[str]) -> str:
    if plan.unfixable:
        return "what remains cannot be done automatically (see above)"
    if notes and notes[-1] == "no L1 artifact of this episode is in the workspace":
        return "there is nothing to store"
    return "the store already holds all of it"


def _plan(
    ctx: Context,
    created: datetime,
    fixes: list[Fix],
    unfixable: list[Unfixable],
    registry: OperationRegistry,
) -> Plan:
    """The plan, each fix with the state of every path it touches as its preconditions."""
    return new_plan(ctx, created, with_preconditions(ctx, fixes, registry), unfixable)


def _stage(ctx: Context, channel: str | None, video: str | None) -> str:
    """The episode's stage; an episode nobody knows counts as unposted (hot)."""
    ep = ctx.workspace.episode(channel, video) if channel and video else None
    return ep.stage.value if ep else "hot"


def _episode_options(options: argparse.Namespace) -> tuple[str | None, str | None]:
    from ytm_doctor.commands.options import parse_scope

    scope = parse_scope(options)
    return scope.channel, scope.video


def _reject(options: argparse.Namespace, what: str, names: tuple[str, ...]) -> None:
    for name in names:
        if getattr(options, name, None):
            raise UsageError(f"{what} does not take --{name.replace('_', '-')}")


def _say(options: argparse.Namespace, data: dict[str, Any], line: str) -> None:
    if getattr(options, "json", False):
        print(dumps_json(data))
    else:
        print(printable(line))  # names from disk: escaped, never obeyed by the terminal


def _lock(config: Config, argv: list[str]):
    from ytm_doctor.lock import Lock, lock_path

    return Lock(
        lock_path(config.paths.report_dir, LOCK_NAME),
        LOCK_NAME,
        command=shlex.join(["ytm-doctor", *argv])[:200],
        stale_after=float(config["locks.stale_after_sec"]),
    )
