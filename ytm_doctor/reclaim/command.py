"""`ytm-doctor reclaim [--channel CH [--video NNN]] [--run] [--json]`: free the local space of
published episodes.

Dry-run by default: every published episode's files, what reclaim would do with each (survey.py)
and the space that frees. With --run the releases go to the Executor as one fix per file
(journaled, audited, `ytm-doctor undo RUN_ID --run` copies the bytes back from the store) while
the store's lock is held: the release operation re-reads the stored copy and checks its SHA-256
right before the local file goes, so a copy damaged since it was stored keeps the local file.

Exit codes: 0 reclaimed (or previewed, or nothing to reclaim); 1 a release was refused or
failed, the share cannot be read (--run), or a store holds the lock; 4 bad input.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ytm_doctor.context import Context
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.fix.executor import FixResult
from ytm_doctor.fix.journal import audit_takeover
from ytm_doctor.fix.operation import operations_for
from ytm_doctor.fix.output import print_results, result_json, results_line, undo_hint
from ytm_doctor.fix.plan import Action, Fix
from ytm_doctor.fix.planning import with_preconditions
from ytm_doctor.fix.run import check_plan, run_plan
from ytm_doctor.jsonio import dumps_json
from ytm_doctor.model import display
from ytm_doctor.reclaim.survey import RELEASE, EpisodeSpace, Item, survey

# One store, flush or reclaim at a time: all of them judge the manifests.
from ytm_doctor.store.command import LOCK_NAME as STORE_LOCK
from ytm_doctor.store.layout import shared_store_readable
from ytm_doctor.text import plural, size

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.context import Scope

RULE = "YTM502"  # the rule that points here (reclaimable-space)


def reclaim_command(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.commands.options import parse_scope

    scope = parse_scope(options)
    ctx = Context(config, scope)
    spaces = survey(ctx, scope, now=time.time(), hash_local=True)
    registry = operations_for(config)
    fixes = with_preconditions(ctx, release_fixes(spaces), registry)
    as_json = bool(options.json)
    offline = None if shared_store_readable(ctx) else f"the share is {ctx.share.status}"
    if not options.run:
        checks = check_plan(ctx, fixes, registry)
        if as_json:
            print(dumps_json(_json(spaces, fixes, offline, refused=checks), indent=2))
        else:
            _print_survey(ctx, scope, spaces, offline)
            _print_refusals(checks)
            if fixes:
                print("dry-run: nothing was changed. Add --run to release these files.")
        return ExitCode.OK
    if not as_json:
        _print_survey(ctx, scope, spaces, offline)
    if offline is not None:
        print(
            f"ytm-doctor: reclaim: {offline}: nothing is released without its verified "
            "copies there; nothing was changed",
            file=sys.stderr,
        )
        return ExitCode.VIOLATIONS
    if not fixes:
        if as_json:
            print(dumps_json(_json(spaces, [], None, results=[]), indent=2))
        return ExitCode.OK
    return _run(config, ctx, spaces, fixes, argv, as_json)


def release_fixes(spaces: list[EpisodeSpace]) -> list[Fix]:
    """One fix per released file: a copy that no longer verifies keeps only its own file."""
    fixes = []
    for space in spaces:
        for item in space.items:
            if item.verdict != RELEASE:
                continue
            action = Action("release", item.ref, source=item.stored, sha256=item.sha256)
            fixes.append(
                Fix(
                    fixer="reclaim",
                    rule=RULE,
                    title=f"release {item.ref.rel} ({size(item.size)})",
                    actions=[action],
                    channel=space.channel,
                    video=space.video,
                    stage="published",
                    destructive=True,
                )
            )
    return fixes


def _run(
    config: Config,
    ctx: Context,
    spaces: list[EpisodeSpace],
    fixes: list[Fix],
    argv: list[str],
    as_json: bool,
) -> int:
    from ytm_doctor.lock import Lock, LockBusy, lock_path

    lock = Lock(
        lock_path(config.paths.report_dir, STORE_LOCK),
        STORE_LOCK,
        command=shlex.join(["ytm-doctor", *argv])[:200],
        stale_after=float(config["locks.stale_after_sec"]),
    )
    try:
        lock.acquire()
    except LockBusy as exc:
        print(
            f"ytm-doctor: reclaim: a store holds {lock.path}: {exc.info.describe()}; nothing done",
            file=sys.stderr,
        )
        return ExitCode.VIOLATIONS
    except OSError as exc:
        raise UsageError(f"reclaim: cannot take the lock {lock.path}: {exc}") from None
    try:
        audit_takeover(ctx.paths.report_dir, lock, "reclaim")
        outcome = run_plan(
            ctx, fixes, operations_for(config), command="reclaim", argv=argv, header={}
        )
    finally:
        lock.release()
    if as_json:
        data = _json(spaces, fixes, None, results=outcome.results)
        data.update(run_id=outcome.run_id, journal=str(outcome.journal))
        print(dumps_json(data, indent=2))
    else:
        print()
        print_results(outcome.results)
        _print_reclaimed(spaces, outcome.results)
        print(f"\nrun {outcome.run_id}: {results_line(outcome.results)}")
        print(f"journal: {outcome.journal}")
        if outcome.undoable:
            print(f"undo:    {undo_hint(config.file, outcome.run_id)}")
    return ExitCode.OK if outcome.ok else ExitCode.VIOLATIONS


def reclaimed_by_episode(spaces: list[EpisodeSpace], results: list[FixResult]) -> dict[str, int]:
    """Bytes freed per episode: the sizes of the files whose release applied."""
    sizes = {i.ref: i.size for s in spaces for i in s.items if i.verdict == RELEASE}
    freed: dict[str, int] = {}
    for result in results:
        episode = result.fix.episode
        if result.status == "applied" and episode:
            gone = sum(sizes.get(a.path, 0) for a in result.fix.actions)
            freed[episode] = freed.get(episode, 0) + gone
    return freed


# -- printing ---------------------------------------------------------------------------------

MARKS = {RELEASE: "release", "store-first": "store first", "retained": "retained"}


def _print_survey(
    ctx: Context, scope: Scope, spaces: list[EpisodeSpace], offline: str | None
) -> None:
    where = f"share:uploads/{ctx.paths.namespace}/"
    print(f"reclaim: {plural(len(spaces), 'published episode')}; stored copies in {where}")
    if offline:
        print(f"  {offline}: no stored copy can be verified, so nothing can be released now")
    if not spaces and scope.channel:
        which = f"{scope.channel}-{scope.video}" if scope.video else scope.channel
        print(f"  {which}: no published episode (reclaim frees only what was posted)")
    for space in spaces:
        print(f"\n{space.episode}: {size(space.reclaimable)} reclaimable")
        for item in space.items:
            _print_item(item)
    total = sum(s.reclaimable for s in spaces)
    with_space = sum(1 for s in spaces if s.reclaimable)
    print(f"\ntotal: {size(total)} reclaimable in {with_space} of {len(spaces)} episodes")


def _print_item(item: Item) -> None:
    label = MARKS.get(item.verdict, item.verdict)
    amount = f" ({size(item.size)})" if item.size else ""
    print(f"  {label:<13}{display(item.ref.rel)}{amount}: {display(item.note)}")


def _print_refusals(checks: list[FixResult]) -> None:
    for result in checks:
        for reason in result.reasons:
            print(f"  would be refused: {display(result.fix.title)}: {display(reason)}")


def _print_reclaimed(spaces: list[EpisodeSpace], results: list[FixResult]) -> None:
    freed = reclaimed_by_episode(spaces, results)
    print()
    for space in spaces:
        if space.reclaimable:
            got = freed.get(space.episode, 0)
            print(f"{space.episode}: {size(got)} reclaimed of {size(space.reclaimable)}")
    print(f"total: {size(sum(freed.values()))} reclaimed")


def _json(
    spaces: list[EpisodeSpace],
    fixes: list[Fix],
    offline: str | None,
    *,
    refused: list[FixResult] | None = None,
    results: list[FixResult] | None = None,
) -> dict[str, Any]:
    freed = reclaimed_by_episode(spaces, results or [])
    episodes = []
    for space in spaces:
        data = space.to_json()
        if results is not None:
            data["reclaimed_bytes"] = freed.get(space.episode, 0)
        episodes.append(data)
    out: dict[str, Any] = {
        "dry_run": results is None,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "share": offline,
        "episodes": episodes,
        "reclaimable_bytes": sum(s.reclaimable for s in spaces),
        "plan": [f.to_json() for f in fixes],
    }
    if refused is not None:
        out["refused"] = {str(r.index): r.reasons for r in refused if r.reasons}
    if results is not None:
        out["reclaimed_bytes"] = sum(freed.values())
        out["results"] = [result_json(r) for r in results]
    return out
