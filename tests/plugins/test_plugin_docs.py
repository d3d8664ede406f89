"""Meta-tests (as datasette's): the plugin API and the rule catalogue are documented.

A plugin author reads hookspec.py to learn when each hook is called and what to return; an
operator or an agent reads `ytm-doctor explain CODE` (ssot/rules/<CODE>.md) to act on a finding.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from ytm_doctor import ssot_files
from ytm_doctor.plugins import hookspec

REPO = Path(__file__).resolve().parents[2]
RULE_SECTIONS = ("## What it finds", "## Why it matters", "## How to fix it by hand")

HOOKS = sorted(
    name
    for name, fn in vars(hookspec).items()
    if callable(fn) and hasattr(fn, f"{hookspec.PROJECT_NAME}_spec")
)


def test_every_hook_of_the_spec_is_found() -> None:
    # SPEC §5: options, configure, checks, fixers, writers, report-ready; and operations, and
    # writing the report (the writers' own hook; collecting writer objects is the older way);
    # and the fleet page (`fleet --html`).
    assert HOOKS == [
        "ytm_doctor_addoption",
        "ytm_doctor_collect_checks",
        "ytm_doctor_collect_fixers",
        "ytm_doctor_collect_operations",
        "ytm_doctor_collect_writers",
        "ytm_doctor_configure",
        "ytm_doctor_render_fleet",
        "ytm_doctor_report_ready",
        "ytm_doctor_write_report",
    ]


@pytest.mark.parametrize("name", HOOKS)
def test_hook_docstring_says_when_it_is_called_and_what_it_returns(name: str) -> None:
    fn = getattr(hookspec, name)
    doc = inspect.getdoc(fn) or ""
    assert re.search(r"\bcalled\b", doc, re.IGNORECASE), f"{name}: when is it called?"
    assert ":returns:" in doc, f"{name}: what does it return?"
    for param in inspect.signature(fn).parameters:
        assert f":param {param}:" in doc, f"{name}: parameter {param} is undocumented"


def test_every_builtin_rule_has_a_page_with_the_three_sections(cli, monkeypatch) -> None:
    # Isolation from whatever is installed: only the built-in catalogue is judged here.
    monkeypatch.setenv("YTM_DOCTOR_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.chdir(REPO)
    plugins = cli("list", "--plugins", "--json")
    assert plugins.code == 0, plugins.err
    builtins = {p["name"] for p in plugins.json() if p["source"] == "builtin"}
    rules = cli("list", "--json")
    assert rules.code == 0, rules.err
    names = {r["code"]: r["name"] for r in rules.json() if r["plugin"] in builtins}
    assert names, "no built-in rules listed"

    problems = []
    for code, name in names.items():
        page = REPO / "ssot" / "rules" / f"{code}.md"
        if not page.is_file():
            problems.append(f"{code}: ssot/rules/{code}.md is missing")
            continue
        text = page.read_text(encoding="utf-8")
        headings = {line.strip() for line in text.splitlines() if line.startswith("## ")}
        for section in RULE_SECTIONS:
            if section not in headings:
                problems.append(f"{code}: no '{section}' section")
        if text.splitlines()[0] != f"# {code} {name}":
            problems.append(f"{code}: the page does not start with '# {code} {name}'")
        # The installed package must ship it too (what `explain` prints).
        if ssot_files.rule_page(code) != text:
            problems.append(f"{code}: the installed package does not ship the page")
    assert not problems, "\n".join(problems)
