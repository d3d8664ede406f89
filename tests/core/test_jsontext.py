"""The report's fast JSON text is exactly what json.dumps(indent=2) writes, for any value."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ytm_doctor.jsontext import dumps_indented

AWKWARD = [
    None,
    True,
    False,
    0,
    -7,
    10**30,
    1.5,
    -0.0,
    1e300,
    math.inf,
    -math.inf,
    math.nan,
    "",
    'quote " backslash \\ tab \t newline \n nul \x00',
    "bidi \u202e line sep \u2028 para \u2029 nel \x85 del \x7f",
    "undecodable kept as \udcff surrogate",
    "naïve 日本語 🎬",
    [],
    {},
    [[]],
    {"a": {}},
    (1, "two", None),
    {"nested": {"list": [1, {"deep": [True, False, None]}], "empty": []}},
    {7: "int key", 2.5: "float key", True: "bool key", False: "f", None: "none key"},
]


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_same_text_as_json_dumps(value) -> None:
    assert dumps_indented(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_pad_indents_every_line_but_the_first() -> None:
    value = {"a": [1, {"b": "c"}], "d": {}}
    plain = json.dumps(value, ensure_ascii=False, indent=2)
    assert dumps_indented(value, "    ") == plain.replace("\n", "\n    ")


def test_unencodable_values_fail_as_json_fails() -> None:
    for bad in (object(), {"s": {1, 2}}, {(1, 2): "tuple key"}):
        with pytest.raises(TypeError):
            json.dumps(bad, indent=2)
        with pytest.raises(TypeError):
            dumps_indented(bad)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(JSON_VALUES)
def test_same_text_as_json_dumps_property(value) -> None:
    assert dumps_indented(value) == json.dumps(value, ensure_ascii=False, indent=2)
