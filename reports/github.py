"""GitHub Actions annotations (`--output-format github`): one workflow command per finding on
stdout, which the Actions runner turns into an annotation on the run and, for a file of the
repository, on that file.

The documented syntax (docs.github.com, "Workflow commands for GitHub Actions"):

    ::error file={name},line={line},endLine={endLine},title={title}::{message}
    ::warning file={name},line={line},endLine={endLine},title={title}::{message}
    ::notice file={name},line={line},endLine={endLine},title={title}::{message}

Escaping is the one of GitHub's own toolkit (actions/toolkit, packages/core/src/command.ts):
the message (`escapeData`) has % -> %25, CR -> %0D, LF -> %0A; a property value
(`escapeProperty`) additionally : -> %3A and , -> %2C, since those separate properties.

A finding is a file or directory, not a line: line=1 places it. `file=` is the path relative to
$GITHUB_WORKSPACE (the checkout the runner links annotations to) when the finding lies inside it,
else relative to the current directory when inside that, else absolute: a path outside the
repository still names the file in the annotation's text, it just has no link.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ytm_doctor.model import Finding, Severity, display
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.reports.output_path import stdout_format

COMMANDS = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
WORKSPACE_ENV = "GITHUB_WORKSPACE"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, properties: dict[str, str], message: str) -> str:
    """One `::command key=value,...::message` line, escaped as the toolkit does."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def annotation_path(path: Path, base: Path | None) -> str:
    """`path` as `file=` wants it: relative to `base` (the repository) when inside it."""
    for anchor in (base, Path.cwd()):
        if anchor is None:
            continue
        try:
            return display(str(path.relative_to(anchor)))
        except ValueError:
            continue
    return display(str(path))


def finding_line(finding: Finding, roots: dict[str, Path], base: Path | None) -> str:
    root = roots.get(finding.root)
    path = (root / finding.path) if root is not None else Path(finding.root) / finding.path
    message = display(finding.message)
    if finding.fix:
        message += f"\nfix: {display(finding.fix['apply'])}"
    return workflow_command(
        COMMANDS[finding.severity],
        {"file": annotation_path(path.absolute(), base), "line": "1", "title": finding.rule},
        message,
    )


def error_line(error: dict) -> str:
    """A problem of the run itself (a check that raised, an unreadable directory)."""
    where = str(error.get("check") or error.get("root") or "")
    if error.get("path"):
        where += f":{error['path']}"
    title = f"ytm-doctor {error.get('kind', 'error')} error"
    command = "error" if error.get("kind") == "check" else "warning"
    return workflow_command(
        command, {"title": title}, display(f"{where}: {error.get('message', '')}")
    )


def annotations(report, roots: dict[str, Path], environ: dict[str, str]) -> list[str]:
    """Every line of the output: the findings (baselined ones are accepted: none), then the
    run's errors."""
    base = Path(environ[WORKSPACE_ENV]).absolute() if environ.get(WORKSPACE_ENV) else None
    lines = [finding_line(f, roots, base) for f in report.findings]
    lines.extend(error_line(e) for e in report.errors)
    return lines


@hookimpl
def ytm_doctor_write_report(report, config) -> None:
    if stdout_format(config) != "github":
        return
    for line in annotations(report, config.paths.named_roots(), dict(os.environ)):
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
