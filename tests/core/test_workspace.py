"""The workspace model: planning CSVs, scripts dirs, status.json and runs (SPEC §4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytm_doctor.paths import Paths
from ytm_doctor.workspace import (
    Episode,
    PlanningPolicy,
    Stage,
    Workspace,
    load_workspace,
    normalize_video,
)

POLICY = PlanningPolicy(
    video_columns=("動画番号", "video", "No."),
    status_columns=("進捗", "status"),
    published_values=frozenset({"投稿済み", "published"}),
    freeze_values=frozenset({"凍結", "freeze"}),
)


def make_paths(ws: Path, planning: Path) -> Paths:
    share = ws.parent / "share"
    return Paths(
        workspace_root=ws,
        share_root=share,
        namespace="factory_commentary",
        vault_workspaces_root=share / "ytm_workspaces",
        asset_vault=share / "asset_vault",
        shared_base=share / "uploads" / "factory_commentary",
        sentinel=share / "ytm_workspaces" / ".ytm_vault_workspaces_root.json",
        stub_marker=share / "README_MOUNTPOINT.txt",
        planning_root=planning,
        planning_root_derived=False,
        fallback_root=ws.parent / "outbox",
        fallback_root_derived=False,
        draft_root=None,
        report_dir=ws / "logs/ops/ytm_doctor",
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "workspaces"
    root.mkdir()
    return root


@pytest.fixture
def sot(tmp_path: Path) -> Path:
    root = tmp_path / "sot_planning"
    (root / "channels").mkdir(parents=True)
    return root


def write_csv(planning: Path, channel: str, text: str, *, bom: bool = False) -> Path:
    path = planning / "channels" / f"{channel}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def script_dir(ws: Path, channel: str, video: str, status: object | None = None) -> Path:
    path = ws / "scripts" / channel / video
    path.mkdir(parents=True)
    if isinstance(status, (bytes, str)):
        raw = status if isinstance(status, bytes) else status.encode("utf-8")
        (path / "status.json").write_bytes(raw)
    elif status is not None:
        (path / "status.json").write_text(json.dumps(status), encoding="utf-8")
    return path


def make_run(ws: Path, name: str, mtime: int) -> Path:
    path = ws / "video" / "runs" / name
    path.mkdir(parents=True)
    os.utime(path, (mtime, mtime))
    return path


def load(ws: Path, sot: Path) -> Workspace:
    return load_workspace(make_paths(ws, sot), POLICY)


def stages(w: Workspace) -> dict[str, Stage]:
    return {ep_id: ep.stage for ep_id, ep in w.episodes.items()}


def test_japanese_headers_with_bom_give_each_stage(ws: Path, sot: Path) -> None:
    write_csv(
        sot,
        "CH02",
        "動画番号,タイトル,進捗\n1,a,投稿済み\n012,b,凍結\n 13 ,c,台本作成中\n",
        bom=True,
    )
    w = load(ws, sot)

    assert w.planning_source == "sot"
    assert w.planning_root == sot
    assert stages(w) == {
        "CH02-001": Stage.PUBLISHED,
        "CH02-012": Stage.FREEZE,
        "CH02-013": Stage.HOT,
    }
    ep = w.episode("CH02", "13")
    assert ep is not None
    assert ep.planning_status == "台本作成中"
    assert ep.in_planning and ep.unposted
    assert ep.script_dir is None
    assert not w.episodes["CH02-001"].unposted
    assert w.problems == []


def test_english_headers(ws: Path, sot: Path) -> None:
    write_csv(sot, "CH05", "video,status\n7,published\n8,freeze\n9,editing\n")
    w = load(ws, sot)

    assert stages(w) == {
        "CH05-007": Stage.PUBLISHED,
        "CH05-008": Stage.FREEZE,
        "CH05-009": Stage.HOT,
    }
    assert w.channels() == ["CH05"]


def test_policy_order_beats_csv_column_order(ws: Path, sot: Path) -> None:
    # `video`/`status` come first in the file, but the policy prefers 動画番号/進捗.
    write_csv(sot, "CH01", "video,status,動画番号,進捗\n100,published,1,凍結\n")
    w = load(ws, sot)

    assert list(w.episodes) == ["CH01-001"]
    assert w.episodes["CH01-001"].stage == Stage.FREEZE
    assert w.episodes["CH01-001"].planning_status == "凍結"


def test_rows_without_a_usable_video_number_are_skipped(ws: Path, sot: Path) -> None:
    write_csv(sot, "CH03", "動画番号,進捗\n,x\nメモ,x\n1000,x\n-1,x\n999,x\n")
    w = load(ws, sot)

    assert list(w.episodes) == ["CH03-999"]
    assert w.problems == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12", "012"),
        ("012", "012"),
        (" 12 ", "012"),
        ("１２", "012"),
        ("0", "000"),
        ("999", "999"),
        ("1000", None),
        ("12a", None),
        ("", None),
        ("1.5", None),
    ],
)
def test_normalize_video(cell: str, expected: str | None) -> None:
    assert normalize_video(cell) == expected


def test_publish_lock_makes_a_hot_episode_published(ws: Path, sot: Path) -> None:
    write_csv(sot, "CH02", "動画番号,進捗\n12,編集中\n13,編集中\n")
    script_dir(ws, "CH02", "012", {"publish_lock": True, "metadata": {}})
    script_dir(ws, "CH02", "013", {"publish_lock": False})
    w = load(ws, sot)

    locked = w.episodes["CH02-012"]
    assert locked.stage == Stage.PUBLISHED
    assert locked.publish_lock and not locked.unposted
    assert locked.planning_status == "編集中"
    assert w.episodes["CH02-013"].stage == Stage.HOT


def test_episodes_are_the_union_of_csv_rows_and_script_dirs(ws: Path, sot: Path) -> None:
    write_csv(sot, "CH02", "動画番号,進捗\n1,投稿済み\n")
    made = script_dir(ws, "CH02", "002")
    script_dir(ws, "CH07", "010")
    (ws / "scripts" / "CH02" / "notes").mkdir()  # not a video number: ignored
    (ws / "scripts" / "misc").mkdir()
    w = load(ws, sot)

    assert list(w.episodes) == ["CH02-001", "CH02-002", "CH07-010"]
    only_script = w.episodes["CH02-002"]
    assert not only_script.in_planning
    assert only_script.planning_status is None
    assert only_script.stage == Stage.HOT
    assert only_script.script_dir == made
    assert w.channels() == ["CH02", "CH07"]


def test_adopted_run_is_video_run_id_even_when_older(ws: Path, sot: Path) -> None:
    script_dir(ws, "CH02", "012", {"metadata": {"video_run_id": "CH02-012_a"}})
    make_run(ws, "CH02-012_a", 1_000)
    make_run(ws, "CH02-012_b", 2_000)
    w = load(ws, sot)

    ep = w.episodes["CH02-012"]
    assert ep.video_run_id == "CH02-012_a"
    assert w.adopted_run(ep) == "CH02-012_a"
    assert w.runs_for(ep) == ["CH02-012_a", "CH02-012_b"]


def test_adopted_run_falls_back_to_newest_matching_run(ws: Path, sot: Path, tmp_path: Path) -> None:
    script_dir(ws, "CH02", "012", {"metadata": {}})
    script_dir(ws, "CH02", "013")
    script_dir(ws, "CH02", "014")
    make_run(ws, "CH02-012_old", 1_000)
    make_run(ws, "CH02-012_new", 3_000)
    make_run(ws, "CH02-013_x", 5_000)
    # A run that is a symlink to a directory elsewhere is still a run; its own mtime counts.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = ws / "video" / "runs" / "CH02-013_linked"
    link.symlink_to(elsewhere)
    os.utime(link, (6_000, 6_000), follow_symlinks=False)
    (ws / "video" / "runs" / "CH02-014.txt").write_text("not a run")
    make_run(ws, "CH02-014_b", 2_000)
    make_run(ws, "CH02-014_a", 2_000)
    w = load(ws, sot)

    assert w.adopted_run(w.episodes["CH02-012"]) == "CH02-012_new"
    assert w.adopted_run(w.episodes["CH02-013"]) == "CH02-013_linked"
    assert w.adopted_run(w.episodes["CH02-014"]) == "CH02-014_b"  # same mtime: later name
    assert "CH02-014.txt" not in w.runs
    assert w.runs["CH02-013_linked"] == os.fspath(link)
    assert w.run_links == {"CH02-013_linked"}  # from the same listing


# Run ids that share prefixes with an episode id and with each other.
run_ids = st.sets(
    st.lists(
        st.sampled_from(["CH02", "-", "012", "0120", "013", "_", "x", "~", " "]), max_size=5
    ).map("".join)
)


@given(ids=run_ids, episode=st.sampled_from(["CH02-012", "CH02-013", "CH02-0120", "CH02-01"]))
def test_an_episodes_runs_are_the_ids_that_start_with_its_id(ids: set[str], episode: str) -> None:
    ws = Workspace(Path("/w"), Path("/p"), "none", {}, {r: f"/w/{r}" for r in ids if r})
    channel, _, video = episode.partition("-")
    ep = Episode(channel, video, Stage.HOT, None, False, None, None, False)
    assert ep.id == episode
    assert ws.runs_for(ep) == sorted(r for r in ws.runs if r.startswith(episode))


def test_episode_without_runs_has_no_adopted_run(ws: Path, sot: Path) -> None:
    script_dir(ws, "CH02", "012")
    w = load(ws, sot)

    assert w.runs == {}
    assert w.adopted_run(w.episodes["CH02-012"]) is None


def test_csv_that_is_not_utf8_is_a_problem_and_the_rest_loads(ws: Path, sot: Path) -> None:
    bad = sot / "channels" / "CH01.csv"
    bad.write_bytes("動画番号,進捗\n1,投稿済み\n".encode("shift_jis"))
    write_csv(sot, "CH02", "video,status\n5,published\n")
    script_dir(ws, "CH01", "003")
    w = load(ws, sot)

    assert [p.path for p in w.problems] == [bad]
    assert "UTF-8" in w.problems[0].message
    assert list(w.episodes) == ["CH01-003", "CH02-005"]


def test_csv_without_a_video_column_is_a_problem(ws: Path, sot: Path) -> None:
    path = write_csv(sot, "CH01", "title,status\nfoo,published\n")
    w = load(ws, sot)

    assert w.episodes == {}
    assert len(w.problems) == 1
    assert w.problems[0].path == path
    assert "video column" in w.problems[0].message


def test_duplicate_rows_keep_the_first_and_report(ws: Path, sot: Path) -> None:
    write_csv(sot, "CH01", "video,status\n1,published\n001,editing\n")
    w = load(ws, sot)

    assert w.episodes["CH01-001"].stage == Stage.PUBLISHED
    assert len(w.problems) == 1
    assert "lines 2 and 3" in w.problems[0].message


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("[1, 2]", "must be an object"),
        ('{"publish_lock": "yes"}', "publish_lock"),
        ('{"metadata": "CH02-012_a"}', "metadata"),
        ('{"metadata": {"video_run_id": 12}}', "video_run_id"),
    ],
)
def test_invalid_status_json_is_a_problem_with_defaults(
    ws: Path, sot: Path, content: str | bytes, expect: str
) -> None:
    write_csv(sot, "CH02", "video,status\n12,editing\n13,editing\n")
    bad = script_dir(ws, "CH02", "012", content) / "status.json"
    script_dir(ws, "CH02", "013", {"publish_lock": True})
    w = load(ws, sot)

    assert [p.path for p in w.problems] == [bad]
    assert expect in w.problems[0].message
    ep = w.episodes["CH02-012"]
    assert (ep.stage, ep.publish_lock, ep.video_run_id) == (Stage.HOT, False, None)
    assert w.episodes["CH02-013"].stage == Stage.PUBLISHED


def test_one_bad_field_keeps_the_good_one(ws: Path, sot: Path) -> None:
    script_dir(ws, "CH02", "012", {"publish_lock": "yes", "metadata": {"video_run_id": "r1"}})
    w = load(ws, sot)

    assert w.episodes["CH02-012"].video_run_id == "r1"
    assert len(w.problems) == 1


def test_non_utf8_names_do_not_crash(ws: Path, sot: Path) -> None:
    scripts = os.fsencode(ws / "scripts")
    try:
        os.makedirs(scripts + b"/CH01/\xff01")
        os.makedirs(scripts + b"/\xffCH02")
        os.makedirs(os.fsencode(ws / "video" / "runs") + b"/CH01-001_\xff")
    except OSError:
        pytest.skip("this filesystem rejects names that are not UTF-8")
    script_dir(ws, "CH01", "001")
    w = load(ws, sot)

    assert list(w.episodes) == ["CH01-001"]
    assert w.problems == []
    # The run keeps its undecodable byte as a surrogate, so it maps back to the real directory.
    [run_id] = w.runs_for(w.episodes["CH01-001"])
    assert os.path.isdir(w.runs[run_id])


def test_missing_sot_falls_back_to_the_workspace_cache(ws: Path, tmp_path: Path) -> None:
    missing = tmp_path / "share" / "ytm_workspaces" / "planning"
    cache = ws / "planning"
    write_csv(cache, "CH02", "動画番号,進捗\n12,投稿済み\n")
    w = load(ws, missing)

    assert w.planning_source == "cache"
    assert w.planning_root == cache
    assert w.episodes["CH02-012"].stage == Stage.PUBLISHED


def test_sot_is_preferred_over_the_cache(ws: Path, sot: Path) -> None:
    write_csv(sot, "CH02", "video,status\n12,published\n")
    write_csv(ws / "planning", "CH02", "video,status\n12,editing\n")
    w = load(ws, sot)

    assert w.planning_source == "sot"
    assert w.episodes["CH02-012"].stage == Stage.PUBLISHED


def test_no_planning_anywhere_still_loads_scripts(ws: Path, tmp_path: Path) -> None:
    script_dir(ws, "CH02", "012")
    w = load(ws, tmp_path / "nowhere")

    assert w.planning_source == "none"
    assert list(w.episodes) == ["CH02-012"]
    assert not w.episodes["CH02-012"].in_planning


def test_policy_from_config_reads_the_planning_keys() -> None:
    config = {
        "planning.video_columns": ["No."],
        "planning.status_columns": ["state"],
        "planning.published_values": ["done"],
        "planning.freeze_values": [],
    }
    policy = PlanningPolicy.from_config(config)

    assert policy.video_columns == ("No.",)
    assert policy.status_columns == ("state",)
    assert policy.published_values == frozenset({"done"})
    assert policy.freeze_values == frozenset()


def test_episode_lookup(ws: Path, sot: Path) -> None:
    write_csv(sot, "CH02", "video,status\n12,editing\n")
    w = load(ws, sot)

    ep = w.episode("CH02", "012")
    assert ep is not None and ep.id == "CH02-012"
    assert w.episode("CH02", "12") is ep
    assert w.episode("CH02", "013") is None
    assert w.episode("CH02", "abc") is None
