"""Fixtures for the per-fixer tests: a small healthy factory to break on purpose, whole-tree
hashes, and the command-line round trips every fixer must survive (SPEC §6.1, §10).

`factory` builds on the `world` of tests/conftest.py (workspace `ws/`, share `share/` as a plain
directory, outbox `outbox/`, cwd = the tmp dir) and adds what a healthy Vault has (a valid
sentinel, the required dirs), a few hidden files, and `outside/`: a directory no root contains,
which no plan may ever touch. Each test file then breaks the factory in the one way its fixer
repairs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from treehash import snapshot

NAMESPACE = "factory_commentary"
SENTINEL = "share/ytm_workspaces/.ytm_vault_workspaces_root.json"
TOOL_LOGS = os.path.join("ws", "logs", "ops", "ytm_doctor")  # journals, audit, backups
BACKUP_MARK = ".symlink_shared_backup_"


class Factory:
    """The tmp tree, ways to break it, and the CLI round trips the fixer contract asks for."""

    def __init__(self, world: Any, cli: Callable[..., Any]) -> None:
        self.world = world
        self.cli = cli
        self.root: Path = world.root
        self.ws: Path = world.ws
        self.share: Path = world.share
        self.vault: Path = world.share / "ytm_workspaces"
        self.outside: Path = world.root / "outside"
        self.report_dir: Path = world.report_dir
        world.configure(disk={"warn_free_gib": 0, "stop_free_gib": 0})
        self.write(SENTINEL, json.dumps({"namespace": NAMESPACE}))
        for rel in (
            "share/ytm_workspaces/thumbnails/assets",
            "share/ytm_workspaces/video/runs",
            "share/asset_vault",
            "ws/video/runs",
            "ws/logs/ops",  # other tools' logs live there too; ytm_doctor/ is ours
            "outside",
        ):
            (self.root / rel).mkdir(parents=True, exist_ok=True)
        self.write("ws/.DS_Store", b"\0mac")
        self.write("share/ytm_workspaces/.hidden_note", "kept")
        self.write("outside/keep.txt", "not yours")

    # -- building ------------------------------------------------------------------------------

    def write(self, rel: str, data: bytes | str = b"") -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def write_json(self, rel: str, data: Any) -> Path:
        return self.write(rel, json.dumps(data, ensure_ascii=False, indent=1))

    def link(self, rel: str, target: str | os.PathLike) -> Path:
        """A symlink at `rel` whose text is exactly `target` (absolute or relative)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.fspath(target), path)
        return path

    def repoint(self, rel: str, target: str | os.PathLike) -> None:
        os.unlink(self.root / rel)
        os.symlink(os.fspath(target), self.root / rel)

    def stub_share(self) -> None:
        """The share's mount point shows the stub marker: the share is down."""
        self.write("share/README_MOUNTPOINT.txt", "the share is not mounted here")

    def asides(self, rel: str) -> list[Path]:
        """What was renamed aside from `rel` (`<name>.symlink_shared_backup_<stamp>`)."""
        path = self.root / rel
        return sorted(
            p for p in path.parent.iterdir() if p.name.startswith(path.name + BACKUP_MARK)
        )

    # -- hashing -------------------------------------------------------------------------------

    def tree(self) -> dict[str, tuple]:
        """The whole tmp tree, the tool's own logs included."""
        return snapshot(self.root, modes=True)

    def user_tree(self) -> dict[str, tuple]:
        """The whole tmp tree but logs/ops/ytm_doctor/ (journal, audit, backups grow there)."""
        return snapshot(self.root, (TOOL_LOGS,), modes=True)

    def subtree(self, rel: str) -> dict[str, tuple]:
        return snapshot(self.root / rel, modes=True)

    def outside_tree(self) -> dict[str, tuple]:
        return snapshot(self.outside, modes=True)

    # -- the command line ----------------------------------------------------------------------

    def scan(self, code: str) -> list[dict]:
        result = self.cli("--select", code, "--json", "--no-save")
        assert result.code in (0, 1), result.err
        return result.json()["findings"]

    def findings_at(self, code: str, path: str) -> list[dict]:
        return [f for f in self.scan(code) if f["rule"] == code and f["path"] == path]

    def only(self, code: str, path: str) -> tuple[str, str]:
        """`--fingerprint FP` selecting the one finding of `code` at `path` (a root-relative
        path as findings carry it)."""
        [finding] = self.findings_at(code, path)
        return ("--fingerprint", finding["fingerprint"])

    def dry_run(self, code: str, *args: str) -> Any:
        """`fix --select CODE` (text and --json): must change no byte of the tree."""
        before = self.tree()
        text = self.cli("fix", "--select", code, *args)
        assert text.code == 0, text.out + text.err
        data = self.cli("fix", "--select", code, "--json", *args)
        assert data.code == 0, data.err
        assert data.json()["dry_run"] is True
        plan = data.json()["plan"]
        said = "dry-run: nothing was changed" if plan["fixes"] else "nothing to fix."
        assert said in text.out, text.out
        assert self.tree() == before
        return plan

    def plan(self, code: str, *args: str) -> dict:
        """The dry-run plan as JSON (no check of the tree)."""
        result = self.cli("fix", "--select", code, "--json", *args)
        assert result.code == 0, result.err
        return result.json()["plan"]

    def fix_run(self, code: str, *args: str, expect: int = 0) -> dict:
        """`fix --select CODE --run --json`: the run id, journal and per-fix results."""
        result = self.cli("fix", "--select", code, "--run", "--json", *args)
        assert result.code == expect, result.out + result.err
        return result.json()

    def undo(self, run_id: str) -> Any:
        result = self.cli("undo", run_id, "--run")
        assert result.code == 0, result.out + result.err
        assert ", 0 refused, 0 failed" in result.out, result.out
        return result

    def save_plan(self, code: str, *args: str, name: str = "p.json") -> Path:
        path = self.root / name
        result = self.cli("fix", "--select", code, "--plan-out", str(path), *args)
        assert result.code == 0, result.out + result.err
        assert json.loads(path.read_text())["fixes"], result.out
        return path

    def apply(self, plan: Path, *args: str) -> Any:
        return self.cli("apply", str(plan), "--run", *args)

    # -- the contract every fixer must honour ---------------------------------------------------

    def assert_undo_restores(self, run: dict, before: dict[str, tuple]) -> None:
        """`undo RUN --run` puts back every byte, link and dir the fix changed."""
        assert self.user_tree() != before, "the fix changed nothing to undo"
        self.undo(run["run_id"])
        assert self.user_tree() == before

    def assert_stale_refused(self, code: str, change: Callable[[], None], *args: str) -> None:
        """A plan saved before `change()` is refused by `apply --run`, which changes nothing."""
        plan = self.save_plan(code, *args)
        change()
        before = self.user_tree()
        result = self.apply(plan, "--json")
        assert result.code == 1, result.out + result.err
        results = result.json()["results"]
        assert results and all(r["status"] == "refused" for r in results), results
        reasons = [reason for r in results for reason in r["reasons"]]
        assert any(reason.startswith("stale: ") for reason in reasons), reasons
        assert self.user_tree() == before

    def assert_plan_escapes_refused(self, code: str, *args: str) -> None:
        """A saved plan edited to reach outside the roots: `..` is a usage error (exit 4) and a
        path through a symlink that leads outside is refused (exit 1); nothing is written."""
        plan = self.save_plan(code, *args)
        original = json.loads(plan.read_text())
        fix = original["fixes"][0]
        ref = fix["actions"][0]["path"]
        root_dir = Path(original["roots"][ref["root"]])

        _write_json(plan, _repath(original, ref, "../outside/x"))
        before = self.tree()
        result = self.apply(plan)
        assert result.code == 4, result.out + result.err
        assert result.err_lines == [
            f"ytm-doctor: error: plan path {ref['root']}:'../outside/x' is not a plain "
            "relative path"
        ]
        assert self.tree() == before

        os.symlink(self.outside, root_dir / "escape")
        _write_json(plan, _repath(original, ref, "escape/" + ref["rel"].rsplit("/", 1)[-1]))
        outside_before = self.outside_tree()
        before = self.user_tree()
        result = self.apply(plan, "--json")
        assert result.code == 1, result.out + result.err
        [res] = [r for r in result.json()["results"] if r["index"] == 1]
        assert res["status"] == "refused"
        assert any("leads outside the configured roots" in r for r in res["reasons"]), res
        assert self.outside_tree() == outside_before
        assert self.user_tree() == before


def _repath(plan: dict, old: dict, new_rel: str) -> dict:
    """The plan with every reference to `old` in its first fix (actions and preconditions)
    moved to `new_rel`: a consistent edit, as someone tampering with the file would make."""
    data = json.loads(json.dumps(plan))
    fix = data["fixes"][0]
    refs = [p["path"] for p in fix["preconditions"]]
    for action in fix["actions"]:
        refs += [action[k] for k in ("path", "dest", "source") if k in action]
    for r in refs:
        if r == old:
            r["rel"] = new_rel
    return data


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2))


@pytest.fixture
def factory(world: Any, cli: Callable[..., Any]) -> Factory:
    return Factory(world, cli)
