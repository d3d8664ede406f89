"""The path contract: every path derived from the configured roots (SPEC §3)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ytm_doctor.config import Config

SENTINEL_NAME = ".ytm_vault_workspaces_root.json"
STUB_MARKER_NAME = "README_MOUNTPOINT.txt"
REPORT_SUBDIR = "logs/ops/ytm_doctor"
PUBLISH_SUBDIR = "_reports"  # <share>/_reports/: each host's latest report (--publish, fleet)


@dataclass(frozen=True)
class Paths:
    workspace_root: Path
    share_root: Path
    namespace: str
    vault_workspaces_root: Path  # <share>/ytm_workspaces
    asset_vault: Path  # <share>/asset_vault
    shared_base: Path  # <share>/uploads/<namespace>
    sentinel: Path
    stub_marker: Path
    planning_root: Path
    planning_root_derived: bool
    fallback_root: Path
    fallback_root_derived: bool
    draft_root: Path | None
    report_dir: Path

    @classmethod
    def from_config(cls, config: Config) -> Paths:
        share = config["shared_storage.root"]
        namespace = config["shared_storage.namespace"]
        vault = share / "ytm_workspaces"
        planning = config["planning_root"]
        fallback = config["shared_storage.fallback_root"]
        return cls(
            workspace_root=config["workspace_root"],
            share_root=share,
            namespace=namespace,
            vault_workspaces_root=vault,
            asset_vault=share / "asset_vault",
            shared_base=share / "uploads" / namespace,
            sentinel=vault / SENTINEL_NAME,
            stub_marker=share / STUB_MARKER_NAME,
            planning_root=planning or vault / "planning",
            planning_root_derived=planning is None,
            fallback_root=fallback or default_fallback_root(share),
            fallback_root_derived=fallback is None,
            draft_root=config["capcut.draft_root"],
            report_dir=config["workspace_root"] / REPORT_SUBDIR,
        )

    def named_roots(self) -> dict[str, Path]:
        """The roots a finding's `path` can be relative to."""
        roots = {
            "workspace": self.workspace_root,
            "vault": self.vault_workspaces_root,
            "share": self.share_root,
            "planning": self.planning_root,
            "outbox": self.fallback_root,
        }
        if self.draft_root:
            roots["drafts"] = self.draft_root
        return roots


def default_fallback_root(share_root: Path) -> Path:
    """Seed 000 §1.1: while the share is a stub whose ytm_workspaces is a symlink to a local
    directory, the outbox is the parent of that target; otherwise a per-user data directory."""
    link = share_root / "ytm_workspaces"
    try:
        if link.is_symlink():
            target = Path(os.path.normpath(link.parent / os.readlink(link)))
            if target.is_dir():
                return target.parent
    except OSError:
        pass
    return user_data_dir() / "outbox"


def user_data_dir() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "ytm-doctor"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ytm-doctor"


def nearest_existing(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists (where a directory would be created)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def relative_to(path: str | os.PathLike, root: str | os.PathLike) -> str:
    """`path` relative to `root` with "/" separators; "." for the root itself."""
    rel = os.path.relpath(os.fspath(path), os.fspath(root))
    return rel.replace(os.sep, "/")


def is_under(path: str, root: str) -> bool:
    """True when `path` is `root` or lies beneath it, compared as text: normalise (or resolve)
    both first, as the caller decides whether links count. A trailing separator on `root`, and
    the root "/" itself, are handled; "/a/bc" is not under "/a/b"."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
