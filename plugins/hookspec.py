"""Hook specifications for ytm-doctor plugins.

Every hook is implemented with `@ytm_doctor.hookimpl` in a plugin module: a built-in, a module
found through the `ytm_doctor` entry-point group, a module or `.py` file named under `plugins:`
in the config, or one given with `-p MODULE`. Built-ins use exactly the same hooks as
third-party plugins. Implementations may accept any subset of a hook's arguments.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.model import Check
    from ytm_doctor.report import Report, ReportWriter
    from ytm_doctor.saved_reports import SavedReport

PROJECT_NAME = "ytm_doctor"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -------------------------------------------------------------------------
# Initialisation: called once per invocation, before any scan.
# -------------------------------------------------------------------------


@hookspec(historic=True)
def ytm_doctor_addoption(parser: argparse.ArgumentParser) -> None:
    """Add command-line options to the scan command.

    Called once, after all plugins are loaded and before the command line is parsed; a plugin
    registered later is called back at registration. Options added here show in
    `ytm-doctor --help` and are read back with `config.getoption(dest)`.

    :param parser: the scan command's parser; use `parser.add_argument_group("my plugin")`.
    :returns: nothing.
    """


@hookspec(historic=True)
def ytm_doctor_configure(config: Config) -> None:
    """Called once the configuration is resolved (flags > env > file > policy), before checks
    are collected. A plugin may check its own settings here and raise
    `ytm_doctor.UsageError` for a one-line exit 4.

    :param config: the resolved configuration and the command-line options.
    :returns: nothing.
    """


# -------------------------------------------------------------------------
# Collection: called at the start of every scan (and by `list`, `explain`, `fix`).
# -------------------------------------------------------------------------


@hookspec
def ytm_doctor_collect_checks(config: Config) -> list[Check]:
    """Return the checks this plugin provides: new `Check` instances (one scan uses them once).

    Called by every command that needs the rule catalogue. Each plugin returns its own list;
    ytm-doctor concatenates them and refuses two checks with the same code.

    A check that cannot judge its rule while the share is down (it returns nothing when
    `not ctx.share.online`) declares it once, on its rule: `Rule(..., needs_share=True)` or
    `@check(..., needs_share=True)`. While the share is down, the previous findings of that
    rule it does not repeat are then carried as unknown, not counted resolved.

    :param config: the resolved configuration.
    :returns: a list of `ytm_doctor.Check` objects (possibly empty).
    """


@hookspec
def ytm_doctor_collect_fixers(config: Config) -> list[object]:
    """Return the fixers this plugin provides.

    Called at the start of every scan (to attach fix commands to findings) and by `fix`,
    which asks each fixer to plan the fixes of its rules' findings. A fixer is looked up by
    the name a rule declares in `Rule.fixer`; a finding of a rule whose fixer is registered
    carries the exact commands that preview and apply its fix.

    :param config: the resolved configuration.
    :returns: a list of `ytm_doctor.Fixer` objects, each with a unique `name`.
    """


@hookspec
def ytm_doctor_collect_operations() -> list[object]:
    """Return the operations this plugin provides: the kinds of step a plan can hold.

    Called once per command that plans, applies or undoes (fix, apply, undo, store, mirror).
    An operation is an instance of a `ytm_doctor.Operation` subclass with a unique `name`; a
    fixer plans `Action(name, ...)` steps of it, the Executor confines their paths, checks
    preconditions, journals and rolls back, and calls the operation's `do`, and `undo` runs
    its inverse. The built-in operations (mkdir, write, replace, rename, symlink, copy, the
    store's and the mirror's) come through this very hook. Two operations with one name are
    refused (exit 4). A journal naming an operation whose plugin is not loaded cannot be
    undone until it is.

    :returns: a list of `ytm_doctor.Operation` objects (possibly empty).
    """


@hookspec
def ytm_doctor_collect_writers(config: Config) -> list[ReportWriter]:
    """Return report writer objects: the older way to add a report format, kept for the
    plugins that use it; a new writer implements `ytm_doctor_write_report` instead.

    Called once per scan, after every `ytm_doctor_write_report` implementation ran. Each
    returned writer's `write(report, config)` is called on its own, in the order the hook
    returned them; one that raises is reported on stderr as one line and the others still run.
    A writer decides from `config` (its options) whether it applies.

    :param config: the resolved configuration and the command-line options.
    :returns: a list of objects with `name: str` and `write(report, config) -> None`.
    """


# -------------------------------------------------------------------------
# Reporting: called once per scan, after the checks ran.
# -------------------------------------------------------------------------


@hookspec
def ytm_doctor_write_report(report: Report, config: Config, saved: SavedReport | None) -> None:
    """Write the finished report somewhere: a file, stdout, a service. Every built-in format
    (saved JSON, `--json`, HTML, terminal, `--sarif`, `--junitxml`) is an implementation.

    Called once per scan, after the checks ran and before `ytm_doctor_report_ready`, in
    pluggy's order: `@hookimpl(tryfirst=True)` first, `@hookimpl(trylast=True)` last (the
    built-in terminal summary is trylast, so it can name the saved report), otherwise the
    plugin registered last first. Each implementation is called on its own: one that raises is
    reported on stderr as one line (an `OSError` as "<plugin> report not written: ...") and
    the others still run; the exit code does not change. A `@hookimpl(wrapper=True)`
    implementation runs around each writer (`result = yield`): it sees that writer's result or
    exception and may swallow it. A writer decides from `config` (its options) whether it
    applies: the terminal summary steps aside under `--json`, which owns stdout.

    :param report: the finished report: summary, findings, errors, new and resolved
        fingerprints, and `report.rules`, the scan's rule catalogue (`ReportRule`s, each
        marked `selected` or not), so no writer needs to collect the checks again.
    :param config: the resolved configuration and the command-line options.
    :param saved: where this scan's report is saved (`ytm_doctor.SavedReport`: `saved.json`,
        `saved.html`, and `saved.latest_json` / `saved.latest_html` when `saved.latest`, a
        full scan), or None when the scan saves nothing (`--no-save`, an empty selection).
        Decided before any writer runs: it does not depend on which writers are loaded.
    :returns: nothing.
    """


@hookspec
def ytm_doctor_report_ready(report: Report, config: Config, saved: SavedReport | None) -> None:
    """Called once per scan with the finished report, after every writer ran: notifiers and
    publishers live here (the built-in ones: retention and `--publish`, the webhook).

    Each implementation is called on its own, in pluggy's order (tryfirst, trylast, wrappers
    as for `ytm_doctor_write_report`): one that raises is printed on stderr as one line naming
    its plugin, the others still run, and the scan's exit code never changes (the reports are
    already written).

    :param report: the finished report (summary, findings, new and resolved fingerprints).
    :param config: the resolved configuration.
    :param saved: where this scan's report was saved, as given to `ytm_doctor_write_report`,
        or None when the scan saved nothing.
    :returns: nothing.
    """


# -------------------------------------------------------------------------
# Fleet: `ytm-doctor fleet --html PATH`.
# -------------------------------------------------------------------------


@hookspec(firstresult=True)
def ytm_doctor_render_fleet(fleet: dict[str, Any], config: Config) -> str | None:
    """Render the fleet (every host's published report side by side) as one self-contained
    HTML page. Called once per `ytm-doctor fleet --html PATH`, after the reports were read;
    the command writes the page atomically. The first implementation returning a string
    wins; the built-in one is the
    `fleet_html` plugin (block it with `-p no:fleet_html` to bring your own).

    :param fleet: the fleet as `ytm-doctor fleet --json` prints it (hosts, differences).
    :param config: the resolved configuration and the command-line options.
    :returns: the page's HTML text, or None to leave it to the next implementation.
    """
