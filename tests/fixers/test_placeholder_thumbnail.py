"""placeholder-thumbnail (YTM801) from the command line: a grey PNG where projects.json expects
an image; dry-run, rescan, undo, stale and escaping plans, and what it leaves to a person."""

from __future__ import annotations

import pytest

CODE = "YTM801"
IMAGE = "thumbnails/assets/CH02/012/v2/00_thumb.png"


@pytest.fixture
def thumbs(factory):
    factory.write("ws/thumbnails/assets/CH02/012/v1/00_thumb.png", b"\x89PNG\r\n\x1a\nreal")
    factory.write_json(
        "ws/thumbnails/projects.json",
        {
            "projects": [
                {
                    "channel": "CH02",
                    "video": "012",
                    "selected_variant_id": "v1",
                    "variants": [
                        {"id": "v1", "image_path": "CH02/012/v1/00_thumb.png"},
                        {"id": "v2", "image_path": "CH02/012/v2/00_thumb.png"},
                    ],
                }
            ]
        },
    )
    return factory


def test_dry_run_changes_nothing(thumbs):
    plan = thumbs.dry_run(CODE)
    [fix] = plan["fixes"]
    assert [a["op"] for a in fix["actions"]] == ["mkdir", "write", "record"]


def test_run_writes_a_png_and_the_rescan_is_clean(thumbs):
    [finding] = thumbs.scan(CODE)
    assert (finding["path"], finding["episode"], finding["details"]["selected"]) == (
        IMAGE,
        "CH02-012",
        False,
    )
    thumbs.fix_run(CODE)
    data = (thumbs.root / "ws" / IMAGE).read_bytes()
    assert (
        data.startswith(b"\x89PNG\r\n\x1a\n")
        and b"IHDR" in data
        and data.endswith(b"IEND\xaeB`\x82")
    )
    real = thumbs.root / "ws/thumbnails/assets/CH02/012/v1/00_thumb.png"
    assert real.read_bytes() == b"\x89PNG\r\n\x1a\nreal"  # never overwrites a real image
    # A stand-in stays reported, as info, until the real image replaces it.
    [finding] = thumbs.scan(CODE)
    assert finding["severity"] == "info"
    assert "is a placeholder in use since" in finding["message"]
    assert finding["details"]["unfixable"] == "the real image is not on the Vault yet"
    thumbs.write("ws/" + IMAGE, b"\x89PNG\r\n\x1a\nthe pipeline's image")
    assert thumbs.scan(CODE) == []


def test_undo_removes_exactly_the_placeholder(thumbs):
    before = thumbs.user_tree()
    run = thumbs.fix_run(CODE)
    thumbs.assert_undo_restores(run, before)


def test_stale_plan_is_refused(thumbs):
    thumbs.assert_stale_refused(
        CODE, lambda: thumbs.write(f"ws/{IMAGE}", b"\x89PNG\r\n\x1a\nthe real one arrived")
    )


def test_plan_escaping_the_roots_is_refused(thumbs):
    thumbs.assert_plan_escapes_refused(CODE)


def test_a_dangling_link_in_the_place_is_left_to_a_person(thumbs):
    thumbs.link(f"ws/{IMAGE}", "/nowhere/00_thumb.png")
    plan = thumbs.dry_run(CODE)
    assert plan["fixes"] == []
    assert "something" in plan["unfixable"][0]["reason"]


def test_unreadable_projects_json_is_one_unfixable_finding(thumbs):
    thumbs.write("ws/thumbnails/projects.json", b"{not json")
    [finding] = thumbs.scan(CODE)
    assert finding["path"] == "thumbnails/projects.json"
    assert finding["fix"] is None and "by hand" in finding["details"]["unfixable"]


def test_no_projects_json_is_no_finding(factory):
    assert factory.scan(CODE) == []


VAULT_IMAGE = "share/ytm_workspaces/" + IMAGE


def test_the_vaults_real_image_is_copied_back_instead_of_a_placeholder(thumbs):
    """Seed 002's CH02 incident: the Vault had the real thumbnails that Hot lacked."""
    thumbs.write(VAULT_IMAGE, b"\x89PNG\r\n\x1a\nthe real one")
    [finding] = thumbs.scan(CODE)
    assert "the Vault has it" in finding["message"]
    before = thumbs.user_tree()
    run = thumbs.fix_run(CODE)
    assert (thumbs.root / "ws" / IMAGE).read_bytes() == b"\x89PNG\r\n\x1a\nthe real one"
    assert thumbs.scan(CODE) == []
    thumbs.assert_undo_restores(run, before)


def test_a_placeholder_is_replaced_once_the_vault_has_the_real_image(thumbs):
    thumbs.fix_run(CODE)  # the Vault has nothing yet: a placeholder
    thumbs.write(VAULT_IMAGE, b"\x89PNG\r\n\x1a\nuploaded on the Lenovo")
    [finding] = thumbs.scan(CODE)
    assert finding["severity"] == "info" and "unfixable" not in finding["details"]
    before = thumbs.user_tree()
    run = thumbs.fix_run(CODE)
    assert (thumbs.root / "ws" / IMAGE).read_bytes() == b"\x89PNG\r\n\x1a\nuploaded on the Lenovo"
    assert thumbs.scan(CODE) == []
    thumbs.assert_undo_restores(run, before)  # the placeholder comes back from the backups
