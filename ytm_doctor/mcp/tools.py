"""What the MCP server's tools do, without the SDK: each tool is a command line prepared the way
the CLI prepares it (ytm_doctor.cli.prepare: plugins, configuration, the redacted argv) and run
through the same functions as `scan`, `fix`, `apply` and `undo`.

Nothing here writes to stdout: the protocol owns it. The scan's JSON report, which the CLI
prints, is captured and handed back as data.

A plan is applied only by the id `plan_fix` returned in this server's life, and only whole:
when any of its fixes would be refused now (stale: the disk changed since planning; or a
guard: the stop threshold, the share, an unposted episode), nothing is applied.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.cli import Prepared, prepare
from ytm_doctor.commands.options import config_options, parse_scope
from ytm_doctor.errors import UsageError
from ytm_doctor.jsonio import JsonInputError, loads_json

if TYPE_CHECKING:
    from ytm_doctor.config import Config

PLANS_DIR = "mcp_plans"  # under the report directory, beside the journals they lead to
UNKNOWN_AGENT = "unknown agent"


class ToolRefused(Exception):
    """A tool call that changes nothing, for a reason the agent is told in one line."""


@dataclass
class PlanRecord:
    path: Path
    sha256: str
    applied_by: str = ""  # the run that applied it


@dataclass
class Doctor:
    """The tools, for one server: its configuration options and the plans it returned."""

    config_args: list[str]
    plans: dict[str, PlanRecord] = field(default_factory=dict)
    # One tool call at a time: the scan's stdout is captured process-wide, and a fix run
    # would only wait for another call's lock anyway.
    busy: threading.Lock = field(default_factory=threading.Lock)

    def prepare(self, command: str, *args: str) -> Prepared:
        prepared = prepare([command, *self.config_args, *args])
        if prepared.config is None:  # only a standalone command has none
            raise UsageError(f"{command} needs a configuration")
        return prepared

    def call(self, work: Callable[[], Any]) -> Any:
        with self.busy:
            return work()

    def scan(self, selection: list[str], save: bool = True) -> dict[str, Any]:
        """`ytm-doctor scan --json` with the selection; the report as data and the exit code."""
        prepared = self.prepare("scan", "--json", *selection, *([] if save else ["--no-save"]))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = prepared.run()
        if not out.getvalue().strip():
            raise ToolRefused(f"the scan wrote no report (exit {code}): another scan is running")
        try:
            report = loads_json(out.getvalue(), what="the scan's report", source="scan --json")
        except JsonInputError as exc:
            raise ToolRefused(str(exc)) from None
        return {"exit_code": int(code), "report": report}

    def explain(self, code: str) -> str:
        from ytm_doctor.commands.explain import page_text

        return page_text(self.prepare("explain", "--", code).config, code)

    def rule_codes(self) -> list[str]:
        from ytm_doctor.collect import collect_checks

        return sorted(c.rule.code for c in collect_checks(self.prepare("list").config))

    def latest_report(self) -> str:
        from ytm_doctor.report import LATEST_NAME

        config = self.prepare("scan").config
        path = config.paths.report_dir / LATEST_NAME
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ToolRefused(f"no saved report at {path} ({exc.strerror}): scan first") from None

    def plan_fix(self, selection: list[str]) -> dict[str, Any]:
        """`ytm-doctor fix --plan-out FILE` with the selection: the plan, saved, and its id."""
        from ytm_doctor.atomic import write_atomic
        from ytm_doctor.fixing import plan_fixes

        prepared = self.prepare("fix", *selection)
        config = prepared.config
        planned, _ = plan_fixes(config, parse_scope(prepared.options), prepared.argv)
        plan = planned.plan
        result: dict[str, Any] = {
            "plan_id": None,
            "plan": plan.to_json(),
            "without_fixer": planned.without_fixer,
            "info_unselected": planned.info_unselected,
        }
        if not plan.fixes:
            return result
        plan_id = f"{plan.stamp}-{secrets.token_hex(4)}"
        path = config.paths.report_dir / PLANS_DIR / f"plan__{plan_id}.json"
        text = plan.dumps().encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
        except OSError as exc:
            raise UsageError(f"cannot write the plan to {path}: {exc}") from None
        self.plans[plan_id] = PlanRecord(path, hashlib.sha256(text).hexdigest())
        return {**result, "plan_id": plan_id, "plan_file": os.fspath(path)}

    def apply_plan(self, plan_id: str, agent: str) -> dict[str, Any]:
        """`ytm-doctor apply FILE --run` of a plan this server returned, whole or not at all."""
        from ytm_doctor.fix.run_lock import RunBusy, run_lock

        record = self.plans.get(plan_id)
        if record is None:
            raise ToolRefused(
                f"unknown plan id {plan_id!r}: apply_plan applies only a plan_id that plan_fix "
                "returned in this session"
            )
        if record.applied_by:
            raise ToolRefused(f"plan {plan_id} was already applied by run {record.applied_by}")
        prepared = self.prepare("apply", os.fspath(record.path), "--run")
        try:
            with run_lock(prepared.config, "apply", prepared.argv):
                return self._apply_locked(prepared, plan_id, record, agent)
        except RunBusy as exc:
            raise ToolRefused(f"{exc}; nothing done") from None

    def _apply_locked(
        self, prepared: Prepared, plan_id: str, record: PlanRecord, agent: str
    ) -> dict[str, Any]:
        from ytm_doctor.context import Context
        from ytm_doctor.fix.journal import audit
        from ytm_doctor.fix.operation import operations_for
        from ytm_doctor.fix.output import result_json
        from ytm_doctor.fix.plan import Plan
        from ytm_doctor.fix.run import check_plan, run_plan

        config = prepared.config
        text = _read_plan(record)
        registry = operations_for(config)
        plan = Plan.loads(text, os.fspath(record.path), registry)
        ctx = Context(config)
        who = {"agent": agent, "via": "mcp", "plan_id": plan_id}
        checked = check_plan(ctx, plan.fixes, registry)
        refused = [r for r in checked if r.status != "ready"]
        if refused:
            stale = any(reason.startswith("stale:") for r in refused for reason in r.reasons)
            # Audited like a run: an agent's refused attempt is worth knowing about too.
            audit(
                config.paths.report_dir,
                {"command": "apply", "argv": prepared.argv, "refused": len(refused), **who},
            )
            reasons = "; ".join(f"[{r.index}] {'; '.join(r.reasons)}" for r in refused[:3])
            what = "stale plan" if stale else "plan refused"
            raise ToolRefused(
                f"{what}: {len(refused)} of {len(checked)} fixes would be refused now, so "
                f"nothing was applied ({reasons}); call plan_fix again"
            )
        outcome = run_plan(
            ctx,
            plan.fixes,
            registry,
            command="apply",
            argv=prepared.argv,
            header={"plan_created": plan.to_json()["created"], **who},
            audit_extra=lambda _: who,
        )
        record.applied_by = outcome.run_id
        return {
            "run_id": outcome.run_id,
            "journal": os.fspath(outcome.journal),
            "ok": outcome.ok,
            "undoable": outcome.undoable,
            "results": [result_json(r) for r in outcome.results],
        }

    def undo(self, run_id: str, run: bool, agent: str) -> dict[str, Any]:
        """`ytm-doctor undo RUN_ID [--run]`: the preview, or the undo run (under fix.lock)."""
        from ytm_doctor.context import Context
        from ytm_doctor.fix.operation import operations_for
        from ytm_doctor.fix.run_lock import RunBusy, run_lock
        from ytm_doctor.fix.undo import plan_undo, run_undo

        prepared = self.prepare("undo", *(["--run"] if run else []), "--", run_id)
        config = prepared.config
        registry = operations_for(config)
        ctx = Context(config)
        plan = plan_undo(ctx, registry, run_id)  # a bad run id is refused before any lock
        if not run:
            return {"run_id": run_id, "dry_run": True, "groups": _groups(plan.groups)}
        try:
            with run_lock(config, "undo", prepared.argv):
                plan = plan_undo(ctx, registry, run_id)  # judged again under the lock
                outcome = run_undo(
                    ctx, registry, plan, prepared.argv, audit_extra={"agent": agent, "via": "mcp"}
                )
        except RunBusy as exc:
            raise ToolRefused(f"{exc}; nothing done") from None
        return {
            "run_id": run_id,
            "undo_id": outcome.undo_id,
            "journal": os.fspath(outcome.journal),
            "groups": _groups(outcome.groups),
        }


def _read_plan(record: PlanRecord) -> bytes:
    try:
        text = record.path.read_bytes()
    except OSError as exc:
        raise ToolRefused(f"the plan file {record.path} cannot be read: {exc.strerror}") from None
    if hashlib.sha256(text).hexdigest() != record.sha256:
        raise ToolRefused(f"the plan file {record.path} changed since it was planned")
    return text


def _groups(groups: list[Any]) -> list[dict[str, Any]]:
    """Undo groups as data: each fix's inverses (described), its problems, its status."""
    return [
        {
            "fix": g.fix,
            "status": g.status or ("refused" if g.problems else "ready"),
            "steps": [s.op.describe_inverse(s.inverse) for s in g.steps],
            "problems": g.problems,
            **({"error": g.error} if g.error else {}),
        }
        for g in groups
    ]


def selection_args(
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    channel: str | None = None,
    video: str | None = None,
) -> list[str]:
    """The CLI's selection and scope options for a tool's arguments. Each as `--opt=value`: an
    agent's value is only ever that option's value, never read as another option."""
    args: list[str] = []
    if select:
        args.append("--select=" + ",".join(select))
    if ignore:
        args.append("--ignore=" + ",".join(ignore))
    if channel:
        args.append(f"--channel={channel}")
    if video:
        args.append(f"--video={video}")
    return args


def server_config_args(config: Config, options: argparse.Namespace) -> list[str]:
    """The configuration options the server was started with, as arguments each tool call
    passes again; the config file by its absolute path (found once, as the CLI finds it)."""
    parser = argparse.ArgumentParser(add_help=False)
    config_options(parser)
    args: list[str] = []
    for action in parser._actions:
        flag, value = action.option_strings[-1], getattr(options, action.dest, None)
        if action.dest == "config":
            value = os.path.abspath(config.file) if config.file else None
        for item in value if isinstance(value, list) else [value]:
            if item:
                args += [flag, str(item)]
    return args
