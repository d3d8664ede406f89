"""The pytest-like terminal report: header, findings by severity, short summary, one last line
such as `1 violation, 12 warnings, 0 info in 0.41s`."""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from typing import TYPE_CHECKING, TextIO

from ytm_doctor.color import use_color
from ytm_doctor.model import Finding, Severity, printable
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.reports.output_path import stdout_format

if TYPE_CHECKING:
    from ytm_doctor.saved_reports import SavedReport

PER_RULE_LIMIT = 20  # past this, a rule's findings are counted, not listed (use -v or --json)
COLORS = {Severity.VIOLATION: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}es" if word.endswith(("x", "s")) else f"{n} {word}s"


class TerminalWriter:
    name = "terminal"

    def __init__(self, out: TextIO | None = None, color: str | None = None) -> None:
        """`color` is --color's value (auto, always, never; None is auto)."""
        self.out = out or sys.stdout
        self.color = use_color(color, self.out, os.environ)
        self.width = min(shutil.get_terminal_size((88, 24)).columns, 120)

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def rule_line(self, title: str, char: str = "=", code: str | None = None) -> None:
        title = f" {title} " if title else ""
        side = max(3, (self.width - len(title)) // 2)
        text = f"{char * side}{title}{char * side}"
        self.line(self.paint(text, code) if code else text)

    def write(self, report, config, saved: SavedReport | None = None) -> None:
        verbosity = int(config.getoption("verbose") or 0) - int(config.getoption("quiet") or 0)
        if verbosity >= 0:
            self._header(report)
            self._findings(report, verbose=verbosity > 0)
            self._unknown(report, verbose=verbosity > 0)
            self._errors(report, verbose=verbosity > 0)
            self._short_summary(report, saved)
        self.rule_line(self._final_words(report), code=self._final_color(report))

    def _header(self, report) -> None:
        cfg = report.config
        share = cfg["share"]
        self.rule_line(f"ytm-doctor {report.to_json()['tool']['version']}: scan")
        config_file = printable(cfg["config_file"] or "(none)")
        self.line(f"host {printable(report.run.host)} · config {config_file}")
        self.line(f"workspace {printable(cfg['workspace_root'])}")
        state = share["status"] + (f", {share['fstype']}" if share["fstype"] else "")
        self.line(f"share     {printable(cfg['share_root'])} [{printable(state)}]")
        scope = cfg["scope"]
        if scope["channel"]:
            video = f"-{scope['video']}" if scope["video"] else ""
            self.line(printable(f"scope     {scope['channel']}{video}"))
        deselected = f" ({report.deselected} deselected)" if report.deselected else ""
        self.line(f"collected {plural(len(report.outcomes), 'check')}{deselected}")
        skipped = [k for k, v in cfg["walks"].items() if "skipped" in v]
        for key in skipped:
            self.line(printable(f"not walked: {key} ({cfg['walks'][key]['skipped']})"))
        self.line()

    def _findings(self, report, verbose: bool) -> None:
        if verbose:
            for outcome in report.outcomes:
                status = (
                    "ERROR"
                    if outcome.error
                    else (plural(outcome.findings, "finding") if outcome.findings else "ok")
                )
                self.line(f"{outcome.code} {outcome.name} ".ljust(44, ".") + f" {status}")
            self.line()
        shown: Counter[str] = Counter()
        hidden: Counter[str] = Counter()
        for finding in report.findings:
            if finding.severity is Severity.INFO and not verbose:
                hidden[finding.rule] += 1
                continue
            shown[finding.rule] += 1
            if shown[finding.rule] > PER_RULE_LIMIT and not verbose:
                hidden[finding.rule] += 1
                continue
            self._finding(finding)
        if hidden:
            parts = ", ".join(f"{code}: {n}" for code, n in sorted(hidden.items()))
            self.line(f"not listed ({parts}): use -v or --json to see them")
            self.line()

    def _finding(self, f: Finding) -> None:
        label = self.paint(f.severity.value.upper().ljust(9), COLORS[f.severity])
        where = f"{f.root}:{printable(f.path)}"
        # Every part that may come from disk or a plugin is made printable: a name holding a
        # newline must not print a second line that reads as a finding.
        episode = f" [{printable(f.episode)}]" if f.episode else ""
        self.line(f"{label} {printable(f'{f.rule} {f.name}')}  {where}{episode}")
        self.line(f"    {printable(f.message)}")
        if f.fix:
            self.line(f"    fix: {printable(f.fix['apply'])}")
        elif f.details.get("unfixable"):
            self.line(f"    fix: not automatic: {printable(str(f.details['unfixable']))}")
        self.line()

    def _unknown(self, report, verbose: bool) -> None:
        """Previous findings this scan could not judge, apart from the ones it found: they are
        neither found again nor resolved, only last seen at their time."""
        if not report.unknown:
            return
        self.rule_line("not checked this time (share down or check error)", "-")
        shown: Counter[str] = Counter()
        hidden = 0
        for item in report.unknown:
            rule = str(item.get("rule"))
            shown[rule] += 1
            if shown[rule] > PER_RULE_LIMIT and not verbose:
                hidden += 1
                continue
            episode = f" [{item['episode']}]" if item.get("episode") else ""
            self.line(
                printable(
                    f"UNKNOWN   {rule} {item.get('name')}  {item.get('root')}:{item.get('path')}"
                    f"{episode}"
                )
            )
            self.line(
                printable(f"    {item.get('severity')}, last seen {item.get('unknown_since')}: ")
                + printable(str(item.get("message")))
            )
        if hidden:
            self.line(f"{hidden} more not listed: use -v or --json to see them")
        self.line()

    def _errors(self, report, verbose: bool = False) -> None:
        if not report.errors:
            return
        self.rule_line("errors", "-")
        for error in report.errors:
            where = str(error.get("check") or error.get("root") or "")
            path = error.get("path")
            if path:
                where += f":{path}"
            self.line(printable(f"{error['kind']:<6} {where}  {error['message']}"))
            if verbose and error.get("traceback"):
                # Only under -v: a scan's summary stays one line per error.
                for text in str(error["traceback"]).rstrip("\n").splitlines():
                    self.line(printable(f"    {text}"))
        self.line()

    def _short_summary(self, report, saved: SavedReport | None) -> None:
        counts = Counter(f.rule for f in report.findings)
        if not counts:
            return
        self.rule_line("short summary", "-")
        severities = {f.rule: f.severity for f in report.findings}
        names = {o.code: o.name for o in report.outcomes}
        for code in sorted(counts, key=lambda c: (severities[c].rank, c)):
            self.line(
                printable(f"{code} {names.get(code, '')}").ljust(40)
                + f"{severities[code].value:<10}"
                f"{counts[code]:>6}"
            )
        # Named only once it is there: a writer that failed (a full disk) saved nothing.
        if saved is not None and saved.json.is_file():
            self.line(f"report: {printable(str(saved.json))}")

    def _final_words(self, report) -> str:
        parts = [
            plural(report.count(Severity.VIOLATION), "violation"),
            plural(report.count(Severity.WARNING), "warning"),
            plural(report.count(Severity.INFO), "info"),
        ]
        if report.checks_errored:
            parts.append(plural(report.checks_errored, "check error"))
        if report.baselined:
            parts.append(f"{len(report.baselined)} baselined")
        if report.unknown:
            parts.append(f"{len(report.unknown)} unknown")
        if report.previous is not None and (report.new or report.resolved):
            parts.append(f"{len(report.new)} new, {len(report.resolved)} resolved")
        return ", ".join(parts) + f" in {report.run.duration:.2f}s"

    def _final_color(self, report) -> str | None:
        if report.count(Severity.VIOLATION) or report.checks_errored or report.unknown_failing:
            return "31"
        return "33" if report.count(Severity.WARNING) else "32"


# Last: the summary is the final word on the terminal, written once the files it names are.
@hookimpl(trylast=True)
def ytm_doctor_write_report(report, config, saved: SavedReport | None) -> None:
    if stdout_format(config) != "text":
        return  # stdout belongs to the report --json or --output-format chose
    TerminalWriter(color=config.getoption("color")).write(report, config, saved)
