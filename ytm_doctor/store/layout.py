"""The shared asset store (SPEC §6.2, seed 000): where final artifacts (L1) go, and the plans that
put them there. Planning only; the Executor does every write (ytm_doctor/store_ops.py).

Layout under the base `uploads/<namespace>/` of the share, or of the outbox while the share is
a stub, unmounted or degraded (seed 000 §1.1, §2):

    scripts/CHxx/NNN/assembled_human.md
    episode_asset_pack/CHxx/episode_asset_pack__CHxx-NNN.tgz
    remotion_mp4/CHxx/NNN/<run_id>.mp4
    thumbnails/CHxx/NNN/<variant_id>/*.png
    audio_final/CHxx/NNN/CHxx-NNN.wav, .srt
    capcut_exports/CHxx/NNN/<run_id>.mp4
    capcut_draft_packs/CHxx/NNN/capcut_draft_pack__CHxx-NNN__YYYYMMDD__<tag>.tgz
    manifests/<kind>/<stamp>__<id>.json

One Fix per manifest (a kind of one episode): its copies, the manifest, and with
--symlink-back/--move the release of each local file, applied as a unit.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import now_iso_micros
from ytm_doctor.errors import UsageError
from ytm_doctor.fix.plan import Action, Fix, PathRef
from ytm_doctor.hashing import sha256_of
from ytm_doctor.identity import host_name
from ytm_doctor.jsonio import JsonInputError, read_json
from ytm_doctor.store import manifest
from ytm_doctor.store.manifest import Manifest, StoredEntry, latest_by_path, load_manifests
from ytm_doctor.workspace import (
    CHANNEL_RE,
    MAX_PROJECTS_BYTES,
    PROJECTS_JSON,
    VIDEO_RE,
    episode_of,
    normalize_video,
)

if TYPE_CHECKING:
    from ytm_doctor.context import Context

KINDS = manifest.KINDS
AUDIO_SUFFIXES = (".wav", ".srt")
SCRIPT_NAME = "assembled_human.md"
SUPERSEDED = ".superseded_"  # a stored copy replaced by a newer one is renamed aside, not lost
CORRUPT = ".corrupt_"  # a stored copy whose bytes differ from its manifest's, kept for a look

_RUN_EPISODE = re.compile(r"(CH[0-9]{2})-([0-9]{3})(?![0-9])")
_ASSET_PACK = re.compile(r"episode_asset_pack__(CH[0-9]{2})-([0-9]{3})\b.*")
_DRAFT_PACK = re.compile(r"capcut_draft_pack__(CH[0-9]{2})-([0-9]{3})__.*")


# -- where the store is now -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where store writes now: the shared base, or the same layout in the outbox."""

    root: str  # "share" or "outbox"
    base: str  # uploads/<namespace>, relative to that root
    abs_base: Path
    why: str | None = None  # why the outbox (the share's state)

    @property
    def mode(self) -> str:
        return "shared" if self.root == "share" else "outbox"

    def ref(self, rel: str) -> PathRef:
        return PathRef(self.root, f"{self.base}/{rel}")

    def abs(self, rel: str) -> str:
        return os.path.join(self.abs_base, *rel.split("/"))

    def describe(self) -> str:
        if self.root == "share":
            return f"the shared store share:{self.base}/"
        return f"the local outbox {self.abs_base}{os.sep} ({self.why})"


def base_rel(ctx: Context) -> str:
    return f"uploads/{ctx.paths.namespace}"


def shared_base_problem(ctx: Context) -> str | None:
    """Why the share cannot take a store now (None: it can). Seed 000 §1.1: a stub, no mount, or
    a mount without uploads/<namespace>/ (wrong export, drive missing, permissions)."""
    if not ctx.share.online:
        return f"the share is {ctx.share.status}"
    base = ctx.paths.shared_base
    label = f"{base_rel(ctx)}/"
    if base.is_symlink() and not base.is_dir():
        return f"the share is degraded ({label} is a dangling symlink)"
    if not base.is_dir():
        return f"the share is degraded ({label} is missing)"
    if not os.access(base, os.W_OK | os.X_OK):
        return f"the share is degraded ({label} is not writable)"
    return None


def store_target(ctx: Context) -> Target:
    problem = shared_base_problem(ctx)
    if problem is None:
        return Target("share", base_rel(ctx), ctx.paths.shared_base)
    return Target("outbox", base_rel(ctx), outbox_base(ctx), problem)


def outbox_base(ctx: Context) -> Path:
    return ctx.paths.fallback_root / "uploads" / ctx.paths.namespace


def shared_store_readable(ctx: Context) -> bool:
    """The store's manifests can be read (checks judge it only then)."""
    return ctx.share.online and ctx.paths.shared_base.is_dir()


# -- what is stored where ---------------------------------------------------------------------


@dataclass(frozen=True)
class Artifact:
    """One local file and where it goes under the base."""

    kind: str
    src: PathRef
    dest: str  # relative to the base
    channel: str
    video: str
    run_id: str | None = None

    @property
    def episode(self) -> str:
        return f"{self.channel}-{self.video}"


def never_stored(ctx: Context, root: str, rel: str) -> str | None:
    """The pattern of `store.never_store` that makes this an L2/L3 path, or None."""
    if root != "workspace":
        return None
    for pattern in ctx.config["store.never_store"] or ():
        if fnmatch.fnmatchcase(rel, pattern):
            return pattern
    return None


def _dest_for(
    kind: str, ch: str, video: str, name: str, *, run_id: str | None, variant: str | None
):
    if kind == "scripts":
        return f"scripts/{ch}/{video}/{SCRIPT_NAME}"
    if kind == "episode_asset_pack":
        return f"episode_asset_pack/{ch}/{name}"
    if kind == "remotion_mp4":
        if not run_id:
            raise UsageError("remotion_mp4 needs the run id (--run-id RUN)")
        return f"remotion_mp4/{ch}/{video}/{run_id}.mp4"
    if kind == "thumbnails":
        if not variant:
            raise UsageError(
                "thumbnails need their variant: store them from "
                "thumbnails/assets/CHxx/NNN/<variant>/, or with `ytm-doctor store episode`"
            )
        return f"thumbnails/{ch}/{video}/{variant}/{name}"
    if kind == "audio_final":
        return f"audio_final/{ch}/{video}/{name}"
    if kind == "capcut_exports":
        return (
            f"capcut_exports/{ch}/{video}/{run_id}.mp4"
            if run_id
            else (f"capcut_exports/{ch}/{video}/{name}")
        )
    return f"capcut_draft_packs/{ch}/{video}/{name}"


@dataclass
class _Guess:
    kind: str | None = None
    channel: str | None = None
    video: str | None = None
    run_id: str | None = None
    variant: str | None = None


def _episode_dirs(parts: list[str], i: int) -> bool:
    """parts[i], parts[i + 1] are CHxx/NNN."""
    return bool(CHANNEL_RE.fullmatch(parts[i]) and VIDEO_RE.fullmatch(parts[i + 1]))


def _guess(rel: str) -> _Guess:
    """What a workspace-relative path says about itself (SPEC §4 layout)."""
    parts = rel.split("/")
    name = parts[-1]
    g = _Guess()
    if (
        len(parts) == 5
        and parts[0] == "scripts"
        and parts[3] == "content"
        and name == SCRIPT_NAME
        and CHANNEL_RE.fullmatch(parts[1])
        and VIDEO_RE.fullmatch(parts[2])
    ):
        return _Guess("scripts", parts[1], parts[2])
    if len(parts) == 5 and parts[:2] == ["audio", "final"] and _episode_dirs(parts, 2):
        return _Guess("audio_final", parts[2], parts[3])
    if len(parts) == 6 and parts[:2] == ["thumbnails", "assets"] and _episode_dirs(parts, 2):
        return _Guess("thumbnails", parts[2], parts[3], variant=parts[4])
    if len(parts) >= 4 and parts[:2] == ["video", "runs"]:
        g.run_id = parts[2]
        m = _RUN_EPISODE.match(parts[2])
        if m:
            g.channel, g.video = m.group(1), m.group(2)
        if parts[3:] == ["remotion", "output", "final.mp4"]:
            g.kind = "remotion_mp4"
        elif name.lower().endswith(".mp4") and "remotion" not in parts:
            g.kind = "capcut_exports"
        return g
    for pattern, kind in ((_ASSET_PACK, "episode_asset_pack"), (_DRAFT_PACK, "capcut_draft_packs")):
        m = pattern.fullmatch(name)
        if m:
            return _Guess(kind, m.group(1), m.group(2))
    g.channel, g.video = episode_of(rel)
    return g


def infer_artifact(
    ctx: Context,
    src: str,
    *,
    kind: str | None = None,
    channel: str | None = None,
    video: str | None = None,
    run_id: str | None = None,
) -> Artifact:
    """The artifact for `store --src`; UsageError (exit 4) with one line when it cannot be."""
    src_abs = os.path.abspath(os.path.expanduser(src))
    located = ctx.locate(src_abs) or _locate_real(ctx, src_abs)
    if located is None or located[1] in (".", ""):
        roots = ", ".join(sorted(ctx.paths.named_roots()))
        raise UsageError(f"--src {src}: not inside a configured root ({roots})")
    root, rel = located
    if root in ("share", "vault"):
        raise UsageError(f"--src {src}: already on the share; store copies local files to it")
    if root == "outbox":
        raise UsageError(f"--src {src}: in the outbox; `ytm-doctor store flush-outbox` moves it")
    pattern = never_stored(ctx, root, rel)
    if pattern is not None:
        raise UsageError(
            f"refused: {rel} is L2/L3 (regenerable intermediate, log or cache; matches "
            f"store.never_store {pattern!r}): only final artifacts (L1) are stored"
        )
    standin = ctx.standins.get(rel) if root == "workspace" else None
    if standin is not None:
        raise UsageError(f"refused: {rel} is a {standin.describe()}, not a final artifact")
    _check_source(src, src_abs)
    guess = _guess(rel) if root == "workspace" else _guess_name(rel)
    kind = kind or guess.kind
    if kind is None:
        raise UsageError(
            f"--src {src}: cannot tell its kind from its path; give --kind (one of: "
            f"{', '.join(KINDS)})"
        )
    if kind not in KINDS:
        raise UsageError(f"--kind {kind}: unknown (one of: {', '.join(KINDS)})")
    ch = _agree("channel", channel, guess.channel)
    vid = _agree("video", video, guess.video)
    if not ch or not vid:
        raise UsageError(f"--src {src}: cannot tell its episode; give --channel CH --video NNN")
    run = run_id or guess.run_id
    dest = _dest_for(kind, ch, vid, os.path.basename(src_abs), run_id=run, variant=guess.variant)
    return Artifact(kind, PathRef(root, rel), dest, ch, vid, run)


def _locate_real(ctx: Context, path: str) -> tuple[str, str] | None:
    """Like ctx.locate, through real paths (a root configured as /var/... given as
    /private/var/... on macOS, or through a symlinked home)."""
    real = os.path.realpath(path)
    for name, root in sorted(ctx.paths.named_roots().items(), key=lambda i: -len(str(i[1]))):
        base = os.path.realpath(root)
        if real.startswith(base.rstrip(os.sep) + os.sep):
            return name, os.path.relpath(real, base).replace(os.sep, "/")
    return None


def _guess_name(rel: str) -> _Guess:
    name = rel.rsplit("/", 1)[-1]
    for pattern, kind in ((_ASSET_PACK, "episode_asset_pack"), (_DRAFT_PACK, "capcut_draft_packs")):
        m = pattern.fullmatch(name)
        if m:
            return _Guess(kind, m.group(1), m.group(2))
    ch, video = episode_of(rel)
    return _Guess(channel=ch, video=video)


def _agree(what: str, given: str | None, guessed: str | None) -> str | None:
    if given and guessed and given != guessed:
        raise UsageError(f"--{what} {given} disagrees with the path, which says {guessed}")
    return given or guessed


def _check_source(src: str, src_abs: str) -> None:
    try:
        st = os.lstat(src_abs)
    except FileNotFoundError:
        raise UsageError(f"--src {src}: does not exist") from None
    except OSError as exc:
        raise UsageError(f"--src {src}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISLNK(st.st_mode):
        raise UsageError(
            f"--src {src}: is a symlink (-> {os.readlink(src_abs)}); store the file itself"
        )
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"--src {src}: not a regular file (store takes one file at a time)")
    if st.st_size == 0:
        raise UsageError(f"--src {src}: is empty; an empty file is never stored")
    if not os.access(src_abs, os.R_OK):
        raise UsageError(f"--src {src}: not readable")


@dataclass
class Found:
    """An episode's L1 artifacts present locally, and notes on the ones that are not."""

    artifacts: list[Artifact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def episode_artifacts(
    ctx: Context,
    channel: str,
    video: str,
    *,
    remotion_run: str | None,
    projects: dict[tuple[str, str], tuple[str, str]] | None = None,
    target: Target | None = None,
) -> Found:
    """SPEC §6.2 / seed 000 §3: the script, the final audio (wav, srt), the selected thumbnail
    and, when asked, the Remotion final.mp4 of `remotion_run`. A few targeted reads."""
    found = Found()
    ws = ctx.paths.workspace_root
    candidates: list[tuple[str, str, str]] = []  # kind, workspace rel, dest
    script = f"scripts/{channel}/{video}/content/{SCRIPT_NAME}"
    candidates.append(("scripts", script, f"scripts/{channel}/{video}/{SCRIPT_NAME}"))
    audio_dir = f"audio/final/{channel}/{video}"
    try:
        names = sorted(os.listdir(ws / audio_dir))
    except OSError:
        names = []
        found.notes.append(f"no final audio ({audio_dir}/)")
    for name in names:
        if name.lower().endswith(AUDIO_SUFFIXES) and not name.startswith("."):
            rel = f"{audio_dir}/{name}"
            candidates.append(("audio_final", rel, f"audio_final/{channel}/{video}/{name}"))
    if projects is None:
        projects = selected_thumbnails(ctx)
    selected = projects.get((channel, video))
    if selected is not None:
        variant, image = selected
        rel = f"thumbnails/assets/{image}"
        name = image.rsplit("/", 1)[-1]
        candidates.append(("thumbnails", rel, f"thumbnails/{channel}/{video}/{variant}/{name}"))
    else:
        found.notes.append("no selected thumbnail in thumbnails/projects.json")
    if remotion_run:
        rel = f"video/runs/{remotion_run}/remotion/output/final.mp4"
        candidates.append(
            ("remotion_mp4", rel, f"remotion_mp4/{channel}/{video}/{remotion_run}.mp4")
        )
    for kind, rel, dest in candidates:
        standin = ctx.standins.get(rel)
        note = (
            f"{rel} is a {standin.describe()}: not stored"
            if standin
            else _local_problem(ctx, rel, dest, target)
        )
        if note is None:
            run = remotion_run if kind == "remotion_mp4" else None
            found.artifacts.append(
                Artifact(kind, PathRef("workspace", rel), dest, channel, video, run)
            )
        elif note:
            found.notes.append(note)
    return found


def _local_problem(ctx: Context, rel: str, dest: str, target: Target | None) -> str | None:
    """None when `rel` is a file to store; "" when there is nothing to say (a link already
    released to its stored copy); else why it is skipped."""
    path = ctx.paths.workspace_root / rel
    try:
        st = os.lstat(path)
    except OSError:
        return f"{rel}: not present"
    if stat.S_ISLNK(st.st_mode):
        if target is not None and os.path.normpath(os.readlink(path)) == target.abs(dest):
            return ""  # released earlier with --symlink-back: the store holds it
        return f"{rel}: a symlink, not stored"
    if not stat.S_ISREG(st.st_mode):
        return f"{rel}: not a regular file"
    if st.st_size == 0:
        return f"{rel}: empty, never stored"
    return None


def selected_thumbnails(ctx: Context) -> dict[tuple[str, str], tuple[str, str]]:
    """(channel, video) -> (selected variant id, image path under thumbnails/assets/), from
    thumbnails/projects.json; an unreadable file gives nothing (YTM801's concern)."""
    path = ctx.paths.workspace_root / PROJECTS_JSON
    try:
        data = read_json(path, max_bytes=MAX_PROJECTS_BYTES, what=PROJECTS_JSON)
    except JsonInputError:
        return {}
    projects = data.get("projects") if isinstance(data, dict) else None
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for project in projects if isinstance(projects, list) else []:
        if not isinstance(project, dict):
            continue
        ch = project.get("channel")
        video = normalize_video(str(project.get("video", "")))
        chosen = project.get("selected_variant_id")
        if not (isinstance(ch, str) and CHANNEL_RE.fullmatch(ch) and video and chosen):
            continue
        for variant in project.get("variants") or []:
            if not isinstance(variant, dict) or variant.get("id") != chosen:
                continue
            image = variant.get("image_path")
            if isinstance(image, str) and image and ".." not in image.split("/"):
                out[(ch, video)] = (str(chosen), image.lstrip("/"))
    return out


# -- planning ---------------------------------------------------------------------------------


class StorePlanner:
    """Fixes that store artifacts into a Target. Reads the target's manifests once."""

    def __init__(self, ctx: Context, target: Target, stamp: str) -> None:
        self.ctx = ctx
        self.target = target
        self.stamp = stamp
        self.created_at = now_iso_micros()
        self.host = host_name()
        self._latest: dict[str, tuple[Manifest, StoredEntry]] | None = None
        self._names: set[str] = set()

    @property
    def latest(self) -> dict[str, tuple[Manifest, StoredEntry]]:
        if self._latest is None:
            self._latest = latest_by_path(load_manifests(self.target.abs_base))
        return self._latest

    def fixes(
        self,
        artifacts: Iterable[Artifact],
        *,
        rule: str | None = None,
        release: str | None = None,  # "symlink" or "move"
        stage: str | None = None,
        fingerprints: list[str] | None = None,
        fixer: str = "store",
    ) -> list[Fix]:
        groups: dict[tuple[str, str], list[Artifact]] = {}
        for art in artifacts:
            groups.setdefault((art.kind, art.episode), []).append(art)
        out = []
        for (kind, _), arts in groups.items():
            fix = self._fix(kind, arts, rule or kind, release, stage, fixer)
            if fix is not None:
                fix.fingerprints = list(fingerprints or [])
                out.append(fix)
        return out

    def _fix(self, kind, arts, rule, release, stage, fixer) -> Fix | None:
        copies: list[Action] = []
        entries: list[dict[str, Any]] = []
        releases: list[Action] = []
        for art in arts:
            actions, entry, digest = self._plan_one(art)
            copies += actions
            if entry is not None:
                entries.append(entry)
            if release:
                dest = self.target.ref(art.dest)
                link = self.target.abs(art.dest) if release == "symlink" else None
                releases.append(Action("release", art.src, source=dest, sha256=digest, target=link))
        actions = list(copies)
        if entries:
            actions.append(self._manifest_action(kind, arts[0], entries))
        actions += releases
        if not actions:
            return None
        first = arts[0]
        where = "outbox" if self.target.root == "outbox" else "shared store"
        what = f"{len(arts)} files" if len(arts) > 1 else arts[0].dest.rsplit("/", 1)[-1]
        verb = {"symlink": "store + symlink back", "move": "store + move"}.get(release, "store")
        return Fix(
            fixer=fixer,
            rule=rule,
            title=f"{verb} {kind} {first.episode} ({what}) to the {where}",
            actions=actions,
            channel=first.channel,
            video=first.video,
            stage=stage,
            destructive=release is not None,
        )

    def _plan_one(self, art: Artifact) -> tuple[list[Action], dict[str, Any] | None, str | None]:
        """(actions, manifest entry or None when already recorded, sha256 when known)."""
        dest_ref = self.target.ref(art.dest)
        dest_abs = self.target.abs(art.dest)
        src_abs = os.path.join(self.ctx.paths.named_roots()[art.src.root], *art.src.rel.split("/"))
        src_st = os.lstat(src_abs)
        entry: dict[str, Any] = {"path": art.dest, "source": _source_record(art.src, src_st)}
        try:
            dest_st = os.lstat(dest_abs)
        except FileNotFoundError:
            return [Action("store_copy", dest_ref, source=art.src)], entry, None
        if not stat.S_ISREG(dest_st.st_mode):
            raise UsageError(f"{dest_ref} exists and is not a file; move it aside by hand")
        known = self.latest.get(art.dest)
        if known is not None and _unchanged(known[1], dest_st, src_st):
            return [], None, known[1].sha256  # stored before, and neither side changed since
        src_sha, _ = sha256_of(src_abs)
        dest_sha, _ = sha256_of(dest_abs)
        entry["sha256"] = src_sha
        if src_sha == dest_sha:
            return [], entry, src_sha  # the bytes are there; only the record is missing
        # Bytes its own manifest does not vouch for are damaged; either way they are kept.
        damaged = known is not None and known[1].sha256 not in (None, dest_sha)
        mark, note = (CORRUPT, "the damaged copy, kept") if damaged else (SUPERSEDED, "kept")
        aside = dest_ref.sibling(f"{dest_ref.name}{mark}{self.stamp}")
        return (
            [
                Action("rename", dest_ref, dest=aside, note=note),
                Action("store_copy", dest_ref, source=art.src, sha256=src_sha),
            ],
            entry,
            src_sha,
        )

    def _manifest_action(self, kind: str, art: Artifact, entries: list[dict[str, Any]]) -> Action:
        ref = self.target.ref(self.manifest_rel(kind, art.episode))
        data = manifest.template(
            kind=kind,
            ident=art.episode,
            channel=art.channel,
            video=art.video,
            mode=self.target.mode,
            namespace=self.ctx.paths.namespace,
            host=self.host,
            created_at=self.created_at,
            entries=entries,
            extra={"outbox_reason": self.target.why} if self.target.why else None,
        )
        note = f"{len(entries)} entries, mode {self.target.mode}"
        return Action("store_manifest", ref, data=manifest.dumps(data), note=note)

    def manifest_rel(self, kind: str, ident: str) -> str:
        """manifests/<kind>/<stamp>__<id>.json, free on disk and in this plan."""
        rel = manifest.manifest_rel(kind, self.stamp, ident)
        n = 1
        while rel in self._names or os.path.lexists(self.target.abs(rel)):
            n += 1
            rel = manifest.manifest_rel(kind, self.stamp, f"{ident}-{n}")
        self._names.add(rel)
        return rel


def _source_record(ref: PathRef, st: os.stat_result) -> dict[str, Any]:
    return {"root": ref.root, "path": ref.rel, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _unchanged(entry: StoredEntry, dest_st: os.stat_result, src_st: os.stat_result) -> bool:
    source = entry.source
    return (
        entry.sha256 is not None
        and entry.size == dest_st.st_size
        and entry.mtime_ns == dest_st.st_mtime_ns
        and source.get("size") == src_st.st_size
        and source.get("mtime_ns") == src_st.st_mtime_ns
    )
