"""What the user's policy lets the store remove locally: after posting, only the kinds listed in
`store.delete_allowed` (final audio, CapCut draft packs) may leave the workspace once their
stored copy verifies; the rest (thumbnails/assets, video/runs, scripts) is archive-only."""

from __future__ import annotations

import fnmatch
from typing import Any

from ytm_doctor.fix.plan import PathRef


def delete_allowed(config: Any, ref: PathRef) -> bool:
    """Whether a --move or --symlink-back may remove `ref` locally. An outbox copy is a staging
    copy of something stored: always."""
    if ref.root == "outbox":
        return True
    if ref.root != "workspace":
        return False
    return any(fnmatch.fnmatchcase(ref.rel, p) for p in config["store.delete_allowed"] or ())


def not_allowed_note(ref: PathRef) -> str:
    return (
        f"{ref} is stored but kept locally: it is archive-only after posting "
        "(store.delete_allowed lists what --move/--symlink-back may remove)"
    )
