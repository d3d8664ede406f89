"""Webhook notifier: a Slack-compatible message when a scan finds NEW violations, and one for
each change of state (the share down or back, a disk crossing a threshold, the mirror failing or
recovering; see transitions.py for how each is announced once).

Configured by `notify.webhook_url` (env YTM_DOCTOR_WEBHOOK_URL). Only a scan whose report
became latest.json notifies (a full scan that saved its report), so each new violation is
announced once however often people scan by hand. The post is `{"text": ...}` JSON over
HTTP(S) with a short timeout. A post that fails (HTTP status >= 400, refused, timed out) is
queued as `<report_dir>/notify_queue/<stamp>.json` and retried, oldest first, before the next
run's own messages, so messages arrive in order. A failure never fails or stalls the scan: one
line on stderr, and the queue waits for the next run.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor import __version__
from ytm_doctor.atomic import create_atomic
from ytm_doctor.jsonio import read_json_object
from ytm_doctor.model import Severity, display
from ytm_doctor.plugins.hookspec import hookimpl
from ytm_doctor.redact import mask_secret, redact_text, secret_parts

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.model import Finding
    from ytm_doctor.report import Report
    from ytm_doctor.saved_reports import SavedReport

QUEUE_DIRNAME = "notify_queue"
TIMEOUT_S = 5.0
MAX_POSTS_PER_RUN = 20  # a long queue drains over several runs instead of stalling one
TOP_FINDINGS = 5
LINE_LIMIT = 200
QUEUED_MAX_BYTES = 1 << 20  # a queued post is a few kB (the top findings only)


@hookimpl
def ytm_doctor_report_ready(report: Report, config: Config, saved: SavedReport | None) -> None:
    url = config["notify.webhook_url"]
    # Only a report that becomes latest.json: the next scan's "new" is counted against it.
    if not url or saved is None or not saved.latest:
        return
    # Imported only with a webhook to call: its dataclasses cost every other scan's start-up.
    from ytm_doctor.reports import transitions

    notifier = Notifier(url, saved.directory / QUEUE_DIRNAME, TIMEOUT_S)
    plan = transitions.plan(
        report,
        saved.directory,
        float(config["notify.cooldown_minutes"]),
        float(config["disk.warn_free_gib"]),
    )
    if plan.problem:
        _warn(f"webhook: {plan.problem}; starting it afresh")
    # State changes first, then the new violations they may explain, all in one ordered run.
    payloads = [transition_payload(report, text) for text in plan.texts]
    payloads.append(new_violations_payload(report, saved))
    if not notifier.deliver_all(payloads):
        return  # nothing is on its way: the next scan announces the same changes again
    if plan.changed:
        try:
            transitions.save_state(plan.path, plan.entries)
        except OSError as exc:
            _warn(f"webhook: notification state not saved ({exc}); a change may be repeated")


def transition_payload(report: Report, text: str) -> dict[str, Any]:
    """One state change (the share, a disk, the mirror) as a Slack-compatible message."""
    return {"text": _slack_escape(f"ytm-doctor on {report.run.host}: {text}")}


def new_violations(report: Report) -> list[Finding]:
    new = set(report.new)
    return [f for f in report.findings if f.severity is Severity.VIOLATION and f.fingerprint in new]


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as markup; everything else is plain text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finding_line(finding: Finding) -> str:
    where = f"{finding.root}:{display(finding.path)}"
    parts = [finding.rule, finding.name, finding.episode or "", where]
    line = " ".join(p for p in parts if p)
    return line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 3] + "..."


def new_violations_payload(
    report: Report, saved: SavedReport | None = None
) -> dict[str, Any] | None:
    """The message for this report, or None when it has no new violation."""
    found = new_violations(report)
    if not found:
        return None
    total = report.count(Severity.VIOLATION)
    n = len(found)
    head = (
        f"ytm-doctor on {report.run.host}: {n} new violation{'s' if n != 1 else ''} "
        f"({total} in total)"
    )
    lines = [head] + [f"• {_finding_line(f)}" for f in found[:TOP_FINDINGS]]
    if n > TOP_FINDINGS:
        lines.append(f"…and {n - TOP_FINDINGS} more")
    if saved is not None:
        lines.append(f"report: {display(os.fspath(saved.json))}")
    return {"text": _slack_escape("\n".join(lines))}


def redacted(url: str) -> str:
    """The URL by its host only: a Slack webhook's path is its secret, its userinfo a password."""
    return mask_secret(url) or "(webhook)"


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without `user:password@` and the Basic authorization header it stands for:
    urllib would take the userinfo for part of the host (and name it in its error)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, {}
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return parts._replace(netloc=netloc).geturl(), {"Authorization": f"Basic {token}"}


@dataclass
class Notifier:
    url: str
    queue_dir: Path
    timeout: float = TIMEOUT_S

    def post(self, payload: dict[str, Any]) -> str | None:
        """POST the payload; None on success, else why it failed (no secret in it: the
        reason goes to stderr)."""
        failure = self._post(payload)
        return None if failure is None else redact_text(failure, secret_parts(self.url))

    def _post(self, payload: dict[str, Any]) -> str | None:
        # Imported only to post: every scan loads this plugin, few have a webhook to call, and
        # urllib.request (http.client, ssl, email) costs a scan tens of milliseconds to start.
        import http.client
        import urllib.error
        import urllib.request

        try:
            url, auth = split_credentials(self.url)
            request = urllib.request.Request(
                url,
                data=json.dumps(payload).encode("utf-8"),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": f"ytm-doctor/{__version__}",
                    **auth,
                },
                method="POST",
            )
        except ValueError:
            return "the URL cannot be used"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(65536)
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return f"HTTP {exc.code}"
        except urllib.error.URLError as exc:
            return str(getattr(exc.reason, "strerror", None) or exc.reason)
        except TimeoutError:
            return f"no answer in {self.timeout:g}s"
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if 200 <= status < 300 else f"HTTP {status}"

    def queued(self) -> list[Path]:
        """Waiting payloads, oldest first (their names start with a UTC time stamp)."""
        try:
            return sorted(p for p in self.queue_dir.iterdir() if p.name.endswith(".json"))
        except FileNotFoundError:
            return []

    def enqueue(self, payload: dict[str, Any]) -> Path:
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        now = datetime.now(timezone.utc)
        record = {"queued_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "payload": payload}
        for attempt in range(100):
            # Two payloads of one run in one microsecond still sort in order: -00, -01, ...
            path = self.queue_dir / f"{now:%Y%m%dT%H%M%S%fZ}-{os.getpid()}-{attempt:02d}.json"
            try:
                create_atomic(path, json.dumps(record, ensure_ascii=False))
                return path
            except FileExistsError:
                continue
        raise FileExistsError(path)

    def flush(self) -> tuple[int, str | None]:
        """Retry the queue oldest first; stop at the first failure to keep the order.
        Returns (messages still waiting, the failure or None)."""
        waiting = self.queued()
        posts = 0
        for path in list(waiting):
            if posts >= MAX_POSTS_PER_RUN:
                return len(waiting), None
            try:
                # Bounded and depth-safe: a bad queue file is set aside, never a crash.
                record = read_json_object(path, max_bytes=QUEUED_MAX_BYTES, what="queued post")
                payload = record["payload"]
            except (ValueError, KeyError) as exc:  # JsonInputError is a ValueError
                self._set_aside(path, exc)
                waiting.remove(path)
                continue
            posts += 1
            failure = self.post(payload)
            if failure is not None:
                return len(waiting), failure
            path.unlink(missing_ok=True)  # delivered: the queue copy has done its job
            waiting.remove(path)
        return 0, None

    def _set_aside(self, path: Path, exc: Exception) -> None:
        # Never retried (it would block the queue forever), never deleted (nothing is lost).
        aside = path.with_name(path.name + ".unreadable")
        try:
            os.replace(path, aside)
        except OSError:
            return
        _warn(f"webhook: queued message {path.name} cannot be read ({exc}); kept as {aside}")

    def deliver(self, payload: dict[str, Any] | None) -> None:
        """Flush the queue, then send `payload` (if any); queue it when that is not possible."""
        self.deliver_all([payload])

    def deliver_all(self, payloads: list[dict[str, Any] | None]) -> bool:
        """Flush the queue, then send `payloads` in order (None entries are skipped); from the
        first that cannot be sent on, they are queued, in order, behind the older ones.
        False when some could not even be queued (they are lost: say so)."""
        todo = [p for p in payloads if p is not None]
        try:
            waiting, failure = self.flush()
            while todo and waiting == 0 and failure is None:
                failure = self.post(todo[0])
                if failure is None:
                    todo.pop(0)
            for payload in todo:
                self.enqueue(payload)
                waiting += 1
        except OSError as exc:
            _warn(f"webhook {redacted(self.url)}: notification lost, cannot queue it: {exc}")
            return False
        if failure is not None:
            _warn(
                f"webhook {redacted(self.url)} failed ({failure}); {waiting} message"
                f"{'s' if waiting != 1 else ''} queued in {self.queue_dir} for the next run"
            )
        return True


def _warn(text: str) -> None:
    print(f"ytm-doctor: warning: {text}", file=sys.stderr)
