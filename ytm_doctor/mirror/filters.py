"""The mirror's rsync filter rules: what each pass sends, keeps and never deletes, and how
video/input is mirrored without replacing or writing through the Vault's links."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ytm_doctor.paths import REPORT_SUBDIR, SENTINEL_NAME
from ytm_doctor.workspace import INPUT_DIR

if TYPE_CHECKING:
    from ytm_doctor.mirror.engine import MirrorSettings


def _pattern(rel: str, suffix: str = "") -> str:
    """An anchored rsync pattern matching exactly `rel` (then `suffix`). rsync reads `\\` as an
    escape only in patterns with a wildcard, so names are escaped only then; a line break (which
    a rule cannot hold) is matched by `?`."""
    raw = "/" + rel + suffix
    if not any(c in raw for c in "*?[\n\r"):
        return raw
    escaped = "".join("\\" + c if c in "\\*?[" else c for c in rel)
    return "/" + escaped.replace("\n", "?").replace("\r", "?") + suffix


@dataclass
class InputPlan:
    """How video/input is mirrored: rsync rules, and what was sent, kept or skipped."""

    rules: list[str] = field(default_factory=list)
    synced: int = 0  # real dirs and files one or two levels down, sent
    links_kept: list[str] = field(default_factory=list)  # Hot links, not sent
    skipped: list[dict[str, str]] = field(default_factory=list)  # {path, why}


def _entries(path: str) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def _link_names(path: str) -> set[str]:
    """Names of the links directly in `path` (one listing: on the share, one round trip)."""
    return {e.name for e in _entries(path) if e.is_symlink()}


def plan_input(workspace: str, vault: str) -> InputPlan:
    """The rules for video/input (seed 002). Hot's real dirs (and files) one and two levels down
    are sent, and inside them the mirror is a mirror. Hot's links there are not sent; whatever
    the Vault has at those two levels is never deleted (its portable links, what the Lenovo side
    added, inputs Hot has dropped) and a Vault link is never replaced by a Hot dir."""
    plan = InputPlan()
    keep_all = f"- {_pattern(INPUT_DIR)}"
    hot = os.path.join(workspace, INPUT_DIR)
    if os.path.islink(hot) or not os.path.isdir(hot):
        if os.path.islink(hot):
            plan.links_kept.append(INPUT_DIR)
        plan.rules.append(keep_all)  # nothing of Hot's to send; the Vault's stays whole
        return plan
    for rel in ("video", INPUT_DIR):
        if os.path.islink(os.path.join(vault, rel)):
            plan.skipped.append({"path": rel, "why": "a link on the Vault"})
            plan.rules.append(keep_all)
            return plan

    def leave(rel: str, entry: os.DirEntry, vault_links: set[str]) -> bool:
        """Exclude `rel` (an exclude also protects it on the Vault) when it must not be sent."""
        if entry.is_symlink():
            plan.links_kept.append(rel)
        elif entry.name in vault_links:
            plan.skipped.append({"path": rel, "why": "a link on the Vault; not replaced"})
        else:
            return False
        plan.rules.append(f"- {_pattern(rel)}")
        return True

    top_links = _link_names(os.path.join(vault, INPUT_DIR))
    for top in _entries(hot):
        rel = f"{INPUT_DIR}/{top.name}"
        if leave(rel, top, top_links):
            continue
        plan.synced += 1
        if not top.is_dir(follow_symlinks=False):
            continue
        links = _link_names(os.path.join(vault, rel))
        for child in _entries(top.path):
            if not leave(f"{rel}/{child.name}", child, links):
                plan.synced += 1
    # Receiver-side only: nothing one or two levels down is ever deleted from the Vault.
    plan.rules += [f"P /{INPUT_DIR}/*", f"P /{INPUT_DIR}/*/*"]
    return plan


@dataclass(frozen=True)
class Pass:
    """One rsync run of a mirror: its name, filter rules and whether it deletes."""

    name: str
    rules: list[str]
    delete: bool


def plan_passes(
    settings: MirrorSettings,
    input_plan: InputPlan,
    *,
    delete: bool,
    standins: Sequence[str] = (),
    link_rules: Sequence[str] = (),
) -> list[Pass]:
    """The rsync runs of one mirror, each with its rules in rsync's first-match order.
    `link_rules` (mirror/links.py: Hot links the mirror writes itself, loops) go in every
    pass ahead of any include, so no include of a protected subtree sends them.

    With delete-sync, the protected subtrees get a pass of their own that never deletes: the
    main pass excludes them (an exclude is neither sent nor deleted), so rsync does not list
    every file of video/runs on the Vault only to find each one protected. Same result as
    `P /video/runs/***` in one pass, and a run with nothing to do no slower than `rsync -a`."""
    sentinel = _pattern(SENTINEL_NAME)
    common = [f"P {sentinel}", f"- {sentinel}"]
    # Live lock files (and their guards and temp files) belong to this host, not the Vault.
    common += [f"- /{REPORT_SUBDIR}/*.lock", f"- /{REPORT_SUBDIR}/.*.lock.*"]
    # No trailing slash: a link or file under that name is excluded (and kept) as well.
    common += [f"- {_pattern(rel)}" for rel in settings.exclude]
    # Stand-ins (placeholders, offline fallbacks) are never sent, and whatever the Vault has at
    # their place is never deleted for them: an exclude does both.
    common += [f"- {_pattern(rel)}" for rel in standins]
    common += link_rules
    if not delete or not settings.protected:
        return [Pass("mirror", common + input_plan.rules, delete)]
    main = common + [f"- {_pattern(rel)}" for rel in settings.protected] + input_plan.rules
    includes: list[str] = []
    for rel in settings.protected:
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            rule = f"+ {_pattern('/'.join(parts[:depth]), '/')}"
            if rule not in includes:
                includes.append(rule)
        includes.append(f"+ {_pattern(rel, '/***')}")
    protected = common + input_plan.rules + includes + ["- *"]
    return [Pass("mirror", main, True), Pass("protected", protected, False)]
