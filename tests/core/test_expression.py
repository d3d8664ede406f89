"""The -k expression language (SPEC §7): pytest's grammar over rule names and tags."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytm_doctor.collect import select_checks
from ytm_doctor.errors import UsageError
from ytm_doctor.expression import ExpressionError, compile_expression
from ytm_doctor.model import Check, Rule, Severity

NAMES = ("a", "b", "c", "d")


def truth(expr: str, true: set[str]) -> bool:
    return compile_expression(expr).evaluate(lambda ident: ident in true)


def assignments():
    for bits in itertools.product([False, True], repeat=len(NAMES)):
        yield {n for n, b in zip(NAMES, bits, strict=True) if b}


@pytest.mark.parametrize(
    ("expr", "same_as"),
    [
        ("a or b and c", lambda v: v["a"] or (v["b"] and v["c"])),
        ("a and b or c", lambda v: (v["a"] and v["b"]) or v["c"]),
        ("not a and b", lambda v: (not v["a"]) and v["b"]),
        ("not a or b", lambda v: (not v["a"]) or v["b"]),
        ("not (a or b)", lambda v: not (v["a"] or v["b"])),
        ("(a or b) and c", lambda v: (v["a"] or v["b"]) and v["c"]),
        ("not not a", lambda v: v["a"]),
        ("a and not b and c or d", lambda v: (v["a"] and not v["b"] and v["c"]) or v["d"]),
        ("((a))", lambda v: v["a"]),
    ],
)
def test_precedence_and_parentheses(expr: str, same_as) -> None:
    for true in assignments():
        values = {n: n in true for n in NAMES}
        assert truth(expr, true) == same_as(values), (expr, true)


def test_precedence_is_observable() -> None:
    # the assignment where "a or (b and c)" and "(a or b) and c" differ
    assert truth("a or b and c", {"a"}) is True
    assert truth("not a and b", set()) is False


EXPRS = st.recursive(
    st.sampled_from(NAMES),
    lambda inner: st.one_of(
        inner.map(lambda e: f"not {e}"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]} and {t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]} or {t[1]}"),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"( {e} )"),
    ),
    max_leaves=12,
)


@given(EXPRS)
def test_agrees_with_python_which_has_the_same_precedence(expr: str) -> None:
    for true in assignments():
        env = {n: n in true for n in NAMES}
        assert truth(expr, true) == bool(eval(expr, {"__builtins__": {}}, env)), (expr, true)


@pytest.mark.parametrize("expr", ["", "   ", "\t"])
def test_empty_expression_matches_nothing(expr: str) -> None:
    assert compile_expression(expr).evaluate(lambda ident: True) is False


@pytest.mark.parametrize(
    ("expr", "where"),
    [
        ("and", "column 1"),
        ("or a", "column 1"),
        ("(a", "end of input"),
        ("a b", "column 3"),
        ("a and", "end of input"),
        ("not", "end of input"),
        (")", "column 1"),
        ("a )", "column 3"),
        ("()", "column 2"),
        ("a $ b", "column 3"),
        ("a or or b", "column 6"),
    ],
)
def test_errors_are_one_line_with_a_position(expr: str, where: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(expr)
    message = str(info.value)
    assert "\n" not in message
    assert repr(expr) in message
    assert where in message
    assert isinstance(info.value, UsageError)  # -> exit 4


@pytest.mark.parametrize("ident", ["order", "android", "notes", "nothing", "andy", "ornament"])
def test_words_starting_with_keywords_are_names(ident: str) -> None:
    assert truth(ident, {ident}) is True
    assert truth(f"not {ident}", {ident}) is False


@pytest.mark.parametrize("ident", ["YTM3", "share-stub", "a.b", "x:y", "日本"])
def test_name_characters(ident: str) -> None:
    seen = []
    compile_expression(ident).evaluate(lambda name: seen.append(name) or True)
    assert seen == [ident]


# --- -k over rules ----------------------------------------------------------------------------


class Stub(Check):
    def __init__(self, code: str, name: str, tags: tuple[str, ...]) -> None:
        self.rule = Rule(code, name, Severity.WARNING, "s", tags=tags)


CHECKS = [
    Stub("YTM101", "share-stub-mount", ("share", "mount", "offline")),
    Stub("YTM102", "share-degraded", ("share", "mount")),
    Stub("YTM301", "broken-symlink", ("links",)),
    Stub("YTM302", "symlink-loop", ("links",)),
]


@pytest.mark.parametrize(
    ("keyword", "codes"),
    [
        ("share and not degraded", ["YTM101"]),
        ("mount", ["YTM101", "YTM102"]),  # YTM101 by name, YTM102 by tag
        ("moun", ["YTM101"]),  # a tag must match whole; a name by substring
        ("SYMLINK", ["YTM301", "YTM302"]),
        ("links and not loop", ["YTM301"]),
        ("ytm3 or offline", ["YTM101", "YTM301", "YTM302"]),
        ("not (share or links)", []),
        ("YTM10", ["YTM101", "YTM102"]),
    ],
)
def test_keyword_selects_rules(keyword: str, codes: list[str]) -> None:
    selection = select_checks(CHECKS, keyword=keyword)
    assert [c.rule.code for c in selection.selected] == codes
    assert len(selection.selected) + len(selection.deselected) == len(CHECKS)


def test_bad_keyword_on_the_command_line_exits_4(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTM_")}
    result = subprocess.run(
        [sys.executable, "-m", "ytm_doctor.cli", "list", "-k", "share and"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 4
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "end of input" in result.stderr
