"""The webhook notifier against a real HTTP server on 127.0.0.1.

Violations come from real dangling symlinks in the workspace (YTM301), so "new" is computed the
way a scheduled scan computes it: against the previous saved report.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ytm_doctor.reports import webhook

SECRET_PATH = "/services/T000/B000/SECRETTOKEN"


@dataclass
class Hook:
    """A webhook receiver: what it got, and what it answers."""

    server: ThreadingHTTPServer
    received: list[dict] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    # When set: the hook answers only once the test releases it (or after a minute).
    hold: threading.Event | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{SECRET_PATH}"

    @property
    def texts(self) -> list[str]:
        return [r["json"]["text"] for r in self.received]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        hook: Hook = self.server.hook  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if hook.delay:
            time.sleep(hook.delay)
        if hook.hold is not None:
            hook.hold.wait(60)
        hook.received.append(
            {
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "json": json.loads(body),
            }
        )
        self.send_response(hook.status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if hook.status < 400 else b"server error")

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's proxy settings must not route 127.0.0.1 elsewhere.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")


class _Server(ThreadingHTTPServer):
    # Joined on close, so no handler outlives its test; a client that gave up (the timeout
    # test) is expected, not a traceback on some later test's stderr.
    daemon_threads = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = _Server(("127.0.0.1", 0), _Handler)
    state = Hook(server)
    server.hook = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dangle(world, name: str) -> Path:
    link = world.ws / "video" / "input" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("no-such-target", link)
    return link


def queue_dir(world) -> Path:
    return world.report_dir / webhook.QUEUE_DIRNAME


def queued(world) -> list[Path]:
    return sorted(queue_dir(world).glob("*.json")) if queue_dir(world).is_dir() else []


def test_new_violations_are_posted_once(world, cli, hook: Hook) -> None:
    world.configure(notify={"webhook_url": hook.url})
    dangle(world, "first.mp4")
    res = cli()
    assert res.code == 1  # the violation fails the scan as before
    [post] = hook.received
    assert post["path"] == SECRET_PATH
    assert post["content_type"].startswith("application/json")
    text = post["json"]["text"]
    assert set(post["json"]) == {"text"}  # Slack-compatible
    assert socket.gethostname() in text
    assert "1 new violation (1 in total)" in text
    assert "YTM301" in text and "first.mp4" in text

    assert cli().code == 1
    assert len(hook.received) == 1  # nothing new: nothing posted

    dangle(world, "second.mp4")
    assert cli().code == 1
    assert len(hook.received) == 2
    assert "1 new violation (2 in total)" in hook.texts[1]
    assert "second.mp4" in hook.texts[1] and "first.mp4" not in hook.texts[1]
    assert queued(world) == []


def test_a_clean_scan_posts_nothing(world, cli, hook: Hook) -> None:
    world.configure(notify={"webhook_url": hook.url})
    assert cli().code == 0
    assert hook.received == []


def test_server_error_queues_the_message_and_the_next_run_delivers_it(
    world, cli, hook: Hook
) -> None:
    world.configure(notify={"webhook_url": hook.url})
    hook.status = 500
    dangle(world, "broken.mp4")
    res = cli()
    assert res.code == 1  # unchanged by the failed notification
    [line] = [ln for ln in res.err_lines if "webhook" in ln]
    assert "HTTP 500" in line and "1 message queued" in line
    assert SECRET_PATH not in res.err  # the webhook's token stays out of logs
    [waiting] = queued(world)
    assert json.loads(waiting.read_text())["payload"]["text"] == hook.texts[0]

    hook.status = 200
    again = cli()  # nothing new this time: only the queue is retried
    assert again.code == 1 and "webhook" not in again.err
    assert len(hook.received) == 2 and hook.texts[1] == hook.texts[0]
    assert queued(world) == []


def test_refused_connection_then_success_delivers_both_in_order(world, cli, hook: Hook) -> None:
    world.configure(notify={"webhook_url": f"http://127.0.0.1:{closed_port()}{SECRET_PATH}"})
    dangle(world, "one.mp4")
    res = cli()
    assert res.code == 1
    assert any("webhook http://127.0.0.1:" in ln and "queued" in ln for ln in res.err_lines)
    assert len(queued(world)) == 1

    world.configure(notify={"webhook_url": hook.url})
    dangle(world, "two.mp4")
    assert cli().code == 1
    assert len(hook.received) == 2
    assert "one.mp4" in hook.texts[0] and "two.mp4" not in hook.texts[0]  # the queued one first
    assert "two.mp4" in hook.texts[1] and "one.mp4" not in hook.texts[1]
    assert queued(world) == []


def test_messages_stay_in_order_while_the_hook_is_down(world, cli) -> None:
    world.configure(notify={"webhook_url": f"http://127.0.0.1:{closed_port()}/x"})
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        dangle(world, name)
        assert cli().code == 1
    texts = [json.loads(p.read_text())["payload"]["text"] for p in queued(world)]
    assert [t.split("video/input/")[1][:5] for t in texts] == ["a.mp4", "b.mp4", "c.mp4"]


def test_a_hanging_hook_does_not_stall_the_scan(world, cli, hook: Hook, monkeypatch) -> None:
    """The hook answers only after the scan has returned: a scan that waited for it would get
    its answer after a minute and report the message sent; this one gives up after its
    timeout, says so and queues the message."""
    monkeypatch.setattr(webhook, "TIMEOUT_S", 0.3)
    hook.hold = threading.Event()
    world.configure(notify={"webhook_url": hook.url})
    dangle(world, "slow.mp4")
    try:
        res = cli()
    finally:
        hook.hold.set()
    assert res.code == 1
    assert "no answer in 0.3s" in res.err or "timed out" in res.err
    assert len(queued(world)) == 1


def test_only_saved_full_scans_notify(world, cli, hook: Hook) -> None:
    world.configure(notify={"webhook_url": hook.url})
    dangle(world, "x.mp4")
    assert cli("--no-save").code == 1
    assert cli("--select", "YTM301").code == 1  # narrowed: it does not become latest.json
    assert hook.received == []
    assert cli().code == 1
    assert len(hook.received) == 1


def test_url_from_the_environment(world, cli, hook: Hook, monkeypatch) -> None:
    monkeypatch.setenv("YTM_DOCTOR_WEBHOOK_URL", hook.url)
    dangle(world, "env.mp4")
    assert cli().code == 1
    assert len(hook.received) == 1


@pytest.mark.parametrize("bad", ["hooks.slack.com/services/x", "ftp://host/x", "https://"])
def test_a_bad_url_is_a_configuration_error(world, cli, monkeypatch, bad: str) -> None:
    monkeypatch.setenv("YTM_DOCTOR_WEBHOOK_URL", bad)
    res = cli()
    assert res.code == 4
    assert len(res.err_lines) == 1 and "notify.webhook_url" in res.err


def test_config_command_hides_the_token(world, cli, hook: Hook) -> None:
    world.configure(notify={"webhook_url": hook.url})
    res = cli("config")
    assert res.code == 0
    assert "notify.webhook_url" in res.out and "127.0.0.1" in res.out
    assert "SECRETTOKEN" not in res.out


def test_an_unreadable_queue_file_is_set_aside_not_lost(world, cli, hook: Hook) -> None:
    world.configure(notify={"webhook_url": hook.url})
    queue_dir(world).mkdir(parents=True)
    torn = queue_dir(world) / "20000101T000000000000Z-1-0.json"
    torn.write_text('{"payload": ')
    dangle(world, "y.mp4")
    res = cli()
    assert res.code == 1
    assert len(hook.received) == 1  # the new message still went out
    assert not torn.exists()
    assert (queue_dir(world) / (torn.name + ".unreadable")).read_text() == '{"payload": '
    assert "cannot be read" in res.err


def test_slack_markup_in_names_is_escaped(world, cli, hook: Hook) -> None:
    world.configure(notify={"webhook_url": hook.url})
    dangle(world, "a<b>&c.mp4")
    assert cli().code == 1
    assert "a&lt;b&gt;&amp;c.mp4" in hook.texts[0]


def test_many_new_violations_are_summarised(world, cli, hook: Hook) -> None:
    world.configure(notify={"webhook_url": hook.url})
    for i in range(8):
        dangle(world, f"n{i}.mp4")
    assert cli().code == 1
    text = hook.texts[0]
    assert "8 new violations (8 in total)" in text
    assert text.count("YTM301") == webhook.TOP_FINDINGS
    assert f"and {8 - webhook.TOP_FINDINGS} more" in text
