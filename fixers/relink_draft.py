"""relink-draft (YTM401, YTM402): point an unposted episode's run at its local CapCut draft,
updating the `capcut_draft` link and `capcut_draft_info.json` together (seed 001 §0.2.2-0.2.3:
relink_capcut_draft).

Only with exactly one local candidate, or the draft named with --draft-dir (which then applies
to one episode only). The old link is renamed aside; the old info file is backed up.
"""

from __future__ import annotations

import json
import os

from ytm_doctor.facts import DraftFacts, NotFixable, path_ref
from ytm_doctor.fix.fixer import FixContext, Fixer, fix_for, read_bytes
from ytm_doctor.fix.plan import Action
from ytm_doctor.jsonio import JsonInputError, loads_json_object
from ytm_doctor.plugins.hookspec import hookimpl

INFO_NAME = "capcut_draft_info.json"


def updated_info(current: bytes | None, draft: str, episode: str | None) -> bytes:
    """The info file with draft_path changed and every other key kept."""
    data: dict = {}
    if current:
        try:
            # BOM allowed: YTM401/YTM402 read this file so, and its keys must not be lost here.
            data = loads_json_object(current, what=INFO_NAME, source="(current)", allow_bom=True)
        except JsonInputError:
            data = {}
    data["draft_path"] = draft
    if episode and "episode" not in data:
        data["episode"] = episode
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


class RelinkDraft(Fixer):
    name = "relink-draft"
    summary = "relink video/runs/<run>/capcut_draft and its info file to the local draft"
    resolves_with = ("draft_dir",)

    def plan(self, findings, fx):
        chosen = fx.option("draft_dir")
        if chosen and len(findings) > 1:
            for finding in findings:
                yield fx.unfixable(
                    finding,
                    "--draft-dir names one draft: select one episode "
                    "(--channel/--video or --fingerprint)",
                )
            return
        for finding in findings:
            facts = DraftFacts.from_finding(finding)
            try:
                draft = self._draft_for(facts, chosen, fx)
            except NotFixable as exc:
                yield fx.unfixable(finding, exc.reason)
                continue
            link = path_ref("workspace", finding.path, finding, "its path")
            info = link.sibling(INFO_NAME)
            actions = []
            if fx.state(link)["kind"] != "missing":
                actions.append(
                    Action(
                        "rename",
                        link,
                        dest=link.sibling(fx.backup_name(link.name)),
                        note="keep the old link aside",
                    )
                )
            actions.append(Action("symlink", link, target=draft))
            info_state = fx.state(info)
            current = read_bytes(fx.abs(info)) if info_state["kind"] == "file" else None
            data = updated_info(current, draft, finding.episode)
            actions.append(Action("replace" if current is not None else "write", info, data=data))
            yield fix_for(
                finding,
                self.name,
                f"{link} -> {draft}",
                actions,
                stage=facts.stage,
            )

    @staticmethod
    def _draft_for(facts: DraftFacts, chosen: str | None, fx: FixContext) -> str:
        """The draft to link; NotFixable when there is no single local choice."""
        if chosen:
            path = os.path.abspath(os.path.expanduser(chosen))
            if not os.path.isdir(path):
                raise NotFixable(f"--draft-dir {path} is not a directory")
            if not fx.ctx.is_local(path):
                raise NotFixable(f"--draft-dir {path} is not on local disk")
            return path
        n = len(facts.candidates)
        if n != 1:
            raise NotFixable(f"{n} local candidates: choose one with --draft-dir")
        return facts.candidates[0]


@hookimpl
def ytm_doctor_collect_fixers():
    return [RelinkDraft()]
