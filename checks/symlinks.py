"""Symlink checks over the workspace and the Vault: dangling links (YTM301), loops (YTM302) and
the `*.symlink_shared_backup_*` residue the offline fallback leaves behind (YTM303).

Every problem is reported once, by its most specific rule (SPEC §5), so YTM301 leaves out the
links other rules own: run-dir `capcut_draft` links (YTM401/YTM402), `video/input` links into the
share (YTM403), backup residue (YTM303), loops (YTM302) and absolute links in the Vault (YTM202).

These run on every link of every walked root, so `visit` starts with string tests on the
relative path and stats a link's target at most once per entry for both YTM301 and YTM302.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ytm_doctor.clock import iso_seconds, parse_file_stamp
from ytm_doctor.model import Check, Entry, Finding, Rule, Severity, Subscription
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.workspace import BACKUP_MARK, episode_of, is_run_draft_link

INPUT_PREFIX = "video/input/"
ARCHIVE_PREFIX = "video/_archive/"
RUNS_PREFIX = "video/runs/"
DRAFT_LINK = "capcut_draft"

STAMP = re.compile(r"([0-9]{8}T[0-9]{6})Z?")

BROKEN = Rule(
    code="YTM301",
    name="broken-symlink",
    severity=Severity.VIOLATION,
    summary="a dangling symlink under the workspace or the Vault",
    tags=("symlink", "workspace", "vault"),
    fixer="materialize-input",
)
LOOP = Rule(
    code="YTM302",
    name="symlink-loop",
    severity=Severity.VIOLATION,
    summary="a symlink whose resolution loops",
    tags=("symlink", "workspace", "vault"),
)
RESIDUE = Rule(
    code="YTM303",
    name="backup-symlink-residue",
    severity=Severity.INFO,
    summary="a *.symlink_shared_backup_* entry left by a fallback or a fix",
    tags=("symlink", "residue", "offline"),
)

LINK_ROOTS = (
    Subscription(("workspace", "vault"), frozenset({"link"})),
    Subscription(("share",), frozenset({"link"}), ("asset_vault",)),
)


class _TargetState:
    """One-entry memo of Entry.target_state(): YTM301 and YTM302 are handed the same Entry
    object one after the other, and on a network mount every stat is a round trip."""

    __slots__ = ("entry", "state")

    def __init__(self) -> None:
        self.entry: Entry | None = None
        self.state = ""

    def of(self, entry: Entry) -> str:
        if self.entry is not entry:
            self.state = entry.target_state()
            self.entry = entry
        return self.state


_target_state = _TargetState()


# --- YTM301 -----------------------------------------------------------------------------------


class BrokenSymlink(Check):
    rule = BROKEN
    subscriptions = LINK_ROOTS

    def visit(self, entry: Entry, ctx) -> list[Finding]:
        rel = entry.rel
        if BACKUP_MARK in rel:
            return []  # YTM303
        if entry.name == DRAFT_LINK and is_run_draft_link(rel):
            return []  # YTM401/YTM402 judge drafts by episode
        if _target_state.of(entry) != "dangling":
            return []
        target = entry.readlink()
        if target is None:
            return []  # vanished since it was listed
        in_workspace = entry.root == "workspace"
        if not in_workspace and os.path.isabs(target):
            return []  # YTM202: absolute links in the Vault
        target_abs = ctx.link_target_abs(entry.path, target)
        share_rel = ctx.share_relative(target_abs)
        on_input = in_workspace and rel.startswith(INPUT_PREFIX)
        if on_input and share_rel is not None:
            return []  # YTM403: Hot input depending on the share
        return [self._finding(entry, ctx, target, target_abs, share_rel, on_input)]

    def _finding(self, entry, ctx, target, target_abs, share_rel, on_input) -> Finding:
        share = ctx.share
        on_share = share_rel is not None
        severity = None
        message = f"dangling symlink -> {target}"
        if on_share and not share.online:
            # The target may well be there once the share is back: not (yet) a broken link.
            severity = Severity.WARNING
            message += f" (its target is on the share, which is {share.status})"
        elif on_share:
            message += " (its target is missing on the share)"
        details: dict[str, Any] = {
            "target": target,
            "target_abs": target_abs,
            "on_share": on_share,
            "share_relative": share_rel,
            "share_status": share.status,
        }
        unfixable = None
        if not on_input:
            unfixable = "only links under video/input are materialized; remove or repoint by hand"
        channel, video = episode_of(entry.rel)
        return BROKEN.finding(
            message,
            root=entry.root,
            path=entry.rel,
            abs_path=entry.path,
            severity=severity,
            channel=channel,
            video=video,
            details=details,
            unfixable=unfixable,
        )


# --- YTM302 -----------------------------------------------------------------------------------


class SymlinkLoop(Check):
    rule = LOOP
    subscriptions = LINK_ROOTS

    def visit(self, entry: Entry, ctx) -> list[Finding]:
        if BACKUP_MARK in entry.rel:
            return []  # YTM303
        if entry.name == DRAFT_LINK and is_run_draft_link(entry.rel):
            return []  # YTM402 reports a run's looping draft link as broken
        if _target_state.of(entry) != "loop":
            return []
        target = entry.readlink()
        if target is None:
            return []
        channel, video = episode_of(entry.rel)
        return [
            LOOP.finding(
                f"symlink loop: -> {target} never resolves (too many levels of symbolic links)",
                root=entry.root,
                path=entry.rel,
                abs_path=entry.path,
                channel=channel,
                video=video,
                details={"target": target, "target_abs": ctx.link_target_abs(entry.path, target)},
            )
        ]


# --- YTM303 -----------------------------------------------------------------------------------


def _kind_at(path: str) -> str:
    """What is at `path` now, without following a final link: link, dir, file, other or missing."""
    if os.path.islink(path):
        return "link"
    if os.path.isdir(path):
        return "dir"
    if os.path.isfile(path):
        return "file"
    return "other" if os.path.lexists(path) else "missing"


def parse_stamp(stamp: str) -> str | None:
    """The ISO time of a `20260126T070401Z` stamp, or None when it is not one."""
    m = STAMP.match(stamp)
    moment = parse_file_stamp(m.group(1) + "Z") if m else None
    return iso_seconds(moment) if moment is not None else None


class BackupSymlinkResidue(Check):
    rule = RESIDUE
    # Links and dirs are what fallbacks and fixers rename aside (SPEC §6.1); plain files are not
    # subscribed: that would hand every file of the tree to this check (SPEC §9 budget).
    subscriptions = (
        Subscription(("workspace", "vault"), frozenset({"link", "dir"})),
        Subscription(("share",), frozenset({"link", "dir"}), ("asset_vault",)),
    )

    def visit(self, entry: Entry, ctx) -> list[Finding]:
        name = entry.name
        at = name.find(BACKUP_MARK)
        if at < 0:
            return []
        if BACKUP_MARK in entry.rel[: -len(name)]:
            return []  # inside a renamed-aside dir: its top is the one residue
        original, stamp = name[:at], name[at + len(BACKUP_MARK) :]
        original_path = os.path.join(os.path.dirname(entry.path), original) if original else None
        details: dict[str, Any] = {
            "kind": entry.kind,
            "target": entry.readlink() if entry.kind == "link" else None,
            "stamp": stamp,
            "backed_up_at": parse_stamp(stamp),
            "original": original or None,
            "original_kind": _kind_at(original_path) if original_path else None,
        }
        what = f"a {entry.kind}" + (f" -> {details['target']}" if details["target"] else "")
        message = f"backup residue: {what}, renamed aside"
        if details["backed_up_at"]:
            message += f" at {details['backed_up_at']}"
        if original:
            message += f"; {original} is now {details['original_kind']}"
        # Judged by the name it was renamed from: CH13.symlink_shared_backup_… is CH13's.
        channel, video = episode_of(entry.rel[: -len(name)] + (original or name))
        return [
            RESIDUE.finding(
                message,
                root=entry.root,
                path=entry.rel,
                abs_path=entry.path,
                channel=channel,
                video=video,
                details=details,
            )
        ]


@hookimpl
def ytm_doctor_collect_checks():
    return [BrokenSymlink(), SymlinkLoop(), BackupSymlinkResidue()]
