"""bootstrap-sentinel (YTM201) from the command line: the Vault sentinel missing, foreign or
unparsable is written for this namespace; dry-run, undo, stale and escaping plans, and the
share being a stub."""

from __future__ import annotations

import json
import os
import re

import pytest

NAMESPACE = "factory_commentary"
SENTINEL = "share/ytm_workspaces/.ytm_vault_workspaces_root.json"

CODE = "YTM201"
FOREIGN = b'{"namespace": "someone_else", "note": "keep me"}\n'


@pytest.fixture
def missing(factory):
    os.unlink(factory.root / SENTINEL)
    return factory


@pytest.fixture
def foreign(factory):
    factory.write(SENTINEL, FOREIGN)
    return factory


def sentinel_json(factory) -> dict:
    return json.loads((factory.root / SENTINEL).read_text(encoding="utf-8"))


def test_dry_run_changes_nothing(missing):
    plan = missing.dry_run(CODE)
    [fix] = plan["fixes"]
    assert fix["fixer"] == "bootstrap-sentinel"
    assert [a["op"] for a in fix["actions"]] == ["write"]
    assert not (missing.root / SENTINEL).exists()


def test_run_writes_a_valid_sentinel_and_the_rescan_is_clean(missing):
    assert [f["details"]["problem"] for f in missing.scan(CODE)] == ["missing"]
    run = missing.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"]
    data = sentinel_json(missing)
    assert data["namespace"] == NAMESPACE
    assert data["schema"] == "ytm.vault_workspaces_root.v1"
    assert missing.scan(CODE) == []


def test_undo_removes_the_written_sentinel(missing):
    before = missing.user_tree()
    run = missing.fix_run(CODE)
    missing.assert_undo_restores(run, before)
    assert not (missing.root / SENTINEL).exists()


@pytest.mark.parametrize(
    ("old", "problem"),
    [(FOREIGN, "wrong-namespace"), (b'{"namespace": "factory_comm', "unparsable")],
    ids=["foreign", "truncated"],
)
def test_a_bad_sentinel_is_replaced_and_its_bytes_kept(factory, old, problem):
    factory.write(SENTINEL, old)
    assert [f["details"]["problem"] for f in factory.scan(CODE)] == [problem]
    before = factory.user_tree()
    run = factory.fix_run(CODE)
    assert sentinel_json(factory)["namespace"] == NAMESPACE
    assert factory.scan(CODE) == []
    # The old bytes are in the run's backups (not lost), and undo puts them back.
    backup = factory.report_dir / "backups" / run["run_id"] / "vault" / os.path.basename(SENTINEL)
    assert backup.read_bytes() == old
    factory.assert_undo_restores(run, before)
    assert (factory.root / SENTINEL).read_bytes() == old


def test_stale_plan_is_refused_when_someone_wrote_a_sentinel(missing):
    missing.assert_stale_refused(
        CODE, lambda: missing.write(SENTINEL, '{"namespace": "factory_commentary", "by": "hand"}')
    )
    assert '"by": "hand"' in (missing.root / SENTINEL).read_text()


def test_stale_plan_is_refused_when_the_foreign_sentinel_changed(foreign):
    foreign.assert_stale_refused(
        CODE, lambda: foreign.write(SENTINEL, b'{"namespace": "third_party"}')
    )
    assert sentinel_json(foreign) == {"namespace": "third_party"}


def test_plan_reaching_outside_the_roots_is_refused(missing):
    missing.assert_plan_escapes_refused(CODE)
    assert not (missing.outside / SENTINEL.rsplit("/", 1)[-1]).exists()


def test_saved_plan_waits_while_the_share_is_a_stub(missing):
    plan = missing.save_plan(CODE)
    missing.stub_share()
    before = missing.user_tree()
    result = missing.apply(plan)
    assert result.code == 1, result.out + result.err
    assert "0 applied, 1 refused, 0 failed" in result.out
    assert "the share is stub; this fix waits for the share to be mounted" in result.out
    assert missing.user_tree() == before
    # While stubbed the Vault is not judged at all, so `fix` has nothing to offer either.
    assert "nothing to fix." in missing.cli("fix", "--select", CODE).out


def test_the_sentinel_is_written_for_the_configured_namespace(missing):
    missing.world.configure(shared_storage={"namespace": "other_factory"})
    (missing.share / "uploads" / "other_factory").mkdir(parents=True)
    missing.fix_run(CODE)
    data = sentinel_json(missing)
    assert data["namespace"] == "other_factory"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["created_at"])
    assert missing.scan(CODE) == []


@pytest.mark.parametrize("kind", ["dangling-link", "dir"])
def test_a_link_or_dir_in_the_sentinel_place_is_renamed_aside(factory, kind):
    path = factory.root / SENTINEL
    os.unlink(path)
    if kind == "dir":
        path.mkdir()
    else:
        os.symlink("../sentinels/this_host.json", path)
    before = factory.user_tree()
    run = factory.fix_run(CODE)
    assert [r["status"] for r in run["results"]] == ["applied"], run["results"]
    assert sentinel_json(factory)["namespace"] == NAMESPACE
    assert len(factory.asides(SENTINEL)) == 1
    factory.assert_undo_restores(run, before)
