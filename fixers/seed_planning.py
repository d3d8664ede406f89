"""seed-planning (YTM601): a Vault whose planning SoT does not exist yet gets it from the Hot
workspace's planning/ cache (seed 001 Step B: the local planning is the seed of the shared one,
put in without overwriting anything).

Only ever into nothing: the fix makes the SoT directory and its subdirectories (mkdir) and
writes each cache file there (write: never replaces, and every path's absence is a
precondition, so a plan applied after someone created the SoT is refused whole). Undo removes
each written file only while its bytes are still the ones written, and each directory only
while empty: what someone added since stays. Links and special files in the cache are not
followed nor copied.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from ytm_doctor.facts import PlanningSeedFacts
from ytm_doctor.fix.fixer import FixContext, Fixer, fix_for, missing_parents, read_bytes
from ytm_doctor.fix.plan import Action, PathRef
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.temps import is_temp_name

# A planning cache is CSVs and small JSON/YAML: these bound what one plan carries in memory.
MAX_FILES = 20_000
MAX_BYTES = 64 << 20
SKIPPED_NAMES = (".DS_Store",)  # Finder's; "._*" AppleDouble files are skipped too


class TooBig(Exception):
    pass


def cache_contents(top: str) -> tuple[list[str], list[str], int]:
    """(dirs, files, skipped) under `top`, relative and sorted, parents before children; links
    and special files are skipped (counted), never followed."""
    dirs: list[str] = []
    files: list[str] = []
    skipped = 0
    size = 0
    pending = [""]
    while pending:
        rel = pending.pop()
        with os.scandir(os.path.join(top, rel)) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            name = entry.name
            if name in SKIPPED_NAMES or name.startswith("._") or is_temp_name(name):
                continue
            child = f"{rel}/{name}" if rel else name
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                dirs.append(child)
                pending.append(child)
            elif stat.S_ISREG(st.st_mode):
                files.append(child)
                size += st.st_size
            else:
                skipped += 1
            if len(files) > MAX_FILES or size > MAX_BYTES:
                raise TooBig(f"more than {MAX_FILES} files or {MAX_BYTES >> 20} MiB")
    return sorted(dirs), sorted(files), skipped


class SeedPlanning(Fixer):
    name = "seed-planning"
    summary = "make a missing Vault planning SoT from the Hot planning/ cache (never over a file)"

    def plan(self, findings, fx):
        for finding in findings:
            sot, cache = PlanningSeedFacts.from_finding(finding).refs(finding)
            if fx.state(sot)["kind"] != "missing":
                yield fx.unfixable(finding, f"{sot} exists now; nothing is seeded over it")
                continue
            try:
                dirs, files, skipped = cache_contents(fx.abs(cache))
                data = {rel: read_bytes(os.path.join(fx.abs(cache), rel)) for rel in files}
            except TooBig as exc:
                yield fx.unfixable(finding, f"the Hot cache {cache} is too big to seed ({exc})")
                continue
            except OSError as exc:
                yield fx.unfixable(finding, f"cannot read the Hot cache {cache}: {exc.strerror}")
                continue
            if not files:
                yield fx.unfixable(finding, f"the Hot cache {cache} holds no file to seed from")
                continue
            actions = list(_actions(fx, sot, dirs, data))
            note = f", {skipped} links or special files left out" if skipped else ""
            title = f"seed {sot} from the Hot cache {cache} ({len(files)} files{note})"
            fix = fix_for(finding, self.name, title, actions)
            # The plan carries the cache's bytes: a cache changed since is a stale plan.
            fix.reads.extend(_under(cache, rel) for rel in files)
            yield fix


def _under(ref: PathRef, rel: str) -> PathRef:
    return PathRef(ref.root, f"{ref.rel}/{rel}")


def _actions(
    fx: FixContext, sot: PathRef, dirs: list[str], data: dict[str, bytes]
) -> Iterator[Action]:
    """mkdir of the SoT's missing parents, the SoT and its subdirectories, one level at a time
    (undo removes exactly those), then a write per file."""
    for parent in missing_parents(sot, fx):
        yield Action("mkdir", parent)
    yield Action("mkdir", sot)
    for rel in dirs:
        yield Action("mkdir", _under(sot, rel))
    for rel, body in data.items():
        yield Action("write", _under(sot, rel), data=body, note="from the Hot planning cache")


@hookimpl
def ytm_doctor_collect_fixers():
    return [SeedPlanning()]
