"""The Vault sentinel: is `<share>/ytm_workspaces/.ytm_vault_workspaces_root.json` there, JSON,
and for this namespace? One reader for YTM201 (checks/vault.py) and the mirror's delete-sync
refusal (mirror/engine.py), so that the check and the mirror can never disagree."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ytm_doctor.jsonio import MISSING, UNREADABLE, JsonInputError, read_json

SENTINEL_MAX_BYTES = 1 << 20  # a sentinel is a few hundred bytes; anything huge is not one


@dataclass(frozen=True)
class SentinelProblem:
    # missing, unreadable, unparsable, not-an-object or wrong-namespace: YTM201's
    # details["problem"] and the mirror's refusal reason
    kind: str
    found: Any  # the namespace the sentinel names (wrong-namespace), else None
    error: str | None  # what exactly is wrong, for messages; None when missing


def sentinel_problem(path: str | os.PathLike[str], namespace: str) -> SentinelProblem | None:
    """What is wrong with the sentinel at `path` for `namespace`, or None when it is valid."""
    try:
        # Hand-written sentinels exist (seeded by scripts, edited on Windows): a BOM is fine.
        data = read_json(path, max_bytes=SENTINEL_MAX_BYTES, what="sentinel", allow_bom=True)
    except JsonInputError as exc:
        if exc.kind == MISSING:
            return SentinelProblem("missing", None, None)
        kind = "unreadable" if exc.kind == UNREADABLE else "unparsable"
        return SentinelProblem(kind, None, exc.detail if kind == "unreadable" else exc.reason)
    if not isinstance(data, dict):
        return SentinelProblem(
            "not-an-object", None, f"the JSON is a {type(data).__name__}, not an object"
        )
    found = data.get("namespace")
    if found != namespace:
        why = "has no namespace" if found is None else f"is for namespace {found!r}"
        return SentinelProblem("wrong-namespace", found, why)
    return None
