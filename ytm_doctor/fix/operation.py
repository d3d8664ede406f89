"""Operations: the kinds of step a plan can hold, and the registry the Executor dispatches on.

An operation is one class in one file. It says which Action fields it needs, how it describes
itself, what it brings into being, how it is done, what its inverse is (journaled *before* it
runs, completed by what `do` returns), how to tell whether that inverse can still run, and how
to run it. It does not confine paths, check preconditions, journal or roll back: the Executor
does that for every operation alike, so a new operation cannot skip it.

Operations register like plugins: a `ytm_doctor_collect_operations` hookimpl returns instances.
The built-in ones are the filesystem operations (ytm_doctor.fix.ops), the store's
(ytm_doctor.store.ops) and the mirror's (ytm_doctor.mirror.ops), registered by the plugin
manager exactly like a third-party package's.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ytm_doctor.errors import UsageError
from ytm_doctor.fix.plan import Action, PathRef, check_action
from ytm_doctor.fix.state import describe_state, state_matches

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.fix.executor import Executor

# The engine's own operation plugins, for commands that run without loading plugins (store and
# mirror start fast: they are timed against cp and rsync). The plugin manager registers the
# same modules by name (plugins/manager.py BUILTIN_PLUGINS).
BUILTIN_OPERATION_MODULES = (
    "ytm_doctor.fix.ops",
    "ytm_doctor.store.ops",
    "ytm_doctor.mirror.ops",
)
ACTION_FIELDS = ("dest", "source", "target", "data", "options", "sha256")


class Refused(Exception):
    """An action or inverse must not run now; the message says why, in one line."""


class Operation(abc.ABC):
    """Subclass it, set `name`, and implement `do` and `inverse` (abstract: a class missing one
    cannot be made), `inverse_problems` and `undo`
    (or set `irreversible` to the reason it cannot be undone and leave undo alone)."""

    name: str = ""
    # Action fields this operation needs (plan files missing one are refused with exit 4).
    needs: tuple[str, ...] = ()
    # Why it cannot be undone; None when undo reverts it. An irreversible operation's fix runs
    # only when its rule is selected by name.
    irreversible: str | None = None
    # True when it removes local content, leaving the verified copy elsewhere as the only one
    # (a store --move). The operation says so, never the plan: a fix holding one is refused for
    # unposted episodes without the override, whatever the plan file claims.
    destructive: bool = False
    # True when its undo brings content back at the action's path (a release or retire undone
    # copies the file back): a later inverse in the same undo may rely on that copy.
    restores: bool = False

    # -- describing ----------------------------------------------------------------------------

    def validate(self, action: Action) -> None:
        """Raise UsageError when `action` is not a well-formed instance of this operation: a
        field it needs is missing, or any field has the wrong type (checked here too, for
        actions a plugin's fixer built without a plan file)."""
        for name in self.needs:
            if getattr(action, name) is None:
                raise UsageError(f"plan action {action.op} lacks {name}")
        check_action(action)

    def describe(self, action: Action) -> str:
        """One line for the printed plan."""
        return f"{self.name:<8} {action.path}"

    def creates(self, action: Action) -> PathRef | None:
        """The path this action brings into being (what later actions may write beneath)."""
        return None

    def is_destructive(self, action: Action) -> bool:
        """Whether this action removes local content (see `destructive`)."""
        return self.destructive

    def reads(self, action: Action) -> list[PathRef]:
        """Paths read through, links followed (their real path must stay inside the roots)."""
        return [action.source] if action.source is not None else []

    def adds_bytes(self, action: Action, path: str, ex: Executor) -> int:
        """How many bytes doing `action` brings into being on the volume of `path` (the
        confined absolute path). The Executor refuses the action when that would leave less
        than `disk.stop_free_gib` free there. 0 (the default): it writes nothing that takes
        space, as a rename, a link, a directory or a removal, which must still run on a full
        disk because they are how space is freed."""
        return 0

    def undo_adds_bytes(self, inverse: dict[str, Any], path: str, ex: Executor) -> int:
        """The same for running `inverse` (an undo that copies a file back adds its size)."""
        return 0

    # -- doing ---------------------------------------------------------------------------------

    @abc.abstractmethod
    def inverse(self, action: Action, path: str, ex: Executor) -> dict[str, Any]:
        """What undoes `action`, as journaled before it runs: {"op": <inverse name>, "path":
        ..., ...}. `path` is the confined absolute path of action.path."""

    @abc.abstractmethod
    def do(
        self, action: Action, path: str, inverse: dict[str, Any], ex: Executor
    ) -> dict[str, Any] | None:
        """Do it. Returns what only the action could know, merged into its inverse and
        journaled with "done" (a copy's manifest, a verified hash), or None."""

    # -- undoing -------------------------------------------------------------------------------

    def inverse_problems(
        self, inverse: dict[str, Any], path: str, ex: Executor, freed: frozenset[str]
    ) -> list[str]:
        """Why `inverse` cannot run now (empty: it can): the disk is no longer what the action
        left. `freed` names paths that inverses before this one, in the same undo, clear."""
        return [self.irreversible or f"{self.name} cannot be undone"]

    def undo(self, inverse: dict[str, Any], path: str, ex: Executor) -> None:
        """Run `inverse` (inverse_problems was empty just before)."""
        raise Refused(self.irreversible or f"{self.name} cannot be undone")

    def journaled_inverse(self, action: dict[str, Any], inverse: dict[str, Any]) -> dict[str, Any]:
        """The inverse as undo uses it, from a journal entry (a journal written by an older
        version may lack fields the action holds)."""
        return inverse

    def describe_inverse(self, inverse: dict[str, Any]) -> str:
        return f"{inverse.get('op', '?'):<8} {PathRef.from_json(inverse['path'])}"


def unchanged(ref: PathRef, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """The usual inverse check: the path is still what the action left."""
    if state_matches(expected, actual):
        return []
    return [
        f"{ref} changed since the fix ({describe_state(actual)}, expected "
        f"{describe_state(expected)}); left in place"
    ]


def source_problems(
    inverse: dict[str, Any], ref: PathRef, ex: Executor, differs: Callable[[str], str | None]
) -> list[str]:
    """Why `ref`, a copy an action made, must stay: removing it is safe only while its source
    (the inverse's "source") still holds the same content, checked now by `differs(path)`
    (None: the same; else why not, after "<source> "), or while an earlier step of the same
    undo brings the source back. The copy may have become the only one."""
    if not inverse.get("source"):
        return []
    source_ref = PathRef.from_json(inverse["source"])
    try:
        source = ex.confine_source(source_ref)
    except Refused as exc:
        return [f"{ref} is kept: its source cannot be checked ({exc})"]
    if source in ex.restoring:
        return []
    why = differs(source)
    return [f"{ref} is kept: {source_ref} {why}"] if why else []


class OperationRegistry:
    """Operations by name. Two operations with one name are refused (exit 4)."""

    def __init__(self, operations: Iterable[tuple[str, Operation]] = ()) -> None:
        self._ops: dict[str, Operation] = {}
        self._owners: dict[str, str] = {}
        for owner, op in operations:
            self.add(op, owner)

    def add(self, op: Operation, owner: str = "?") -> None:
        if not isinstance(op, Operation) or not op.name:
            raise UsageError(f"plugin {owner} returned {op!r}, not a named Operation")
        if op.name in self._ops:
            raise UsageError(
                f"operation {op.name} is declared twice: by {self._owners[op.name]} and {owner}"
            )
        self._ops[op.name] = op
        self._owners[op.name] = owner

    def get(self, name: str) -> Operation:
        try:
            return self._ops[name]
        except KeyError:
            raise Refused(
                f"unknown operation {name!r} (is the plugin that provides it loaded?)"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._ops)

    def validate(self, action: Action) -> None:
        if action.op not in self._ops:
            raise UsageError(f"plan action {action.op!r} is not a known operation")
        self._ops[action.op].validate(action)

    def describe(self, action: Action) -> str:
        return self.get(action.op).describe(action)

    def destructive(self, action: Action) -> bool:
        return self.get(action.op).is_destructive(action)

    def undoable(self, action: Action) -> bool:
        return self.get(action.op).irreversible is None

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_plugins(cls, pm: Any) -> OperationRegistry:
        """Every operation of every registered plugin (ytm_doctor_collect_operations)."""
        hook = pm.hook.ytm_doctor_collect_operations
        registry = cls()
        # One call through pluggy per plugin, so each operation is attributed to its plugin.
        for impl in reversed(hook.get_hookimpls()):
            others = [p for p in pm.get_plugins() if p is not impl.plugin]
            for result in pm.subset_hook_caller(hook.name, others)():
                for op in result or ():
                    registry.add(op, impl.plugin_name)
        return registry

    @classmethod
    def builtin(cls) -> OperationRegistry:
        """The engine's operations only (no plugin loaded)."""
        registry = cls()
        for name in BUILTIN_OPERATION_MODULES:
            module = importlib.import_module(name)
            for op in module.ytm_doctor_collect_operations():
                registry.add(op, name)
        return registry


def operations_for(config: Config) -> OperationRegistry:
    """The registry of this invocation: the plugins' operations when plugins are loaded, else
    the engine's own."""
    pm = getattr(config, "pluginmanager", None)
    if pm is None:
        return OperationRegistry.builtin()
    return OperationRegistry.from_plugins(pm)
