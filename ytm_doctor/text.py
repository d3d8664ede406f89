"""Small wording helpers shared by the commands and the report writers."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}es" if word.endswith(("x", "s")) else f"{n} {word}s"


def size(n: int) -> str:
    """Bytes as people read them: "512 B", "3.4 MiB", "1.2 GiB" (binary units, as df -h)."""
    if abs(n) < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KiB", "MiB"):
        if abs(value) < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
