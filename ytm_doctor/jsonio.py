"""Reading JSON the tool did not just write: bounded, decoded and parsed in one place.

Sentinels, status.json, draft info files, store manifests, locks, mirror logs, plan files and
journal lines all come from disk (or the share) and may be missing, torn, huge or not JSON at
all. Every reader here fails the same way: one `JsonInputError` whose `kind` tells the caller
what went wrong (a check may treat "missing" differently from "not JSON") and whose str() is a
single line naming the input, so that no caller has to print a parser's traceback.
"""

from __future__ import annotations

import errno
import json
import os
import re
from typing import Any

# What went wrong, as `JsonInputError.kind`.
MISSING = "missing"  # no file at that path
UNREADABLE = "unreadable"  # the file exists but cannot be read (permission, a directory...)
TOO_LARGE = "too-large"  # more than max_bytes: refused unread rather than truncated
NOT_UTF8 = "not-utf8"
INVALID_JSON = "invalid-json"
NOT_OBJECT = "not-object"  # parsed, but the caller needs a JSON object

# What open(O_NOFOLLOW) of a symlink fails with: ELOOP on Linux and macOS, EMLINK on FreeBSD.
_NOFOLLOW_ERRNOS = (errno.ELOOP, errno.EMLINK)


class JsonInputError(ValueError):
    """A JSON input that cannot be used. A ValueError, as json's own errors are, so that code
    which already treats bad values as a failed step (the Executor) keeps doing so.

    `what` names the input for a person ("plan file", "the Vault sentinel"), `source` is its
    path (or where the text came from), `reason` the standard phrase for `kind` and `detail`
    the specific part of it (the OS's error, the parser's position) for callers that phrase
    their own messages."""

    def __init__(self, kind: str, what: str, source: str, reason: str, detail: str = "") -> None:
        super().__init__(f"{what} {source}: {reason}")
        self.kind = kind
        self.what = what
        self.source = source
        self.reason = reason
        self.detail = detail or reason


def read_json(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    what: str,
    allow_bom: bool = False,
    follow_symlinks: bool = True,
) -> Any:
    """The JSON value in the file at `path`, reading at most `max_bytes` of it.

    A larger file is refused (TOO_LARGE), never parsed truncated. `allow_bom` accepts a UTF-8
    byte-order mark (files hand-edited on Windows or by some editors). With
    `follow_symlinks=False` a symlink at `path` itself is refused (UNREADABLE) instead of read
    through; directories above it are still followed."""
    source = os.fspath(path)
    raw = _read_bounded(source, max_bytes, what, follow_symlinks)
    return loads_json(raw, what=what, source=source, allow_bom=allow_bom)


def loads_json(data: str | bytes, *, what: str, source: str, allow_bom: bool = False) -> Any:
    """The JSON value in `data` (bytes are decoded as UTF-8 first; text is parsed as is)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig" if allow_bom else "utf-8")
        except UnicodeDecodeError as exc:
            detail = f"bad byte at offset {exc.start}"
            raise JsonInputError(NOT_UTF8, what, source, f"not UTF-8 ({detail})", detail) from None
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        detail = "nested too deeply"
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    raise JsonInputError(INVALID_JSON, what, source, f"invalid JSON: {detail}", detail)


def expect_object(data: Any, *, what: str, source: str) -> dict[str, Any]:
    """`data` when it is a JSON object; NOT_OBJECT otherwise."""
    if isinstance(data, dict):
        return data
    detail = type(data).__name__
    raise JsonInputError(NOT_OBJECT, what, source, f"must be an object, got {detail}", detail)


def loads_json_object(
    data: str | bytes, *, what: str, source: str, allow_bom: bool = False
) -> dict[str, Any]:
    """loads_json, then expect_object."""
    value = loads_json(data, what=what, source=source, allow_bom=allow_bom)
    return expect_object(value, what=what, source=source)


def read_json_object(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    what: str,
    allow_bom: bool = False,
    follow_symlinks: bool = True,
) -> dict[str, Any]:
    """read_json, then expect_object: the common case of a file that must hold an object."""
    data = read_json(
        path,
        max_bytes=max_bytes,
        what=what,
        allow_bom=allow_bom,
        follow_symlinks=follow_symlinks,
    )
    return expect_object(data, what=what, source=os.fspath(path))


def _read_bounded(source: str, max_bytes: int, what: str, follow_symlinks: bool) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(source, flags)
    except OSError as exc:
        raise _open_error(exc, source, what, follow_symlinks) from None
    try:
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:  # e.g. EISDIR: open() of a directory succeeds on Linux
        raise _open_error(exc, source, what, follow_symlinks) from None
    if len(raw) > max_bytes:
        reason = f"larger than {max_bytes} bytes"
        raise JsonInputError(TOO_LARGE, what, source, reason)
    return raw


def _open_error(exc: OSError, source: str, what: str, follow_symlinks: bool) -> JsonInputError:
    if isinstance(exc, FileNotFoundError):
        return JsonInputError(MISSING, what, source, "no such file")
    if isinstance(exc, IsADirectoryError):
        detail = "is a directory, not a file"
    elif (
        not follow_symlinks and exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(source)
    ):
        # O_NOFOLLOW on a symlink: ELOOP on Linux and macOS, EMLINK on FreeBSD.
        detail = "is a symlink, which is not followed here"
    else:
        detail = exc.strerror or type(exc).__name__
    return JsonInputError(UNREADABLE, what, source, f"cannot be read: {detail}", detail)


_LONE_SURROGATE = re.compile("[\udc80-\udcff]")


def dumps_json(data: Any, *, indent: int | None = None) -> str:
    """JSON text for a record the tool reads back (a plan, a journal line, a manifest, a
    marker): names that are not UTF-8 (bytes kept as lone surrogates by os.fsdecode) are written
    as `\\udcNN` escapes, which json.loads turns back into the same name. The text stays valid
    UTF-8, and other non-ASCII (Japanese names) stays readable."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
