"""Progress on stderr: one self-overwriting line when stderr is a terminal, nothing otherwise."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from ytm_doctor import progress, walk
from ytm_doctor.cli import main
from ytm_doctor.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw at every opportunity: a test tree is walked in milliseconds, not seconds."""
    monkeypatch.setattr(progress, "INTERVAL_S", 0.0)
    monkeypatch.setattr(walk, "PROGRESS_EVERY", 1)


def populate(world, dirs: int = 30, files: int = 5) -> int:
    for d in range(dirs):
        sub = world.ws / "scripts" / f"d{d:03d}"
        sub.mkdir(parents=True)
        for f in range(files):
            (sub / f"f{f}.txt").write_text("x")
    return dirs * (files + 1) + 1


def run_with_stderr(stream, *argv: str, capsys) -> tuple[int, str, str]:
    """The CLI in this process with `stream` as its stderr."""
    capsys.readouterr()
    saved = sys.stderr
    sys.stderr = stream
    try:
        code = main(list(argv))
    finally:
        sys.stderr = saved
    return code, capsys.readouterr().out, stream.getvalue()


def test_progress_draws_and_clears_on_a_terminal() -> None:
    term = FakeTerminal()
    bar = Progress(term, interval=0.0)
    update = bar.walking("workspace")
    assert update is not None
    update(123456)
    update(234567)
    bar.clear()
    text = term.getvalue()
    assert text.startswith("\rwalking workspace: 123,456 entries...")
    assert "\rwalking workspace: 234,567 entries..." in text
    assert text.endswith("\r" + " " * len("walking workspace: 234,567 entries...") + "\r")


def test_progress_is_silent_and_costs_nothing_without_a_terminal() -> None:
    pipe = io.StringIO()
    bar = Progress(pipe, interval=0.0)
    assert bar.walking("workspace") is None  # the walk does not even call back
    bar.show("anything")
    bar.clear()
    assert pipe.getvalue() == ""


def test_nothing_is_drawn_before_the_interval() -> None:
    term = FakeTerminal()
    bar = Progress(term, interval=60.0)
    bar.walking("workspace")(10)
    bar.clear()
    assert term.getvalue() == ""  # a quick scan never flickers


def test_a_long_line_is_cut_to_the_terminal_width(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    term = FakeTerminal()
    bar = Progress(term, interval=0.0)
    bar.show("x" * 200)
    assert max(len(part) for part in term.getvalue().split("\r")) <= 29


def test_scan_shows_progress_on_a_terminal(world, eager, capsys) -> None:
    entries = populate(world)
    code, out, err = run_with_stderr(FakeTerminal(), capsys=capsys)
    assert code == 0
    assert "\rwalking workspace: " in err
    lines = [p.strip() for p in err.split("\r") if p.startswith("walking workspace: ")]
    counts = [int(line.split()[2].replace(",", "")) for line in lines]
    # (+ logs/ops/ytm_doctor with the scan lock, taken before the walk)
    assert counts == sorted(counts) and 0 < max(counts) <= entries + 5
    assert err.endswith("\r")  # cleared before the report
    assert "\r" not in out  # the report on stdout is untouched


def test_threaded_walk_shows_progress_too(world, eager, capsys) -> None:
    populate(world)
    world.configure(scan={"threads": 4})
    code, _, err = run_with_stderr(FakeTerminal(), capsys=capsys)
    assert code == 0
    assert "\rwalking workspace: " in err


def test_json_on_stdout_stays_clean_with_progress_on_stderr(world, eager, capsys) -> None:
    populate(world)
    code, out, err = run_with_stderr(FakeTerminal(), "--json", capsys=capsys)
    assert code == 0
    assert json.loads(out)["summary"]["violations_total"] == 0
    assert "walking workspace" in err


def test_no_progress_when_stderr_is_not_a_terminal(world, eager, capsys) -> None:
    populate(world)
    code, _, err = run_with_stderr(io.StringIO(), capsys=capsys)
    assert code == 0
    assert err == ""


def test_no_progress_through_a_pipe_in_a_real_process(world) -> None:
    # Real process, real pipe, and a tree big enough to cross PROGRESS_EVERY several times.
    for d in range(12):
        sub = world.ws / "scripts" / f"d{d:02d}"
        sub.mkdir(parents=True)
        for f in range(walk.PROGRESS_EVERY // 10):
            (sub / f"{f}").touch()
    proc = subprocess.run(
        [sys.executable, "-m", "ytm_doctor.cli", "-q"],
        cwd=world.root,
        env={k: v for k, v in os.environ.items() if not k.startswith("YTM_")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "walking" not in proc.stderr and "\r" not in proc.stderr
