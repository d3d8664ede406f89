"""The demo's rule families (ytm_doctor/demo/<family>.py): each plants the rules of one check
plugin, and a scan of the demo reports every one of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ytm_doctor.cli import main
from ytm_doctor.demo import FAMILIES, DemoInfo, Family, build_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoInfo:
    return build_demo(tmp_path_factory.mktemp("demo") / "factory")


def _rules_by_plugin(capsys: pytest.CaptureFixture[str]) -> dict[str, set[str]]:
    assert main(["list", "--json"]) == 0
    found: dict[str, set[str]] = {}
    for rule in json.loads(capsys.readouterr().out):
        found.setdefault(rule["plugin"], set()).add(rule["code"])
    return found


def _fired(demo: DemoInfo, capsys: pytest.CaptureFixture[str]) -> set[str]:
    fired: set[str] = set()
    for config in (demo.config, demo.offline_config, demo.gateway_config):
        code = main(["--config", str(config), "--json", "--no-save"])
        out = capsys.readouterr().out
        assert code in (0, 1), out
        fired |= set(json.loads(out)["summary"]["by_rule"])
    return fired


def test_each_family_fires_its_rules_on_the_demo(
    demo: DemoInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    fired = _fired(demo, capsys)
    silent = {f.plugin: sorted(set(f.codes) - fired) for f in FAMILIES}
    assert {plugin: codes for plugin, codes in silent.items() if codes} == {}


def test_each_family_plants_exactly_its_check_plugins_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    by_plugin = _rules_by_plugin(capsys)
    assert {f.plugin: set(f.codes) for f in FAMILIES} == by_plugin


def test_the_families_together_are_the_demo_instances_each_once(demo: DemoInfo) -> None:
    codes = [code for family in FAMILIES for code in family.codes]
    assert len(codes) == len(set(codes))
    assert sorted(codes) == sorted(demo.instances)


def test_a_family_that_plants_other_codes_than_it_declares_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def plant_nothing(demo: object) -> None:
        pass

    wrong = Family(plugin="share", codes=("YTM101",), plants=(plant_nothing,))
    monkeypatch.setattr("ytm_doctor.demo.FAMILIES", (wrong,))
    with pytest.raises(AssertionError, match=r"declares \['YTM101'\] but planted \[\]"):
        build_demo(tmp_path / "factory")
