"""ytm-doctor: a pytest-style doctor and policy checker for a Hot + Vault video workspace.

The public API for plugins: `hookimpl` to implement hooks, `check` to declare a check in one
function, `Check`/`Rule`/`Finding`/`Severity`/`Subscription`/`Entry` as data, and `UsageError`
for a clean one-line exit 4.
"""

__version__ = "0.1.0"

from ytm_doctor.decorator import check
from ytm_doctor.errors import ExitCode, UsageError
from ytm_doctor.model import Check, Entry, Finding, Rule, Severity, Subscription
from ytm_doctor.plugins.hookspec import hookimpl

__all__ = [
    "Check",
    "Entry",
    "ExitCode",
    "Finding",
    "Rule",
    "Severity",
    "Subscription",
    "UsageError",
    "__version__",
    "check",
    "hookimpl",
]
