"""Configuration (SPEC §3): flag > env > file > policy, clear one-line errors, derived paths."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ytm_doctor.config import KEYS, ConfigError, load_config
from ytm_doctor.paths import Paths, user_data_dir


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No YTM_* variable of the developer's shell leaks in; cwd is an empty dir of our own."""
    for name in list(os.environ):
        if name.startswith("YTM_"):
            monkeypatch.delenv(name, raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def options(**kw) -> argparse.Namespace:
    base = {
        "config": None,
        "set": [],
        "workspace_root": None,
        "share_root": None,
        "planning_root": None,
        "namespace": None,
        "fallback_root": None,
        "draft_root": None,
        "plugins": [],
    }
    base.update(kw)
    return argparse.Namespace(**base)


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    ws = tmp_path / "workspaces"
    share = tmp_path / "share"
    ws.mkdir()
    share.mkdir()
    return ws, share


def config_error(**kw) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(**kw)
    message = str(info.value)
    assert "\n" not in message, message
    return message


# --- precedence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_file", "in_env", "in_flag"), list(itertools.product([False, True], repeat=3))
)
def test_workspace_root_precedence_flag_env_file_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_file: bool, in_env: bool, in_flag: bool
) -> None:
    by_layer = {layer: tmp_path / f"ws_{layer}" for layer in ("file", "env", "flag")}
    cfg_path = None
    if in_file:
        cfg_path = write_config(
            tmp_path / "conf" / "ytm-doctor.yaml", f"workspace_root: {by_layer['file']}\n"
        )
    if in_env:
        monkeypatch.setenv("YTM_WORKSPACE_ROOT", str(by_layer["env"]))
    opts = options(
        config=str(cfg_path) if cfg_path else None,
        workspace_root=str(by_layer["flag"]) if in_flag else None,
    )
    config = load_config(opts, validate=False)
    setting = config.settings["workspace_root"]
    winner = "flag" if in_flag else "env" if in_env else "file" if in_file else None
    if winner is None:
        assert setting.value is None
        assert setting.source == "default"
    else:
        assert setting.value == by_layer[winner]
        assert setting.source == winner
    if winner == "env":
        assert setting.origin == "YTM_WORKSPACE_ROOT"
    if winner == "flag":
        assert setting.origin == "--workspace-root"
    if winner == "file":
        assert setting.origin == str(cfg_path)


def test_require_mount_policy_default_is_true() -> None:
    config = load_config(options(), validate=False)
    assert config["shared_storage.require_mount"] is True
    assert config.settings["shared_storage.require_mount"].source == "default"


def test_require_mount_from_file_and_set_flag_wins(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "shared_storage:\n  require_mount: false\n")
    from_file = load_config(options(config=str(cfg)), validate=False)
    assert from_file["shared_storage.require_mount"] is False
    assert from_file.settings["shared_storage.require_mount"].source == "file"

    flagged = load_config(
        options(config=str(cfg), set=["shared_storage.require_mount=true"]), validate=False
    )
    assert flagged["shared_storage.require_mount"] is True
    assert flagged.settings["shared_storage.require_mount"].source == "flag"


@pytest.mark.parametrize(
    ("word", "expected"), [("yes", True), ("on", True), ("off", False), ("No", False)]
)
def test_bool_words_via_set(word: str, expected: bool) -> None:
    config = load_config(options(set=[f"shared_storage.require_mount={word}"]), validate=False)
    assert config["shared_storage.require_mount"] is expected


def test_a_set_path_holding_bytes_that_are_not_utf8_is_kept_as_given() -> None:
    # Linux hands such bytes over as surrogates; libyaml reads UTF-8 only.
    odd = os.fsdecode(b"/tmp/caf\xe9")
    config = load_config(options(set=[f"workspace_root={odd}"]), validate=False)
    assert os.fspath(config["workspace_root"]) == odd


def test_bool_zero_one_via_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YTM_RSYNC_WHOLE_FILE", "0")
    assert load_config(options(), validate=False)["mirror.whole_file"] is False
    monkeypatch.setenv("YTM_RSYNC_WHOLE_FILE", "1")
    assert load_config(options(), validate=False)["mirror.whole_file"] is True


@pytest.mark.parametrize(("word", "expected"), [("0", False), ("1", True)])
def test_bool_zero_one_via_set(word: str, expected: bool) -> None:
    config = load_config(options(set=[f"mirror.whole_file={word}"]), validate=False)
    assert config["mirror.whole_file"] is expected


def test_mirror_nice_file_env_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_config(options(), validate=False)["mirror.nice"] == 10
    cfg = write_config(tmp_path / "c.yaml", "mirror:\n  nice: 5\n")
    from_file = load_config(options(config=str(cfg)), validate=False)
    assert (from_file["mirror.nice"], from_file.settings["mirror.nice"].source) == (5, "file")

    monkeypatch.setenv("YTM_MIRROR_NICE", "7")
    from_env = load_config(options(config=str(cfg)), validate=False)
    assert from_env["mirror.nice"] == 7
    assert from_env.settings["mirror.nice"].source == "env"
    assert from_env.settings["mirror.nice"].describe_source() == "env (YTM_MIRROR_NICE)"

    flagged = load_config(options(config=str(cfg), set=["mirror.nice=3"]), validate=False)
    assert (flagged["mirror.nice"], flagged.settings["mirror.nice"].source) == (3, "flag")


def test_environ_argument_replaces_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YTM_MIRROR_NICE", "7")
    config = load_config(options(), environ={}, validate=False)
    assert config["mirror.nice"] == 10


# --- relative paths ---------------------------------------------------------------------------


def test_relative_path_in_file_is_relative_to_the_file(tmp_path: Path, clean_env: Path) -> None:
    cfg = write_config(
        tmp_path / "conf" / "ytm-doctor.yaml",
        "workspace_root: ws\nshared_storage:\n  root: ../share\n"
        "planning:\n  env_files: [env/a.env]\n",
    )
    config = load_config(options(config=str(cfg)), validate=False)
    assert config["workspace_root"] == tmp_path / "conf" / "ws"
    assert config["shared_storage.root"] == tmp_path / "share"
    assert config["planning.env_files"] == [tmp_path / "conf" / "env" / "a.env"]


def test_relative_env_and_flag_paths_are_relative_to_cwd(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    monkeypatch.setenv("YTM_SHARED_STORAGE_ROOT", "mnt/share")
    config = load_config(
        options(workspace_root="ws", set=["planning_root=plan"], draft_root="../drafts"),
        validate=False,
    )
    assert config["shared_storage.root"] == clean_env / "mnt" / "share"
    assert config["workspace_root"] == clean_env / "ws"
    assert config["planning_root"] == clean_env / "plan"
    assert config["capcut.draft_root"] == clean_env.parent / "drafts"


def test_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = load_config(options(workspace_root="~/ws"), validate=False)
    assert config["workspace_root"] == tmp_path / "home" / "ws"


# --- which file -------------------------------------------------------------------------------


def test_local_ytm_doctor_yaml_is_picked_up_from_cwd(clean_env: Path) -> None:
    write_config(clean_env / "ytm-doctor.yaml", "mirror:\n  nice: 4\n")
    config = load_config(options(), validate=False)
    assert config.file == clean_env / "ytm-doctor.yaml"
    assert config["mirror.nice"] == 4


def test_env_config_beats_local_file_and_flag_beats_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    write_config(clean_env / "ytm-doctor.yaml", "mirror:\n  nice: 1\n")
    env_cfg = write_config(tmp_path / "env.yaml", "mirror:\n  nice: 2\n")
    flag_cfg = write_config(tmp_path / "flag.yaml", "mirror:\n  nice: 3\n")
    monkeypatch.setenv("YTM_DOCTOR_CONFIG", str(env_cfg))
    via_env = load_config(options(), validate=False)
    assert (via_env.file, via_env["mirror.nice"]) == (env_cfg, 2)
    via_flag = load_config(options(config=str(flag_cfg)), validate=False)
    assert (via_flag.file, via_flag["mirror.nice"]) == (flag_cfg, 3)


def test_empty_config_file_is_fine(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "# nothing yet\n")
    config = load_config(options(config=str(cfg)), validate=False)
    assert config.file == cfg
    assert all(s.source == "default" for s in config.settings.values())


def test_missing_config_from_flag(tmp_path: Path) -> None:
    message = config_error(options=options(config=str(tmp_path / "nope.yaml")))
    assert "nope.yaml" in message
    assert "--config" in message


def test_missing_config_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YTM_DOCTOR_CONFIG", str(tmp_path / "gone.yaml"))
    message = config_error(options=options())
    assert "gone.yaml" in message
    assert "YTM_DOCTOR_CONFIG" in message


# --- errors -----------------------------------------------------------------------------------


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "workspace_root: /x\nmirror:\n  nice: 1: 2\n")
    message = config_error(options=options(config=str(cfg)))
    assert str(cfg) in message
    assert "line 3" in message
    assert "invalid YAML" in message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    cfg = write_config(tmp_path / "c.yaml", text)
    message = config_error(options=options(config=str(cfg)))
    assert str(cfg) in message
    assert "mapping" in message


def test_unknown_key_suggests_near_miss(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "shared_storage:\n  rot: /mnt/share\n")
    message = config_error(options=options(config=str(cfg)))
    assert str(cfg) in message
    assert "shared_storage.rot" in message
    assert "did you mean shared_storage.root?" in message


def test_unknown_key_far_from_anything_has_no_suggestion(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "zzzzzz: 1\n")
    message = config_error(options=options(config=str(cfg)))
    assert "zzzzzz" in message
    assert "did you mean" not in message


def test_unknown_set_key_suggests(tmp_path: Path) -> None:
    message = config_error(options=options(set=["mirror.nic=3"]), validate=False)
    assert "did you mean mirror.nice?" in message


def test_empty_section_is_accepted(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "capcut:\n  # draft_root: /Users/me/CapCut\n")
    config = load_config(options(config=str(cfg)), validate=False)
    assert config["capcut.draft_root"] is None


@pytest.mark.parametrize(
    ("yaml_text", "key", "phrase"),
    [
        ("workspace_root: [a, b]\n", "workspace_root", "must be a path"),
        ("workspace_root: {a: 1}\n", "workspace_root", "must be a path"),
        ("workspace_root: ''\n", "workspace_root", "must be a path"),
        ("mirror:\n  nice: abc\n", "mirror.nice", "must be a number"),
        ("mirror:\n  nice: true\n", "mirror.nice", "must be a number"),
        ("mirror:\n  nice: -1\n", "mirror.nice", "must not be negative"),
        ("disk:\n  warn_free_gib: -0.5\n", "disk.warn_free_gib", "must not be negative"),
        ("shared_storage:\n  require_mount: maybe\n", "shared_storage.require_mount", "true or"),
        ("shared_storage:\n  require_mount: 2\n", "shared_storage.require_mount", "true or"),
        ("shared_storage:\n  namespace: [a]\n", "shared_storage.namespace", "must be a string"),
        ("planning:\n  env_files: {a: 1}\n", "planning.env_files", "must be a list"),
        ("planning:\n  env_files: [[a]]\n", "planning.env_files", "must be a list"),
    ],
)
def test_wrong_type_in_file(tmp_path: Path, yaml_text: str, key: str, phrase: str) -> None:
    cfg = write_config(tmp_path / "c.yaml", yaml_text)
    message = config_error(options=options(config=str(cfg)), validate=False)
    assert str(cfg) in message
    assert key in message
    assert phrase in message


def test_fraction_for_an_int_key_is_rejected(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "mirror:\n  timeout_sec: 0.5\n")
    message = config_error(options=options(config=str(cfg)), validate=False)
    assert "mirror.timeout_sec" in message


def test_wrong_type_in_env_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YTM_MIRROR_NICE", "abc")
    message = config_error(options=options(), validate=False)
    assert "YTM_MIRROR_NICE" in message
    assert "must be a number" in message


def test_wrong_bool_via_set() -> None:
    message = config_error(
        options=options(set=["shared_storage.require_mount=maybe"]), validate=False
    )
    assert "shared_storage.require_mount" in message
    assert "--set" in message


def test_workspace_root_unset(roots: tuple[Path, Path]) -> None:
    message = config_error(options=options(share_root=str(roots[1])))
    assert "workspace_root is not set" in message
    assert "--workspace-root" in message
    assert "YTM_WORKSPACE_ROOT" in message


def test_share_root_unset(roots: tuple[Path, Path]) -> None:
    message = config_error(options=options(workspace_root=str(roots[0])))
    assert "shared_storage.root is not set" in message
    assert "YTM_SHARED_STORAGE_ROOT" in message


def test_workspace_root_missing(tmp_path: Path, roots: tuple[Path, Path]) -> None:
    message = config_error(
        options=options(workspace_root=str(tmp_path / "nowhere"), share_root=str(roots[1]))
    )
    assert "nowhere" in message
    assert "does not exist" in message
    assert "--workspace-root" in message


def test_workspace_root_is_a_file(tmp_path: Path, roots: tuple[Path, Path]) -> None:
    not_dir = tmp_path / "file.txt"
    not_dir.write_text("x")
    message = config_error(options=options(workspace_root=str(not_dir), share_root=str(roots[1])))
    assert "is not a directory" in message


def test_valid_config_passes_validation(roots: tuple[Path, Path]) -> None:
    ws, share = roots
    config = load_config(options(workspace_root=str(ws), share_root=str(share)))
    assert config["workspace_root"] == ws


# --- derived paths ----------------------------------------------------------------------------


def make_paths(ws: Path, share: Path, **kw) -> Paths:
    opts = options(workspace_root=str(ws), share_root=str(share), **kw)
    return load_config(opts, validate=False).paths


def test_derived_paths(roots: tuple[Path, Path]) -> None:
    ws, share = roots
    paths = make_paths(ws, share, namespace="ns1")
    assert paths.vault_workspaces_root == share / "ytm_workspaces"
    assert paths.asset_vault == share / "asset_vault"
    assert paths.shared_base == share / "uploads" / "ns1"
    assert paths.sentinel == share / "ytm_workspaces" / ".ytm_vault_workspaces_root.json"
    assert paths.stub_marker == share / "README_MOUNTPOINT.txt"
    assert paths.report_dir == ws / "logs" / "ops" / "ytm_doctor"
    assert paths.planning_root == share / "ytm_workspaces" / "planning"
    assert paths.planning_root_derived is True


def test_default_namespace(roots: tuple[Path, Path]) -> None:
    paths = make_paths(*roots)
    assert paths.shared_base == roots[1] / "uploads" / "factory_commentary"


def test_configured_planning_and_fallback_are_kept(tmp_path: Path, roots) -> None:
    paths = make_paths(
        *roots, planning_root=str(tmp_path / "plan"), fallback_root=str(tmp_path / "out")
    )
    assert paths.planning_root == tmp_path / "plan"
    assert paths.planning_root_derived is False
    assert paths.fallback_root == tmp_path / "out"
    assert paths.fallback_root_derived is False


@pytest.mark.parametrize("relative", [False, True])
def test_fallback_from_ytm_workspaces_symlink_to_local_dir(
    tmp_path: Path, roots: tuple[Path, Path], relative: bool
) -> None:
    ws, share = roots
    local = tmp_path / "local_fallback" / "ytm_workspaces"
    local.mkdir(parents=True)
    target = os.path.relpath(local, share) if relative else str(local)
    (share / "ytm_workspaces").symlink_to(target)
    paths = make_paths(ws, share)
    assert paths.fallback_root == tmp_path / "local_fallback"
    assert paths.fallback_root_derived is True


@pytest.mark.parametrize("kind", ["real_dir", "dangling_link", "absent"])
def test_fallback_defaults_to_user_data_dir(
    tmp_path: Path, roots: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    ws, share = roots
    if kind == "real_dir":
        (share / "ytm_workspaces").mkdir()
    elif kind == "dangling_link":
        (share / "ytm_workspaces").symlink_to(tmp_path / "gone")
    paths = make_paths(ws, share)
    assert paths.fallback_root == user_data_dir() / "outbox"
    if sys.platform != "darwin":
        assert paths.fallback_root == tmp_path / "xdg" / "ytm-doctor" / "outbox"


# --- through the real command line ------------------------------------------------------------


def cli(args: list[str], cwd: Path, env_extra: dict[str, str] | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "ytm_doctor.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _case_files(tmp_path: Path, name: str) -> tuple[list[str], dict[str, str], str]:
    """(args, extra env, a fragment the one error line must contain) for an error case."""
    ws, share = tmp_path / "workspaces", tmp_path / "share"
    good = f"workspace_root: {ws}\nshared_storage:\n  root: {share}\n  require_mount: false\n"
    cfg = tmp_path / "c.yaml"
    texts = {
        "invalid_yaml": (good + "mirror:\n  nice: 1: 2\n", "line 6"),
        "not_mapping": ("- a\n- b\n", "mapping"),
        "unknown_key": (good.replace("  root:", "  rot:"), "did you mean shared_storage.root?"),
        "list_for_path": (good.replace(f"workspace_root: {ws}", "workspace_root: [a]"), "path"),
        "abc_for_int": (good + "mirror:\n  nice: abc\n", "mirror.nice"),
        "maybe_for_bool": (good.replace("false", "maybe"), "require_mount"),
        "negative": (good + "disk:\n  stop_free_gib: -3\n", "negative"),
        "no_workspace": (good.replace(f"workspace_root: {ws}\n", ""), "workspace_root"),
        "no_share": (f"workspace_root: {ws}\n", "shared_storage.root"),
        "missing_workspace": (good.replace(str(ws), str(tmp_path / "nope")), "does not exist"),
        "workspace_is_file": (good.replace(str(ws), str(tmp_path / "afile")), "not a directory"),
    }
    if name == "missing_config_flag":
        return ["--config", str(tmp_path / "missing.yaml")], {}, "missing.yaml"
    if name == "missing_config_env":
        return [], {"YTM_DOCTOR_CONFIG": str(tmp_path / "gone.yaml")}, "YTM_DOCTOR_CONFIG"
    if name == "bad_env_value":
        cfg.write_text(good)
        return ["--config", str(cfg)], {"YTM_MIRROR_NICE": "x"}, "YTM_MIRROR_NICE"
    text, fragment = texts[name]
    cfg.write_text(text)
    return ["--config", str(cfg)], {}, fragment


ERROR_CASES = [
    "invalid_yaml",
    "not_mapping",
    "unknown_key",
    "list_for_path",
    "abc_for_int",
    "maybe_for_bool",
    "negative",
    "no_workspace",
    "no_share",
    "missing_workspace",
    "workspace_is_file",
    "missing_config_flag",
    "missing_config_env",
    "bad_env_value",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "workspaces").mkdir()
    (tmp_path / "share").mkdir()
    (tmp_path / "afile").write_text("x")
    (tmp_path / "cwd").mkdir(exist_ok=True)
    return tmp_path


@pytest.mark.parametrize("case", ERROR_CASES)
def test_cli_config_errors_exit_4_with_one_line(tree: Path, case: str) -> None:
    args, env, fragment = _case_files(tree, case)
    result = cli([*args, "--no-save"], cwd=tree / "cwd", env_extra=env)
    assert result.returncode == 4, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("ytm-doctor: error:")
    assert fragment in lines[0]
    assert result.stdout == ""


def test_cli_local_config_in_cwd_is_used(tree: Path) -> None:
    cwd = tree / "cwd"
    (cwd / "ytm-doctor.yaml").write_text("mirror:\n  nice: abc\n")
    result = cli(["config"], cwd=cwd)
    assert result.returncode == 4
    assert str(cwd / "ytm-doctor.yaml") in result.stderr


def _config_rows(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    assert lines[0].startswith("config file:")
    return {line.split()[0]: line for line in lines[1:] if line.strip()}


def test_cli_config_prints_every_key_with_its_source(tree: Path) -> None:
    ws, share = tree / "workspaces", tree / "share"
    cfg = tree / "c.yaml"
    cfg.write_text(
        f"workspace_root: {ws}\nshared_storage:\n  root: {share}\n  require_mount: false\n"
    )
    result = cli(
        ["config", "--config", str(cfg), "--namespace", "ns9"],
        cwd=tree / "cwd",
        env_extra={"YTM_MIRROR_NICE": "7"},
    )
    assert result.returncode == 0, result.stderr
    rows = _config_rows(result.stdout)
    for key in KEYS:
        assert key in rows, key
    assert rows["workspace_root"].endswith(f"[file ({cfg})]")
    assert str(ws) in rows["workspace_root"]
    assert rows["mirror.nice"].split()[1] == "7"
    assert rows["mirror.nice"].endswith("[env (YTM_MIRROR_NICE)]")
    assert rows["shared_storage.namespace"].endswith("[flag (--namespace)]")
    assert rows["disk.warn_free_gib"].endswith("[default]")
    assert str(share / "ytm_workspaces") in rows["vault_workspaces_root"]
    assert str(share / "uploads" / "ns9") in rows["shared_base"]


def test_cli_config_diff_shows_only_changed_keys(tree: Path) -> None:
    ws, share = tree / "workspaces", tree / "share"
    cfg = tree / "c.yaml"
    cfg.write_text(
        f"workspace_root: {ws}\nshared_storage:\n  root: {share}\n  require_mount: false\n"
        "disk:\n  warn_free_gib: 150\n"  # equal to the policy default: not a difference
    )
    result = cli(
        ["config", "--diff", "--config", str(cfg)],
        cwd=tree / "cwd",
        env_extra={"YTM_MIRROR_NICE": "7"},
    )
    assert result.returncode == 0, result.stderr
    assert set(_config_rows(result.stdout)) == {
        "workspace_root",
        "shared_storage.root",
        "shared_storage.require_mount",
        "mirror.nice",
    }


def test_cli_config_json(tree: Path) -> None:
    ws, share = tree / "workspaces", tree / "share"
    result = cli(
        ["config", "--json", "--workspace-root", str(ws), "--share-root", str(share)],
        cwd=tree / "cwd",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["error"] is None
    assert data["config_file"] is None
    by_key = {row["key"]: row for row in data["settings"]}
    assert set(KEYS) <= set(by_key)
    assert by_key["workspace_root"]["value"] == str(ws)
    assert by_key["workspace_root"]["source"] == "flag"
    assert by_key["mirror.nice"] == {
        "key": "mirror.nice",
        "value": 10,
        "source": "default",
        "origin": None,
        "differs": False,
    }
    assert by_key["sentinel"]["value"] == str(
        share / "ytm_workspaces" / ".ytm_vault_workspaces_root.json"
    )


def test_cli_config_reports_an_unusable_workspace_but_still_prints(tree: Path) -> None:
    result = cli(
        ["config", "--workspace-root", str(tree / "nope"), "--share-root", str(tree / "share")],
        cwd=tree / "cwd",
    )
    assert result.returncode == 4
    assert "workspace_root" in result.stdout
    assert len(result.stderr.splitlines()) == 1
    assert "does not exist" in result.stderr
