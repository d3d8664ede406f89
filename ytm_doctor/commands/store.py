"""`ytm-doctor store`: final artifacts to the shared store (ytm_doctor/store/command.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command
from ytm_doctor.commands.options import override_options

if TYPE_CHECKING:
    from ytm_doctor.config import Config

# The optional first argument. "sync" is the old store script's name for the default (a single
# file), kept so that commands people already type keep working.
WHAT = ("episode", "flush-outbox", "sync")


def add_options(parser: argparse.ArgumentParser) -> None:
    from ytm_doctor.store.manifest import KINDS  # the store's modules: only for its parser

    parser.add_argument(
        "what",
        nargs="?",
        choices=WHAT,
        metavar="episode|flush-outbox|sync",
        help="store one episode's L1 artifacts, or move the outbox to the share "
        "(default: store --src PATH; `store sync --src PATH` is the same, the old script's name)",
    )
    group = parser.add_argument_group("what to store")
    group.add_argument("--src", metavar="PATH", help="the file to store (one L1 artifact)")
    group.add_argument(
        "--kind",
        choices=KINDS,
        metavar="KIND",
        help=f"its kind when its path does not tell: {', '.join(KINDS)}",
    )
    group.add_argument("--channel", metavar="CH", help="its channel, e.g. CH02")
    group.add_argument("--video", metavar="NNN", help="its video number, e.g. 012")
    group.add_argument(
        "--run-id",
        metavar="RUN",
        help="the run of a Remotion mp4 or CapCut export (names it <run_id>.mp4)",
    )
    group.add_argument(
        "--include-remotion",
        action="store_true",
        help="episode: also the Remotion final.mp4 (of --run-id, else the adopted run)",
    )
    group.add_argument(
        "--skip-audio",
        action="store_true",
        help="episode: leave the final audio (audio/final/CH/NNN/*.wav, *.srt) out",
    )
    running = parser.add_argument_group("running")
    running.add_argument(
        "--run", action="store_true", help="store now (default: print the plan, change nothing)"
    )
    local = running.add_mutually_exclusive_group()
    local.add_argument(
        "--symlink-back",
        action="store_true",
        help="after verification, replace the local file with a symlink to the stored copy",
    )
    local.add_argument(
        "--move",
        action="store_true",
        help="after verification, remove the local file (undo copies it back)",
    )
    running.add_argument(
        "--if-share-up",
        action="store_true",
        help="flush-outbox, for scheduled runs: while the share is down (a stub, not mounted), "
        "say so in one line and exit 0; nothing is written",
    )
    running.add_argument("--json", action="store_true", help="the plan or results as JSON")
    override_options(parser)


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    from ytm_doctor.store.command import store_command

    return store_command(config, options, argv)


COMMAND = Command(
    name="store",
    help="copy final artifacts to the shared store, verified (dry-run; --run to store)",
    add_options=add_options,
    run=run,
    loads_plugins=False,
    needs_valid_config=True,
)
