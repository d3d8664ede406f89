"""The -k expression language, as pytest's:

    expression: expr? EOF
    expr:       and_expr ('or' and_expr)*
    and_expr:   not_expr ('and' not_expr)*
    not_expr:   'not' not_expr | '(' expr ')' | ident

An ident is true when the matcher says so (ytm-doctor: a case-insensitive substring of a rule's
code or name, or one of its tags). An empty expression matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ytm_doctor.errors import UsageError

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([\w:+\-.\[\]\\/]+))")
_KEYWORDS = {"and", "or", "not"}


class ExpressionError(UsageError):
    pass


@dataclass(frozen=True)
class _Node:
    op: str  # "ident", "not", "and", "or"
    args: tuple = ()
    name: str = ""

    def evaluate(self, matcher: Callable[[str], bool]) -> bool:
        if self.op == "ident":
            return matcher(self.name)
        if self.op == "not":
            return not self.args[0].evaluate(matcher)
        if self.op == "and":
            return all(a.evaluate(matcher) for a in self.args)
        return any(a.evaluate(matcher) for a in self.args)


class Expression:
    def __init__(self, source: str, root: _Node | None) -> None:
        self.source = source
        self._root = root

    def evaluate(self, matcher: Callable[[str], bool]) -> bool:
        return self._root.evaluate(matcher) if self._root else False


def _tokenize(source: str) -> list[tuple[str, int]]:
    tokens, pos = [], 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        m = _TOKEN.match(source, pos)
        if not m:
            col = pos + len(source[pos:]) - len(source[pos:].lstrip()) + 1
            raise ExpressionError(f"-k {source!r}: unexpected character at column {col}")
        text = m.group(1) or m.group(2) or m.group(3)
        tokens.append((text, m.start(m.lastindex) + 1))
        pos = m.end()
    return tokens


def compile_expression(source: str) -> Expression:
    tokens = _tokenize(source)
    pos = 0

    def peek() -> str | None:
        return tokens[pos][0] if pos < len(tokens) else None

    def fail(what: str) -> ExpressionError:
        where = f"column {tokens[pos][1]}" if pos < len(tokens) else "end of input"
        return ExpressionError(f"-k {source!r}: expected {what} at {where}")

    def expr() -> _Node:
        nonlocal pos
        parts = [and_expr()]
        while peek() == "or":
            pos += 1
            parts.append(and_expr())
        return parts[0] if len(parts) == 1 else _Node("or", tuple(parts))

    def and_expr() -> _Node:
        nonlocal pos
        parts = [not_expr()]
        while peek() == "and":
            pos += 1
            parts.append(not_expr())
        return parts[0] if len(parts) == 1 else _Node("and", tuple(parts))

    def not_expr() -> _Node:
        nonlocal pos
        tok = peek()
        if tok == "not":
            pos += 1
            return _Node("not", (not_expr(),))
        if tok == "(":
            pos += 1
            node = expr()
            if peek() != ")":
                raise fail("')'")
            pos += 1
            return node
        if tok is None or tok == ")" or tok in _KEYWORDS:
            raise fail("a name, 'not' or '('")
        pos += 1
        return _Node("ident", name=tok)

    if not tokens:
        return Expression(source, None)
    root = expr()
    if pos != len(tokens):
        raise fail("'and', 'or' or end of input")
    return Expression(source, root)
