"""Access to the files of the ssot/ package (installed as ytm_doctor.ssot)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import yaml


def read_text(name: str) -> str:
    return resources.files("ytm_doctor.ssot").joinpath(name).read_text(encoding="utf-8")


def policy() -> dict[str, Any]:
    """The policy defaults (ssot/policy.yaml)."""
    return yaml.safe_load(read_text("policy.yaml"))


def report_schema() -> dict[str, Any]:
    return json.loads(read_text("report.schema.json"))


def rule_page(code: str) -> str | None:
    """The Markdown page of a built-in rule, or None."""
    try:
        return read_text(f"rules/{code}.md")
    except (FileNotFoundError, OSError):
        return None
