"""The mirror's rsync filter rules: what its one rsync run sends, keeps and never deletes, and how
video/input is mirrored without replacing or writing through the Vault's links."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ytm_doctor.mirror.linkwalk import CACHE_NAME
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


def _absolute_link(path: str) -> bool:
    """Whether the link at `path` holds an absolute path, which rsync with --safe-links
    never writes (a link that changed or vanished since it was listed counts as relative)."""
    try:
        return os.readlink(path).startswith("/")
    except OSError:
        return False


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
        """Hide `rel` from the sender when it must not be sent (the Vault's entry at that place
        is protected by the two `P` rules below). An absolute link needs no rule: with --safe-links
        rsync never writes one, and a rule per link is a check per file of the tree."""
        if entry.is_symlink():
            plan.links_kept.append(rel)
            if _absolute_link(entry.path):
                return True
        elif entry.name in vault_links:
            plan.skipped.append({"path": rel, "why": "a link on the Vault; not replaced"})
        else:
            return False
        plan.rules.append(f"H {_pattern(rel)}")
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


def plan_rules(
    settings: MirrorSettings,
    input_plan: InputPlan,
    *,
    delete: bool,
    standins: Sequence[str] = (),
    link_rules: Sequence[str] = (),
) -> list[str]:
    """The filter rules of the mirror's one rsync run.

    rsync keeps only the rules of its own side: `P` (protect) is the receiver's, `H` (hide)
    the sender's, `-` both. There is no include (`+`) among them, so on the receiver a Vault
    entry is kept when any rule matches it, and on the sender a Hot entry is left unsent when
    any rule matches it: the order does not change what happens, only how soon a check ends.
    The receiver's protections come first (most Vault entries under video/runs match one of
    them), and every rule costs a check per file on its side, so rules are kept to one side
    where one is enough.

    With delete-sync, `mirror.protected` is sent but never deleted: `P /x` keeps a file, link
    or folder named x, `P /x/***` everything in it. One run instead of a deleting run plus a
    sending one: rsync lists Hot once, which `rsync -a --delete` of the same tree also does."""
    sentinel = _pattern(SENTINEL_NAME)
    rules = [f"P {sentinel}"]
    if delete:
        for rel in settings.protected:
            rules += [f"P {_pattern(rel)}", f"P {_pattern(rel, '/***')}"]
    rules.append(f"H {sentinel}")
    # Live lock files (and their guards and temp files) and the cache of the walk for Hot's
    # links belong to this host, not the Vault.
    rules += [f"- /{REPORT_SUBDIR}/*.lock", f"- /{REPORT_SUBDIR}/.*.lock.*"]
    rules.append(f"- /{REPORT_SUBDIR}/{CACHE_NAME}")
    # No trailing slash: a link or file under that name is excluded (and kept) as well.
    rules += [f"- {_pattern(rel)}" for rel in settings.exclude]
    # Stand-ins (placeholders, offline fallbacks) are never sent, and whatever the Vault has at
    # their place is never deleted for them: an exclude does both.
    rules += [f"- {_pattern(rel)}" for rel in standins]
    return rules + list(link_rules) + input_plan.rules
