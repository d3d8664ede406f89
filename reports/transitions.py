"""State changes worth one message each: the share going down and coming back, a disk crossing
its warn or stop threshold, the mirror failing or going stale and recovering.

A new violation is announced by the webhook when it first appears; a state is different: the
share stays down for hours and every scan of those hours finds it down, so it is announced when
it changes, once. The last announced state of each kind is remembered in
`<report_dir>/notify_state.json`. Only full scans update it (a scan narrowed to one rule or one
channel does not see every state, and must not flip one). A kind whose check did not run
cleanly in this scan keeps its state: a crashed check is not a recovered share.

A cool-down per kind (`notify.cooldown_minutes`) keeps a flapping share from flooding the
channel: after a message, that kind stays quiet for the cool-down, and the first full scan after
it announces the state it finds then (if it differs from the last one announced).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import write_atomic
from ytm_doctor.jsonio import MISSING, JsonInputError, dumps_json, read_json_object
from ytm_doctor.model import Severity

if TYPE_CHECKING:
    from ytm_doctor.model import Finding
    from ytm_doctor.report import Report

STATE_NAME = "notify_state.json"
STATE_SCHEMA = "ytm-doctor.notify-state.v1"
STATE_MAX_BYTES = 1 << 20  # a few kinds, a few hundred bytes each
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

SHARE_RULES = ("YTM101", "YTM102")
DISK_RULE = "YTM501"
MIRROR_RULE = "YTM703"
SHARE = "share"
MIRROR = "mirror"
DISK_PREFIX = "disk:"  # one kind per volume: disk:<mount point>

# What counts as nothing to say: a kind seen for the first time in this state is not news.
OK_STATES = {SHARE: "online", MIRROR: "ok", DISK_PREFIX: "ok"}
SHARE_STATUS = {"stub": "stub", "missing": "unmounted", "unmounted": "unmounted"}


@dataclass(frozen=True)
class Observed:
    """The state of one kind in this scan, and what its message needs to say about it."""

    kind: str
    state: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Entry:
    """What is remembered of one kind between scans."""

    observed: str  # the state the last full scan found
    since: str  # when that state was first found (a scan's start time)
    announced: str  # the state last announced (or taken as known: OK at first sight)
    announced_at: str | None = None  # when it was announced; None: never (no cool-down yet)

    def to_json(self) -> dict[str, Any]:
        return {
            "observed": self.observed,
            "since": self.since,
            "announced": self.announced,
            "announced_at": self.announced_at,
        }


def ok_state(kind: str) -> str:
    return OK_STATES[DISK_PREFIX if kind.startswith(DISK_PREFIX) else kind]


def _clean(report: Report) -> set[str]:
    """The rules whose check ran in this scan without raising."""
    return {o.code for o in report.outcomes if o.error is None}


def _by_rule(report: Report, code: str) -> list[Finding]:
    # Findings a baseline accepts are still facts about the share and the disks: a baseline
    # hides them from the exit code, not from a change of state.
    return [f for f in [*report.findings, *report.baselined] if f.rule == code]


def observe(report: Report, known: Iterable[str] = ()) -> dict[str, Observed]:
    """Each kind's state in `report`; kinds this scan cannot tell about are left out.

    `known` are the kinds remembered from earlier scans: a volume that was low and has no
    finding now is back to ok (YTM501 reports low volumes only)."""
    clean = _clean(report)
    found: dict[str, Observed] = {}
    share = _observe_share(report, clean)
    if share is not None:
        found[SHARE] = share
    if DISK_RULE in clean:
        for finding in _by_rule(report, DISK_RULE):
            disk = _observe_disk(finding)
            found[disk.kind] = disk
        for kind in known:
            if kind.startswith(DISK_PREFIX) and kind not in found:
                found[kind] = Observed(kind, "ok", {"volume": kind[len(DISK_PREFIX) :]})
    # YTM703 says nothing while the share is offline (no mirror can run): no state then.
    if MIRROR_RULE in clean and share is not None and share.state in ("online", "degraded"):
        found[MIRROR] = _observe_mirror(report)
    return found


def _observe_share(report: Report, clean: set[str]) -> Observed | None:
    if not all(code in clean for code in SHARE_RULES):
        return None
    root = str(report.config.get("share_root") or "")
    stub = _by_rule(report, "YTM101")
    if stub:
        status = str(stub[0].details.get("status") or "unmounted")
        return Observed(SHARE, SHARE_STATUS.get(status, "unmounted"), {"root": root})
    degraded = _by_rule(report, "YTM102")
    if degraded:
        problems = degraded[0].details.get("problems") or []
        return Observed(SHARE, "degraded", {"root": root, "problems": [str(p) for p in problems]})
    return Observed(SHARE, "online", {"root": root})


def _observe_disk(finding: Finding) -> Observed:
    details = finding.details
    volume = str(details.get("mountpoint") or finding.abs_path)
    stop = finding.severity is Severity.VIOLATION
    facts = {
        "volume": volume,
        "free_gib": details.get("free_gib"),
        "limit": details.get("stop_free_gib" if stop else "warn_free_gib"),
        "stop_free_gib": details.get("stop_free_gib"),
    }
    return Observed(DISK_PREFIX + volume, "stop" if stop else "warn", facts)


def _observe_mirror(report: Report) -> Observed:
    found = _by_rule(report, MIRROR_RULE)
    if not found:
        return Observed(MIRROR, "ok")
    details = found[0].details
    problem = details.get("problem")
    last_run = details.get("last_run") or {}
    last_success = details.get("last_success") or {}
    facts = {
        "message": found[0].message,
        "reason": last_run.get("reason"),
        "success_minutes_ago": last_success.get("minutes_ago"),
    }
    return Observed(MIRROR, "failing" if problem == "failed" else "stale", facts)


# --- remembering ------------------------------------------------------------------------------


def state_path(report_dir: Path) -> Path:
    return report_dir / STATE_NAME


def load_state(path: Path) -> tuple[dict[str, Entry], str | None]:
    """The remembered kinds, and why the file could not be used (None when it could, or when
    there is none yet). An unusable file is started afresh: at worst a state is announced
    once more."""
    try:
        data = read_json_object(path, max_bytes=STATE_MAX_BYTES, what="notification state")
    except JsonInputError as exc:
        return {}, None if exc.kind == MISSING else str(exc)
    kinds = data.get("kinds")
    if data.get("schema") != STATE_SCHEMA or not isinstance(kinds, dict):
        return {}, f"notification state {path}: not a {STATE_SCHEMA} file"
    entries = {}
    for kind, item in kinds.items():
        try:
            entries[str(kind)] = Entry(
                observed=str(item["observed"]),
                since=str(item["since"]),
                announced=str(item["announced"]),
                announced_at=None
                if item.get("announced_at") is None
                else str(item["announced_at"]),
            )
        except (KeyError, TypeError):
            continue  # one bad entry costs that kind a repeat at most
    return entries, None


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def save_state(path: Path, entries: dict[str, Entry]) -> None:
    data = {
        "schema": STATE_SCHEMA,
        "kinds": {kind: entries[kind].to_json() for kind in sorted(entries)},
    }
    write_atomic(path, dumps_json(data, indent=2) + "\n")


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


# --- deciding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One state to announce: the kind, what it was announced as before, and what it is."""

    observed: Observed
    before: str
    since: str


def decide(
    entries: dict[str, Entry],
    observed: dict[str, Observed],
    now: datetime,
    cooldown: timedelta,
) -> tuple[list[Change], dict[str, Entry]]:
    """The changes to announce now and the entries to remember, in a stable order (share,
    disks by volume, mirror) so that messages of one scan always come in the same order."""
    stamp = _time(now)
    remembered = dict(entries)
    changes = []
    for kind in sorted(observed, key=_order):
        seen = observed[kind]
        entry = remembered.get(kind)
        if entry is None:
            # First sight: an OK state is not news; anything else is announced as a change.
            entry = Entry(seen.state, stamp, ok_state(kind))
        elif entry.observed != seen.state:
            entry = Entry(seen.state, stamp, entry.announced, entry.announced_at)
        remembered[kind] = entry
        if seen.state == entry.announced:
            continue
        last = _parse(entry.announced_at)
        if last is not None and now - last < cooldown:
            continue  # announced within the cool-down: the state after it is told later
        changes.append(Change(seen, entry.announced, entry.since))
        remembered[kind] = Entry(seen.state, entry.since, seen.state, stamp)
    for kind, entry in list(remembered.items()):
        # A volume back to ok and announced so is forgotten once its cool-down is over (a
        # volume that is never low again must not stay in the file for ever).
        last = _parse(entry.announced_at)
        quiet = last is None or now - last >= cooldown
        if kind.startswith(DISK_PREFIX) and entry.observed == entry.announced == "ok" and quiet:
            del remembered[kind]
    return changes, remembered


def _order(kind: str) -> tuple[int, str]:
    if kind == SHARE:
        return 0, kind
    return (1, kind) if kind.startswith(DISK_PREFIX) else (2, kind)


# --- saying -----------------------------------------------------------------------------------


def _when(text: str) -> str:
    moment = _parse(text)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else text


def _gib(value: Any) -> str:
    return f"{float(value):g} GiB" if isinstance(value, (int, float)) else "? GiB"


def _duration(minutes: float) -> str:
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def describe(change: Change, warn_free_gib: float) -> str:
    """The change in one sentence (without the host: the caller puts it first)."""
    seen, since = change.observed, _when(change.since)
    facts = seen.facts
    if seen.kind == SHARE:
        root = facts.get("root") or "the share root"
        if seen.state == "stub":
            return f"the share is down (stub: README_MOUNTPOINT.txt at {root}) since {since}"
        if seen.state == "unmounted":
            return f"the share is down (not mounted at {root}) since {since}"
        if seen.state == "degraded":
            problems = "; ".join(facts.get("problems") or []) or "part of it is unusable"
            return f"the share is degraded since {since}: {problems}"
        return f"the share is back (online at {root}) since {since}"
    if seen.kind.startswith(DISK_PREFIX):
        volume = facts.get("volume")
        if seen.state == "ok":
            return f"disk {volume} is back above warn ({warn_free_gib:g} GiB)"
        text = (
            f"disk {volume} has {_gib(facts.get('free_gib'))} free, below {seen.state} "
            f"({_gib(facts.get('limit'))})"
        )
        if change.before == "stop" and seen.state == "warn":
            text += f"; back above stop ({_gib(facts.get('stop_free_gib'))})"
        return text
    if seen.state == "ok":
        return "the mirror is ok again"
    if seen.state == "stale":
        return f"the mirror is stale: {facts.get('message')}"
    ago = facts.get("success_minutes_ago")
    if isinstance(ago, (int, float)):
        failing = f"failing for {_duration(float(ago))}"
    else:
        failing = f"failing since {since} (no successful mirror recorded)"
    return f"the mirror is {failing}: {facts.get('reason') or 'see its run log'}"


@dataclass
class Plan:
    """What a saved full scan has to announce, and what to remember once it is on its way."""

    texts: list[str]
    entries: dict[str, Entry]
    changed: bool  # the entries differ from the file's: it is to be rewritten
    path: Path
    problem: str | None  # why the state file could not be used, if it could not


def plan(report: Report, report_dir: Path, cooldown_minutes: float, warn_free_gib: float) -> Plan:
    """The announcements of `report`, timed by the scan's start (one clock for all kinds)."""
    path = state_path(report_dir)
    entries, problem = load_state(path)
    observed = observe(report, entries)
    now = report.run.started
    changes, remembered = decide(entries, observed, now, timedelta(minutes=cooldown_minutes))
    texts = [describe(c, warn_free_gib) for c in changes]
    changed = {k: v.to_json() for k, v in entries.items()} != {
        k: v.to_json() for k, v in remembered.items()
    }
    return Plan(texts, remembered, changed, path, problem)
