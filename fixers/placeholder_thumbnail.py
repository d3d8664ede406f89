"""placeholder-thumbnail (YTM801): put a plain grey placeholder PNG where projects.json expects
an image, so the UI shows "missing" instead of breaking (seed 002, thumbnails_placeholders).

Never overwrites: only a path where nothing exists gets a placeholder (a dangling link there is
left for a person). The real image replaces it later through the thumbnails pipeline.
"""

from __future__ import annotations

import struct
import zlib

from ytm_doctor.facts import finding_ref
from ytm_doctor.fix.fixer import Fixer, fix_for, missing_parents
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.plugins.hookspec import hookimpl

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
    summary = "write a grey placeholder PNG where a referenced thumbnail is missing"

    def plan(self, findings, fx):
        data = placeholder_png()
        made: list[PathRef] = []
        for finding in findings:
            ref = finding_ref(finding)
            if fx.state(ref)["kind"] != "missing":
                yield fx.unfixable(finding, "something (a dangling link?) is in its place")
                continue
            # Variants of one episode share parents: create each once, in the first fix.
            parents = [p for p in missing_parents(ref, fx) if p not in made]
            made.extend(parents)
            actions = [Action("mkdir", p) for p in parents]
            actions.append(Action("write", ref, data=data, note="placeholder"))
            yield fix_for(finding, self.name, f"placeholder for {ref}", actions)


@hookimpl
def ytm_doctor_collect_fixers():
    return [PlaceholderThumbnail()]
