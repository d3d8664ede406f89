"""ytm-doctor: a pytest-style doctor and policy checker for a Hot + Vault video workspace.

The public API for plugins:
- checks: `check` (one decorated function) or `Check`/`Rule`/`Finding`/`Severity`/
  `Subscription`/`Entry`;
- fixers: `Fixer`, `FixContext`, `Fix`, `Action`, `PathRef`, `Unfixable`, `fix_for`;
  `NotFixable` and `finding_ref` (what a fixer reads from a finding: ytm_doctor.facts);
- operations: `Operation` (subclass it), `Refused`;
- report writers and notifiers: `Report`, `ReportRule` (the scan's rules, `report.rules`) and
  `SavedReport` (where a saving scan's report goes), the arguments of
  `ytm_doctor_write_report` and `ytm_doctor_report_ready`;
- hooks: `hookimpl` (writers, notifiers and the collect hooks);
- `UsageError` for a clean one-line exit 4, `ExitCode`.
"""

from __future__ import annotations

__version__ = "0.1.0"

# No `typing` import at run time: it alone costs ~10 ms of start-up without signal handlers.
TYPE_CHECKING = False

# The public names, imported on first use (PEP 562): `import ytm_doctor` stays cheap, so the
# console script can set up its signal handlers before the heavy imports (ytm_doctor.__main__)
# and Ctrl-C during start-up is one line, not a traceback.
_LAZY = {
    "check": "ytm_doctor.decorator",
    "ExitCode": "ytm_doctor.errors",
    "UsageError": "ytm_doctor.errors",
    "NotFixable": "ytm_doctor.facts",
    "finding_ref": "ytm_doctor.facts",
    "FixContext": "ytm_doctor.fix.fixer",
    "Fixer": "ytm_doctor.fix.fixer",
    "fix_for": "ytm_doctor.fix.fixer",
    "Operation": "ytm_doctor.fix.operation",
    "Refused": "ytm_doctor.fix.operation",
    "Action": "ytm_doctor.fix.plan",
    "Fix": "ytm_doctor.fix.plan",
    "PathRef": "ytm_doctor.fix.plan",
    "Unfixable": "ytm_doctor.fix.plan",
    "Check": "ytm_doctor.model",
    "Entry": "ytm_doctor.model",
    "Finding": "ytm_doctor.model",
    "Rule": "ytm_doctor.model",
    "Severity": "ytm_doctor.model",
    "Subscription": "ytm_doctor.model",
    "hookimpl": "ytm_doctor.plugins.hookspec",
    "Report": "ytm_doctor.report",
    "ReportRule": "ytm_doctor.report",
    "SavedReport": "ytm_doctor.saved_reports",
}

if TYPE_CHECKING:
    from typing import Any

    from ytm_doctor.decorator import check
    from ytm_doctor.errors import ExitCode, UsageError
    from ytm_doctor.facts import NotFixable, finding_ref
    from ytm_doctor.fix.fixer import FixContext, Fixer, fix_for
    from ytm_doctor.fix.operation import Operation, Refused
    from ytm_doctor.fix.plan import Action, Fix, PathRef, Unfixable
    from ytm_doctor.model import Check, Entry, Finding, Rule, Severity, Subscription
    from ytm_doctor.plugins.hookspec import hookimpl
    from ytm_doctor.report import Report, ReportRule
    from ytm_doctor.saved_reports import SavedReport


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:  # a submodule (`from ytm_doctor import cli`) or a typo
        raise AttributeError(f"module 'ytm_doctor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Action",
    "Check",
    "Entry",
    "ExitCode",
    "Finding",
    "Fix",
    "FixContext",
    "Fixer",
    "NotFixable",
    "Operation",
    "PathRef",
    "Refused",
    "Report",
    "ReportRule",
    "Rule",
    "SavedReport",
    "Severity",
    "Subscription",
    "Unfixable",
    "UsageError",
    "__version__",
    "check",
    "finding_ref",
    "fix_for",
    "hookimpl",
]
