"""Vault checks: is the share's copy of the workspace safe to mirror into and usable from every
host? The sentinel (YTM201), portable links (YTM202) and the directories tools expect (YTM203).

All three look at the share only while it is online: a stub's ytm_workspaces is a local
fallback, not the Vault (YTM101 says so), and a missing ytm_workspaces/ is YTM102's finding.
"""

from __future__ import annotations

import os
import posixpath

from ytm_doctor.facts import SymlinkFacts
from ytm_doctor.model import Check, Entry, Finding, Rule, Severity, Subscription
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.sentinel import sentinel_problem
from ytm_doctor.workspace import BACKUP_MARK, episode_of, is_run_draft_link

SENTINEL = Rule(
    code="YTM201",
    name="vault-sentinel-missing",
    severity=Severity.VIOLATION,
    summary="the Vault sentinel is missing, unparsable, or for another namespace",
    tags=("vault", "mirror"),
    fixer="bootstrap-sentinel",
    needs_share=True,
)
ABSOLUTE_LINK = Rule(
    code="YTM202",
    name="vault-absolute-symlink",
    severity=Severity.VIOLATION,
    summary="a symlink in the Vault (ytm_workspaces, asset_vault) has an absolute target",
    tags=("vault", "symlink", "portability"),
    fixer="relativize-symlink",
    needs_share=True,
)
DIRS_MISSING = Rule(
    code="YTM203",
    name="vault-dirs-missing",
    severity=Severity.WARNING,
    summary="a directory the Vault needs (thumbnails/assets, video/runs, asset_vault) is absent",
    tags=("vault",),
    fixer="ensure-vault-dirs",
    needs_share=True,
)


def _vault_usable(ctx) -> bool:
    """Online share with a ytm_workspaces/ directory: otherwise YTM101/YTM102 own the problem."""
    return ctx.share.online and os.path.isdir(ctx.paths.vault_workspaces_root)


# --- YTM201 -----------------------------------------------------------------------------------


class VaultSentinelMissing(Check):
    rule = SENTINEL

    def finish(self, ctx):
        if not _vault_usable(ctx):
            return []
        paths = ctx.paths
        sentinel = os.fspath(paths.sentinel)
        bad = sentinel_problem(sentinel, paths.namespace)
        if bad is None:
            return []
        problem, error = bad.kind, bad.error
        what = {
            "missing": "is missing",
            "unreadable": f"cannot be read ({error})",
            "unparsable": f"cannot be parsed ({error})",
            "not-an-object": f"is not a JSON object ({error})",
            "wrong-namespace": f"{error}, not {paths.namespace!r}",
        }[problem]
        message = (
            f"the Vault sentinel {paths.sentinel.name} {what}: delete-sync mirroring into the "
            "Vault needs a valid sentinel for this namespace"
        )
        details = {
            "sentinel": sentinel,
            "problem": problem,
            "namespace": bad.found,
            "expected_namespace": paths.namespace,
        }
        if error:
            details["error"] = error
        return [
            SENTINEL.finding(
                message,
                root="vault",
                path=".",
                abs_path=os.fspath(paths.vault_workspaces_root),
                details=details,
            )
        ]


# --- YTM202 -----------------------------------------------------------------------------------


def relativize_plan(ctx, link_path: str, target: str) -> SymlinkFacts:
    """Where an absolute link should point instead: its share-relative target, the relative link
    text from the link's directory, and whether that new link would resolve."""
    share_rel, relative = ctx.portable_link(link_path, target)
    if share_rel is None or relative is None:
        return SymlinkFacts(target, None, None, resolves=False)
    link_dir = os.path.dirname(link_path)
    # Asked of the kernel from the link's own directory: exactly what the new link would see.
    resolves = os.path.exists(os.path.join(link_dir, relative))
    return SymlinkFacts(target, share_rel, relative, resolves)


class VaultAbsoluteSymlink(Check):
    rule = ABSOLUTE_LINK
    subscriptions = (
        Subscription(("vault",), frozenset({"link"})),
        Subscription(("share",), frozenset({"link"}), ("asset_vault",)),
    )

    def visit(self, entry: Entry, ctx) -> list[Finding]:
        if BACKUP_MARK in entry.rel or is_run_draft_link(entry.rel):
            # Residue is YTM303's; a run's capcut_draft link points at a Mac-local draft by
            # design (the mirror copies it as is): the draft rules judge it, not this one.
            return []
        target = entry.readlink()
        if target is None or not os.path.isabs(target):
            return []
        plan = relativize_plan(ctx, entry.path, target)
        # The Vault mirrors the workspace's layout, so --channel narrows these findings too.
        channel, video = episode_of(entry.rel)
        unfixable = None
        if plan.share_relative is None:
            unfixable = (
                "the target is not on the share nor under a host alias: no portable target exists"
            )
        elif not plan.resolves:
            unfixable = (
                f"the relative target {plan.relative_target} would not resolve either; "
                "restore the target or remove the link by hand"
            )
        message = (
            f"absolute symlink -> {target}: it resolves only on hosts that mount the share "
            "at that path"
        )
        if plan.relative_target is not None:
            message += f"; portable form: {plan.relative_target}"
        return [
            ABSOLUTE_LINK.finding(
                message,
                root=entry.root,
                path=entry.rel,
                abs_path=entry.path,
                channel=channel,
                video=video,
                details=plan.to_details(),
                unfixable=unfixable,
            )
        ]


# --- YTM203 -----------------------------------------------------------------------------------


def _dir_state(path: str) -> str | None:
    """None when `path` is a directory (through links), else what is there instead."""
    if os.path.isdir(path):
        return None
    if os.path.islink(path) and not os.path.exists(path):
        return "dangling symlink"
    if os.path.lexists(path):
        return "not a directory"
    return "missing"


class VaultDirsMissing(Check):
    rule = DIRS_MISSING

    def finish(self, ctx):
        if not ctx.share.online:
            return []
        share_root = os.fspath(ctx.paths.share_root)
        vault_name = ctx.paths.vault_workspaces_root.name
        vault_ok = os.path.isdir(ctx.paths.vault_workspaces_root)
        findings = []
        for wanted in ctx.config["vault.required_dirs"]:
            rel = posixpath.normpath(wanted.strip("/"))
            if rel in (".", "") or rel.startswith(".."):
                continue  # outside the share: not the Vault's to require
            in_vault = rel.split("/", 1)[0] == vault_name
            if in_vault and not vault_ok:
                continue  # ytm_workspaces/ itself is missing: YTM102's finding
            abs_path = os.path.join(share_root, rel)
            state = _dir_state(abs_path)
            if state is None or (in_vault and rel != vault_name and state == "dangling symlink"):
                continue  # a dangling link inside the walked Vault is YTM301's finding
            unfixable = None
            if state != "missing":
                unfixable = f"{state} where a directory should be; move it aside by hand"
            findings.append(
                DIRS_MISSING.finding(
                    f"required Vault directory {rel}/ is {state}",
                    root="share",
                    path=rel,
                    abs_path=abs_path,
                    details={
                        "required_dir": rel,
                        "state": state,
                        "policy_key": "vault.required_dirs",
                    },
                    unfixable=unfixable,
                )
            )
        return findings


@hookimpl
def ytm_doctor_collect_checks():
    return [VaultSentinelMissing(), VaultAbsoluteSymlink(), VaultDirsMissing()]
