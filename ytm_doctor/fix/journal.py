"""The journal of one `--run` (what was done, and how to undo it) and the audit log.

journal__<run_id>.jsonl: a header line, then for every action a "begin" line before it touches
the disk and a "done" line after, each flushed and fsynced, so that even a crash half-way leaves
a record `ytm-doctor undo` can use. audit.jsonl: one line per --run and per break-glass override.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import file_stamp, now_iso_micros, utc_now
from ytm_doctor.errors import UsageError
from ytm_doctor.identity import current_user, host_name
from ytm_doctor.jsonio import JsonInputError, dumps_json, loads_json_object

if TYPE_CHECKING:
    from ytm_doctor.lock import Lock

JOURNAL_PREFIX = "journal__"
AUDIT_NAME = "audit.jsonl"


def new_run_id() -> str:
    return f"{file_stamp(utc_now())}-{os.urandom(3).hex()}"


def _append_line(path: Path, record: dict[str, Any]) -> None:
    line = dumps_json(record) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8", "surrogateescape"))
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """Append-only, durable record of one run."""

    def __init__(self, log_dir: Path, run_id: str, header: dict[str, Any]) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.run_id = run_id
        self.path = log_dir / f"{JOURNAL_PREFIX}{run_id}.jsonl"
        self.seq = 0
        _append_line(
            self.path, {"type": "run", "run_id": run_id, "started": now_iso_micros(), **header}
        )

    def begin(self, fix_index: int, action: dict[str, Any], inverse: dict[str, Any]) -> int:
        self.seq += 1
        _append_line(
            self.path,
            {
                "type": "begin",
                "seq": self.seq,
                "fix": fix_index,
                "time": now_iso_micros(),
                "action": action,
                "inverse": inverse,
            },
        )
        return self.seq

    def done(self, seq: int, inverse_update: dict[str, Any] | None = None) -> None:
        """The action completed; `inverse_update` adds what only the action could know (the
        manifest of a copied tree)."""
        record: dict[str, Any] = {"type": "done", "seq": seq, "time": now_iso_micros()}
        if inverse_update:
            record["inverse_update"] = inverse_update
        _append_line(self.path, record)

    def note(self, record: dict[str, Any]) -> None:
        _append_line(self.path, {"type": "note", "time": now_iso_micros(), **record})


@dataclass
class JournalEntry:
    seq: int
    fix: int
    action: Any  # a dict as ytm-doctor writes it; undo checks before it trusts one
    inverse: Any
    done: bool
    line: int = 0  # where it is in the journal file, for messages
    malformed: str = ""  # why its done line cannot be used (empty: it can)


@dataclass
class JournalRecord:
    path: Path
    header: dict[str, Any]
    entries: list[JournalEntry] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    # Lines that begin an action but name no fix or sequence number: which fix they belong to
    # is unknown, so undo refuses the whole run rather than miss one.
    damaged: list[int] = field(default_factory=list)


def read_journal(log_dir: Path, run_id: str) -> JournalRecord:
    """A run's journal. A torn last line (a crash while writing) is ignored."""
    if "/" in run_id or run_id.startswith("."):
        raise UsageError(f"{run_id!r} is not a run id")
    path = log_dir / f"{JOURNAL_PREFIX}{run_id}.jsonl"
    try:
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except FileNotFoundError:
        raise UsageError(
            f"no journal for run {run_id} in {log_dir} (`ytm-doctor undo --list` shows the runs)"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    record = JournalRecord(path=path, header={})
    by_seq: dict[int, JournalEntry] = {}
    for number, line in enumerate(lines, start=1):
        where = f"{path}:{number}"
        try:
            item = loads_json_object(line, what="journal line", source=where)
        except JsonInputError:
            continue  # torn by a crash while writing: its action is not recorded as done
        _read_line(record, by_seq, item, number)
    if not record.header:
        raise UsageError(f"{path} is not a ytm-doctor journal")
    return record


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_line(
    record: JournalRecord, by_seq: dict[int, JournalEntry], item: dict[str, Any], number: int
) -> None:
    """One parsed line into `record`. Nothing here trusts a field's type: a journal may have
    been edited or damaged, and reading it must still list the run and let undo refuse."""
    kind = item.get("type")
    if kind == "run":
        record.header = item
    elif kind == "begin":
        seq, fix = item.get("seq"), item.get("fix")
        if not (_is_int(seq) and _is_int(fix)):
            record.damaged.append(number)
            return
        entry = JournalEntry(seq, fix, item.get("action"), item.get("inverse"), False, number)
        by_seq[seq] = entry
        record.entries.append(entry)
    elif kind == "done" and _is_int(item.get("seq")) and item["seq"] in by_seq:
        entry = by_seq[item["seq"]]
        entry.done = True
        update = item.get("inverse_update") or {}
        if isinstance(update, dict) and isinstance(entry.inverse, dict):
            entry.inverse.update(update)
        else:
            entry.malformed = f"its done line {number} does not hold an object"
    elif kind == "note":
        record.notes.append(item)


def list_runs(log_dir: Path) -> list[JournalRecord]:
    runs = []
    for path in sorted(log_dir.glob(f"{JOURNAL_PREFIX}*.jsonl")):
        run_id = path.name[len(JOURNAL_PREFIX) : -len(".jsonl")]
        try:
            runs.append(read_journal(log_dir, run_id))
        except UsageError:
            continue
    return runs


def audit(log_dir: Path, record: dict[str, Any]) -> None:
    """Who did what, where, when and why: one line per --run and per override."""
    log_dir.mkdir(parents=True, exist_ok=True)
    _append_line(
        log_dir / AUDIT_NAME,
        {"time": now_iso_micros(), "user": current_user(), "host": host_name(), **record},
    )


def audit_takeover(log_dir: Path, lock: Lock, command: str) -> None:
    """When `lock` was taken over from a stale owner: one line on stderr and one in the audit
    log (which must not stop the command that took it). Nothing when the lock was free."""
    if lock.took_over is None:
        return
    from ytm_doctor.lock import takeover_record

    print(
        f"ytm-doctor: took over a stale {lock.name} lock from {lock.took_over.describe()}",
        file=sys.stderr,
    )
    with contextlib.suppress(OSError):
        audit(log_dir, takeover_record(lock, command))
