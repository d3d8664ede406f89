"""Hot-workspace checks: is everything an unposted episode needs on this Mac (seed 001 §0.2.2)?

YTM401/YTM402 judge the CapCut draft of each unposted episode's adopted run; YTM403 the links of
video/input that make Hot depend on the share; YTM404 Hot episodes with no run yet; YTM405 runs
named by status.json that are gone from video/runs, usually archived (seed 003); YTM406 the runs
the archive guards would let `ytm-doctor archive runs` move.

Drafts are judged per episode with a few targeted reads (readlink, stat, one small JSON), not
through the walk: only the adopted run of an unposted episode matters, and Published episodes'
drafts are deleted after posting by policy, so their dangling links are not findings.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ytm_doctor.facts import ArchivableRunsFacts, ArchivedRunFacts, DraftFacts
from ytm_doctor.jsonio import MISSING, NOT_UTF8, JsonInputError, read_json
from ytm_doctor.model import Check, Entry, Finding, Rule, Severity, Subscription
from ytm_doctor.paths import relative_to
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.runs.layout import KEEP_MARKER, RunStats, measure_run
from ytm_doctor.runs.select import Guards, Selection, conclude, describe_runs, pre_decide
from ytm_doctor.standins import OFFLINE_FALLBACK
from ytm_doctor.text import plural
from ytm_doctor.text import size as human_size
from ytm_doctor.workspace import BACKUP_MARK, DRAFT_LINK, INPUT_DIR, Episode, Stage, episode_of

if TYPE_CHECKING:
    from ytm_doctor.context import Context

DRAFT_INFO = "capcut_draft_info.json"
RUNS_DIR = "video/runs"
ARCHIVE_DIR = "video/_archive"
ARCHIVE_REPORT = "archive_report.json"
SMALL_JSON_MAX = 1 << 20  # a draft info file is a few hundred bytes
REPORT_JSON_MAX = 64 << 20  # an archive report lists every moved run; still bounded
# A path segment naming an episode: "CH02-012", "CH02-012_title", not "CH02-0123".

DRAFT_MISSING = Rule(
    code="YTM401",
    name="hot-draft-missing-locally",
    severity=Severity.VIOLATION,
    summary="an unposted episode's CapCut draft is not on local disk",
    tags=("hot", "capcut", "episode"),
    fixer="relink-draft",
    needs_share=True,
)
DRAFT_LINK_BROKEN = Rule(
    code="YTM402",
    name="run-dir-symlink-broken",
    severity=Severity.VIOLATION,
    summary="a run's capcut_draft link dangles or disagrees with capcut_draft_info.json",
    tags=("hot", "capcut", "symlink", "episode"),
    fixer="relink-draft",
)
INPUT_ON_SHARE = Rule(
    code="YTM403",
    name="hot-input-on-share",
    severity=Severity.WARNING,
    summary="an entry of video/input/ is a symlink into the share (Hot depends on the share)",
    tags=("hot", "symlink", "share", "episode"),
    fixer="materialize-input",
    needs_share=True,
)
RUN_MISSING = Rule(
    code="YTM404",
    name="video-run-missing",
    severity=Severity.WARNING,
    summary="a Hot episode has no video run yet",
    tags=("hot", "episode"),
)
ADOPTED_RUN_MISSING = Rule(
    code="YTM405",
    name="adopted-run-missing",
    severity=Severity.VIOLATION,
    summary="status.json's video_run_id names a run that is not under video/runs",
    tags=("hot", "runs", "archive", "episode"),
    fixer="restore-run",
)
SIZE_BUDGET_SEC = 0.3  # YTM406's sizing of runs while the disk is low; the command sizes all
RUNS_ARCHIVABLE = Rule(
    code="YTM406",
    name="runs-archivable",
    severity=Severity.INFO,
    summary="runs the archive guards let move to video/_archive (warning while disk is low)",
    tags=("hot", "runs", "archive", "disk"),
    fixer="archive-runs",
)
GIB = 1024**3
_RUNS_PREFIX = len(RUNS_DIR) + 1  # "video/runs/"


# --- shared helpers ---------------------------------------------------------------------------


def _read_json(path: str, limit: int) -> tuple[Any, str | None]:
    """(data, None), or (None, why it could not be read); "missing" when there is no file."""
    try:
        return read_json(path, max_bytes=limit, what="file", allow_bom=True), None
    except JsonInputError as exc:
        if exc.kind == MISSING:
            return None, "missing"
        if exc.kind == NOT_UTF8:
            return None, "not UTF-8"  # as YTM402's info_error has always read
        return None, exc.reason


def _readlink(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:  # not a link, or gone
        return None


def _in_scope(ctx: Context, ep: Episode) -> bool:
    return ctx.scope.includes(ep.channel, ep.video)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --- YTM401 / YTM402: the draft of each unposted episode's adopted run -------------------------


@dataclass
class DraftProblem:
    """One episode's draft problem, already assigned to the one rule that owns it."""

    code: str  # YTM401 or YTM402
    episode: Episode
    run_id: str
    link: str  # absolute path of <run>/capcut_draft
    problem: str  # YTM401: why the draft is not local; YTM402: the reason
    facts: DraftFacts

    @property
    def candidates(self) -> list[str]:
        return list(self.facts.candidates)


# Both rules need the same per-episode analysis; it is computed once per scan (per Context).
_DRAFT_CACHE: weakref.WeakKeyDictionary[Context, list[DraftProblem]] = weakref.WeakKeyDictionary()


def draft_problems(ctx: Context) -> list[DraftProblem]:
    cached = _DRAFT_CACHE.get(ctx)
    if cached is None:
        cached = _DRAFT_CACHE[ctx] = _find_draft_problems(ctx)
    return cached


def _find_draft_problems(ctx: Context) -> list[DraftProblem]:
    ws = ctx.workspace
    found = []
    for ep in ws.episodes.values():
        if not ep.unposted or not _in_scope(ctx, ep):
            continue
        run_id = ws.adopted_run(ep)
        run_dir = ws.runs.get(run_id) if run_id else None
        if run_id is None or run_dir is None:
            continue  # no run (YTM404) or a run gone from video/runs (YTM405)
        problem = _examine_run(ctx, ep, run_id, os.fspath(run_dir))
        if problem is not None:
            found.append(problem)
    return found


def _read_draft_info(run_dir: str) -> tuple[str | None, str | None]:
    """(draft_path as recorded, problem with the info file); a missing file is no problem."""
    data, error = _read_json(os.path.join(run_dir, DRAFT_INFO), SMALL_JSON_MAX)
    if error == "missing":
        return None, None
    if error:
        return None, f"{DRAFT_INFO}: {error}"
    if not isinstance(data, dict):
        return None, f"{DRAFT_INFO}: not a JSON object"
    draft_path = data.get("draft_path")
    if draft_path is None or draft_path == "":
        return None, None
    if not isinstance(draft_path, str):
        return None, f"{DRAFT_INFO}: draft_path is not a string"
    return draft_path, None


def _examine_run(ctx: Context, ep: Episode, run_id: str, run_dir: str) -> DraftProblem | None:
    link = os.path.join(run_dir, DRAFT_LINK)
    target = _readlink(link)
    present = os.path.lexists(link)
    info_path, info_error = _read_draft_info(run_dir)
    if not present and info_path is None:
        return None  # no draft made for this run yet
    # Relative to the run dir, as the link's own target would be.
    info_abs = os.path.normpath(os.path.join(run_dir, info_path)) if info_path else None
    target_abs = ctx.link_target_abs(link, target) if target is not None else None
    facts = DraftFacts(
        run_id=run_id,
        stage=ep.stage.value,
        link_target=target,
        link_target_abs=target_abs,
        info_draft_path=info_path,
        info_error=info_error or None,
        link_state=_link_state(link) if present else "missing",
    )

    def problem(code: str, text: str, candidates: list[str]) -> DraftProblem:
        key = "why" if code == DRAFT_MISSING.code else "reason"
        found = replace(facts, candidates=tuple(candidates), **{key: text})
        return DraftProblem(code, ep, run_id, link, text, found)

    if facts.link_state == "ok":
        resolved = os.path.realpath(link)
        facts = replace(facts, resolved=resolved)
        if not ctx.is_local(resolved):
            facts = facts.with_share(_share_relative(ctx, target_abs, resolved))
            why = _remote_why(facts.share_relative)
            return problem(DRAFT_MISSING.code, why, _candidates(ctx, ep, [target, info_path], []))
        if info_error:
            # An info file that cannot be read is not "says nothing": say so, fixable by
            # rewriting it from the (good) link.
            candidates = _candidates(ctx, ep, [target], [resolved])
            return problem(DRAFT_LINK_BROKEN.code, f"its {info_error}", candidates)
        if info_abs is None or os.path.realpath(info_abs) == resolved:
            return None  # a local draft, and the info file agrees (or says nothing)
        candidates = _candidates(ctx, ep, [target, info_path], [resolved, info_abs])
        return problem(DRAFT_LINK_BROKEN.code, "disagrees with capcut_draft_info.json", candidates)

    if not present and info_abs and os.path.exists(info_abs) and not ctx.is_local(info_abs):
        # No link, and the draft the info file names is not on this Mac.
        resolved = os.path.realpath(info_abs)
        facts = replace(facts, resolved=resolved).with_share(
            _share_relative(ctx, info_abs, resolved)
        )
        why = _remote_why(facts.share_relative)
        return problem(DRAFT_MISSING.code, why, _candidates(ctx, ep, [info_path], []))

    # Dangling (or looping) link, or no link while the info file names a draft.
    if target_abs is not None:
        facts = facts.with_share(ctx.share_relative(target_abs))
    extra = [info_abs] if info_abs else []
    candidates = _candidates(ctx, ep, [target, info_path], extra)
    if not candidates:
        return problem(DRAFT_MISSING.code, "missing, no local candidate", [])
    reason = "dangling" if present else "link missing"
    return problem(DRAFT_LINK_BROKEN.code, reason, candidates)


def _link_state(path: str) -> str:
    """The link's state: ok, dangling or loop (YTM302 leaves looping run draft links to us)."""
    try:
        os.stat(path)
    except OSError as exc:
        return "loop" if exc.errno == errno.ELOOP else "dangling"
    return "ok"


def _share_relative(ctx: Context, target_abs: str | None, resolved: str) -> str | None:
    if target_abs is not None:
        rel = ctx.share_relative(target_abs)
        if rel is not None:
            return rel
    return ctx.share_relative(resolved)


def _remote_why(share_relative: str | None) -> str:
    # is_local() said no: either the path is under the share (or a host alias), or its
    # filesystem is a network one (another SMB/NFS mount than the configured share).
    return "on the share" if share_relative is not None else "on a network filesystem"


def _candidates(
    ctx: Context, ep: Episode, old_paths: Iterable[str | None], extra: Iterable[str]
) -> list[str]:
    """Local drafts this run could point at: top-level dirs of capcut.draft_root named after the
    episode or after the draft the run used to name, plus `extra` paths that are local dirs."""
    names = {os.path.basename(p.rstrip("/" + os.sep)) for p in old_paths if p}
    names.discard("")
    key = ep.id.lower()
    found: dict[str, str] = {}  # real path -> path as listed (one entry per real draft)
    for draft in ctx.draft_dirs:
        name = draft.name
        if (key in name.lower() or name in names) and ctx.is_local(draft):
            found.setdefault(os.path.realpath(draft), os.fspath(draft))
    for path in extra:
        if os.path.isdir(path) and ctx.is_local(path):
            found.setdefault(os.path.realpath(path), path)
    return sorted(found.values())


def _unfixable(candidates: list[str]) -> str | None:
    if len(candidates) == 1:
        return None
    if not candidates:
        return "no local candidate draft: bring the draft back to this Mac, then relink it"
    return f"{len(candidates)} candidates: choose one with --draft-dir"


def _draft_finding(ctx: Context, rule: Rule, p: DraftProblem, severity: Severity | None) -> Finding:
    ep, facts = p.episode, p.facts
    shown = facts.link_target or facts.info_draft_path
    n = _plural(len(p.candidates), "local candidate")
    if rule is DRAFT_MISSING:
        message = f"{ep.id} ({ep.stage.value}): the CapCut draft of run {p.run_id} is {p.problem}"
        if p.problem != "missing, no local candidate":
            message += f" ({shown}), not on this Mac; {n}"
        else:
            message += f" ({DRAFT_LINK} -> {shown})"
    else:
        what = {
            "dangling": f"dangles ({DRAFT_LINK} -> {shown})",
            "link missing": f"is missing while {DRAFT_INFO} names {shown}",
        }.get(p.problem, f"-> {facts.resolved} but {DRAFT_INFO} says {shown}")
        if facts.info_error:
            what = f"-> {facts.resolved}, but its {facts.info_error}"
        message = f"{ep.id}: {DRAFT_LINK} of run {p.run_id} {what}; {n}"
    if len(p.candidates) == 1:
        message += f": {p.candidates[0]}"
    ws_root = os.fspath(ctx.paths.workspace_root)
    return rule.finding(
        message,
        root="workspace",
        path=relative_to(p.link, ws_root),
        abs_path=p.link,
        severity=severity,
        channel=ep.channel,
        video=ep.video,
        details=facts.to_details(),
        unfixable=_unfixable(p.candidates),
    )


class HotDraftMissingLocally(Check):
    rule = DRAFT_MISSING

    def finish(self, ctx: Context) -> list[Finding]:
        out = []
        for p in draft_problems(ctx):
            if p.code != self.rule.code:
                continue
            # Freeze: not being edited now, so a draft away from the Mac can wait a little.
            freeze = p.episode.stage == Stage.FREEZE
            out.append(_draft_finding(ctx, self.rule, p, Severity.WARNING if freeze else None))
        return out


class RunDirSymlinkBroken(Check):
    rule = DRAFT_LINK_BROKEN

    def finish(self, ctx: Context) -> list[Finding]:
        return [
            _draft_finding(ctx, self.rule, p, None)
            for p in draft_problems(ctx)
            if p.code == self.rule.code
        ]


# --- YTM403: video/input links into the share --------------------------------------------------


class HotInputOnShare(Check):
    rule = INPUT_ON_SHARE
    subscriptions = (
        Subscription(roots=("workspace",), kinds=frozenset({"link"}), under=(INPUT_DIR,)),
    )

    def visit(self, entry: Entry, ctx: Context) -> list[Finding]:
        if BACKUP_MARK in entry.rel:
            return []  # a link renamed aside by a fallback: YTM303's
        target = entry.readlink()
        if target is None:
            return []
        target_abs = ctx.link_target_abs(entry.path, target)
        share_rel = ctx.share_relative(target_abs)
        state = entry.target_state()
        if state == "loop":
            return []  # YTM302's, wherever the loop claims to go
        if share_rel is None:
            if state != "ok":
                return []  # a dangling link that does not name the share: YTM301's
            # Through another link (e.g. a local name for the mount): judge where it lands.
            share_rel = ctx.share_relative(os.path.realpath(entry.path))
            if share_rel is None:
                return []
        return [self._finding(entry, ctx, target, target_abs, share_rel, state)]

    def finish(self, ctx: Context) -> list[Finding]:
        """Offline fallbacks that replaced such a link are reported until the link is back."""
        out = []
        for rel, standin in sorted(ctx.standins.items()):
            if standin.kind != OFFLINE_FALLBACK or not rel.startswith(INPUT_DIR + "/"):
                continue
            channel, video = episode_of(rel)
            if not ctx.scope.includes(channel, video):
                continue
            link_dir = os.path.dirname(os.path.join(ctx.paths.workspace_root, rel))
            back = ctx.share.online and os.path.isdir(os.path.join(link_dir, standin.target or ""))
            then = (
                "the share is back: `ytm-doctor fix --select YTM403 --run` sends what was added "
                "here to the share and links it again"
                if back
                else "it stays until the share and the link's target are back"
            )
            out.append(
                self.rule.finding(
                    f"{rel} is an {standin.describe()} (it replaced the link -> "
                    f"{standin.target}); {then}",
                    root="workspace",
                    path=rel,
                    abs_path=os.path.join(ctx.paths.workspace_root, *rel.split("/")),
                    severity=Severity.INFO,
                    channel=channel,
                    video=video,
                    details={"fallback_since": standin.since, "target": standin.target},
                    unfixable=None if back else "an offline fallback waits for the share",
                )
            )
        return out

    def _finding(
        self, entry: Entry, ctx: Context, target: str, target_abs: str, share_rel: str, state: str
    ) -> Finding:
        share = ctx.share
        dangling = state != "ok"
        severe = dangling or not share.online
        channel, video = episode_of(entry.rel)
        if dangling:
            why = "and it dangles"
        elif not share.online:
            why = f"and the share is {share.status}"
        else:
            why = "so Hot work stops when the share goes down"
        message = f"{entry.rel} -> {target} points into the share ({share_rel}) {why}"
        details = {
            "target": target,
            "target_abs": target_abs,
            "share_relative": share_rel,
            "dangling": dangling,
            "target_state": state,
            "share_status": share.status,
        }
        return self.rule.finding(
            message,
            root="workspace",
            path=entry.rel,
            abs_path=entry.path,
            severity=Severity.VIOLATION if severe else None,
            channel=channel,
            video=video,
            details=details,
        )


# --- YTM404: Hot episodes with no run ----------------------------------------------------------


class VideoRunMissing(Check):
    rule = RUN_MISSING

    def finish(self, ctx: Context) -> list[Finding]:
        ws = ctx.workspace
        runs_dir = os.path.join(os.fspath(ctx.paths.workspace_root), RUNS_DIR)
        out = []
        for ep in ws.episodes.values():
            # A video_run_id that names a missing run is YTM405's, so adopted_run() is enough.
            if ep.stage != Stage.HOT or ep.planning_unknown or not _in_scope(ctx, ep):
                continue
            if ws.adopted_run(ep):
                continue
            status = ep.planning_status if ep.planning_status is not None else "no planning row"
            out.append(
                self.rule.finding(
                    f"{ep.id} is Hot ({status}) but has no run under {RUNS_DIR}/",
                    root="workspace",
                    path=RUNS_DIR,
                    abs_path=runs_dir,
                    channel=ep.channel,
                    video=ep.video,
                    details={
                        "stage": ep.stage.value,
                        "planning_status": ep.planning_status,
                        "in_planning": ep.in_planning,
                        "run_prefix": ep.id,
                    },
                )
            )
        return out


# --- YTM405: the adopted run is gone from video/runs -------------------------------------------


def _plain_name(run_id: str) -> bool:
    return run_id not in ("", ".", "..") and "/" not in run_id and "\0" not in run_id


def _report_moves(data: Any, wanted: set[str]) -> dict[str, list[str]]:
    """run_id -> destinations recorded by an archive report, for the runs in `wanted`. The
    report's layout varies with the tool's version, so any object that names a wanted run (by
    run_id, or as the last segment of src/dest) counts; its dest may be empty."""
    found: dict[str, list[str]] = {}
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        stack.extend(v for v in item.values() if isinstance(v, (list, dict)))
        run_id = item.get("run_id")
        names = {run_id} if isinstance(run_id, str) else set()
        for key in ("src", "dest", "from", "to", "source", "destination"):
            value = item.get(key)
            if isinstance(value, str):
                names.add(value.rstrip("/").rpartition("/")[2])
        dest = next(
            (item[k] for k in ("dest", "to", "destination") if isinstance(item.get(k), str)), ""
        )
        for name in names & wanted:
            found.setdefault(name, []).append(dest)
    return found


class AdoptedRunMissing(Check):
    rule = ADOPTED_RUN_MISSING

    def start(self, ctx: Context) -> None:
        ws = ctx.workspace
        self.missing = [
            ep
            for ep in ws.episodes.values()
            if ep.video_run_id and ep.video_run_id not in ws.runs and _in_scope(ctx, ep)
        ]
        self.wanted = {ep.video_run_id for ep in self.missing if ep.video_run_id}
        self.copies: dict[str, list[str]] = {}
        # Walk video/_archive only when some run is missing: the common case costs nothing.
        self.subscriptions = (
            (Subscription(("workspace",), frozenset({"dir"}), (ARCHIVE_DIR,)),)
            if self.wanted
            else ()
        )

    def visit(self, entry: Entry, ctx: Context) -> list[Finding]:
        # Seed 003: an archived run sits at video/_archive/<stamp>/.../runs/<run_id>/.
        name = entry.name
        if name in self.wanted and entry.rel.endswith("/runs/" + name):
            self.copies.setdefault(name, []).append(entry.rel)
        return []

    def finish(self, ctx: Context) -> list[Finding]:
        if not self.missing:
            return []
        reports = self._read_reports(ctx)
        return [self._finding(ctx, ep, reports) for ep in self.missing]

    def _read_reports(self, ctx: Context) -> dict[str, list[tuple[str, str]]]:
        """run_id -> [(report rel path, recorded dest)] from video/_archive/*/archive_report.json
        (one directory listing and the reports themselves, read only when a run is missing)."""
        ws_root = os.fspath(ctx.paths.workspace_root)
        archive = os.path.join(ws_root, ARCHIVE_DIR)
        try:
            with os.scandir(archive) as it:
                stamps = sorted(e.name for e in it)
        except OSError:
            return {}
        found: dict[str, list[tuple[str, str]]] = {}
        for stamp in stamps:
            rel = f"{ARCHIVE_DIR}/{stamp}/{ARCHIVE_REPORT}"
            data, error = _read_json(os.path.join(ws_root, rel), REPORT_JSON_MAX)
            if error:
                continue
            for run_id, dests in _report_moves(data, self.wanted).items():
                found.setdefault(run_id, []).extend((rel, d) for d in dests)
        return found

    def _archived_copies(
        self, ctx: Context, run_id: str, mentions: list[tuple[str, str]]
    ) -> list[str]:
        """Workspace-relative dirs holding a copy of the run: what the walk saw, plus report
        destinations that exist (the walk does not enter a linked _archive)."""
        ws_root = os.fspath(ctx.paths.workspace_root)
        copies = set(self.copies.get(run_id, []))
        for _, dest in mentions:
            if not dest:
                continue
            path = dest if os.path.isabs(dest) else os.path.join(ws_root, dest)
            located = ctx.locate(os.path.normpath(path))
            if located and located[0] == "workspace" and os.path.isdir(path):
                copies.add(located[1])
        return sorted(copies)

    def _finding(
        self, ctx: Context, ep: Episode, reports: dict[str, list[tuple[str, str]]]
    ) -> Finding:
        run_id = ep.video_run_id or ""
        ws_root = os.fspath(ctx.paths.workspace_root)
        rel = f"{RUNS_DIR}/{run_id}"
        abs_path = os.path.join(ws_root, RUNS_DIR, run_id)
        mentions = reports.get(run_id, [])
        copies = self._archived_copies(ctx, run_id, mentions)
        facts = ArchivedRunFacts(
            run_id=run_id,
            stage=ep.stage.value,
            archived_copies=tuple(copies),
            archive_report=tuple(sorted({r for r, _ in mentions})),
            run_dir_link=_readlink(abs_path) if _plain_name(run_id) else None,
            vault_copy=self._vault_copy(ctx, run_id),
        )
        if not _plain_name(run_id):
            unfixable = "video_run_id is not a plain directory name"
        elif not copies:
            unfixable = f"no archived copy under {ARCHIVE_DIR}/"
        elif len(copies) > 1:
            unfixable = f"{len(copies)} archived copies: choose one"
        else:
            unfixable = None
        if copies:
            where = f"archived at {copies[0]}" if len(copies) == 1 else f"{len(copies)} copies"
        else:
            where = f"no archived copy under {ARCHIVE_DIR}/"
        message = (
            f"{ep.id}: status.json names run {run_id}, which is not under {RUNS_DIR}/ ({where})"
        )
        return self.rule.finding(
            message,
            root="workspace",
            path=rel,
            abs_path=abs_path,
            # Published: the run was archived after posting, as policy allows; nothing waits on it.
            severity=Severity.INFO if ep.stage == Stage.PUBLISHED else None,
            channel=ep.channel,
            video=ep.video,
            details=facts.to_details(),
            unfixable=unfixable,
        )

    def _vault_copy(self, ctx: Context, run_id: str) -> str | None:
        """The Vault keeps video/runs from delete-sync (seed 001 Step C), so it often still has
        the run; looked up only while the share is online."""
        if not ctx.share.online or not _plain_name(run_id):
            return None
        path = os.path.join(os.fspath(ctx.paths.vault_workspaces_root), RUNS_DIR, run_id)
        return f"{RUNS_DIR}/{run_id}" if os.path.isdir(path) else None


# --- YTM406: runs the archive guards let go ---------------------------------------------------


class RunsArchivable(Check):
    """What `ytm-doctor archive runs` would move now, judged cheaply through the shared walk:
    the model decides adopted and newest-N runs before the walk; the walk shows this check the
    directories of the other runs only (a file written into a run changes its directory's
    mtime), never each file, so a scan of a workspace that is mostly video/runs stays as fast
    as the walk. `.keep` is one lookup per run. Sizes are measured (every file) only while the
    disk is below disk.warn_free_gib, when they matter; the archive command and its fixer
    measure every run whole again before anything moves."""

    rule = RUNS_ARCHIVABLE

    def start(self, ctx: Context) -> None:
        self.guards = Guards.from_config(ctx.config)
        selection = Selection(ctx.scope.channel, ctx.scope.video)
        self.decisions = pre_decide(describe_runs(ctx.workspace), selection, self.guards)
        self.measured = {d.run.run_id: RunStats() for d in self.decisions if not d.kept}
        self.subscriptions = (
            (Subscription(("workspace",), frozenset({"dir"}), (RUNS_DIR,)),)
            if self.measured
            else ()
        )

    def visit(self, entry: Entry, ctx: Context) -> tuple[Finding, ...]:
        run_id = entry.rel[_RUNS_PREFIX:].partition("/")[0]
        stats = self.measured.get(run_id)
        if stats is None:
            return ()
        try:
            st = os.lstat(entry.path)
        except FileNotFoundError:
            return ()  # gone since it was listed
        except OSError as exc:
            stats.error = f"{entry.rel}: {exc.strerror or exc}"
            return ()
        stats.entries += 1
        stats.newest_ns = max(stats.newest_ns, st.st_mtime_ns)
        return ()

    def _measure(self, ctx: Context, low_disk: bool) -> int:
        """`.keep` of every candidate run; with a low disk, their sizes too, within a time
        budget (a stat per file: a scan must stay about as fast as its walk). Returns how many
        runs were sized."""
        deadline = time.monotonic() + SIZE_BUDGET_SEC
        sized = 0
        for decision in self.decisions:
            stats = self.measured.get(decision.run.run_id)
            if stats is None:
                continue
            stats.keep_marker = os.path.lexists(os.path.join(decision.run.path, KEEP_MARKER))
            if low_disk and time.monotonic() < deadline:
                stats.size_bytes = measure_run(decision.run.path).size_bytes
                sized += 1
        return sized

    def finish(self, ctx: Context) -> list[Finding]:
        free_gib, warn = self._low_disk(ctx)
        sized = self._measure(ctx, low_disk=free_gib is not None)
        decisions = conclude(self.decisions, self.measured, self.guards)
        movable = [d for d in decisions if d.archivable]
        if not movable:
            return []
        size = sum(d.stats.size_bytes for d in movable if d.stats) if free_gib else None
        candidates = len(self.measured)
        kept: dict[str, int] = {}
        for decision in decisions:
            for guard in decision.kept:
                kept[guard] = kept.get(guard, 0) + 1
        unscoped = sum(1 for d in movable if d.run.episode is None)
        held = sum(1 for d in decisions if d.kept)
        guards = ", ".join(f"{n} {_guard_name(g, self.guards)}" for g, n in kept.items())
        message = (
            f"{plural(len(movable), 'run')} "
            + (
                f"({'at least ' * (sized < candidates)}{human_size(size)}) "
                if size is not None
                else ""
            )
            + "could be archived to "
            f"video/_archive/ ({unscoped} tied to no episode); {held} kept"
            + (f" ({guards})" if guards else "")
        )
        if free_gib is not None:
            message += (
                f"; the workspace's disk has {free_gib:.1f} GiB free, below "
                f"disk.warn_free_gib ({warn:g}): archiving is a rename there and frees nothing "
                "by itself, it sets apart what may leave the disk"
            )
        facts = ArchivableRunsFacts(
            run_ids=tuple(d.run.run_id for d in movable),
            size_bytes=size,
            channel=ctx.scope.channel,
            video=ctx.scope.video,
            kept=kept,
            free_gib=None if free_gib is None else round(free_gib, 1),
            warn_free_gib=warn if free_gib is not None else None,
        )
        return [
            self.rule.finding(
                message,
                root="workspace",
                path=RUNS_DIR,
                abs_path=os.path.join(os.fspath(ctx.paths.workspace_root), RUNS_DIR),
                severity=Severity.WARNING if free_gib is not None else None,
                channel=ctx.scope.channel,
                video=ctx.scope.video,
                details=facts.to_details(),
            )
        ]

    def _low_disk(self, ctx: Context) -> tuple[float | None, float]:
        """Free GiB on the workspace's disk when below disk.warn_free_gib (as YTM501 measures:
        what users get), else None."""
        warn = float(ctx.config["disk.warn_free_gib"])
        try:
            free = shutil.disk_usage(ctx.paths.workspace_root).free / GIB
        except OSError:
            return None, warn
        return (free, warn) if free < warn else (None, warn)


def _guard_name(guard: str, guards: Guards) -> str:
    return f"newest {guards.keep_last_runs}" if guard == "newest" else guard


@hookimpl
def ytm_doctor_collect_checks() -> list[Check]:
    return [
        HotDraftMissingLocally(),
        RunDirSymlinkBroken(),
        HotInputOnShare(),
        VideoRunMissing(),
        AdoptedRunMissing(),
        RunsArchivable(),
    ]
