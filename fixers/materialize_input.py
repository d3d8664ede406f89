"""materialize-input (YTM301 under video/input, YTM403): make a video/input entry a real local
directory so Hot work never depends on the share (seed 001 §0.2).

The link is renamed aside as `<name>.symlink_shared_backup_<stamp>`; in its place comes, in
order of preference: a copy of the link's target when it is reachable, a copy from a
`video/_archive/*/video/input/...` snapshot (the workspace's, or the Vault's while online), or
an empty directory holding README_OFFLINE_FALLBACK.txt that says what happened.
"""

from __future__ import annotations

import os
from pathlib import Path

from ytm_doctor.facts import finding_ref
from ytm_doctor.fix.fixer import FixContext, Fixer, fix_for
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.plugins.hookspec import hookimpl

INPUT_PREFIX = "video/input/"
README_NAME = "README_OFFLINE_FALLBACK.txt"


def archived_copies(fx: FixContext, sub: str) -> list[PathRef]:
    """Snapshots of video/input/<sub> under the workspace's (and the online Vault's) archive,
    newest first. A few directory listings, not a walk."""
    found: list[tuple[str, PathRef]] = []
    bases = [("workspace", fx.ctx.paths.workspace_root)]
    if fx.ctx.share.online:
        bases.append(("vault", fx.ctx.paths.vault_workspaces_root))
    for root_name, base in bases:
        archive = Path(base) / "video" / "_archive"
        try:
            stamps = sorted(os.listdir(archive), reverse=True)
        except OSError:
            continue
        for stamp in stamps:
            for layout in ("video/input", "video_input"):
                candidate = archive / stamp / layout / sub
                if candidate.exists() and not candidate.is_symlink():
                    rel = f"video/_archive/{stamp}/{layout}/{sub}"
                    found.append((stamp, PathRef(root_name, rel)))
    return [ref for _, ref in sorted(found, key=lambda item: item[0], reverse=True)]


def readme_text(link_rel: str, target: str, backup: str, stamp: str) -> bytes:
    return (
        f"This directory replaced the symlink {link_rel} -> {target}\n"
        f"on {stamp} (UTC) because its target was unreachable (the share was down or the\n"
        "files were gone), so that Hot work on this Mac does not depend on the share.\n\n"
        f"The original link is kept beside it as {backup}.\n"
        "Put the real files here, or revert with `ytm-doctor undo --list` then\n"
        "`ytm-doctor undo RUN_ID --run`.\n"
    ).encode()


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
                actions += [
                    Action("mkdir", link, note="empty local fallback"),
                    Action("write", PathRef("workspace", f"{link.rel}/{README_NAME}"), data=text),
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
            return None  # a stub's contents are not the share: fall back, do not copy them
        return PathRef(*located)


@hookimpl
def ytm_doctor_collect_fixers():
    return [MaterializeInput()]
