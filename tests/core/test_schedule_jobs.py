"""`schedule install --job mirror|flush-outbox|offline-fallback`: one unit pair or agent per job,
and the scheduled mirror and flush doing nothing, in one line and exit 0, while the share is a
stub. HOME and XDG_CONFIG_HOME point into tmp_path and systemctl/launchctl are recording fakes
on PATH (as in test_schedule.py): the real user's service managers are never touched."""

from __future__ import annotations

import hashlib
import json
import os
import plistlib
import shlex
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from ytm_doctor.schedule import read_unit

FAKE_TOOL = '#!/bin/sh\necho "$(basename "$0") $*" >> "$FAKE_TOOL_LOG"\nexit 0\n'


@pytest.fixture(autouse=True)
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for name in ("systemctl", "launchctl"):
        tool = bin_dir / name
        tool.write_text(FAKE_TOOL)
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "tools.log"
    monkeypatch.setenv("FAKE_TOOL_LOG", str(log))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


def logged(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def exec_start(unit: Path) -> list[str]:
    line = read_unit(unit.read_text()).get("Service", "ExecStart")
    return [w.replace("%%", "%").replace("$$", "$") for w in shlex.split(line)]


def digest(*roots: Path) -> str:
    h = hashlib.sha256()
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                path = Path(dirpath) / name
                h.update(os.fsencode(path))
                if path.is_file() and not path.is_symlink():
                    h.update(path.read_bytes())
    return h.hexdigest()


def default_unit_dir() -> Path:
    """Where systemd looks (under the private XDG_CONFIG_HOME): the one directory whose files
    `schedule` enables; files written elsewhere (--unit-dir) are never enabled."""
    return Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"


def install(cli, unit_dir: Path | None, job: str, *more: str):
    """unit_dir None: the default directory, the one whose files are enabled."""
    where = ("--unit-dir", unit_dir) if unit_dir is not None else ()
    res = cli("schedule", "install", "--job", job, "--every", "15m", "--platform", "linux",
              *where, *more)  # fmt: skip
    assert res.code == 0, res.err
    return res


def run_job(argv: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    return subprocess.run(argv, cwd="/", env=env, capture_output=True, text=True, timeout=120)


def test_mirror_job_has_its_own_units_beside_the_scan(world, cli, tools, tmp_path) -> None:
    unit_dir = default_unit_dir()  # systemctl runs only for this one
    install(cli, None, "scan", "--run")
    install(cli, None, "mirror", "--run")
    assert sorted(p.name for p in unit_dir.iterdir()) == [
        "ytm-doctor-mirror.service",
        "ytm-doctor-mirror.timer",
        "ytm-doctor-scan.service",
        "ytm-doctor-scan.timer",
    ]
    assert "systemctl --user enable --now ytm-doctor-mirror.timer" in logged(tools)
    argv = exec_start(unit_dir / "ytm-doctor-mirror.service")
    assert argv[argv.index("mirror") :][-2:] == ["--run", "--if-share-up"]
    assert argv[argv.index("--config") + 1] == str(world.config_file)
    timer = read_unit((unit_dir / "ytm-doctor-mirror.timer").read_text())
    assert timer.get("Timer", "Unit") == "ytm-doctor-mirror.service"
    assert json.loads((world.report_dir / "scheduled_mirror.json").read_text())["job"] == "mirror"

    status = cli("schedule", "status", "--platform", "linux")
    assert "ytm-doctor-mirror.timer: installed: every 15m" in status.out
    assert "ytm-doctor-scan.timer: installed" in status.out

    removed = cli("schedule", "remove", "--job", "mirror", "--platform", "linux", "--run")
    assert removed.code == 0, removed.err
    assert "systemctl --user disable --now ytm-doctor-mirror.timer" in logged(tools)
    assert sorted(p.name for p in unit_dir.iterdir() if p.is_file()) == [
        "ytm-doctor-scan.service",
        "ytm-doctor-scan.timer",
    ]
    assert not (world.report_dir / "scheduled_mirror.json").exists()


def test_flush_job_retries_a_failure_and_offline_fallback_is_the_safe_fix(
    world, cli, tools, tmp_path
) -> None:
    unit_dir = tmp_path / "units"
    install(cli, unit_dir, "flush-outbox", "--run")
    assert logged(tools) == []  # --unit-dir: files only written, never enabled
    service = read_unit((unit_dir / "ytm-doctor-flush-outbox.service").read_text())
    assert service.get("Service", "Restart") == "on-failure"
    assert service.get("Unit", "StartLimitBurst") == "4"
    argv = exec_start(unit_dir / "ytm-doctor-flush-outbox.service")
    assert argv[-4:] == ["--config", str(world.config_file), "--run", "--if-share-up"]
    assert argv[argv.index("store") + 1] == "flush-outbox"

    install(cli, unit_dir, "offline-fallback", "--run")
    argv = exec_start(unit_dir / "ytm-doctor-offline-fallback.service")
    assert argv[-3:] == ["--select", "YTM403", "--run"] and "fix" in argv
    fallback = read_unit((unit_dir / "ytm-doctor-offline-fallback.service").read_text())
    assert fallback.get("Service", "SuccessExitStatus") == "1"


@pytest.mark.parametrize("job", ["mirror", "flush-outbox", "offline-fallback"])
def test_launchd_agents_per_job_parse(world, cli, tools, tmp_path, job: str) -> None:
    unit_dir = tmp_path / "agents"
    mac_python = "/opt/homebrew/bin/python3"  # files for another host: its interpreter, config
    res = cli("schedule", "install", "--job", job, "--every", "1h", "--platform", "macos",
              "--unit-dir", unit_dir, "--python", mac_python, "--config", world.config_file,
              "--run")  # fmt: skip
    assert res.code == 0, res.err
    agent = plistlib.loads((unit_dir / f"ytm.doctor.{job}.plist").read_bytes())
    assert agent["Label"] == f"ytm.doctor.{job}" and agent["StartInterval"] == 3600
    args = agent["ProgramArguments"]
    assert args[:3] == [mac_python, "-m", "ytm_doctor.cli"]
    assert args[args.index("--config") + 1] == str(world.config_file)
    assert logged(tools) == []  # written only: launchctl is never run for these files
    assert agent["StandardOutPath"].endswith(f"scheduled_{job}.out.log")
    # Files for another platform are for another host: no mirror is expected here.
    assert not (world.report_dir / "scheduled_mirror.json").exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("job", ["mirror", "flush-outbox", "offline-fallback"])
def test_systemd_analyze_verify_accepts_each_job(world, cli, tmp_path, job: str) -> None:
    unit_dir = tmp_path / "units"
    install(cli, unit_dir, job, "--run")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"}
    units = [str(unit_dir / f"ytm-doctor-{job}.{kind}") for kind in ("timer", "service")]
    proc = subprocess.run(["systemd-analyze", "verify", "--user", *units],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    ours = [ln for ln in proc.stderr.splitlines() if str(unit_dir) in ln or "ytm-doctor" in ln]
    assert proc.returncode == 0, proc.stderr
    assert ours == [], proc.stderr


def test_mirror_and_flush_jobs_wait_quietly_while_the_share_is_a_stub(world, cli, tmp_path):
    world.write("ws/scripts/CH02/012/content/assembled_human.md", "# script\n")
    (world.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    stored = cli("store", "episode", "--channel", "CH02", "--video", "012", "--run")
    assert stored.code == 0, stored.out + stored.err
    unit_dir = tmp_path / "units"
    install(cli, unit_dir, "mirror", "--run")
    install(cli, unit_dir, "flush-outbox", "--run")
    before = digest(world.ws, world.share, world.root / "outbox")
    for job in ("mirror", "flush-outbox"):
        proc = run_job(exec_start(unit_dir / f"ytm-doctor-{job}.service"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert len(proc.stdout.splitlines()) == 1 and proc.stderr == "", proc.stdout + proc.stderr
        assert "share" in proc.stdout
    assert digest(world.ws, world.share, world.root / "outbox") == before  # nothing written


def test_without_the_flag_the_interactive_refusals_stay(world, cli) -> None:
    (world.share / "README_MOUNTPOINT.txt").write_text("not mounted")
    assert cli("mirror", "--run").code == 4
    refused = cli("store", "--src", "x", "--if-share-up")
    assert refused.code == 4 and "flush-outbox" in refused.err


def test_ytm703_says_never_mirrored_once_a_mirror_is_scheduled(world, cli, tmp_path) -> None:
    def ytm703() -> list[dict]:
        res = cli("--select", "YTM703", "--json", "--no-save")
        assert res.code in (0, 1), res.err
        return res.json()["findings"]

    assert ytm703() == []  # no mirror expected: a host that does not mirror
    install(cli, tmp_path / "units", "mirror", "--run")
    [finding] = ytm703()
    assert finding["severity"] == "warning" and finding["message"].startswith("never mirrored")
    assert finding["details"]["problem"] == "never"
