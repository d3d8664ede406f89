"""Access to the files of the ssot/ package (installed as ytm_doctor.ssot)."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ytm_doctor.model import Rule
    from ytm_doctor.report import ReportRule


@functools.cache
def safe_loader() -> type:
    """libyaml's loader when the platform has it: it parses several times faster (start-up
    time). yaml is imported here, on first use: `--version` and a command's `--help` read no
    YAML, and importing it costs them tens of milliseconds."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(name: str) -> str:
    from ytm_doctor import ssot

    here = os.path.dirname(getattr(ssot, "__file__", None) or "")
    if here and os.path.isdir(here):
        # The files on disk (every ordinary install), read without importlib.resources: it
        # imports tempfile, shutil and zipfile, a tenth of a scan's start-up.
        return Path(here, name).read_text(encoding="utf-8")
    from importlib import resources  # a zipped or otherwise unusual install

    return resources.files("ytm_doctor.ssot").joinpath(name).read_text(encoding="utf-8")


def policy() -> dict[str, Any]:
    """The policy defaults (ssot/policy.yaml)."""
    import yaml

    return yaml.load(read_text("policy.yaml"), Loader=safe_loader())


def report_schema() -> dict[str, Any]:
    return json.loads(read_text("report.schema.json"))


def rule_page(code: str) -> str | None:
    """The Markdown page of a built-in rule, or None."""
    try:
        return read_text(f"rules/{code}.md")
    except (FileNotFoundError, OSError):
        return None


def page_for(rule: Rule | ReportRule) -> str:
    """What `ytm-doctor explain` prints and the reports embed: the plugin's own page (Rule.docs),
    else the built-in page, else a stub built from the rule's summary."""
    page = None
    if rule.docs:
        try:
            page = Path(rule.docs).read_text(encoding="utf-8")
        except OSError:
            page = None
    else:
        page = rule_page(rule.code)
    if page is None:
        page = f"# {rule.code} {rule.name}\n\n{rule.summary}\n\n(no rule page found)\n"
    return page if page.endswith("\n") else page + "\n"
