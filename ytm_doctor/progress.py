"""Progress of a long scan: one self-overwriting line on stderr when it is a terminal (SPEC §9).

Silent when stderr is a pipe, a file or the journal, so scheduled scans and agents reading the
output never see it. Quick scans never see it either: nothing is drawn before `INTERVAL_S`.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

INTERVAL_S = 0.5  # between redraws, and before the first one


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """Draws `text` at most every INTERVAL_S; `clear()` erases the line before the report."""

    def __init__(self, stream: TextIO | None = None, interval: float | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream)
        self.interval = INTERVAL_S if interval is None else interval
        self._next = time.monotonic() + self.interval
        self._drawn = 0  # width of what is on the line now

    def walking(self, root: str) -> Callable[[int], None] | None:
        """The callback the walk calls with its entry count; None when there is no terminal,
        so the walk does not even count for us."""
        if not self.enabled:
            return None

        def update(entries: int) -> None:
            self.show(f"walking {root}: {entries:,} entries...")

        return update

    def show(self, text: str) -> None:
        now = time.monotonic()
        if not self.enabled or now < self._next:
            return
        self._next = now + self.interval
        # Wider than the terminal, the line would wrap and \r could not take it back.
        width = max(10, shutil.get_terminal_size((80, 24)).columns - 1)
        text = text[:width]
        pad = " " * max(0, self._drawn - len(text))
        self._write("\r" + text + pad)
        self._drawn = len(text)

    def clear(self) -> None:
        if self._drawn:
            self._write("\r" + " " * self._drawn + "\r")
            self._drawn = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is not worth dying for
            self.enabled = False
