"""JSON text as `json.dumps(value, ensure_ascii=False, indent=2)` writes it, only faster.

With `indent`, the standard library falls back to its pure-Python encoder (its C encoder only
writes compact text), and a scan with tens of thousands of findings spent seconds there. This
encoder writes the very same text: strings through the C string escaper json itself uses,
numbers and constants spelled as json spells them, containers laid out as indent=2 lays them
out. tests/core/test_jsontext.py holds it to json.dumps on awkward values.
"""

from __future__ import annotations

from json.encoder import encode_basestring  # the C escaper when available, as json uses
from typing import Any

_INF = float("inf")


def dumps_indented(value: Any, pad: str = "") -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)`, with every line after the first
    prefixed by `pad` (the indentation of the place the value is written at)."""
    return _encode(value, pad)


def _float(value: float) -> str:
    # json's floatstr with allow_nan=True.
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    # json converts non-string keys the same way (skipkeys=False).
    if isinstance(key, str):
        return encode_basestring(key)
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return encode_basestring(int.__repr__(key))
    if isinstance(key, float):
        return encode_basestring(_float(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _encode(value: Any, pad: str) -> str:
    # Exact dicts and lists first (a finding is one dict, its details another): no subclass
    # question arises for them. Then json's own order (a bool is an int, True is tested first).
    cls = value.__class__
    if cls is dict:
        return _encode_dict(value, pad)
    if cls is list:
        return _encode_list(value, pad)
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (list, tuple)):
        return _encode_list(value, pad)
    if isinstance(value, dict):
        return _encode_dict(value, pad)
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _encode_list(value: list | tuple, pad: str) -> str:
    if not value:
        return "[]"
    inner = pad + "  "
    sep = ",\n" + inner
    return "[\n" + inner + sep.join([_encode(v, inner) for v in value]) + "\n" + pad + "]"


def _encode_dict(value: dict, pad: str) -> str:
    if not value:
        return "{}"
    inner = pad + "  "
    items = []
    # A finding is a dict of mostly strings, None and booleans: those are spelled here, without
    # a call per key and value (most of the encoding time of a big report).
    for key, item in value.items():
        key_text = encode_basestring(key) if key.__class__ is str else _key(key)
        cls = item.__class__
        if cls is str:
            items.append(key_text + ": " + encode_basestring(item))
        elif item is None:
            items.append(key_text + ": null")
        elif item is True:
            items.append(key_text + ": true")
        elif item is False:
            items.append(key_text + ": false")
        else:
            items.append(key_text + ": " + _encode(item, inner))
    return "{\n" + inner + (",\n" + inner).join(items) + "\n" + pad + "}"
