"""Share mount checks: is the Vault's share really there (YTM101), and usable (YTM102)?

A stub (seed 000 §1.1: README_MOUNTPOINT.txt at the mount point) or a plain directory where a
mount should be means every write "to the share" lands on the local disk instead, silently.
"""

from __future__ import annotations

import os

from ytm_doctor.model import Check, Rule, Severity
from ytm_doctor.plugins.hookspec import hookimpl

STUB = Rule(
    code="YTM101",
    name="share-stub-mount",
    severity=Severity.WARNING,
    summary="the share root is a stub (README_MOUNTPOINT.txt) or not a mount point",
    tags=("share", "mount", "offline"),
)
DEGRADED = Rule(
    code="YTM102",
    name="share-degraded",
    severity=Severity.WARNING,
    summary="the share is mounted but uploads/<namespace>/ or ytm_workspaces/ is unusable",
    tags=("share", "mount"),
)


class ShareStubMount(Check):
    rule = STUB

    def finish(self, ctx):
        share, paths = ctx.share, ctx.paths
        if share.mounted:
            return []
        if not share.exists:
            why = "the share root does not exist (the share is not mounted)"
        elif share.stub:
            why = (
                f"{paths.stub_marker.name} is present: the mount point is a stub, the share is down"
            )
        else:
            why = "the share root is a plain directory, not a mount point (require_mount is true)"
        details = {
            "status": share.status,
            "stub_marker": share.stub,
            "is_mount": share.is_mount,
            "require_mount": share.require_mount,
            "fallback_root": paths.fallback_root,
            "vault_checks": "skipped while the share is offline",
        }
        link = paths.vault_workspaces_root
        if link.is_symlink():
            details["ytm_workspaces_link"] = os.readlink(link)
        message = (
            f"{why}; Vault checks are skipped and store writes go to the outbox "
            f"{paths.fallback_root}"
        )
        return [
            STUB.finding(
                message, root="share", path=".", abs_path=str(paths.share_root), details=details
            )
        ]


class ShareDegraded(Check):
    rule = DEGRADED

    def finish(self, ctx):
        share, paths = ctx.share, ctx.paths
        if not share.mounted or not share.problems:
            return []
        message = "the share is mounted but " + "; ".join(share.problems)
        details = {
            "problems": share.problems,
            "shared_base": paths.shared_base,
            "vault_workspaces_root": paths.vault_workspaces_root,
            "fstype": share.fstype,
        }
        return [
            DEGRADED.finding(
                message, root="share", path=".", abs_path=str(paths.share_root), details=details
            )
        ]


@hookimpl
def ytm_doctor_collect_checks():
    return [ShareStubMount(), ShareDegraded()]
