"""`ytm-doctor mcp` end to end: the SDK's own client talks to `python -m ytm_doctor mcp` over
stdio on a demo factory, and the files on disk are compared after every step.

scan -> plan_fix -> apply_plan -> undo, an unknown and a stale plan id refused with nothing
changed, the agent (the client's name) in the journal and the audit; and without the SDK the
command is one line and exit 4.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from treehash import snapshot

from ytm_doctor.demo import build_demo

mcp_types = pytest.importorskip("mcp_types")
from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

# Where the demo's configured roots are, under the demo's directory.
DEMO_ROOTS = {"workspace": "workspaces", "share": "share", "vault": "share/ytm_workspaces"}
REPORTS = "workspaces/logs/ops/ytm_doctor"  # the tool's own records: reports, plans, journals
AGENT = mcp_types.Implementation(name="test-agent", version="9.9")
# Thresholds off: this machine's free space is not the demo's (as in every writing test).
NO_DISK_STOP = ["--set", "disk.stop_free_gib=0", "--set", "disk.warn_free_gib=0"]


def tree(dest: Path) -> dict[str, tuple]:
    return snapshot(dest, exclude=(REPORTS,))


def changed(before: dict[str, tuple], after: dict[str, tuple]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    return result.structured_content


def error_text(result: Any) -> str:
    assert result.is_error
    return result.content[0].text


def audit_lines(dest: Path) -> list[dict[str, Any]]:
    path = dest / REPORTS / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def session_steps(dest: Path, errlog: Any) -> dict[str, Any]:
    """One server, one client: every step's result and the tree after it."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ytm_doctor", "mcp", "--config", str(dest / "ytm-doctor.yaml"), *NO_DISK_STOP],
        cwd=str(dest),
    )
    seen: dict[str, Any] = {"start": tree(dest)}
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write, client_info=AGENT) as session,
    ):
        await session.initialize()
        seen["tools"] = {t.name for t in (await session.list_tools()).tools}
        seen["resources"] = {str(r.uri) for r in (await session.list_resources()).resources}
        page = await session.read_resource("ytm-doctor://rules/YTM202")
        seen["page"] = page.contents[0].text
        seen["explain"] = (await session.call_tool("explain", {"code": "ytm202"})).content[0].text

        seen["scan"] = structured(await session.call_tool("scan", {}))
        latest = await session.read_resource("ytm-doctor://report/latest")
        seen["latest"] = json.loads(latest.contents[0].text)
        seen["scan_selected"] = structured(
            await session.call_tool("scan", {"select": ["YTM2"], "save": False})
        )
        seen["bad_scope"] = error_text(await session.call_tool("scan", {"channel": "nope"}))
        # An argument is only ever its own option's value, never another option.
        seen["not_a_flag"] = error_text(await session.call_tool("undo", {"run_id": "--run"}))
        seen["after_scans"] = tree(dest)

        # Two plans over the same link: once the first is applied, the second is stale.
        seen["plan"] = structured(await session.call_tool("plan_fix", {"select": ["YTM2"]}))
        seen["plan_link"] = structured(await session.call_tool("plan_fix", {"select": ["YTM202"]}))
        seen["after_plans"] = tree(dest)
        seen["unknown"] = error_text(await session.call_tool("apply_plan", {"plan_id": "nope"}))
        # A saved plan edited after planning is not the plan the agent was shown.
        edited = structured(await session.call_tool("plan_fix", {"select": ["YTM203"]}))
        with open(edited["plan_file"], "a", encoding="utf-8") as fh:
            fh.write(" ")
        seen["edited"] = error_text(
            await session.call_tool("apply_plan", {"plan_id": edited["plan_id"]})
        )
        seen["after_unknown"] = tree(dest)

        seen["applied"] = structured(
            await session.call_tool("apply_plan", {"plan_id": seen["plan"]["plan_id"]})
        )
        seen["after_apply"] = tree(dest)
        seen["stale"] = error_text(
            await session.call_tool("apply_plan", {"plan_id": seen["plan_link"]["plan_id"]})
        )
        seen["again"] = error_text(
            await session.call_tool("apply_plan", {"plan_id": seen["plan"]["plan_id"]})
        )
        seen["after_refusals"] = tree(dest)

        run_id = seen["applied"]["run_id"]
        seen["undo_preview"] = structured(await session.call_tool("undo", {"run_id": run_id}))
        seen["after_preview"] = tree(dest)
        seen["undone"] = structured(
            await session.call_tool("undo", {"run_id": run_id, "run": True})
        )
        seen["after_undo"] = tree(dest)
    return seen


@pytest.fixture(scope="module")
def demo_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    dest = tmp_path_factory.mktemp("mcp") / "factory"
    build_demo(dest)
    errlog_path = dest.parent / "server-stderr.txt"
    with open(errlog_path, "w", encoding="utf-8") as errlog:
        seen = anyio.run(session_steps, dest, errlog)
    return dest, seen, errlog_path.read_text(encoding="utf-8")


def test_tools_and_resources_are_listed(demo_session) -> None:
    _, seen, _ = demo_session
    assert seen["tools"] == {"scan", "explain", "plan_fix", "apply_plan", "undo"}
    assert "ytm-doctor://report/latest" in seen["resources"]
    assert "ytm-doctor://rules/YTM202" in seen["resources"]
    assert seen["page"].startswith("# YTM202")
    assert seen["page"] == seen["explain"]


def test_scan_reports_and_saves_like_the_cli_and_changes_nothing(demo_session) -> None:
    _, seen, _ = demo_session
    scan = seen["scan"]
    assert scan["exit_code"] == 1  # the demo plants violations
    assert scan["report"]["summary"]["exit_code"] == 1
    # The full scan saved latest.json, which the resource serves.
    assert seen["latest"]["run"]["id"] == scan["report"]["run"]["id"]
    selected = seen["scan_selected"]["report"]
    assert selected["findings"]
    assert {f["rule"][:4] for f in selected["findings"]} == {"YTM2"}
    assert "--channel nope" in seen["bad_scope"]
    assert seen["after_scans"] == seen["start"]


def test_plan_fix_saves_a_plan_and_changes_nothing(demo_session) -> None:
    dest, seen, _ = demo_session
    plan = seen["plan"]
    assert plan["plan_id"] and plan["plan"]["fixes"]
    saved = Path(plan["plan_file"])
    assert saved.is_file() and saved.is_relative_to(dest / REPORTS)
    assert json.loads(saved.read_text(encoding="utf-8"))["fixes"] == plan["plan"]["fixes"]
    assert {f["rule"] for f in seen["plan_link"]["plan"]["fixes"]} == {"YTM202"}
    assert seen["after_plans"] == seen["start"]


def test_an_unknown_id_or_an_edited_plan_is_refused_and_nothing_changes(demo_session) -> None:
    _, seen, _ = demo_session
    assert "unknown plan id 'nope'" in seen["unknown"]
    assert "changed since it was planned" in seen["edited"]
    assert seen["after_unknown"] == seen["start"]


def test_apply_plan_changes_exactly_what_the_plan_names(demo_session) -> None:
    _, seen, _ = demo_session
    applied = seen["applied"]
    assert applied["ok"] and applied["undoable"]
    assert {r["status"] for r in applied["results"]} == {"applied"}
    # Every path the plan's actions name changed, and nothing else did.
    named = {
        os.path.join(DEMO_ROOTS[ref["root"]], ref["rel"])
        for fix in seen["plan"]["plan"]["fixes"]
        for action in fix["actions"]
        for ref in (action["path"], action.get("dest"))
        if ref
    }
    assert changed(seen["start"], seen["after_apply"]) == named
    link = "share/ytm_workspaces/video/input/CH02/_shared_bgm"
    assert seen["after_apply"][link] == ("link", "../../../../asset_vault/bgm")


def test_a_stale_plan_and_a_used_one_are_refused_and_nothing_changes(demo_session) -> None:
    _, seen, _ = demo_session
    assert seen["stale"].startswith("Error executing tool apply_plan: stale plan:")
    assert "nothing was applied" in seen["stale"]
    assert "already applied by run " + seen["applied"]["run_id"] in seen["again"]
    assert seen["after_refusals"] == seen["after_apply"]


def test_undo_previews_then_restores_the_tree(demo_session) -> None:
    _, seen, _ = demo_session
    preview = seen["undo_preview"]
    assert preview["dry_run"] and {g["status"] for g in preview["groups"]} == {"ready"}
    assert seen["after_preview"] == seen["after_apply"]
    assert {g["status"] for g in seen["undone"]["groups"]} == {"undone"}
    assert seen["after_undo"] == seen["start"]
    # A run id that looks like a flag is a run id (none such), not `undo --run`.
    assert "no journal for run --run" in seen["not_a_flag"]


def test_the_agent_is_named_in_the_journal_and_the_audit(demo_session) -> None:
    dest, seen, _ = demo_session
    by_run = {line.get("run_id"): line for line in audit_lines(dest)}
    apply = by_run[seen["applied"]["run_id"]]
    assert apply["command"] == "apply" and apply["agent"] == "test-agent 9.9"
    assert apply["via"] == "mcp" and apply["plan_id"] == seen["plan"]["plan_id"]
    undo = by_run[seen["undone"]["undo_id"]]
    assert undo["undo_of"] == apply["run_id"] and undo["agent"] == "test-agent 9.9"
    refused = [
        line for line in audit_lines(dest) if line.get("plan_id") == seen["plan_link"]["plan_id"]
    ]
    assert [(r["agent"], r["refused"]) for r in refused] == [("test-agent 9.9", 1)]
    journal = Path(seen["applied"]["journal"]).read_text(encoding="utf-8").splitlines()[0]
    assert json.loads(journal)["agent"] == "test-agent 9.9"


def test_the_server_says_nothing_alarming_on_stderr(demo_session) -> None:
    _, _, stderr = demo_session
    assert "Traceback" not in stderr


def test_without_the_sdk_the_command_is_one_line(world, cli, monkeypatch) -> None:
    # A None entry makes `import mcp...` fail as if the package were not installed.
    for name in ("mcp", "mcp_types"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "ytm_doctor.mcp.server", raising=False)
    result = cli("mcp", "--config", str(world.config_file))
    assert result.code == 4
    assert result.out == ""
    assert result.err_lines == [
        "ytm-doctor: error: the mcp command needs the MCP SDK: "
        "install with pip install 'ytm-doctor[mcp]'"
    ]
