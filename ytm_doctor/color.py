"""Whether to colour terminal output: --color, then the NO_COLOR and FORCE_COLOR conventions,
then whether the stream is a terminal.

Precedence, strongest first: `--color always|never`; NO_COLOR (https://no-color.org: set and not
empty, whatever its value, means no colour); FORCE_COLOR (https://force-color.org: set and not
empty means colour, even into a pipe or file); otherwise colour only when the stream is a
terminal. `--color auto` is the same as not giving the flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO


def use_color(choice: str | None, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """True when output written to `stream` should carry ANSI colour codes."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
