"""The read-only world a check sees: config, roots, share state and the workspace model.

Everything is computed on first use and cached for the scan, so a check that needs the share
state or the planning data pays for it once, whoever asks first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.mount import MountInfo, ShareState, is_local_path, mount_table, share_state
from ytm_doctor.paths import Paths, is_under, relative_to
from ytm_doctor.standins import StandIn, current_standins

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.reclaim.survey import EpisodeSpace
    from ytm_doctor.workspace import Workspace


@dataclass(frozen=True)
class Scope:
    """--channel/--video: findings of other episodes are dropped; global ones always stay."""

    channel: str | None = None
    video: str | None = None

    def includes(self, channel: str | None, video: str | None) -> bool:
        if self.channel is None or channel is None:
            return True
        if channel != self.channel:
            return False
        return self.video is None or video is None or video == self.video


class Context:
    def __init__(self, config: Config, scope: Scope | None = None) -> None:
        self.config = config
        self.scope = scope or Scope()

    @property
    def paths(self) -> Paths:
        return self.config.paths

    @cached_property
    def mounts(self) -> list[MountInfo]:
        return mount_table()

    @cached_property
    def share(self) -> ShareState:
        return share_state(self.paths, self.config["shared_storage.require_mount"], self.mounts)

    @cached_property
    def workspace(self) -> Workspace:
        from ytm_doctor.workspace import PlanningPolicy, load_workspace

        return load_workspace(self.paths, PlanningPolicy.from_config(self.config))

    @cached_property
    def reclaimable(self) -> list[EpisodeSpace]:
        """What `ytm-doctor reclaim` could free now, per published episode (judged by size and
        time against the store's records, no hashing): read by YTM501 and YTM502."""
        import time

        from ytm_doctor.reclaim.survey import survey

        return survey(self, now=time.time())

    def workspace_if_loaded(self) -> Workspace | None:
        """The workspace model if some check already loaded it (reading it costs I/O)."""
        return self.__dict__.get("workspace")

    @cached_property
    def host_aliases(self) -> list[Path]:
        return list(self.config["shared_storage.host_aliases"])

    @cached_property
    def share_prefixes(self) -> list[str]:
        """Absolute prefixes under which a path means "on the share": the root as configured,
        its real path (macOS /Volumes vs /private), and every host alias."""
        prefixes = []
        for p in [self.paths.share_root, *self.host_aliases]:
            for form in (os.path.normpath(os.fspath(p)), os.path.realpath(p)):
                if form not in prefixes:
                    prefixes.append(form)
        return sorted(prefixes, key=len, reverse=True)

    def share_relative(self, target: str) -> str | None:
        """For an absolute path: its path relative to the share when it lies under the share
        root or a host alias (so it means the same file on every host), else None."""
        norm = os.path.normpath(target)
        for prefix in self.share_prefixes:
            if norm == prefix:
                return "."
            if norm.startswith(prefix.rstrip(os.sep) + os.sep):
                return norm[len(prefix.rstrip(os.sep)) + 1 :]
        return None

    def portable_link(self, link_path: str, target: str) -> tuple[str | None, str | None]:
        """For a link at `link_path` to the absolute `target`: (the target's share-relative
        path, the link text that reaches it from the link's folder through the share), or
        (None, None) when the target is not on the share nor under a host alias. The text is
        relative, so it means the same file on every host that mounts the share (seed 002);
        YTM202's relativize-symlink and the mirror both write links this way."""
        share_rel = self.share_relative(target)
        if share_rel is None:
            return None, None
        new_abs = os.path.normpath(os.path.join(os.fspath(self.paths.share_root), share_rel))
        return share_rel, os.path.relpath(new_abs, os.path.dirname(link_path))

    def link_target_abs(self, link_path: str, target: str) -> str:
        """A link's target as an absolute, normalised path (not resolved through other links):
        normpath(join(dirname(link_path), target)), spelled with string operations (a scan with
        20,000 dangling links asks 20,000 times)."""
        if target.startswith(os.sep):
            return os.path.normpath(target)
        folder, sep, _ = link_path.rpartition(os.sep)
        return os.path.normpath(folder + sep + target)

    def is_local(self, path: str | os.PathLike) -> bool:
        """SPEC §4: outside the share and every alias, and not on a network filesystem."""
        return is_local_path(path, self.paths, self.host_aliases, self.mounts)

    @cached_property
    def standins(self) -> dict[str, StandIn]:
        """The stand-ins still in place (placeholders, offline fallbacks), by workspace path."""
        return current_standins(
            os.fspath(self.paths.workspace_root), os.fspath(self.paths.report_dir)
        )

    @cached_property
    def draft_dirs(self) -> list[Path]:
        """The directories directly under capcut.draft_root (one listing, not a walk)."""
        root = self.paths.draft_root
        if root is None:
            return []
        try:
            with os.scandir(root) as it:
                return sorted(Path(e.path) for e in it if e.is_dir())
        except OSError:
            return []

    def locate(self, abs_path: str | os.PathLike) -> tuple[str, str] | None:
        """(root name, relative path) for an absolute path: the most specific named root that
        contains it, or None when it lies outside every root."""
        text = os.fspath(abs_path)
        best: tuple[str, str] | None = None
        best_len = -1
        for name, root in self.paths.named_roots().items():
            r = os.fspath(root)
            if is_under(text, r) and len(r) > best_len:
                best, best_len = (name, relative_to(text, r)), len(r)
        return best
