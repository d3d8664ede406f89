"""Start-up: what `--version`, a command's `--help` and the plugin manager import, and the
entry-point pre-check. Real processes where the question is what one run imports (sys.modules
of a fresh interpreter); no timing is asserted here (benchmarks/bench_startup.py measures it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ytm_doctor.plugins.manager import ENTRYPOINT_GROUP, may_declare_entrypoints

# Run ytm-doctor's main() in a fresh interpreter, then print its exit code and which of the
# heavy modules it imported.
PROBE = """
import json, sys
from ytm_doctor.cli import main
code = main(sys.argv[1:])
heavy = ("yaml", "jinja2", "psutil", "pluggy", "importlib.metadata", "ytm_doctor.config",
         "ytm_doctor.session", "ytm_doctor.context", "ytm_doctor.plugins.manager", "socket",
         "_strptime")
loaded = [m for m in sys.modules if m in heavy or m.startswith(("ytm_doctor.checks.",
          "ytm_doctor.fixers.", "ytm_doctor.reports.", "ytm_doctor.schedule.",
          "ytm_doctor.commands."))]
print(json.dumps({"code": code, "loaded": sorted(loaded)}), file=sys.stderr)
"""


def probe(*argv: str, cwd: Path) -> tuple[str, int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc.stdout, result["code"], result["loaded"]


def test_version_reads_no_config_and_loads_no_plugin(tmp_path: Path) -> None:
    # A config file that cannot be read: --version does not need it.
    (tmp_path / "ytm-doctor.yaml").write_text("plugins: [\n", encoding="utf-8")
    out, code, loaded = probe("--version", cwd=tmp_path)
    assert (code, out.strip()) == (0, "ytm-doctor 0.1.0")
    assert loaded == []


def test_version_after_options_and_with_plugins_named(tmp_path: Path) -> None:
    out, code, loaded = probe("-q", "-p", "no_such_plugin", "--version", cwd=tmp_path)
    assert (code, out.strip()) == (0, "ytm-doctor 0.1.0")
    assert loaded == []


def test_help_still_wins_over_version(tmp_path: Path) -> None:
    # argparse's order: both given, the help is what the user gets (with the plugins' options).
    out, code, _ = probe("--help", "--version", cwd=tmp_path)
    assert code == 0
    assert "--html PATH" in out  # an option a built-in plugin adds


def test_a_commands_help_reads_no_config_and_loads_no_plugin(tmp_path: Path) -> None:
    (tmp_path / "ytm-doctor.yaml").write_text("plugins: [\n", encoding="utf-8")
    out, code, loaded = probe("fix", "--help", cwd=tmp_path)
    assert code == 0
    assert out.startswith("usage: ytm-doctor fix")
    assert not [m for m in loaded if m.startswith(("ytm_doctor.checks.", "ytm_doctor.fixers."))]
    assert not {"pluggy", "yaml", "jinja2", "psutil", "ytm_doctor.session"} & set(loaded)


def test_options_without_a_command_word_do_not_load_every_command(tmp_path: Path) -> None:
    # Only a word that names a command needs every command's parser (to tell it from a value).
    (tmp_path / "ytm-doctor.yaml").write_text("plugins: [\n", encoding="utf-8")
    _, code, loaded = probe("--config", "ytm-doctor.yaml", "--no-save", cwd=tmp_path)
    assert code == 4  # the broken config, reported as before
    assert "ytm_doctor.schedule.command" not in loaded


def test_a_scan_that_writes_no_page_imports_only_what_it_runs(tmp_path: Path) -> None:
    """No other command's module, no HTML page or template engine, neither socket nor
    _strptime (a host name and a run's stamp are read without them)."""
    (tmp_path / "ws").mkdir()
    (tmp_path / "share").mkdir()
    _, code, loaded = probe(
        *("--workspace-root", "ws", "--share-root", "share", "--no-save"),
        *("--set", "shared_storage.require_mount=false", "--set", "disk.stop_free_gib=0"),
        cwd=tmp_path,
    )
    assert code in (0, 1)
    assert "ytm_doctor.checks.vault" in loaded  # the probe sees the plugins it loads
    commands = {m for m in loaded if m.startswith("ytm_doctor.commands.")}
    assert commands == {"ytm_doctor.commands.base", "ytm_doctor.commands.options",
                        "ytm_doctor.commands.scan"}  # fmt: skip
    assert not {"ytm_doctor.reports.html_page", "jinja2", "socket", "_strptime"} & set(loaded)


def _dist(site: Path, name: str, entry_points: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_entry_point_precheck_finds_the_group_only_where_declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    # ytm-doctor's own distribution names ytm_doctor in its console script: not the group.
    _dist(site, "ytm_doctor", "[console_scripts]\nytm-doctor = ytm_doctor.__main__:main\n")
    _dist(site, "other", "[pytest11]\nother = other.plugin\n")
    monkeypatch.setattr(sys, "path", [str(site), str(tmp_path / "missing")])
    assert may_declare_entrypoints(ENTRYPOINT_GROUP) is False

    _dist(site, "ytm_doctor_extra", f"[ {ENTRYPOINT_GROUP} ]\nextra = extra.plugin\n")
    assert may_declare_entrypoints(ENTRYPOINT_GROUP) is True


def test_entry_point_precheck_leaves_what_it_cannot_see_to_the_full_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("x-1.0.dist-info/entry_points.txt", f"[{ENTRYPOINT_GROUP}]\nx = x\n")
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert may_declare_entrypoints(ENTRYPOINT_GROUP) is True

    class Finder:  # an importer that lists distributions of its own
        @staticmethod
        def find_distributions(*args: object, **kwargs: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "path", [])
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert may_declare_entrypoints(ENTRYPOINT_GROUP) is True
