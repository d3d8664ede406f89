"""Baselines and --fail-on (SPEC §8): a scheduled scan fails only on new violations, with
fingerprints that survive moving the whole world to another mount path."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import jsonschema
import pytest

from ytm_doctor import ssot_files

# Episode findings (info) come from a local plugin: the episode is part of the fingerprint.
EPISODE_PLUGIN = textwrap.dedent(
    '''\
    from ytm_doctor import check


    @check("LOC100", "episode-junk", severity="info", root="workspace")
    def episode_junk(entry, ctx):
        """a *.tmp file in an episode's scripts dir"""
        parts = entry.rel.split("/")
        if entry.name.endswith(".tmp") and len(parts) >= 4 and parts[0] == "scripts":
            yield episode_junk.rule.finding(
                f"{entry.rel} is junk", root="workspace", path=entry.rel,
                abs_path=entry.path, channel=parts[1], video=parts[2],
            )
    '''
)
SELECT = ("--select", "YTM2,YTM3,LOC")


@pytest.fixture
def debt_world(world):
    """Today's accepted debt: two violations, a warning and an episode's info finding."""
    world.configure(plugins=["plugins/episodes.py"])
    world.write("plugins/episodes.py", EPISODE_PLUGIN)
    (world.ws / "scripts" / "CH01" / "002").mkdir(parents=True)
    world.write("ws/scripts/CH01/002/old.tmp", "junk")  # LOC100 info, episode CH01-002
    os.symlink("gone", world.ws / "scripts" / "dangling")  # YTM301
    # YTM202: an absolute link made on this host; after the move it points nowhere, its
    # details change, its identity does not.
    os.symlink(world.share / "asset_vault", world.share / "ytm_workspaces" / "assets")
    (world.share / "ytm_workspaces" / "video" / "runs").rmdir()  # YTM203 warning
    return world


def scan(cli, *argv):
    res = cli("--json", "--no-save", *SELECT, *argv)
    assert res.code in (0, 1), res.err
    return res, res.json()


def fingerprints(findings: list[dict]) -> list[str]:
    return sorted(f["fingerprint"] for f in findings)


def test_moving_the_world_keeps_the_baseline_valid(debt_world, cli, monkeypatch) -> None:
    res, first = scan(cli)
    assert res.code == 1
    debt = fingerprints(first["findings"])
    assert {f["rule"] for f in first["findings"]} == {"YTM202", "YTM203", "YTM301", "LOC100"}

    res, written = scan(cli, "--write-baseline", "baseline.json")
    assert res.code == 0  # what was just accepted does not fail
    assert "baseline of 4 findings written" in res.err
    assert written["findings"] == []
    assert fingerprints(written["baselined"]["findings"]) == debt
    baseline_before = json.loads(Path("baseline.json").read_text())

    res, again = scan(cli, "--baseline", "baseline.json")
    assert res.code == 0
    assert again["findings"] == [] and again["summary"]["violations_total"] == 0
    assert again["baselined"]["count"] == 4

    # The whole world moves to another mount path, deeper and with another name.
    old_root = debt_world.root
    new_root = old_root.parent / f"{old_root.name}-elsewhere" / "mnt" / "lenovo_share_real"
    new_root.parent.mkdir(parents=True)
    os.rename(old_root, new_root)
    try:
        monkeypatch.chdir(new_root)
        res, moved = scan(cli)
        assert res.code == 1
        assert fingerprints(moved["findings"]) == debt  # same identities ...
        before = {f["fingerprint"]: f for f in first["findings"]}
        for finding in moved["findings"]:  # ... of findings that really are elsewhere now
            assert finding["abs_path"].startswith(str(new_root))
            assert not before[finding["fingerprint"]]["abs_path"].startswith(str(new_root))

        res, with_baseline = scan(cli, "--baseline", "baseline.json")
        assert res.code == 0, with_baseline["findings"]
        assert with_baseline["findings"] == []
        assert fingerprints(with_baseline["baselined"]["findings"]) == debt

        # Written again on the "other host", the baseline is the same but for its date.
        scan(cli, "--write-baseline", "rewritten.json")
        rewritten = json.loads(Path("rewritten.json").read_text())
        assert rewritten["fingerprints"] == baseline_before["fingerprints"]

        # One new violation: exit 1, and it is the only finding reported.
        os.symlink("nowhere", new_root / "ws" / "scripts" / "fresh")
        res, fresh = scan(cli, "--baseline", "baseline.json")
        assert res.code == 1
        assert [(f["rule"], f["path"]) for f in fresh["findings"]] == [("YTM301", "scripts/fresh")]
        assert fresh["summary"]["violations_total"] == 1
        assert fresh["summary"]["by_rule"] == {"YTM301": 1}
        assert fresh["baselined"]["count"] == 4
    finally:
        os.rename(new_root, old_root)


def test_the_baseline_file_is_sorted_and_names_each_finding(debt_world, cli) -> None:
    scan(cli, "--write-baseline", "b1.json")
    scan(cli, "--write-baseline", "b2.json")
    data = json.loads(Path("b1.json").read_text(encoding="utf-8"))
    assert set(data) == {"schema", "created", "fingerprints"}
    assert data["schema"] == "ytm-doctor.baseline.v1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["created"])
    entries = data["fingerprints"]
    assert all(set(e) == {"fingerprint", "rule", "root", "path", "episode"} for e in entries)
    keys = [(e["rule"], e["root"], e["path"]) for e in entries]
    assert keys == sorted(keys)
    episode = next(e for e in entries if e["rule"] == "LOC100")
    assert episode["episode"] == "CH01-002" and episode["path"] == "scripts/CH01/002/old.tmp"
    assert "abs_path" not in json.dumps(entries) and str(debt_world.root) not in json.dumps(data)
    # Deterministic: the same world gives the same entries.
    assert json.loads(Path("b2.json").read_text())["fingerprints"] == entries


def test_a_baseline_hides_findings_but_not_from_new_and_resolved(debt_world, cli) -> None:
    cli("--no-save", *SELECT, "--write-baseline", "baseline.json")
    assert cli().code == 1  # a saved full scan: the history new/resolved read
    res = cli("--json", "--baseline", "baseline.json")
    report = res.json()
    # Hidden is not fixed: nothing resolved, and none of them new next time.
    assert report["resolved"] == [] and report["new"] == []
    (debt_world.ws / "scripts" / "dangling").unlink()
    report = cli("--json", "--baseline", "baseline.json").json()
    [gone] = report["resolved"]
    assert gone not in fingerprints(report["baselined"]["findings"])


def test_json_report_with_a_baseline_validates(debt_world, cli) -> None:
    schema = ssot_files.report_schema()
    validator = jsonschema.Draft202012Validator(schema)
    _res, plain = scan(cli)
    validator.validate(plain)
    assert plain["baselined"] is None
    scan(cli, "--write-baseline", "baseline.json")
    os.symlink("nowhere", debt_world.ws / "scripts" / "fresh")
    _res, report = scan(cli, "--baseline", "baseline.json")
    validator.validate(report)
    assert report["baselined"]["file"] == str(debt_world.root / "baseline.json")
    # Counts are of what is shown: per check too.
    checks = {c["code"]: c["findings"] for c in report["checks"]}
    assert checks["YTM301"] == 1 and checks["YTM202"] == 0 and checks["LOC100"] == 0
    assert report["summary"]["warnings_total"] == 0 and report["summary"]["info_total"] == 0


BAD_BASELINES = {
    "not json": ("{nope", "not valid JSON"),
    "another schema": ('{"schema": "ytm-doctor.plan.v1", "fingerprints": []}', "not a ytm"),
    "a list": ("[]", "not a ytm-doctor baseline"),
    "fingerprints not a list": (
        '{"schema": "ytm-doctor.baseline.v1", "fingerprints": {}}',
        "must be a list",
    ),
    "bad fingerprint": (
        '{"schema": "ytm-doctor.baseline.v1", "fingerprints": [{"fingerprint": "/abs/x"}]}',
        "entry 1 has no valid fingerprint",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BASELINES))
def test_a_bad_baseline_is_one_line_and_exit_4(world, cli, case) -> None:
    text, words = BAD_BASELINES[case]
    Path("baseline.json").write_text(text, encoding="utf-8")
    res = cli("--baseline", "baseline.json")
    assert res.code == 4
    assert len(res.err_lines) == 1 and words in res.err and "baseline.json" in res.err
    assert res.out == "" and world.saved_reports() == []  # refused before scanning


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("--baseline", "missing.json"), "does not exist"),
        (("--baseline", "."), "cannot be read"),
        (("--write-baseline", "no-dir/b.json"), "does not exist"),
        (("--write-baseline", "."), "is a directory"),
        (("--fail-on", "info"), "invalid choice"),
    ],
)
def test_unusable_baseline_options_are_one_line_and_exit_4(world, cli, argv, words) -> None:
    res = cli(*argv)
    assert res.code == 4
    assert len(res.err_lines) == 1 and words in res.err
    assert world.saved_reports() == []


def test_a_non_utf8_baseline_file_is_a_usage_error(world, cli) -> None:
    Path("baseline.json").write_bytes(b'{"schema": "\xff"}')
    res = cli("--baseline", "baseline.json")
    assert res.code == 4 and len(res.err_lines) == 1


def test_fail_on_warning(world, cli) -> None:
    world.shared_base.rmdir()  # YTM102: a warning and nothing else
    assert cli("--no-save", "--select", "YTM1").code == 0
    res = cli("--no-save", "--select", "YTM1", "--fail-on", "warning", "--json")
    assert res.code == 1
    assert res.json()["summary"]["exit_code"] == 1
    assert cli("--no-save", "--select", "YTM1", "--fail-on", "warning", "--exit-zero").code == 0
    # A baselined warning does not fail even with --fail-on warning.
    cli("--no-save", "--select", "YTM1", "--write-baseline", "b.json")
    args = ("--no-save", "--select", "YTM1", "--fail-on", "warning", "--baseline", "b.json")
    assert cli(*args).code == 0


def test_info_never_fails(debt_world, cli) -> None:
    res = cli("--no-save", "--select", "LOC", "--fail-on", "warning")
    assert res.code == 0
    assert "1 info" in res.out.strip().splitlines()[-1]


def test_write_baseline_keeps_a_check_error_failing(world, cli) -> None:
    world.configure(plugins=["plugins/broken.py"])
    world.write(
        "plugins/broken.py",
        "from ytm_doctor import check\n\n\n"
        '@check("LOC901", "always-raises")\n'
        "def always_raises(ctx):\n"
        '    """breaks"""\n'
        '    raise RuntimeError("boom")\n',
    )
    res = cli("--no-save", "--select", "LOC", "--write-baseline", "b.json")
    assert res.code == 1  # a broken check is not debt a baseline can accept
    assert json.loads(Path("b.json").read_text())["fingerprints"] == []
