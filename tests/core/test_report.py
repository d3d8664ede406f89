"""The scan report (SPEC §8): schema, ordering, fingerprints, new/resolved, exit codes, saving."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ytm_doctor.config import load_config
from ytm_doctor.context import Scope
from ytm_doctor.errors import ExitCode
from ytm_doctor.model import Check, Finding, Rule, Severity, Subscription
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.plugins.manager import make_plugin_manager
from ytm_doctor.report import (
    CheckOutcome,
    Report,
    compare_with_previous,
    load_previous,
    new_run,
)
from ytm_doctor.reports.json_report import SavedReportWriter
from ytm_doctor.session import run_scan
from ytm_doctor.ssot_files import report_schema

VALIDATOR = Draft202012Validator(report_schema())


def make_world(tmp: Path) -> dict[str, Path]:
    ws, share = tmp / "ws", tmp / "share"
    ws.mkdir(parents=True)
    (share / "ytm_workspaces").mkdir(parents=True)
    (share / "uploads" / "factory_commentary").mkdir(parents=True)
    return {"tmp": tmp, "ws": ws, "share": share}


def make_config(world: dict[str, Path], checks=(), select=("T",), **flags):
    """Only the test's own checks (codes T...) run unless `select` says otherwise."""
    options = argparse.Namespace(
        select=list(select) if select else None,
        config=None,
        set=["shared_storage.require_mount=false"],
        workspace_root=str(world["ws"]),
        share_root=str(world["share"]),
        fallback_root=str(world["tmp"] / "outbox"),
        **flags,
    )
    config = load_config(options, environ={})
    pm = make_plugin_manager(autoload=False)
    if checks:
        pm.register(Provider(list(checks)), "test-provider")
    config.pluginmanager = pm
    return config


class Provider:
    def __init__(self, checks) -> None:
        self.checks = checks

    @hookimpl
    def ytm_doctor_collect_checks(self, config):
        return self.checks


class Emitter(Check):
    """Emits the findings it is given from finish(), in the given order."""

    def __init__(self, rule: Rule, findings: list[Finding]) -> None:
        self.rule = rule
        self.findings = findings

    def finish(self, ctx):
        return list(self.findings)


class FileReporter(Check):
    """One finding per workspace file."""

    def __init__(self, code="T300", severity=Severity.VIOLATION) -> None:
        self.rule = Rule(code, "file-reporter", severity, "reports files", tags=("test",))
        self.subscriptions = (Subscription(("workspace",), frozenset({"file"})),)

    def visit(self, entry, ctx):
        if entry.rel.startswith("logs/"):  # our own saved reports
            return []
        channel = entry.name[:4] if re.match(r"CH\d\d-\d{3}", entry.name) else None
        video = entry.name[5:8] if channel else None
        return [
            self.rule.finding(
                f"file {entry.name}",
                root="workspace",
                path=entry.rel,
                abs_path=entry.path,
                channel=channel,
                video=video,
            )
        ]


class Raiser(Check):
    rule = Rule("T999", "raiser", Severity.INFO, "always raises")

    def finish(self, ctx):
        raise ValueError("broken on purpose")


RULE_V = Rule("T100", "violator", Severity.VIOLATION, "v")
RULE_W = Rule("T200", "warner", Severity.WARNING, "w")
RULE_I = Rule("T250", "informer", Severity.INFO, "i")


def sample_findings() -> dict[str, list[Finding]]:
    v = [
        RULE_V.finding("m", root="workspace", path=p, abs_path=f"/w/{p}", channel=c, video=n)
        for p, c, n in [
            ("video/runs/a", "CH01", "001"),
            ("video/runs/a", "CH02", "001"),
            ("scripts/x", None, None),
            ("b\udcffad", None, None),
            ("video/runs/a", "CH01", "002"),
        ]
    ]
    v.append(RULE_V.finding("m", root="vault", path="scripts/x", abs_path="/v/scripts/x"))
    v.append(
        RULE_V.finding(
            "downgraded", root="share", path=".", abs_path="/s", severity=Severity.WARNING
        )
    )
    w = [
        RULE_W.finding("w", root="workspace", path=p, abs_path=f"/w/{p}", details={"d": [1, p]})
        for p in ("z", "a", "m/n", "m")
    ]
    i = [RULE_I.finding("i", root="planning", path="channels/CH01.csv", abs_path="/p/c.csv")]
    return {"T100": v, "T200": w, "T250": i}


# --- schema -----------------------------------------------------------------------------------


def test_report_validates_against_the_schema(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    (world["ws"] / "CH02-012_notes.txt").write_text("x")
    (world["ws"] / "plain.txt").write_text("x")
    os.close(os.open(os.path.join(os.fsencode(world["ws"]), b"bad\xff"), os.O_CREAT, 0o644))
    groups = sample_findings()
    checks = [
        Emitter(RULE_V, groups["T100"]),
        Emitter(RULE_W, groups["T200"]),
        Emitter(RULE_I, groups["T250"]),
        FileReporter(),
        Raiser(),
    ]
    report = run_scan(make_config(world, checks), Scope(), ["--json", "b\udcffarg"])
    data = report.to_json()
    VALIDATOR.validate(data)
    VALIDATOR.validate(json.loads(report.dumps()))
    assert data["summary"]["checks_errored"] == 1
    assert data["summary"]["by_rule"]["T300"] == 3
    # CH01-001, CH02-001, CH01-002, CH02-012
    assert data["summary"]["episodes_with_violations"] == 4
    assert data["run"]["argv"] == ["--json", "b\\xffarg"]
    assert {f["path"] for f in data["findings"] if f["rule"] == "T300"} == {
        "CH02-012_notes.txt",
        "plain.txt",
        "bad\\xff",
    }


def test_written_report_is_the_report_with_one_line_per_finding(tmp_path: Path) -> None:
    """The streamed text is the report laid out as json.dumps(indent=2) lays it out, each
    finding on one line, even for names holding line separators (once split as if they were
    newlines, which made invalid JSON)."""
    groups = sample_findings()
    odd = RULE_W.finding(
        "odd", root="workspace", path="a\u2028b\x85c", abs_path="/w/a\u2029", details={"e": {}}
    )
    checks = [Emitter(RULE_V, groups["T100"]), Emitter(RULE_W, [*groups["T200"], odd])]
    report = run_scan(make_config(make_world(tmp_path), checks), Scope(), [])
    text = report.dumps()
    data = report.to_json()
    assert json.loads(text) == data
    findings = data.pop("findings")
    assert len(findings) > 2
    lines = text.split("\n")
    start = lines.index('  "findings": [')
    assert lines[start + 1 : start + 1 + len(findings)] == [
        "    " + json.dumps(f, ensure_ascii=False) + ("," if i < len(findings) - 1 else "")
        for i, f in enumerate(findings)
    ]
    assert lines[start + 1 + len(findings)] == "  ],"
    # Everything else is as json.dumps(indent=2) writes it.
    rest = [*lines[:start], '  "findings": null,', *lines[start + 2 + len(findings) :]]
    head = json.dumps(report.to_json_head(), ensure_ascii=False, indent=2)
    assert "\n".join(rest) == head + "\n"
    assert "a\u2028b\x85c" in {f["path"] for f in json.loads(text)["findings"]}


def test_a_report_of_every_built_in_check_validates(tmp_path: Path) -> None:
    report = run_scan(make_config(make_world(tmp_path), select=None), Scope(), [])
    assert len(report.outcomes) >= 3
    VALIDATOR.validate(report.to_json())
    VALIDATOR.validate(json.loads(report.dumps()))


def test_a_report_without_findings_validates(tmp_path: Path) -> None:
    report = run_scan(make_config(make_world(tmp_path), select=["YTM10"]), Scope(), [])
    assert report.to_json()["findings"] == []
    VALIDATOR.validate(report.to_json())


def test_walk_errors_are_in_the_report_and_validate(tmp_path: Path, monkeypatch) -> None:
    world = make_world(tmp_path)
    locked = world["ws"] / "lock\udcffed"
    os.mkdir(locked)
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = run_scan(make_config(world, [FileReporter()]), Scope(), [])
    data = json.loads(report.dumps())
    VALIDATOR.validate(data)
    assert {"kind": "walk", "root": "workspace", "path": "lock\\xffed"}.items() <= data["errors"][
        0
    ].items()


# --- ordering ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def order_world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_world(tmp_path_factory.mktemp("order"))


def scan_in_order(world, seed: int) -> dict:
    rng = random.Random(seed)
    groups = sample_findings()
    checks = []
    for rule in (RULE_V, RULE_W, RULE_I):
        found = list(groups[rule.code])
        rng.shuffle(found)
        checks.append(Emitter(rule, found))
    rng.shuffle(checks)
    return run_scan(make_config(world, checks), Scope(), []).to_json()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_findings_order_is_deterministic(order_world, seed: int) -> None:
    reference = scan_in_order(order_world, 0)
    other = scan_in_order(order_world, seed)
    assert other["findings"] == reference["findings"]
    assert other["summary"] == reference["summary"]


def test_order_is_most_severe_first_then_rule_then_path(order_world) -> None:
    findings = scan_in_order(order_world, 1)["findings"]
    severities = [f["severity"] for f in findings]
    rank = {"violation": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=rank.__getitem__)
    warnings_t200 = [f["path"] for f in findings if f["rule"] == "T200"]
    assert warnings_t200 == sorted(warnings_t200)


# --- fingerprints -----------------------------------------------------------------------------


def finding(**kw) -> Finding:
    base = {
        "rule": "YTM301",
        "name": "broken-symlink",
        "severity": Severity.VIOLATION,
        "message": "dangling",
        "root": "workspace",
        "path": "video/input/CH01/a",
        "abs_path": "/Users/a/ws/video/input/CH01/a",
        "channel": "CH01",
        "video": "001",
    }
    base.update(kw)
    return Finding(**base)


def test_fingerprint_ignores_abs_path_message_details_severity() -> None:
    a = finding()
    b = finding(
        abs_path="/srv/gateway/ws/video/input/CH01/a",
        message="another wording",
        details={"target": "x"},
        severity=Severity.WARNING,
    )
    assert a.fingerprint == b.fingerprint
    assert re.fullmatch(r"[0-9a-f]{24}", a.fingerprint)


@pytest.mark.parametrize(
    "change",
    [
        {"path": "video/input/CH01/b"},
        {"rule": "YTM302"},
        {"root": "vault"},
        {"channel": "CH02"},
        {"video": "002"},
        {"channel": None, "video": None},
    ],
)
def test_fingerprint_differs_for_different_identity(change: dict) -> None:
    assert finding(**change).fingerprint != finding().fingerprint


@settings(max_examples=100)
@given(message=st.text(), abs_path=st.text(min_size=1))
def test_fingerprint_property(message: str, abs_path: str) -> None:
    assert finding(message=message, abs_path=abs_path).fingerprint == finding().fingerprint


def test_fingerprint_is_stable_across_processes() -> None:
    code = (
        "from ytm_doctor.model import Finding, Severity\n"
        "print(Finding('YTM301','n',Severity.VIOLATION,'m','workspace','b\\udcff/x','/a',"
        "'CH01','001').fingerprint)"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            check=True,
        ).stdout.strip()
        for seed in (1, 2)
    }
    here = finding(path="b\udcff/x", abs_path="/a", message="m", name="n").fingerprint
    assert outputs == {here}


def test_fingerprints_same_across_runs_and_hosts(tmp_path: Path) -> None:
    """The same tree at two absolute locations, scanned at two times: same fingerprints."""
    fps = []
    for where in ("mac", "gateway"):
        world = make_world(tmp_path / where)
        (world["ws"] / "CH01-001.txt").write_text("x")
        (world["ws"] / "d").mkdir()
        (world["ws"] / "d" / "f").write_text("x")
        report = run_scan(make_config(world, [FileReporter()]), Scope(), [])
        fps.append(sorted(f.fingerprint for f in report.findings))
    assert len(fps[0]) == 2
    assert fps[0] == fps[1]


# --- new / resolved ---------------------------------------------------------------------------


def report_of(findings: list[Finding], ran=("YTM301", "YTM302"), errored=()) -> Report:
    outcomes = [CheckOutcome(code, code.lower(), "test") for code in ran]
    for o in outcomes:
        if o.code in errored:
            o.error = "RuntimeError: x"
    return Report(run=new_run([]), config={}, outcomes=outcomes, findings=findings, errors=[])


A = finding(path="a", channel="CH01", video="001")
B = finding(path="b", channel="CH01", video="002")
C = finding(path="c", channel="CH02", video="001")
G = finding(rule="YTM302", path="g", channel=None, video=None)


def test_without_previous_everything_is_new() -> None:
    report = report_of([A, B])
    compare_with_previous(report, None, Scope())
    assert report.new == sorted([A.fingerprint, B.fingerprint])
    assert report.resolved == []
    assert report.previous is None


def test_new_and_resolved() -> None:
    before = report_of([A, B, G])
    now = report_of([A, C])
    compare_with_previous(now, before.to_json(), Scope())
    assert now.new == [C.fingerprint]
    assert now.resolved == sorted([B.fingerprint, G.fingerprint])
    assert now.previous == before.run.id


def test_rule_that_did_not_run_is_not_resolved() -> None:
    before = report_of([A, G])
    now = report_of([], ran=("YTM301",))  # YTM302 deselected this time
    compare_with_previous(now, before.to_json(), Scope())
    assert now.resolved == [A.fingerprint]


def test_rule_that_errored_is_not_resolved() -> None:
    before = report_of([A, G])
    now = report_of([], errored=("YTM302",))
    compare_with_previous(now, before.to_json(), Scope())
    assert now.resolved == [A.fingerprint]


def test_finding_outside_the_channel_scope_is_not_resolved() -> None:
    before = report_of([A, B, C, G])
    now = report_of([])
    compare_with_previous(now, before.to_json(), Scope(channel="CH01"))
    assert set(now.resolved) == {A.fingerprint, B.fingerprint, G.fingerprint}


def test_finding_outside_the_video_scope_is_not_resolved() -> None:
    before = report_of([A, B, C, G])
    now = report_of([])
    compare_with_previous(now, before.to_json(), Scope(channel="CH01", video="001"))
    assert set(now.resolved) == {A.fingerprint, G.fingerprint}


def test_malformed_previous_entries_are_ignored() -> None:
    previous = report_of([A]).to_json()
    previous["findings"] += ["junk", {"rule": "YTM301"}, 3]
    now = report_of([A])
    compare_with_previous(now, previous, Scope())
    assert now.new == []
    assert now.resolved == []


def test_resolved_across_two_saved_scans(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    for name in ("keep.txt", "fixme.txt"):
        (world["ws"] / name).write_text("x")
    config = make_config(world, [FileReporter()], select=None)  # a full scan: becomes latest
    first = run_scan(config, Scope(), [])
    assert first.full_scan
    SavedReportWriter().write(first, config)
    fixed = {f.path: f.fingerprint for f in first.findings if f.rule == "T300"}["fixme.txt"]
    (world["ws"] / "fixme.txt").unlink()
    (world["ws"] / "fresh.txt").write_text("x")

    config = make_config(world, [FileReporter()], select=None)
    second = run_scan(config, Scope(), [])
    assert second.previous == first.run.id
    assert second.resolved == [fixed]  # and nothing of the built-ins, which saw no change
    assert [f.path for f in second.findings if f.fingerprint in second.new] == ["fresh.txt"]
    assert second.to_json()["previous_report"] == first.run.id


def test_unreadable_latest_json_means_no_previous(tmp_path: Path) -> None:
    report_dir = tmp_path / "r"
    report_dir.mkdir()
    (report_dir / "latest.json").write_text('{"findings": [trunc')
    assert load_previous(report_dir) is None
    (report_dir / "latest.json").write_text('{"findings": "not a list"}')
    assert load_previous(report_dir) is None
    (report_dir / "latest.json").write_bytes(b"\xff\xfe")
    assert load_previous(report_dir) is None


# --- exit codes -------------------------------------------------------------------------------


def exit_of(findings, errored=(), exit_zero=False, ran=("YTM301", "YTM302")) -> int:
    report = report_of(findings, ran=ran, errored=errored)
    report.exit_zero = exit_zero
    assert report.summary()["exit_code"] == int(report.exit_code)
    return report.exit_code


def test_exit_codes() -> None:
    warning = finding(severity=Severity.WARNING)
    info = finding(severity=Severity.INFO)
    assert exit_of([A]) == ExitCode.VIOLATIONS == 1
    assert exit_of([warning, info]) == ExitCode.OK == 0
    assert exit_of([]) == 0
    assert exit_of([], errored=("YTM302",)) == 1
    assert exit_of([A], exit_zero=True) == 0
    assert exit_of([], ran=()) == ExitCode.NO_CHECKS == 5
    assert exit_of([], ran=(), exit_zero=True) == 5


def test_exit_zero_does_not_hide_check_errors() -> None:
    assert exit_of([A], errored=("YTM302",), exit_zero=True) == 1


def run_cli(args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    return subprocess.run(
        [sys.executable, "-m", "ytm_doctor.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def cli_world(tmp_path: Path) -> dict[str, Path]:
    world = make_world(tmp_path)
    cfg = tmp_path / "ytm-doctor.yaml"
    cfg.write_text(
        "workspace_root: ws\nshared_storage:\n  root: share\n  require_mount: false\n"
        "  fallback_root: outbox\n"
    )
    world["cfg"] = cfg
    return world


def test_cli_exit_codes(cli_world) -> None:
    tmp = cli_world["tmp"]
    ytm1 = ["--select", "YTM1", "--no-save"]
    assert run_cli(ytm1, tmp).returncode == 0
    assert run_cli(["--select", "ZZZ", "--no-save"], tmp).returncode == 4  # names no rule
    none = run_cli(["--select", "YTM1", "--ignore", "YTM1", "--no-save"], tmp)
    assert none.returncode == 5
    assert "no checks selected" in none.stderr
    (tmp / "share" / "README_MOUNTPOINT.txt").write_text("x")
    assert run_cli(ytm1, tmp).returncode == 0  # YTM101 is a warning
    violation = ["--draft-root", str(tmp / "no_drafts"), *ytm1]
    assert run_cli(violation, tmp).returncode == 1  # YTM100
    assert run_cli([*violation, "--exit-zero"], tmp).returncode == 0


# --- saved reports ----------------------------------------------------------------------------


def test_saved_report_is_stamped_file_plus_latest_and_nothing_else(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    (world["ws"] / "x.txt").write_text("x")
    config = make_config(world, [FileReporter()], select=None)
    report = run_scan(config, Scope(), [])
    SavedReportWriter().write(report, config)
    report_dir = world["ws"] / "logs" / "ops" / "ytm_doctor"
    names = sorted(os.listdir(report_dir))
    assert names == ["latest.json", f"report__{report.run.stamp}.json"]
    assert re.fullmatch(r"report__\d{8}T\d{6}Z\.json", names[1])
    stamped = (report_dir / names[1]).read_bytes()
    assert stamped == (report_dir / "latest.json").read_bytes()
    VALIDATOR.validate(json.loads(stamped))
    assert report.saved_to == report_dir / names[1]


def test_partial_scan_is_saved_but_does_not_replace_latest(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    full_config = make_config(world, [FileReporter()], select=None)
    full = run_scan(full_config, Scope(), [])
    SavedReportWriter().write(full, full_config)
    partial_config = make_config(world, [FileReporter()], select=["T3"])
    partial = run_scan(partial_config, Scope(), [])
    partial.run.started = partial.run.started.replace(year=2099)
    assert not partial.full_scan
    SavedReportWriter().write(partial, partial_config)
    report_dir = full_config.paths.report_dir
    assert (report_dir / f"report__{partial.run.stamp}.json").is_file()
    latest = json.loads((report_dir / "latest.json").read_text())
    assert latest["run"]["id"] == full.run.id
    scoped = run_scan(full_config, Scope(channel="CH01"), [])
    assert not scoped.full_scan


def test_two_saves_in_one_second_keep_both(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    config = make_config(world, [FileReporter()], select=None)
    first = run_scan(config, Scope(), [])
    second = run_scan(config, Scope(), [])
    second.run.started = first.run.started  # same second
    SavedReportWriter().write(first, config)
    SavedReportWriter().write(second, config)
    report_dir = config.paths.report_dir
    reports = sorted(report_dir.glob("report__*.json"))
    assert len(reports) == 2
    latest = json.loads((report_dir / "latest.json").read_text())
    assert latest["run"]["id"] == second.run.id
    assert not [p for p in report_dir.iterdir() if p.name.startswith(".")]


def test_failed_save_leaves_old_latest_and_no_temp_files(tmp_path: Path, monkeypatch) -> None:
    world = make_world(tmp_path)
    config = make_config(world, [FileReporter()], select=None)
    first = run_scan(config, Scope(), [])
    SavedReportWriter().write(first, config)
    report_dir = config.paths.report_dir
    before = (report_dir / "latest.json").read_bytes()

    real_replace = os.replace

    def replace(src, dst, *a, **kw):
        if os.fspath(dst).endswith("latest.json"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", replace)
    second = run_scan(config, Scope(), [])
    second.run.started = second.run.started.replace(year=2099)
    with pytest.raises(OSError):
        SavedReportWriter().write(second, config)
    assert (report_dir / "latest.json").read_bytes() == before
    assert not [p for p in report_dir.iterdir() if p.name.startswith(".") or "tmp" in p.name]


def test_empty_selection_does_not_replace_history(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    config = make_config(world, [FileReporter()], select=None)
    first = run_scan(config, Scope(), [])
    SavedReportWriter().write(first, config)
    empty = make_config(world, select=None, ignore=["YTM"])  # every rule deselected
    nothing = run_scan(empty, Scope(), [])
    assert nothing.exit_code == ExitCode.NO_CHECKS
    SavedReportWriter().write(nothing, empty)
    latest = json.loads((config.paths.report_dir / "latest.json").read_text())
    assert latest["run"]["id"] == first.run.id


def test_cli_scans_save_reports_atomically(cli_world) -> None:
    tmp = cli_world["tmp"]
    for _ in range(2):  # full scans: every built-in rule
        assert run_cli([], tmp).returncode in (0, 1)
    report_dir = cli_world["ws"] / "logs" / "ops" / "ytm_doctor"
    everything = sorted(os.listdir(report_dir))
    assert not [n for n in everything if n.endswith(".tmp")]  # atomic writes' temp files
    names = [n for n in everything if n.endswith(".json")]  # other formats may be saved too
    assert "latest.json" in names
    reports = [n for n in names if n.startswith("report__")]
    assert len(reports) == 2
    assert set(names) == {*reports, "latest.json"}
    for name in names:
        VALIDATOR.validate(json.loads((report_dir / name).read_text()))
    latest = json.loads((report_dir / "latest.json").read_text())
    assert latest["previous_report"] is not None
