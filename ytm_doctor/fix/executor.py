"""The Executor: the only code that changes the disk for fixers, store and mirror.

Every action is resolved against the configured roots and refused when it would leave them,
when a symlink on its way leads out of them, when it would write into a share that is not
online, or when the world no longer matches the plan's preconditions. A fix runs as a unit:
all checks before the first action, every action journaled before and after it runs, and the
actions already done reverted when a later one fails. What each action does is its operation's
(looked up by name in the OperationRegistry); the rules above hold for every operation alike.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytm_doctor.anchor import Anchor
from ytm_doctor.atomic import fsync_dir
from ytm_doctor.errors import UsageError
from ytm_doctor.fix.journal import Journal
from ytm_doctor.fix.operation import Operation, OperationRegistry, Refused
from ytm_doctor.fix.plan import Action, Fix, PathRef, first_touches
from ytm_doctor.fix.space import device_of, landing_dir, space_problem
from ytm_doctor.fix.state import describe_state, path_state, state_matches
from ytm_doctor.hashing import HashCache
from ytm_doctor.paths import is_under

if TYPE_CHECKING:
    from ytm_doctor.context import Context

BACKUP_DIR = "backups"  # under the report dir: copies of files a fix replaced

__all__ = ["BACKUP_DIR", "Executor", "FixResult", "Override", "Refused", "UndoStep"]


@dataclass
class Override:
    """Break-glass for destructive fixes of unposted episodes: --allow-unposted or
    YTM_EMERGENCY_OVERRIDE=1, always with a reason (audited)."""

    reason: str
    via: str  # "--allow-unposted" or "YTM_EMERGENCY_OVERRIDE"


@dataclass
class FixResult:
    index: int
    fix: Fix
    status: str  # applied, refused, failed, ready (dry-run: would apply)
    reasons: list[str] = field(default_factory=list)
    actions_done: int = 0


@dataclass
class UndoStep:
    """One journaled inverse and the operation that runs it."""

    op: Operation
    inverse: dict[str, Any]


def failure(exc: BaseException) -> str:
    """One line for an exception that failed a fix: the message of an expected kind (an OSError,
    a refusal, bad input), the type too for anything else (it is a bug somewhere)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, (OSError, Refused, ValueError, UsageError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Executor:
    def __init__(
        self,
        ctx: Context,
        registry: OperationRegistry,
        *,
        journal: Journal | None = None,
        override: Override | None = None,
    ) -> None:
        self.ctx = ctx
        self.registry = registry
        self.journal = journal
        self.override = override
        self.roots = {name: os.fspath(path) for name, path in ctx.paths.named_roots().items()}
        self.real_roots = sorted({os.path.realpath(p) for p in self.roots.values()})
        self.share_roots = {
            os.path.normpath(os.fspath(ctx.paths.share_root)),
            os.path.realpath(ctx.paths.share_root),
        }
        self.backup_dir = ctx.paths.report_dir / BACKUP_DIR
        # Locks this run already holds, by name (an action needing one does not take it
        # again), and what actions report beyond the journal (the mirror's summary).
        self.held_locks: dict[str, Any] = {}
        self.outcomes: list[Any] = []
        self.hashes = HashCache()  # files hashed during this run
        # While an undo is judged before it runs: the paths earlier inverses of that undo bring
        # back (a stored copy may be removed once its source is back).
        self.restoring: frozenset[str] = frozenset()

    @property
    def run_id(self) -> str | None:
        return self.journal.run_id if self.journal else None

    # -- resolving and confining -------------------------------------------------------------

    def resolve(self, ref: PathRef) -> str:
        if ref.root not in self.roots:
            raise Refused(f"{ref}: unknown or unconfigured root {ref.root!r}")
        return os.path.normpath(os.path.join(self.roots[ref.root], ref.rel))

    def inside_roots(self, real: str) -> bool:
        return any(is_under(real, r) for r in self.real_roots)

    def confine(self, ref: PathRef) -> str:
        """The absolute path for `ref`, or Refused when it is (or leads) outside the roots."""
        path = self.resolve(ref)
        # The parent is where the write happens: resolve every link on the way there.
        parent_real = os.path.realpath(os.path.dirname(path))
        if not self.inside_roots(parent_real):
            raise Refused(
                f"{ref}: its directory leads outside the configured roots ({parent_real})"
            )
        if self._on_share(parent_real) and not self.ctx.share.online:
            raise Refused(
                f"{ref}: the share is {self.ctx.share.status}; this fix waits for "
                "the share to be mounted"
            )
        return path

    def _on_share(self, real: str) -> bool:
        return any(is_under(real, s) for s in self.share_roots)

    def confine_source(self, ref: PathRef) -> str:
        """A path read through (a copy's source): the path itself, links followed, must stay
        inside the roots, or a plan could copy outside data in."""
        path = self.confine(ref)
        real = os.path.realpath(path)
        if not self.inside_roots(real):
            raise Refused(f"{ref}: leads outside the configured roots ({real})")
        return path

    def anchor(self, path: str) -> Anchor:
        """The directory an operation writes `path` into, opened now (its last step without
        following a link) and confined again. Confinement before the action is not enough for
        a long one: what the operation finishes through the anchor (a rename, a link, an
        unlink) is refused if that directory stops being the one at its path meanwhile."""
        return self.anchor_dir(os.path.dirname(path))

    def anchor_dir(self, directory: str) -> Anchor:
        real = os.path.realpath(directory)
        if not self.inside_roots(real):
            raise Refused(f"{directory}: leads outside the configured roots ({real})")
        return Anchor.open(directory, real)

    def backup_ref(self, ref: PathRef) -> PathRef:
        """Where this run keeps the old bytes of `ref` (under the report dir's backups/)."""
        run = self.run_id or "dry-run"
        rel = os.path.relpath(
            self.backup_dir / run / ref.root / ref.rel, self.ctx.paths.workspace_root
        )
        return PathRef("workspace", rel.replace(os.sep, "/"))

    # -- checking ----------------------------------------------------------------------------

    def first_touches(self, fix: Fix) -> list[PathRef]:
        return first_touches(fix.actions, self.registry)

    def problems(self, fix: Fix) -> list[str]:
        """Why `fix` cannot run now (empty: it can)."""
        reasons: list[str] = []
        try:
            ops = [self.registry.get(a.op) for a in fix.actions]
            for action in fix.actions:  # a plugin's fixer may build what no plan file may hold
                self.registry.validate(action)
        except (Refused, UsageError) as exc:
            return [str(exc)]
        existing = self.first_touches(fix)
        sources = [ref for op, a in zip(ops, fix.actions, strict=True) for ref in op.reads(a)]
        for ref in existing + [p for p, _ in fix.preconditions if p not in existing]:
            try:
                self.confine_source(ref) if ref in sources else self.confine(ref)
            except Refused as exc:
                if str(exc) not in reasons:
                    reasons.append(str(exc))
        if reasons:
            return reasons
        stage = self._unposted_stage(fix)
        if stage is not None and self.override is None:
            reasons.append(
                f"{fix.episode or 'this episode'} is unposted ({stage}): "
                "destructive fixes need --allow-unposted (or YTM_EMERGENCY_OVERRIDE=1)"
                " and --reason"
            )
        for ref, expected in fix.preconditions:
            actual = path_state(self.resolve(ref))
            if not state_matches(expected, actual):
                reasons.append(
                    f"stale: {ref} was {describe_state(expected)} when planned, "
                    f"is now {describe_state(actual)}"
                )
        needs = []
        for op, action in zip(ops, fix.actions, strict=True):
            # A source an earlier action of the fix makes cannot be measured yet: that action
            # is measured again right before it runs.
            with contextlib.suppress(OSError, Refused):
                path = self.resolve(action.path)
                needs.append((path, op.adds_bytes(action, path, self)))
        return reasons + self.space_problems(needs)

    def _unposted_stage(self, fix: Fix) -> str | None:
        """The stage that makes `fix` need the override (hot, freeze), or None. An operation
        that removes local content makes the fix destructive whatever the plan says, and then
        the episode's stage is looked up now, not taken from the plan (an episode nobody knows
        counts as unposted)."""
        if any(self.registry.destructive(a) for a in fix.actions):
            ep = self.ctx.workspace.episode(fix.channel, fix.video) if fix.episode else None
            stage = ep.stage.value if ep else "hot"
        elif fix.destructive:
            stage = fix.stage
        else:
            return None
        return stage if stage in ("hot", "freeze") else None

    def space_problems(self, needs: list[tuple[str, int]]) -> list[str]:
        """Why writing these (path, bytes) pairs, summed per local volume, would take a volume
        below `disk.stop_free_gib` (empty: they fit)."""
        by_device: dict[int, tuple[str, int]] = {}
        for path, need in needs:
            if need <= 0:
                continue
            try:
                where = landing_dir(path)
                device = device_of(where)
            except OSError:
                continue
            if self._on_share(os.path.realpath(where)):
                continue  # the share's disk is not this host's (see fix/space.py)
            _, total = by_device.get(device, (where, 0))
            by_device[device] = (where, total + need)
        problems = [space_problem(self.ctx, where, need) for where, need in by_device.values()]
        return [p for p in problems if p]

    def check(self, index: int, fix: Fix) -> FixResult:
        try:
            reasons = self.problems(fix)
        except Exception as exc:  # a plugin's operation or a hand-made fix: refused, not a crash
            reasons = [f"cannot be checked: {failure(exc)}"]
        return FixResult(index, fix, "refused" if reasons else "ready", reasons)

    # -- applying ----------------------------------------------------------------------------

    def apply(self, index: int, fix: Fix) -> FixResult:
        """Run `fix` whole or not at all: refused before its first action, or every action
        done, or those done reverted. Any exception of an action (an operation's bug, a value
        of the wrong type) fails the fix like an OSError does; only Ctrl-C and SIGTERM go on
        up, after the roll-back."""
        result = self.check(index, fix)
        if result.status == "refused":
            if self.journal:
                self._note({"fix": index, "refused": result.reasons})
            return result
        assert self.journal is not None, "apply needs a journal"
        done: list[UndoStep] = []
        for action in fix.actions:
            try:
                done.append(self._run(index, action))
            except Exception as exc:
                result.status = "failed"
                result.reasons.append(f"{self._describe(action)}: {failure(exc)}")
                result.reasons.extend(self._roll_back(index, done))
                result.actions_done = 0
                return result
            except KeyboardInterrupt:
                self._roll_back(index, done)  # never leave a fix half-applied
                raise
            result.actions_done += 1
        result.status = "applied"
        return result

    def _describe(self, action: Action) -> str:
        try:
            return self.registry.describe(action)
        except Exception:  # the action is what failed: name it plainly
            return f"{action.op} {action.path}"

    def _note(self, record: dict[str, Any]) -> None:
        # The journal's own disk may fail too; the fix's result still reaches the audit line.
        with contextlib.suppress(OSError):
            assert self.journal is not None
            self.journal.note(record)

    def _run(self, index: int, action: Action) -> UndoStep:
        """Do one action; journal it (begin, then done) with the inverse that undoes it."""
        op = self.registry.get(action.op)
        path = self.confine(action.path)
        # Measured again right before the bytes come: the disk may have filled since the check.
        for problem in self.space_problems([(path, op.adds_bytes(action, path, self))]):
            raise Refused(problem)
        inverse = op.inverse(action, path, self)
        seq = self.journal.begin(index, action.to_json(), inverse)
        extra = op.do(action, path, inverse, self)
        if extra:
            inverse.update(extra)
        self.journal.done(seq, extra)
        return UndoStep(op, inverse)

    def _roll_back(self, index: int, done: list[UndoStep]) -> list[str]:
        notes = []
        for step in reversed(done):
            what = step.inverse.get("op", "?")
            try:
                what = f"{what} {PathRef.from_json(step.inverse.get('path'))}"
                # Putting back what the fix changed never waits for space: it only returns the
                # disk to where it was before the fix.
                self.run_inverse(step, check_space=False)
                notes.append(f"reverted: {what}")
            except Exception as exc:  # one revert that fails must not stop the others
                notes.append(f"could NOT revert {what}: {failure(exc)}")
        if self.journal:
            self._note({"fix": index, "rolled_back": notes})
        return notes

    # -- undo --------------------------------------------------------------------------------

    def step_for(self, action: dict[str, Any], inverse: dict[str, Any]) -> UndoStep:
        """The undo step of a journaled action (its operation looked up by the action's op)."""
        op = self.registry.get(str(action.get("op")))
        return UndoStep(op, op.journaled_inverse(action, inverse))

    def group_problems(self, steps: list[UndoStep]) -> list[str]:
        """Problems of running `steps` in order, each judged after the ones before it."""
        problems: list[str] = []
        freed: set[str] = set()
        restored: set[str] = set()
        needs: list[tuple[str, int]] = []
        try:
            for step in steps:
                self.restoring = frozenset(restored)
                problems.extend(self.inverse_problems(step, frozenset(freed)))
                with contextlib.suppress(Refused, KeyError, TypeError):
                    path = self.resolve(PathRef.from_json(step.inverse["path"]))
                    freed.add(path)
                    if step.op.restores:
                        restored.add(path)
                    with contextlib.suppress(OSError):
                        needs.append((path, step.op.undo_adds_bytes(step.inverse, path, self)))
        finally:
            self.restoring = frozenset()
        return problems + self.space_problems(needs)

    def inverse_problems(self, step: UndoStep, freed: frozenset[str] = frozenset()) -> list[str]:
        """Why an inverse cannot run now: the path is no longer what the action left."""
        try:
            path = self.confine(PathRef.from_json(step.inverse["path"]))
            return step.op.inverse_problems(step.inverse, path, self, freed)
        except Refused as exc:
            return [str(exc)]

    def run_inverse(self, step: UndoStep, *, check_space: bool = True) -> None:
        problems = self.inverse_problems(step)
        if problems:
            raise Refused("; ".join(problems))
        path = self.confine(PathRef.from_json(step.inverse["path"]))
        if check_space:
            need = step.op.undo_adds_bytes(step.inverse, path, self)
            for problem in self.space_problems([(path, need)]):
                raise Refused(problem)
        step.op.undo(step.inverse, path, self)
        fsync_dir(os.path.dirname(path))
