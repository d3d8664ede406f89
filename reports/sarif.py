"""SARIF 2.1.0 (`--sarif PATH`), for code-scanning dashboards and CI.

One run. `tool.driver.rules` lists every collected rule, with or without findings, its page as
the full description and help. Each finding becomes a result located by a path relative to a
base named after its root (`WORKSPACE`, `VAULT`, ...), resolved through `originalUriBaseIds`, so
the same finding has the same location on every host. A file has no line, so no region.
Fixes are file operations, which SARIF's text replacements cannot express: the fix commands are
in the result's properties. Under --baseline, accepted findings are kept as suppressed results
(`baselineState: unchanged`) and the others are `new`.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ytm_doctor import __version__, ssot_files
from ytm_doctor.atomic import write_atomic
from ytm_doctor.clock import iso_millis
from ytm_doctor.model import Finding, Severity, display, json_safe
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.report import Report, ReportRule
from ytm_doctor.reports.output_path import check_output_path, output_path, stdout_format

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "ytmDoctor/v1"
LEVELS = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def base_id(root: str) -> str:
    return root.upper()


def rule_descriptor(rule: ReportRule) -> dict[str, Any]:
    page = ssot_files.page_for(rule)
    properties: dict[str, Any] = {"tags": sorted(set(rule.tags)), "plugin": rule.plugin}
    if rule.fixer:
        properties["fixer"] = rule.fixer
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": page},
        "help": {"text": page, "markdown": page},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


def artifact_location(root: str, path: str) -> dict[str, str]:
    # Percent-encode the raw bytes: a name that is not UTF-8 still has an exact URI.
    return {"uri": quote(os.fsencode(path), safe="/"), "uriBaseId": base_id(root)}


def result_for(finding: Finding, rule_index: dict[str, int], baseline_used: bool) -> dict:
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "root": finding.root,
        "path": display(finding.path),
        "episode": finding.episode,
        "channel": finding.channel,
        "video": finding.video,
        "details": json_safe(finding.details),
    }
    if finding.fix:
        properties["fix"] = finding.fix
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {"text": display(finding.message)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(finding.root, finding.path)
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    if baseline_used:
        result["baselineState"] = "new"
    return result


def notifications(report: Report, rule_index: dict[str, int]) -> list[dict[str, Any]]:
    """Check errors, unreadable directories and bad input files: problems of the run itself."""
    out = []
    for error in report.errors:
        item: dict[str, Any] = {
            "level": "error" if error.get("kind") == "check" else "warning",
            "message": {"text": display(str(error.get("message", "")))},
            "properties": {"kind": error.get("kind")},
        }
        code = error.get("check")
        if code:
            item["associatedRule"] = {"id": code}
            if code in rule_index:
                item["associatedRule"]["index"] = rule_index[code]
        if error.get("root") and error.get("path"):
            location = artifact_location(error["root"], error["path"])
            item["locations"] = [{"physicalLocation": {"artifactLocation": location}}]
        out.append(item)
    return out


def sarif_log(report: Report, roots: dict[str, Path]) -> dict[str, Any]:
    # The catalogue the scan collected, deselected rules too (a dashboard knows every rule).
    rules = [rule_descriptor(rule) for rule in report.rules]
    rule_index = {r["id"]: i for i, r in enumerate(rules)}
    baseline_used = report.baseline_file is not None
    results = [result_for(f, rule_index, baseline_used) for f in report.findings]
    for finding in report.baselined:
        result = result_for(finding, rule_index, baseline_used)
        result["baselineState"] = "unchanged"
        result["suppressions"] = [
            {
                "kind": "external",
                "justification": f"accepted in the baseline {display(str(report.baseline_file))}",
            }
        ]
        results.append(result)
    invocation: dict[str, Any] = {
        "executionSuccessful": report.checks_errored == 0,
        "exitCode": int(report.exit_code),
        "startTimeUtc": iso_millis(report.run.started),
        "endTimeUtc": iso_millis(report.run.ended or report.run.started),
        "commandLine": shlex.join(["ytm-doctor", *(display(a) for a in report.run.argv)]),
        "arguments": [display(a) for a in report.run.argv],
        "machine": report.run.host,
        "workingDirectory": {"uri": _dir_uri(Path.cwd())},
    }
    notes = notifications(report, rule_index)
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ytm-doctor",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {
                    base_id(name): {"uri": _dir_uri(path)} for name, path in roots.items()
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
                "properties": {"runId": report.run.id},
            }
        ],
    }


def _dir_uri(path: Path) -> str:
    # A base URI must end with "/" or the relative URIs would replace its last segment.
    return Path(path).absolute().as_uri().rstrip("/") + "/"


class SarifWriter:
    name = "sarif"

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, report: Report, config) -> None:
        write_atomic(self.path, sarif_text(report, config))


def sarif_text(report: Report, config) -> str:
    log = sarif_log(report, config.paths.named_roots())
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


@hookimpl
def ytm_doctor_addoption(parser):
    group = parser.add_argument_group("SARIF report")
    group.add_argument(
        "--sarif",
        metavar="PATH",
        help="also write the findings as SARIF 2.1.0 to PATH (for code-scanning dashboards)",
    )


@hookimpl
def ytm_doctor_configure(config):
    check_output_path(config, "sarif")


@hookimpl
def ytm_doctor_write_report(report, config):
    target = output_path(config, "sarif")
    if target is not None:
        SarifWriter(target).write(report, config)
    if stdout_format(config) == "sarif":
        sys.stdout.write(sarif_text(report, config))
        sys.stdout.flush()
