"""Temp files the tool writes beside a destination before giving it its name: one naming for
all of them (store copies, tree copies, atomic writes of reports, plans, journals' records), so
that the one left behind by a process that died (SIGKILL, a share that dropped) can be found
and proven abandoned: `.<name>.ytm-tmp-<host>-<pid>-<random>`.

A temp is abandoned only when its host is this host and its pid is not alive here; one of a
live process, or of another host (the gateway writing to the same share), is never touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ytm_doctor.identity import host_name
from ytm_doctor.names import fit_name

TEMP_MARK = ".ytm-tmp-"


def host_tag() -> str:
    return host_name().replace(os.sep, "_") or "host"


def temp_name(name: str) -> str:
    """A fresh temp name for `name` in the same directory (within the 255-byte name limit)."""
    tag = f"{host_tag()}-{os.getpid()}-{os.urandom(3).hex()}"
    return fit_name(name, f"{TEMP_MARK}{tag}", prefix=".")


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and TEMP_MARK in name


@dataclass(frozen=True)
class TempOwner:
    host: str
    pid: int

    def gone(self) -> bool:
        """Provably abandoned: written on this host by a process that is not alive. Asked of
        the kernel with signal 0 (what psutil.pid_exists does on POSIX, without its 15 ms
        import): no such process is the only answer that counts as gone. A pid that is now a
        thread of some other process counts as alive: a temp kept is never data lost."""
        if self.host != host_tag() or self.pid == os.getpid() or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # EPERM: alive, another user's
            return False
        return False

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"


def temp_owner(name: str) -> TempOwner | None:
    """Who wrote the temp file `name`, or None when it is not one of the tool's temps."""
    if not is_temp_name(name):
        return None
    tag = name.rsplit(TEMP_MARK, 1)[1]
    host, sep, rest = tag.rpartition("-")  # <host>-<pid>-<random>; a host may hold "-"
    host, sep2, pid = host.rpartition("-")
    if not (sep and sep2 and host and pid.isdigit() and rest):
        return None
    return TempOwner(host, int(pid))


def stale_temps(names: list[str], name: str) -> list[str]:
    """Of `names` (a directory's listing), the temps of `name` whose owner is provably gone."""
    found = []
    for entry in names:
        owner = temp_owner(entry)
        if owner is not None and _temp_of(entry, name) and owner.gone():
            found.append(entry)
    return found


def _temp_of(entry: str, name: str) -> bool:
    base = entry.rsplit(TEMP_MARK, 1)[0][1:]
    if base == name:
        return True
    kept, tilde, _hash = base.rpartition("~")  # a long name shortened by fit_name
    return bool(tilde and kept and name.startswith(kept))
