"""ytm-doctor: a pytest-style doctor and policy checker for a Hot + Vault video workspace.

The public API for plugins:
- checks: `check` (one decorated function) or `Check`/`Rule`/`Finding`/`Severity`/
  `Subscription`/`Entry`;
- fixers: `Fixer`, `FixContext`, `Fix`, `Action`, `PathRef`, `Unfixable`, `fix_for`;
  `NotFixable` and `finding_ref` (what a fixer reads from a finding: ytm_doctor.facts);
- operations: `Operation` (subclass it), `Refused`;
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
    "Rule",
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
