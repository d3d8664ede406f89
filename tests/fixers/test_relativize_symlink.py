"""relativize-symlink (YTM202) from the command line: an absolute symlink in the Vault becomes
the relative one that resolves on every host, the old link kept aside; dry-run, undo, stale and
escaping plans, targets that do not map into the share, and the share being a stub."""

from __future__ import annotations

import os

import pytest

CODE = "YTM202"
ALIAS = "/srv/x/lenovo_share"  # where the Linux gateway mounts the same share
BGM = "share/ytm_workspaces/video/input/CH01/bgm"  # absolute through the share root
SE = "share/ytm_workspaces/video/input/CH02/se"  # absolute through the host alias
PACK = "share/asset_vault/packs/CH01/bgm"  # in asset_vault (root "share")


@pytest.fixture
def absolute(factory):
    factory.world.configure(shared_storage={"host_aliases": [ALIAS]})
    factory.write("share/asset_vault/bgm/a.mp3", b"song A" * 50)
    factory.write("share/asset_vault/bgm/.hidden", b"hidden")
    factory.write("share/asset_vault/se/click.wav", b"click")
    factory.link(BGM, factory.share / "asset_vault" / "bgm")
    factory.link(SE, f"{ALIAS}/asset_vault/se")
    factory.link(PACK, factory.share / "asset_vault" / "bgm")
    return factory


def vault_rel(factory, rel: str) -> str:
    return os.path.relpath(factory.root / rel, factory.vault)


def test_dry_run_changes_nothing(absolute):
    plan = absolute.dry_run(CODE)
    actions = {f["title"]: [a["op"] for a in f["actions"]] for f in plan["fixes"]}
    assert sorted(actions) == [
        "share:asset_vault/packs/CH01/bgm -> ../../bgm",
        "vault:video/input/CH01/bgm -> ../../../../asset_vault/bgm",
        "vault:video/input/CH02/se -> ../../../../asset_vault/se",
    ]
    assert set(map(tuple, actions.values())) == {("rename", "symlink")}
    assert os.readlink(absolute.root / BGM) == str(absolute.share / "asset_vault" / "bgm")


def test_run_makes_every_link_relative_and_resolving(absolute):
    old = {rel: os.readlink(absolute.root / rel) for rel in (BGM, SE, PACK)}
    assert len(absolute.scan(CODE)) == 3
    run = absolute.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"] * 3
    for rel, want in ((BGM, "bgm"), (SE, "se"), (PACK, "bgm")):
        link = absolute.root / rel
        target = os.readlink(link)
        assert not os.path.isabs(target), rel
        assert os.path.samefile(link, absolute.share / "asset_vault" / want), rel
        # The absolute link is kept aside, untouched, as the seeds do.
        [aside] = absolute.asides(rel)
        assert os.readlink(aside) == old[rel]
    assert (absolute.root / BGM / "a.mp3").read_bytes() == b"song A" * 50
    assert (absolute.root / SE / "click.wav").read_bytes() == b"click"
    assert absolute.scan(CODE) == []


def test_undo_restores_the_absolute_links(absolute):
    before = absolute.user_tree()
    run = absolute.fix_run(CODE)
    absolute.assert_undo_restores(run, before)
    assert os.readlink(absolute.root / SE) == f"{ALIAS}/asset_vault/se"
    assert absolute.asides(SE) == []


def test_stale_plan_is_refused_when_the_link_was_repointed(absolute):
    only = absolute.only(CODE, "video/input/CH01/bgm")
    absolute.assert_stale_refused(
        CODE, lambda: absolute.repoint(BGM, absolute.share / "asset_vault" / "se"), *only
    )
    assert os.readlink(absolute.root / BGM) == str(absolute.share / "asset_vault" / "se")


def test_stale_plan_is_refused_when_the_link_became_a_dir(absolute):
    def replaced():
        os.unlink(absolute.root / SE)
        absolute.write(SE + "/local.wav", b"made by hand")

    absolute.assert_stale_refused(CODE, replaced, *absolute.only(CODE, "video/input/CH02/se"))
    assert (absolute.root / SE / "local.wav").read_bytes() == b"made by hand"


def test_plan_reaching_outside_the_roots_is_refused(absolute):
    absolute.assert_plan_escapes_refused(CODE, *absolute.only(CODE, "video/input/CH01/bgm"))
    assert sorted(os.listdir(absolute.outside)) == ["keep.txt"]


def test_saved_plan_waits_while_the_share_is_a_stub(absolute):
    plan = absolute.save_plan(CODE)
    absolute.stub_share()
    before = absolute.user_tree()
    result = absolute.apply(plan)
    assert result.code == 1, result.out + result.err
    assert "0 applied, 3 refused, 0 failed" in result.out
    assert "the share is stub; this fix waits for the share to be mounted" in result.out
    assert absolute.user_tree() == before


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (
            "/opt/elsewhere/bgm",
            "the target is not on the share nor under a host alias: no portable target exists",
        ),
        (
            f"{ALIAS}/asset_vault/gone",
            "the relative target ../../../../asset_vault/gone would not resolve either; "
            "restore the target or remove the link by hand",
        ),
    ],
    ids=["outside-the-share", "not-resolving"],
)
def test_a_target_that_does_not_map_into_the_share_is_unfixable(factory, target, reason):
    factory.world.configure(shared_storage={"host_aliases": [ALIAS]})
    factory.link(BGM, target)
    [finding] = factory.scan(CODE)
    assert finding["details"]["unfixable"] == reason
    before = factory.tree()
    plan = factory.dry_run(CODE)
    assert plan["fixes"] == []
    assert [(u["where"], u["reason"]) for u in plan["unfixable"]] == [
        ("vault:video/input/CH01/bgm", reason)
    ]
    text = factory.cli("fix", "--select", CODE).out
    assert f"YTM202 vault:video/input/CH01/bgm: {reason}" in text
    assert factory.fix_run(CODE)["results"] == []
    assert factory.user_tree() == before
    assert os.readlink(factory.root / BGM) == target
