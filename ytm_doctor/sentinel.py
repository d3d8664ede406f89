"""The Vault sentinel, read once for YTM201 and for the mirror (interim copy; see jsonio)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

SENTINEL_MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class SentinelProblem:
    kind: str
    found: Any
    error: str | None


def sentinel_problem(path: str | os.PathLike, namespace: str) -> SentinelProblem | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(SENTINEL_MAX_BYTES + 1)
    except FileNotFoundError:
        return SentinelProblem("missing", None, None)
    except IsADirectoryError:
        return SentinelProblem("unreadable", None, "is a directory, not a file")
    except OSError as exc:
        return SentinelProblem("unreadable", None, exc.strerror or type(exc).__name__)
    if len(raw) > SENTINEL_MAX_BYTES:
        return SentinelProblem("unparsable", None, f"larger than {SENTINEL_MAX_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return SentinelProblem("unparsable", None, f"not UTF-8: {exc.reason} at byte {exc.start}")
    except json.JSONDecodeError as exc:
        return SentinelProblem("unparsable", None, f"invalid JSON: {exc}")
    if not isinstance(data, dict):
        return SentinelProblem(
            "not-an-object", None, f"the JSON is a {type(data).__name__}, not an object"
        )
    found = data.get("namespace")
    if found != namespace:
        why = "has no namespace" if found is None else f"is for namespace {found!r}"
        return SentinelProblem("wrong-namespace", found, why)
    return None
