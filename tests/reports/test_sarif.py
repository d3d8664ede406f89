"""The SARIF report (`--sarif PATH`): valid against the official SARIF 2.1.0 schema shipped in
tests/data (the OASIS committee specification's JSON schema, draft-07), every rule in the
driver, each result located relative to its root, baseline states, check errors."""

from __future__ import annotations

import base64
import json
import os
import textwrap
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote_to_bytes, urljoin, urlparse

import jsonschema
import pytest

SCHEMA_FILE = Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json"
SELECT = ("--select", "YTM202,YTM203,YTM301,YTM303,LOC")

LOCAL_PLUGIN = textwrap.dedent(
    '''\
    from ytm_doctor import check


    @check("LOC900", "never-fires", severity="warning", tags=("hygiene",))
    def never_fires(ctx):
        """a rule with no findings still belongs in tool.driver.rules"""
        return []


    @check("LOC901", "always-raises", severity="violation")
    def always_raises(ctx):
        """a check that breaks"""
        raise RuntimeError("boom in LOC901")
    '''
)


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def sarif_validator(sarif_schema):
    return jsonschema.Draft7Validator(
        sarif_schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def assert_valid(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.fixture
def messy_world(world):
    """Every severity, a name that is not UTF-8 and one that looks like markup."""
    world.configure(plugins=["plugins/local.py"])
    world.write("plugins/local.py", LOCAL_PLUGIN)
    ws = world.ws
    (ws / "scripts").mkdir()
    os.symlink("gone", ws / "scripts" / "dangling")  # YTM301 violation
    os.symlink("gone", ws / "<script>alert(1)&x")  # YTM301, a hostile name
    os.symlink(b"gone", os.fsencode(ws) + b"/bad\xffname")  # YTM301, not UTF-8
    os.symlink("clip", ws / "clip.symlink_shared_backup_20260101T000000Z")  # YTM303 info
    os.symlink(world.share / "asset_vault" / "bgm", world.share / "ytm_workspaces" / "bgm")  # 202
    (world.share / "ytm_workspaces" / "video" / "runs").rmdir()  # YTM203 warning
    return world


def scan(cli, *argv):
    res = cli("--no-save", "--json", *SELECT, "--sarif", "out.sarif", *argv)
    log = json.loads(Path("out.sarif").read_text(encoding="utf-8"))
    return res, log


def test_shipped_schema_is_the_official_draft_07_sarif_2_1_0_schema(sarif_schema) -> None:
    assert sarif_schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "Version 2.1.0" in sarif_schema["title"]
    assert sarif_schema["properties"]["version"]["enum"] == ["2.1.0"]
    jsonschema.Draft7Validator.check_schema(sarif_schema)
    # The validator is not a pushover: a log without runs, a result without message fail.
    validator = jsonschema.Draft7Validator(sarif_schema)
    assert not validator.is_valid({"version": "2.1.0"})
    bad_result = {"ruleId": "X"}
    log = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [bad_result]}],
    }
    assert not validator.is_valid(log)


def test_sarif_validates_against_the_schema(messy_world, cli, sarif_validator) -> None:
    res, log = scan(cli)
    assert res.code == 1, res.err
    assert_valid(sarif_validator, log)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "ytm-doctor"
    assert "informationUri" not in run["tool"]["driver"]  # nothing remote to point at
    levels = {r["level"] for r in run["results"]}
    assert levels == {"error", "warning", "note"}


def test_every_collected_rule_is_in_the_driver_even_without_findings(messy_world, cli) -> None:
    _res, log = scan(cli)
    catalogue = json.loads(cli("list", "--json").out)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    # Deselected rules (--select) and rules without findings are there too, in catalogue order.
    assert [r["id"] for r in rules] == [c["code"] for c in catalogue]
    assert {"YTM100", "YTM501", "YTM602", "LOC900", "LOC901"} <= {r["id"] for r in rules}
    by_id = {r["id"]: r for r in rules}
    rule = by_id["YTM202"]
    assert rule["name"] == "vault-absolute-symlink"
    assert rule["defaultConfiguration"]["level"] == "error"
    assert by_id["YTM203"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["YTM303"]["defaultConfiguration"]["level"] == "note"
    assert set(rule["properties"]["tags"]) == {"vault", "symlink", "portability"}
    assert rule["properties"]["fixer"] == "relativize-symlink"
    # The full description and the help are the rule's page, as `explain` prints it.
    page = cli("explain", "YTM202").out
    assert rule["fullDescription"]["text"] == page
    assert rule["help"] == {"text": page, "markdown": page}
    assert "## How to fix it by hand" in rule["help"]["markdown"]
    assert by_id["LOC900"]["shortDescription"]["text"].startswith("a rule with no findings")


def test_results_match_the_json_findings(messy_world, cli) -> None:
    res, log = scan(cli)
    report = res.json()
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == len(report["findings"]) == 6
    level_of = {"violation": "error", "warning": "warning", "info": "note"}
    for finding, result in zip(report["findings"], results, strict=True):
        assert result["ruleId"] == finding["rule"]
        assert rules[result["ruleIndex"]]["id"] == finding["rule"]
        assert result["level"] == level_of[finding["severity"]]
        assert result["message"]["text"] == finding["message"]
        assert result["partialFingerprints"] == {"ytmDoctor/v1": finding["fingerprint"]}
        assert result["properties"]["episode"] == finding["episode"]
        assert result["properties"]["details"] == finding["details"]
        assert result["properties"].get("fix") == (finding["fix"] or None)
        [location] = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == finding["root"].upper()
        assert "region" not in location["physicalLocation"]  # a file has no line
        assert not artifact["uri"].startswith("/")  # relative to its root, never absolute


def test_each_location_resolves_to_the_finding_on_disk(messy_world, cli) -> None:
    res, log = scan(cli)
    report = res.json()
    [run] = log["runs"]
    bases = run["originalUriBaseIds"]
    assert bases["WORKSPACE"]["uri"] == messy_world.ws.as_uri() + "/"
    assert bases["VAULT"]["uri"] == (messy_world.share / "ytm_workspaces").as_uri() + "/"
    for finding, result in zip(report["findings"], run["results"], strict=True):
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        uri = urljoin(bases[artifact["uriBaseId"]]["uri"], artifact["uri"])
        on_disk = unquote_to_bytes(urlparse(uri).path).rstrip(b"/")
        if "abs_path_b64" in finding:
            expected = base64.b64decode(finding["abs_path_b64"])
        else:
            expected = os.fsencode(finding["abs_path"])
        assert on_disk == expected
    bad = next(r for r in run["results"] if "bad" in r["properties"]["path"])
    assert bad["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad%FFname"
    assert bad["properties"]["path"] == "bad\\xffname"


def test_invocation_records_the_run(messy_world, cli) -> None:
    res, log = scan(cli)
    report = res.json()
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["exitCode"] == res.code == report["summary"]["exit_code"] == 1
    assert invocation["startTimeUtc"] == report["run"]["started"]
    assert invocation["endTimeUtc"] == report["run"]["ended"]
    assert invocation["commandLine"].startswith("ytm-doctor --no-save --json --select")
    # jsonschema checks neither date-time nor uri without extra packages: check them here.
    for key in ("startTimeUtc", "endTimeUtc"):
        assert datetime.fromisoformat(invocation[key].replace("Z", "+00:00")).tzinfo
    for base in log["runs"][0]["originalUriBaseIds"].values():
        assert base["uri"].startswith("file:///") and base["uri"].endswith("/")
    # LOC901 raised: the run is not a clean one, and the notification names the rule.
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["associatedRule"]["id"] == "LOC901"
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[note["associatedRule"]["index"]]["id"] == "LOC901"
    assert "boom in LOC901" in note["message"]["text"]


def test_a_clean_run_is_successful_and_has_no_results(world, cli, sarif_validator) -> None:
    res = cli("--no-save", "--select", "YTM1", "--sarif", "clean.sarif")
    assert res.code == 0, res.err
    log = json.loads(Path("clean.sarif").read_text(encoding="utf-8"))
    assert_valid(sarif_validator, log)
    [run] = log["runs"]
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["invocations"][0]["exitCode"] == 0


def test_baselined_results_are_suppressed_and_the_rest_new(
    messy_world, cli, sarif_validator
) -> None:
    assert cli("--no-save", *SELECT, "--write-baseline", "base.json").code == 1  # LOC901 raised
    os.symlink("gone", messy_world.ws / "scripts" / "fresh")
    res, log = scan(cli, "--baseline", "base.json")
    assert_valid(sarif_validator, log)
    results = log["runs"][0]["results"]
    new = [r for r in results if r["baselineState"] == "new"]
    unchanged = [r for r in results if r["baselineState"] == "unchanged"]
    assert [r["properties"]["path"] for r in new] == ["scripts/fresh"]
    assert len(unchanged) == res.json()["baselined"]["count"] == 6
    for result in unchanged:
        [suppression] = result["suppressions"]
        assert suppression["kind"] == "external"
        assert "base.json" in suppression["justification"]
    assert "suppressions" not in new[0]


def test_sarif_overwrites_atomically_and_leaves_no_temp_files(world, cli) -> None:
    Path("out").mkdir()
    Path("out/scan.sarif").write_text("old")
    assert cli("--no-save", "--select", "YTM1", "--sarif", "out/scan.sarif").code == 0
    assert os.listdir("out") == ["scan.sarif"]
    assert json.loads(Path("out/scan.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize("target", ["missing-dir/x.sarif", "."])
def test_an_unwritable_sarif_path_is_a_usage_error(world, cli, target) -> None:
    res = cli("--no-save", "--sarif", target)
    assert res.code == 4
    assert len(res.err_lines) == 1 and "--sarif" in res.err
    assert res.out == ""  # refused before scanning
