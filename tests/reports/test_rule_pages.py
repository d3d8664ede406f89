"""Rule pages in the HTML report, rendered by markdown-it-py (CommonMark) with raw HTML and
script links refused; without markdown-it-py, shown as escaped preformatted text."""

from __future__ import annotations

import os
import sys
from html.parser import HTMLParser

import pytest

from ytm_doctor import ssot_files
from ytm_doctor.reports.rule_page import to_html


class Tags(HTMLParser):
    """The start tags of a fragment, with their attributes, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def names(self) -> list[str]:
        return [tag for tag, _ in self.tags]


def test_a_real_rule_page_keeps_its_structure() -> None:
    page = ssot_files.rule_page("YTM402")
    assert page is not None
    html = str(to_html(page))
    tags = Tags(html)
    # `# YTM402 ...` nests under the report's own <h1>; its sections are <h3>.
    assert html.startswith("<h2>YTM402 run-dir-symlink-broken</h2>")
    assert "<h3>What it finds</h3>" in html and "<h3>How to fix it by hand</h3>" in html
    assert "h1" not in tags.names()
    # The `-` list that follows a paragraph line is a list of three items.
    assert tags.names().count("ul") == 1 and tags.names().count("li") == 3
    # Inline code and the fenced blocks, with <run_id> escaped, not taken for a tag.
    assert "<code>video/runs/&lt;run_id&gt;/capcut_draft</code>" in html
    assert tags.names().count("pre") == 2
    assert "cd workspaces/video/runs/&lt;run_id&gt;\nmv capcut_draft" in html
    assert "<strong>candidate</strong>" in html
    assert "run_id" not in tags.names()


def test_links_render_and_markup_does_not() -> None:
    html = str(
        to_html(
            "# T1 demo\n\nSee [the docs](https://example.com/a?b=1&c=2) and <b>bold</b>, "
            "`<i>`, [click](javascript:alert(1)).\n\n<script>x()</script>\n\n"
            '<img src=x onerror="alert(2)">\n\n```\n<u>code</u>\n```\n'
        )
    )
    tags = Tags(html)
    assert ("a", {"href": "https://example.com/a?b=1&c=2"}) in tags.tags
    assert [t for t, _ in tags.tags if t in ("b", "i", "u", "script", "img")] == []
    assert all("javascript" not in (a.get("href") or "") for _, a in tags.tags)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<pre><code>&lt;u&gt;code&lt;/u&gt;\n</code></pre>" in html
    assert "[click](javascript:alert(1))" in "".join(tags.text)  # shown as the text it is


def test_without_markdown_it_the_page_is_escaped_preformatted_text(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "markdown_it", None)  # as if it were not installed
    with pytest.raises(ImportError):
        import markdown_it  # noqa: F401
    page = "# T1 demo\n\n- a <b>list</b> & more\n"
    html = str(to_html(page))
    assert html == (
        '<pre class="rule-page-text"># T1 demo\n\n- a &lt;b&gt;list&lt;/b&gt; &amp; more\n</pre>'
    )


def test_the_report_renders_without_markdown_it(monkeypatch, cli, world) -> None:
    os.symlink("gone", world.ws / "old_link")  # one YTM301 finding, so its page is embedded
    monkeypatch.setitem(sys.modules, "markdown_it", None)
    res = cli("--no-save", "--select", "YTM301", "--output-format", "html")
    assert res.code == 1
    assert '<pre class="rule-page-text"># YTM301 ' in res.out
    assert "<h3>What it finds</h3>" not in res.out
