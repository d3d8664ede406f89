"""`ytm-doctor config`: every resolved setting and where it came from."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ytm_doctor import ssot_files
from ytm_doctor.commands.base import Command
from ytm_doctor.config import KEYS, Config, flatten, plain_value
from ytm_doctor.errors import ConfigError, ExitCode
from ytm_doctor.redact import mask_secret, redact_url


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--diff",
        action="store_true",
        help="only the settings that differ from the policy defaults",
    )
    parser.add_argument("--json", action="store_true", help="as JSON")


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    return show_config(config)


def _settings_rows(config: Config) -> list[dict[str, Any]]:
    defaults = flatten(ssot_files.policy())
    rows = []
    for key in KEYS:
        setting = config.settings[key]
        rows.append(
            {
                "key": key,
                "value": mask_secret(setting.value) or None
                if KEYS[key].secret
                else _shown(plain_value(setting.value)),
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


def _shown(value: Any) -> Any:
    """A value as printed: any URL in it without its user and password."""
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


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
        print(f"ytm-doctor: error: {config.redact(problem)}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    return ExitCode.OK


COMMAND = Command(
    name="config",
    help="print every resolved setting and where it came from",
    add_options=add_options,
    run=run,
)
