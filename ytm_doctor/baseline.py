"""Baselines: accept today's findings so a scheduled scan fails only on new ones (SPEC §8).

`--write-baseline FILE` records the fingerprint of every finding of a scan; `--baseline FILE`
hides the findings whose fingerprint it holds. Fingerprints name the rule, the root, the path
relative to that root and the episode, never an absolute path or a time, so a baseline written
on the Mac still matches on the gateway, where the share is mounted elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.atomic import write_atomic
from ytm_doctor.clock import iso_seconds
from ytm_doctor.errors import UsageError
from ytm_doctor.jsonio import INVALID_JSON, MISSING, JsonInputError, read_json
from ytm_doctor.model import Finding, display

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.report import Report

BASELINE_SCHEMA = "ytm-doctor.baseline.v1"
_FINGERPRINT = re.compile(r"[0-9a-f]{24}")
# A baseline entry is ~150 bytes: this holds a million findings and refuses a video.
BASELINE_MAX_BYTES = 256 << 20


@dataclass(frozen=True)
class Baseline:
    path: Path
    fingerprints: frozenset[str]


def load_baseline(path: str | os.PathLike) -> Baseline:
    """Read a baseline file; anything missing or malformed is a one-line usage error."""
    where = Path(path).absolute()
    try:
        data = read_json(where, max_bytes=BASELINE_MAX_BYTES, what="baseline")
    except JsonInputError as exc:
        shown = display(str(where))
        if exc.kind == MISSING:
            raise UsageError(f"baseline {shown} does not exist") from None
        if exc.kind == INVALID_JSON:
            raise UsageError(f"baseline {shown} is not valid JSON: {exc.detail}") from None
        raise UsageError(f"baseline {shown} cannot be read: {exc.reason}") from None
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise UsageError(
            f"baseline {display(str(where))} is not a ytm-doctor baseline "
            f"(expected schema {BASELINE_SCHEMA!r}; write one with --write-baseline)"
        )
    entries = data.get("fingerprints")
    if not isinstance(entries, list):
        raise UsageError(f"baseline {display(str(where))}: 'fingerprints' must be a list")
    found = set()
    for number, entry in enumerate(entries, 1):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not _FINGERPRINT.fullmatch(fingerprint):
            raise UsageError(
                f"baseline {display(str(where))}: entry {number} has no valid fingerprint"
            )
        found.add(fingerprint)
    return Baseline(where, frozenset(found))


def baseline_document(findings: Iterable[Finding], created: datetime) -> dict[str, Any]:
    """The file's content: one entry per fingerprint, sorted, so it diffs well under git."""
    entries = {
        f.fingerprint: {
            "fingerprint": f.fingerprint,
            "rule": f.rule,
            "root": f.root,
            "path": display(f.path),
            "episode": f.episode,
        }
        for f in findings
    }
    ordered = sorted(
        entries.values(),
        key=lambda e: (e["rule"], e["root"], e["path"], e["episode"] or "", e["fingerprint"]),
    )
    return {
        "schema": BASELINE_SCHEMA,
        "created": iso_seconds(created.astimezone(timezone.utc)),
        "fingerprints": ordered,
    }


def check_writable(path: str | os.PathLike) -> None:
    """Refuse, before scanning, a baseline path that can never be written."""
    where = Path(path).absolute()
    if where.is_dir():
        raise UsageError(f"--write-baseline {display(str(where))} is a directory")
    if not where.parent.is_dir():
        raise UsageError(
            f"--write-baseline {display(str(where))}: directory {display(str(where.parent))} "
            "does not exist"
        )


def load_from_options(config: Config) -> Baseline | None:
    """--baseline read and --write-baseline checked up front: bad input stops the run before
    the scan, not after minutes of walking."""
    target = config.getoption("write_baseline")
    if target:
        check_writable(target)
    source = config.getoption("baseline")
    return load_baseline(source) if source else None


def apply_to_report(report: Report, config: Config, baseline: Baseline | None) -> None:
    """Write the baseline if asked, then hide what it (or the one just written) accepts."""
    target = config.getoption("write_baseline")
    if target:
        where = Path(target).absolute()
        every = report.findings + report.baselined
        document = baseline_document(every, report.run.started)
        try:
            write_atomic(where, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        except OSError as exc:
            raise UsageError(f"--write-baseline {display(str(where))}: {exc.strerror}") from None
        print(
            f"ytm-doctor: baseline of {len(document['fingerprints'])} findings written to "
            f"{display(str(where))}; they are accepted from now on",
            file=sys.stderr,
        )
        # What was just written is accepted: this run passes as the next one with it would.
        baseline = Baseline(where, frozenset(e["fingerprint"] for e in document["fingerprints"]))
    if baseline is not None:
        report.hide_baselined(baseline.fingerprints, baseline.path)
