"""Findings this scan could not judge, carried forward from the last report that did.

While the share is down the scan skips the Vault and the share, and the rules that need the
share stay silent; a check that errors says nothing either. Their silence is not a clean bill:
a previous finding that falls there is carried into this report as `status: "unknown"`, with
`unknown_since` set to the start of the last scan that judged it. A carried finding is never
"resolved" now, and it is not "new" when its root comes back, since latest.json keeps it and the
next comparison reads it as seen before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ytm_doctor.model import Severity

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Unchecked:
    """What this scan did not look at: roots it did not walk, rules that could not judge."""

    roots: frozenset[str] = frozenset()  # root names (vault, share) skipped with the share down
    rules: frozenset[str] = frozenset()  # codes that errored, or need the share while it is down

    def covers(self, item: Mapping[str, Any]) -> bool:
        return item.get("root") in self.roots or item.get("rule") in self.rules

    def __bool__(self) -> bool:
        return bool(self.roots or self.rules)


def unchecked_for(
    *,
    share_online: bool,
    skipped_roots: Iterable[str],
    errored: Iterable[str],
    needs_share: Iterable[str],
) -> Unchecked:
    """The session's view of what went unjudged. `skipped_roots` are root names not walked
    because the share is down (a Vault folder simply missing on an online share is judged: its
    own rule reports it, and what lay under it is gone)."""
    rules = set(errored)
    if not share_online:
        rules.update(needs_share)
    return Unchecked(roots=frozenset(skipped_roots), rules=frozenset(rules))


def carried(item: Mapping[str, Any], checked_at: str | None) -> dict[str, Any]:
    """A previous finding as this report carries it. A finding carried already keeps its
    original time: it has been unknown since the last scan that judged it, not the last scan."""
    out = dict(item)
    # `new` said whether the scan that found it had seen it before; this scan did not find it.
    out.pop("new", None)
    out["status"] = UNKNOWN
    out["unknown_since"] = item.get("unknown_since") or checked_at
    return out


def previous_items(previous: Mapping[str, Any]) -> list[tuple[dict[str, Any], bool]]:
    """Every fingerprinted finding of a saved report with whether it may be carried: its
    findings and the ones it carried itself may; the ones its baseline hid are only remembered
    (a baseline decides about those, not the share)."""
    hidden = previous.get("baselined")
    accepted = hidden.get("findings") if isinstance(hidden, dict) else None
    unknown = previous.get(UNKNOWN)
    out: list[tuple[dict[str, Any], bool]] = []
    for items, may_carry in (
        (previous.get("findings"), True),
        (unknown, True),
        (accepted, False),
    ):
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get("fingerprint"), str):
                out.append((item, may_carry))
    return out


def severity_of(item: Mapping[str, Any]) -> Severity | None:
    try:
        return Severity(item.get("severity"))
    except ValueError:
        return None


def sort_key(item: Mapping[str, Any]) -> tuple:
    severity = severity_of(item)
    rank = severity.rank if severity is not None else len(Severity)
    return (rank, str(item.get("rule")), str(item.get("root")), str(item.get("path")))
