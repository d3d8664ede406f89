"""`ytm-doctor demo`: build a sample factory to try ytm-doctor on (needs no configuration)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ytm_doctor.commands.base import Command
from ytm_doctor.errors import ExitCode


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dest",
        metavar="DIR",
        default="ytm-doctor-demo",
        help="where to build it (default: ./ytm-doctor-demo); an earlier "
        "demo there is replaced, any other non-empty directory refused",
    )


def run(config: None, options: argparse.Namespace, argv: list[str]) -> int:
    return demo(options)


def demo(options: argparse.Namespace) -> int:
    from ytm_doctor.demo import build_demo

    info = build_demo(Path(options.dest).absolute())
    print(f"built a sample factory in {info.dest}")
    for code, where in sorted(info.instances.items()):
        print(f"  {code}  {where}")
    print("\nscan it:")
    print(f"  ytm-doctor --config {info.config}")
    print(f"  ytm-doctor --config {info.offline_config}   # the same Mac while the share is down")
    print(f"  ytm-doctor --config {info.gateway_config}   # a host that mounted the wrong export")
    return ExitCode.OK


COMMAND = Command(
    name="demo",
    help="build a sample factory to try ytm-doctor on",
    add_options=add_options,
    run=run,
    loads_plugins=False,
    standalone=True,
)
