"""Names a careless user or an attacker can give a file: bytes that are not UTF-8 and names of
the full 255 bytes. Every fix mode (preview, --json, --run) and undo handle them end to end:
exit 0 or 1, never an internal error, and the tree comes back exactly."""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytm_doctor.names import NAME_MAX, fit_name

INPUT = "ws/video/input/CH01"
NAME_BYTES = st.binary(min_size=1, max_size=NAME_MAX).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..")
)


def _round_trip(factory, name: bytes) -> None:
    folder = os.fsencode(factory.root / INPUT)
    os.makedirs(folder, exist_ok=True)
    before = factory.user_tree()
    link = os.path.join(folder, name)
    os.symlink(b"/nonexistent/target", link)  # dangling: YTM301, fixed by materialize-input
    for mode in ((), ("--json",)):
        result = factory.cli("fix", "--select", "YTM301", *mode)
        assert result.code == 0, result.out + result.err
    run = factory.cli("fix", "--select", "YTM301", "--run", "--json")
    assert run.code == 0, run.out + run.err
    assert [r["status"] for r in run.json()["results"]] == ["applied"]
    assert os.path.isdir(link) and not os.path.islink(link)
    undo = factory.cli("undo", run.json()["run_id"], "--run")
    assert undo.code == 0, undo.out + undo.err
    assert os.readlink(link) == b"/nonexistent/target"
    os.unlink(link)
    assert factory.user_tree() == before


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=NAME_BYTES)
def test_any_name_is_fixed_and_undone(factory, name):
    _round_trip(factory, name)


def test_a_255_byte_name_and_a_name_that_is_not_utf8(factory):
    _round_trip(factory, b"L" * NAME_MAX)
    _round_trip(factory, "退".encode() * 85)  # 255 bytes of three-byte characters
    _round_trip(factory, b"bad\xff\xfename")


def test_a_real_process_prints_such_names_without_failing(factory):
    """stdout of a real process is strict UTF-8: names are escaped, never a crash."""
    folder = os.fsencode(factory.root / INPUT)
    os.makedirs(folder, exist_ok=True)
    os.symlink(b"/nonexistent/x", os.path.join(folder, b"bad\xff\xfename"))
    os.symlink(b"/nonexistent/y", os.path.join(folder, b"L" * NAME_MAX))
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    for args in (["--select", "YTM301"], ["fix", "--select", "YTM301"], ["fix", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ytm_doctor.cli", *args],
            cwd=factory.root,
            env=env,
            capture_output=True,
        )
        assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")
        assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr
        proc.stdout.decode("utf-8")  # valid UTF-8 all through


def test_fit_name_keeps_names_within_the_limit_and_distinct():
    suffix = ".symlink_shared_backup_20260101T000000Z"
    short = fit_name("bgm", suffix)
    assert short == "bgm" + suffix
    a = fit_name("L" * 250 + "a", suffix)
    b = fit_name("L" * 250 + "b", suffix)
    assert a != b and a.endswith(suffix) and b.endswith(suffix)
    assert len(os.fsencode(a)) <= NAME_MAX and len(os.fsencode(b)) <= NAME_MAX
    odd = fit_name(os.fsdecode(b"\xff" * 250), suffix)
    assert len(os.fsencode(odd)) <= NAME_MAX
    japanese = fit_name("退" * 85, suffix)
    assert len(os.fsencode(japanese)) <= NAME_MAX
    japanese.encode("utf-8")  # cut on a character boundary
