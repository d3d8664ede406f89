"""What each command does once the command line is parsed and the plugins are loaded."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from ytm_doctor import ssot_files
from ytm_doctor.collect import collect_checks, collect_writers, select_checks, split_codes
from ytm_doctor.config import KEYS, Config, flatten, plain_value
from ytm_doctor.context import Scope
from ytm_doctor.errors import ConfigError, ExitCode, UsageError
from ytm_doctor.model import Check
from ytm_doctor.plugins.manager import plugin_infos
from ytm_doctor.reports.terminal import plural
from ytm_doctor.scan_lock import ScanBusy, ScanLock
from ytm_doctor.session import run_scan, selection_for


def scan(config: Config, scope: Scope, argv: list[str]) -> int:
    if config.getoption("collect_only"):
        return collect_only(config)
    # One saving scan at a time (scan_lock.py); a --no-save scan writes nothing and needs none.
    lock = None if config.getoption("no_save") else ScanLock(config, argv)
    try:
        return _scan_and_report(config, scope, argv, lock)
    except ScanBusy as exc:
        # For a timer "the previous scan is still running" is not a failure: exit 0.
        print(f"ytm-doctor: another scan is running: {exc}; not scanning", file=sys.stderr)
        return ExitCode.OK
    finally:
        if lock is not None:
            lock.release()


def _scan_and_report(config: Config, scope: Scope, argv: list[str], lock: ScanLock | None) -> int:
    report = run_scan(config, scope, argv, before_walk=lock.acquire if lock else None)
    if not report.outcomes:
        print("ytm-doctor: no checks selected", file=sys.stderr)
    for writer in collect_writers(config):
        try:
            writer.write(report, config)
        except OSError as exc:  # a full disk or a read-only log dir must not hide the result
            print(f"ytm-doctor: warning: {writer.name} report not written: {exc}", file=sys.stderr)
        except Exception as exc:  # a broken writer (a plugin's) must not hide the others
            print(f"ytm-doctor: warning: {writer.name} report failed: {exc!r}", file=sys.stderr)
    try:
        config.pluginmanager.hook.ytm_doctor_report_ready(report=report, config=config)
    except Exception as exc:
        print(f"ytm-doctor: warning: a report-ready hook failed: {exc!r}", file=sys.stderr)
    return report.exit_code


def collect_only(config: Config) -> int:
    selection = selection_for(config, collect_checks(config))
    for check in selection.selected:
        rule = check.rule
        print(f"<{rule.code} {rule.name} {rule.severity.value} plugin={check.plugin}>")
    print(f"\ncollected {len(selection.selected)} checks ({len(selection.deselected)} deselected)")
    return ExitCode.OK if selection.selected else ExitCode.NO_CHECKS


def rule_json(check: Check) -> dict[str, Any]:
    rule = check.rule
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "summary": rule.summary,
        "tags": list(rule.tags),
        "fixer": rule.fixer,
        "plugin": check.plugin,
        "docs": rule.docs
        or (f"ssot/rules/{rule.code}.md" if ssot_files.rule_page(rule.code) else None),
    }


def list_rules(config: Config) -> int:
    if config.getoption("plugins_list"):
        return list_plugins(config)
    checks = select_checks(
        collect_checks(config),
        select=split_codes(config.getoption("select")),
        ignore=split_codes(config.getoption("ignore")),
        keyword=config.getoption("keyword"),
    ).selected
    if config.getoption("json"):
        print(json.dumps([rule_json(c) for c in checks], ensure_ascii=False, indent=2))
        return ExitCode.OK
    for check in checks:
        rule = check.rule
        fixer = f"fixer: {rule.fixer}" if rule.fixer else ""
        print(f"{rule.code}  {rule.name:<28} {rule.severity.value:<9} {rule.summary}")
        extra = ", ".join(
            x
            for x in (
                f"tags: {' '.join(rule.tags)}" if rule.tags else "",
                fixer,
                f"plugin: {check.plugin}",
            )
            if x
        )
        print(f"        {extra}")
    print(f"\n{plural(len(checks), 'rule')}. `ytm-doctor explain CODE` prints a rule's page.")
    return ExitCode.OK


def list_plugins(config: Config) -> int:
    infos = plugin_infos(config.pluginmanager)
    if config.getoption("json"):
        print(json.dumps([vars(i) for i in infos], indent=2))
        return ExitCode.OK
    for info in infos:
        print(f"{info.name:<16} {info.source:<11} {info.where}")
    return ExitCode.OK


def explain(config: Config, code: str) -> int:
    code = code.upper()
    checks = {c.rule.code: c for c in collect_checks(config)}
    if code not in checks:
        raise UsageError(f"unknown rule {code} (`ytm-doctor list` shows every rule)")
    page = ssot_files.page_for(checks[code].rule)
    sys.stdout.write(page)
    return ExitCode.OK


def _settings_rows(config: Config) -> list[dict[str, Any]]:
    defaults = flatten(ssot_files.policy())
    rows = []
    for key in KEYS:
        setting = config.settings[key]
        rows.append(
            {
                "key": key,
                "value": _masked(setting.value) if KEYS[key].secret else plain_value(setting.value),
                "source": setting.source,
                "origin": setting.origin,
                "differs": setting.source != "default"
                and plain_value(setting.value) != defaults.get(key),
            }
        )
    if config["workspace_root"] is not None and config["shared_storage.root"] is not None:
        paths = config.paths
        derived = {
            "vault_workspaces_root": (paths.vault_workspaces_root, True),
            "asset_vault": (paths.asset_vault, True),
            "shared_base": (paths.shared_base, True),
            "sentinel": (paths.sentinel, True),
            "stub_marker": (paths.stub_marker, True),
            "planning_root (effective)": (paths.planning_root, paths.planning_root_derived),
            "fallback_root (effective)": (paths.fallback_root, paths.fallback_root_derived),
            "report_dir": (paths.report_dir, True),
        }
        for key, (value, is_derived) in derived.items():
            rows.append(
                {
                    "key": key,
                    "value": os.fspath(value),
                    "source": "derived" if is_derived else "configured",
                    "origin": None,
                    "differs": False,
                }
            )
    return rows


def _masked(value: Any) -> Any:
    """A secret URL (a webhook's path is its token) shown by its host only."""
    if not value:
        return value
    parts = urllib.parse.urlsplit(str(value))
    return f"{parts.scheme}://{parts.netloc}/... (hidden)" if parts.netloc else "(hidden)"


def show_config(config: Config) -> int:
    rows = _settings_rows(config)
    if config.getoption("diff"):
        rows = [r for r in rows if r["differs"]]
    problem = None
    try:
        config.validate()
    except ConfigError as exc:
        problem = str(exc)
    if config.getoption("json"):
        print(
            json.dumps(
                {
                    "config_file": os.fspath(config.file) if config.file else None,
                    "settings": rows,
                    "error": problem,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(f"config file: {config.file or '(none)'}")
        width = max((len(r["key"]) for r in rows), default=10)
        for row in rows:
            source = row["source"] + (f" ({row['origin']})" if row["origin"] else "")
            value = (
                json.dumps(row["value"], ensure_ascii=False)
                if not isinstance(row["value"], str)
                else row["value"]
            )
            print(f"{row['key']:<{width}}  {value}  [{source}]")
    if problem:
        print(f"ytm-doctor: error: {problem}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    return ExitCode.OK


def demo(options: argparse.Namespace) -> int:
    from ytm_doctor.demo import build_demo

    info = build_demo(Path(options.dest).absolute())
    print(f"built a sample factory in {info.dest}")
    for code, where in sorted(info.instances.items()):
        print(f"  {code}  {where}")
    print("\nscan it:")
    print(f"  ytm-doctor --config {info.config}")
    print(f"  ytm-doctor --config {info.offline_config}   # the same Mac while the share is down")
    print(f"  ytm-doctor --config {info.gateway_config}   # a host that mounted the wrong export")
    return ExitCode.OK
