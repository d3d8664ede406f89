"""`ytm-doctor mcp`: the tools of ytm_doctor.mcp.tools served over stdio with the official MCP
SDK (the optional extra `ytm-doctor[mcp]`). This module only declares the tools and resources
and turns a refusal into the one-line error result an agent reads; the work is in tools.py.

The agent named in the journal and the audit is the client's own name, from the initialize
request's clientInfo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import ToolAnnotations

from ytm_doctor import __version__
from ytm_doctor.errors import UsageError
from ytm_doctor.mcp.tools import UNKNOWN_AGENT, Doctor, ToolRefused, selection_args

INSTRUCTIONS = """ytm-doctor checks a video workspace (Hot, local) and its share (Vault).
scan finds problems; explain CODE tells what a rule means and how to fix it by hand;
plan_fix plans the automatic fixes and returns a plan_id (nothing changes);
apply_plan applies that plan whole, or refuses it when the disk changed since (plan again);
undo previews, then with run=true reverts, a run by its run_id."""

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
# scan saves its report (history), which is all it writes.
SAVES_REPORT = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
CHANGES_FILES = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)


def agent_name(ctx: Context) -> str:
    """The MCP client's name and version as it introduced itself."""
    params = ctx.session.client_params
    info = params.client_info if params is not None else None
    if info is None or not info.name:
        return UNKNOWN_AGENT
    return f"{info.name} {info.version}".strip() if info.version else info.name


def answer(doctor: Doctor, work: Callable[[], Any], error: type[Exception] = ToolError) -> Any:
    """Run one call; bad input and refusals become the error result the agent reads (the
    SDK hides any other exception's text from the client)."""
    try:
        return doctor.call(work)
    except (UsageError, ToolRefused) as exc:
        raise error(str(exc)) from None


def build_server(doctor: Doctor) -> MCPServer:
    server = MCPServer(
        "ytm-doctor", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    @server.tool(annotations=SAVES_REPORT)
    def scan(
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        channel: str | None = None,
        video: str | None = None,
        save: bool = True,
    ) -> dict[str, Any]:
        """Scan the workspace and the share, as `ytm-doctor scan --json`. select/ignore: rule
        code prefixes (e.g. ["YTM2"]); channel (CH02) and video (011) narrow the findings.
        Returns the exit code (0 clean, 1 violations) and the JSON report."""
        args = selection_args(select, ignore, channel, video)
        return answer(doctor, lambda: doctor.scan(args, save))

    @server.tool(annotations=READ_ONLY)
    def explain(code: str) -> str:
        """A rule's page (Markdown): what it finds, why it matters, how to fix it."""
        return answer(doctor, lambda: doctor.explain(code))

    @server.tool(annotations=SAVES_REPORT)
    def plan_fix(
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        channel: str | None = None,
        video: str | None = None,
        fingerprints: list[str] | None = None,
    ) -> dict[str, Any]:
        """Plan the fixes of the current findings, as `ytm-doctor fix` (a dry run: nothing
        changes). Returns the plan and its plan_id for apply_plan (none when nothing to fix)."""
        args = selection_args(select, ignore, channel, video)
        for fingerprint in fingerprints or []:
            args.append(f"--fingerprint={fingerprint}")
        return answer(doctor, lambda: doctor.plan_fix(args))

    @server.tool(annotations=CHANGES_FILES)
    def apply_plan(plan_id: str, ctx: Context) -> dict[str, Any]:
        """Apply a plan plan_fix returned, whole: refused (nothing changed) when the id is
        unknown or any fix no longer matches the disk. Journaled and audited under your name;
        returns the run_id that undo takes."""
        agent = agent_name(ctx)
        return answer(doctor, lambda: doctor.apply_plan(plan_id, agent))

    @server.tool(annotations=CHANGES_FILES)
    def undo(run_id: str, ctx: Context, run: bool = False) -> dict[str, Any]:
        """Revert a run by its run_id: a preview by default; run=true reverts (audited)."""
        agent = agent_name(ctx)
        return answer(doctor, lambda: doctor.undo(run_id, run, agent))

    @server.resource(
        "ytm-doctor://report/latest",
        name="latest report",
        description="the last full scan's JSON report (latest.json)",
        mime_type="application/json",
    )
    def latest_report() -> str:
        return answer(doctor, doctor.latest_report, ResourceError)

    for code in doctor.call(doctor.rule_codes):
        server.resource(
            f"ytm-doctor://rules/{code}",
            name=f"rule {code}",
            description=f"the page of rule {code}",
            mime_type="text/markdown",
        )(_rule_page(doctor, code))
    return server


def _rule_page(doctor: Doctor, code: str) -> Callable[[], str]:
    def page() -> str:  # a static resource's function takes no arguments
        return answer(doctor, lambda: doctor.explain(code), ResourceError)

    return page


def serve(doctor: Doctor) -> None:
    """Serve until the client closes stdin."""
    build_server(doctor).run("stdio")
