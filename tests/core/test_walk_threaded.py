"""The threaded walk's own duties on a local tree: link probes read in the listing workers say
what the serial walk's entries say, and a worker's failure reaches the caller."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ytm_doctor import walk as walk_module
from ytm_doctor.model import Check, Rule, Severity, Subscription
from ytm_doctor.walk import Subscribers, WalkRoot, walk_root


class LinkReader(Check):
    """Asks every link what the link checks ask: its text and whether its target resolves."""

    rule = Rule("T101", "link-reader", Severity.INFO, "reads links")
    subscriptions = (Subscription(("t",), frozenset({"link"})),)

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str | None, str]] = {}

    def visit(self, entry, ctx):
        # Asked twice, as YTM301 and YTM302 do for the same entry: the answers must agree.
        first = (entry.readlink(), entry.target_state())
        assert (entry.readlink(), entry.target_state()) == first
        self.seen[entry.rel] = first
        return ()


def walk(root: Path, check: Check, threads: int):
    subs = Subscribers()
    for sub in check.subscriptions:
        subs.add(check, sub)
    errors: list = []
    stats = walk_root(
        WalkRoot("t", os.fspath(root)),
        subs,
        None,
        lambda c, found: None,
        lambda c, exc, entry: errors.append(exc),
        lambda r, rel, exc: errors.append(exc),
        threads,
    )
    assert errors == []
    return stats


@pytest.fixture
def links(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for n in range(6):
        d = root / f"run{n}" / "images"
        d.mkdir(parents=True)
        (d / "a.png").write_bytes(b"x")
        (d / "ok.png").symlink_to("a.png")
        (d / "up.png").symlink_to(f"../../run{(n + 1) % 6}/images/a.png")
        (d / "dangling.png").symlink_to("../../gone/a.png")
        (d / "loop").symlink_to("loop")
        (d / "to_dir").symlink_to("..")
    return root


def test_probed_links_answer_as_the_serial_walk_does(links: Path) -> None:
    serial, threaded = LinkReader(), LinkReader()
    walk(links, serial, threads=1)
    walk(links, threaded, threads=4)
    assert threaded.seen == serial.seen
    assert len(serial.seen) == 6 * 5
    states = {rel.rsplit("/", 1)[1]: state for rel, (_, state) in serial.seen.items()}
    assert states == {
        "ok.png": "ok",
        "up.png": "ok",
        "dangling.png": "dangling",
        "loop": "loop",
        "to_dir": "ok",
    }
    assert serial.seen["run0/images/up.png"] == ("../../run1/images/a.png", "ok")


def test_links_are_not_probed_when_no_check_asks_for_links(
    links: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probed: list[str] = []
    real = walk_module._probe_link
    monkeypatch.setattr(walk_module, "_probe_link", lambda p: probed.append(p) or real(p))

    class Dirs(Check):
        rule = Rule("T102", "dirs", Severity.INFO, "dirs only")
        subscriptions = (Subscription(("t",), frozenset({"dir"})),)

    stats = walk(links, Dirs(), threads=4)
    assert stats.entries == 6 * 8  # run, images and six entries per run
    assert probed == []
    walk(links, LinkReader(), threads=4)
    assert len(probed) == 6 * 5


def test_an_unexpected_worker_error_reaches_the_caller(
    links: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path, probe_links):
        raise RuntimeError("listing broke")

    monkeypatch.setattr(walk_module, "_list_dir_probed", broken)
    with pytest.raises(RuntimeError, match="listing broke"):
        walk(links, LinkReader(), threads=4)
