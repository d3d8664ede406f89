"""`ytm-doctor schedule`: systemd user units on Linux, a launchd agent on macOS.

Every test works in temporary directories: HOME and XDG_CONFIG_HOME point into tmp_path and
systemctl/launchctl are replaced by recording fakes on PATH, so the real ~/.config, ~/Library and
the real service managers are never touched. The generated files are checked against their
formats: systemd's INI dialect (and `systemd-analyze verify --user` where it is installed), and
plistlib for launchd. The scheduled command line itself is run, from `/`, to prove that a timer
without a working directory or a shell profile can run it.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import plistlib
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ytm_doctor.schedule import (
    LABEL,
    PLIST,
    PREVIOUS_DIR,
    SERVICE,
    TIMER,
    format_interval,
    parse_interval,
    read_unit,
)

FAKE_TOOL = """#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_TOOL_LOG"
case "$*" in
  *is-enabled*) echo enabled ;;
  *is-active*) echo active ;;
  *show*) echo Result=success; echo ExecMainStatus=1
          echo "ExecMainExitTimestamp=Mon 2024-05-06 03:10:00 UTC" ;;
  *print*) echo "gui/501/ytm.doctor.scan = {"; echo "	state = not running"; echo "	runs = 3"
           echo "	last exit code = 1"; echo "}" ;;
esac
if [ -n "$FAKE_TOOL_FAIL" ]; then
  echo "Failed to connect to bus: No medium found" >&2
  exit 1
fi
exit 0
"""


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Belt and braces: even a bug that ignored --unit-dir could only reach tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fake systemctl and launchctl first on PATH; returns the log of their invocations."""
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


@pytest.fixture
def no_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A host (a container) without systemctl or launchctl."""
    empty = tmp_path / "emptybin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def default_unit_dir() -> Path:
    """Where systemd looks (under the private XDG_CONFIG_HOME): the one directory whose files
    `schedule` enables; files written elsewhere (--unit-dir) are never enabled."""
    return Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"


def logged(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            digest.update(os.fsencode(path.relative_to(root)))
            if path.is_file() and not path.is_symlink():
                digest.update(path.read_bytes())
    return digest.hexdigest()


def exec_start_argv(line: str) -> list[str]:
    """ExecStart= back into words: our quoting is double quotes with \\" and \\\\ escapes and
    %% for %, which shlex reads the same way once %% is undone."""
    return [w.replace("%%", "%").replace("$$", "$") for w in shlex.split(line)]


# --------------------------------------------------------------------------------------------
# The interval


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("1d", 86400)],
)
def test_intervals_are_read_as_seconds(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


def test_interval_is_written_back_compactly() -> None:
    assert [format_interval(s) for s in (90, 600, 5400, 86400)] == ["1m30s", "10m", "1h30m", "1d"]


@pytest.mark.parametrize("bad", ["10", "5x", "ten minutes", "0m", "30s", "-5m", "m", "1h 30"])
def test_a_bad_interval_is_one_line_and_exit_4(world, cli, tmp_path, bad: str) -> None:
    unit_dir = tmp_path / "units"
    res = cli("schedule", "install", "--every", bad, "--unit-dir", unit_dir, "--run")
    assert res.code == 4
    assert len(res.err_lines) == 1 and "--every" in res.err, res.err
    assert "Traceback" not in res.err
    assert not unit_dir.exists()


def test_install_needs_every(world, cli, tmp_path) -> None:
    res = cli("schedule", "install", "--unit-dir", tmp_path / "units")
    assert res.code == 4
    assert "--every is required" in res.err


def test_install_refuses_an_unusable_config(world, cli, tmp_path) -> None:
    # A timer that exits 4 every ten minutes helps nobody: say so now.
    world.configure(workspace_root="nowhere")
    res = cli("schedule", "install", "--every", "10m", "--unit-dir", tmp_path / "u", "--run")
    assert res.code == 4
    assert "workspace_root" in res.err and len(res.err_lines) == 1
    assert not (tmp_path / "u").exists()


# --------------------------------------------------------------------------------------------
# systemd


def test_dry_run_prints_the_units_and_commands_and_changes_nothing(world, cli, tools) -> None:
    before = tree_digest(world.root)
    res = cli("schedule", "install", "--every", "10m", "--platform", "linux")
    assert res.code == 0, res.err
    unit_dir = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"  # the default
    assert f"--- {unit_dir / SERVICE} (new)" in res.out
    assert f"--- {unit_dir / TIMER} (new)" in res.out
    assert "Type=oneshot" in res.out and "OnUnitActiveSec=600s" in res.out
    assert "systemctl --user daemon-reload" in res.out
    assert f"systemctl --user enable --now {TIMER}" in res.out
    assert "nothing written" in res.out
    assert tree_digest(world.root) == before
    assert logged(tools) == []  # no systemctl was run


def test_install_run_writes_valid_units_and_enables_the_timer(world, cli, tools, tmp_path) -> None:
    unit_dir = default_unit_dir()  # systemctl runs only for this one
    res = cli("schedule", "install", "--every", "10m", "--platform", "linux", "--run")  # fmt: skip
    assert res.code == 0, res.err
    assert logged(tools) == [
        "systemctl --user daemon-reload",
        f"systemctl --user enable --now {TIMER}",
    ]

    service = read_unit((unit_dir / SERVICE).read_text())
    assert service.get("Service", "Type") == "oneshot"
    assert service.has_option("Unit", "Description")
    argv = exec_start_argv(service.get("Service", "ExecStart"))
    assert os.path.isabs(argv[0]) and os.access(argv[0], os.X_OK)
    assert argv[argv.index("--config") + 1] == str(world.config_file)
    assert "-q" in argv and argv[argv.index("--keep-reports") + 1] == "200"
    assert "--publish" not in argv
    assert service.get("Service", "SuccessExitStatus") == "1"

    timer = read_unit((unit_dir / TIMER).read_text())
    assert timer.get("Timer", "OnUnitActiveSec") == "600s"
    assert timer.has_option("Timer", "OnBootSec")
    assert timer.get("Timer", "Unit") == SERVICE
    assert timer.get("Install", "WantedBy") == "timers.target"
    # No temp file left among the units (systemd would skip a hidden one, a person would not).
    assert sorted(p.name for p in unit_dir.iterdir()) == [SERVICE, TIMER]


def test_the_scheduled_command_runs_without_a_working_directory(world, cli, tools, tmp_path):
    unit_dir = tmp_path / "units"
    res = cli("schedule", "install", "--every", "5m", "--platform", "linux", "--unit-dir",
              unit_dir, "--keep-reports", "7", "--run")  # fmt: skip
    assert res.code == 0, res.err
    argv = exec_start_argv(read_unit((unit_dir / SERVICE).read_text()).get("Service", "ExecStart"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    proc = subprocess.run(argv, cwd="/", env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1  # -q: the summary line only, for the journal
    assert len(world.saved_reports()) == 1


def test_paths_with_spaces_and_percent_survive_the_unit_syntax(world, cli, tools, tmp_path):
    odd = tmp_path / "my configs 100% $HOME"
    odd.mkdir()
    config = odd / "ytm doctor.yaml"
    settings = {
        **world.settings,
        "workspace_root": str(world.ws),
        "shared_storage": {**world.settings["shared_storage"], "root": str(world.share)},
    }
    settings["shared_storage"]["fallback_root"] = str(tmp_path / "outbox")
    config.write_text(yaml.safe_dump(settings))
    unit_dir = tmp_path / "units"
    res = cli("schedule", "install", "--config", config, "--every", "1h", "--platform", "linux",
              "--unit-dir", unit_dir, "--run")  # fmt: skip
    assert res.code == 0, res.err
    line = read_unit((unit_dir / SERVICE).read_text()).get("Service", "ExecStart")
    assert "100%%" in line and "$$HOME" in line  # specifier and variable escaped
    argv = exec_start_argv(line)
    assert argv[argv.index("--config") + 1] == str(config)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_units(world, cli, tools, tmp_path) -> None:
    unit_dir = tmp_path / "units"
    world.configure(shared_storage={"host_aliases": [str(tmp_path / "odd 50% dir")]})
    res = cli("schedule", "install", "--every", "90s", "--platform", "linux", "--unit-dir",
              unit_dir, "--set", "disk.warn_free_gib=12", "--run")  # fmt: skip
    assert res.code == 0, res.err
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"}
    proc = subprocess.run(
        ["systemd-analyze", "verify", "--user", str(unit_dir / TIMER), str(unit_dir / SERVICE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    # verify exits 0 on mere warnings: every complaint about our files counts.
    ours = [ln for ln in proc.stderr.splitlines() if str(unit_dir) in ln or "ytm-doctor" in ln]
    assert proc.returncode == 0, proc.stderr
    assert ours == [], proc.stderr


def test_settings_from_the_command_line_and_environment_go_along(
    world, cli, tools, tmp_path, monkeypatch
) -> None:
    elsewhere = tmp_path / "other-ws"
    elsewhere.mkdir()
    monkeypatch.setenv("YTM_WORKSPACE_ROOT", str(elsewhere))
    monkeypatch.setenv("YTM_DOCTOR_WEBHOOK_URL", "https://hooks.example.com/services/T1/SECRET")
    unit_dir = tmp_path / "units"
    res = cli("schedule", "install", "--every", "10m", "--platform", "linux", "--unit-dir",
              unit_dir, "--set", "disk.warn_free_gib=12", "--publish", "--run")  # fmt: skip
    assert res.code == 0, res.err
    text = (unit_dir / SERVICE).read_text()
    service = read_unit(text)
    argv = exec_start_argv(service.get("Service", "ExecStart"))
    assert argv[argv.index("--set") + 1] == "disk.warn_free_gib=12.0"  # as the config read it
    assert "--publish" in argv
    assert f'Environment="YTM_WORKSPACE_ROOT={elsewhere}"' in text.splitlines()
    # The webhook URL is a secret: not in the unit (readable by anyone who can read the dir).
    assert "SECRET" not in text
    assert "YTM_DOCTOR_WEBHOOK_URL" in res.err and "config file" in res.err


def test_no_systemctl_keeps_the_files_and_says_so_in_one_line(world, cli, no_tools, tmp_path):
    unit_dir = default_unit_dir()  # systemctl runs only for this one
    res = cli("schedule", "install", "--every", "10m", "--platform", "linux", "--run")  # fmt: skip
    assert res.code == 1
    assert len(res.err_lines) == 1, res.err
    assert "systemctl not found" in res.err and "files are written" in res.err
    assert (unit_dir / SERVICE).is_file() and (unit_dir / TIMER).is_file()


def test_systemctl_failing_keeps_the_files(world, cli, tools, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_TOOL_FAIL", "1")
    unit_dir = default_unit_dir()  # systemctl runs only for this one
    res = cli("schedule", "install", "--every", "10m", "--platform", "linux", "--run")  # fmt: skip
    assert res.code == 1
    assert "Failed to connect to bus" in res.err and len(res.err_lines) == 1
    assert (unit_dir / TIMER).is_file()


def test_reinstall_keeps_the_previous_units_aside(world, cli, tools, tmp_path) -> None:
    unit_dir = tmp_path / "units"
    args = ("schedule", "install", "--platform", "linux", "--unit-dir", unit_dir, "--run")
    assert cli(*args, "--every", "10m").code == 0
    same = cli(*args, "--every", "10m")
    assert same.code == 0 and "unchanged" in same.out
    assert not (unit_dir / PREVIOUS_DIR).exists()
    old_timer = (unit_dir / TIMER).read_text()

    changed = cli(*args, "--every", "15m")
    assert changed.code == 0, changed.err
    assert "OnUnitActiveSec=900s" in (unit_dir / TIMER).read_text()
    [kept] = (unit_dir / PREVIOUS_DIR).glob(f"*/{TIMER}")
    assert kept.read_text() == old_timer
    assert not list((unit_dir / PREVIOUS_DIR).glob(f"*/{SERVICE}"))  # the service did not change


def test_remove_dry_run_changes_nothing_and_run_sets_the_files_aside(world, cli, tools, tmp_path):
    unit_dir = default_unit_dir()  # systemctl runs only for this one
    assert cli("schedule", "install", "--every", "10m", "--platform", "linux", "--run").code == 0
    tools.unlink()
    service_text = (unit_dir / SERVICE).read_text()
    before = tree_digest(tmp_path)
    dry = cli("schedule", "remove", "--platform", "linux")
    assert dry.code == 0 and f"would run  systemctl --user disable --now {TIMER}" in dry.out
    assert tree_digest(tmp_path) == before and logged(tools) == []

    res = cli("schedule", "remove", "--platform", "linux", "--run")
    assert res.code == 0, res.err
    assert logged(tools) == [
        f"systemctl --user disable --now {TIMER}",
        "systemctl --user daemon-reload",
    ]
    assert not (unit_dir / SERVICE).exists() and not (unit_dir / TIMER).exists()
    [kept] = (unit_dir / PREVIOUS_DIR).glob(f"*/{SERVICE}")  # nothing is deleted
    assert kept.read_text() == service_text

    again = cli("schedule", "remove", "--platform", "linux", "--run")
    assert again.code == 0 and "nothing installed" in again.out


def test_remove_keeps_the_files_when_the_timer_cannot_be_disabled(
    world, cli, tools, tmp_path, monkeypatch
) -> None:
    unit_dir = default_unit_dir()  # systemctl runs only for this one
    assert cli("schedule", "install", "--every", "10m", "--platform", "linux", "--run").code == 0
    monkeypatch.setenv("FAKE_TOOL_FAIL", "1")
    res = cli("schedule", "remove", "--platform", "linux", "--run")
    assert res.code == 1 and "left in place" in res.err
    assert (unit_dir / TIMER).is_file()  # still loaded in systemd: its file must stay


def test_status_shows_the_files_and_what_systemctl_says(world, cli, tools, tmp_path) -> None:
    before = cli("schedule", "status", "--platform", "linux")
    assert before.code == 0 and f"{TIMER}: not installed" in before.out
    assert cli("schedule", "install", "--every", "10m", "--platform", "linux", "--run").code == 0
    assert cli("--no-save").code == 0
    assert cli().code == 0
    res = cli("schedule", "status", "--platform", "linux")
    assert res.code == 0, res.err
    assert f"{TIMER}: installed: every 10m" in res.out
    assert f"{SERVICE}: installed: runs " in res.out and "--keep-reports 200" in res.out
    assert "enabled: enabled" in res.out and "active: active" in res.out
    assert "last run: success, exit status 1" in res.out
    [saved] = world.saved_reports()
    assert f"last saved report: {saved.name}" in res.out


def test_status_without_systemctl_says_it_is_not_available(world, cli, no_tools, tmp_path):
    res = cli("schedule", "status", "--platform", "linux")
    assert res.code == 0
    assert "systemctl: not available on this host" in res.out


def test_every_is_refused_outside_install(world, cli, tmp_path) -> None:
    res = cli("schedule", "status", "--every", "5m", "--unit-dir", tmp_path)
    assert res.code == 4 and "--every only applies to install" in res.err


# --------------------------------------------------------------------------------------------
# launchd


def test_launchd_agent_is_a_valid_plist_with_the_right_keys(world, cli, tools, tmp_path) -> None:
    unit_dir = tmp_path / "LaunchAgents"
    dry = cli("schedule", "install", "--every", "10m", "--platform", "macos", "--unit-dir",
              unit_dir, "--python", "/usr/bin/python3", "--config", world.config_file)  # fmt: skip
    assert dry.code == 0 and "<key>StartInterval</key>" in dry.out
    assert not unit_dir.exists()

    mac_python = "/opt/homebrew/bin/python3"
    res = cli("schedule", "install", "--every", "10m", "--platform", "macos", "--unit-dir",
              unit_dir, "--publish", "--python", mac_python, "--config", world.config_file,
              "--run")  # fmt: skip
    assert res.code == 0, res.err
    with open(unit_dir / PLIST, "rb") as fh:
        agent = plistlib.load(fh)
    assert agent["Label"] == LABEL
    assert agent["StartInterval"] == 600 and type(agent["StartInterval"]) is int
    assert agent["RunAtLoad"] is True
    assert agent["ProcessType"] == "Background"
    args = agent["ProgramArguments"]
    assert all(isinstance(a, str) for a in args)
    assert args[:3] == [mac_python, "-m", "ytm_doctor.cli"]  # that host's, from --python
    assert args[args.index("--config") + 1] == str(world.config_file)
    assert "--publish" in args and "-q" in args
    for key in ("StandardOutPath", "StandardErrorPath"):
        assert Path(agent[key]).parent == world.report_dir
    # Round trip: what we wrote is exactly what plistlib writes for these values.
    assert plistlib.dumps(agent) == (unit_dir / PLIST).read_bytes()
    assert logged(tools) == []  # files for another host: its tools are never run here
    assert "not enabled" in res.out and 'launchctl bootstrap "gui/$(id -u)"' in res.out


def test_launchd_remove_and_status(world, cli, tools, tmp_path) -> None:
    unit_dir = tmp_path / "LaunchAgents"
    assert cli("schedule", "install", "--every", "1h", "--platform", "macos", "--unit-dir",
               unit_dir, "--python", "/usr/bin/python3", "--config", world.config_file,
               "--run").code == 0  # fmt: skip
    status = cli("schedule", "status", "--platform", "macos", "--unit-dir", unit_dir)
    assert f"{PLIST}: installed: every 1h" in status.out
    assert "not asked" in status.out
    res = cli("schedule", "remove", "--platform", "macos", "--unit-dir", unit_dir, "--run")
    assert res.code == 0, res.err
    assert logged(tools) == []
    assert not (unit_dir / PLIST).exists()
    assert list((unit_dir / PREVIOUS_DIR).glob(f"*/{PLIST}"))


def test_default_platform_is_this_host(world, cli) -> None:
    res = cli("schedule", "status")
    expected = SERVICE if sys.platform.startswith("linux") else PLIST
    assert res.code == 0 and expected in res.out


def test_read_unit_keeps_repeated_keys_and_case() -> None:
    unit = read_unit('[Service]\nEnvironment="A=1"\nEnvironment="B=2"\nExecStart=/bin/true\n')
    assert unit.get("Service", "ExecStart") == "/bin/true"
    with pytest.raises(configparser.Error):
        read_unit("ExecStart=/bin/true\n")  # a key outside a section is not a unit file


def test_a_disabled_publish_plugin_is_respected(world, cli, tmp_path) -> None:
    unit_dir = tmp_path / "units"
    res = cli("schedule", "install", "--every", "10m", "--platform", "linux", "--unit-dir",
              unit_dir, "-p", "no:publish")  # fmt: skip
    assert res.code == 0, res.err
    line = next(ln for ln in res.out.splitlines() if ln.startswith("ExecStart="))
    argv = exec_start_argv(line[len("ExecStart=") :])
    assert argv[-3:] == ["-p", "no:publish", "-q"]  # no --keep-reports the scan would reject
    refused = cli("schedule", "install", "--every", "10m", "--unit-dir", unit_dir,
                  "-p", "no:publish", "--publish")  # fmt: skip
    assert refused.code == 4 and "--publish needs the publish plugin" in refused.err


# --------------------------------------------------------------------------------------------
# Files for another host, or for another directory: written only


def test_macos_files_on_linux_never_run_launchctl(world, cli, tools, tmp_path) -> None:
    if sys.platform == "darwin":
        pytest.skip("macos is this host's own platform")
    py = "/opt/py/bin/python3"
    res = cli("schedule", "install", "--every", "10m", "--platform", "macos",
              "--python", py, "--config", world.config_file, "--run")  # fmt: skip
    assert res.code == 0, res.err
    plist = Path(os.environ["HOME"]) / "Library" / "LaunchAgents" / PLIST
    args = plistlib.loads(plist.read_bytes())["ProgramArguments"]
    assert args[:3] == [py, "-m", "ytm_doctor.cli"]
    assert args[args.index("--config") + 1] == str(world.config_file)
    assert sys.executable not in args
    assert logged(tools) == []


def test_another_platform_needs_that_hosts_python(world, cli, tools) -> None:
    other = "macos" if sys.platform.startswith("linux") else "linux"
    res = cli("schedule", "install", "--every", "10m", "--platform", other, "--run")
    assert res.code == 4 and "--python PATH" in res.err
    assert logged(tools) == []


def test_unit_dir_run_never_calls_systemctl(world, cli, tools, tmp_path) -> None:
    unit_dir = tmp_path / "units"
    res = cli("schedule", "install", "--every", "10m", "--platform", "linux", "--unit-dir",
              unit_dir, "--python", "/srv/venv/bin/python", "--run")  # fmt: skip
    assert res.code == 0, res.err
    assert (unit_dir / SERVICE).is_file() and (unit_dir / TIMER).is_file()
    assert "/srv/venv/bin/python -m ytm_doctor.cli" in (unit_dir / SERVICE).read_text()
    removed = cli("schedule", "remove", "--platform", "linux", "--unit-dir", unit_dir, "--run")
    assert removed.code == 0, removed.err
    assert logged(tools) == []
