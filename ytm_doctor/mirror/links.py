"""Hot's links and the mirror: a link into the share (what `store --symlink-back` leaves, a run's
capcut_draft archived on the share) reaches the Vault as a share-relative link that resolves on
every host; a link that loops is never sent; one that leads outside both roots stays unsent.

rsync cannot do this itself: with `--safe-links` it drops every absolute link, so the Vault
lacked the WAV/SRT a symlink-back left on Hot ("only on the Mac", seed 001 §0.3), while a loop
of relative links counts as safe and was copied, one broken link becoming two. So before rsync
runs, Hot is walked once for its links (links never followed, excluded subtrees never entered,
folders unchanged since the last mirror not listed again: ytm_doctor/mirror/linkwalk.py); each
link into the share and each loop gets a rule (neither sent nor deleted by rsync), and after
rsync the mirror writes the portable links itself. A Vault file or link that such a link
replaces goes to the run's backup folder at its relative path, where undo of the run finds it
like the files rsync kept. A Vault folder is never replaced.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ytm_doctor.mirror.filters import InputPlan, _pattern
from ytm_doctor.mirror.linkwalk import walk_links
from ytm_doctor.mirror.rsync import Changes
from ytm_doctor.workspace import INPUT_DIR

# (link's place, absolute target) -> (share-relative target, relative link text): Context's.
Portable = Callable[[str, str], tuple[str | None, str | None]]
SHOWN = 200  # paths listed per kind in the run log


@dataclass(frozen=True)
class ShareLink:
    """A Hot link into the share and what the Vault gets at the same place."""

    rel: str  # the link's path relative to both roots
    text: str  # the Vault link's text: relative, from its folder, through the share
    change: str  # "create", "update" (a Vault file or link replaced) or "same"
    absolute: bool = False  # Hot's link holds an absolute path: rsync never writes it


@dataclass
class LinkPlan:
    share: list[ShareLink] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)  # not sent
    skipped: list[dict[str, str]] = field(default_factory=list)  # into the share, not sent
    outside: int = 0  # leading outside both roots: not sent (--safe-links), as ever
    folders: int = 0  # Hot folders the walk visited
    listed: int = 0  # of them, listed (the others unchanged since the last mirror)
    seconds: float = 0.0

    @property
    def rules(self) -> list[str]:
        """Links into the share are neither sent nor is the Vault's link there deleted: an
        absolute one only needs protecting on the receiver (with --safe-links rsync never
        writes it on the Vault), a relative one is excluded on both sides. Loops are hidden
        (sender side only): never sent, and a copy an earlier mirror made goes like anything
        else Hot does not have (kept in the run's backups)."""
        return [f"{'P' if x.absolute else '-'} {_pattern(x.rel)}" for x in self.share] + [
            f"H {_pattern(rel)}" for rel in self.loops
        ]

    def changes(self) -> Changes:
        """The Vault links this plan creates or replaces, counted like rsync's changes."""
        out = Changes()
        for link in self.share:
            if link.change != "same":
                out.add(f"{link.change}s", link.rel)
        return out

    def record(self) -> dict[str, Any]:
        return {
            "portable": [
                {"path": x.rel, "target": x.text, "change": x.change} for x in self.share[:SHOWN]
            ],
            "portable_total": len(self.share),
            "loops": self.loops[:SHOWN],
            "loops_total": len(self.loops),
            "skipped": self.skipped[:SHOWN],
            "outside_total": self.outside,
            "folders": self.folders,
            "folders_listed": self.listed,
            "walk_seconds": round(self.seconds, 3),
        }


def walk_skips(exclude: tuple[str, ...], input_plan: InputPlan) -> set[str]:
    """What the walk leaves alone: `mirror.exclude`, and what plan_input already decided for
    video/input (its Hot links there stay unsent: the Vault keeps its own portable links)."""
    skip = set(exclude)
    if f"- {_pattern(INPUT_DIR)}" in input_plan.rules:  # all of video/input left to the Vault
        return skip | {INPUT_DIR}
    return skip | set(input_plan.links_kept) | {s["path"] for s in input_plan.skipped}


@dataclass(frozen=True)
class _Roots:
    workspace: str
    workspace_real: str
    vault: str
    vault_real: str
    share: str
    portable: Portable


def plan_links(
    workspace: str,
    vault: str,
    share: str,
    portable: Portable,
    skip: set[str],
    *,
    cache: str | None = None,
    save: bool = False,
) -> LinkPlan:
    """Walk Hot once and sort its links: into the share (with the Vault's change), loops,
    outside both; links inside Hot are left to rsync, which copies them as they are. With
    `cache` (ytm_doctor/mirror/linkwalk.py), folders unchanged since the last mirror are not
    listed again; `save` keeps this walk's listings there."""
    started = time.monotonic()
    plan = LinkPlan()
    real = os.path.realpath
    roots = _Roots(workspace, real(workspace), vault, real(vault), share, portable)
    walk = walk_links(workspace, skip, cache, save=save)
    plan.folders, plan.listed = walk.folders, walk.listed
    for rel, path in walk.links:
        _sort_link(plan, rel, path, roots)
    plan.seconds = time.monotonic() - started
    return plan


def _sort_link(plan: LinkPlan, rel: str, path: str, roots: _Roots) -> None:
    try:
        text = os.readlink(path)
    except OSError:
        return  # gone since the walk saw it
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # however it loops, it leads nowhere on any host
            plan.loops.append(rel)
            return
        # Dangling here: its text may still name a place on the share (a host alias).
    # A relative link that stays inside Hot is rsync's: it means the same on the Vault.
    lexical = os.path.normpath(os.path.join(os.path.dirname(rel), text))
    if not os.path.isabs(text) and lexical != ".." and not lexical.startswith("../"):
        return
    where = os.path.join(roots.vault, rel)
    share_rel, link_text = roots.portable(where, os.path.join(os.path.dirname(path), text))
    if share_rel is None:
        real = os.path.realpath(path)  # through other links, e.g. a local link to the share
        if _under(real, roots.workspace_real):
            return  # an absolute link into Hot: not sent (--safe-links), as ever
        share_rel, link_text = roots.portable(where, real)
    if share_rel is None or link_text is None:
        plan.outside += 1
        return
    why = _unportable(rel, link_text, os.path.join(roots.share, share_rel), roots)
    if why:
        plan.skipped.append({"path": rel, "why": why})
        return
    change = _vault_change(where, link_text)
    plan.share.append(ShareLink(rel, link_text, change, os.path.isabs(text)))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _unportable(rel: str, text: str, target: str, roots: _Roots) -> str | None:
    """Why the Vault link at `rel` with `text` would not reach `target` (None: it would)."""
    if not os.path.lexists(target):
        return "its target on the share is missing"
    where = os.path.join(roots.vault, rel)
    parent = _real_folder(roots.vault_real, rel)
    if os.path.realpath(os.path.dirname(where)) != parent:
        return "its folder on the Vault leads elsewhere (a link)"
    target_real = os.path.realpath(target)
    own = (os.path.normpath(where), os.path.join(parent, os.path.basename(rel)))
    if _under(os.path.normpath(target), own[0]) or _under(target_real, own[1]):
        # A Hot link to the Vault's copy of itself: the Vault's file must not become a loop.
        return "it leads to its own place on the Vault"
    # The Vault's folders are real (checked above): `..` from there is what the kernel does.
    if os.path.realpath(os.path.normpath(os.path.join(parent, text))) != target_real:
        return "a link relative to the share would not resolve from the Vault"
    if os.path.isdir(where) and not os.path.islink(where):
        return "a folder on the Vault; not replaced"
    return None


def _real_folder(vault_real: str, rel: str) -> str:
    """Where the folder of the Vault's `rel` is when no link lies on the way."""
    parent_rel = os.path.dirname(rel)
    return os.path.join(vault_real, parent_rel) if parent_rel else vault_real


def _vault_change(where: str, text: str) -> str:
    try:
        return "same" if os.readlink(where) == text else "update"
    except FileNotFoundError:
        return "create"
    except OSError:  # EINVAL: a file stands there
        return "update"


# -- writing them (a real run, after the rsync passes) -------------------------------------------


def write_links(plan: LinkPlan, vault: str, backup_dir: str | None) -> tuple[Changes, list[str]]:
    """Create or replace the Vault's links of `plan`; what a link replaces is moved into
    `backup_dir` at its relative path first (undo of the run puts it back). Returns what was
    changed and the problems (each link on its own: one problem never stops the others)."""
    done, problems = Changes(), []
    for link in plan.share:
        if link.change == "same":
            continue
        try:
            change = _write_link(link, vault, backup_dir)
        except OSError as exc:
            problems.append(f"{link.rel}: {exc.strerror or exc}")
            continue
        if change:
            done.add(f"{change}s", link.rel)
    return done, problems


def _write_link(link: ShareLink, vault: str, backup_dir: str | None) -> str | None:
    where = os.path.join(vault, link.rel)
    parent = os.path.dirname(where)
    os.makedirs(parent, exist_ok=True)  # there already unless a pass failed part-way
    if os.path.realpath(parent) != _real_folder(os.path.realpath(vault), link.rel):
        raise OSError(errno.ELOOP, "its folder on the Vault leads elsewhere (a link)")
    times = os.stat(parent)
    change = _vault_change(where, link.text)  # again: the Vault may have changed since
    if change == "same":
        return None
    if change == "update":
        if os.path.isdir(where) and not os.path.islink(where):
            raise OSError(errno.EISDIR, "a folder on the Vault; not replaced")
        if backup_dir is None:
            raise OSError(errno.EPERM, "nowhere to keep what stands there; not replaced")
        kept = os.path.join(backup_dir, link.rel)
        if os.path.lexists(kept):
            raise OSError(errno.EEXIST, "its place in the run's backup folder is taken")
        os.makedirs(os.path.dirname(kept), exist_ok=True)
        os.rename(where, kept)
    os.symlink(link.text, where)
    # rsync set the folder's times from Hot's; keep them, or the next run "updates" the folder.
    os.utime(parent, ns=(times.st_atime_ns, times.st_mtime_ns))
    return change
