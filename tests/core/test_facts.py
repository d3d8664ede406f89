"""The check -> fixer contract (ytm_doctor.facts): every details dict a built-in fixer reads
survives details -> facts -> details unchanged (reports keep their keys), and a finding lacking
what its fixer needs becomes one clear "unfixable" entry of the plan, never a traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ytm_doctor import NotFixable, PathRef, finding_ref
from ytm_doctor.facts import (
    ArchivedRunFacts,
    ArtifactItem,
    CacheDriftFacts,
    DraftFacts,
    LockFacts,
    OutboxFacts,
    StoredCopyFacts,
    SymlinkFacts,
    UnstoredFacts,
)
from ytm_doctor.model import Finding, Severity


def finding(
    details: dict[str, Any], *, rule: str = "YTM999", root: str = "workspace", path: str = "a/b"
) -> Finding:
    return Finding(rule, "x", Severity.WARNING, "m", root, path, f"/abs/{path}", details=details)


DRAFT = {
    "run_id": "CH01-001__r1",
    "stage": "hot",
    "link_target": "/drafts/old",
    "link_target_abs": "/drafts/old",
    "resolved": None,
    "info_draft_path": "/drafts/old",
    "link_state": "dangling",
    "share_relative": None,
    "reason": "dangling",
    "candidates": ["/drafts/CH01-001_new"],
}

DETAILS = [
    (
        SymlinkFacts,
        {
            "target": "/Volumes/share/asset_vault/x",
            "share_relative": "asset_vault/x",
            "relative_target": "../../asset_vault/x",
            "resolves": True,
        },
    ),
    (
        SymlinkFacts,
        {"target": "/x", "share_relative": None, "relative_target": None, "resolves": False},
    ),
    (DraftFacts, DRAFT),
    (
        DraftFacts,
        {
            "run_id": "CH01-001__r1",
            "stage": "freeze",
            "link_target": None,
            "link_target_abs": None,
            "resolved": "/Volumes/share/drafts/x",
            "info_draft_path": "/Volumes/share/drafts/x",
            "info_error": "capcut_draft_info.json: not a JSON object",
            "link_state": "missing",
            "share_relative": "drafts/x",
            "why": "on the share",
            "candidates": [],
        },
    ),
    (
        ArchivedRunFacts,
        {
            "run_id": "CH01-001__r1",
            "stage": "published",
            "archived_copies": ["video/_archive/20250101T000000/runs/CH01-001__r1"],
            "archive_report": ["video/_archive/20250101T000000/archive_report.json"],
            "run_dir_link": None,
            "vault_copy": "video/runs/CH01-001__r1",
        },
    ),
    (
        CacheDriftFacts,
        {
            "reason": "differs",
            "sot_path": "/share/ytm_workspaces/planning/channels/CH01.csv",
            "sot_root": "/share/ytm_workspaces/planning",
            "cache_sha256": "a" * 64,
            "sot_sha256": "b" * 64,
            "cache_size": 10,
            "sot_size": 10,
            "channel": "CH01",
        },
    ),
    (
        CacheDriftFacts,
        {
            "reason": "missing from cache",
            "sot_path": "/sot/x.csv",
            "sot_root": None,
            "cache_sha256": None,
            "sot_sha256": None,
            "cache_size": None,
            "sot_size": 3,
        },
    ),
    (
        OutboxFacts,
        {
            "manifest": "manifests/episode/x.json",
            "kind": "episode",
            "created_at": "2025-01-01T00:00:00Z",
            "outbox_host": "mac",
            "entries": [{"path": "a/b.mp4", "size": 3, "sha256": "c" * 64}],
        },
    ),
    (
        OutboxFacts,
        {
            "manifest": "manifests/episode/y.json",
            "kind": "episode",
            "created_at": "",
            "outbox_host": None,
            "entries": [],
            "problem": "is not valid JSON",
            "waits_for": "the share is offline",
        },
    ),
    (
        StoredCopyFacts,
        {
            "manifest": "manifests/episode/x.json",
            "problem": "sha256",
            "expected_size": 3,
            "expected_sha256": "c" * 64,
            "actual": {"size": 3, "mtime_ns": 1, "sha256": "d" * 64},
            "source": {"root": "workspace", "path": "video/x.mp4", "size": 3, "mtime_ns": 1},
            "kind": "final_mp4",
        },
    ),
    (
        UnstoredFacts,
        {
            "artifacts": [
                {
                    "kind": "final_mp4",
                    "path": "video/x.mp4",
                    "dest": "CH01/001/x.mp4",
                    "run_id": None,
                },
                {
                    "kind": "remotion_mp4",
                    "path": "video/runs/r/out.mp4",
                    "dest": "CH01/001/r.mp4",
                    "run_id": "r",
                },
            ],
            "store_command": "ytm-doctor store episode --channel CH01 --video 001 --run",
        },
    ),
    (
        LockFacts,
        {
            "lock": "mirror",
            "reason": "pid 123 is gone",
            "owner": {"pid": 123, "host": "mac"},
            "stale_after_sec": 600.0,
        },
    ),
    (LockFacts, {"lock": "scan", "reason": None, "owner": None, "stale_after_sec": 600.0}),
]


@pytest.mark.parametrize(("cls", "details"), DETAILS, ids=lambda v: getattr(v, "__name__", ""))
def test_details_round_trip_through_facts(cls, details):
    path = "uploads/factory_commentary/CH01/001/x.mp4" if cls is StoredCopyFacts else "a/b"
    facts = cls.from_finding(finding(details, path=path))
    assert facts.to_details() == details
    # ... and key for key in the same order: the report shows details as they come.
    assert list(facts.to_details()) == list(details)
    # and the same through JSON, as an older report's finding would arrive
    again = cls.from_finding(finding(json.loads(json.dumps(details)), path=path))
    assert again.to_details() == details


def test_facts_built_by_a_check_read_back_equal():
    facts = UnstoredFacts((ArtifactItem("final_mp4", "video/x.mp4", "CH01/001/x.mp4"),), "cmd")
    assert UnstoredFacts.from_finding(finding(facts.to_details())) == facts
    assert facts.artifacts[0].ref() == PathRef("workspace", "video/x.mp4")


@pytest.mark.parametrize(
    ("cls", "details", "reason"),
    [
        (SymlinkFacts, {"target": "/x"}, "lacks relative_target"),
        (DraftFacts, {"run_id": "r"}, "lacks candidates"),
        (DraftFacts, {"candidates": "one"}, "has candidates of type str, not list or tuple"),
        (DraftFacts, {"candidates": [1]}, "has candidates that are not all strings"),
        (ArchivedRunFacts, {"run_id": "r"}, "lacks archived_copies"),
        (ArchivedRunFacts, {"archived_copies": ["../x"]}, "not a plain relative path"),
        (CacheDriftFacts, {"reason": "differs"}, "lacks sot_path"),
        (OutboxFacts, {"kind": "episode"}, "no manifest: store the local file again"),
        (StoredCopyFacts, {"source": {}}, "lacks kind"),
        (StoredCopyFacts, {"kind": "k", "source": {"root": "workspace"}}, "has no usable source"),
        (UnstoredFacts, {"artifacts": [{"kind": "k"}]}, "without kind, path and dest"),
        (UnstoredFacts, {}, "lacks artifacts"),
    ],
)
def test_missing_or_wrong_keys_raise_one_clear_reason(cls, details, reason):
    bad = finding(details, rule="YTM123", path="uploads/ns/x")
    with pytest.raises(NotFixable) as caught:
        cls.from_finding(bad)
    assert reason in caught.value.reason
    assert caught.value.finding is bad
    if "lacks" in reason or "type" in reason:
        assert caught.value.reason.startswith("the YTM123 finding at workspace:uploads/ns/x ")


def test_report_only_keys_are_taken_as_found():
    # A lock finding from an older report without owner or stale_after_sec still fixes.
    assert LockFacts.from_finding(finding({"reason": 3})).reason is None
    assert LockFacts.from_finding(finding({})) == LockFacts("", None)


def test_finding_ref_parses_the_location_once():
    assert finding_ref(finding({}, root="vault", path="x/y")) == PathRef("vault", "x/y")
    for path in (".", "../x", "/abs"):
        with pytest.raises(NotFixable, match="not a plain relative path"):
            finding_ref(finding({}, path=path))
    with pytest.raises(NotFixable, match="is not a path under uploads/"):
        StoredCopyFacts.stored_path(finding({}, path="share/x"))


# --- through the real planning path ---------------------------------------------------------

SITE_PLUGIN = '''
import os

from ytm_doctor import Fixer, NotFixable, check, hookimpl


def _at(check, ctx, rel, details):
    abs_path = os.path.join(ctx.paths.workspace_root, rel)
    return check.rule.finding("gone", root="workspace", path=rel, abs_path=abs_path,
                              details=details)


@check("SITE405", "site-runs-gone", severity="warning", fixer="restore-run")
def site_runs_gone(ctx):
    """runs gone from video/runs, as a third-party check reports them"""
    gone = site_runs_gone
    return [
        _at(gone, ctx, "video/runs/r1", {"run_id": "r1"}),  # no archived_copies
        _at(gone, ctx, "video/runs/r2", {"archived_copies": ["video/_archive/s/runs/r2"]}),
        _at(gone, ctx, "video/runs/r3", {"archived_copies": "video/_archive/s/runs/r3"}),
    ]


@check("SITE900", "site-picky", severity="warning", fixer="site-picky")
def site_picky(ctx):
    """two findings a fixer turns down as a whole"""
    return [_at(site_picky, ctx, "a", {}), _at(site_picky, ctx, "b", {})]


class Picky(Fixer):
    name = "site-picky"
    summary = "turns everything down"

    def plan(self, findings, fx):
        raise NotFixable("the site fixer needs a newer site check")


@hookimpl
def ytm_doctor_collect_fixers():
    return [Picky()]
'''


@pytest.fixture
def site(world):
    world.write("plugins/site_checks.py", SITE_PLUGIN)
    world.write("ws/video/_archive/s/runs/r2/out.txt", "kept")
    return world


def test_a_finding_lacking_what_its_fixer_reads_is_unfixable_not_a_traceback(site, cli):
    res = cli("fix", "-p", "plugins/site_checks.py", "--select", "SITE405", "--json")
    assert res.code == 0, res.out + res.err
    assert res.err == ""
    plan = res.json()["plan"]
    reasons = {u["where"]: u["reason"] for u in plan["unfixable"]}
    assert reasons == {
        "workspace:video/runs/r1": "the SITE405 finding at workspace:video/runs/r1 lacks "
        "archived_copies",
        "workspace:video/runs/r3": "the SITE405 finding at workspace:video/runs/r3 has "
        "archived_copies of type str, not list or tuple",
    }
    # The well-formed finding of the same fixer is still planned.
    [fix] = plan["fixes"]
    assert fix["fixer"] == "restore-run"
    assert fix["actions"][-1]["dest"] == {"root": "workspace", "rel": "video/runs/r2"}

    text = cli("fix", "-p", "plugins/site_checks.py", "--select", "SITE405")
    assert text.code == 0, text.out + text.err
    assert "cannot fix automatically:" in text.out
    assert "SITE405 workspace:video/runs/r1: the SITE405 finding at" in text.out
    assert "Traceback" not in text.out + text.err


def test_a_fixer_turning_all_down_makes_each_finding_unfixable(site, cli):
    res = cli("fix", "-p", "plugins/site_checks.py", "--select", "SITE900", "--json")
    assert res.code == 0, res.out + res.err
    plan = res.json()["plan"]
    assert plan["fixes"] == []
    assert sorted((u["where"], u["reason"]) for u in plan["unfixable"]) == [
        ("workspace:a", "the site fixer needs a newer site check"),
        ("workspace:b", "the site fixer needs a newer site check"),
    ]
