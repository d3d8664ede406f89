"""A rule's Markdown page as HTML for the HTML report, rendered by markdown-it-py (CommonMark,
https://github.com/executablebooks/markdown-it-py), an optional dependency: the `html` extra.

Raw HTML in a page is never passed through (`html: False`: it shows as the text it is), and
markdown-it refuses `javascript:`, `vbscript:`, `file:` and `data:` link targets, so a page (a
plugin's own page too) cannot inject markup or script into the report. Without markdown-it-py
the page is shown as escaped preformatted text: everything is still there, only not formatted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markupsafe import Markup


def to_html(markdown: str, heading_offset: int = 1) -> Markup:
    """The page as HTML; `# Title` becomes <h{1 + heading_offset}> so it nests in the report."""
    from markupsafe import Markup  # here: every scan loads the HTML plugin, few render a page

    try:
        from markdown_it import MarkdownIt  # imported here: only the HTML report needs it
    except ImportError:
        return Markup('<pre class="rule-page-text">{}</pre>').format(markdown)
    md = MarkdownIt("commonmark", {"html": False})
    tokens = md.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1:]) + heading_offset, 6)}"
    return Markup(md.renderer.render(tokens, md.options, {}))
