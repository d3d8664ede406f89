"""The names other parts read of the mirror's files: its run logs, its lock, rsync's exit codes.

Kept apart from the engine so that a scan (YTM703, YTM704, `status`) reads them without importing
the mirror's machinery (rsync, filters, the link walk): a tenth of a small scan's start-up.
"""

from __future__ import annotations

LOG_DIR = "logs/ops/workspaces_mirror"  # the run logs, under the Hot workspace
LOG_PREFIX = "workspaces_mirror__"
LOCK_NAME = "mirror"

RSYNC_EXIT = {
    1: "syntax or usage error",
    2: "protocol incompatibility",
    3: "errors selecting input/output files, directories",
    4: "requested action not supported",
    5: "error starting client-server protocol",
    10: "error in socket I/O",
    11: "error in file I/O",
    12: "error in rsync protocol data stream",
    13: "errors with program diagnostics",
    14: "error in IPC code",
    15: "sibling process crashed",
    16: "sibling process was killed by a signal",
    19: "received SIGUSR1",
    20: "received SIGINT, SIGTERM, or SIGHUP",
    21: "some error returned by waitpid()",
    22: "error allocating core memory buffers",
    23: "partial transfer due to error",
    24: "partial transfer due to vanished source files",
    25: "the --max-delete limit stopped deletions",
    30: "timeout in data send/receive",
    35: "timeout waiting for daemon connection",
}
