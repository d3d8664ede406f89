"""Whose temp file it is, and whether that process is provably gone."""

from __future__ import annotations

import os
import subprocess
import sys

from ytm_doctor.temps import TempOwner, host_tag, temp_name, temp_owner


def test_a_temp_of_an_exited_process_on_this_host_is_gone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid names no process now
    owner = temp_owner(temp_name("CH02-012.wav").replace(str(os.getpid()), str(proc.pid)))
    assert owner == TempOwner(host_tag(), proc.pid)
    assert owner.gone()


def test_a_live_process_another_host_or_no_pid_is_never_gone() -> None:
    assert not TempOwner(host_tag(), os.getppid()).gone()  # alive
    assert not TempOwner(host_tag(), os.getpid()).gone()  # this process
    assert not TempOwner(host_tag(), 1).gone()  # init: alive (EPERM counts as alive too)
    assert not TempOwner("another-host", 2**22 + 7).gone()  # not this kernel's to say
    assert not TempOwner(host_tag(), 0).gone()  # 0 and below name groups, not a process
    assert not TempOwner(host_tag(), -1).gone()
