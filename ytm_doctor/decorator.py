"""The `check` decorator: a short way to write a check as one function (what local plugins use)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ytm_doctor.model import Check, Entry, Finding, Rule, Severity, Subscription

if TYPE_CHECKING:
    from ytm_doctor.context import Context


class FunctionCheck(Check):
    """A check made from one function: fn(entry, ctx) for walk checks, fn(ctx) for global ones."""

    def __init__(
        self, rule: Rule, fn: Callable[..., Iterable[Finding] | None], subs: tuple
    ) -> None:
        self.rule = rule
        self.fn = fn
        self.subscriptions = subs

    def visit(self, entry: Entry, ctx: Context) -> Iterable[Finding]:
        return self.fn(entry, ctx) or ()

    def finish(self, ctx: Context) -> Iterable[Finding]:
        if self.subscriptions:
            return ()
        return self.fn(ctx) or ()


class CheckDefinition:
    """What `@check` leaves in a plugin module; the decorated-checks plugin turns it into checks."""

    def __init__(self, rule: Rule, fn: Callable[..., Any], subs: tuple) -> None:
        self.rule = rule
        self.fn = fn
        self.subscriptions = subs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def make(self) -> FunctionCheck:
        return FunctionCheck(self.rule, self.fn, self.subscriptions)


def check(
    code: str,
    name: str,
    *,
    severity: str | Severity = Severity.WARNING,
    summary: str = "",
    tags: Iterable[str] = (),
    fixer: str | None = None,
    docs: str | None = None,
    needs_share: bool = False,
    root: str | Iterable[str] | None = None,
    kinds: Iterable[str] = ("file",),
    under: Iterable[str] = (),
) -> Callable[[Callable[..., Any]], CheckDefinition]:
    """Declare a check in one function.

    With `root` the function is called as fn(entry, ctx) for each walk entry of that root (or
    roots) whose kind is in `kinds` and which lies under one of `under`; without it, once as
    fn(ctx) after the walk. Either way it yields (or returns a list of) findings, made with
    `fn.rule.finding(...)`. `needs_share=True` says the rule cannot be judged while the share
    is down (see `Rule.needs_share`).
    """

    def wrap(fn: Callable[..., Any]) -> CheckDefinition:
        page = docs
        if page and not os.path.isabs(page):
            # A relative page lives beside the plugin file, wherever ytm-doctor runs from.
            page = os.path.join(os.path.dirname(os.path.abspath(fn.__code__.co_filename)), page)
        rule = Rule(
            code=code,
            name=name,
            severity=Severity(severity),
            summary=summary or (fn.__doc__ or name).strip().splitlines()[0],
            tags=tuple(tags),
            fixer=fixer,
            docs=page,
            needs_share=needs_share,
        )
        subs: tuple = ()
        if root is not None:
            roots = (root,) if isinstance(root, str) else tuple(root)
            subs = (Subscription(roots=roots, kinds=frozenset(kinds), under=tuple(under)),)
        return CheckDefinition(rule, fn, subs)

    return wrap
