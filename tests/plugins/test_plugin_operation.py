"""A third-party operation in one plugin file: a fixer plans with it, `fix --run` applies it
through the Executor (confined, journaled), and `undo --run` reverts it — with no edit to
ytm-doctor itself."""

from __future__ import annotations

import json
import os
import stat
import textwrap
from pathlib import Path

import pytest

from ytm_doctor.cli import main

PLUGIN = textwrap.dedent(
    '''
    """Make the factory's helper scripts executable (a site's own rule, fixer and operation)."""

    import os
    import stat

    from ytm_doctor import Action, Fixer, Operation, fix_for, hookimpl
    from ytm_doctor.decorator import check
    from ytm_doctor.fix.operation import unchanged
    from ytm_doctor.fix.state import path_state


    class Chmod(Operation):
        """chmod(path, options={"mode": int}); undo restores the mode it had."""

        name = "site_chmod"
        needs = ("options",)

        def describe(self, action):
            return f"chmod    {action.path} {action.options['mode']:o}"

        def inverse(self, action, path, ex):
            old = stat.S_IMODE(os.lstat(path).st_mode)
            return {"op": "site_unchmod", "path": action.path.to_json(), "mode": old,
                    "state": path_state(path), "set": action.options["mode"]}

        def do(self, action, path, inverse, ex):
            os.chmod(path, action.options["mode"], follow_symlinks=False)

        def inverse_problems(self, inverse, path, ex, freed):
            now = stat.S_IMODE(os.lstat(path).st_mode) if os.path.lexists(path) else None
            if now != inverse["set"]:
                return [f"{path}: its mode changed since the fix; left as it is"]
            from ytm_doctor import PathRef
            return unchanged(PathRef.from_json(inverse["path"]), inverse["state"], path_state(path))

        def undo(self, inverse, path, ex):
            os.chmod(path, inverse["mode"])


    @check("SITE900", "script-not-executable", severity="warning", root="workspace",
           kinds=("file",), under=("tools",), fixer="site-chmod")
    def script_not_executable(entry, ctx):
        """a helper script without its executable bit"""
        if entry.name.endswith(".sh") and not os.access(entry.path, os.X_OK):
            yield script_not_executable.rule.finding(
                "not executable", root=entry.root, path=entry.rel, abs_path=entry.path)


    class SiteChmod(Fixer):
        name = "site-chmod"
        summary = "make helper scripts executable"

        def plan(self, findings, fx):
            for finding in findings:
                ref = fx.ref(finding.abs_path)
                yield fix_for(finding, self.name, "chmod +x",
                              [Action("site_chmod", ref, options={"mode": 0o755})])


    @hookimpl
    def ytm_doctor_collect_operations():
        return [Chmod()]


    @hookimpl
    def ytm_doctor_collect_fixers():
        return [SiteChmod()]
    '''
)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "ws"
    (ws / "tools").mkdir(parents=True)
    (ws / "tools" / "render.sh").write_text("#!/bin/sh\necho render\n")
    os.chmod(ws / "tools" / "render.sh", 0o644)
    (tmp_path / "share").mkdir()
    (tmp_path / "site_ops.py").write_text(PLUGIN)
    return tmp_path


def cli(site: Path, *args: str) -> int:
    return main(
        [
            *args,
            "-p",
            str(site / "site_ops.py"),
            "--workspace-root",
            str(site / "ws"),
            "--share-root",
            str(site / "share"),
            "--set",
            "shared_storage.require_mount=false",
        ]
    )


def mode(site: Path) -> int:
    return stat.S_IMODE(os.lstat(site / "ws" / "tools" / "render.sh").st_mode)


def test_a_plugin_operation_is_planned_applied_journaled_and_undone(site: Path, capsys) -> None:
    assert cli(site, "fix", "--select", "SITE900") == 0
    assert "chmod    workspace:tools/render.sh 755" in capsys.readouterr().out
    assert mode(site) == 0o644  # the preview changed nothing

    assert cli(site, "fix", "--select", "SITE900", "--run", "--json") == 0
    run = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert mode(site) == 0o755
    journal = [json.loads(line) for line in Path(run["journal"]).read_text().splitlines()]
    begin = next(e for e in journal if e["type"] == "begin")
    assert begin["action"]["op"] == "site_chmod"
    assert begin["inverse"]["op"] == "site_unchmod" and begin["inverse"]["mode"] == 0o644

    assert cli(site, "undo", run["run_id"], "--run") == 0
    assert "1 undone, 0 refused, 0 failed" in capsys.readouterr().out
    assert mode(site) == 0o644


def test_undo_of_a_plugin_operation_needs_its_plugin(site: Path, capsys) -> None:
    assert cli(site, "fix", "--select", "SITE900", "--run", "--json") == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    code = main(
        [
            "undo",
            run_id,
            "--run",
            "--workspace-root",
            str(site / "ws"),
            "--share-root",
            str(site / "share"),
            "--set",
            "shared_storage.require_mount=false",
        ]
    )
    assert code == 1
    assert "unknown operation 'site_chmod'" in capsys.readouterr().out
    assert mode(site) == 0o755  # nothing half-undone


def test_a_plan_file_naming_an_unknown_operation_is_refused(site: Path, capsys) -> None:
    plan = {
        "schema": "ytm-doctor.plan.v1",
        "created": "2026-01-01T00:00:00Z",
        "fixes": [
            {
                "fixer": "x",
                "rule": "X",
                "actions": [{"op": "rm_rf", "path": {"root": "workspace", "rel": "tools"}}],
            }
        ],
    }
    (site / "plan.json").write_text(json.dumps(plan))
    assert cli(site, "apply", str(site / "plan.json"), "--run") == 4
    assert "'rm_rf' is not a known operation" in capsys.readouterr().err
    assert (site / "ws" / "tools" / "render.sh").exists()
