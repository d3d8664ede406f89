"""Configuration and plan values that would silently do the wrong thing are refused up front:
one line on stderr naming the key (and where it was set), exit 4, nothing scanned or written.

- the namespace is one directory name under uploads/ (never empty, '.', '..', with '/' or
  control characters: the shared store would land elsewhere on the share);
- numbers are finite, and disk.warn_free_gib is not below disk.stop_free_gib;
- a key given twice in one YAML mapping is an error naming both lines;
- an empty value does not replace a default;
- --config naming a directory says so;
- a plan's paths are strings (a number is not a path).
"""

from __future__ import annotations

import json
import os

import pytest

USAGE = 4


def refused(res, *words: str) -> str:
    """The run stopped with exit 4 and exactly one stderr line holding every word."""
    assert res.code == USAGE, (res.code, res.err)
    assert "Traceback" not in res.err
    [line] = res.err_lines
    for word in words:
        assert word in line, line
    return line


def nothing_saved(world) -> None:
    assert world.saved_reports() == []


BAD_NAMESPACES = ["../../etc", "", "..", ".", "a/b", "/abs", "tab\there", "esc\x1b[31m"]


@pytest.mark.parametrize("namespace", BAD_NAMESPACES)
def test_a_namespace_must_be_one_directory_name_in_the_file(world, cli, namespace) -> None:
    world.configure(shared_storage={"namespace": namespace})
    line = refused(cli(), "shared_storage.namespace", str(world.config_file))
    assert "\x1b" not in line  # shown as Python would spell it, not raw
    nothing_saved(world)


@pytest.mark.parametrize("namespace", ["../../etc", "", "x/.."])
def test_a_namespace_must_be_one_directory_name_from_flag_or_env(
    world, cli, monkeypatch, namespace
) -> None:
    refused(cli("--namespace", namespace), "shared_storage.namespace", "--namespace")
    refused(cli("--set", f"shared_storage.namespace={namespace}"), "shared_storage.namespace")
    monkeypatch.setenv("YTM_SHARED_STORAGE_NAMESPACE", namespace)
    refused(cli("config"), "shared_storage.namespace", "YTM_SHARED_STORAGE_NAMESPACE")
    nothing_saved(world)


def test_an_empty_value_does_not_replace_the_default(world, cli) -> None:
    refused(cli("--set", "disk.warn_free_gib="), "--set", "disk.warn_free_gib is empty")
    world.config_file.write_text(
        world.config_file.read_text(encoding="utf-8").replace(
            "shared_storage:\n", "shared_storage:\n  namespace:\n"
        ),
        encoding="utf-8",
    )
    refused(cli(), "shared_storage.namespace is empty", str(world.config_file))
    nothing_saved(world)


def test_a_good_namespace_is_taken(world, cli) -> None:
    res = cli("config", "--namespace", "ch_2.x")
    assert res.code == 0, res.err
    assert os.fspath(world.share / "uploads" / "ch_2.x") in res.out


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("disk.warn_free_gib", float("nan")),
        ("disk.stop_free_gib", float("inf")),
        ("locks.stale_after_sec", float("nan")),
        ("locks.stale_after_sec", float("-inf")),
        ("mirror.nice", float("nan")),
        ("mirror.timeout_sec", float("inf")),
    ],
)
def test_numbers_must_be_finite(world, cli, monkeypatch, key, value) -> None:
    section, name = key.split(".")
    good = world.settings.get(section, {}).get(name)
    world.configure(**{section: {name: value}})  # written as YAML's .nan / .inf
    assert ".nan" in world.config_file.read_text() or ".inf" in world.config_file.read_text()
    refused(cli(), key, str(world.config_file), "must be a finite number")
    world.configure(**{section: {name: good if good is not None else 1}})
    refused(cli("--set", f"{key}={value}"), f"--set {key}", "must be a")
    nothing_saved(world)


def test_disk_thresholds_must_be_ordered(world, cli) -> None:
    world.configure(disk={"warn_free_gib": 10, "stop_free_gib": 20})
    refused(cli(), "disk.warn_free_gib (10,", "disk.stop_free_gib (20,", "must not be below")
    refused(cli("config"), "must not be below")  # config still shows them, then says so
    world.configure(disk={"warn_free_gib": 0, "stop_free_gib": 0})
    refused(cli("--set", "disk.warn_free_gib=5", "--set", "disk.stop_free_gib=5.5"), "--set")
    nothing_saved(world)
    # Equal is fine: warning and violation start at the same point.
    assert cli("--set", "disk.warn_free_gib=0", "--no-save").code == 0


def test_a_duplicate_key_names_both_lines(world, cli) -> None:
    world.config_file.write_text(
        "workspace_root: ws\n"
        "shared_storage:\n"
        "  root: share\n"
        "  require_mount: false\n"
        "  fallback_root: outbox\n"
        "  root: /elsewhere\n"
        "disk: {warn_free_gib: 0, stop_free_gib: 0}\n",
        encoding="utf-8",
    )
    refused(cli(), "line 6", "duplicate key 'root' (first at line 3)", str(world.config_file))
    world.config_file.write_text(
        "workspace_root: ws\nshared_storage: {root: share, require_mount: false}\n"
        "disk: {warn_free_gib: 0, stop_free_gib: 0}\nworkspace_root: other\n",
        encoding="utf-8",
    )
    refused(cli("config"), "line 4", "duplicate key 'workspace_root' (first at line 1)")
    nothing_saved(world)


def test_yaml_merge_keys_may_be_overridden(world, cli) -> None:
    world.config_file.write_text(
        "workspace_root: ws\n"
        "shared_storage:\n"
        "  <<: {root: share, require_mount: true, fallback_root: outbox}\n"
        "  require_mount: false\n"
        "disk: {warn_free_gib: 0, stop_free_gib: 0}\n",
        encoding="utf-8",
    )
    assert cli("--no-save").code == 0


def test_config_naming_a_directory_says_so(world, cli, monkeypatch, tmp_path) -> None:
    refused(cli("--config", tmp_path), f"config file {tmp_path} (from --config) is a directory")
    refused(cli("--config", tmp_path / "nope.yaml"), "does not exist")
    monkeypatch.setenv("YTM_DOCTOR_CONFIG", os.fspath(tmp_path))
    refused(cli("config"), "(from YTM_DOCTOR_CONFIG) is a directory")


def test_a_plan_path_must_be_strings(world, cli, tmp_path) -> None:
    link = world.ws / "video" / "input" / "CH01" / "bgm"
    link.parent.mkdir(parents=True)
    os.symlink("../../../missing/bgm", link)
    plan_file = tmp_path / "plan.json"
    assert cli("fix", "--plan-out", plan_file).code == 0
    good = json.loads(plan_file.read_text(encoding="utf-8"))
    assert good["fixes"]
    for bad in (5, 1.5, ["video"], None, {"x": 1}):
        plan = json.loads(json.dumps(good))
        plan["fixes"][0]["actions"][0]["path"]["rel"] = bad
        plan_file.write_text(json.dumps(plan), encoding="utf-8")
        refused(cli("apply", plan_file), "plan path", "with string root and rel")
    plan = json.loads(json.dumps(good))
    plan["fixes"][0]["actions"][0]["path"]["root"] = 0
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    refused(cli("apply", plan_file, "--run"), "with string root and rel")
    assert link.is_symlink()  # nothing was applied
