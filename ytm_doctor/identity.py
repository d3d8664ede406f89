"""Who is running ytm-doctor, as the records it writes name them (journals, the audit log,
mirror run logs)."""

from __future__ import annotations

import getpass
import os


def current_user() -> str:
    """The login name; the numeric uid when there is none (a container, a uid without a passwd
    entry), so a record still says who."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "?"
