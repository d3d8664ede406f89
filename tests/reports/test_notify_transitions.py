"""Changes of state announced once each, through real scans and a real HTTP receiver.

The world is real: the share goes down by getting its README_MOUNTPOINT.txt stub marker, the
disk crosses a threshold because the thresholds are set around this machine's real free space,
and the mirror fails by its run log, as `ytm-doctor mirror` writes it.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ytm_doctor.reports import transitions, webhook
from ytm_doctor.reports.transitions import Entry, Observed

SECRET = "SECRETTOKEN"
SECRET_PATH = f"/services/T000/B000/{SECRET}"
GIB = 1024**3
MIRROR_LOGS = "logs/ops/workspaces_mirror"


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    texts: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{SECRET_PATH}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        assert set(body) == {"text"}  # Slack-compatible: text only
        self.server.receiver.texts.append(body["text"])  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state = Receiver(server)
    server.receiver = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scan(cli, *args: str) -> int:
    result = cli(*args)
    assert result.code in (0, 1), result.err  # never an internal error, whatever was sent
    assert SECRET not in result.out + result.err
    return result.code


def stub(world, down: bool) -> None:
    marker = world.share / "README_MOUNTPOINT.txt"
    if down:
        marker.write_text("the share is not mounted\n", encoding="utf-8")
    else:
        marker.unlink()


def state_file(world) -> Path:
    return world.report_dir / transitions.STATE_NAME


def no_secret_in_files(world) -> None:
    for path in world.root.rglob("*"):
        if path.is_file() and path != world.config_file:  # the config file is where it lives
            assert SECRET.encode() not in path.read_bytes(), path


def write_mirror_log(world, minutes_ago: float, **record) -> None:
    """A run log as `ytm-doctor mirror` writes it, finished `minutes_ago`."""
    when = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    data = {"schema": "ytm.workspaces_mirror.v1", "run": True, "ok": True, "returncode": 0}
    data["finished_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    data.update(record)
    path = world.ws / MIRROR_LOGS / f"workspaces_mirror__{when:%Y%m%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_share_down_and_back_is_announced_once_each(world, cli, receiver: Receiver) -> None:
    world.configure(notify={"webhook_url": receiver.url, "cooldown_minutes": 0})
    assert scan(cli) == 0
    assert receiver.texts == []  # online at first sight: nothing to say
    stub(world, True)
    scan(cli)
    scan(cli)  # still down: said already
    stub(world, False)
    scan(cli)
    scan(cli)
    host = socket.gethostname()
    assert len(receiver.texts) == 2, receiver.texts
    down, back = receiver.texts
    assert down.startswith(f"ytm-doctor on {host}: the share is down (stub: README_MOUNTPOINT.txt")
    assert " since " in down and "UTC" in down
    assert back.startswith(f"ytm-doctor on {host}: the share is back (online at ")
    assert json.loads(state_file(world).read_text())["kinds"]["share"]["announced"] == "online"
    no_secret_in_files(world)


def test_a_scoped_scan_does_not_flip_the_state(world, cli, receiver: Receiver) -> None:
    world.configure(notify={"webhook_url": receiver.url, "cooldown_minutes": 0})
    scan(cli)
    before = state_file(world).read_bytes() if state_file(world).exists() else None
    stub(world, True)
    scan(cli, "--select", "YTM101")
    scan(cli, "--no-save")
    assert receiver.texts == []
    assert (state_file(world).read_bytes() if state_file(world).exists() else None) == before
    scan(cli)
    assert len(receiver.texts) == 1 and "the share is down" in receiver.texts[0]


def test_disk_crossing_warn_then_stop_then_back(world, cli, receiver: Receiver) -> None:
    free = shutil.disk_usage(world.ws).free / GIB
    warn, stop = round(free + 200), round(free + 100)
    world.configure(notify={"webhook_url": receiver.url, "cooldown_minutes": 0})
    scan(cli)
    scan(cli, "--set", f"disk.warn_free_gib={warn}")
    scan(cli, "--set", f"disk.warn_free_gib={warn}")
    assert scan(cli, "--set", f"disk.warn_free_gib={warn}", "--set", f"disk.stop_free_gib={stop}")
    scan(cli, "--set", f"disk.warn_free_gib={warn}")
    scan(cli)
    scan(cli)
    texts = [t for t in receiver.texts if ": disk " in t]
    assert len(texts) == 4, receiver.texts
    # The YTM501 finding was there since the warning (its severity is not its identity): no
    # new violation, and the crossing to stop is told by its own message only.
    assert len(receiver.texts) == 4
    assert f"below warn ({warn} GiB)" in texts[0] and " GiB free" in texts[0]
    assert f"below stop ({stop} GiB)" in texts[1]
    assert f"below warn ({warn} GiB); back above stop (0 GiB)" in texts[2]  # as now configured
    assert "is back above warn (0 GiB)" in texts[3]
    kinds = json.loads(state_file(world).read_text())["kinds"]
    assert not [k for k in kinds if k.startswith("disk:")]  # a volume back to ok is forgotten


def test_disk_stop_comes_before_its_new_violation(world, cli, receiver: Receiver) -> None:
    free = shutil.disk_usage(world.ws).free / GIB
    world.configure(notify={"webhook_url": receiver.url})
    limit = round(free + 100)
    assert scan(cli, "--set", f"disk.warn_free_gib={limit}", "--set", f"disk.stop_free_gib={limit}")
    first, second = receiver.texts
    assert f"below stop ({limit} GiB)" in first
    assert "1 new violation" in second and "YTM501" in second


def test_mirror_failing_then_ok_again(world, cli, receiver: Receiver) -> None:
    world.configure(notify={"webhook_url": receiver.url, "cooldown_minutes": 0})
    write_mirror_log(world, 185)
    write_mirror_log(world, 5, ok=False, returncode=23, stderr=["rsync: some files vanished"])
    scan(cli)
    scan(cli)
    write_mirror_log(world, 0)
    scan(cli)
    scan(cli)
    failing, ok = receiver.texts
    assert "the mirror is failing for 3 h: rsync exited 23" in failing
    assert "rsync: some files vanished" in failing
    assert ok.endswith(": the mirror is ok again")


def test_the_mirror_keeps_its_state_while_the_share_is_down(world, cli, receiver) -> None:
    world.configure(notify={"webhook_url": receiver.url, "cooldown_minutes": 0})
    write_mirror_log(world, 5, ok=False, returncode=23)
    scan(cli)
    stub(world, True)  # YTM703 cannot tell while the share is down: not "ok again"
    scan(cli)
    stub(world, False)
    scan(cli)
    assert [t.split(": ", 1)[1][:20] for t in receiver.texts] == [
        "the mirror is failin",
        "the share is down (s",
        "the share is back (o",
    ]


def test_a_flapping_share_is_announced_at_most_once_per_cooldown(world, cli, receiver) -> None:
    world.configure(notify={"webhook_url": receiver.url, "cooldown_minutes": 60})
    scan(cli)
    for down in (True, False, True, False):
        stub(world, down)
        scan(cli)
    assert len(receiver.texts) == 1 and "the share is down" in receiver.texts[0]
    # The cool-down ends (its start moved back in the state file): the state now is told.
    data = json.loads(state_file(world).read_text())
    data["kinds"]["share"]["announced_at"] = "2000-01-01T00:00:00Z"
    state_file(world).write_text(json.dumps(data))
    scan(cli)
    scan(cli)
    assert len(receiver.texts) == 2 and "the share is back" in receiver.texts[1]


def test_messages_wait_in_order_while_the_receiver_is_down(world, cli, receiver) -> None:
    world.configure(notify={"webhook_url": f"http://127.0.0.1:{closed_port()}{SECRET_PATH}"})
    world.configure(notify={"cooldown_minutes": 0})
    scan(cli)
    stub(world, True)
    res = cli()
    assert "1 message queued" in res.err and SECRET not in res.err
    stub(world, False)
    res = cli()
    assert "2 messages queued" in res.err
    world.configure(notify={"webhook_url": receiver.url})
    scan(cli)
    assert [t.split(": ", 1)[1][:17] for t in receiver.texts] == [
        "the share is down",
        "the share is back",
    ]
    assert list((world.report_dir / webhook.QUEUE_DIRNAME).glob("*.json")) == []
    no_secret_in_files(world)


def test_an_unusable_state_file_is_started_afresh(world, cli, receiver) -> None:
    world.configure(notify={"webhook_url": receiver.url})
    world.report_dir.mkdir(parents=True)
    state_file(world).write_text("{not json")
    stub(world, True)
    res = cli()
    assert res.code in (0, 1) and "starting it afresh" in res.err
    assert len(receiver.texts) == 1
    assert json.loads(state_file(world).read_text())["schema"] == transitions.STATE_SCHEMA


# --- the decision alone, with its clock in hand ---------------------------------------------

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
COOL = timedelta(minutes=60)


def step(entries: dict[str, Entry], state: str, minutes: float) -> tuple[list[str], dict]:
    seen = {"share": Observed("share", state)}
    changes, after = transitions.decide(entries, seen, T0 + timedelta(minutes=minutes), COOL)
    return [c.observed.state for c in changes], after


def test_decide_tells_the_final_state_when_the_cooldown_ends() -> None:
    said, entries = step({}, "stub", 0)
    assert said == ["stub"]
    for minute, state in ((5, "online"), (10, "stub"), (20, "online")):
        said, entries = step(entries, state, minute)
        assert said == []
    said, entries = step(entries, "online", 61)
    assert said == ["online"]
    assert entries["share"].since == "2026-01-01T12:20:00Z"  # the last time it changed


def test_decide_says_nothing_when_the_flapping_ends_where_it_was_announced() -> None:
    _, entries = step({}, "stub", 0)
    _, entries = step(entries, "online", 1)
    _, entries = step(entries, "stub", 2)
    said, _ = step(entries, "stub", 90)
    assert said == []
