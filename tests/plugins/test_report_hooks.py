"""Report writers and notifiers as pluggy hooks: `ytm_doctor_write_report` and
`ytm_doctor_report_ready` run in pluggy's order (tryfirst, trylast, wrappers), each plugin on
its own, with where the report is saved decided before any of them runs. Real scans of a
temporary world, local plugin files, a real HTTP server for the webhook.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ytm_doctor.identity import safe_host

# Each logging plugin appends "<name> json=<saved JSON exists> html=<saved HTML exists>" to
# writers.log beside the workspace, and says on stdout that it ran.
LOGGING_WRITER = """\
from pathlib import Path
from ytm_doctor import hookimpl


@hookimpl{marker}
def ytm_doctor_write_report(report, config, saved):
    log = Path(config.paths.workspace_root).parent / "writers.log"
    seen = "no-save" if saved is None else (
        f"json={{saved.json.exists()}} html={{saved.html.exists()}}"
    )
    with log.open("a") as fh:
        fh.write("{name} " + seen + "\\n")
    print("{name} WRITER RAN")
"""


def logging_writer(world, name: str, marker: str = "") -> str:
    world.write(f"plugins/{name}.py", LOGGING_WRITER.format(name=name, marker=marker))
    return f"plugins/{name}.py"


def writer_log(world) -> list[str]:
    return (world.root / "writers.log").read_text().splitlines()


def dangle(world, name: str = "x.mp4") -> None:
    """A new violation for the webhook to announce (a dangling link in the workspace)."""
    link = world.ws / "video" / "input" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to("no-such-target")


# ---------------------------------------------------------------------------------------------
# Writers: pluggy's order
# ---------------------------------------------------------------------------------------------


def test_tryfirst_writers_run_first_and_trylast_ones_after_the_terminal_summary(world, cli) -> None:
    # Registered in the opposite order to the one they run in: the markers decide, not the list.
    plugins = [
        logging_writer(world, "last", "(trylast=True)"),
        logging_writer(world, "plain"),
        logging_writer(world, "first", "(tryfirst=True)"),
    ]
    world.configure(plugins=plugins)
    res = cli()
    assert res.code == 0, res.err
    assert res.err == ""
    # Before the built-in writers, the saved report is not there yet; yet every writer is told
    # where it goes. After them (trylast, registered after the terminal), it is.
    assert writer_log(world) == [
        "first json=False html=False",
        "plain json=False html=False",
        "last json=True html=True",
    ]
    lines = res.out.splitlines()
    assert lines[0] == "first WRITER RAN"
    assert lines[1] == "plain WRITER RAN"
    summary = next(i for i, line in enumerate(lines) if " in " in line and line.startswith("="))
    assert lines[summary + 1 :] == ["last WRITER RAN"]


def test_writers_are_told_when_nothing_is_saved(world, cli) -> None:
    world.configure(plugins=[logging_writer(world, "plain")])
    assert cli("--no-save").code == 0
    assert writer_log(world) == ["plain no-save"]
    assert not world.report_dir.exists()


BROKEN_WRITER = """\
from ytm_doctor import hookimpl


@hookimpl(tryfirst=True)
def ytm_doctor_write_report(report):
    raise RuntimeError("disk on fire")
"""

WRAPPER = """\
from pathlib import Path
from ytm_doctor import hookimpl


@hookimpl(wrapper=True)
def ytm_doctor_write_report(report, config, saved):
    log = Path(config.paths.workspace_root).parent / "wrapper.log"
    try:
        result = yield
    except RuntimeError as exc:
        with log.open("a") as fh:
            fh.write(f"swallowed {exc}\\n")
        return None  # this wrapper hides the writer's failure
    with log.open("a") as fh:
        fh.write(f"ok {result!r}\\n")
    return result
"""


def test_a_raising_writer_costs_only_its_own_output(world, cli) -> None:
    world.write("plugins/broken.py", BROKEN_WRITER)
    world.configure(plugins=["plugins/broken.py"])
    dangle(world)
    res = cli()
    assert res.code == 1  # the scan's own result, not the writer's
    assert res.err_lines == [
        "ytm-doctor: warning: broken report failed: RuntimeError('disk on fire')"
    ]
    # It ran first and raised; the saved report, its HTML and the terminal summary are all there.
    [saved] = world.saved_reports()
    assert saved.with_suffix(".html").is_file()
    assert (world.report_dir / "latest.json").is_file()
    assert f"report: {saved}" in res.out


def test_a_wrapper_runs_around_each_writer_and_sees_its_exception(world, cli) -> None:
    world.write("plugins/broken.py", BROKEN_WRITER)
    world.write("plugins/wrap.py", WRAPPER)
    world.configure(plugins=["plugins/broken.py", "plugins/wrap.py"])
    res = cli("--sarif", "out.sarif")
    assert res.code == 0, res.err
    assert res.err == ""  # the wrapper swallowed it
    log = (world.root / "wrapper.log").read_text().splitlines()
    assert log[0] == "swallowed disk on fire"  # the tryfirst writer, wrapped first
    # Then once around each other writer (json, html, terminal, sarif, junit...), each on its own.
    assert len(log) > 5 and set(log[1:]) == {"ok []"}
    assert Path("out.sarif").is_file()
    assert world.saved_reports()


# ---------------------------------------------------------------------------------------------
# Writer objects of the older style still work
# ---------------------------------------------------------------------------------------------

OLD_STYLE_WRITER = """\
from pathlib import Path
from ytm_doctor import hookimpl


class CountWriter:
    name = "count"

    def write(self, report, config):
        out = Path(config.paths.workspace_root).parent / "count.txt"
        out.write_text(f"{len(report.findings)} saved_to={report.saved_to is not None}")


@hookimpl
def ytm_doctor_collect_writers(config):
    return [CountWriter()]


class Wrapper:
    @hookimpl(wrapper=True)
    def ytm_doctor_collect_writers(self):
        return (yield)  # a wrapper of the collect hook adds no writer of its own


@hookimpl
def ytm_doctor_configure(config):
    config.pluginmanager.register(Wrapper(), "count-wrapper")
"""


def test_writer_objects_from_collect_writers_still_run_after_the_saved_report(world, cli) -> None:
    world.write("plugins/count.py", OLD_STYLE_WRITER)
    world.configure(plugins=["plugins/count.py"])
    dangle(world)
    res = cli()
    assert res.code == 1
    assert res.err == ""
    assert (world.root / "count.txt").read_text() == "1 saved_to=True"


# ---------------------------------------------------------------------------------------------
# Notifiers: each on its own
# ---------------------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadingHTTPServer]:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


RAISING_NOTIFIER = """\
from ytm_doctor import hookimpl


@hookimpl
def ytm_doctor_report_ready(report):
    raise ConnectionError("slack is down")
"""


def test_a_raising_notifier_does_not_stop_the_webhook_nor_publish(world, cli, receiver) -> None:
    host, port = receiver.server_address[:2]
    # Loaded last, so pluggy calls it before the built-in notifiers.
    world.write("plugins/notify.py", RAISING_NOTIFIER)
    world.configure(
        plugins=["plugins/notify.py"], notify={"webhook_url": f"http://{host}:{port}/x"}
    )
    dangle(world)
    res = cli("--publish")
    assert res.code == 1
    assert res.err_lines == [
        "ytm-doctor: warning: a report-ready hook failed (plugin notify): "
        "ConnectionError('slack is down')"
    ]
    [message] = receiver.received  # type: ignore[attr-defined]
    [saved] = world.saved_reports()
    assert "1 new violation" in message["text"]
    assert f"report: {saved}" in message["text"]
    published = world.share / "_reports" / f"ytm_doctor__{safe_host(socket.gethostname())}.json"
    assert (
        json.loads(published.read_text())["run"]["id"] == json.loads(saved.read_text())["run"]["id"]
    )


def test_without_the_json_writer_the_html_report_is_still_saved_and_published(world, cli) -> None:
    # The saved report's place does not come from the JSON writer: switched off, the HTML twin
    # is saved all the same, retention and --publish find it, and nothing claims a JSON report.
    res = cli("-p", "no:json", "--publish")
    assert res.code == 0, res.err
    assert res.err == ""
    names = sorted(p.name for p in world.report_dir.iterdir())
    [stamped] = [n for n in names if n.startswith("report__")]
    assert stamped.endswith(".html")
    assert "latest.html" in names and "latest.json" not in names
    host = safe_host(socket.gethostname())
    assert sorted(p.name for p in (world.share / "_reports").iterdir()) == [
        f"ytm_doctor__{host}.html"
    ]
    assert "report: " not in res.out


# ---------------------------------------------------------------------------------------------
# The report carries the rules: SARIF and HTML do not collect the checks again
# ---------------------------------------------------------------------------------------------

COUNTED_CHECKS = """\
import json
from pathlib import Path
from ytm_doctor import Check, Rule, Severity, hookimpl

HERE = Path(__file__).parent
RULE = Rule("LOC500", "own-page", Severity.WARNING, "always finds one thing",
            docs=str(HERE / "LOC500.md"))
OTHER = Rule("LOC501", "left-out", Severity.INFO, "never selected here")


class Always(Check):
    rule = RULE

    def finish(self, ctx):
        return [RULE.finding("found", root="workspace", path=".",
                             abs_path=str(ctx.paths.workspace_root))]


class Never(Check):
    rule = OTHER


@hookimpl
def ytm_doctor_collect_checks():
    counter = HERE / "collected.txt"
    calls = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(calls))
    return [Always(), Never()]


@hookimpl
def ytm_doctor_report_ready(report):
    mine = [[r.code, r.selected] for r in report.rules if r.plugin == "counted"]
    (HERE / "rules.json").write_text(json.dumps(mine))
"""


def test_sarif_and_html_take_the_rules_from_the_report(world, cli) -> None:
    world.write("plugins/counted.py", COUNTED_CHECKS)
    world.write("plugins/LOC500.md", "# LOC500 own-page\n\nMy very own page.\n")
    world.configure(plugins=["plugins/counted.py"])
    res = cli("--select", "LOC500", "--sarif", "out.sarif", "--html", "out.html")
    assert res.code == 0, res.err
    assert (world.root / "plugins" / "collected.txt").read_text() == "1"  # once, by the scan
    rules = json.loads((world.root / "plugins" / "rules.json").read_text())
    assert rules == [["LOC500", True], ["LOC501", False]]
    driver = json.loads(Path("out.sarif").read_text())["runs"][0]["tool"]["driver"]
    by_id = {r["id"]: r for r in driver["rules"]}
    assert by_id["LOC500"]["help"]["text"] == "# LOC500 own-page\n\nMy very own page.\n"
    assert by_id["LOC500"]["properties"]["plugin"] == "counted"
    assert "LOC501" in by_id  # the catalogue, deselected rules included, as before
    assert "My very own page." in Path("out.html").read_text()
