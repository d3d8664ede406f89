"""Every rule is whole (like datasette's hook meta-tests): a check that fires on the demo, a
page, a planted demo instance, and a test that names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ytm_doctor import ssot_files
from ytm_doctor.cli import main
from ytm_doctor.demo import build_demo

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo") / "factory")


def _rules(capsys) -> list[str]:
    assert main(["list", "--json"]) == 0
    return [r["code"] for r in json.loads(capsys.readouterr().out)]


def _fired(config: Path, capsys) -> set[str]:
    code = main(["--config", str(config), "--json", "--no-save"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    return set(json.loads(out)["summary"]["by_rule"])


def test_every_rule_fires_on_one_of_the_demo_views(demo, capsys):
    rules = _rules(capsys)
    fired = set()
    for config in (demo.config, demo.offline_config, demo.gateway_config):
        fired |= _fired(config, capsys)
    assert sorted(set(rules) - fired) == []
    assert sorted(fired - set(rules)) == []


def test_every_rule_has_a_planted_instance_and_a_page(demo, capsys):
    rules = _rules(capsys)
    assert sorted(demo.instances) == sorted(rules)
    for code in rules:
        assert ssot_files.rule_page(code), f"{code} has no ssot/rules/{code}.md"


def test_every_rule_is_named_by_some_test(capsys):
    rules = _rules(capsys)
    text = "\n".join(
        p.read_text(encoding="utf-8")
        for p in TESTS.rglob("test_*.py")
        if p.name != Path(__file__).name
    )
    assert [code for code in rules if code not in text] == []
