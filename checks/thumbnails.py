"""YTM801 thumbnail-missing: thumbnails/projects.json names an image that is not on disk
(seed 002, 2026-01-25: missing CH02 thumbnails left the UI full of broken images).

One small read of projects.json and one existence test per variant, after the walk; no walk of
thumbnails/assets/ of its own.
"""

from __future__ import annotations

import os
from typing import Any

from ytm_doctor.context import Context
from ytm_doctor.jsonio import MISSING, JsonInputError, read_json
from ytm_doctor.model import Check, Finding, Rule, Severity
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.workspace import CHANNEL_RE, MAX_PROJECTS_BYTES, PROJECTS_JSON, normalize_video

PROJECTS = PROJECTS_JSON
ASSETS = "thumbnails/assets"

RULE = Rule(
    code="YTM801",
    name="thumbnail-missing",
    severity=Severity.WARNING,
    summary="thumbnails/projects.json references an image that does not exist",
    tags=("thumbnails", "workspace"),
    fixer="placeholder-thumbnail",
)


def _projects(path: str) -> tuple[list[dict[str, Any]], str | None]:
    """The project entries, or the reason projects.json cannot be used."""
    try:
        data = read_json(path, max_bytes=MAX_PROJECTS_BYTES, what=PROJECTS)
    except JsonInputError as exc:
        if exc.kind == MISSING:
            return [], None  # no thumbnails pipeline here: nothing to check
        return [], f"cannot be read as JSON ({exc.reason})"
    projects = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(projects, list):
        return [], 'has no "projects" list'
    return [p for p in projects if isinstance(p, dict)], None


class ThumbnailMissing(Check):
    rule = RULE

    def finish(self, ctx: Context) -> list[Finding]:
        ws = os.fspath(ctx.paths.workspace_root)
        projects, problem = _projects(os.path.join(ws, PROJECTS))
        if problem:
            return [
                RULE.finding(
                    f"{PROJECTS} {problem}: the UI cannot show any thumbnail",
                    root="workspace",
                    path=PROJECTS,
                    abs_path=os.path.join(ws, PROJECTS),
                    details={"problem": problem},
                    unfixable="repair projects.json by hand (the thumbnails pipeline writes it)",
                )
            ]
        findings = []
        for project in projects:
            channel = str(project.get("channel") or "")
            video = normalize_video(str(project.get("video") or ""))
            selected = project.get("selected_variant_id")
            for variant in project.get("variants") or []:
                if not isinstance(variant, dict) or not isinstance(variant.get("image_path"), str):
                    continue
                image = variant["image_path"].lstrip("/")
                parts = image.split("/")
                if not image or ".." in parts:
                    continue  # not a path inside thumbnails/assets/: nothing to look for
                rel = f"{ASSETS}/{image}"
                where = {
                    "channel": channel if CHANNEL_RE.fullmatch(channel) else None,
                    "video": video,
                    "is_selected": variant.get("id") == selected,
                    "variant": variant.get("id"),
                }
                finding = _finding(ctx, ws, rel, image, where)
                if finding is not None:
                    findings.append(finding)
        return findings


def _on_vault(ctx: Context, rel: str) -> bool:
    """The online Vault holds a real image at the same place (the fix copies it back)."""
    if not ctx.share.online:
        return False
    path = os.path.join(ctx.paths.vault_workspaces_root, *rel.split("/"))
    return os.path.isfile(path) and not os.path.islink(path)


def _finding(ctx: Context, ws: str, rel: str, image: str, where: dict) -> Finding | None:
    abs_path = os.path.join(ws, *rel.split("/"))
    standin = ctx.standins.get(rel)
    on_vault = _on_vault(ctx, rel)
    label = f"{'selected ' if where['is_selected'] else ''}thumbnail variant {where['variant']!s}"
    details = {
        "image_path": image,
        "variant": where["variant"],
        "selected": where["is_selected"],
        "dangling_link": os.path.islink(abs_path),
        "on_vault": on_vault,
    }
    if standin is not None:
        # Reported until replaced; fixed (copied back) only once the Vault has the real one.
        message = f"{label}: {rel} is a {standin.describe()}"
        details["placeholder_since"] = standin.since
        unfixable = None if on_vault else "the real image is not on the Vault yet"
        severity = Severity.INFO
    elif os.path.lexists(abs_path) and os.path.exists(abs_path):
        return None
    else:
        vault_note = " (the Vault has it: the fix copies it back)" if on_vault else ""
        message = f"{label} names {rel}, which does not exist{vault_note}"
        unfixable, severity = None, None
    return RULE.finding(
        message,
        root="workspace",
        path=rel,
        abs_path=abs_path,
        channel=where["channel"],
        video=where["video"],
        details=details,
        unfixable=unfixable,
        severity=severity,
    )


@hookimpl
def ytm_doctor_collect_checks():
    return [ThumbnailMissing()]
