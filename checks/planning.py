"""Planning checks: one planning source of truth (seed 001 §0.3 P0-1, seed 002).

The planning sheet lives once, on the Vault (`ytm_workspaces/planning/`), and every host and
tool must read that copy. YTM601 catches the places that say otherwise (the environment, the
config, dotenv files and systemd units of other hosts); YTM602 catches the Hot workspace's
local `planning/` cache falling behind the SoT (a status set to 投稿済み on the Vault that the
Mac's tools do not see yet).
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from ytm_doctor.config import convert, read_config_file
from ytm_doctor.context import Context
from ytm_doctor.errors import ConfigError
from ytm_doctor.facts import CacheDriftFacts, PlanningSeedFacts
from ytm_doctor.hashing import sha256_file
from ytm_doctor.model import Check, Entry, Finding, Rule, Severity, Subscription
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.workspace import PLANNING_CSV_RE

ENV_NAME = "YTM_PLANNING_ROOT"
SYSTEMD_PREFIX = "Environment="
CACHE_DIR = "planning"  # the Hot cache, relative to the workspace root

ROOT_DRIFT = Rule(
    code="YTM601",
    name="planning-root-drift",
    severity=Severity.VIOLATION,
    summary="the planning root declarations disagree, point to a missing dir, or to the Hot cache",
    tags=("planning", "config"),
    # Only for a Vault SoT that does not exist yet (seeded from the Hot cache); every other
    # instance is marked unfixable: other hosts' units and environments are not ours to edit.
    fixer="seed-planning",
    needs_share=True,
)
CACHE_DRIFT = Rule(
    code="YTM602",
    name="planning-cache-drift",
    severity=Severity.WARNING,
    summary="a file of the local planning/ cache differs from the planning SoT",
    tags=("planning", "cache"),
    fixer="reseed-planning-cache",
    needs_share=True,
)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _same_dir(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _on_this_host(ctx: Context, path: str) -> tuple[str, bool]:
    """(the path as seen from this host, whether it is on the share): a path under a host alias
    means the same directory as under the local share root, so the Linux gateway's unit and
    the Mac's env file compare equal when they name the same share directory."""
    rel = ctx.share_relative(path)
    if rel is None:
        return os.path.normpath(path), False
    return os.path.normpath(os.path.join(ctx.paths.share_root, rel)), True


# --- YTM601 planning-root-drift ----------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    source: str  # who declares it: "env (YTM_PLANNING_ROOT)", "env_file (/etc/x.service:7)", ...
    value: str  # the path as declared (made absolute)
    normalized: str  # the same directory as seen from this host
    on_share: bool
    exists: bool | None  # None: not judged (on the share while it is offline)

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "value": self.value,
            "normalized": self.normalized,
            "exists": self.exists,
        }


def _assignment(line: str) -> str | None:
    """The YTM_PLANNING_ROOT value a dotenv or systemd line sets, else None. Handles
    `KEY=v`, `export KEY=v`, `Environment=KEY=v` and `Environment="KEY=v" "OTHER=w"`."""
    line = line.strip()
    if ENV_NAME not in line or line.startswith(("#", ";")):
        return None
    try:
        words = shlex.split(line, comments=True)
    except ValueError:  # an unbalanced quote: take the words as written
        words = line.split()
    if words and words[0] == "export":
        words = words[1:]
    if words and words[0].startswith(SYSTEMD_PREFIX):
        words[0] = words[0][len(SYSTEMD_PREFIX) :]
    value = None
    for word in words:
        name, sep, rest = word.partition("=")
        if sep and name == ENV_NAME:
            value = rest.strip("\"'")
    return value


def _env_file_values(path: Path) -> list[tuple[int, str]]:
    """(line number, value) of every non-empty YTM_PLANNING_ROOT= in the file. An unreadable
    file is YTM100's finding, so it simply declares nothing here."""
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return []
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        value = _assignment(line)
        if value:
            found.append((number, value))
    return found


def _config_file_value(ctx: Context) -> Path | None:
    """planning_root as the config file sets it, even when env or a flag overrides it."""
    config = ctx.config
    setting = config.settings["planning_root"]
    if setting.source == "file":
        return setting.value
    if config.file is None:
        return None
    try:
        raw = read_config_file(config.file).get("planning_root")
        return convert("planning_root", raw, str(config.file), config.file.parent)
    except ConfigError:
        return None


def _raw_declarations(ctx: Context) -> list[tuple[str, str]]:
    """(source, absolute path) for every place that declares the planning root."""
    config = ctx.config
    setting = config.settings["planning_root"]
    found: list[tuple[str, str]] = []
    if setting.source == "flag":
        found.append((f"flag ({setting.origin})", os.fspath(setting.value)))
    if setting.source == "env":
        found.append((f"env ({ENV_NAME})", os.fspath(setting.value)))
    elif os.environ.get(ENV_NAME):  # hidden behind a flag: still what other tools would read
        value = os.path.abspath(os.path.expanduser(os.environ[ENV_NAME]))
        found.append((f"env ({ENV_NAME})", value))
    file_value = _config_file_value(ctx)
    if file_value is not None:
        found.append((f"file ({config.file})", os.fspath(file_value)))
    for env_file in config["planning.env_files"] or ():
        for number, value in _env_file_values(env_file):
            absolute = os.path.join(env_file.parent, os.path.expanduser(value))
            found.append((f"env_file ({env_file}:{number})", os.path.normpath(absolute)))
    return found


def _judged_exists(ctx: Context, path: str, on_share: bool) -> bool | None:
    """Whether the directory exists, or None where another rule owns the answer: the share
    being offline is YTM101's, the Vault's ytm_workspaces/ being missing YTM102's."""
    if on_share:
        if not ctx.share.online:
            return None
        vault = os.path.normpath(ctx.paths.vault_workspaces_root)
        if _inside(path, vault) and not os.path.isdir(vault):
            return None
    return os.path.isdir(path)


def _declarations(ctx: Context) -> list[Declaration]:
    raw = _raw_declarations(ctx)
    if raw and ctx.paths.planning_root_derived:
        # ytm-doctor itself uses the derived default: the tools must agree with it too.
        derived = os.fspath(ctx.paths.planning_root)
        raw.append(("derived (<share>/ytm_workspaces/planning)", derived))
    out = []
    for source, value in raw:
        normalized, on_share = _on_this_host(ctx, value)
        exists = _judged_exists(ctx, normalized, on_share)
        out.append(Declaration(source, value, normalized, on_share, exists))
    return out


def _group(decls: list[Declaration]) -> list[list[Declaration]]:
    """Declarations grouped by the directory they name (same path, or the same existing dir
    reached through a different path, e.g. macOS /var vs /private/var)."""
    groups: list[list[Declaration]] = []
    for decl in decls:
        for group in groups:
            first = group[0]
            if first.normalized == decl.normalized or (
                first.exists and decl.exists and _same_dir(first.normalized, decl.normalized)
            ):
                group.append(decl)
                break
        else:
            groups.append([decl])
    return groups


def _sources(group: list[Declaration]) -> str:
    return ", ".join(d.source for d in group)


def _drift_problems(ctx: Context, decls: list[Declaration]) -> list[str]:
    groups = _group(decls)
    problems = []
    if len(groups) > 1:
        sides = " vs ".join(f"{g[0].value} ({_sources(g)})" for g in groups)
        problems.append(f"the planning root declarations disagree: {sides}")
    for group in groups:
        if group[0].exists is False:
            problems.append(f"{group[0].value} ({_sources(group)}) is not an existing directory")
    paths = ctx.paths
    cache = os.path.normpath(paths.workspace_root / CACHE_DIR)
    vault_sot = os.path.normpath(paths.vault_workspaces_root / "planning")
    vault_sot_exists = (
        ctx.share.online and os.path.isdir(vault_sot) and not _same_dir(cache, vault_sot)
    )
    if vault_sot_exists:
        for group in groups:
            path = group[0].normalized
            if path == cache or _same_dir(path, cache):
                verb = "points" if len(group) == 1 else "point"
                problems.append(
                    f"{_sources(group)} {verb} at the Hot cache {cache} while the Vault SoT "
                    f"{vault_sot} exists"
                )
    return problems


def _derived_problems(ctx: Context) -> list[str]:
    """Nothing declares a planning root: only the derived SoT itself can be wrong."""
    sot = os.path.normpath(ctx.paths.planning_root)
    if _judged_exists(ctx, sot, on_share=True) is False:
        return [f"the planning SoT {sot} (derived from shared_storage.root) does not exist"]
    return []


def _seed(ctx: Context, decls: list[Declaration]) -> PlanningSeedFacts | str:
    """The one instance a fix may repair: every declaration (or, with none, the derived
    default) names one SoT directory inside the Vault's ytm_workspaces/, it does not exist, and
    the Hot planning/ cache is a real directory to seed it from (seed 001 Step B: the local
    planning becomes the Vault's first copy). Else why not, for the plan to say."""
    groups = _group(decls)
    if len(groups) > 1:
        return "the declarations disagree: decide the SoT and edit them by hand"
    target = groups[0][0].normalized if groups else _on_this_host(ctx, ctx.paths.planning_root)[0]
    vault = os.path.normpath(ctx.paths.vault_workspaces_root)
    if os.path.lexists(target):
        return "the planning SoT exists; point the declarations at it by hand"
    if not ctx.share.online or not _inside(target, vault) or target == vault:
        return "the missing planning SoT is not inside the Vault's ytm_workspaces/"
    if os.path.islink(vault) or not os.path.isdir(vault):
        return "the Vault's ytm_workspaces/ is not a directory (YTM102)"
    cache = ctx.paths.workspace_root / CACHE_DIR
    if os.path.islink(cache) or not os.path.isdir(cache):
        return f"there is no Hot {CACHE_DIR}/ cache to seed the SoT from"
    rel = os.path.relpath(target, vault).replace(os.sep, "/")
    return PlanningSeedFacts({"root": "vault", "rel": rel}, {"root": "workspace", "rel": CACHE_DIR})


class PlanningRootDrift(Check):
    rule = ROOT_DRIFT

    def finish(self, ctx: Context) -> list[Finding]:
        decls = _declarations(ctx)
        problems = _drift_problems(ctx, decls) if decls else _derived_problems(ctx)
        if not problems:
            return []
        sot = ctx.paths.planning_root
        details = {
            "declarations": [d.to_json() for d in decls],
            "problems": problems,
            "sot": sot,
            "share_status": ctx.share.status,
        }
        seed = _seed(ctx, decls)
        if isinstance(seed, PlanningSeedFacts):
            details.update(seed.to_details())
        return [
            ROOT_DRIFT.finding(
                "; ".join(problems),
                root="planning",
                path=".",
                abs_path=str(sot),
                details=details,
                unfixable=seed if isinstance(seed, str) else None,
            )
        ]


# --- YTM602 planning-cache-drift ---------------------------------------------------------------


@dataclass(frozen=True)
class _SotWalk:
    """Where the shared walk delivers the SoT's files: a walk root and the SoT's path in it."""

    sot: str  # the SoT directory as seen from this host
    root: str  # walk root name: vault, workspace or planning
    prefix: str  # the SoT's rel path in that root; "" when the SoT is the root itself

    def key(self, rel: str) -> str | None:
        """The file's path relative to the SoT, or None when it is outside the SoT."""
        if not self.prefix:
            return rel
        if rel.startswith(self.prefix + "/"):
            return rel[len(self.prefix) + 1 :]
        return None


def _sot_walk(ctx: Context) -> _SotWalk | None:
    """How to see the SoT's files, or None when there is nothing to compare: no cache, an SoT
    that is missing, unreadable, offline, or the cache itself (a link to it, or nested in it)."""
    paths = ctx.paths
    cache = os.path.normpath(paths.workspace_root / CACHE_DIR)
    if not os.path.isdir(cache) or os.path.islink(cache):
        return None
    raw = os.path.normpath(paths.planning_root)
    sot, on_share = _on_this_host(ctx, raw)
    if on_share and not ctx.share.online:
        return None  # a stub's planning/ is a local fallback, not the SoT (YTM101 says so)
    if not os.path.isdir(sot) or os.path.islink(sot) or not os.access(sot, os.R_OK | os.X_OK):
        return None
    if _same_dir(sot, cache) or _inside(sot, cache) or _inside(cache, sot):
        return None
    vault = os.path.normpath(paths.vault_workspaces_root)
    workspace = os.path.normpath(paths.workspace_root)
    if _inside(sot, vault):
        # The session walks the Vault only while it is a real directory on an online share.
        if not ctx.share.online or os.path.islink(vault):
            return None
        return _SotWalk(sot, "vault", os.path.relpath(sot, vault).replace(os.sep, "/"))
    if _inside(sot, workspace):
        return _SotWalk(sot, "workspace", os.path.relpath(sot, workspace).replace(os.sep, "/"))
    if sot != raw:
        return None  # reached through a host alias: the session's own planning walk is not there
    return _SotWalk(sot, "planning", "")


def _regular_stat(path: str) -> os.stat_result | None:
    """stat (following links: a cache file may be a link) when it is a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _sha256(path: str) -> str | None:
    # plan.sha256_file, not hashlib.file_digest: that one needs Python 3.11 (we support 3.10).
    try:
        return sha256_file(path)
    except OSError:
        return None


def _channel_of(key: str) -> str | None:
    folder, _, name = key.rpartition("/")
    match = PLANNING_CSV_RE.fullmatch(name) if folder == "channels" else None
    return match.group(1) if match else None


class PlanningCacheDrift(Check):
    rule = CACHE_DRIFT

    def start(self, ctx: Context) -> None:
        # Only the SoT side is walked: cache files are looked up by the SoT's names (one stat
        # each), and cache-only files are not findings.
        self.walk = _sot_walk(ctx)
        self.sot_files: dict[str, str] = {}
        self.subscriptions = ()
        if self.walk is not None:
            under = (self.walk.prefix,) if self.walk.prefix else ()
            self.subscriptions = (Subscription((self.walk.root,), frozenset({"file"}), under),)

    def visit(self, entry: Entry, ctx: Context) -> tuple[()]:
        key = self.walk.key(entry.rel) if self.walk else None
        if key is not None:
            self.sot_files[key] = entry.path
        return ()

    def finish(self, ctx: Context) -> list[Finding]:
        cache_dir = ctx.paths.workspace_root / CACHE_DIR
        findings = []
        for key in sorted(self.sot_files):
            sot_path = self.sot_files[key]
            cache_path = os.path.join(cache_dir, *key.split("/"))
            finding = self._compare(key, sot_path, cache_path)
            if finding is not None:
                findings.append(finding)
        return findings

    def _compare(self, key: str, sot_path: str, cache_path: str) -> Finding | None:
        sot_st = _regular_stat(sot_path)
        if sot_st is None:
            return None  # vanished since the walk
        cache_st = _regular_stat(cache_path)
        sot_hash = cache_hash = None
        if cache_st is None:
            reason = "missing from cache"
        elif cache_st.st_size != sot_st.st_size:
            reason = "differs"
        else:
            sot_hash, cache_hash = _sha256(sot_path), _sha256(cache_path)
            if sot_hash is None or cache_hash is None or sot_hash == cache_hash:
                return None  # equal, or unreadable: nothing this rule can say
            reason = "differs"
        channel = _channel_of(key)
        facts = CacheDriftFacts(
            reason=reason,
            sot_path=sot_path,
            sot_root=self.walk.sot if self.walk else None,
            cache_sha256=cache_hash,
            sot_sha256=sot_hash,
            cache_size=cache_st.st_size if cache_st else None,
            sot_size=sot_st.st_size,
            channel=channel,
        )
        if reason == "differs":
            message = (
                f"the Hot planning cache planning/{key} differs from the SoT {sot_path}: tools "
                "reading the cache see stale planning"
            )
        else:
            message = f"planning/{key} is in the SoT {sot_path} but missing from the Hot cache"
        return CACHE_DRIFT.finding(
            message,
            root="workspace",
            path=f"{CACHE_DIR}/{key}",
            abs_path=cache_path,
            channel=channel,
            details=facts.to_details(),
        )


@hookimpl
def ytm_doctor_collect_checks():
    return [PlanningRootDrift(), PlanningCacheDrift()]
