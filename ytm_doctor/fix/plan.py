"""Plans: what a fixer intends to do, as typed actions with the preconditions they rely on.

A plan is data. It is printed by `ytm-doctor fix` (changing nothing), saved by `--plan-out`, and
executed by the Executor, which alone touches the disk. Paths in a plan are (root name, relative
path) pairs, resolved against the roots configured when the plan is *applied*, so a plan file
cannot name a place outside them.
"""

from __future__ import annotations

import base64
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
        # Strings only: str() would turn a number or a list into a path nobody wrote.
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), str) for k in ("root", "rel")
        ):
            raise UsageError(f"plan path {data!r} must be an object with root and rel strings")
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
        if not isinstance(data, dict) or not isinstance(data.get("op"), str):
            raise UsageError(f"plan action {data!r} has no op")
        try:
            raw = base64.b64decode(data["data_b64"], validate=True) if "data_b64" in data else None
        except ValueError:
            raise UsageError("plan action data is not valid base64") from None
        action = cls(
            op=data["op"],
            path=PathRef.from_json(data.get("path")),
            dest=PathRef.from_json(data["dest"]) if "dest" in data else None,
            source=PathRef.from_json(data["source"]) if "source" in data else None,
            target=data.get("target"),
            data=raw,
            note=str(data.get("note", "")),
            options=data.get("options"),
            sha256=data.get("sha256"),
        )
        if action.options is not None and not isinstance(action.options, dict):
            raise UsageError(f"plan action {action.op} options must be an object")
        if action.target is not None and ("\0" in action.target or not action.target):
            raise UsageError(f"plan action {action.op} has an invalid link target")
        return action


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
            raise UsageError("plan fix must be an object")
        try:
            return cls(
                fixer=str(data["fixer"]),
                rule=str(data["rule"]),
                title=str(data.get("title", "")),
                actions=[Action.from_json(a) for a in data["actions"]],
                fingerprints=[str(f) for f in data.get("fingerprints", [])],
                channel=data.get("channel"),
                video=data.get("video"),
                stage=data.get("stage"),
                destructive=bool(data.get("destructive", False)),
                preconditions=[
                    (PathRef.from_json(p["path"]), dict(p["state"]))
                    for p in data.get("preconditions", [])
                ],
            )
        except (KeyError, TypeError) as exc:
            raise UsageError(f"plan fix is malformed: {exc}") from None


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
            fixes = [Fix.from_json(f) for f in data["fixes"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"{source}: malformed plan: {exc}") from None
        for fix in fixes:
            for action in fix.actions:
                try:
                    registry.validate(action)
                except UsageError as exc:
                    raise UsageError(f"{source}: {exc}") from None
        return cls(
            created=created,
            fixes=fixes,
            roots=dict(data.get("roots") or {}),
            host=str(data.get("host", "")),
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
