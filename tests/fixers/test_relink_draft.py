"""relink-draft (YTM401, YTM402) from the command line: an unposted episode's run is pointed at
its local CapCut draft, the `capcut_draft` link and capcut_draft_info.json together (seed 001
§0.2.2-0.2.3); only with one candidate or an explicit --draft-dir for one episode; dry-run,
undo, stale and escaping plans."""

from __future__ import annotations

import json
import os

import pytest

RUN1 = "CH01-001__r1"
RUN2 = "CH01-002__r1"
LINK1 = f"ws/video/runs/{RUN1}/capcut_draft"
INFO1 = f"ws/video/runs/{RUN1}/capcut_draft_info.json"
LINK2 = f"ws/video/runs/{RUN2}/capcut_draft"
INFO2 = f"ws/video/runs/{RUN2}/capcut_draft_info.json"


class Episodes:
    """Planning rows in the Vault's SoT, status.json naming the run, run dirs, drafts."""

    def __init__(self, factory) -> None:
        self.f = factory
        self.drafts = factory.root / "drafts"
        self.drafts.mkdir()
        self.local = None  # the one local candidate, once a fixture makes it
        factory.world.configure(capcut={"draft_root": "drafts"})
        factory.write(
            "share/ytm_workspaces/planning/channels/CH01.csv",
            "動画番号,進捗\n1,台本作成中\n2,台本作成中\n",
        )

    def episode(self, video: str, run_id: str, link_to, info_path) -> None:
        f = self.f
        f.write_json(f"ws/scripts/CH01/{video}/status.json", {"metadata": {"video_run_id": run_id}})
        (f.ws / "video" / "runs" / run_id / "remotion").mkdir(parents=True)
        if link_to is not None:
            f.link(f"ws/video/runs/{run_id}/capcut_draft", link_to)
        f.write_json(
            f"ws/video/runs/{run_id}/capcut_draft_info.json",
            {"draft_path": str(info_path), "episode": f"CH01-{video}", "created_by": "capcut_tool"},
        )

    def draft(self, name: str, base=None):
        path = (base or self.drafts) / name
        self.f.write_json(os.path.relpath(path / "draft_content.json", self.f.root), {"n": name})
        return path


@pytest.fixture
def eps(factory) -> Episodes:
    return Episodes(factory)


@pytest.fixture
def dangling(eps):
    """CH01-001: capcut_draft dangles (the old draft is gone); one local draft is named after
    the episode: YTM402 with one candidate."""
    old = eps.drafts / "CH01-001_old"
    eps.episode("001", RUN1, old, old)
    eps.local = eps.draft("CH01-001_明治維新")
    return eps


def info(factory, rel: str) -> dict:
    return json.loads((factory.root / rel).read_text(encoding="utf-8"))


def assert_linked(factory, link: str, info_rel: str, draft) -> None:
    assert os.readlink(factory.root / link) == str(draft)
    assert os.path.samefile(factory.root / link, draft)
    data = info(factory, info_rel)
    assert data["draft_path"] == str(draft)
    assert data["created_by"] == "capcut_tool"  # other keys kept


def test_dry_run_changes_nothing(dangling):
    plan = dangling.f.dry_run("YTM402")
    [fix] = plan["fixes"]
    assert [a["op"] for a in fix["actions"]] == ["rename", "symlink", "replace"]
    assert fix["actions"][1]["target"] == str(dangling.local)


def test_run_relinks_a_dangling_draft_and_its_info(dangling):
    f = dangling.f
    [finding] = f.scan("YTM402")
    assert finding["details"]["candidates"] == [str(dangling.local)]
    run = f.fix_run("YTM402")
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert_linked(f, LINK1, INFO1, dangling.local)
    [aside] = f.asides(LINK1)
    assert os.readlink(aside) == str(dangling.drafts / "CH01-001_old")
    assert f.findings_at("YTM401", finding["path"]) == []
    assert f.findings_at("YTM402", finding["path"]) == []


def test_run_brings_a_draft_on_the_share_back_to_the_local_one_ytm401(eps):
    f = eps.f
    on_share = eps.draft("CH01-002_x", f.share / "capcut_drafts")
    local = eps.draft("CH01-002_x_local")
    eps.episode("002", RUN2, on_share, on_share)
    [finding] = f.scan("YTM401")
    assert finding["details"]["candidates"] == [str(local)]
    f.fix_run("YTM401")
    assert_linked(f, LINK2, INFO2, local)
    assert f.findings_at("YTM401", finding["path"]) == []
    assert f.findings_at("YTM402", finding["path"]) == []
    assert (on_share / "draft_content.json").is_file()  # the share's copy is left alone


def test_run_creates_a_missing_link_the_info_file_names(eps):
    f = eps.f
    gone = eps.drafts / "CH01-001_gone"
    eps.episode("001", RUN1, None, gone)
    local = eps.draft("CH01-001_here")
    [finding] = f.scan("YTM402")
    assert finding["details"]["reason"] == "link missing"
    before = f.user_tree()
    run = f.fix_run("YTM402")
    assert_linked(f, LINK1, INFO1, local)
    assert f.asides(LINK1) == []
    f.assert_undo_restores(run, before)


def test_undo_restores_link_and_info(dangling):
    f = dangling.f
    before = f.user_tree()
    info_bytes = (f.root / INFO1).read_bytes()
    run = f.fix_run("YTM402")
    f.assert_undo_restores(run, before)
    assert (f.root / INFO1).read_bytes() == info_bytes
    assert os.readlink(f.root / LINK1) == str(dangling.drafts / "CH01-001_old")


def test_two_candidates_are_unfixable_without_draft_dir(dangling):
    f = dangling.f
    second = dangling.draft("CH01-001_take2")
    [finding] = f.scan("YTM402")
    assert finding["details"]["candidates"] == sorted([str(dangling.local), str(second)])
    reason = "2 candidates: choose one with --draft-dir"
    assert finding["details"]["unfixable"] == reason
    before = f.tree()
    plan = f.dry_run("YTM402")
    assert plan["fixes"] == []
    assert [u["reason"] for u in plan["unfixable"]] == [reason]
    assert reason in f.cli("fix", "--select", "YTM402").out
    assert f.fix_run("YTM402")["results"] == []
    assert f.user_tree() == before


def test_draft_dir_chooses_between_two_candidates(dangling):
    f = dangling.f
    second = dangling.draft("CH01-001_take2")
    before = f.user_tree()
    run = f.fix_run("YTM402", "--channel", "CH01", "--video", "001", "--draft-dir", str(second))
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert_linked(f, LINK1, INFO1, second)
    f.assert_undo_restores(run, before)


def test_draft_dir_overrides_the_single_candidate_for_one_episode(dangling):
    f = dangling.f
    chosen = f.root / "elsewhere_local" / "my_draft"
    chosen.mkdir(parents=True)
    run = f.fix_run("YTM402", "--channel", "CH01", "--video", "001", "--draft-dir", str(chosen))
    assert [r["status"] for r in run["results"]] == ["applied"]
    assert_linked(f, LINK1, INFO1, chosen)


def test_draft_dir_with_several_episodes_selected_is_refused(dangling):
    f = dangling.f
    old2 = dangling.drafts / "CH01-002_old"
    dangling.episode("002", RUN2, old2, old2)
    dangling.draft("CH01-002_local")
    assert len(f.scan("YTM402")) == 2
    before = f.tree()
    plan = f.dry_run("YTM402", "--draft-dir", str(dangling.local))
    assert plan["fixes"] == []
    reasons = {u["where"]: u["reason"] for u in plan["unfixable"]}
    assert set(reasons) == {"workspace:" + LINK1[3:], "workspace:" + LINK2[3:]}
    assert set(reasons.values()) == {
        "--draft-dir names one draft: select one episode (--channel/--video or --fingerprint)"
    }
    assert f.fix_run("YTM402", "--draft-dir", str(dangling.local))["results"] == []
    assert f.user_tree() == before


def test_draft_dir_on_the_share_is_refused(dangling):
    f = dangling.f
    remote = dangling.draft("CH01-001_remote", f.share / "capcut_drafts")
    before = f.user_tree()
    plan = f.plan("YTM402", "--channel", "CH01", "--video", "001", "--draft-dir", str(remote))
    assert plan["fixes"] == []
    assert [u["reason"] for u in plan["unfixable"]] == [
        f"--draft-dir {remote} is not on local disk"
    ]
    assert f.user_tree() == before


def test_stale_plan_is_refused_when_the_info_file_changed(dangling):
    f = dangling.f
    edited = {"draft_path": "/somewhere/else", "episode": "CH01-001"}
    f.assert_stale_refused("YTM402", lambda: f.write_json(INFO1, edited))
    assert info(f, INFO1) == edited


def test_stale_plan_is_refused_when_the_link_was_repointed(dangling):
    f = dangling.f
    f.assert_stale_refused("YTM402", lambda: f.repoint(LINK1, dangling.drafts / "CH01-001_new"))
    assert os.readlink(f.root / LINK1) == str(dangling.drafts / "CH01-001_new")


def test_plan_reaching_outside_the_roots_is_refused(dangling):
    dangling.f.assert_plan_escapes_refused("YTM402")
    assert sorted(os.listdir(dangling.f.outside)) == ["keep.txt"]
