"""Names that match nothing are usage errors (exit 4, one line), never a silent empty run."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--select", "YTM7O3"], "did you mean YTM703"),
        (["--select", "YTM8011"], "did you mean YTM801"),
        (["--ignore", "XYZ"], None),
        (["-p", "no:nosuch"], None),
        (["-p", "no:publsh"], "did you mean no:publish"),
    ],
)
def test_unknown_names_exit_4(world, cli, args, hint) -> None:
    res = cli("--no-save", *args)
    assert res.code == 4 and len(res.err_lines) == 1, res.err
    if hint:
        assert hint in res.err


def test_unmatched_fingerprint_exits_4_and_journals_nothing(world, cli) -> None:
    res = cli("fix", "--fingerprint", "deadbeef", "--run")
    assert res.code == 4 and "deadbeef" in res.err
    assert not list(world.report_dir.glob("journal__*")) if world.report_dir.exists() else True
