"""placeholder-thumbnail (YTM801): where projects.json expects an image that Hot lacks, copy
the real one back from the Vault when the Vault has it (seed 002: CH02's real thumbnails were
overwritten by grey placeholders); otherwise put a plain grey placeholder PNG there, so the UI
shows "missing" instead of breaking (seed 002, thumbnails_placeholders).

A placeholder is recorded as a stand-in (ytm_doctor.standins): the mirror never sends it over the
Vault's image, the store never takes it as a final thumbnail, and YTM801 keeps reporting it (info)
until it is replaced; once the Vault has the real image, this fixer copies it over the
placeholder (the placeholder's bytes kept in the run's backups). A path holding anything else (a
dangling link, a real image) is left for a person.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib

from ytm_doctor.clock import iso_seconds, utc_now
from ytm_doctor.facts import finding_ref
from ytm_doctor.fix.fixer import FixContext, Fixer, fix_for, missing_parents
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.standins import PLACEHOLDER, StandIn, marker_action

WIDTH, HEIGHT = 160, 90  # 16:9, small
GREY = 0x80


def placeholder_png(width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A valid greyscale PNG of one flat colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + bytes([GREY]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


class PlaceholderThumbnail(Fixer):
    name = "placeholder-thumbnail"
    summary = "copy a missing thumbnail back from the Vault, else write a grey placeholder"

    def plan(self, findings, fx):
        data = placeholder_png()
        made: list[PathRef] = []
        for finding in findings:
            ref = finding_ref(finding)
            state = fx.state(ref)
            vault = _vault_copy(fx, ref)
            if ref.rel in fx.ctx.standins and vault is not None and state["kind"] == "file":
                # The placeholder goes; its bytes are kept in the run's backups by `replace`.
                real = _read(fx.abs(vault))
                action = Action("replace", ref, data=real, note="the Vault's real image")
                yield fix_for(
                    finding,
                    self.name,
                    f"{ref}: the real image from the Vault",
                    [action],
                    reads=[vault],
                )
                continue
            if state["kind"] != "missing":
                yield fx.unfixable(finding, "something (a dangling link?) is in its place")
                continue
            # Variants of one episode share parents: create each once, in the first fix.
            parents = [p for p in missing_parents(ref, fx) if p not in made]
            made.extend(parents)
            actions = [Action("mkdir", p) for p in parents]
            if vault is not None:
                actions.append(Action("copy", ref, source=vault, note="the Vault's real image"))
                yield fix_for(finding, self.name, f"{ref}: copied back from the Vault", actions)
                continue
            actions.append(Action("write", ref, data=data, note="placeholder"))
            actions.append(_marker(fx, ref, data))
            yield fix_for(finding, self.name, f"placeholder for {ref}", actions)


def _vault_copy(fx: FixContext, ref: PathRef) -> PathRef | None:
    """The same image on the online Vault, when it holds a real file there."""
    if not fx.ctx.share.online:
        return None
    vault = PathRef("vault", ref.rel)
    state = fx.state(vault)
    return vault if state["kind"] == "file" else None


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _marker(fx: FixContext, ref: PathRef, data: bytes) -> Action:
    paths = fx.ctx.paths
    standin = StandIn(
        PLACEHOLDER, ref.rel, iso_seconds(utc_now()), sha256=hashlib.sha256(data).hexdigest()
    )
    return marker_action(os.fspath(paths.workspace_root), os.fspath(paths.report_dir), standin)


@hookimpl
def ytm_doctor_collect_fixers():
    return [PlaceholderThumbnail()]
