"""The command line (SPEC §7, §8): exit codes, the JSON report, saved reports, new/resolved,
help, usage errors, explain, scope."""

from __future__ import annotations

import json
import re
import textwrap

import jsonschema
import pytest

from ytm_doctor import ssot_files

COMMANDS = ["scan", "list", "explain", "config", "demo"]
# Tests that count exact checks or findings select the rules they are about (the share rules and
# local plugins), so a rule added later does not change their numbers. Tests of the saved history
# run FULL scans: only those replace latest.json (the conftest world is healthy for every rule).
OURS = ("--select", "YTM1,LOC")
# The same without the LOC plugin: a --select code that names no rule is a usage error.
SHARE_RULES = ("--select", "YTM1")

# Findings of every severity, some per episode: *.tmp under scripts/CHnn/NNN/.
EPISODE_PLUGIN = textwrap.dedent(
    '''\
    from ytm_doctor import check


    @check("LOC100", "episode-junk", severity="info", tags=("hygiene",), root="workspace")
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


@pytest.fixture
def validator():
    schema = ssot_files.report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def busy_world(world):
    """A violation (YTM100), a warning (YTM102) and three info findings in two channels; nothing
    else, even on a full scan (each episode has a run, so YTM404 is quiet)."""
    world.configure(planning={"env_files": ["missing.env"]}, plugins=["plugins/episodes.py"])
    world.write("plugins/episodes.py", EPISODE_PLUGIN)
    world.shared_base.rmdir()
    for channel, video, name in (("CH01", "001", "a"), ("CH01", "002", "b"), ("CH02", "001", "c")):
        world.write(f"ws/scripts/{channel}/{video}/{name}.tmp", "junk")
        (world.ws / "video" / "runs" / f"{channel}-{video}_v1").mkdir(parents=True)
    return world


# ---------------------------------------------------------------------------------------------
# Exit codes
# ---------------------------------------------------------------------------------------------


def test_healthy_world_exits_0(world, cli) -> None:
    # A full scan: every rule, so every other test may rely on this world being quiet.
    res = cli()
    assert res.code == 0, res.out + res.err
    assert res.err == ""
    last = res.out.strip().splitlines()[-1]
    assert "0 violations, 0 warnings, 0 info" in last
    report = cli("--json", "--no-save").json()
    assert report["findings"] == [] and report["errors"] == []
    assert report["summary"]["checks_deselected"] == 0


def test_violation_exits_1(world, cli) -> None:
    world.configure(planning={"env_files": ["missing.env"]})
    res = cli(*SHARE_RULES)
    assert res.code == 1
    assert "YTM100" in res.out and "missing.env" in res.out
    assert "1 violation" in res.out.strip().splitlines()[-1]


def test_warnings_alone_exit_0(world, cli) -> None:
    world.shared_base.rmdir()
    res = cli(*SHARE_RULES)
    assert res.code == 0
    assert "YTM102" in res.out
    assert "1 warning" in res.out.strip().splitlines()[-1]


def test_exit_zero_turns_violations_into_0(world, cli) -> None:
    world.configure(planning={"env_files": ["missing.env"]})
    res = cli("--exit-zero", "--json", *SHARE_RULES)
    assert res.code == 0
    report = res.json()
    assert report["summary"]["violations_total"] == 1  # still reported
    assert report["summary"]["exit_code"] == 0


def test_exit_codes_of_the_real_command(world, cli_proc) -> None:
    assert cli_proc("--no-save", cwd=world.root).code == 0
    world.configure(planning={"env_files": ["missing.env"]})
    assert cli_proc("--no-save", cwd=world.root).code == 1
    assert cli_proc("--no-save", "--exit-zero", cwd=world.root).code == 0
    assert cli_proc("--no-save", "--select", "NOPE", cwd=world.root).code == 4  # no such rule
    nothing = ("--select", "YTM1", "--ignore", "YTM1")
    assert cli_proc("--no-save", *nothing, cwd=world.root).code == 5


def test_no_configuration_at_all_is_a_usage_error(tmp_path, monkeypatch, cli) -> None:
    monkeypatch.chdir(tmp_path)
    res = cli()
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "workspace_root" in res.err


def test_missing_workspace_is_a_usage_error(world, cli) -> None:
    world.configure(workspace_root="nowhere")
    res = cli()
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "nowhere" in res.err and "does not exist" in res.err


# ---------------------------------------------------------------------------------------------
# --json
# ---------------------------------------------------------------------------------------------


def test_json_stdout_is_only_json_and_validates(busy_world, cli_proc, validator) -> None:
    res = cli_proc("--json", cwd=busy_world.root)
    assert res.code == 1, res.err
    report = json.loads(res.out)  # the whole of stdout, nothing before or after
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert report["run"]["argv"] == ["--json"]


def test_json_summary_counts_match_the_findings(busy_world, cli, validator) -> None:
    res = cli("--json", "--no-save", *OURS)
    report = res.json()
    validator.validate(report)
    findings = report["findings"]
    summary = report["summary"]
    by_severity = {
        s: sum(1 for f in findings if f["severity"] == s) for s in ("violation", "warning", "info")
    }
    assert by_severity == {"violation": 1, "warning": 1, "info": 3}
    assert summary["violations_total"] == by_severity["violation"]
    assert summary["warnings_total"] == by_severity["warning"]
    assert summary["info_total"] == by_severity["info"]
    by_rule: dict[str, int] = {}
    for f in findings:
        by_rule[f["rule"]] = by_rule.get(f["rule"], 0) + 1
    assert summary["by_rule"] == by_rule == {"LOC100": 3, "YTM100": 1, "YTM102": 1}
    assert summary["checks_run"] == len(report["checks"]) == 4
    assert summary["checks_errored"] == 0
    assert summary["exit_code"] == res.code == 1
    # Per check, the same numbers.
    assert {c["code"]: c["findings"] for c in report["checks"]} == {
        "LOC100": 3,
        "YTM100": 1,
        "YTM101": 0,
        "YTM102": 1,
    }
    # No episode has a violation: YTM100 is global.
    assert summary["episodes_with_violations"] == 0


def test_json_findings_carry_what_an_agent_needs(busy_world, cli) -> None:
    report = cli("--json", "--no-save", *OURS).json()
    episode = next(f for f in report["findings"] if f["path"] == "scripts/CH01/002/b.tmp")
    assert episode["channel"] == "CH01" and episode["video"] == "002"
    assert episode["episode"] == "CH01-002"
    assert episode["abs_path"] == str(busy_world.ws / "scripts/CH01/002/b.tmp")
    assert re.fullmatch(r"[0-9a-f]+", episode["fingerprint"])
    global_ = next(f for f in report["findings"] if f["rule"] == "YTM102")
    assert global_["channel"] is None and global_["episode"] is None
    assert global_["root"] == "share" and global_["path"] == "."
    # Deterministic order: most severe first.
    ranks = {"violation": 0, "warning": 1, "info": 2}
    severities = [ranks[f["severity"]] for f in report["findings"]]
    assert severities == sorted(severities)


def test_json_is_the_same_twice(busy_world, cli) -> None:
    first = cli("--json", "--no-save", *OURS).json()
    second = cli("--json", "--no-save", *OURS).json()
    assert first["findings"] == second["findings"]
    assert first["summary"] == second["summary"]


# ---------------------------------------------------------------------------------------------
# Saved reports
# ---------------------------------------------------------------------------------------------


def test_every_scan_saves_a_report_and_latest(world, cli, validator) -> None:
    world.shared_base.rmdir()
    res = cli()
    assert res.code == 0
    [saved] = world.saved_reports()
    assert re.fullmatch(r"report__\d{8}T\d{6}Z(__\d{6}-[0-9a-f]{6})?\.json", saved.name)
    latest = world.report_dir / "latest.json"
    assert latest.read_text() == saved.read_text()
    data = json.loads(saved.read_text())
    validator.validate(data)
    assert [f["rule"] for f in data["findings"]] == ["YTM102"]
    # No temp files left beside it (other formats, e.g. HTML, may be saved there too).
    names = sorted(p.name for p in world.report_dir.iterdir())
    assert [n for n in names if n.endswith(".json")] == sorted([saved.name, "latest.json"])
    assert [n for n in names if n.endswith(".tmp")] == []  # atomic writes' temp files


@pytest.mark.parametrize("args", [[], list(SHARE_RULES)], ids=["full", "partial"])
def test_terminal_names_the_saved_report(world, cli, args) -> None:
    world.shared_base.rmdir()  # the short summary (with the report line) needs a finding
    res = cli(*args)
    [saved] = world.saved_reports()
    assert f"report: {saved}" in res.out


def test_the_saved_report_equals_the_printed_one(world, cli) -> None:
    res = cli("--json")
    assert json.loads((world.report_dir / "latest.json").read_text()) == res.json()


def test_two_scans_keep_two_reports(world, cli) -> None:
    cli()
    cli()
    reports = world.saved_reports()
    assert len(reports) == 2
    latest = json.loads((world.report_dir / "latest.json").read_text())
    ids = {json.loads(p.read_text())["run"]["id"] for p in reports}
    assert latest["run"]["id"] in ids and len(ids) == 2


@pytest.mark.parametrize(
    "partial",
    [
        ["--select", "YTM101"],
        ["--ignore", "YTM101"],
        ["-k", "not offline"],
        ["--lf"],
        ["--channel", "CH01"],
    ],
    ids=["select", "ignore", "keyword", "lf", "channel"],
)
def test_only_a_full_scan_replaces_latest(world, cli, partial) -> None:
    latest = world.report_dir / "latest.json"
    world.shared_base.rmdir()
    first = cli("--json").json()
    assert latest.read_text() == world.saved_reports()[0].read_text()
    fixed_fp = next(f["fingerprint"] for f in first["findings"] if f["rule"] == "YTM102")

    # A partial scan is saved, but the history --lf and new/resolved read stays the full one:
    # the rules it did not run must not lose their findings there.
    world.shared_base.mkdir()
    before = latest.read_text()
    res = cli("--json", *partial)
    assert res.code == 0, res.err
    assert len(world.saved_reports()) == 2
    assert latest.read_text() == before
    assert res.json()["run"]["id"] in {
        json.loads(p.read_text())["run"]["id"] for p in world.saved_reports()
    }

    # The next full scan compares with the last full one and becomes latest.json itself.
    full = cli("--json").json()
    assert full["previous_report"] == first["run"]["id"]
    assert full["resolved"] == [fixed_fp]
    assert len(world.saved_reports()) == 3
    assert json.loads(latest.read_text())["run"]["id"] == full["run"]["id"]


def _tree(root) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


def test_no_save_saves_nothing(world, cli) -> None:
    world.shared_base.rmdir()
    before = _tree(world.root)
    assert cli("--no-save").code == 0
    assert cli("--no-save", "--json").code == 0
    assert not world.report_dir.exists()
    assert _tree(world.root) == before


# ---------------------------------------------------------------------------------------------
# new / resolved
# ---------------------------------------------------------------------------------------------


def test_new_and_resolved_across_scans(busy_world, cli) -> None:
    first = cli("--json").json()
    fingerprints = sorted(f["fingerprint"] for f in first["findings"])
    assert len(fingerprints) == 5
    assert first["new"] == fingerprints
    assert first["resolved"] == []
    assert first["previous_report"] is None

    same = cli("--json").json()
    assert same["new"] == []
    assert same["resolved"] == []
    assert same["previous_report"] == first["run"]["id"]

    fixed_fp = next(f["fingerprint"] for f in same["findings"] if f["rule"] == "YTM102")
    busy_world.shared_base.mkdir()
    after = cli("--json").json()
    assert after["resolved"] == [fixed_fp]
    assert fixed_fp not in after["new"]
    assert after["new"] == []
    assert fixed_fp not in {f["fingerprint"] for f in after["findings"]}

    # The problem comes back: it is new again.
    busy_world.shared_base.rmdir()
    back = cli("--json").json()
    assert back["new"] == [fixed_fp]


def test_fingerprints_survive_a_moved_workspace(busy_world, cli, tmp_path) -> None:
    res = cli("--json", "--no-save", *OURS)
    before = {f["path"]: f["fingerprint"] for f in res.json()["findings"]}
    moved = busy_world.root.parent / (busy_world.root.name + "-moved")
    busy_world.root.rename(moved)
    try:
        res = cli("--json", "--no-save", *OURS, "--config", str(moved / "ytm-doctor.yaml"))
        after = {f["path"]: f["fingerprint"] for f in res.json()["findings"]}
    finally:
        moved.rename(busy_world.root)
    assert after == before


def test_terminal_summary_says_what_changed(world, cli) -> None:
    world.shared_base.rmdir()
    cli()
    world.shared_base.mkdir()
    last = cli().out.strip().splitlines()[-1]
    assert "0 new, 1 resolved" in last


# ---------------------------------------------------------------------------------------------
# Help and usage errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command(world, cli, command) -> None:
    res = cli(command, "--help")
    assert res.code == 0
    assert res.out.startswith("usage: ytm-doctor")
    assert res.err == ""


def test_top_level_help_lists_the_commands_and_exit_codes(tmp_path, monkeypatch, cli) -> None:
    monkeypatch.chdir(tmp_path)  # no configuration needed for help
    res = cli("--help")
    assert res.code == 0
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", res.out, re.MULTILINE), command
    assert "5 no checks selected" in res.out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_works_with_a_broken_config(tmp_path, monkeypatch, cli, command) -> None:
    (tmp_path / "ytm-doctor.yaml").write_text("workspace_root: [unclosed\n")
    monkeypatch.chdir(tmp_path)
    res = cli(command, "--help")
    assert res.code == 0, res.err
    assert "usage:" in res.out


def test_version(cli) -> None:
    res = cli("--version")
    assert res.code == 0
    assert re.fullmatch(r"ytm-doctor \d+\.\d+\.\d+\S*\n", res.out)


@pytest.mark.parametrize(
    "argv",
    [["--bogus"], ["list", "--bogus"], ["explain"], ["config", "--nope"], ["scan", "stray"]],
)
def test_unknown_option_is_one_line_and_exit_4(world, cli_proc, argv) -> None:
    res = cli_proc(*argv, cwd=world.root)
    assert res.code == 4
    assert "Traceback" not in res.err
    assert len(res.err_lines) == 1, res.err
    assert res.err.startswith("ytm-doctor: error:")
    assert res.out == ""


def test_usage_error_names_the_program_once(world, cli) -> None:
    res = cli("--bogus")
    assert res.err_lines == ["ytm-doctor: error: unrecognized arguments: --bogus"]


def test_bad_config_file_is_one_line_and_exit_4(world, cli) -> None:
    world.config_file.write_text("workspace_root: [unclosed\n")
    res = cli()
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "invalid YAML" in res.err and "line" in res.err


# ---------------------------------------------------------------------------------------------
# explain
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["YTM101", "ytm101"])
def test_explain_prints_the_rule_page(world, cli, code) -> None:
    res = cli("explain", code)
    assert res.code == 0, res.err
    page = ssot_files.rule_page("YTM101")
    assert page is not None, "ssot/rules/YTM101.md is missing"
    assert res.out == (page if page.endswith("\n") else page + "\n")
    assert "## How to fix it by hand" in res.out


def test_explain_needs_no_workspace(tmp_path, monkeypatch, cli) -> None:
    monkeypatch.chdir(tmp_path)
    res = cli("explain", "YTM102")
    assert res.code == 0, res.err
    assert res.out.startswith("# YTM102 share-degraded")


def test_explain_unknown_rule_is_a_usage_error(world, cli) -> None:
    res = cli("explain", "NOPE")
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "NOPE" in res.err
    assert res.out == ""


def test_explain_a_plugin_rule_prints_its_own_page(world, cli) -> None:
    page = world.write("plugins/LOC200.md", "# LOC200 my-rule\n\n## What it finds\nthings\n")
    world.write(
        "plugins/mine.py",
        "from ytm_doctor import check\n\n\n"
        f"@check('LOC200', 'my-rule', docs={str(page)!r})\n"
        "def my_rule(ctx):\n    '''my rule'''\n    return []\n",
    )
    world.configure(plugins=["plugins/mine.py"])
    res = cli("explain", "LOC200")
    assert res.code == 0, res.err
    assert res.out == page.read_text()


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------


def test_video_without_channel_is_a_usage_error(world, cli) -> None:
    res = cli("--video", "001")
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "--channel" in res.err
    assert not world.report_dir.exists()


@pytest.mark.parametrize("args", [["--channel", "CH1"], ["--channel", "CH01", "--video", "x1"]])
def test_malformed_scope_is_a_usage_error(world, cli, args) -> None:
    res = cli(*args)
    assert res.code == 4
    assert len(res.err_lines) == 1


def test_channel_scope_keeps_global_findings(busy_world, cli) -> None:
    report = cli("--channel", "ch01", "--json", "--no-save", *OURS).json()
    assert report["config"]["scope"] == {"channel": "CH01", "video": None}
    rules = sorted(f["rule"] for f in report["findings"])
    assert rules == ["LOC100", "LOC100", "YTM100", "YTM102"]
    episodes = sorted(f["episode"] for f in report["findings"] if f["episode"])
    assert episodes == ["CH01-001", "CH01-002"]
    assert report["summary"]["info_total"] == 2


def test_video_scope_keeps_only_that_episode_and_global_findings(busy_world, cli) -> None:
    report = cli("--channel", "CH01", "--video", "2", "--json", "--no-save", *OURS).json()
    assert report["config"]["scope"] == {"channel": "CH01", "video": "002"}
    got = sorted((f["rule"], f["episode"]) for f in report["findings"])
    assert got == [("LOC100", "CH01-002"), ("YTM100", None), ("YTM102", None)]


def test_a_scoped_scan_does_not_resolve_other_channels(busy_world, cli) -> None:
    full = cli("--json").json()
    ch02 = next(f["fingerprint"] for f in full["findings"] if f["channel"] == "CH02")
    scoped = cli("--channel", "CH01", "--json").json()
    assert scoped["previous_report"] == full["run"]["id"]
    assert ch02 not in {f["fingerprint"] for f in scoped["findings"]}
    assert ch02 not in scoped["resolved"]
    assert scoped["resolved"] == []
