"""The fixer interface: turn findings into a Plan. A fixer never touches the disk itself."""

from __future__ import annotations

import abc
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ytm_doctor.fix.plan import Fix, PathRef, Unfixable
from ytm_doctor.fix.state import path_state
from ytm_doctor.model import Finding
from ytm_doctor.names import fit_name

if TYPE_CHECKING:
    from ytm_doctor.context import Context


@dataclass
class FixContext:
    """What a fixer may read while planning."""

    ctx: Context
    stamp: str  # UTC time of the plan, used in the names of things renamed aside
    options: Any = None  # the command line's options (e.g. --draft-dir)

    def ref(self, abs_path: str | os.PathLike) -> PathRef:
        """The (root, relative path) of an absolute path inside the configured roots."""
        located = self.ctx.locate(abs_path)
        if located is None or located[1] in (".", ""):
            raise ValueError(f"{abs_path} is not inside a configured root")
        return PathRef(*located)

    def abs(self, ref: PathRef) -> str:
        return os.path.normpath(os.path.join(self.ctx.paths.named_roots()[ref.root], ref.rel))

    def state(self, ref: PathRef) -> dict[str, Any]:
        return path_state(self.abs(ref))

    def option(self, name: str) -> Any:
        return getattr(self.options, name, None) if self.options is not None else None

    def backup_name(self, name: str, extra: str = "") -> str:
        """`<name>.symlink_shared_backup_<stamp>[extra]`: what the seeds call a link renamed
        aside; a name too long for that is shortened with a hash (names.fit_name)."""
        return fit_name(name, f".symlink_shared_backup_{self.stamp}{extra}")

    def unfixable(self, finding: Finding, reason: str) -> Unfixable:
        return Unfixable(
            finding.rule, finding.fingerprint, f"{finding.root}:{finding.path}", reason
        )


class Fixer(abc.ABC):
    """Subclass it, set `name` (what rules name in Rule.fixer) and `summary`, implement `plan`,
    and return an instance from the `ytm_doctor_collect_fixers` hook."""

    name: str = ""
    summary: str = ""
    # Options that can make a finding the check marked unfixable fixable after all (relink-draft:
    # --draft-dir names the draft when there is not exactly one candidate).
    resolves_with: tuple[str, ...] = ()
    # A fix that rewrites a whole tree (the mirror's delete-sync), or cannot be undone, runs only
    # when its rule is asked for by name (--select YTM703, or the family YTM7) or its finding by
    # --fingerprint; a bare `fix --run` leaves it out.
    irreversible: bool = False

    @abc.abstractmethod
    def plan(self, findings: list[Finding], fx: FixContext) -> Iterable[Fix | Unfixable]:
        """Fixes for these findings (all of rules naming this fixer), or why not."""


def fix_for(finding: Finding, fixer: str, title: str, actions: list, **extra: Any) -> Fix:
    """A Fix for one finding, carrying its episode."""
    return Fix(
        fixer=fixer,
        rule=finding.rule,
        title=title,
        actions=actions,
        fingerprints=[finding.fingerprint],
        channel=finding.channel,
        video=finding.video,
        **extra,
    )


def missing_parents(ref: PathRef, fx: FixContext) -> list[PathRef]:
    """The ancestors of `ref` that do not exist yet, outermost first (to mkdir one by one, so
    undo removes exactly those)."""
    parts = PurePosixPath(ref.rel).parts
    parents = [PathRef(ref.root, "/".join(parts[:depth])) for depth in range(1, len(parts))]
    return [p for p in parents if fx.state(p)["kind"] == "missing"]


def read_bytes(path: str | Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
