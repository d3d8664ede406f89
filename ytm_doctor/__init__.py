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

__version__ = "0.1.0"

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
