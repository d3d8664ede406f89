"""Who is running ytm-doctor, as the records it writes name them (journals, the audit log,
mirror run logs)."""

from __future__ import annotations

import getpass
import os
import re


def current_user() -> str:
    """The login name; the numeric uid when there is none (a container, a uid without a passwd
    entry), so a record still says who."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def host_name() -> str:
    """This machine's host name, as socket.gethostname() says it (both read the kernel's node
    name), without importing socket: its enums cost every command a few milliseconds."""
    return os.uname().nodename


HOST_ENV = "YTM_DOCTOR_HOST"


def report_host() -> str:
    """The name this host's reports go by (report `run.host`, `--publish`'s file name, the
    fleet's rows): YTM_DOCTOR_HOST when set, else the host name. Set it where two views of one
    machine publish side by side, or where the host name says nothing (a container). Locks and
    temp names keep the real host name: they ask this kernel whether a pid still runs."""
    return os.environ.get(HOST_ENV, "").strip() or host_name()


def safe_host(host: str) -> str:
    """A host name usable in a file name on every filesystem (SMB included): how `--publish`
    names this host's report on the share, and how `fleet` finds this host's row."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", host).strip(".") or "unknown-host"


def published_name(host: str, suffix: str = ".json") -> str:
    """The file name of `host`'s report in the share's _reports/ (`--publish` writes it,
    `fleet` reads it)."""
    return f"ytm_doctor__{safe_host(host)}{suffix}"
