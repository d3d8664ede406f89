"""Plugins (SPEC §5): a user's short check file works like a built-in however it is loaded.

Loading ways: the config's `plugins:`, `-p FILE.py`, `-p MODULE`, and the `ytm_doctor`
entry-point group of an installed distribution (a fake dist-info on PYTHONPATH, in a real
subprocess, since that is where importlib.metadata looks).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The user's whole plugin: 12 lines.
LOC_PLUGIN = '''\
from ytm_doctor import check


@check("LOC001", "no-tmp-files", severity="warning", tags=("hygiene",),
       root="workspace", kinds=("file",))
def no_tmp_files(entry, ctx):
    """a temporary file left in the workspace"""
    if entry.name.endswith(".tmp"):
        yield no_tmp_files.rule.finding(
            f"{entry.rel} is a leftover temporary file",
            root="workspace", path=entry.rel, abs_path=entry.path,
        )
'''

HOOK_PLUGIN = """\
from ytm_doctor import Check, Rule, Severity, hookimpl

RULE = Rule("LOC010", "hook-style-check", Severity.VIOLATION, "always finds one thing",
            tags=("hygiene", "demo"))


class MyCheck(Check):
    rule = RULE

    def finish(self, ctx):
        root = ctx.paths.workspace_root
        return [RULE.finding("found by a hookimpl", root="workspace", path=".",
                             abs_path=str(root))]


@hookimpl
def ytm_doctor_collect_checks():
    return [MyCheck()]
"""


def test_the_example_plugin_is_short() -> None:
    # SPEC §5: "a user adds a check with a short Python file"; this one is the documented size.
    assert len(LOC_PLUGIN.splitlines()) <= 15


@pytest.fixture
def tmp_files(world):
    """Workspace content for LOC001: one *.tmp file to find, one ordinary file to leave alone."""
    world.write("ws/junk/render.tmp", "half a render")
    world.write("ws/junk/notes.txt", "keep")
    return world


# ---------------------------------------------------------------------------------------------
# One plugin, four ways to load it
# ---------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    """How to run ytm-doctor with the LOC001 plugin loaded one particular way."""

    plugin_name: str
    source: str
    runner: Callable[..., object]
    extra: list[str] = field(default_factory=list)  # options added after the command name

    def run(self, command: str | None, *args: str):
        argv = ([command] if command else []) + self.extra + list(args)
        return self.runner(*argv)


def make_dist(site: Path, dist: str, module: str, source: str) -> None:
    """A minimal installed distribution on `site` whose `ytm_doctor` entry point is `module`."""
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[ytm_doctor]\n{dist} = {module}\n")
    (site / f"{module}.py").write_text(source)


@pytest.fixture(params=["config", "p-file", "p-module", "entrypoint"])
def loaded(request, tmp_files, cli, cli_proc, monkeypatch) -> Loaded:
    world = tmp_files
    how = request.param
    if how == "config":
        world.write("plugins/loc_checks.py", LOC_PLUGIN)
        world.configure(plugins=["plugins/loc_checks.py"])
        return Loaded("loc_checks", "config", cli)
    if how == "p-file":
        world.write("plugins/loc_checks.py", LOC_PLUGIN)
        return Loaded("loc_checks", "-p", cli, ["-p", "plugins/loc_checks.py"])
    if how == "p-module":
        world.write("mods/loc_checks_mod.py", LOC_PLUGIN)
        monkeypatch.syspath_prepend(str(world.root / "mods"))
        return Loaded("loc_checks_mod", "-p", cli, ["-p", "loc_checks_mod"])
    site = world.root / "site"
    make_dist(site, "foo", "foo_plugin", LOC_PLUGIN)

    def run_proc(*argv: str):
        return cli_proc(*argv, cwd=world.root, env={"PYTHONPATH": str(site)})

    return Loaded("foo", "entrypoint", run_proc)


def test_plugin_rule_shows_in_list(loaded: Loaded) -> None:
    res = loaded.run("list")
    assert res.code == 0, res.err
    line = next(x for x in res.out.splitlines() if x.startswith("LOC001"))
    assert "no-tmp-files" in line and "warning" in line
    assert f"plugin: {loaded.plugin_name}" in res.out
    # Built-ins are still all there.
    assert {"YTM100", "YTM101", "YTM102"} <= {x.split()[0] for x in res.out.splitlines() if x}


def test_plugin_rule_shows_in_list_json_with_its_plugin(loaded: Loaded) -> None:
    res = loaded.run("list", "--json")
    assert res.code == 0, res.err
    rules = {r["code"]: r for r in json.loads(res.out)}
    assert rules["LOC001"]["plugin"] == loaded.plugin_name
    assert rules["LOC001"]["name"] == "no-tmp-files"
    assert rules["LOC001"]["severity"] == "warning"
    assert rules["LOC001"]["tags"] == ["hygiene"]
    assert rules["LOC001"]["summary"] == "a temporary file left in the workspace"


def test_list_plugins_says_where_the_plugin_came_from(loaded: Loaded) -> None:
    res = loaded.run("list", "--plugins", "--json")
    assert res.code == 0, res.err
    infos = {p["name"]: p for p in json.loads(res.out)}
    assert infos[loaded.plugin_name]["source"] == loaded.source
    assert infos["share"]["source"] == "builtin"


def test_plugin_rule_is_selectable_and_its_finding_is_reported(loaded: Loaded) -> None:
    res = loaded.run(None, "--select", "LOC", "--json", "--no-save")
    assert res.code == 0, res.err  # a warning does not fail the scan
    report = json.loads(res.out)
    assert [c["code"] for c in report["checks"]] == ["LOC001"]
    assert report["checks"][0]["plugin"] == loaded.plugin_name
    [finding] = report["findings"]
    assert finding["rule"] == "LOC001"
    assert finding["name"] == "no-tmp-files"
    assert finding["severity"] == "warning"
    assert finding["root"] == "workspace"
    assert finding["path"] == "junk/render.tmp"
    assert Path(finding["abs_path"]).read_text() == "half a render"
    assert report["summary"]["by_rule"] == {"LOC001": 1}


def test_plugin_check_runs_beside_the_builtins(loaded: Loaded) -> None:
    res = loaded.run(None, "--json", "--no-save")
    assert res.code in (0, 1), res.err
    report = json.loads(res.out)
    assert {"YTM100", "YTM101", "YTM102", "LOC001"} <= {c["code"] for c in report["checks"]}
    assert [f["path"] for f in report["findings"] if f["rule"] == "LOC001"] == ["junk/render.tmp"]


def test_plugin_rule_is_selectable_by_tag(loaded: Loaded) -> None:
    res = loaded.run(None, "-k", "hygiene", "--collect-only")
    assert res.code == 0, res.err
    assert "<LOC001 no-tmp-files warning" in res.out
    assert "YTM10" not in res.out


# ---------------------------------------------------------------------------------------------
# Where relative plugin paths are taken from
# ---------------------------------------------------------------------------------------------


def test_config_plugin_path_is_relative_to_the_config_file(tmp_files, cli, monkeypatch) -> None:
    world = tmp_files
    world.write("plugins/loc_checks.py", LOC_PLUGIN)
    world.configure(plugins=["plugins/loc_checks.py"])
    elsewhere = world.root / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    res = cli("list", "--config", str(world.config_file), "--select", "LOC")
    assert res.code == 0, res.err
    assert "LOC001" in res.out


def test_p_file_path_is_relative_to_the_working_directory(tmp_files, cli, monkeypatch) -> None:
    world = tmp_files
    world.write("elsewhere/mine.py", LOC_PLUGIN)
    monkeypatch.chdir(world.root / "elsewhere")
    res = cli("list", "--config", str(world.config_file), "-p", "mine.py", "--json")
    assert res.code == 0, res.err
    assert "LOC001" in {r["code"] for r in json.loads(res.out)}


# ---------------------------------------------------------------------------------------------
# hookimpl-style plugins and the other hooks
# ---------------------------------------------------------------------------------------------


def test_hookimpl_style_plugin_works_like_a_builtin(world, cli) -> None:
    world.write("plugins/hooky.py", HOOK_PLUGIN)
    world.configure(plugins=["plugins/hooky.py"])

    listed = {r["code"]: r for r in cli("list", "--json").json()}
    assert listed["LOC010"]["plugin"] == "hooky"
    assert listed["LOC010"]["severity"] == "violation"

    res = cli("--json", "--no-save", "--select", "LOC")
    assert res.code == 1  # its finding is a violation
    report = res.json()
    [finding] = [f for f in report["findings"] if f["rule"] == "LOC010"]
    assert finding["message"] == "found by a hookimpl"
    assert report["summary"]["violations_total"] == 1

    assert cli("--select", "LOC010", "--json", "--no-save").json()["summary"]["checks_run"] == 1
    assert cli("-k", "demo", "--collect-only").out.startswith("<LOC010 hook-style-check")


def test_report_ready_hook_receives_the_finished_report(tmp_files, cli) -> None:
    world = tmp_files
    world.write("plugins/loc_checks.py", LOC_PLUGIN)
    world.write(
        "plugins/notify.py",
        textwrap.dedent(
            """\
            import json
            from pathlib import Path
            from ytm_doctor import hookimpl

            @hookimpl
            def ytm_doctor_report_ready(report, config):
                out = Path(config.paths.workspace_root).parent / "notified.json"
                latest = Path(config.paths.report_dir) / "latest.json"
                saved = json.loads(latest.read_text()) if latest.is_file() else None
                out.write_text(json.dumps({"report": report.to_json(), "saved": saved}))
            """
        ),
    )
    world.configure(plugins=["plugins/loc_checks.py", "plugins/notify.py"])
    res = cli("--json")  # a full scan: it becomes latest.json
    assert res.code == 0, res.err
    printed = res.json()
    got = json.loads((world.root / "notified.json").read_text())
    notified = got["report"]
    assert notified["run"]["id"] == printed["run"]["id"]
    assert notified["summary"] == printed["summary"]
    assert [f["path"] for f in notified["findings"] if f["rule"] == "LOC001"] == ["junk/render.tmp"]
    # After the writers: this very report was already saved when the hook ran.
    assert got["saved"] is not None and got["saved"]["run"]["id"] == printed["run"]["id"]


def test_a_failing_report_ready_hook_does_not_change_the_result(world, cli) -> None:
    world.write(
        "plugins/notify.py",
        "from ytm_doctor import hookimpl\n\n\n"
        "@hookimpl\ndef ytm_doctor_report_ready(report):\n"
        "    raise ConnectionError('slack is down')\n",
    )
    world.configure(plugins=["plugins/notify.py"])
    res = cli()
    assert res.code == 0
    assert "slack is down" in res.err
    assert "Traceback" not in res.err
    assert (world.report_dir / "latest.json").is_file()


def test_addoption_hook_adds_a_scan_option_the_check_can_read(world, cli) -> None:
    world.write(
        "plugins/suffix.py",
        textwrap.dedent(
            '''\
            from ytm_doctor import check, hookimpl

            @hookimpl
            def ytm_doctor_addoption(parser):
                parser.add_argument("--junk-suffix", default=".tmp", help="what counts as junk")

            @check("LOC020", "junk", root="workspace")
            def junk(entry, ctx):
                """junk files"""
                if entry.name.endswith(ctx.config.getoption("junk_suffix")):
                    yield junk.rule.finding("junk", root="workspace", path=entry.rel,
                                            abs_path=entry.path)
            '''
        ),
    )
    world.write("ws/a.tmp")
    world.write("ws/b.bak")
    world.configure(plugins=["plugins/suffix.py"])
    assert "--junk-suffix" in cli("--help").out
    default = cli("--select", "LOC020", "--json", "--no-save").json()
    assert [f["path"] for f in default["findings"]] == ["a.tmp"]
    chosen = cli("--select", "LOC020", "--junk-suffix", ".bak", "--json", "--no-save").json()
    assert [f["path"] for f in chosen["findings"]] == ["b.bak"]


def test_configure_hook_can_refuse_with_a_one_line_usage_error(world, cli) -> None:
    world.write(
        "plugins/picky.py",
        "from ytm_doctor import UsageError, hookimpl\n\n\n"
        "@hookimpl\ndef ytm_doctor_configure(config):\n"
        "    raise UsageError('picky: set picky.level first')\n",
    )
    world.configure(plugins=["plugins/picky.py"])
    res = cli()
    assert res.code == 4
    assert res.err_lines == ["ytm-doctor: error: picky: set picky.level first"]


def test_misspelled_hook_is_refused_not_silently_ignored(world, cli) -> None:
    world.write(
        "plugins/typo.py",
        "from ytm_doctor import hookimpl\n\n\n"
        "@hookimpl\ndef ytm_doctor_colect_checks():\n    return []\n",
    )
    res = cli("list", "-p", "plugins/typo.py")
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "ytm_doctor_colect_checks" in res.err


def test_hookimpl_with_unknown_argument_is_a_usage_error(world, cli) -> None:
    world.write(
        "plugins/badargs.py",
        "from ytm_doctor import hookimpl\n\n\n"
        "@hookimpl\ndef ytm_doctor_collect_checks(cfg):\n    return []\n",
    )
    res = cli("list", "-p", "plugins/badargs.py")
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "badargs" in res.err and "cfg" in res.err


def test_installed_plugin_with_a_bad_hookimpl_is_a_usage_error(world, cli_proc) -> None:
    site = world.root / "site"
    bad = "from ytm_doctor import hookimpl\n\n\n@hookimpl\ndef ytm_doctor_collect_checks(cfg):\n"
    make_dist(site, "foo", "foo_plugin", bad + "    return []\n")
    res = cli_proc("list", cwd=world.root, env={"PYTHONPATH": str(site)})
    assert res.code == 4, res.err
    assert len(res.err_lines) == 1
    assert "foo" in res.err and "cfg" in res.err


def test_collect_hook_returning_a_non_check_is_a_usage_error(world, cli) -> None:
    world.write(
        "plugins/wrong.py",
        "from ytm_doctor import hookimpl\n\n\n"
        "@hookimpl\ndef ytm_doctor_collect_checks():\n    return ['YTM999']\n",
    )
    res = cli("list", "-p", "plugins/wrong.py")
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "wrong" in res.err and "not a Check" in res.err


# ---------------------------------------------------------------------------------------------
# Disabling plugins with -p no:NAME
# ---------------------------------------------------------------------------------------------


def listed_codes(res) -> set[str]:
    return {r["code"] for r in json.loads(res.out)}


def test_p_no_share_removes_the_share_rules(world, cli) -> None:
    assert {"YTM101", "YTM102"} <= listed_codes(cli("list", "--json"))
    res = cli("list", "--json", "-p", "no:share")
    assert res.code == 0, res.err
    codes = listed_codes(res)
    assert "YTM101" not in codes and "YTM102" not in codes
    assert "YTM100" in codes
    # And they do not run either.
    ran = {c["code"] for c in cli("-p", "no:share", "--json", "--no-save").json()["checks"]}
    assert "YTM100" in ran
    assert not ran & {"YTM101", "YTM102"}


def test_p_no_name_blocks_a_config_plugin(tmp_files, cli) -> None:
    world = tmp_files
    world.write("plugins/loc_checks.py", LOC_PLUGIN)
    world.configure(plugins=["plugins/loc_checks.py"])
    assert "LOC001" in listed_codes(cli("list", "--json"))
    assert "LOC001" not in listed_codes(cli("list", "--json", "-p", "no:loc_checks"))


def test_p_no_name_blocks_an_entry_point_plugin(tmp_files, cli_proc) -> None:
    world = tmp_files
    site = world.root / "site"
    make_dist(site, "foo", "foo_plugin", LOC_PLUGIN)
    env = {"PYTHONPATH": str(site)}
    assert "LOC001" in listed_codes(cli_proc("list", "--json", cwd=world.root, env=env))
    res = cli_proc("list", "--json", "-p", "no:foo", cwd=world.root, env=env)
    assert res.code == 0, res.err
    assert "LOC001" not in listed_codes(res)


def test_list_plugins_does_not_show_a_blocked_plugin_as_loaded(world, cli) -> None:
    res = cli("list", "--plugins", "--json", "-p", "no:share")
    assert res.code == 0, res.err
    shown = {p["name"]: p for p in res.json()}
    assert shown["share"]["source"] == "blocked", shown["share"]
    assert shown["vault"]["source"] == "builtin"
    text = cli("list", "--plugins", "-p", "no:share").out
    assert [line.split()[:2] for line in text.splitlines() if line.startswith("share ")] == [
        ["share", "blocked"]
    ]


def test_p_no_name_rescues_a_broken_installed_plugin(world, cli_proc) -> None:
    site = world.root / "site"
    make_dist(site, "foo", "foo_plugin", "raise RuntimeError('foo is broken')\n")
    env = {"PYTHONPATH": str(site)}
    broken = cli_proc("list", cwd=world.root, env=env)
    assert broken.code == 3
    assert len(broken.err_lines) == 1 and "foo is broken" in broken.err
    assert "Traceback" not in broken.err
    rescued = cli_proc("list", "-p", "no:foo", cwd=world.root, env=env)
    assert rescued.code == 0, rescued.err
    assert "YTM101" in rescued.out


def test_autoload_switch_skips_installed_plugins(tmp_files, cli_proc) -> None:
    world = tmp_files
    site = world.root / "site"
    make_dist(site, "foo", "foo_plugin", LOC_PLUGIN)
    env = {"PYTHONPATH": str(site), "YTM_DOCTOR_DISABLE_PLUGIN_AUTOLOAD": "1"}
    res = cli_proc("list", "--json", cwd=world.root, env=env)
    assert res.code == 0, res.err
    assert "LOC001" not in listed_codes(res)


# ---------------------------------------------------------------------------------------------
# Broken plugins: one clear line and the right exit code
# ---------------------------------------------------------------------------------------------


def test_missing_plugin_module_is_a_usage_error(world, cli) -> None:
    res = cli("list", "-p", "no_such_ytm_plugin_module")
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "no_such_ytm_plugin_module" in res.err
    assert res.out == ""


def test_missing_plugin_file_in_config_is_a_usage_error(world, cli) -> None:
    world.configure(plugins=["plugins/gone.py"])
    res = cli()
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "gone.py" in res.err
    assert not world.report_dir.exists()


def test_plugin_raising_at_import_is_an_internal_error(world, cli_proc) -> None:
    world.write("plugins/bad.py", "import json\nraise RuntimeError('kaboom at import')\n")
    res = cli_proc("list", "-p", "plugins/bad.py", cwd=world.root)
    assert res.code == 3
    assert len(res.err_lines) == 1
    assert "bad.py" in res.err and "kaboom at import" in res.err
    assert "Traceback" not in res.err


def test_plugin_module_raising_at_import_is_an_internal_error(world, cli, monkeypatch) -> None:
    world.write("mods/bad_mod_ytm.py", "raise RuntimeError('kaboom in module')\n")
    monkeypatch.syspath_prepend(str(world.root / "mods"))
    res = cli("list", "-p", "bad_mod_ytm")
    assert res.code == 3
    assert len(res.err_lines) == 1
    assert "bad_mod_ytm" in res.err and "kaboom in module" in res.err


def test_plugin_with_a_syntax_error_is_one_line(world, cli) -> None:
    world.write("plugins/typo.py", "def broken(:\n")
    res = cli("list", "-p", "plugins/typo.py")
    assert res.code in (3, 4)
    assert len(res.err_lines) == 1
    assert "typo.py" in res.err


def test_a_plugin_redeclaring_a_builtin_code_is_refused(world, cli) -> None:
    world.write("plugins/dup.py", LOC_PLUGIN.replace("LOC001", "YTM101"))
    res = cli("list", "-p", "plugins/dup.py")
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "YTM101" in res.err
    assert res.out == ""


def test_two_plugins_with_the_same_code_are_refused(world, cli) -> None:
    world.write("plugins/one.py", LOC_PLUGIN)
    world.write("plugins/two.py", LOC_PLUGIN.replace("no-tmp-files", "tmp-files-again"))
    world.configure(plugins=["plugins/one.py", "plugins/two.py"])
    res = cli()
    assert res.code == 4
    assert len(res.err_lines) == 1
    assert "LOC001" in res.err and "one" in res.err and "two" in res.err
    assert not world.report_dir.exists()


def test_a_local_plugin_named_like_a_builtin_is_not_silently_dropped(world, cli) -> None:
    path = world.write("plugins/share.py", LOC_PLUGIN)
    res = cli("list", "--json", "-p", "plugins/share.py")
    assert res.code == 0, res.err
    # Both load: the built-in keeps its name, the local file is registered under its path.
    rules = {r["code"]: r for r in res.json()}
    assert {"LOC001", "YTM101", "YTM102"} <= set(rules)
    assert rules["LOC001"]["plugin"] == str(path)
    assert rules["YTM101"]["plugin"] == "share"


def test_two_local_plugins_with_the_same_file_name_both_load(world, cli) -> None:
    world.write("team/checks.py", LOC_PLUGIN)
    mine = world.write("mine/checks.py", LOC_PLUGIN.replace("LOC001", "LOC002"))
    world.configure(plugins=["team/checks.py", "mine/checks.py"])
    res = cli("list", "--json")
    assert res.code == 0, res.err
    # The first keeps its short name; the second, whose name is taken, goes by its path.
    plugins = {r["code"]: r["plugin"] for r in res.json()}
    assert plugins["LOC001"] == "checks"
    assert plugins["LOC002"] == str(mine)


def test_list_plugins_shows_builtin_config_and_p_sources(tmp_files, cli) -> None:
    world = tmp_files
    world.write("plugins/loc_checks.py", LOC_PLUGIN)
    world.write("plugins/hooky.py", HOOK_PLUGIN)
    world.configure(plugins=["plugins/loc_checks.py"])
    res = cli("list", "--plugins", "-p", "plugins/hooky.py")
    assert res.code == 0, res.err
    rows = {line.split()[0]: line.split()[1:] for line in res.out.splitlines() if line.strip()}
    assert rows["share"][0] == "builtin"
    assert rows["config_paths"][0] == "builtin"
    assert rows["loc_checks"][0] == "config"
    assert rows["loc_checks"][1] == str(world.root / "plugins" / "loc_checks.py")
    assert rows["hooky"][0] == "-p"
    # Registration order as pytest's: built-ins, then the config's, then -p.
    names = list(rows)
    assert names.index("share") < names.index("loc_checks") < names.index("hooky")


# ---------------------------------------------------------------------------------------------
# A check that raises
# ---------------------------------------------------------------------------------------------

RAISING_PLUGIN = '''\
from ytm_doctor import check


@check("LOC002", "explodes", root="workspace")
def explodes_on_walk(entry, ctx):
    """raises while walking"""
    if entry.name.endswith(".tmp"):
        raise ValueError("kaputt while walking")
    return []


@check("LOC003", "explodes-at-the-end")
def explodes_at_the_end(ctx):
    """raises after the walk"""
    raise ValueError("kaputt at the end")
'''


@pytest.mark.parametrize(
    ("code", "message", "path"),
    [
        ("LOC002", "ValueError: kaputt while walking", "junk/render.tmp"),
        ("LOC003", "ValueError: kaputt at the end", None),
    ],
)
def test_a_raising_check_is_an_error_of_that_check_only(
    tmp_files, cli, code, message, path
) -> None:
    world = tmp_files
    world.write("plugins/loc_checks.py", LOC_PLUGIN)
    world.write("plugins/raising.py", RAISING_PLUGIN)
    world.shared_base.rmdir()  # YTM102 has something to find
    world.configure(plugins=["plugins/loc_checks.py", "plugins/raising.py"])
    other = "LOC003" if code == "LOC002" else "LOC002"

    res = cli("--json", "--select", "YTM1,LOC", "--ignore", other)
    assert res.code == 1  # an errored check fails the scan
    report = res.json()
    assert report["summary"]["checks_errored"] == 1
    check_errors = [e for e in report["errors"] if e["kind"] == "check"]
    assert len(check_errors) == 1
    assert check_errors[0]["check"] == code
    assert check_errors[0]["message"] == message
    if path is not None:
        assert check_errors[0]["path"] == path
        assert check_errors[0]["root"] == "workspace"
    outcomes = {c["code"]: c for c in report["checks"]}
    assert outcomes[code]["error"] == message
    assert all(c["error"] is None for k, c in outcomes.items() if k != code)
    # The other checks still ran and reported.
    rules = [f["rule"] for f in report["findings"]]
    assert "LOC001" in rules and "YTM102" in rules
    assert code not in rules
    # And the terminal says so too.
    term = cli("--no-save", "--select", "YTM1,LOC", "--ignore", other)
    assert code in term.out and "kaputt" in term.out
    assert "1 check error" in term.out


def test_a_check_raising_once_per_entry_is_reported_once(world, cli) -> None:
    for i in range(5):
        world.write(f"ws/junk/{i}.tmp")
    world.write("plugins/raising.py", RAISING_PLUGIN)
    res = cli("--json", "--no-save", "-p", "plugins/raising.py", "--select", "LOC002")
    report = res.json()
    assert report["summary"]["checks_errored"] == 1
    assert len([e for e in report["errors"] if e["kind"] == "check"]) == 1


def test_a_check_raising_in_start_is_an_error_of_that_check(tmp_files, cli) -> None:
    world = tmp_files
    world.write("plugins/loc_checks.py", LOC_PLUGIN)
    world.write(
        "plugins/nostart.py",
        textwrap.dedent(
            """\
            from ytm_doctor import Check, Rule, Severity, hookimpl

            class NoStart(Check):
                rule = Rule("LOC004", "cannot-start", Severity.INFO, "fails to start")
                def start(self, ctx):
                    raise OSError("no database")

            @hookimpl
            def ytm_doctor_collect_checks():
                return [NoStart()]
            """
        ),
    )
    world.configure(plugins=["plugins/loc_checks.py", "plugins/nostart.py"])
    report = cli("--json", "--no-save", "--select", "LOC").json()
    assert report["summary"]["checks_errored"] == 1
    assert {c["code"]: c["error"] for c in report["checks"]}["LOC004"] == "OSError: no database"
    assert "LOC001" in {f["rule"] for f in report["findings"]}
