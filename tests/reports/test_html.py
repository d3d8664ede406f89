"""The HTML report (SPEC §8): one self-contained file, written beside every saved scan and with
--html, that escapes every name from disk; and, in a real headless Chromium, a table that
filters and sorts, sends no request anywhere, shows hostile names as text, and works with 50,000
findings (how fast it is: benchmarks/bench_html.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from ytm_doctor.cli import main
from ytm_doctor.demo import DemoInfo, build_demo
from ytm_doctor.model import Finding, Rule, Severity
from ytm_doctor.report import CheckOutcome, Report, new_run
from ytm_doctor.reports.html import LATEST_HTML
from ytm_doctor.reports.html_page import render_html, rule_page_text

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "build" / "artifacts"

BROKEN = Rule("YTM301", "broken-symlink", Severity.VIOLATION, "dangling symlink")
ABSOLUTE = Rule("YTM202", "vault-absolute-symlink", Severity.VIOLATION, "absolute symlink")
ON_SHARE = Rule("YTM403", "hot-input-on-share", Severity.WARNING, "input on the share")
RESIDUE = Rule("YTM303", "backup-symlink-residue", Severity.INFO, "backup residue")

SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = "<img src=x onerror=alert(2)>"
# A name as os.fsdecode() returns it for the bytes b"bad\xff\xfename.mp4" (surrogateescape).
RAW_NAME = os.fsdecode(b"bad\xff\xfename.mp4")
RAW_SHOWN = "bad\\xff\\xfename.mp4"  # how display() writes it


def fix_for(finding: Finding, fixer: str) -> dict[str, str]:
    preview = (
        f"ytm-doctor fix --config /Users/dd/ytm-doctor.yaml --select {finding.rule}"
        f" --fingerprint {finding.fingerprint}"
    )
    return {"fixer": fixer, "preview": preview, "apply": preview + " --run"}


def sample_findings() -> list[Finding]:
    """Mixed rules, severities and channels, plus the hostile names, in scrambled order."""
    findings = []
    for i in range(6):
        ch, video = ("CH01", f"{i:03d}") if i % 2 else ("CH02", f"{i:03d}")
        link = BROKEN.finding(
            f"dangling symlink -> /Volumes/gone/clip_{i}.mp4",
            root="workspace",
            path=f"video/input/{ch}/clip_{i}.mp4",
            abs_path=f"/Users/dd/ws/video/input/{ch}/clip_{i}.mp4",
            channel=ch,
            video=video,
            details={"target": f"/Volumes/gone/clip_{i}.mp4"},
        )
        findings.append(link)
        share = ON_SHARE.finding(
            "input is a symlink into the share",
            root="workspace",
            path=f"video/input/{ch}/bgm_{i}",
            abs_path=f"/Users/dd/ws/video/input/{ch}/bgm_{i}",
            channel=ch,
            video=video,
        )
        share.fix = fix_for(share, "materialize-input")
        findings.append(share)
    absolute = ABSOLUTE.finding(
        "absolute symlink -> /Users/dd/mounts/share/asset_vault/bgm",
        root="vault",
        path="video/input/CH13/_shared_bgm",
        abs_path="/srv/share/ytm_workspaces/video/input/CH13/_shared_bgm",
        channel="CH13",
        video="001",
    )
    absolute.fix = fix_for(absolute, "relativize-symlink")
    findings.append(absolute)
    findings.append(
        RESIDUE.finding(
            "left by a fallback",
            root="workspace",
            path="video/input/CH01/x.symlink_shared_backup_20260101T000000Z",
            abs_path="/Users/dd/ws/video/input/CH01/x.symlink_shared_backup_20260101T000000Z",
        )
    )
    findings.append(
        BROKEN.finding(
            f"dangling symlink -> {IMG_NAME}",
            root="workspace",
            path=f"junk/{SCRIPT_NAME}",
            abs_path=f"/Users/dd/ws/junk/{SCRIPT_NAME}",
            channel="CH07",
            video="042",
            details={"target": IMG_NAME},
        )
    )
    findings.append(
        BROKEN.finding(
            "dangling symlink -> nowhere",
            root="workspace",
            path=f"junk/{RAW_NAME}",
            abs_path=f"/Users/dd/ws/junk/{RAW_NAME}",
            channel="CH07",
            video="043",
        )
    )
    return findings


def make_report(findings: list[Finding], errors: list[dict[str, Any]] | None = None) -> Report:
    run = new_run(["--html", "report.html"])
    rules = {f.rule: f.name for f in findings}
    report = Report(
        run=run,
        config={
            "config_file": "/Users/dd/ytm-doctor.yaml",
            "workspace_root": "/Users/dd/ws",
            "share_root": "/srv/share",
            "namespace": "factory_commentary",
            "vault_workspaces_root": "/srv/share/ytm_workspaces",
            "planning_root": "/srv/share/ytm_workspaces/planning",
            "fallback_root": "/Users/dd/outbox",
            "draft_root": None,
            "scope": {"channel": None, "video": None},
            "share": {
                "root": "/srv/share",
                "status": "degraded",
                "stub": False,
                "is_mount": True,
                "fstype": "cifs",
                "network": True,
                "problems": ["uploads/factory_commentary/ is missing"],
            },
            "walks": {
                "workspace": {"path": "/Users/dd/ws", "entries": 1234, "dirs": 56, "errors": 0},
                "share:asset_vault": {"skipped": "missing"},
            },
        },
        outcomes=[CheckOutcome(code, name, "builtin") for code, name in sorted(rules.items())],
        findings=sorted(findings, key=Finding.sort_key),
        errors=errors or [],
    )
    report.previous = "20260101T000000Z-abcdef"
    report.new = sorted(f.fingerprint for f in findings if f.rule == ON_SHARE.code)
    report.resolved = ["0" * 24]
    return report


class ParsedPage(HTMLParser):
    """Every tag with its attributes, the text of every script, and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((dict(attrs), ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def page_data(self) -> dict[str, Any]:
        [data] = [t for a, t in self.scripts if a.get("type") == "application/json"]
        return json.loads(data)

    def rows(self) -> list[dict[str, Any]]:
        data = self.page_data()
        return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


# ---------------------------------------------------------------------------------------------
# The file itself
# ---------------------------------------------------------------------------------------------


def test_the_page_loads_nothing_from_anywhere_else() -> None:
    html = render_html(make_report(sample_findings()))
    page = ParsedPage(html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "data", "poster", "srcset", "xlink:href"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "ftp:", "ws:", "wss:")), (
                tag,
                attrs,
            )
        assert not (tag == "link" and attrs.get("rel") in ("stylesheet", "preload", "import"))
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", html)
    # Belt and braces: the page forbids itself any fetch, and any script but its own.
    [csp] = [a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp)


def test_every_finding_is_in_the_page_with_its_fix_command() -> None:
    findings = sample_findings()
    report = make_report(findings)
    page = ParsedPage(render_html(report))
    rows = page.rows()
    assert sorted(r["fingerprint"] for r in rows) == sorted(f.fingerprint for f in findings)
    data = page.page_data()
    for row, finding in zip(rows, report.findings, strict=True):
        assert row["path"] == finding.to_json()["path"]
        if finding.fix:  # stored once per fixer, around the fingerprint: it must add up again
            fixer, before, after = data["fixes"][row["fix"]]
            assert (fixer, before + row["fingerprint"] + after) == (
                finding.fix["fixer"],
                finding.fix["apply"],
            )
        else:
            assert row["fix"] == -1
    # Summary counts, and the charts name every rule and channel with its total.
    text = " ".join(" ".join(page.text).split())
    assert "9 violations" in text and "6 warnings" in text and "1 info" in text
    svg_titles = [t for t, _ in page.tags if t == "title"]
    assert len(svg_titles) >= 1 + 4 + 5  # the page's title + a bar per rule and per channel
    assert "YTM301 broken-symlink: 8 violation" in text
    assert "CH02: 3 violation, 3 warning" in text
    assert "6 new" in text and "1 resolved" in text


def test_hostile_names_are_text_in_every_part_of_the_page() -> None:
    errors = [
        {"kind": "walk", "root": "workspace", "path": f"junk/{SCRIPT_NAME}", "message": IMG_NAME}
    ]
    report = make_report(sample_findings(), errors=errors)
    report.config["workspace_root"] = f"/Users/dd/{SCRIPT_NAME}"
    html = render_html(report)
    page = ParsedPage(html)

    # Exactly the report's two scripts (data and code); no element came from a name.
    assert [a.get("type") for a, _ in page.scripts] == ["application/json", None]
    assert not [t for t, _ in page.tags if t == "img"]
    assert SCRIPT_NAME not in html and IMG_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # config and errors tables
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    # In the data block `<` is \u003c, so "</script>" cannot end it early...
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html
    # ...and the names come back intact, the undecodable bytes as \xNN.
    paths = {r["path"] for r in page.rows()}
    assert f"junk/{SCRIPT_NAME}" in paths
    assert f"junk/{RAW_SHOWN}" in paths
    text = "".join(page.text)
    assert f"/Users/dd/{SCRIPT_NAME}" in text and IMG_NAME in text
    assert "\udcff" not in html


def test_rule_pages_of_the_rules_present_are_embedded() -> None:
    page = ParsedPage(render_html(make_report(sample_findings())))
    ids = {a.get("id") for _, a in page.tags}
    assert {"rule-YTM202", "rule-YTM301", "rule-YTM303", "rule-YTM403"} <= ids
    assert "rule-YTM401" not in ids  # no finding of it
    text = " ".join(page.text)
    assert text.count("What it finds") == 4
    assert "relativize-symlink" in text


def test_a_plugin_rule_brings_its_own_page(tmp_path: Path) -> None:
    page = tmp_path / "T900.md"
    page.write_text("# T900 mine\n\n## What it finds\nMy things.\n", encoding="utf-8")
    rule = Rule("T900", "mine", Severity.WARNING, "my things", docs=str(page))
    assert "My things." in rule_page_text(rule, "T900")
    missing = Rule("T901", "gone", Severity.WARNING, "lost page", docs=str(tmp_path / "no.md"))
    assert "(no rule page found)" in rule_page_text(missing, "T901")
    assert "lost page" in rule_page_text(missing, "T901")


# ---------------------------------------------------------------------------------------------
# Where it is written
# ---------------------------------------------------------------------------------------------


def dangling(world, name: str) -> None:
    (world.ws / "junk").mkdir(exist_ok=True)
    os.symlink("/nonexistent/target", world.ws / "junk" / name)


def test_every_saved_scan_writes_html_beside_json_and_latest(world, cli) -> None:
    dangling(world, "clip.mp4")
    assert cli("-q").code == 1
    [saved_json] = world.saved_reports()
    saved_html = saved_json.with_suffix(".html")
    latest = world.report_dir / LATEST_HTML
    assert saved_html.read_bytes() == latest.read_bytes()
    findings = json.loads(saved_json.read_text(encoding="utf-8"))["findings"]
    rows = ParsedPage(latest.read_text(encoding="utf-8")).rows()
    assert {r["fingerprint"] for r in rows} == {f["fingerprint"] for f in findings}
    assert "junk/clip.mp4" in {r["path"] for r in rows}

    # A partial scan is saved (with its HTML) but does not replace latest.html.
    before = latest.read_bytes()
    assert cli("-q", "--select", "YTM2").code in (0, 1)
    assert len(world.saved_reports()) == 2
    assert all(p.with_suffix(".html").is_file() for p in world.saved_reports())
    assert latest.read_bytes() == before


def test_html_option_writes_even_with_no_save(world, cli) -> None:
    dangling(world, "clip.mp4")
    (world.root / "out").mkdir()
    target = world.root / "out" / "scan.html"
    result = cli("-q", "--no-save", "--html", "out/scan.html")
    assert result.code == 1
    rows = ParsedPage(target.read_text(encoding="utf-8")).rows()
    assert "junk/clip.mp4" in {r["path"] for r in rows}
    saved = list(world.report_dir.glob("report__*")) + list(world.report_dir.glob("latest.*"))
    assert saved == []
    assert [p.name for p in target.parent.iterdir()] == ["scan.html"]  # no temp file left


@pytest.mark.parametrize(
    ("argument", "complaint"),
    [("out", "is a directory"), ("missing/scan.html", "its directory does not exist")],
)
def test_an_html_path_that_cannot_be_written_is_refused_before_scanning(
    world, cli, argument: str, complaint: str
) -> None:
    (world.root / "out").mkdir()
    result = cli("--html", argument)
    assert result.code == 4
    assert len(result.err_lines) == 1 and complaint in result.err and "--html" in result.err
    assert not world.saved_reports()  # refused before the scan ran


def test_hostile_file_names_from_a_real_scan_are_escaped(world, cli) -> None:
    (world.ws / "junk" / "<script>alert(1)<").mkdir(parents=True)
    os.symlink("/nonexistent", world.ws / "junk" / "<script>alert(1)<" / "script>")
    dangling(world, IMG_NAME)
    try:
        raw = os.path.join(os.fsencode(world.ws / "junk"), b"bad\xff\xfename.mp4")
        os.symlink(b"/nonexistent", raw)
        undecodable = True
    except OSError:  # macOS (APFS) refuses names that are not UTF-8
        undecodable = False
    assert cli("-q", "--html", "r.html").code == 1
    html = (world.root / "r.html").read_text(encoding="utf-8")
    assert SCRIPT_NAME not in html and IMG_NAME not in html
    paths = {r["path"] for r in ParsedPage(html).rows()}
    assert f"junk/{SCRIPT_NAME}" in paths and f"junk/{IMG_NAME}" in paths
    if undecodable:
        assert f"junk/{RAW_SHOWN}" in paths


# ---------------------------------------------------------------------------------------------
# In a real browser: Debian's chromium driven by Playwright (never `playwright install`).
# ---------------------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not found at /usr/bin/chromium: .ci/run must install it")
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Opened:
    """A report open in a page, with every request and every JS dialog it caused."""

    def __init__(self, browser, path: Path, color_scheme: str = "light") -> None:
        # bypass_csp: the test's own probes are scripts too; it also means that escaping,
        # not the page's CSP, is what keeps hostile names inert below.
        self.context = browser.new_context(
            viewport={"width": 1366, "height": 768}, color_scheme=color_scheme, bypass_csp=True
        )
        self.context.grant_permissions(["clipboard-read", "clipboard-write"])
        self.page = self.context.new_page()
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self) -> None:
        self.page.goto(self.url, wait_until="load")

    def column(self, attribute: str) -> list[str]:
        return self.page.eval_on_selector_all(
            "#findings-body tr", f"rows => rows.map(r => r.dataset.{attribute})"
        )

    def count(self) -> int:
        return int(self.page.get_attribute("#match-count", "data-count"))

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def sample_page(browser, tmp_path: Path) -> Iterator[Opened]:
    path = tmp_path / "report.html"
    path.write_text(render_html(make_report(sample_findings())), encoding="utf-8")
    opened = Opened(browser, path)
    opened.goto()
    yield opened
    opened.close()


def test_filtering_by_rule_and_sorting_by_severity_change_the_rows(sample_page: Opened) -> None:
    page = sample_page.page
    everything = sample_page.column("rule")
    assert len(everything) == 16 == sample_page.count()

    page.select_option("#filter-rule", "YTM403")
    page.wait_for_function("document.getElementById('match-count').dataset.count === '6'")
    assert sample_page.column("rule") == ["YTM403"] * 6

    page.select_option("#filter-channel", "CH02")
    page.wait_for_function("document.getElementById('match-count').dataset.count === '3'")
    page.select_option("#filter-rule", "")
    page.fill("#filter-text", "clip_4")
    page.wait_for_function("document.getElementById('match-count').dataset.count === '1'")
    assert sample_page.column("rule") == ["YTM301"]
    assert "workspace:video/input/CH02/clip_4.mp4" in page.inner_text("#findings-body")
    page.click("#filter-reset")
    page.wait_for_function("document.getElementById('match-count').dataset.count === '16'")

    page.uncheck("input[name=severity][value=violation]")
    page.wait_for_function("document.getElementById('match-count').dataset.count === '7'")
    assert set(sample_page.column("severity")) == {"warning", "info"}
    page.click("#filter-reset")

    # Sort by rule: YTM202 (a violation) first, YTM303 (info) before YTM403 (warnings).
    page.click("th[data-sort=rule] button")
    by_rule = sample_page.column("rule")
    assert by_rule == sorted(by_rule) and by_rule != everything
    assert sample_page.column("severity")[-1] == "warning"
    # Severity, then again: violation > warning > info, then the reverse.
    page.click("th[data-sort=severity] button")
    severities = sample_page.column("severity")
    assert severities == ["violation"] * 9 + ["warning"] * 6 + ["info"]
    assert page.get_attribute("th[data-sort=severity]", "aria-sort") == "ascending"
    page.click("th[data-sort=severity] button")
    assert sample_page.column("severity") == severities[::-1]
    assert page.get_attribute("th[data-sort=severity]", "aria-sort") == "descending"

    # A rule link opens its page, embedded in the report.
    page.click("#findings-body a.rule-link >> nth=0")
    assert page.is_visible("#rule-dialog")
    assert "What it finds" in page.inner_text("#rule-dialog")
    page.click("#rule-dialog-close")
    assert not page.is_visible("#rule-dialog")

    # Bars filter too.
    page.click("svg.chart [data-filter-channel=CH13]")
    page.wait_for_function("document.getElementById('match-count').dataset.count === '1'")
    assert sample_page.column("rule") == ["YTM202"]

    assert sample_page.foreign_requests() == []
    assert sample_page.requests == [sample_page.url]
    assert sample_page.errors == []


def test_copy_button_copies_the_fix_command_and_details_open(sample_page: Opened) -> None:
    page = sample_page.page
    page.select_option("#filter-channel", "CH13")
    page.wait_for_function("document.getElementById('match-count').dataset.count === '1'")
    [absolute] = [f for f in sample_findings() if f.rule == ABSOLUTE.code]
    hint = fix_for(absolute, "relativize-symlink")
    expected = hint["apply"]
    assert page.inner_text("#findings-body code.fixcmd.run") == expected
    # The preview (without --run) sits beside the run command, and copies too.
    assert page.inner_text("#findings-body code.fixcmd.preview") == hint["preview"]
    page.click("#findings-body button.copy.run")
    page.wait_for_function(
        "document.querySelector('#findings-body button.copy.run').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == expected
    page.click("#findings-body button.copy.preview")
    page.wait_for_function(
        "document.querySelector('#findings-body button.copy.preview').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == hint["preview"]
    page.click("#findings-body details summary")
    assert absolute.abs_path in page.inner_text("#findings-body details pre")
    assert absolute.fingerprint in page.inner_text("#findings-body details pre")


def test_hostile_names_show_as_text_in_the_browser(sample_page: Opened) -> None:
    page = sample_page.page
    page.fill("#filter-text", "junk/")
    page.wait_for_function("document.getElementById('match-count').dataset.count === '2'")
    text = page.inner_text("#findings-body")
    assert f"workspace:junk/{SCRIPT_NAME}" in text
    assert f"dangling symlink -> {IMG_NAME}" in text
    assert f"workspace:junk/{RAW_SHOWN}" in text
    assert page.get_by_text(SCRIPT_NAME).first.is_visible()
    assert sample_page.dialogs == []  # no alert() ran
    assert page.evaluate("document.querySelectorAll('script').length") == 2
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert sample_page.foreign_requests() == []  # an injected <img src=x> would have asked


def test_screenshots_in_light_and_dark_mode(browser, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_html(make_report(sample_findings())), encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    backgrounds = {}
    for scheme, name in (("light", "report.png"), ("dark", "report-dark.png")):
        opened = Opened(browser, path, color_scheme=scheme)
        opened.goto()
        backgrounds[scheme] = opened.page.evaluate(
            "getComputedStyle(document.body).backgroundColor"
        )
        opened.page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        assert opened.foreign_requests() == [] and opened.errors == []
        opened.close()
        assert (ARTIFACTS / name).stat().st_size > 10_000
    assert backgrounds["light"] != backgrounds["dark"]


def test_50000_findings_load_and_filter_in_the_browser(browser, tmp_path: Path) -> None:
    """Behaviour only: the page opens with all 50,000, filters to a rule's 12,500 and renders
    them in chunks. How fast is benchmarks/bench_html.py's to measure, not a unit test's."""
    rules = (BROKEN, ON_SHARE, RESIDUE, ABSOLUTE)
    findings = []
    for i in range(50_000):
        rule = rules[i % 4]
        ch, video = f"CH{i % 17:02d}", f"{i % 500:03d}"
        finding = rule.finding(
            f"dangling symlink -> /Volumes/share/asset_vault/bgm/track_{i}.wav",
            root="workspace",
            path=f"video/input/{ch}/{video}/clip_{i}.mp4",
            abs_path=f"/Users/dd/ws/video/input/{ch}/{video}/clip_{i}.mp4",
            channel=ch,
            video=video,
            details={"target": f"/Volumes/share/asset_vault/bgm/track_{i}.wav"},
        )
        if i % 3 == 0:
            finding.fix = fix_for(finding, "materialize-input")
        findings.append(finding)
    path = tmp_path / "big.html"
    path.write_bytes(render_html(make_report(findings)).encode("utf-8"))
    opened = Opened(browser, path)

    opened.goto()
    assert opened.count() == 50_000
    assert opened.page.inner_text("#match-count") == "(50,000)"
    opened.page.select_option("#filter-rule", "YTM403")
    opened.page.wait_for_function(
        "document.getElementById('match-count').dataset.count === '12500'"
    )
    assert opened.page.inner_text("#match-count") == "(12,500 of 50,000 match)"
    rows = opened.column("rule")
    assert set(rows) == {"YTM403"}
    assert 0 < len(rows) <= 200  # rendered in chunks, not 12,500 rows at once
    opened.page.click("#more-button")
    assert len(opened.column("rule")) > len(rows)
    assert opened.foreign_requests() == [] and opened.errors == []
    opened.close()


# ---------------------------------------------------------------------------------------------
# The history in the page: real scans of the demo (one with the share down), opened in Chromium
# ---------------------------------------------------------------------------------------------

ROOM = ("--set", "disk.stop_free_gib=0", "--set", "disk.warn_free_gib=0")


@dataclass
class DemoScans:
    demo: DemoInfo
    reports: list[dict[str, Any]]  # the saved JSON reports, oldest first
    latest_html: Path


def quiet_main(*argv: str | Path) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main([os.fspath(a) for a in argv])


@pytest.fixture(scope="module")
def demo_scans(tmp_path_factory: pytest.TempPathFactory) -> DemoScans:
    """Four real scans: the demo as built; a dangling link added; the share down; back up."""
    demo = build_demo(tmp_path_factory.mktemp("trend") / "factory")
    report_dir = demo.dest / "workspaces" / "logs" / "ops" / "ytm_doctor"
    for step, config in enumerate((demo.config, demo.config, demo.offline_config, demo.config)):
        if step == 1:
            (demo.dest / "workspaces" / "junk").mkdir()
            os.symlink("/nonexistent/x.mp4", demo.dest / "workspaces" / "junk" / "x.mp4")
        assert quiet_main("--config", config, "-q", *ROOM) == 1
    reports = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted(report_dir.glob("report__*.json"))
    ]
    assert len(reports) == 4
    return DemoScans(demo, reports, report_dir / LATEST_HTML)


@pytest.fixture
def trend_page(browser, demo_scans: DemoScans) -> Iterator[Opened]:
    opened = Opened(browser, demo_scans.latest_html)
    opened.goto()
    yield opened
    opened.close()


def test_the_trend_has_one_point_per_saved_scan_and_marks_the_outage(
    trend_page: Opened, demo_scans: DemoScans
) -> None:
    page = trend_page.page
    points = page.eval_on_selector_all(
        "#trend .trend-point",
        "gs => gs.map(g => [g.dataset.violations, g.dataset.warnings, g.dataset.complete,"
        " g.classList.contains('current')])",
    )
    expected = [
        [
            str(r["summary"]["violations_total"]),
            str(r["summary"]["warnings_total"]),
            "false" if r["unknown"] else "true",
            i == 3,
        ]
        for i, r in enumerate(demo_scans.reports)
    ]
    assert points == expected
    assert points[2][2] == "false"  # the outage: hollow, and the line does not pass through it
    line = page.get_attribute("#trend polyline.line-violation", "points").split()
    assert len(line) == 3
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#trend").screenshot(path=str(ARTIFACTS / "trend.png"))
    assert (ARTIFACTS / "trend.png").stat().st_size > 5_000
    assert trend_page.foreign_requests() == [] and trend_page.errors == []


def test_grouping_by_episode_and_channel_by_clicking(
    trend_page: Opened, demo_scans: DemoScans
) -> None:
    page = trend_page.page
    findings = demo_scans.reports[-1]["findings"]
    assert page.locator("#findings-body tr.group-row").count() == 0
    page.click("#group-by")
    page.select_option("#group-by", "episode")
    layout = page.eval_on_selector_all(
        "#findings-body tr",
        "rows => rows.map(r => r.classList.contains('group-row')"
        " ? ['group', r.dataset.group, r.textContent]"
        " : ['row', r.children[2].firstChild.textContent])",
    )
    episodes = sorted({f["episode"] for f in findings if f["episode"]})
    headers = [item for item in layout if item[0] == "group"]
    assert [h[1] for h in headers] == [*episodes, ""]  # findings without an episode last
    current = None
    for kind, value, *text in layout:
        if kind == "group":
            current = value
            n = sum(1 for f in findings if (f["episode"] or "") == value)
            assert text[0].endswith(f" · {n} finding" + ("" if n == 1 else "s"))
        else:
            assert value == (current or "—")
    assert len([item for item in layout if item[0] == "row"]) == len(findings)

    page.select_option("#group-by", "channel")
    channels = sorted({f["channel"] for f in findings if f["channel"]})
    groups = page.eval_on_selector_all(
        "#findings-body tr.group-row", "rows => rows.map(r => r.dataset.group)"
    )
    assert groups == [*channels, ""]
    page.select_option("#group-by", "")
    assert page.locator("#findings-body tr.group-row").count() == 0


def test_bulk_commands_per_rule_copy_and_manual_fixes_link_their_rule_page(
    trend_page: Opened, demo_scans: DemoScans
) -> None:
    page = trend_page.page
    findings = demo_scans.reports[-1]["findings"]
    fixable = sorted({f["rule"] for f in findings if f["fix"]})
    assert fixable
    assert page.eval_on_selector_all("#bulk tbody tr", "rs => rs.map(r => r.dataset.rule)") == (
        fixable
    )
    code = fixable[0]
    preview = shlex.join(
        ["ytm-doctor", "fix", "--config", str(demo_scans.demo.config), "--select", code]
    )
    row = f"#bulk tr[data-rule={code}]"
    assert page.inner_text(f"{row} code.preview") == preview
    assert page.inner_text(f"{row} code.run") == preview + " --run"
    page.click(f"{row} code.run + button.copy")
    page.wait_for_function(
        f"document.querySelector('{row} code.run + button.copy').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == preview + " --run"

    # A finding no fixer handles: its next step and a link to its rule page.
    manual = next(f for f in findings if f["fix"] is None)
    page.fill("#filter-text", manual["fingerprint"])
    page.wait_for_function("document.getElementById('match-count').dataset.count === '1'")
    assert page.inner_text("#findings-body .next-step") == manual["next_step"]
    page.click("#findings-body a.manual-link")
    assert page.is_visible("#rule-dialog")
    assert "How to fix it by hand" in page.inner_text("#rule-dialog")
    page.click("#rule-dialog-close")
    # How long it has been open: since the first scan (the oldest kept: "at least").
    assert page.inner_text("#findings-body .age").startswith("open ≥ ")
    assert trend_page.errors == []
