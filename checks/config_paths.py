"""YTM100: configured paths that are missing or unreadable.

Required keys that are unset, and a workspace that cannot be read, stop the run with exit 4
before any check (there is nothing to scan); this check covers the optional paths, which only
some checks and fixers need, so the scan still runs and says what is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path

from ytm_doctor.model import Check, Rule, Severity
from ytm_doctor.paths import nearest_existing
from ytm_doctor.plugins.hookspec import hookimpl

RULE = Rule(
    code="YTM100",
    name="config-invalid",
    severity=Severity.VIOLATION,
    summary="a configured path is missing or unreadable",
    tags=("config",),
)


def _problem(path: Path, want_dir: bool) -> str | None:
    if not path.exists():
        return "dangling symlink" if path.is_symlink() else "does not exist"
    if want_dir and not path.is_dir():
        return "is not a directory"
    if not want_dir and not path.is_file():
        return "is not a file"
    if not os.access(path, os.R_OK | (os.X_OK if want_dir else 0)):
        return "is not readable"
    return None


class ConfigInvalid(Check):
    rule = RULE

    def finish(self, ctx):
        config = ctx.config
        todo: list[tuple[str, Path, str | None]] = []
        draft_root = config["capcut.draft_root"]
        if draft_root is not None:
            todo.append(("capcut.draft_root", draft_root, _problem(draft_root, want_dir=True)))
        for env_file in config["planning.env_files"]:
            todo.append(("planning.env_files", env_file, _problem(env_file, want_dir=False)))
        fallback = config["shared_storage.fallback_root"]
        if fallback is not None:
            # The outbox is created on demand; it must be creatable, or writable if it exists.
            base = nearest_existing(fallback)
            if not os.access(base, os.W_OK | os.X_OK):
                todo.append(("shared_storage.fallback_root", fallback, f"{base} is not writable"))

        problems = [
            {
                "key": key,
                "value": path,
                "source": config.settings[key].describe_source(),
                "problem": problem,
            }
            for key, path, problem in todo
            if problem is not None
        ]
        if not problems:
            return []
        # One finding for the configuration as a whole (a global rule: its path is the root);
        # each bad setting is an item of details.problems.
        text = "; ".join(f"{p['key']} {p['value']} {p['problem']}" for p in problems)
        abs_path = config.file or ctx.paths.workspace_root
        return [
            RULE.finding(
                f"{text} (set by {problems[0]['source']})" if len(problems) == 1 else text,
                root="workspace",
                path=".",
                abs_path=str(abs_path),
                details={"config_file": config.file, "problems": problems},
            )
        ]


@hookimpl
def ytm_doctor_collect_checks():
    return [ConfigInvalid()]
