"""JUnit XML (`--junitxml PATH`), for CI systems that show test results.

One test suite "ytm-doctor", one test case per check that ran: classname `ytm_doctor.<plugin>`
(the check family, e.g. `ytm_doctor.vault`), name `<CODE> <name>`. A check with violations fails
(with `--fail-on warning`, warnings too); its findings are the failure's text, one per line.
Findings that do not fail go to the case's `<system-out>`. A check that raised is an `<error>`.
Checks share one walk, so a check has no time of its own: only the suite carries a time.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from ytm_doctor.atomic import write_atomic
from ytm_doctor.model import Finding, Severity, display
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.report import Report
from ytm_doctor.reports.output_path import check_output_path, output_path
from ytm_doctor.reports.terminal import plural

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET


@functools.cache
def _not_xml() -> re.Pattern[str]:
    """Characters XML 1.0 cannot carry even escaped (a file name may hold them). Compiled on
    first use: a class reaching U+10FFFF takes re tens of milliseconds, and every scan imports
    this plugin for its --junitxml option."""
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Printable in XML: undecodable bytes as \\xNN (display), control characters likewise."""
    return _not_xml().sub(lambda m: f"\\x{ord(m.group()):02x}", display(text))


def finding_line(finding: Finding) -> str:
    line = f"{finding.severity.value.upper()} {finding.root}:{finding.path}: {finding.message}"
    if finding.episode:
        line += f" [{finding.episode}]"
    return xml_text(line)


def classname(plugin: str) -> str:
    # A local plugin is named by its file path; a class name wants a dotted identifier.
    name = Path(plugin).stem if ("/" in plugin or plugin.endswith(".py")) else plugin
    return "ytm_doctor." + (re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "plugin")


def failing_severities(config) -> set[Severity]:
    if config.getoption("fail_on") == "warning":
        return {Severity.VIOLATION, Severity.WARNING}
    return {Severity.VIOLATION}


def junit_tree(report: Report, failing: set[Severity]) -> ET.Element:
    # Imported here: every scan loads this plugin (its --junitxml option), few write the file.
    import xml.etree.ElementTree as ET

    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_rule[finding.rule].append(finding)
    hidden: dict[str, int] = defaultdict(int)
    for finding in report.baselined:
        hidden[finding.rule] += 1

    suite = ET.Element("testsuite", name="ytm-doctor")
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", report.run.id),
        ("fail_on", " and ".join(sorted(s.value for s in failing))),
        ("baseline", display(str(report.baseline_file)) if report.baseline_file else ""),
    ):
        ET.SubElement(properties, "property", name=name, value=xml_text(value))

    failures = errors = 0
    for outcome in report.outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=classname(outcome.plugin),
            name=f"{outcome.code} {outcome.name}",
        )
        found = by_rule.get(outcome.code, [])
        failed = [f for f in found if f.severity in failing]
        passed = [f for f in found if f.severity not in failing]
        if outcome.error:
            errors += 1
            error = ET.SubElement(
                case, "error", message=xml_text(outcome.error), type="check-error"
            )
            error.text = xml_text(outcome.error)
            passed = found  # an errored check is not also a failure; its findings are kept
        elif failed:
            failures += 1
            counts = [
                plural(sum(1 for f in failed if f.severity is s), s.value)
                for s in (Severity.VIOLATION, Severity.WARNING)
                if any(f.severity is s for f in failed)
            ]
            failure = ET.SubElement(
                case, "failure", message=", ".join(counts), type=failed[0].severity.value
            )
            failure.text = "\n".join(finding_line(f) for f in failed)
        out_lines = [finding_line(f) for f in passed]
        if hidden.get(outcome.code):
            out_lines.append(f"{plural(hidden[outcome.code], 'finding')} accepted by the baseline")
        if out_lines:
            ET.SubElement(case, "system-out").text = "\n".join(out_lines)

    suite.set("tests", str(len(report.outcomes)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    suite.set("time", f"{report.run.duration:.3f}")
    suite.set("timestamp", report.run.started.strftime("%Y-%m-%dT%H:%M:%S"))
    suite.set("hostname", xml_text(report.run.host))

    root = ET.Element("testsuites", name="ytm-doctor")
    for key in ("tests", "failures", "errors", "skipped", "time"):
        root.set(key, suite.get(key))
    root.append(suite)
    return root


class JUnitWriter:
    name = "junitxml"

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, report: Report, config) -> None:
        import xml.etree.ElementTree as ET

        tree = junit_tree(report, failing_severities(config))
        ET.indent(tree)
        data = ET.tostring(tree, encoding="utf-8", xml_declaration=True) + b"\n"
        write_atomic(self.path, data)


@hookimpl
def ytm_doctor_addoption(parser):
    group = parser.add_argument_group("JUnit XML report")
    group.add_argument(
        "--junitxml",
        metavar="PATH",
        help="also write one JUnit test case per check to PATH (for CI test views)",
    )


@hookimpl
def ytm_doctor_configure(config):
    check_output_path(config, "junitxml")


@hookimpl
def ytm_doctor_write_report(report, config):
    target = output_path(config, "junitxml")
    if target is not None:
        JUnitWriter(target).write(report, config)
