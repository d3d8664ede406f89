"""Names the tool makes beside a user's file (a link set aside, a superseded copy, a temp file)
stay within the filesystem's limit on one name (255 bytes on APFS, ext4 and SMB shares) and
stay unique, whatever the user's name is: a 255-byte name or bytes that are not UTF-8."""

from __future__ import annotations

import hashlib
import os

NAME_MAX = 255  # bytes of one path component


def name_bytes(name: str) -> bytes:
    """The bytes a name has on disk (names that are not UTF-8 round-trip via surrogateescape)."""
    return os.fsencode(name)


def fit_name(base: str, suffix: str = "", prefix: str = "") -> str:
    """`prefix + base + suffix`, with `base` shortened when the whole would pass NAME_MAX: cut on
    a character boundary and marked with `~` and a hash of the full base, so two long names that
    share their start still get different results."""
    whole = prefix + base + suffix
    if len(name_bytes(whole)) <= NAME_MAX:
        return whole
    tag = "~" + hashlib.sha256(name_bytes(base)).hexdigest()[:10]
    room = NAME_MAX - len(name_bytes(prefix + tag + suffix))
    kept = base
    while kept and len(name_bytes(kept)) > room:
        kept = kept[:-1]
    return prefix + kept + tag + suffix


def printable_text(text: str) -> str:
    """`text` as valid UTF-8 for a file a person reads: bytes that are not UTF-8 (a name read
    from disk) shown as \\xNN instead of making the write fail."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
