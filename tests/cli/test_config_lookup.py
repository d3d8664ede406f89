"""The config file found upward from the current directory, as ruff and pytest find theirs:
--config, then $YTM_DOCTOR_CONFIG, then the nearest ytm-doctor.yaml in the current directory or
a parent, not above $HOME. Run as real processes from nested directories of a real tree."""

from __future__ import annotations

from pathlib import Path

from ytm_doctor.config import search_upward


def config_file_of(cli_proc, cwd: Path, home: Path, *argv: str, **env: str) -> str | None:
    # `config` prints the settings even when they are incomplete (and then exits 4).
    res = cli_proc("config", "--json", *argv, cwd=cwd, env={"HOME": str(home), **env})
    assert res.code in (0, 4), res.err
    return res.json()["config_file"]


def test_a_command_run_deep_inside_the_project_finds_its_config(world, cli_proc) -> None:
    nested = world.ws / "episodes" / "CH02"
    nested.mkdir(parents=True)
    home = world.root.parent  # the tree is inside $HOME
    assert config_file_of(cli_proc, nested, home) == str(world.config_file)
    # The file's relative paths stay relative to the file, not to where the command runs.
    res = cli_proc("--no-save", cwd=nested, env={"HOME": str(home)})
    assert res.code == 0, res.out + res.err
    assert f"workspace {world.ws}" in res.out


def test_the_nearest_file_wins(world, cli_proc) -> None:
    inner = world.root / "sub"
    (inner / "deeper").mkdir(parents=True)
    (inner / "ytm-doctor.yaml").write_text("workspace_root: ../ws\n", encoding="utf-8")
    found = config_file_of(cli_proc, inner / "deeper", world.root.parent)
    assert found == str(inner / "ytm-doctor.yaml")


def test_the_search_stops_at_home(world, cli_proc) -> None:
    home = world.root / "home"
    project = home / "project" / "src"
    project.mkdir(parents=True)
    # world.root holds a ytm-doctor.yaml, but above this $HOME: not this user's.
    assert config_file_of(cli_proc, project, home) is None
    (home / "ytm-doctor.yaml").write_text("workspace_root: ../ws\n", encoding="utf-8")
    assert config_file_of(cli_proc, project, home) == str(home / "ytm-doctor.yaml")


def test_config_and_the_environment_win_over_the_search(world, cli_proc, tmp_path) -> None:
    other = tmp_path / "elsewhere.yaml"
    other.write_text("workspace_root: ws\n", encoding="utf-8")
    nested = world.ws / "x"
    nested.mkdir()
    home = world.root.parent
    assert config_file_of(cli_proc, nested, home, "--config", str(other)) == str(other)
    found = config_file_of(cli_proc, nested, home, YTM_DOCTOR_CONFIG=str(other))
    assert found == str(other)


def test_search_upward_outside_home_reaches_the_root(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "ytm-doctor.yaml").write_text("", encoding="utf-8")
    elsewhere = tmp_path / "a" / "home"  # not an ancestor: no boundary on the way up
    assert search_upward(tmp_path / "a" / "b", str(elsewhere)) == tmp_path / "ytm-doctor.yaml"
    assert search_upward(tmp_path / "a" / "b", None) == tmp_path / "ytm-doctor.yaml"
    # A directory named like the file is not a config file.
    (tmp_path / "a" / "ytm-doctor.yaml").mkdir()
    assert search_upward(tmp_path / "a" / "b", None) == tmp_path / "ytm-doctor.yaml"
