"""Names from disk never steer the terminal: an ESC sequence or a newline in a file, directory
or link name (or a link's target) is printed escaped as \\xNN by the scan, fix, undo and mirror
text output, so it can neither recolour the screen nor print a line that reads as a finding.

The names are real entries of the workspace that rules report: dangling links under
video/input (YTM301, fixed by materialize-input).
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from ytm_doctor.model import printable

ESC_NAME = "\x1b[31mEVIL"
FORGED_NAME = "a\nYTM999 forged"
ESC_DIR = "CH02\x1b]0;pwned\x07"
EXIT_CODES = {0, 1, 2, 4, 5}  # never 3 (internal error)
FORGED_LINE = re.compile(r"^\s*(YTM999|VIOLATION\s+YTM999)", re.MULTILINE)


@pytest.fixture
def hostile(world):
    inputs = world.ws / "video" / "input"
    (inputs / "CH01").mkdir(parents=True)
    (inputs / ESC_DIR).mkdir(parents=True)
    os.symlink("../../../missing/evil", inputs / "CH01" / ESC_NAME)
    os.symlink("../../../missing/forged", inputs / "CH01" / FORGED_NAME)
    # A target that spells ESC too: messages name the target.
    os.symlink("../../../missing/\x1b[2Jclear", inputs / ESC_DIR / "bgm")
    return world


def assert_plain(res, argv) -> None:
    assert res.code in EXIT_CODES, (argv, res.err)
    assert "Traceback" not in res.err
    for text in (res.out, res.err):
        assert "\x1b" not in text, (argv, text)
        assert "\x07" not in text, (argv, text)
        assert not FORGED_LINE.search(text), (argv, text)


def test_scan_and_fix_print_names_escaped(hostile, cli) -> None:
    runs = [[], ["-v"], ["fix"], ["fix", "--select", "YTM301"], ["undo", "--list"]]
    results = {}
    for argv in runs:
        res = cli(*argv)
        assert_plain(res, argv)
        results[tuple(argv)] = res
    scan = results[()].out
    assert "\\x1b[31mEVIL" in scan  # shown, escaped
    assert "a\\x0aYTM999 forged" in scan
    assert "CH02\\x1b]0;pwned\\x07" in scan
    assert "\\x1b[2Jclear" in scan  # the target, in the message
    assert "YTM301" in scan
    plan = results[("fix",)].out
    assert "\\x1b[31mEVIL" in plan and "a\\x0aYTM999 forged" in plan

    res = cli("fix", "--run")
    assert_plain(res, ["fix", "--run"])
    [undo] = [ln for ln in res.out.splitlines() if ln.startswith("undo:")]
    run_id = undo.split()[3]
    for argv in (["undo", run_id], ["undo", run_id, "--run"]):
        assert_plain(cli(*argv), argv)
    # The JSON report keeps the names exactly (JSON escapes them itself).
    res = cli("--json", "--no-save")
    assert_plain(res, ["--json"])
    paths = {f["path"] for f in res.json()["findings"]}
    assert f"video/input/CH01/{FORGED_NAME}" in paths


@pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync is not installed")
def test_mirror_dry_run_prints_names_escaped(hostile, cli) -> None:
    # rsync spells such names as \\#ooo in its own list; the mirror's other lines (fix titles,
    # reasons, skipped video/input entries) are escaped by ytm-doctor.
    (hostile.ws / "notes").mkdir()
    (hostile.ws / "notes" / "x\x1b[31my\nYTM999 forged.txt").write_text("hi")
    res = cli("mirror")
    assert_plain(res, ["mirror"])


def test_printable_escapes_what_a_terminal_obeys() -> None:
    assert printable("a\nb\rc\td\x1be\x7ff\x85g") == "a\\x0ab\\x0dc\\x09d\\x1be\\x7ff\\x85g"
    assert printable("bidi\u202eevil\u2066") == "bidi\\u202eevil\\u2066"
    assert printable("caf\udce9") == "caf\\xe9"  # an undecodable byte, as display() shows it
    assert printable("ÉpisodE 第12話 ✓") == "ÉpisodE 第12話 ✓"
