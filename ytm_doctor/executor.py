"""The Executor: the only code that changes the disk for fixers (SPEC §6.1, §10).

Every action is resolved against the configured roots and refused when it would leave them,
when a symlink on its way leads out of them, when it would write into a share that is not
online, or when the world no longer matches the plan's preconditions. A fix runs as a unit:
all checks before the first action, every action journaled before and after it runs, and the
actions already done reverted when a later one fails. Nothing is deleted: what a fix replaces
is renamed aside or backed up; undo removes only what a fix itself created, and only when it
is unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ytm_doctor import store_ops
from ytm_doctor.atomic import create_atomic, fsync_dir, write_atomic
from ytm_doctor.journal import Journal
from ytm_doctor.plan import (
    Action,
    Fix,
    PathRef,
    describe_state,
    first_touches,
    path_state,
    sha256_file,
    state_matches,
)
from ytm_doctor.storecopy import HashCache

if TYPE_CHECKING:
    from ytm_doctor.context import Context

BACKUP_DIR = "backups"  # under the report dir: copies of files a fix replaced
RSYNC_IRREVERSIBLE = (
    "a mirror (rsync) cannot be undone: it copied Hot's files over the Vault's and deleted on "
    "the Vault what Hot no longer has, keeping no copy. The protected subtrees (mirror.protected:"
    " scripts/, thumbnails/assets/, video/runs/), the sentinel and mirror.exclude (planning/) "
    "were never deleted; anything else must be restored by hand from Hot or a backup"
)


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


class Refused(Exception):
    pass


class Executor:
    def __init__(
        self,
        ctx: Context,
        *,
        journal: Journal | None = None,
        override: Override | None = None,
    ) -> None:
        self.ctx = ctx
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
        self.hashes = HashCache()  # files hashed during this run (the store ops)

    # -- resolving and confining -------------------------------------------------------------

    def resolve(self, ref: PathRef) -> str:
        if ref.root not in self.roots:
            raise Refused(f"{ref}: unknown or unconfigured root {ref.root!r}")
        return os.path.normpath(os.path.join(self.roots[ref.root], ref.rel))

    def _inside_roots(self, real: str) -> bool:
        return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in self.real_roots)

    def confine(self, ref: PathRef) -> str:
        """The absolute path for `ref`, or Refused when it is (or leads) outside the roots."""
        path = self.resolve(ref)
        # The parent is where the write happens: resolve every link on the way there.
        parent_real = os.path.realpath(os.path.dirname(path))
        if not self._inside_roots(parent_real):
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
        return any(
            real == s or real.startswith(s.rstrip(os.sep) + os.sep) for s in self.share_roots
        )

    # -- checking ----------------------------------------------------------------------------

    def confine_source(self, ref: PathRef) -> str:
        """A path read through (a copy's source): the path itself, links followed, must stay
        inside the roots, or a plan could copy outside data in."""
        path = self.confine(ref)
        real = os.path.realpath(path)
        if not self._inside_roots(real):
            raise Refused(f"{ref}: leads outside the configured roots ({real})")
        return path

    def problems(self, fix: Fix) -> list[str]:
        """Why `fix` cannot run now (empty: it can)."""
        reasons: list[str] = []
        existing = first_touches(fix.actions)
        sources = [a.source for a in fix.actions if a.source is not None]
        for ref in existing + [p for p, _ in fix.preconditions if p not in existing]:
            try:
                self.confine_source(ref) if ref in sources else self.confine(ref)
            except Refused as exc:
                if str(exc) not in reasons:
                    reasons.append(str(exc))
        if reasons:
            return reasons
        if fix.destructive and fix.stage in ("hot", "freeze") and self.override is None:
            reasons.append(
                f"{fix.episode or 'this episode'} is unposted ({fix.stage}): "
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
        return reasons

    def check(self, index: int, fix: Fix) -> FixResult:
        reasons = self.problems(fix)
        return FixResult(index, fix, "refused" if reasons else "ready", reasons)

    # -- applying ----------------------------------------------------------------------------

    def apply(self, index: int, fix: Fix) -> FixResult:
        result = self.check(index, fix)
        if result.status == "refused":
            if self.journal:
                self.journal.note({"fix": index, "refused": result.reasons})
            return result
        assert self.journal is not None, "apply needs a journal"
        done: list[tuple[int, dict[str, Any]]] = []
        for action in fix.actions:
            try:
                inverse = self._run(index, action)
            except (OSError, ValueError, Refused) as exc:
                result.status = "failed"
                result.reasons.append(f"{action.describe()}: {exc}")
                result.reasons.extend(self._roll_back(index, done))
                result.actions_done = 0
                return result
            except KeyboardInterrupt:
                self._roll_back(index, done)  # never leave a fix half-applied
                raise
            done.append((index, inverse))
            result.actions_done += 1
        result.status = "applied"
        return result

    def _run(self, index: int, action: Action) -> dict[str, Any]:
        """Do one action; journal it (begin, then done) with the inverse that undoes it."""
        path = self.confine(action.path)
        inverse = self._inverse_for(action, path)
        seq = self.journal.begin(index, action.to_json(), inverse)
        extra = self._do(action, path, inverse)
        if extra:
            inverse.update(extra)
        self.journal.done(seq, extra)
        return inverse

    def _inverse_for(self, action: Action, path: str) -> dict[str, Any]:
        ref = action.path.to_json()
        if action.op == "mkdir":
            return {"op": "rmdir", "path": ref}
        if action.op == "write":
            return {"op": "remove", "path": ref, "sha256": _sha256_bytes(action.data or b"")}
        if action.op == "replace":
            backup = self._backup_ref(action.path)
            return {
                "op": "restore",
                "path": ref,
                "backup": backup.to_json(),
                "sha256": _sha256_bytes(action.data or b""),
            }
        if action.op == "rename":
            return {
                "op": "rename",
                "path": action.dest.to_json(),
                "dest": ref,
                "state": path_state(path),
            }
        if action.op == "symlink":
            return {"op": "unlink", "path": ref, "target": action.target}
        if action.op == "copy":
            return {"op": "rmtree", "path": ref, "manifest": None}
        if action.op == "rsync":
            return {"op": "irreversible", "path": ref, "why": RSYNC_IRREVERSIBLE}
        if action.op in store_ops.OPS:
            return store_ops.inverse_for(self, action)
        raise Refused(f"unknown action {action.op}")

    def _backup_ref(self, ref: PathRef) -> PathRef:
        run = self.journal.run_id if self.journal else "dry-run"
        rel = os.path.relpath(
            self.backup_dir / run / ref.root / ref.rel, self.ctx.paths.workspace_root
        )
        return PathRef("workspace", rel.replace(os.sep, "/"))

    def _do(self, action: Action, path: str, inverse: dict[str, Any]) -> dict[str, Any] | None:
        op = action.op
        if op == "mkdir":
            os.mkdir(path)
            fsync_dir(os.path.dirname(path))
        elif op == "write":
            create_atomic(path, action.data or b"")
        elif op == "replace":
            if os.path.islink(path) or not os.path.isfile(path):
                raise Refused(f"{action.path} is not a regular file")
            backup = self.confine(PathRef.from_json(inverse["backup"]))
            os.makedirs(os.path.dirname(backup), exist_ok=True)
            shutil.copy2(path, backup)
            write_atomic(path, action.data or b"", mode=os.stat(path).st_mode & 0o777)
        elif op == "rename":
            dest = self.confine(action.dest)
            if os.path.lexists(dest):
                raise FileExistsError(dest)
            os.rename(path, dest)
            fsync_dir(os.path.dirname(dest))
        elif op == "symlink":
            os.symlink(action.target, path)
            fsync_dir(os.path.dirname(path))
        elif op == "copy":
            source = self.confine_source(action.source)
            return {"manifest": _copy_atomic(source, path)}
        elif op == "rsync":
            # The mirror owns rsync: share state, sentinel, lock, run log (it imports us).
            from ytm_doctor.mirror import rsync_action

            return rsync_action(self, action)
        elif op in store_ops.OPS:
            return store_ops.do(self, action, path, inverse)
        return None

    def _roll_back(self, index: int, done: list[tuple[int, dict[str, Any]]]) -> list[str]:
        notes = []
        for _, inverse in reversed(done):
            try:
                self.run_inverse(inverse)
                notes.append(f"reverted: {inverse['op']} {PathRef.from_json(inverse['path'])}")
            except (OSError, Refused) as exc:
                notes.append(f"could NOT revert {inverse['op']}: {exc}")
        if self.journal:
            self.journal.note({"fix": index, "rolled_back": notes})
        return notes

    # -- undo --------------------------------------------------------------------------------

    def group_problems(self, inverses: list[dict[str, Any]]) -> list[str]:
        """Problems of running `inverses` in order, each judged after the ones before it."""
        problems: list[str] = []
        freed: set[str] = set()
        for inverse in inverses:
            problems.extend(self.inverse_problems(inverse, frozenset(freed)))
            with contextlib.suppress(Refused):
                freed.add(self.resolve(PathRef.from_json(inverse["path"])))
        return problems

    def inverse_problems(
        self, inverse: dict[str, Any], freed: frozenset[str] = frozenset()
    ) -> list[str]:
        """Why an inverse action cannot run: the path is no longer what the fix left. `freed`
        names paths that inverses before this one (in the same undo) will have cleared."""
        try:
            ref = PathRef.from_json(inverse["path"])
            path = self.confine(ref)
            if inverse.get("dest"):
                self.confine(PathRef.from_json(inverse["dest"]))
        except Refused as exc:
            return [str(exc)]
        actual = path_state(path)
        op = inverse["op"]
        expected: dict[str, Any]
        if op == "rmdir":
            expected = {"kind": "dir"}
            if actual.get("kind") == "dir" and not actual.get("empty"):
                # Empty once the inverses before this one have run, or changed since the fix.
                try:
                    left = [c for c in os.listdir(path) if os.path.join(path, c) not in freed]
                except OSError:
                    left = ["?"]
                if left:
                    return [f"{ref} is no longer empty; left in place"]
        elif op in ("remove", "restore"):
            expected = {"kind": "file", "sha256": inverse["sha256"]}
            if op == "remove" and inverse.get("size") is not None:
                # A stored copy of any size: compared by its full hash, not size and mtime.
                expected["size"] = inverse["size"]
                actual = store_ops.full_state(path, actual)
        elif op in store_ops.INVERSES:
            return store_ops.inverse_problems(self, inverse, path)
        elif op == "rename":
            expected = inverse["state"]
            dest = self.resolve(PathRef.from_json(inverse["dest"]))
            if os.path.lexists(dest) and dest not in freed:
                return [f"{PathRef.from_json(inverse['dest'])} exists again; not overwritten"]
        elif op == "unlink":
            expected = {"kind": "link", "target": inverse["target"]}
        elif op == "irreversible":
            return [str(inverse.get("why") or f"{ref} cannot be undone")]
        elif op == "rmtree":
            if inverse.get("manifest") is None:
                return [f"{ref}: the copy never completed; nothing to undo"]
            if actual.get("kind") not in ("dir", "file") or _manifest(path) != inverse["manifest"]:
                return [f"{ref} changed since it was copied; left in place"]
            return []
        else:
            return [f"unknown inverse {op}"]
        if not state_matches(expected, actual):
            return [
                f"{ref} changed since the fix ({describe_state(actual)}, expected "
                f"{describe_state(expected)}); left in place"
            ]
        return []

    def run_inverse(self, inverse: dict[str, Any]) -> None:
        problems = self.inverse_problems(inverse)
        if problems:
            raise Refused("; ".join(problems))
        path = self.confine(PathRef.from_json(inverse["path"]))
        op = inverse["op"]
        if op == "rmdir":
            os.rmdir(path)
        elif op == "remove":
            os.unlink(path)  # content identical to what the fix wrote (checked above)
            store_ops.remove_dirs_of(self, inverse)
        elif op in store_ops.INVERSES:
            store_ops.run_inverse(self, inverse, path)
        elif op == "restore":
            backup = self.confine(PathRef.from_json(inverse["backup"]))
            with open(backup, "rb") as fh:
                data = fh.read()
            write_atomic(path, data, mode=os.stat(backup).st_mode & 0o777)
        elif op == "rename":
            os.rename(path, self.confine(PathRef.from_json(inverse["dest"])))
        elif op == "unlink":
            os.unlink(path)
        elif op == "rmtree":
            # Identical to the copy the fix made (checked above); its source still exists.
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        fsync_dir(os.path.dirname(path))


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(root: str) -> list[list[Any]]:
    """What a copy holds: [rel, kind, size or link target, sha256 of files], sorted ("." for a
    single file). The hashes let undo tell an untouched copy from one a user edited."""
    if not os.path.isdir(root) or os.path.islink(root):
        return [[".", "file", os.path.getsize(root), sha256_file(root)]]
    items: list[list[Any]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if os.path.islink(full):
                items.append([rel, "link", os.readlink(full)])
            elif os.path.isdir(full):
                items.append([rel, "dir", 0])
            else:
                items.append([rel, "file", os.path.getsize(full), sha256_file(full)])
    return sorted(items)


def _copy_atomic(source: str, dest: str) -> list[list[Any]]:
    """Copy a file or a tree into a hidden sibling, then rename: nothing partial ever has the
    final name (an interrupted copy leaves only the hidden temp)."""
    if os.path.lexists(dest):
        raise FileExistsError(dest)
    tmp = os.path.join(os.path.dirname(dest), f".{os.path.basename(dest)}.ytm-tmp-{os.getpid()}")
    try:
        if os.path.isdir(source):
            shutil.copytree(source, tmp, symlinks=True)
        else:
            shutil.copy2(source, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        manifest = _manifest(tmp)
        os.rename(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            if os.path.isdir(tmp):
                shutil.rmtree(tmp)
            else:
                os.unlink(tmp)
        raise
    fsync_dir(os.path.dirname(dest))
    return manifest
