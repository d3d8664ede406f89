"""Shared fixtures: a clean environment, a minimal healthy world, and ways to run the CLI.

The world (`world` fixture) is the smallest setup a FULL scan finds healthy (exit 0, no
findings), so that every scan of it may become latest.json (only full scans do):

    tmp/ws/                                   the Hot workspace
    tmp/share/ytm_workspaces/                 the Vault (a plain dir: require_mount is false)
        .ytm_vault_workspaces_root.json       its sentinel (YTM201)
        planning/                             the planning SoT (YTM601)
        thumbnails/assets/, video/runs/       required Vault dirs (YTM203)
    tmp/share/asset_vault/                    required too (YTM203)
    tmp/share/uploads/factory_commentary/     the shared base
    tmp/ytm-doctor.yaml                       points at both, relative to itself; disk thresholds
                                              are 0 so this machine's free space is no finding

and the test's working directory is `tmp`, so `./ytm-doctor.yaml` is found as a user's would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ytm_doctor.cli import main


@pytest.fixture(autouse=True)
def _clean_ytm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's YTM_* settings (config file, roots, debug, autoload switch) never leak in."""
    for name in list(os.environ):
        if name.startswith("YTM_"):
            monkeypatch.delenv(name)
    for name in ("NO_COLOR", "FORCE_COLOR", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class World:
    root: Path
    ws: Path
    share: Path
    config_file: Path
    settings: dict[str, Any]

    @property
    def report_dir(self) -> Path:
        return self.ws / "logs" / "ops" / "ytm_doctor"

    @property
    def shared_base(self) -> Path:
        return self.share / "uploads" / "factory_commentary"

    def configure(self, **changes: Any) -> None:
        """Merge `changes` into the config file (nested dicts merge key by key) and rewrite it."""
        self.settings = _deep_merge(self.settings, changes)
        self.config_file.write_text(
            yaml.safe_dump(self.settings, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )

    def write(self, rel: str, text: str = "") -> Path:
        """Write a file under the world's root (parents created) and return its path."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def saved_reports(self) -> list[Path]:
        if not self.report_dir.is_dir():
            return []
        return sorted(self.report_dir.glob("report__*.json"))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_tmp_modules: None) -> World:
    ws = tmp_path / "ws"
    share = tmp_path / "share"
    ws.mkdir()
    vault = share / "ytm_workspaces"
    for rel in ("planning", "thumbnails/assets", "video/runs"):
        (vault / rel).mkdir(parents=True)
    (vault / ".ytm_vault_workspaces_root.json").write_text(
        json.dumps({"namespace": "factory_commentary"}), encoding="utf-8"
    )
    (share / "asset_vault").mkdir()
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    w = World(tmp_path, ws, share, tmp_path / "ytm-doctor.yaml", {})
    w.configure(
        workspace_root="ws",
        shared_storage={
            "root": "share",
            "require_mount": False,
            # Inside tmp: the default (a per-user data dir) is the developer's real one.
            "fallback_root": "outbox",
        },
        # Free space is this machine's, not the test's: YTM501 is tested on its own.
        disk={"warn_free_gib": 0, "stop_free_gib": 0},
    )
    monkeypatch.chdir(tmp_path)
    return w


@pytest.fixture
def forget_tmp_modules(tmp_path: Path) -> Iterator[None]:
    """Plugin modules imported from tmp_path are dropped from sys.modules afterwards, so the
    next test's module of the same name is imported afresh."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None) or ""
        if name.startswith("ytm_doctor_local_plugin_") or where.startswith(str(tmp_path)):
            del sys.modules[name]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `ytm-doctor ARGV...` in this process (the working directory is the test's)."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main([os.fspath(a) for a in argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def cli_proc() -> Callable[..., Result]:
    """Run `python -m ytm_doctor.cli ARGV...` as a real process; env = os.environ + `env`."""

    def run(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "ytm_doctor.cli", *[os.fspath(a) for a in argv]],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run
