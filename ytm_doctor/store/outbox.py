"""The outbox (SPEC §3, §6.2; seed 000 §1.1): what store wrote locally while the share was a
stub, unmounted or degraded, and the plan that moves it to the share once it is back.

For each outbox manifest, one Fix: copy its files to the share, verified against the manifest's
SHA-256; write the manifest there with mode "shared"; remove each outbox copy only after its
shared copy is re-read and verified; retire the outbox manifest into the run's backups. A rerun
after an interruption finishes the job: a file already on the share with the manifest's hash is
not copied again, a manifest already there is not written again.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any

from ytm_doctor.clock import now_iso_micros
from ytm_doctor.fix.plan import Action, Fix, PathRef, Unfixable
from ytm_doctor.hashing import sha256_of
from ytm_doctor.identity import host_name
from ytm_doctor.store import manifest
from ytm_doctor.store.layout import SUPERSEDED, base_rel, outbox_base
from ytm_doctor.store.manifest import Manifest, latest_by_path, load_manifests

if TYPE_CHECKING:
    from ytm_doctor.context import Context


def plan_flush(
    ctx: Context, manifests: list[Manifest], stamp: str, fingerprints: dict[str, str] | None = None
) -> list[Fix | Unfixable]:
    """For each outbox manifest: copy its items to the share (verified against the manifest's
    SHA-256), write the manifest there with mode "shared", then remove each outbox copy only
    after its shared copy re-verifies, and retire the outbox manifest. Idempotent: an item
    already on the share with the same hash is not copied again; a manifest already there is
    not written again."""
    base = base_rel(ctx)
    shared_abs = ctx.paths.shared_base
    shared_latest = latest_by_path(load_manifests(shared_abs))
    out: list[Fix | Unfixable] = []
    for m in manifests:
        fp = (fingerprints or {}).get(m.rel, "")
        where = f"outbox:{base}/{m.rel}"
        try:
            fix = _flush_one(ctx, m, base, shared_latest, stamp)
        except _CannotFlush as exc:
            out.append(Unfixable("YTM701", fp, where, str(exc)))
            continue
        fix.fingerprints = [fp] if fp else []
        out.append(fix)
    return out


class _CannotFlush(Exception):
    pass


def _flush_one(ctx, m: Manifest, base: str, shared_latest, stamp: str) -> Fix:
    if m.problem:
        raise _CannotFlush(f"the outbox manifest {m.problem}; inspect it by hand")
    outbox_abs = outbox_base(ctx)
    copies: list[Action] = []
    releases: list[Action] = []
    entries: list[dict[str, Any]] = []
    for e in m.entries:
        if not e.sha256:
            raise _CannotFlush(f"{e.path} has no SHA-256 in the manifest; store it again")
        local = PathRef("outbox", f"{base}/{e.path}")
        shared = PathRef("share", f"{base}/{e.path}")
        local_abs = os.path.join(outbox_abs, *e.path.split("/"))
        shared_abs = os.path.join(ctx.paths.shared_base, *e.path.split("/"))
        have_local = os.path.isfile(local_abs) and not os.path.islink(local_abs)
        copies += _flush_copy(
            m, e, local, shared, local_abs, shared_abs, have_local, shared_latest, stamp
        )
        entries.append({"path": e.path, "source": e.source, "sha256": e.sha256})
        if have_local:
            releases.append(Action("release", local, source=shared, sha256=e.sha256))
    actions = copies
    shared_manifest = PathRef("share", f"{base}/{m.rel}")
    if not _same_manifest_on_share(ctx, m):
        if os.path.lexists(os.path.join(ctx.paths.shared_base, *m.rel.split("/"))):
            raise _CannotFlush(f"share:{base}/{m.rel} exists with other contents; compare by hand")
        data = dict(m.data)
        data.update(
            mode="shared",
            host=host_name(),
            flushed_from="outbox",
            flushed_at=now_iso_micros(),
            outbox_host=m.data.get("host"),
            entries=entries,
        )
        data.pop("outbox_reason", None)
        data.pop("verified_at", None)
        actions.append(
            Action("store_manifest", shared_manifest, data=manifest.dumps(data), note="mode shared")
        )
    actions += releases
    actions.append(Action("retire", PathRef("outbox", f"{base}/{m.rel}"), note="flushed"))
    n = len(m.entries)
    return Fix(
        fixer="flush-outbox",
        rule="YTM701",
        title=f"flush {m.rel} ({n} {'file' if n == 1 else 'files'}) to the share",
        actions=actions,
        channel=m.channel,
        video=m.video,
    )


def _flush_copy(m, e, local, shared, local_abs, shared_abs, have_local, shared_latest, stamp):
    try:
        st = os.lstat(shared_abs)
    except FileNotFoundError:
        if not have_local:
            raise _CannotFlush(f"{e.path}: neither in the outbox nor on the share") from None
        return [Action("store_copy", shared, source=local, sha256=e.sha256)]
    if not stat.S_ISREG(st.st_mode):
        raise _CannotFlush(f"{shared} exists and is not a file; move it aside by hand")
    known = shared_latest.get(e.path)
    if known is not None and (known[1].sha256, known[1].size, known[1].mtime_ns) == (
        e.sha256,
        st.st_size,
        st.st_mtime_ns,
    ):
        return []  # recorded on the share with this very hash and unchanged since
    if sha256_of(shared_abs)[0] == e.sha256:
        return []  # already there (an interrupted flush, or stored from another host)
    if known is not None and known[0].order > m.order:
        raise _CannotFlush(
            f"{shared} holds other bytes, recorded by the newer manifest {known[0].rel}; "
            "keep one by hand"
        )
    if not have_local:
        raise _CannotFlush(f"{e.path}: the outbox copy is gone and the share holds other bytes")
    aside = shared.sibling(f"{shared.name}{SUPERSEDED}{stamp}")
    return [
        Action("rename", shared, dest=aside, note="the older stored copy, kept"),
        Action("store_copy", shared, source=local, sha256=e.sha256),
    ]


def _same_manifest_on_share(ctx: Context, m: Manifest) -> bool:
    """The share already has this manifest, flushed (a rerun after an interruption)."""
    there = manifest.read_manifest(ctx.paths.shared_base, m.rel)
    if there.problem or there.mode != "shared":
        return False
    ours = {(e.path, e.sha256) for e in m.entries}
    return {(e.path, e.sha256) for e in there.entries} == ours


def outbox_manifests(ctx: Context) -> list[Manifest]:
    return [m for m in load_manifests(outbox_base(ctx))]
