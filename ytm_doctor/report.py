"""The report of one scan: findings, summary, errors, and what changed since the previous one."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from json import JSONEncoder
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from ytm_doctor import __version__
from ytm_doctor.carry import UNKNOWN, Unchecked, carried, previous_items, severity_of, sort_key
from ytm_doctor.clock import iso_millis
from ytm_doctor.encode_fork import write_joined
from ytm_doctor.errors import ExitCode
from ytm_doctor.identity import report_host
from ytm_doctor.jsonio import MISSING, NOT_OBJECT, JsonInputError, read_json_object
from ytm_doctor.jsontext import dumps_indented
from ytm_doctor.model import Check, Finding, Severity, display, json_safe
from ytm_doctor.next_step import NextSteps

if TYPE_CHECKING:
    from ytm_doctor.config import Config

SCHEMA_VERSION = 1
REPORT_PREFIX = "report__"
LATEST_NAME = "latest.json"
# Read back to compare with: 50,000 findings are some 40 MB; anything far larger is not ours.
LATEST_MAX_BYTES = 512 << 20


class ReportWriter(Protocol):
    name: str

    def write(self, report: Report, config: Config) -> None: ...


@dataclass(frozen=True)
class ReportRule:
    """A rule of the scan's catalogue as the writers need it (SARIF's rule list, the HTML
    report's rule pages): plain data carried by the report, so no writer collects the checks
    again (a plugin's collection may be slow, or fail the second time)."""

    code: str
    name: str
    severity: Severity
    summary: str
    tags: tuple[str, ...] = ()
    fixer: str | None = None
    docs: str | None = None  # the page's path; None: the built-in ssot/rules/<code>.md
    plugin: str = ""
    selected: bool = True  # False: collected, but left out by --select/--ignore/-k/--lf
    needs_share: bool = False  # judged only while the share is online (Rule.needs_share)

    @classmethod
    def of(cls, check: Check, *, selected: bool) -> ReportRule:
        rule = check.rule
        return cls(
            code=rule.code,
            name=rule.name,
            severity=rule.severity,
            summary=rule.summary,
            tags=tuple(rule.tags),
            fixer=rule.fixer,
            docs=rule.docs,
            plugin=check.plugin,
            selected=selected,
            needs_share=rule.needs_share,
        )


@dataclass
class CheckOutcome:
    """What one check did in this scan."""

    code: str
    name: str
    plugin: str
    findings: int = 0
    error: str | None = None


@dataclass
class RunInfo:
    id: str
    started: datetime
    ended: datetime | None = None
    host: str = field(default_factory=report_host)
    argv: list[str] = field(default_factory=list)

    @property
    def stamp(self) -> str:
        return self.started.strftime("%Y%m%dT%H%M%SZ")

    @property
    def duration(self) -> float:
        return ((self.ended or self.started) - self.started).total_seconds()


def new_run(argv: list[str]) -> RunInfo:
    started = datetime.now(timezone.utc)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{os.urandom(3).hex()}"
    return RunInfo(id=run_id, started=started, argv=list(argv))


@dataclass
class Report:
    run: RunInfo
    config: dict[str, Any]  # resolved roots and share state
    outcomes: list[CheckOutcome]
    findings: list[Finding]
    errors: list[dict[str, Any]]
    deselected: int = 0
    exit_zero: bool = False
    previous: str | None = None
    new: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    # Where the JSON writer saved this report, once it has; writers and notifiers are given
    # the place up front instead (saved_reports.SavedReport) and need not wait for it.
    saved_to: Path | None = None
    full_scan: bool = True  # every rule, every channel: such a report becomes latest.json
    fail_on: Severity = Severity.VIOLATION  # --fail-on: the least severe finding that fails
    # --baseline: the findings it accepts, kept out of `findings`, the counts and the exit code.
    baselined: list[Finding] = field(default_factory=list)
    baseline_file: Path | None = None
    # Every collected rule in catalogue order (by code), the deselected ones too: SARIF lists
    # them all. Not part of the JSON report.
    rules: list[ReportRule] = field(default_factory=list)
    # Previous findings this scan could not judge (a root not walked, a rule that could not
    # run), as JSON items with status "unknown" and unknown_since (ytm_doctor.carry). Kept out
    # of `findings` and the severity counts; saved so the next scan still knows them.
    unknown: list[dict[str, Any]] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def checks_errored(self) -> int:
        return sum(1 for o in self.outcomes if o.error)

    def failing(self, severity: Severity | None) -> bool:
        """Whether a finding of this severity fails the scan under --fail-on."""
        return severity is Severity.VIOLATION or (
            severity is Severity.WARNING and self.fail_on is Severity.WARNING
        )

    @property
    def unknown_failing(self) -> int:
        """Carried findings that failed the scan when last judged."""
        return sum(1 for item in self.unknown if self.failing(severity_of(item)))

    @property
    def exit_code(self) -> ExitCode:
        if not self.outcomes:
            return ExitCode.NO_CHECKS
        if self.checks_errored:
            return ExitCode.VIOLATIONS  # --exit-zero forgives violations, not broken checks
        failing = self.count(Severity.VIOLATION)
        if self.fail_on is Severity.WARNING:
            failing += self.count(Severity.WARNING)
        # A violation last seen before the share went down is not counted as found now, but it
        # is not fixed either: exit 0 would tell a scheduled scan all is well when the scan
        # could not look. Like a failure pytest has not re-run, it keeps the exit at 1.
        failing += self.unknown_failing
        if failing and not self.exit_zero:
            return ExitCode.VIOLATIONS
        return ExitCode.OK

    def hide_baselined(self, fingerprints: Collection[str], source: Path) -> None:
        """Move the findings a baseline accepts out of `findings` and the per-check counts."""
        self.baseline_file = source
        outcomes = {o.code: o for o in self.outcomes}
        kept = []
        for finding in self.findings:
            if finding.fingerprint not in fingerprints:
                kept.append(finding)
                continue
            self.baselined.append(finding)
            if finding.rule in outcomes:
                outcomes[finding.rule].findings -= 1
        self.findings = kept

    def summary(self) -> dict[str, Any]:
        by_rule: dict[str, int] = {}
        for f in self.findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        episodes = {f.episode for f in self.findings if f.severity is Severity.VIOLATION}
        episodes.discard(None)
        unknown: dict[str, int] = {}
        for item in self.unknown:
            key = str(item.get("severity"))
            unknown[key] = unknown.get(key, 0) + 1
        return {
            "violations_total": self.count(Severity.VIOLATION),
            "warnings_total": self.count(Severity.WARNING),
            "info_total": self.count(Severity.INFO),
            "episodes_with_violations": len(episodes),
            "by_rule": dict(sorted(by_rule.items())),
            "unknown_total": len(self.unknown),
            "unknown_by_severity": dict(sorted(unknown.items())),
            "checks_run": len(self.outcomes),
            "checks_errored": self.checks_errored,
            "checks_deselected": self.deselected,
            "exit_code": int(self.exit_code),
        }

    def to_json(self) -> dict[str, Any]:
        data = self.to_json_head()
        as_json = self.finding_writer()
        data["findings"] = [as_json(f) for f in self.findings]
        return data

    def finding_writer(self) -> Callable[[Finding], dict[str, Any]]:
        """A finding as the JSON report writes it: its own fields, `new` (not in the previous
        report this scan compared with) and, when no fix is offered, `next_step`: what the
        operator does instead (from the rule's page, worked out once per rule)."""
        new = set(self.new)
        steps = NextSteps(self.rules)

        def as_json(finding: Finding) -> dict[str, Any]:
            data = finding.to_json()
            data["new"] = finding.fingerprint in new
            if data["fix"] is None:
                data["next_step"] = steps(finding.rule)
            return data

        return as_json

    def to_json_head(self) -> dict[str, Any]:
        """Everything but the findings' content (a placeholder keeps the key order)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "ytm-doctor", "version": __version__},
            "run": {
                "id": self.run.id,
                "started": iso_millis(self.run.started),
                "ended": iso_millis(self.run.ended or self.run.started),
                "duration_s": round(self.run.duration, 3),
                "host": self.run.host,
                "argv": [display(a) for a in self.run.argv],
            },
            "config": json_safe(self.config),
            "summary": self.summary(),
            "checks": [
                {
                    "code": o.code,
                    "name": o.name,
                    "plugin": o.plugin,
                    "findings": o.findings,
                    "error": o.error,
                }
                for o in self.outcomes
            ],
            "findings": None,
            "errors": json_safe(self.errors),
            "previous_report": self.previous,
            "new": self.new,
            "resolved": self.resolved,
            UNKNOWN: json_safe(self.unknown),
            "baselined": None
            if self.baseline_file is None
            else {
                "file": display(str(self.baseline_file)),
                "count": len(self.baselined),
                "findings": [self.finding_writer()(f) for f in self.baselined],
            },
        }

    def dumps(self) -> str:
        out = io.StringIO()
        self.write_json(out)
        return out.getvalue()

    def write_json(self, out: TextIO) -> None:
        """The JSON report, written finding by finding: memory stays flat however many findings
        there are. It is laid out as json.dumps(indent=2) lays it out, but for each finding,
        which is one line: a report is grepped and diffed line by line, and json's C encoder
        writes compact text only, ten times as fast as its indenting one (a scan with 20,000
        findings spent half a second laying them out)."""
        data = self.to_json_head()
        as_json = self.finding_writer()
        keys = list(data)
        out.write("{\n")
        for i, key in enumerate(keys):
            comma = "," if i < len(keys) - 1 else ""
            if key == "findings":
                self._write_findings(out, as_json)
                out.write(comma + "\n")
                continue
            out.write(f"  {dumps_indented(key)}: {dumps_indented(data[key], '  ')}{comma}\n")
        out.write("}\n")

    def _write_findings(self, out: TextIO, as_json: Callable[[Finding], dict[str, Any]]) -> None:
        # In chunks (one write per finding costs more than the encoding on a big report, one
        # write of everything would hold the whole text in memory), a big report's second half
        # encoded on another core (ytm_doctor.encode_fork).
        if not self.findings:
            out.write('  "findings": []')
            return
        out.write('  "findings": [\n    ')
        one_line = JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
        write_joined(self.findings, lambda f: one_line(as_json(f)), ",\n    ", out.write)
        out.write("\n  ]")


def load_previous(report_dir: Path, *, warn: bool = True) -> dict[str, Any] | None:
    """The last saved report (latest.json), or None when there is none or it cannot be used.

    A latest.json that is torn, huge, nested too deeply or not a report is one warning line
    (with `warn`) and counts as no previous report: every finding is new this once, and the
    saving scan replaces it, so one bad file never breaks the scans after it."""
    path = report_dir / LATEST_NAME
    if not os.path.lexists(path):  # no report yet, or no report dir (its writers will say)
        return None
    try:
        data = read_json_object(path, max_bytes=LATEST_MAX_BYTES, what="previous report")
        if not isinstance(data.get("findings"), list):
            raise JsonInputError(NOT_OBJECT, "previous report", os.fspath(path), "has no findings")
    except JsonInputError as exc:
        if warn and exc.kind != MISSING:
            print(
                f"ytm-doctor: warning: {exc}; compared with no previous report "
                "(a saving scan replaces it)",
                file=sys.stderr,
            )
        return None
    return data


def compare_with_previous(
    report: Report,
    previous: dict[str, Any] | None,
    scope,
    unchecked: Unchecked | None = None,
) -> None:
    """Fill `new`, `resolved` and `unknown`. A previous finding counts as resolved only when its
    rule ran this time, its episode is inside this scan's scope and nothing `unchecked` covers
    it; one that `unchecked` covers is carried into `unknown` instead (ytm_doctor.carry)."""
    unchecked = unchecked or Unchecked()
    # Findings a baseline hides are still there: neither new next time nor resolved now.
    current = {f.fingerprint for f in report.findings + report.baselined}
    if previous is None:
        report.new = sorted(current)
        report.resolved = []
        return
    run = previous.get("run") if isinstance(previous.get("run"), dict) else {}
    report.previous = run.get("id")
    checked_at = run.get("started")
    selected = {o.code for o in report.outcomes}
    ran = {o.code for o in report.outcomes if not o.error}
    before: set[str] = set()
    resolved: set[str] = set()
    unknown: dict[str, dict[str, Any]] = {}
    for item, may_carry in previous_items(previous):
        fp = item["fingerprint"]
        before.add(fp)
        if fp in current or fp in unknown:
            continue
        if not scope.includes(item.get("channel"), item.get("video")):
            continue  # outside --channel/--video: we simply did not look
        if unchecked.covers(item):
            if may_carry and item.get("rule") in selected:
                unknown[fp] = carried(item, checked_at)
        elif item.get("rule") in ran:
            resolved.add(fp)
    report.new = sorted(current - before)
    report.resolved = sorted(resolved)
    report.unknown = sorted(unknown.values(), key=sort_key)


def rules_with_findings(previous: dict[str, Any] | None) -> set[str] | None:
    """For --lf: the codes that had findings in the previous report (None: no previous)."""
    if previous is None:
        return None
    # A carried finding is a failure not yet seen fixed: --lf runs its rule again too.
    return {item.get("rule") for item, own in previous_items(previous) if own and item.get("rule")}


def outcome_for(check: Check) -> CheckOutcome:
    return CheckOutcome(code=check.rule.code, name=check.rule.name, plugin=check.plugin)
