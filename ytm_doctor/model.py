"""The plain data every part of ytm-doctor exchanges: severities, rules, findings, walk entries."""

from __future__ import annotations

import base64
import enum
import errno
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ytm_doctor.context import Context


class Severity(str, enum.Enum):
    """How urgent a finding is. Values are the strings used in every report."""

    VIOLATION = "violation"  # P0: must be fixed
    WARNING = "warning"  # P1
    INFO = "info"  # P2

    @property
    def rank(self) -> int:
        """0 for the most severe; used for sorting."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.VIOLATION: 0, Severity.WARNING: 1, Severity.INFO: 2}

ROOT_NAMES = ("workspace", "vault", "share", "planning", "drafts", "outbox")


@dataclass(frozen=True)
class Rule:
    """A rule's identity, declared once next to its check and read by every surface."""

    code: str
    name: str
    severity: Severity
    summary: str
    tags: tuple[str, ...] = ()
    fixer: str | None = None
    # Path of the Markdown page; None means the built-in page ssot/rules/<code>.md.
    docs: str | None = None
    # True when the rule can only be judged with the share online (its check stays silent
    # while the share is down): a finding it does not repeat then is unknown, not resolved,
    # and the scan carries it forward from the last report that did judge it.
    needs_share: bool = False

    def finding(
        self,
        message: str,
        *,
        root: str,
        path: str,
        abs_path: str,
        severity: Severity | None = None,
        channel: str | None = None,
        video: str | None = None,
        details: dict[str, Any] | None = None,
        unfixable: str | None = None,
    ) -> Finding:
        """A finding of this rule; `severity` overrides the default (the switches of SPEC §5);
        `unfixable` says why the rule's fixer cannot handle this instance (kept in details)."""
        details = dict(details or {})
        if unfixable:
            details["unfixable"] = unfixable
        return Finding(
            rule=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            root=root,
            path=path,
            abs_path=abs_path,
            channel=channel,
            video=video,
            details=details,
            fixable=unfixable is None,
        )


@dataclass
class Finding:
    """One problem, with everything an agent needs to act on it (SPEC §5)."""

    rule: str
    name: str
    severity: Severity
    message: str
    root: str
    path: str
    abs_path: str
    channel: str | None = None
    video: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # False when the rule's fixer cannot handle this instance; say why in details["unfixable"].
    fixable: bool = True
    # {"fixer", "preview", "apply"}; filled in by the session when the rule's fixer is registered.
    fix: dict[str, str] | None = None

    @property
    def episode(self) -> str | None:
        if self.channel and self.video:
            return f"{self.channel}-{self.video}"
        return None

    @cached_property
    def fingerprint(self) -> str:
        """Stable across runs and hosts: no absolute path, no time, no message text. Worked out
        once: a big report asks for it several times per finding (comparison, JSON, HTML), and
        nothing changes a finding's rule, root, path or episode once it is made."""
        key = "\0".join((self.rule, self.root, self.path, self.episode or ""))
        # os.fsencode's own encoding (UTF-8 with surrogateescape, on Linux and macOS) without
        # its checks: the same bytes, in a third of the time, 20,000 times for a big report.
        return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:24]

    def sort_key(self) -> tuple:
        return (self.severity.rank, self.rule, self.root, self.path, self.episode or "")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity.value,
            "message": display(self.message),
            "root": self.root,
            "path": display(self.path),
            "abs_path": display(self.abs_path),
            "channel": self.channel,
            "video": self.video,
            "episode": self.episode,
            "details": json_safe(self.details),
            "fingerprint": self.fingerprint,
            "fix": self.fix,
        }
        if has_undecodable(self.abs_path):
            data["abs_path_b64"] = base64.b64encode(os.fsencode(self.abs_path)).decode("ascii")
        return data


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def has_undecodable(text: str) -> bool:
    """True when a name came from disk with bytes that are not UTF-8 (held as surrogates)."""
    # isascii() first: most names are ASCII, and it costs far less than the search.
    return not text.isascii() and _UNDECODABLE.search(text) is not None


def display(text: str) -> str:
    """A name from disk made printable: every undecodable byte becomes the four characters \\xNN."""
    if text.isascii() or not has_undecodable(text):  # isascii(): the common case, without a call
        return text
    return "".join(
        f"\\x{ord(ch) - 0xDC00:02x}" if "\udc80" <= ch <= "\udcff" else ch for ch in text
    )


# What a terminal obeys instead of showing: C0 controls (ESC, newline, CR, BS), DEL, C1
# controls, and the bidi overrides and isolates that reorder the text after them; plus the
# undecodable bytes display() spells.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


def printable(text: str) -> str:
    """display() for the terminal: control characters too become \\xNN (\\uNNNN above 0xff),
    so a name is one line of plain text. A name holding ESC cannot recolour or clear the
    screen, and one holding a newline cannot print a line that looks like a finding."""
    return _UNPRINTABLE.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # the undecodable byte itself, as display() shows it
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


_PLAIN = (bool, int, float)


def json_safe(value: Any) -> Any:
    """Details made JSON-ready: strings escaped with display(), paths turned into strings."""
    if isinstance(value, str):
        return display(value)
    if value is None or value.__class__ in _PLAIN:
        return value  # the common leaves first, before the tests that cannot match them
    if isinstance(value, os.PathLike):
        return display(os.fspath(value))
    if isinstance(value, dict):
        # The leaves most details hold are done here: a call less per key and per value, for
        # every finding of a big report.
        out = {}
        for k, v in value.items():
            key = k if k.__class__ is str and k.isascii() else display(str(k))
            cls = v.__class__
            if cls is str:
                out[key] = v if v.isascii() else display(v)
            elif v is None or cls in _PLAIN:
                out[key] = v
            else:
                out[key] = json_safe(v)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, enum.Enum):
        return value.value
    return value


@dataclass(frozen=True)
class Subscription:
    """Which walk entries a check wants: by root name, entry kind and (optionally) subtree."""

    roots: tuple[str, ...]
    kinds: frozenset[str]  # any of "file", "dir", "link", "other"
    under: tuple[str, ...] = ()  # relative dir prefixes; empty means the whole root

    def wants(self, rel: str) -> bool:
        if not self.under:
            return True
        return any(rel == u or rel.startswith(u + "/") for u in self.under)


@dataclass(slots=True)
class Entry:
    """One lstat'ed entry of the shared walk. Links are never followed by the walk itself."""

    root: str  # the root's name: workspace, vault, share, ...
    rel: str  # path relative to that root, "/"-separated
    path: str  # absolute path
    name: str
    kind: str  # "file", "dir", "link" or "other"

    def readlink(self) -> str | None:
        """The link's target as written, or None when it vanished or is not a link."""
        try:
            return os.readlink(self.path)
        except OSError:
            return None

    def target_state(self) -> str:
        """For a link: "ok" when its target exists, "dangling", or "loop"."""
        try:
            os.stat(self.path)
        except FileNotFoundError:
            return "dangling"
        except NotADirectoryError:
            return "dangling"
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "loop"
            return "dangling"
        return "ok"


class Check:
    """A health check. Subclass it (or use the `check` decorator) and return it from the
    `ytm_doctor_collect_checks` hook.

    A check sees the world only through the shared Context and the walk entries it subscribed
    to; it never walks a tree itself. One instance serves one scan, so it may keep state between
    `visit` and `finish`.
    """

    rule: Rule
    subscriptions: tuple[Subscription, ...] = ()
    plugin: str = ""  # the plugin that provided it; set at collection

    def start(self, ctx: Context) -> None:
        """Called once before the walk."""

    def visit(self, entry: Entry, ctx: Context) -> Iterable[Finding]:
        """Called for every walk entry matching one of `subscriptions`."""
        return ()

    def finish(self, ctx: Context) -> Iterable[Finding]:
        """Called once after the walk; global checks do all their work here."""
        return ()
