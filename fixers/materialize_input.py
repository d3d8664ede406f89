"""materialize-input (YTM301 under video/input, YTM403): make a video/input entry a real local
directory so Hot work never depends on the share (seed 001 §0.2).

The link is renamed aside as `<name>.symlink_shared_backup_<stamp>`; in its place comes, in
order of preference: a copy of the link's target when it is readable (on the online share, or,
while the share is a stub, through the stub's `ytm_workspaces` link to its local backup), a copy
from a `video/_archive/*/video/input/...` snapshot (the workspace's, the online Vault's, or the
local backup's), or an empty directory holding README_OFFLINE_FALLBACK.txt that says what
happened. That empty directory is recorded as a stand-in (ytm_doctor.standins): the mirror never
sends it over the Vault's real inputs, and YTM403 keeps reporting it (info). Once the share is
back, `fix --select YTM403` sends to the share whatever was added to it locally (copies, never
over a different file), renames it aside and puts the link back.
"""

from __future__ import annotations

import os
from pathlib import Path

from ytm_doctor.clock import iso_seconds, utc_now
from ytm_doctor.facts import finding_ref
from ytm_doctor.fix.fixer import FixContext, Fixer, fix_for, missing_parents
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.hashing import sha256_file
from ytm_doctor.names import printable_text
from ytm_doctor.paths import is_under, relative_to
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.standins import FALLBACK_README, OFFLINE_FALLBACK, StandIn, marker_action

INPUT_PREFIX = "video/input/"
README_NAME = FALLBACK_README


def local_vault_backup(fx: FixContext) -> str | None:
    """While the share is a stub whose `ytm_workspaces` links to a local backup of the Vault
    inside the outbox root (seed 001: `ytm_workspaces -> …__LOCAL_BACKUP__…/ytm_workspaces`),
    that backup's path relative to the outbox root; else None."""
    link = fx.ctx.paths.vault_workspaces_root
    if fx.ctx.share.online or not os.path.islink(link):
        return None
    real = os.path.realpath(link)
    outbox = os.path.realpath(fx.ctx.paths.fallback_root)
    if real == outbox or not is_under(real, outbox) or not os.path.isdir(real):
        return None
    return relative_to(real, outbox)


def _archive_bases(fx: FixContext) -> list[tuple[str, Path, str]]:
    """(root, folder, rel prefix) of every readable Vault-like tree with a video/_archive."""
    bases = [("workspace", Path(fx.ctx.paths.workspace_root), "")]
    if fx.ctx.share.online:
        bases.append(("vault", Path(fx.ctx.paths.vault_workspaces_root), ""))
    backup = local_vault_backup(fx)
    if backup is not None:
        bases.append(("outbox", Path(fx.ctx.paths.fallback_root) / backup, f"{backup}/"))
    return bases


def archived_copies(fx: FixContext, sub: str) -> list[PathRef]:
    """Snapshots of video/input/<sub> under the workspace's archive, the online Vault's, or the
    local backup's while the share is a stub; newest first. A few listings, not a walk."""
    found: list[tuple[str, PathRef]] = []
    for root_name, base, prefix in _archive_bases(fx):
        archive = base / "video" / "_archive"
        try:
            stamps = sorted(os.listdir(archive), reverse=True)
        except OSError:
            continue
        for stamp in stamps:
            for layout in ("video/input", "video_input"):
                candidate = archive / stamp / layout / sub
                if candidate.exists() and not candidate.is_symlink():
                    rel = f"{prefix}video/_archive/{stamp}/{layout}/{sub}"
                    found.append((stamp, PathRef(root_name, rel)))
    return [ref for _, ref in sorted(found, key=lambda item: item[0], reverse=True)]


def readme_text(link_rel: str, target: str, backup: str, stamp: str) -> bytes:
    text = (
        f"This directory replaced the symlink {link_rel} -> {target}\n"
        f"on {stamp} (UTC) because its target was unreachable (the share was down or the\n"
        "files were gone), so that Hot work on this Mac does not depend on the share.\n\n"
        f"The original link is kept beside it as {backup}.\n"
        "Put the real files here, or revert with `ytm-doctor undo --list` then\n"
        "`ytm-doctor undo RUN_ID --run`.\n"
    )
    # A name read from disk may not be UTF-8: the README shows those bytes as \xNN.
    return printable_text(text).encode()


class MaterializeInput(Fixer):
    name = "materialize-input"
    summary = "replace a video/input link by a local copy (or an explained empty dir)"

    def plan(self, findings, fx):
        for finding in findings:
            if finding.root != "workspace" or not finding.path.startswith(INPUT_PREFIX):
                yield fx.unfixable(finding, "only links under workspace video/input")
                continue
            link = finding_ref(finding)
            state = fx.state(link)
            standin = fx.ctx.standins.get(link.rel)
            if state["kind"] == "dir" and standin is not None:
                yield self._relink(finding, fx, link, standin)
                continue
            if state["kind"] != "link":
                yield fx.unfixable(finding, f"{link} is no longer a symlink")
                continue
            target = state["target"]
            backup = link.sibling(fx.backup_name(link.name))
            actions = [Action("rename", link, dest=backup, note="keep the link aside")]
            source = self._reachable_target(fx, fx.abs(link), target)
            if source is None:
                copies = archived_copies(fx, finding.path[len(INPUT_PREFIX) :])
                source = copies[0] if copies else None
            if source is not None:
                actions.append(Action("copy", link, source=source, note="local copy"))
                title = f"{link}: local copy of {source}"
            else:
                text = readme_text(link.rel, target, backup.name, fx.stamp)
                paths = fx.ctx.paths
                standin = StandIn(OFFLINE_FALLBACK, link.rel, iso_seconds(utc_now()), target=target)
                actions += [
                    Action("mkdir", link, note="empty local fallback"),
                    Action("write", PathRef("workspace", f"{link.rel}/{README_NAME}"), data=text),
                    marker_action(
                        os.fspath(paths.workspace_root), os.fspath(paths.report_dir), standin
                    ),
                ]
                title = f"{link}: empty local directory (target unreachable, no archive copy)"
            yield fix_for(finding, self.name, title, actions)

    @staticmethod
    def _reachable_target(fx: FixContext, link_abs: str, target: str) -> PathRef | None:
        """The link's target as a path inside the roots, when it exists now."""
        target_abs = os.path.normpath(os.path.join(os.path.dirname(link_abs), target))
        if not os.path.exists(target_abs):
            # A link written on another host (a host alias path): the same files may be on
            # this host's mount of the share.
            rel = fx.ctx.share_relative(target_abs)
            if rel and fx.ctx.share.online and rel != ".":
                mapped = os.path.join(fx.ctx.paths.share_root, rel)
                if os.path.exists(mapped):
                    return PathRef("share", rel.replace(os.sep, "/"))
            return None
        located = fx.ctx.locate(target_abs)
        if located is None:
            # Reachable but outside every root (e.g. through a host alias path): map it.
            rel = fx.ctx.share_relative(target_abs)
            located = ("share", rel) if rel else None
        if not located or located[1] in (".", ""):
            return None
        if located[0] in ("share", "vault") and not fx.ctx.share.online:
            # A stub's contents are not the share; but the stub's ytm_workspaces may lead to a
            # local backup of the Vault, which is as good a source as any archive.
            return _through_local_backup(fx, target_abs)
        return PathRef(*located)

    def _relink(self, finding, fx: FixContext, link: PathRef, standin: StandIn):
        """The share is back: what was added to the fallback goes to the share (copies, never
        over a different file), the fallback is renamed aside, the link comes back."""
        if not fx.ctx.share.online or not standin.target:
            return fx.unfixable(finding, "an offline fallback waits for the share to be back")
        link_abs = fx.abs(link)
        target_abs = os.path.normpath(os.path.join(os.path.dirname(link_abs), standin.target))
        located = fx.ctx.locate(target_abs)
        if located is None or located[0] not in ("share", "vault") or not os.path.isdir(target_abs):
            return fx.unfixable(finding, f"its link's target {standin.target} is not on the share")
        actions, conflicts = _send_additions(fx, link, PathRef(*located))
        if conflicts:
            return fx.unfixable(
                finding, f"{conflicts[0]} differs on the share; keep one of them by hand"
            )
        # Named like a link set aside (YTM303 reports it), but never the same name as the link
        # this fallback once replaced, kept beside it.
        aside = link.sibling(fx.backup_name(link.name, "_offline_fallback"))
        actions.append(Action("rename", link, dest=aside))
        actions.append(Action("symlink", link, target=standin.target))
        title = f"{link}: the share is back; link to {standin.target} again"
        return fix_for(finding, self.name, title, actions)


def _through_local_backup(fx: FixContext, target_abs: str) -> PathRef | None:
    """`target_abs` (on the Vault) as read from the local backup the stub links to."""
    backup = local_vault_backup(fx)
    vault = os.path.normpath(os.fspath(fx.ctx.paths.vault_workspaces_root))
    if backup is None or not is_under(target_abs, vault) or target_abs == vault:
        return None
    rel = relative_to(target_abs, vault)
    candidate = os.path.join(fx.ctx.paths.fallback_root, backup, rel)
    if not os.path.exists(candidate):
        return None
    return PathRef("outbox", f"{backup}/{rel}")


def _send_additions(fx: FixContext, local: PathRef, shared: PathRef):
    """Copies to the share of every file in the fallback the share lacks; the files that differ
    there (conflicts: nothing is copied over them)."""
    actions: list[Action] = []
    conflicts: list[str] = []
    made: list[PathRef] = []
    top = fx.abs(local)
    for folder, _dirs, files in sorted(os.walk(top)):
        for name in sorted(files):
            sub = relative_to(os.path.join(folder, name), top)
            if sub == README_NAME:
                continue
            dest = PathRef(shared.root, f"{shared.rel}/{sub}")
            state = fx.state(dest)
            if state["kind"] == "missing":
                parents = [p for p in missing_parents(dest, fx) if p not in made]
                made += parents
                actions += [Action("mkdir", p) for p in parents]
                source = PathRef("workspace", f"{local.rel}/{sub}")
                actions.append(Action("copy", dest, source=source, note="added while offline"))
            elif state["kind"] != "file" or sha256_file(fx.abs(dest)) != sha256_file(
                os.path.join(folder, name)
            ):
                conflicts.append(str(dest))
    return actions, conflicts


@hookimpl
def ytm_doctor_collect_fixers():
    return [MaterializeInput()]
