"""Turns `@ytm_doctor.check` functions into checks: those of every registered module plugin.

This is how a local plugin of a few lines adds a check without writing a hook: the decorator
leaves a CheckDefinition in the module, and this built-in collects it like any other check.
"""

from __future__ import annotations

from types import ModuleType

from ytm_doctor.decorator import CheckDefinition
from ytm_doctor.plugins.hookspec import hookimpl


@hookimpl
def ytm_doctor_collect_checks(config):
    checks, seen = [], set()
    for name, plugin in config.pluginmanager.list_name_plugin():
        if not isinstance(plugin, ModuleType):
            continue
        for value in vars(plugin).values():
            if isinstance(value, CheckDefinition) and id(value) not in seen:
                seen.add(id(value))
                check = value.make()
                check.plugin = name  # attribute it to the module that defined it
                checks.append(check)
    return checks
