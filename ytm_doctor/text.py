"""Small wording helpers shared by the commands and the report writers."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}es" if word.endswith(("x", "s")) else f"{n} {word}s"


def human_size(n: int) -> str:
    """1536 -> "1.5 KiB": sizes people compare at a glance (GiB for disks, KiB for a demo)."""
    size = float(n)
    if size < 1024:
        return f"{n} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"
