"""The small Markdown subset the rule pages use, turned into safe HTML for the HTML report.

Headings, paragraphs, `-` lists (with indented continuation lines), fenced code blocks, inline
`code` and **bold**. Every piece of text is escaped first, so a page can never inject markup;
anything else (links, tables, raw HTML) shows as the text it is.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_BULLET = re.compile(r"^[-*]\s+(.*)$")


def inline(text: str) -> str:
    """Escaped text with `code` and **bold** turned into tags."""
    out = []
    pos = 0
    for match in _INLINE.finditer(text):
        out.append(str(escape(text[pos : match.start()])))
        if match.group(1) is not None:
            out.append(f"<code>{escape(match.group(1))}</code>")
        else:
            out.append(f"<strong>{escape(match.group(2))}</strong>")
        pos = match.end()
    out.append(str(escape(text[pos:])))
    return "".join(out)


def to_html(markdown: str, heading_offset: int = 1) -> Markup:
    """The page as HTML; `# Title` becomes <h{1 + heading_offset}> so it nests in the report."""
    html: list[str] = []
    paragraph: list[str] = []
    items: list[list[str]] = []
    lines = markdown.replace("\r\n", "\n").split("\n")

    def flush() -> None:
        if paragraph:
            html.append("<p>" + inline(" ".join(paragraph)) + "</p>")
            paragraph.clear()
        if items:
            lis = "".join("<li>" + inline(" ".join(item)) + "</li>" for item in items)
            html.append(f"<ul>{lis}</ul>")
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            code = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            html.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
        elif not stripped:
            flush()
        elif heading := _HEADING.match(stripped):
            flush()
            level = min(len(heading.group(1)) + heading_offset, 6)
            html.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif bullet := _BULLET.match(stripped):
            if paragraph:
                flush()
            items.append([bullet.group(1)])
        elif items and line[:1] in (" ", "\t"):
            items[-1].append(stripped)  # continuation of the current list item
        else:
            if items:
                flush()
            paragraph.append(stripped)
        i += 1
    flush()
    return Markup("\n".join(html))
