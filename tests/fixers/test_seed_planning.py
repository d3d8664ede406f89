"""seed-planning (YTM601) from the command line: a Vault without its planning SoT gets it from
the Hot planning/ cache, into nothing (never over a file), journaled; undo removes only what it
wrote; every other planning-root drift stays a matter for people."""

from __future__ import annotations

import json
import shutil

import pytest

CODE = "YTM601"
SOT = "share/ytm_workspaces/planning"
CACHE = "ws/planning"
CH01 = "動画番号,進捗\n1,投稿済み\n2,台本作成中\n".encode()


@pytest.fixture
def unseeded(factory):
    """A fresh Vault (ytm_workspaces/ ready, no planning/ yet) and a Hot cache with a channel
    sheet, a persona, an empty folder, a Finder file and a link (neither of them is seeded)."""
    f = factory
    shutil.rmtree(f.root / SOT)
    f.write(f"{CACHE}/channels/CH01.csv", CH01)
    f.write(f"{CACHE}/personas/CH01.md", "# ペルソナ\n60代の視聴者\n")
    (f.root / CACHE / "templates").mkdir()
    f.write(f"{CACHE}/.DS_Store", b"\0finder")
    f.link(f"{CACHE}/latest.csv", "channels/CH01.csv")
    return f


def test_the_missing_sot_is_found_with_a_fix(unseeded):
    [finding] = unseeded.scan(CODE)
    assert "does not exist" in finding["message"]
    assert finding["details"]["seed_to"] == {"root": "vault", "rel": "planning"}
    assert finding["details"]["seed_from"] == {"root": "workspace", "rel": "planning"}
    assert finding["fix"]["fixer"] == "seed-planning"


def test_dry_run_plans_mkdirs_and_writes_only(unseeded):
    plan = unseeded.dry_run(CODE)
    [fix] = plan["fixes"]
    assert [(a["op"], a["path"]["rel"]) for a in fix["actions"]] == [
        ("mkdir", "planning"),
        ("mkdir", "planning/channels"),
        ("mkdir", "planning/personas"),
        ("mkdir", "planning/templates"),
        ("write", "planning/channels/CH01.csv"),
        ("write", "planning/personas/CH01.md"),
    ]
    assert "1 links or special files left out" in fix["title"]


def test_run_seeds_the_sot_and_the_rescan_is_clean(unseeded):
    cache_before = unseeded.subtree(CACHE)
    run = unseeded.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"]
    sot = unseeded.root / SOT
    assert (sot / "channels/CH01.csv").read_bytes() == CH01
    assert (sot / "personas/CH01.md").read_text() == "# ペルソナ\n60代の視聴者\n"
    assert (sot / "templates").is_dir()
    assert not (sot / ".DS_Store").exists() and not (sot / "latest.csv").exists()
    assert unseeded.subtree(CACHE) == cache_before  # the cache is only read
    journal = unseeded.report_dir / f"journal__{run['run_id']}.jsonl"
    lines = [json.loads(x) for x in journal.read_text().splitlines()]
    ops = [x["action"]["op"] for x in lines if x["type"] == "begin"]
    assert ops.count("write") == 2 and ops.count("mkdir") == 4
    assert unseeded.scan("YTM601,YTM602") == []


def test_undo_removes_exactly_what_it_wrote(unseeded):
    before = unseeded.user_tree()
    run = unseeded.fix_run(CODE)
    unseeded.assert_undo_restores(run, before)
    assert not (unseeded.root / SOT).exists()
    assert (unseeded.root / "share/ytm_workspaces").is_dir()  # it was there before


def test_undo_leaves_what_someone_added_since(unseeded):
    run = unseeded.fix_run(CODE)
    theirs = unseeded.write(f"{SOT}/channels/CH02.csv", "added on the Vault by the UI")
    result = unseeded.cli("undo", run["run_id"], "--run")
    assert result.code == 1, result.out + result.err
    assert "no longer empty" in result.out
    assert theirs.read_text() == "added on the Vault by the UI"
    assert (unseeded.root / SOT / "channels/CH01.csv").read_bytes() == CH01  # undone whole or not


def test_never_written_over_a_sot_made_since_the_plan(unseeded):
    plan = unseeded.save_plan(CODE)
    theirs = unseeded.write(f"{SOT}/channels/CH01.csv", "the real SoT, made meanwhile")
    result = unseeded.apply(plan, "--json")
    assert result.code == 1, result.out + result.err
    [res] = result.json()["results"]
    assert res["status"] == "refused" and any(r.startswith("stale: ") for r in res["reasons"])
    assert theirs.read_text() == "the real SoT, made meanwhile"
    assert not (unseeded.root / SOT / "personas").exists()


def test_a_planning_root_drift_that_is_not_a_missing_sot_stays_unfixable(factory):
    factory.write(f"{SOT}/channels/CH01.csv", CH01)
    factory.write(f"{CACHE}/channels/CH01.csv", CH01)
    env = factory.write("ws/ops/ytm.env", f"YTM_PLANNING_ROOT={factory.root / CACHE}\n")
    factory.world.configure(planning={"env_files": [str(env)]})
    [finding] = factory.scan(CODE)
    assert "disagree" in finding["message"]
    assert finding["details"]["unfixable"].startswith("the declarations disagree")
    assert "seed_to" not in finding["details"]
    before = factory.user_tree()
    result = factory.cli("fix", "--select", CODE, "--run")
    assert result.code in (0, 1), result.out + result.err
    assert factory.user_tree() == before


def test_no_cache_no_seed(factory):
    shutil.rmtree(factory.root / SOT)
    [finding] = factory.scan(CODE)
    assert "no Hot planning/ cache" in finding["details"]["unfixable"]
