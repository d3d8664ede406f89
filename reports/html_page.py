"""The HTML report's page: the data it shows (charts by rule and by channel, the trend of the
saved scans, the bulk fixes, the findings table's data block, the rule pages) and its rendering
through the Jinja templates. ytm_doctor/reports/html.py is the plugin that decides where a page
goes; it imports this module only when a page is written, so a scan that writes none (a
`--no-save` scan, the scheduled ones) does not build the classes and imports below.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ytm_doctor import ssot_files
from ytm_doctor.model import Severity
from ytm_doctor.reports.rule_page import to_html

if TYPE_CHECKING:
    import jinja2

    from ytm_doctor.history import History
    from ytm_doctor.report import Report, ReportRule

TEMPLATE = "report.html.j2"
SCRIPT_TEMPLATE = "report.js.j2"
NO_CHANNEL = "__none__"  # the channel filter's value for findings without a channel
CHART_CHANNELS = 15  # more channels than this are summed up in one "other channels" bar
CHART_RULES = 40
TREND_POINTS = 60  # the newest scans the trend chart shows (the history command has them all)
SEVERITIES = tuple(s.value for s in Severity)


@dataclass
class BarRow:
    """One bar of a chart: a label, the counts by severity and their stacked segments."""

    key: str
    label: str
    counts: dict[str, int]
    segments: list[tuple[str, float, float]] = field(default_factory=list)  # severity, x, width
    filter_kind: str | None = None  # "rule" or "channel": clicking the bar filters the table

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def title(self) -> str:
        parts = ", ".join(f"{n} {sev}" for sev, n in self.counts.items() if n)
        return f"{self.label}: {parts}"


@dataclass(frozen=True)
class ChartGeometry:
    width: int = 600
    label_width: int = 250
    bar_width: int = 290
    row_height: int = 18
    bar_height: int = 12


def _bars(rows: list[BarRow], geometry: ChartGeometry) -> list[BarRow]:
    """Fill each row's stacked segments, scaled to the largest total."""
    largest = max((r.total for r in rows), default=0) or 1
    for row in rows:
        x = float(geometry.label_width)
        row.segments = []
        for sev in SEVERITIES:
            n = row.counts.get(sev, 0)
            if n:
                width = max(geometry.bar_width * n / largest, 2.0)
                row.segments.append((sev, round(x, 1), round(width, 1)))
                x += width
    return rows


def _shorten(text: str, limit: int = 31) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rule_rows(findings: list[dict[str, Any]]) -> list[BarRow]:
    counts: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for f in findings:
        counts.setdefault(f["rule"], Counter())[f["severity"]] += 1
        names[f["rule"]] = f["name"]
    return [
        BarRow(code, _shorten(f"{code} {names[code]}"), _ordered(counts[code]), filter_kind="rule")
        for code in sorted(counts)
    ]


def _capped(rows: list[BarRow], limit: int, what: str) -> list[BarRow]:
    """At most `limit` bars; the rest summed up in one last bar that filters nothing."""
    if len(rows) <= limit:
        return rows
    other: Counter[str] = Counter()
    for row in rows[limit:]:
        other.update(row.counts)
    return [*rows[:limit], BarRow("", f"{len(rows) - limit} other {what}", _ordered(other))]


def channel_rows(findings: list[dict[str, Any]]) -> list[BarRow]:
    counts: dict[str, Counter[str]] = {}
    for f in findings:
        counts.setdefault(f["channel"] or NO_CHANNEL, Counter())[f["severity"]] += 1
    named = sorted(
        (c for c in counts if c != NO_CHANNEL), key=lambda c: (-sum(counts[c].values()), c)
    )
    rows = [BarRow(c, _shorten(c), _ordered(counts[c]), filter_kind="channel") for c in named]
    rows = _capped(rows, CHART_CHANNELS, "channels")
    if NO_CHANNEL in counts:
        rows.append(
            BarRow(NO_CHANNEL, "(no channel)", _ordered(counts[NO_CHANNEL]), filter_kind="channel")
        )
    return rows


def _ordered(counter: Counter[str]) -> dict[str, int]:
    return {sev: counter.get(sev, 0) for sev in SEVERITIES}


def rule_page_text(rule: ReportRule | None, code: str) -> str:
    """A rule's Markdown page as `ytm-doctor explain` prints it (a stub for an unknown code)."""
    if rule is None:
        return ssot_files.rule_page(code) or f"# {code}\n\n(no rule page found)\n"
    return ssot_files.page_for(rule)


def rule_pages(codes: list[str], rules: list[ReportRule]) -> dict[str, str]:
    """The Markdown pages of the given rules (built-in pages, or a plugin rule's `docs`), from
    the rules the report carries."""
    by_code = {rule.code: rule for rule in rules}
    return {code: rule_page_text(by_code.get(code), code) for code in codes}


@dataclass(frozen=True)
class TrendGeometry:
    width: int = 600
    height: int = 170
    left: int = 44  # room for the count labels
    right: int = 14
    top: int = 10
    bottom: int = 30  # room for the dates

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


@dataclass
class TrendMark:
    """One scan on the trend chart: where its two counts sit, and whether a line may join it."""

    x: float
    y_violations: float
    y_warnings: float
    violations: int
    warnings: int
    complete: bool  # full and checked everything: the line joins only these
    current: bool  # the scan this report is about
    title: str


@dataclass
class Trend:
    marks: list[TrendMark]
    top: int  # the count at the top of the plot
    violations_line: str  # SVG polyline points through the complete scans
    warnings_line: str
    first: str  # the dates under the first and last marks
    last: str
    incomplete: int  # scans that could not check everything or were partial

    @property
    def complete(self) -> int:
        return len(self.marks) - self.incomplete


def trend_of(history: History, current_id: str, geometry: TrendGeometry) -> Trend | None:
    """The trend chart of the newest TREND_POINTS scans: evenly spaced, one mark per scan."""
    points = history.points[-TREND_POINTS:]
    if not points:
        return None
    top = max(max(p.violations, p.warnings) for p in points) or 1
    step = geometry.plot_width / (len(points) - 1) if len(points) > 1 else 0.0

    def y(count: int) -> float:
        return round(geometry.top + geometry.plot_height * (1 - count / top), 1)

    marks = []
    for i, point in enumerate(points):
        x = geometry.left + (i * step if len(points) > 1 else geometry.plot_width / 2)
        kind = "full" if point.full else "partial (some rules or channels)"
        title = (
            f"{point.started:%Y-%m-%d %H:%M} UTC · {point.violations} violations, "
            f"{point.warnings} warnings · {kind}, share {point.share}"
        )
        if point.unchecked:
            title += " · not everything checked: " + "; ".join(point.unchecked)
        marks.append(
            TrendMark(
                x=round(x, 1),
                y_violations=y(point.violations),
                y_warnings=y(point.warnings),
                violations=point.violations,
                warnings=point.warnings,
                complete=point.complete,
                current=point.run_id == current_id,
                title=title,
            )
        )
    joined = [m for m in marks if m.complete]
    # Scans within the hour (a test, a busy morning) need their seconds to be told apart.
    short = points[-1].started - points[0].started < timedelta(hours=1)
    stamp = "%Y-%m-%d %H:%M:%S" if short else "%Y-%m-%d %H:%M"
    return Trend(
        marks=marks,
        top=top,
        violations_line=" ".join(f"{m.x},{m.y_violations}" for m in joined),
        warnings_line=" ".join(f"{m.x},{m.y_warnings}" for m in joined),
        first=f"{points[0].started:{stamp}}",
        last=f"{points[-1].started:{stamp}}",
        incomplete=sum(1 for m in marks if not m.complete),
    )


@dataclass(frozen=True)
class BulkFix:
    """One command per rule that fixes all of its findings: preview, then run."""

    code: str
    name: str
    fixer: str
    count: int  # findings of this rule with a fix
    preview: str
    run: str


def bulk_fixes(findings: list[dict[str, Any]], config_file: str | None) -> list[BulkFix]:
    """For every rule with fixable findings, `ytm-doctor fix --select CODE` (with the scan's
    --config) and its --run twin."""
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        if f["fix"]:
            by_rule.setdefault(f["rule"], []).append(f)
    out = []
    for code in sorted(by_rule):
        words = ["ytm-doctor", "fix"]
        if config_file:
            words += ["--config", config_file]
        preview = shlex.join([*words, "--select", code])
        first = by_rule[code][0]
        out.append(
            BulkFix(
                code,
                first["name"],
                first["fix"]["fixer"],
                len(by_rule[code]),
                preview,
                preview + " --run",
            )
        )
    return out


# The columns of one row of the page's data. 50,000 findings must parse fast, so the page gets
# rows without repeated keys, and the long strings that repeat (the absolute root before each
# path, the fix command around each fingerprint) are stored once and referred to by index.
ROW_COLUMNS = (
    "rule",
    "severity",  # index into SEVERITIES
    "root",
    "path",
    "message",
    "channel",
    "episode",
    "fingerprint",
    "details",
    "abs_path",  # a string, or the index of its prefix in "prefixes" (prefix + path)
    "fix",  # -1, or the index of [fixer, before, after] in "fixes" (before + fingerprint + after)
    "new",  # 1 when the finding is new since the previous report
    "open",  # -1, or the index in "ages" of how long it has been open ("≥ 3d 4h")
)


def page_data(
    findings: list[dict[str, Any]], new: list[str], ages: dict[str, str] | None = None
) -> dict[str, Any]:
    """The findings (as in the JSON report) in the compact form the page's script reads;
    `ages`: how long each fingerprint has been open, from the saved history."""
    new_set = set(new)
    ages = ages or {}
    age_index: dict[str, int] = {}
    next_steps: dict[str, str] = {}
    rules: dict[str, str] = {}
    prefixes: dict[str, int] = {}
    fixes: dict[tuple[str, str, str | None], int] = {}
    rows = []
    for f in findings:
        rules[f["rule"]] = f["name"]
        path, abs_path, fp = f["path"], f["abs_path"], f["fingerprint"]
        abs_cell: str | int = abs_path
        if path not in ("", ".") and abs_path.endswith("/" + path):
            abs_cell = prefixes.setdefault(abs_path[: -len(path)], len(prefixes))
        fix_cell = -1
        if f["fix"]:
            before, found, after = f["fix"]["apply"].partition(fp)
            key = (f["fix"]["fixer"], before, after if found else None)
            fix_cell = fixes.setdefault(key, len(fixes))
        elif f.get("next_step"):
            next_steps.setdefault(f["rule"], f["next_step"])
        age = ages.get(fp)
        rows.append(
            [
                f["rule"],
                SEVERITIES.index(f["severity"]),
                f["root"],
                path,
                f["message"],
                f["channel"],
                f["episode"],
                fp,
                f["details"],
                abs_cell,
                fix_cell,
                1 if fp in new_set else 0,
                -1 if age is None else age_index.setdefault(age, len(age_index)),
            ]
        )
    return {
        "columns": ROW_COLUMNS,
        "severities": SEVERITIES,
        "rules": rules,
        "prefixes": list(prefixes),
        "fixes": [list(key) for key in fixes],
        "ages": list(age_index),
        "next_steps": next_steps,  # by rule: what to do when no fixer applies
        "rows": rows,
    }


def open_ages(history: History | None, report: Report) -> dict[str, str]:
    """How long each finding of `report` has been open, as the page shows it."""
    if history is None:
        return {}
    from ytm_doctor.history import format_age

    at_least = history.oldest if history.scans_read > 1 else None
    ages = {}
    for finding in report.findings:
        since = history.since.get(finding.fingerprint)
        if since is not None:
            prefix = "≥ " if since == at_least else ""
            ages[finding.fingerprint] = prefix + format_age(report.run.started - since)
    return ages


def _environment() -> jinja2.Environment:
    """The templates' environment. Their compiled code is not kept between scans: a cache of
    code the scan would run, in a folder others may write to, is not worth the milliseconds."""
    # jinja2 is imported only here: every scan loads this plugin (its --html option), but only
    # a scan that writes a page renders one, and the import alone costs more than a small scan.
    from importlib import resources  # with tempfile, shutil and zipfile: only to render

    import jinja2

    templates = resources.files("ytm_doctor.reports").joinpath("templates")

    def load(name: str) -> str:
        return templates.joinpath(name).read_text(encoding="utf-8")

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=True,  # every name from disk is escaped, whatever the template does
        # Lenient: a key missing from a plugin's or a future report's data shows as nothing
        # rather than failing the scan after the JSON report was saved.
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["n"] = lambda v: f"{v:,}" if isinstance(v, int) else v  # 50,000 not 50000
    # Compact JSON that keeps Japanese readable; tojson still escapes < > & ' for the page.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "separators": (",", ":")}
    return env


def render_html(
    report: Report,
    pages: dict[str, str] | None = None,
    history: History | None = None,
) -> str:
    """The whole report as one HTML document; `history` (the saved reports with this scan
    last) adds the trend chart and how long each finding has been open."""
    import markupsafe  # here: every scan loads this plugin, few render a page

    env = _environment()
    data = report.to_json()
    findings = data["findings"]
    present = sorted({f["rule"] for f in findings})
    if pages is None:
        pages = rule_pages(present, report.rules)
    geometry = ChartGeometry()
    all_rules = rule_rows(findings)
    by_rule = _bars(_capped(all_rules, CHART_RULES, "rules"), geometry)
    by_channel = _bars(channel_rows(findings), geometry)
    script = env.get_template(SCRIPT_TEMPLATE).render()
    script_hash = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    channels = Counter(f["channel"] or NO_CHANNEL for f in findings)
    return env.get_template(TEMPLATE).render(
        report=data,
        summary=data["summary"],
        severities=SEVERITIES,
        by_rule=by_rule,
        by_channel=by_channel,
        geometry=geometry,
        rules=[(r.key, r.total) for r in all_rules],
        rule_names={f["rule"]: f["name"] for f in findings},
        channels=sorted(channels.items(), key=lambda kv: (kv[0] == NO_CHANNEL, kv[0])),
        no_channel=NO_CHANNEL,
        pages=[(code, to_html(pages.get(code) or f"# {code}")) for code in present],
        page_data=page_data(findings, data["new"], open_ages(history, report)),
        trend=trend_of(history, report.run.id, TrendGeometry()) if history else None,
        trend_geometry=TrendGeometry(),
        history=history,
        bulk=bulk_fixes(findings, data["config"].get("config_file")),
        new_in_report=len(set(data["new"]) & {f["fingerprint"] for f in findings}),
        script=markupsafe.Markup(script),
        script_hash=script_hash,
    )


def encode_html(text: str) -> bytes:
    # display() already turned undecodable bytes into \xNN; anything that slipped through
    # (a stray surrogate in an error message) must not make the report unwritable.
    return text.encode("utf-8", "backslashreplace")
