"""Small wording helpers shared by the commands and the report writers."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}es" if word.endswith(("x", "s")) else f"{n} {word}s"
