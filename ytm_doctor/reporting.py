"""Delivering a finished report: first the writers, then the notifiers.

Where a saving scan's report goes is decided before anything runs (`saved_report_for`), and
every writer and notifier is given that answer, so none depends on another having run first.
Writers (`ytm_doctor_write_report`) and notifiers (`ytm_doctor_report_ready`) are pluggy hooks
called in pluggy's order (tryfirst, trylast, wrappers). Each implementation is called on its
own: in one pluggy call the first exception would end the call, and a broken plugin must cost
only its own output, never the saved history or another plugin's notification.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ytm_doctor.saved_reports import SavedReport, saved_report_for

if TYPE_CHECKING:
    import pluggy

    from ytm_doctor.config import Config
    from ytm_doctor.report import Report

WRITE_HOOK = "ytm_doctor_write_report"
READY_HOOK = "ytm_doctor_report_ready"


def deliver_report(report: Report, config: Config) -> SavedReport | None:
    """Run every report writer, then every notifier; returns where the report was to be saved
    (None when this scan saves nothing). Failures are lines on stderr, never exceptions: the
    report's exit code stands whatever a writer or a notifier did."""
    saved = saved_report_for(report, config)
    pm = config.pluginmanager
    kwargs = {"report": report, "config": config, "saved": saved}
    cut: list[BrokenPipeError] = []

    def on_writer_error(name: str, exc: Exception) -> None:
        # A writer's broken pipe is stdout's reader gone (`| head`): not the writer's fault,
        # and no warning. The files and notifiers still get their turn; then the CLI ends
        # quietly (cli.output_cut).
        if isinstance(exc, BrokenPipeError):
            cut.append(exc)
        else:
            writer_failed(name, exc)

    call_each_isolated(pm, WRITE_HOOK, kwargs, on_writer_error)
    run_collected_writers(report, config, on_writer_error)
    call_each_isolated(pm, READY_HOOK, kwargs, notifier_failed)
    if cut:
        raise cut[0]
    return saved


def call_each_isolated(
    pm: pluggy.PluginManager,
    name: str,
    kwargs: dict[str, Any],
    on_error: Callable[[str, Exception], None],
) -> None:
    """Call hook `name` one implementation at a time, in the order one pluggy call would use.

    Each call goes through pluggy with that implementation and every wrapper, so a
    `wrapper=True` implementation runs around each one and sees its result or exception.
    An exception that comes out is handed to `on_error` with the plugin's name."""
    impls = getattr(pm.hook, name).get_hookimpls()
    plain = [impl for impl in impls if not (impl.wrapper or impl.hookwrapper)]
    for impl in reversed(plain):  # pluggy calls the end of its list first
        others = [other.plugin for other in plain if other is not impl]
        try:
            pm.subset_hook_caller(name, remove_plugins=others)(**kwargs)
        except Exception as exc:
            on_error(impl.plugin_name, exc)


def run_collected_writers(
    report: Report,
    config: Config,
    on_error: Callable[[str, Exception], None] | None = None,
) -> None:
    """Writer objects of the older plugin style (`ytm_doctor_collect_writers`: `name` and
    `write(report, config)`), each on its own, after the hook's writers as they always ran."""
    try:
        collected = config.pluginmanager.hook.ytm_doctor_collect_writers(config=config)
    except Exception as exc:
        _warn(f"report writers not collected: {exc!r}")
        return
    for writers in collected:
        for writer in writers or ():
            if writer is None:
                continue
            try:
                writer.write(report, config)
            except Exception as exc:
                (on_error or writer_failed)(getattr(writer, "name", type(writer).__name__), exc)


def writer_failed(name: str, exc: Exception) -> None:
    if isinstance(exc, OSError):  # a full disk or a read-only log dir must not hide the result
        _warn(f"{name} report not written: {exc}")
    else:
        _warn(f"{name} report failed: {exc!r}")


def notifier_failed(name: str, exc: Exception) -> None:
    _warn(f"a report-ready hook failed (plugin {name}): {exc!r}")


def _warn(text: str) -> None:
    # One line whatever the exception's text holds: stderr may be a journal, one line an entry.
    print("ytm-doctor: warning: " + " ".join(text.split()), file=sys.stderr)
