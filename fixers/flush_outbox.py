"""flush-outbox (YTM701): move what store put in the outbox while the share was down onto the
share, as `ytm-doctor store flush-outbox` does (ytm_doctor/store.py plan_flush).

Each outbox manifest is one fix: its files are copied to the share and verified against the
manifest's SHA-256 (a file already there with that hash is not copied again), the manifest is
written there with mode "shared", each outbox copy is removed only after its shared copy is
re-read and verified, and the outbox manifest is retired into the run's backups. Undo copies
the outbox files back from the share.
"""

from __future__ import annotations

from ytm_doctor.facts import NotFixable, OutboxFacts
from ytm_doctor.fix.fixer import Fixer
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.store.layout import shared_base_problem
from ytm_doctor.store.outbox import outbox_manifests, plan_flush


class FlushOutbox(Fixer):
    name = "flush-outbox"
    summary = "move the outbox's stored files to the share, verified, then clear the outbox"

    def plan(self, findings, fx):
        waits = shared_base_problem(fx.ctx)
        if waits:
            for finding in findings:
                yield fx.unfixable(finding, f"{waits}: the flush waits for the share")
            return
        wanted = {}
        for finding in findings:
            try:
                wanted[OutboxFacts.from_finding(finding).manifest] = finding
            except NotFixable as exc:
                yield fx.unfixable(finding, exc.reason)
        manifests = [m for m in outbox_manifests(fx.ctx) if m.rel in wanted]
        fingerprints = {m.rel: wanted[m.rel].fingerprint for m in manifests}
        yield from plan_flush(fx.ctx, manifests, fx.stamp, fingerprints)


@hookimpl
def ytm_doctor_collect_fixers():
    return [FlushOutbox()]
