"""Stand-ins known as stand-ins: a grey placeholder where a thumbnail is missing, an empty
offline-fallback directory where a video/input link into the share was. Each is recorded when a
fix makes it, as one small marker file in `<report_dir>/stand_ins/` (written by the same fix,
journaled and undone with it), so that:

- the mirror never sends a stand-in over the Vault's real file, nor deletes the Vault's content
  because Hot holds a stand-in (the path is excluded, which also protects it on the Vault);
- the store never takes a stand-in as a final (L1) artifact;
- the checks keep reporting it (info, "... in use since ...") until it is replaced.

A marker is *current* while the path still holds what was recorded (the placeholder's exact
bytes; a directory still holding the fallback README). Once a person or a fix replaces it, the
marker is stale and ignored: nothing has to remember to remove it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.jsonio import JsonInputError, dumps_json, read_json_object

STANDIN_DIR = "stand_ins"  # under the report dir
MARKER_MAX_BYTES = 64 * 1024
PLACEHOLDER = "placeholder"
OFFLINE_FALLBACK = "offline-fallback"
FALLBACK_README = "README_OFFLINE_FALLBACK.txt"


@dataclass(frozen=True)
class StandIn:
    kind: str  # placeholder or offline-fallback
    rel: str  # workspace-relative path of the stand-in
    since: str  # ISO time the fix made it
    sha256: str | None = None  # a placeholder's bytes
    target: str | None = None  # an offline fallback: the link it replaced

    def describe(self) -> str:
        what = "placeholder" if self.kind == PLACEHOLDER else "offline fallback"
        return f"{what} in use since {self.since}"


def marker_name(standin: StandIn) -> str:
    """One marker per stand-in made (a later one at the same path gets its own)."""
    digest = hashlib.sha256(standin.rel.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    stamp = "".join(c for c in standin.since if c.isalnum())
    return f"{digest}__{stamp}.json"


def marker_action(workspace_root: str, report_dir: str, standin: StandIn) -> Action:
    """The record of `standin`, for the fix that makes it (undone with it)."""
    folder = os.path.relpath(os.path.join(report_dir, STANDIN_DIR), workspace_root)
    ref = PathRef("workspace", f"{folder.replace(os.sep, '/')}/{marker_name(standin)}")
    record = {k: v for k, v in standin.__dict__.items() if v is not None}
    data = (dumps_json(record, indent=1) + "\n").encode("utf-8")
    return Action("record", ref, data=data, note=f"{standin.kind} {standin.rel} is a stand-in")


def _still_there(workspace_root: str, standin: StandIn) -> bool:
    path = os.path.join(workspace_root, standin.rel)
    if standin.kind == PLACEHOLDER:
        try:
            if os.path.islink(path) or os.path.getsize(path) > MARKER_MAX_BYTES * 16:
                return False
            with open(path, "rb") as fh:
                return hashlib.sha256(fh.read()).hexdigest() == standin.sha256
        except OSError:
            return False
    return (
        not os.path.islink(path)
        and os.path.isdir(path)
        and os.path.isfile(os.path.join(path, FALLBACK_README))
    )


def _parse(data: dict) -> StandIn | None:
    kind, rel = data.get("kind"), data.get("rel")
    if kind not in (PLACEHOLDER, OFFLINE_FALLBACK) or not isinstance(rel, str) or not rel:
        return None
    if rel.startswith("/") or ".." in rel.split("/"):
        return None
    return StandIn(
        kind=kind,
        rel=rel,
        since=str(data.get("since") or "?"),
        sha256=data.get("sha256") if isinstance(data.get("sha256"), str) else None,
        target=data.get("target") if isinstance(data.get("target"), str) else None,
    )


def current_standins(workspace_root: str, report_dir: str) -> dict[str, StandIn]:
    """The stand-ins still in place, by workspace-relative path. One directory listing and one
    small read per marker; an unreadable marker is ignored (it protects nothing)."""
    folder = os.path.join(report_dir, STANDIN_DIR)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return {}
    found: dict[str, StandIn] = {}
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            data = read_json_object(
                os.path.join(folder, name), max_bytes=MARKER_MAX_BYTES, what="stand-in marker"
            )
        except JsonInputError:
            continue
        standin = _parse(data)
        if standin is None:
            continue
        known = found.get(standin.rel)
        if known is None or known.since < standin.since:
            found[standin.rel] = standin
    return {rel: s for rel, s in found.items() if _still_there(workspace_root, s)}
