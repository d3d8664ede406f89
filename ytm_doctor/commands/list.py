"""`ytm-doctor list`: the rules of every loaded plugin (or, with --plugins, the plugins)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from ytm_doctor import ssot_files
from ytm_doctor.commands.base import Command
from ytm_doctor.commands.options import selection_options
from ytm_doctor.errors import ExitCode

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.model import Check


def add_options(parser: argparse.ArgumentParser) -> None:
    selection_options(parser)
    parser.add_argument("--json", action="store_true", help="the catalogue as JSON")
    parser.add_argument(
        "--plugins",
        dest="plugins_list",
        action="store_true",
        help="list the loaded plugins instead, with where each came from",
    )


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    return list_rules(config)


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
    from ytm_doctor.collect import collect_checks, select_checks, split_codes
    from ytm_doctor.text import plural

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
    from ytm_doctor.plugins.manager import plugin_infos

    infos = plugin_infos(config.pluginmanager)
    if config.getoption("json"):
        print(json.dumps([vars(i) for i in infos], indent=2))
        return ExitCode.OK
    for info in infos:
        print(f"{info.name:<16} {info.source:<11} {info.where}")
    return ExitCode.OK


COMMAND = Command(
    name="list",
    help="list the rules of every loaded plugin",
    add_options=add_options,
    run=run,
)
