"""Plans: what a fixer intends to do, as typed actions with the preconditions they rely on.

A plan is data. It is printed by `ytm-doctor fix` (changing nothing), saved by `--plan-out`, and
executed by the Executor, which alone touches the disk. Paths in a plan are (root name, relative
path) pairs, resolved against the roots configured when the plan is *applied*, so a plan file
cannot name a place outside them.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import ISO_SECONDS, file_stamp, iso_seconds
from ytm_doctor.errors import UsageError
from ytm_doctor.jsonio import JsonInputError, dumps_json, loads_json, read_json

if TYPE_CHECKING:
    from ytm_doctor.fix.operation import OperationRegistry

PLAN_SCHEMA = "ytm-doctor.plan.v1"
PLAN_WHAT = "plan file"  # how a JsonInputError names one
# A plan carries the bytes it writes (base64): store manifests, placeholders, info files. Far
# below this; the bound only keeps a video given by mistake from being read into memory.
MAX_PLAN_BYTES = 256 << 20
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# The fields a precondition's state may hold (ytm_doctor.fix.state.path_state) and their types.
STATE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "kind": str,
    "target": str,
    "sha256": str,
    "size": int,
    "mtime_ns": int,
    "empty": bool,
}


@dataclass(frozen=True)
class PathRef:
    """A path relative to a named root; never absolute, never with `..`."""

    root: str
    rel: str

    def __post_init__(self) -> None:
        parts = PurePosixPath(self.rel).parts
        if self.rel.startswith("/") or ".." in parts or not parts or "\0" in self.rel:
            raise UsageError(f"plan path {self.root}:{self.rel!r} is not a plain relative path")

    def is_under(self, other: PathRef) -> bool:
        """True when this path is `other` or lies beneath it."""
        return self.root == other.root and (
            self.rel == other.rel or self.rel.startswith(other.rel.rstrip("/") + "/")
        )

    def __str__(self) -> str:
        return f"{self.root}:{self.rel}"

    def to_json(self) -> dict[str, str]:
        return {"root": self.root, "rel": self.rel}

    @classmethod
    def from_json(cls, data: Any) -> PathRef:
        if not (
            isinstance(data, dict)
            and isinstance(data.get("root"), str)
            and isinstance(data.get("rel"), str)
        ):
            raise UsageError(f"plan path {shown(data)} must be an object with string root and rel")
        return cls(data["root"], data["rel"])

    def sibling(self, name: str) -> PathRef:
        parent = PurePosixPath(self.rel).parent
        rel = name if str(parent) == "." else f"{parent}/{name}"
        return PathRef(self.root, rel)

    @property
    def name(self) -> str:
        return PurePosixPath(self.rel).name


@dataclass
class Action:
    """One step of a fix: the operation's name and its arguments. Which fields an operation
    needs, what it does and how it is undone is the operation's business (ytm_doctor.fix.ops,
    the store's and the mirror's operations, or a plugin's), looked up by `op` in the
    OperationRegistry; an Action itself is plain data, saved in plans and journals as is."""

    op: str
    path: PathRef
    dest: PathRef | None = None  # rename
    source: PathRef | None = None  # copy
    target: str | None = None  # symlink
    data: bytes | None = None  # write, replace
    note: str = ""
    options: dict[str, Any] | None = None  # rsync
    sha256: str | None = None  # store_copy (expected source hash), release (verified hash)

    def touched(self) -> list[PathRef]:
        return [p for p in (self.path, self.dest, self.source) if p is not None]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"op": self.op, "path": self.path.to_json()}
        if self.dest is not None:
            data["dest"] = self.dest.to_json()
        if self.source is not None:
            data["source"] = self.source.to_json()
        if self.target is not None:
            data["target"] = self.target
        if self.data is not None:
            data["data_b64"] = base64.b64encode(self.data).decode("ascii")
        if self.note:
            data["note"] = self.note
        if self.options is not None:
            data["options"] = self.options
        if self.sha256 is not None:
            data["sha256"] = self.sha256
        return data

    @classmethod
    def from_json(cls, data: Any) -> Action:
        """An action of a plan file, every field of the type it must have (UsageError if not):
        a wrong type would otherwise surface half-way through a fix, as a TypeError."""
        if not isinstance(data, dict) or not isinstance(data.get("op"), str) or not data["op"]:
            raise UsageError(f"plan action {shown(data)} has no op")
        where = f"plan action {data['op']}"
        encoded = optional(data, "data_b64", str, where)
        try:
            raw = base64.b64decode(encoded, validate=True) if encoded is not None else None
        except ValueError:
            raise UsageError(f"{where} data is not valid base64") from None
        action = cls(
            op=data["op"],
            path=PathRef.from_json(data.get("path")),
            dest=_optional_ref(data, "dest"),
            source=_optional_ref(data, "source"),
            target=optional(data, "target", str, where),
            data=raw,
            note=optional(data, "note", str, where) or "",
            options=optional(data, "options", dict, where),
            sha256=optional(data, "sha256", str, where),
        )
        check_action(action)
        return action


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages about a plan or a journal."""
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    if value is None:
        return "null"
    return "object" if isinstance(value, dict) else names.get(type(value), type(value).__name__)


def shown(value: Any, limit: int = 80) -> str:
    """A value in a one-line message, cut short (a plan may hold anything, of any size)."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"<{json_type(value)}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def optional(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """`data[key]` when it has type `kind`, None when absent or null; UsageError otherwise."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = json_type(kind()) if kind is not int else "number"
        raise UsageError(f"{where}: {key} must be a {expected}, got {json_type(value)}")
    return value


def _optional_ref(data: dict[str, Any], key: str) -> PathRef | None:
    return PathRef.from_json(data[key]) if data.get(key) is not None else None


def check_action(action: Action) -> None:
    """UsageError unless every field of `action` has its type: what a plan file, a plugin's
    fixer or a journal may get wrong before the Executor relies on it."""
    where = f"plan action {action.op}"
    for name in ("path", "dest", "source"):
        ref = getattr(action, name)
        if not (ref is None and name != "path") and not isinstance(ref, PathRef):
            raise UsageError(f"{where}: {name} must be a path (root and rel)")
    if action.target is not None and (
        not isinstance(action.target, str) or "\0" in action.target or not action.target
    ):
        raise UsageError(f"{where} has an invalid link target")
    if action.data is not None and not isinstance(action.data, bytes):
        raise UsageError(f"{where}: data must be bytes")
    if not isinstance(action.note, str):
        raise UsageError(f"{where}: note must be a string")
    if action.options is not None:
        if not isinstance(action.options, dict):
            raise UsageError(f"{where} options must be an object")
        try:  # journaled as they are: a value json cannot write would fail the fix half-way
            json.dumps(action.options)
        except (TypeError, ValueError, RecursionError):
            raise UsageError(f"{where} options cannot be written as JSON") from None
    if action.sha256 is not None and not (
        isinstance(action.sha256, str) and SHA256_HEX.fullmatch(action.sha256)
    ):
        raise UsageError(f"{where}: sha256 must be 64 lowercase hex digits")


def check_state(state: Any, where: str) -> dict[str, Any]:
    """A precondition's recorded state, its fields of the types path_state writes."""
    if not isinstance(state, dict) or not isinstance(state.get("kind"), str):
        raise UsageError(f"{where}: a precondition's state must be an object with a kind")
    for key, kind in STATE_FIELDS.items():
        value = state.get(key)
        wrong_bool = kind is int and isinstance(value, bool)
        if value is not None and (not isinstance(value, kind) or wrong_bool):
            raise UsageError(f"{where}: precondition {key} must not be {json_type(value)}")
    return dict(state)


@dataclass
class Fix:
    """The actions that fix one finding (or a few, when one fix serves them all), applied as a
    unit: all preconditions are checked before the first action, and a failure half-way
    reverts the actions already done."""

    fixer: str
    rule: str
    title: str
    actions: list[Action]
    fingerprints: list[str] = field(default_factory=list)
    channel: str | None = None
    video: str | None = None
    stage: str | None = None  # hot, freeze, published (episode fixes)
    destructive: bool = False  # replaces local data: refused for unposted episodes by default
    # Paths the fix only reads but relies on (a SoT file whose bytes the plan carries): their
    # state at plan time becomes a precondition too.
    reads: list[PathRef] = field(default_factory=list)
    preconditions: list[tuple[PathRef, dict[str, Any]]] = field(default_factory=list)

    @property
    def episode(self) -> str | None:
        return f"{self.channel}-{self.video}" if self.channel and self.video else None

    def to_json(self) -> dict[str, Any]:
        return {
            "fixer": self.fixer,
            "rule": self.rule,
            "title": self.title,
            "fingerprints": self.fingerprints,
            "channel": self.channel,
            "video": self.video,
            "stage": self.stage,
            "destructive": self.destructive,
            "preconditions": [{"path": p.to_json(), "state": s} for p, s in self.preconditions],
            "actions": [a.to_json() for a in self.actions],
        }

    @classmethod
    def from_json(cls, data: Any) -> Fix:
        if not isinstance(data, dict):
            raise UsageError(f"plan fix must be an object, got {json_type(data)}")
        try:
            where = f"plan fix {shown(data['fixer'], 40)}"
            actions, fingerprints = data["actions"], data.get("fingerprints") or []
            preconditions = data.get("preconditions") or []
        except KeyError as exc:
            raise UsageError(f"plan fix is malformed: {exc} missing") from None
        for key, value in (
            ("actions", actions),
            ("fingerprints", fingerprints),
            ("preconditions", preconditions),
        ):
            if not isinstance(value, list):
                raise UsageError(f"{where}: {key} must be an array, got {json_type(value)}")
        if not all(isinstance(f, str) for f in fingerprints):
            raise UsageError(f"{where}: fingerprints must be strings")
        if not all(isinstance(p, dict) for p in preconditions):
            raise UsageError(f"{where}: each precondition must be an object")
        return cls(
            fixer=_required_str(data, "fixer", where),
            rule=_required_str(data, "rule", where),
            title=optional(data, "title", str, where) or "",
            actions=[Action.from_json(a) for a in actions],
            fingerprints=list(fingerprints),
            channel=optional(data, "channel", str, where),
            video=optional(data, "video", str, where),
            stage=optional(data, "stage", str, where),
            destructive=bool(optional(data, "destructive", bool, where)),
            preconditions=[
                (PathRef.from_json(p.get("path")), check_state(p.get("state"), where))
                for p in preconditions
            ],
        )


def _required_str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise UsageError(f"{where}: {key} must be a string, got {json_type(value)}")
    return value


@dataclass
class Unfixable:
    rule: str
    fingerprint: str
    where: str
    reason: str


@dataclass
class Plan:
    created: datetime
    fixes: list[Fix]
    unfixable: list[Unfixable] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)  # as configured when planned (info)
    host: str = ""

    @property
    def stamp(self) -> str:
        return file_stamp(self.created)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": PLAN_SCHEMA,
            "created": iso_seconds(self.created),
            "host": self.host,
            "roots": self.roots,
            "fixes": [f.to_json() for f in self.fixes],
            "unfixable": [vars(u) for u in self.unfixable],
        }

    def dumps(self) -> str:
        return dumps_json(self.to_json(), indent=2) + "\n"

    @classmethod
    def loads(cls, text: str | bytes, source: str, registry: OperationRegistry) -> Plan:
        """A plan file's text, every action checked against its operation (exit 4 when not)."""
        try:
            data = loads_json(text, what=PLAN_WHAT, source=source)
        except JsonInputError as exc:
            raise UsageError(str(exc)) from None
        return cls.from_data(data, source, registry)

    @classmethod
    def read(cls, path: str, registry: OperationRegistry) -> Plan:
        """The plan file at `path` (given on the command line): bounded, one-line errors."""
        try:
            data = read_json(path, max_bytes=MAX_PLAN_BYTES, what=PLAN_WHAT)
        except JsonInputError as exc:
            raise UsageError(str(exc)) from None
        return cls.from_data(data, path, registry)

    @classmethod
    def from_data(cls, data: Any, source: str, registry: OperationRegistry) -> Plan:
        """A parsed plan file, every action checked against its operation."""
        if not isinstance(data, dict) or data.get("schema") != PLAN_SCHEMA:
            raise UsageError(f"{source}: not a ytm-doctor plan (schema {PLAN_SCHEMA} expected)")
        try:
            created = datetime.strptime(data["created"], ISO_SECONDS).replace(tzinfo=timezone.utc)
            fixes = data["fixes"]
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"{source}: malformed plan: {exc}") from None
        roots, host = data.get("roots") or {}, data.get("host") or ""
        if not isinstance(fixes, list):
            raise UsageError(f"{source}: malformed plan: fixes must be an array")
        if not isinstance(roots, dict) or not isinstance(host, str):
            raise UsageError(f"{source}: malformed plan: roots must be an object, host a string")
        fixes = [Fix.from_json(f) for f in fixes]
        for fix in fixes:
            for action in fix.actions:
                try:
                    registry.validate(action)
                except UsageError as exc:
                    raise UsageError(f"{source}: {exc}") from None
        return cls(
            created=created,
            fixes=fixes,
            roots={str(k): str(v) for k, v in roots.items()},
            host=host,
        )


def first_touches(actions: Iterable[Action], registry: OperationRegistry) -> list[PathRef]:
    """Every path the actions touch that exists before the fix runs, in order of first touch:
    what preconditions are taken on, and what is confined before the first action. A path
    beneath one an earlier action creates (a README in a directory the fix makes) is left out:
    before the fix it is not there, and it is checked again when its own action runs."""
    seen: list[PathRef] = []
    created: list[PathRef] = []
    for action in actions:
        for ref in action.touched():
            if ref not in seen and not any(ref.is_under(c) and ref != c for c in created):
                seen.append(ref)
        made = registry.get(action.op).creates(action)
        if made is not None:
            created.append(made)
    return seen
