"""`ytm-doctor mcp`: serve scan, explain, plan_fix, apply_plan and undo to an agent over stdio
(the Model Context Protocol). Needs the optional extra: pip install 'ytm-doctor[mcp]'."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ytm_doctor.commands.base import Command, no_options
from ytm_doctor.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from ytm_doctor.config import Config

INSTALL_HINT = "the mcp command needs the MCP SDK: install with pip install 'ytm-doctor[mcp]'"


def run(config: Config, options: argparse.Namespace, argv: list[str]) -> int:
    try:
        from ytm_doctor.mcp.server import serve
    except ImportError as exc:
        # Only the SDK's own absence is the user's to fix; a broken ytm_doctor module is a bug.
        if (exc.name or "").split(".")[0] not in ("mcp", "mcp_types"):
            raise
        raise UsageError(INSTALL_HINT) from None
    from ytm_doctor.mcp.tools import Doctor, server_config_args

    serve(Doctor(server_config_args(config, options)))
    return ExitCode.OK


COMMAND = Command(
    name="mcp",
    help="serve scan, explain, fix and undo to an AI agent over stdio (MCP server)",
    add_options=no_options,
    run=run,
    needs_valid_config=True,
)
