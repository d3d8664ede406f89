"""Collecting checks and fixers from every registered plugin, and selecting checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ytm_doctor.errors import UsageError
from ytm_doctor.expression import compile_expression
from ytm_doctor.model import Check
from ytm_doctor.plugins.manager import PluginLoadError

if TYPE_CHECKING:
    from ytm_doctor.config import Config


def _call_each(config: Config, hook_name: str) -> list[tuple[str, list[Any]]]:
    """Call one hook's implementations one by one, so each result is attributed to its plugin."""
    pm = config.pluginmanager
    hook = getattr(pm.hook, hook_name)
    results = []
    for impl in hook.get_hookimpls():  # registration order
        kwargs = {"config": config}
        try:
            value = impl.function(*[kwargs[a] for a in impl.argnames])
        except Exception as exc:
            raise PluginLoadError(f"plugin {impl.plugin_name}: {hook_name} raised {exc!r}") from exc
        results.append((impl.plugin_name, list(value or [])))
    return results


def collect_checks(config: Config) -> list[Check]:
    """Every check of every plugin, sorted by code; two checks with one code are refused."""
    by_code: dict[str, Check] = {}
    for plugin_name, checks in _call_each(config, "ytm_doctor_collect_checks"):
        for check in checks:
            if not isinstance(check, Check):
                raise UsageError(f"plugin {plugin_name} returned {check!r}, not a Check")
            if not check.plugin:
                check.plugin = plugin_name
            code = check.rule.code
            if code in by_code:
                other = by_code[code].plugin
                raise UsageError(f"rule {code} is declared twice: by {other} and {check.plugin}")
            by_code[code] = check
    return [by_code[c] for c in sorted(by_code)]


def collect_fixers(config: Config) -> dict[str, Any]:
    fixers: dict[str, Any] = {}
    for plugin_name, items in _call_each(config, "ytm_doctor_collect_fixers"):
        for fixer in items:
            if fixer.name in fixers:
                raise UsageError(f"fixer {fixer.name} is declared twice (again by {plugin_name})")
            fixers[fixer.name] = fixer
    return fixers


def split_codes(values: Iterable[str] | None) -> list[str]:
    """--select A,B --select C -> ["A", "B", "C"], upper-cased."""
    out = []
    for value in values or []:
        out.extend(part.strip().upper() for part in value.split(",") if part.strip())
    return out


@dataclass
class Selection:
    selected: list[Check]
    deselected: list[Check]


def select_checks(
    checks: list[Check],
    *,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    keyword: str | None = None,
    only_codes: set[str] | None = None,
) -> Selection:
    """--select/--ignore by code prefix, -k over names and tags, --lf's code set."""
    select, ignore = list(select), list(ignore)
    codes = [check.rule.code for check in checks]
    for option, prefixes in (("--select", select), ("--ignore", ignore)):
        for prefix in prefixes:
            _known_prefix(option, prefix, codes)
    expr = compile_expression(keyword) if keyword and keyword.strip() else None
    chosen, dropped = [], []
    for check in checks:
        rule = check.rule
        keep = not select or any(rule.code.startswith(p) for p in select)
        keep = keep and not any(rule.code.startswith(p) for p in ignore)
        if keep and expr is not None:
            keep = expr.evaluate(lambda ident, r=rule: _matches(ident, r))
        if keep and only_codes is not None:
            keep = rule.code in only_codes
        (chosen if keep else dropped).append(check)
    return Selection(chosen, dropped)


def _known_prefix(option: str, prefix: str, codes: list[str]) -> None:
    """A code or prefix that names no rule is a typo, not an empty selection: selecting
    nothing would pass as "no violations", ignoring nothing would hide that the rule still
    runs. As ruff does, it is a usage error, with the closest codes."""
    if any(code.startswith(prefix) for code in codes):
        return
    import difflib  # only to suggest a name: not on every start-up

    close = difflib.get_close_matches(prefix, codes, n=3)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise UsageError(f"{option} {prefix}: no rule has this code or prefix{hint}")


def _matches(ident: str, rule) -> bool:
    needle = ident.lower()
    if needle in rule.code.lower() or needle in rule.name.lower():
        return True
    return any(needle == tag.lower() for tag in rule.tags)
