"""The `ytm-doctor` console script and `python -m ytm_doctor`.

Start-up imports take up to a few tenths of a second (pluggy, yaml, the checks). Until they
are done nothing has been read, written or locked, so Ctrl-C or SIGTERM then ends the process
at once with one line and exit 2, instead of a traceback from the middle of an import. This
module imports nothing of ytm-doctor's before its handlers are in place (`import ytm_doctor`
itself is cheap: its public names load on first use).
"""

from __future__ import annotations

import _signal  # the C module: `signal` would import enum first, ~10 ms without a handler
import os
import sys

INTERRUPTED = 2  # ExitCode.INTERRUPTED, without importing it yet


def _leave_now(signum: int, frame: object) -> None:
    # os._exit: an exception raised here could be caught half-way by an import in progress.
    how = " by SIGTERM" if signum == _signal.SIGTERM else ""
    os.write(2, f"ytm-doctor: interrupted{how}\n".encode())
    os._exit(INTERRUPTED)


def console_main() -> int:
    for signum in (_signal.SIGINT, _signal.SIGTERM):
        if _signal.getsignal(signum) is not _signal.SIG_IGN:  # ignored at start: stays ignored
            _signal.signal(signum, _leave_now)
    from ytm_doctor import cli

    code = cli.console_main()  # installs the handlers that unwind (locks, roll-back)
    # The run is over: a signal now could only turn its result into a traceback or a kill.
    for signum in (_signal.SIGINT, _signal.SIGTERM):
        _signal.signal(signum, _signal.SIG_IGN)
    return code


def _module_main() -> None:
    code = console_main()
    if code == INTERRUPTED:
        # Under `python -m` only, CPython remembers a KeyboardInterrupt that ended inside an
        # exec() (dataclasses build their methods so) even when it was handled, and kills the
        # process with SIGINT at exit. Leave with the exit code chosen, the streams flushed.
        import contextlib  # the run is over: no hurry any more

        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    _module_main()
