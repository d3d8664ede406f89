"""HTML report benchmark: how long a report of many findings takes to render, to open in a real
headless Chromium and to filter (the unit tests check that it works, never how fast).

    python benchmarks/bench_html.py [--findings 50000] [--repeat 3]

Prints, best of --repeat: render (Python, the whole page), load (until the table shows its
count) and filter (a rule's quarter of the findings), and the page's size. Needs the playwright
package and a system chromium (Debian: apt-get install chromium); it never downloads a browser.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ytm_doctor.model import Rule, Severity
from ytm_doctor.report import CheckOutcome, Report, new_run
from ytm_doctor.reports.html_page import render_html

RULES = (
    Rule("YTM301", "broken-symlink", Severity.VIOLATION, "dangling symlink"),
    Rule("YTM403", "hot-input-on-share", Severity.WARNING, "input on the share"),
    Rule("YTM303", "backup-symlink-residue", Severity.INFO, "backup residue"),
    Rule("YTM202", "vault-absolute-symlink", Severity.VIOLATION, "absolute symlink"),
)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def big_report(count: int) -> Report:
    findings = []
    for i in range(count):
        rule = RULES[i % len(RULES)]
        ch, video = f"CH{i % 17:02d}", f"{i % 500:03d}"
        finding = rule.finding(
            f"dangling symlink -> /Volumes/share/asset_vault/bgm/track_{i}.wav",
            root="workspace",
            path=f"video/input/{ch}/{video}/clip_{i}.mp4",
            abs_path=f"/Users/dd/ws/video/input/{ch}/{video}/clip_{i}.mp4",
            channel=ch,
            video=video,
        )
        if i % 3 == 0:
            preview = f"ytm-doctor fix --select {rule.code} --fingerprint {finding.fingerprint}"
            finding.fix = {"fixer": "materialize-input", "preview": preview, "apply": preview}
        findings.append(finding)
    return Report(
        run=new_run([]),
        config={"share": {"status": "online"}, "scope": {}, "walks": {}},
        outcomes=[CheckOutcome(r.code, r.name, "builtin") for r in RULES],
        findings=findings,
        errors=[],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("bench_html: the playwright package is not installed", file=sys.stderr)
        return 1
    if chromium is None:
        print("bench_html: no chromium on this machine", file=sys.stderr)
        return 1

    report = big_report(args.findings)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.html"
        renders = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            html = render_html(report)
            renders.append(time.perf_counter() - started)
        path.write_text(html, encoding="utf-8")
        quarter = str(sum(1 for f in report.findings if f.rule == "YTM403"))
        loads, filters = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            for _ in range(args.repeat):
                page = browser.new_page()
                started = time.perf_counter()
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_function("document.getElementById('match-count').dataset.count")
                loaded = time.perf_counter()
                page.select_option("#filter-rule", "YTM403")
                page.wait_for_function(
                    f"document.getElementById('match-count').dataset.count === '{quarter}'"
                )
                filters.append(time.perf_counter() - loaded)
                loads.append(loaded - started)
                page.close()
            browser.close()
        size = path.stat().st_size
    print(f"{args.findings:,} findings, page {size / 1e6:.1f} MB, best of {args.repeat}:")
    print(f"  render   {min(renders):6.2f} s")
    print(f"  load     {min(loads):6.2f} s   (until the table shows its count)")
    print(f"  filter   {min(filters):6.2f} s   (one rule, {int(quarter):,} rows)")
    print(f"  total    {min(loads) + min(filters):6.2f} s   (load + filter; the aim: under 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
