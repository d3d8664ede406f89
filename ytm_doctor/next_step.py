"""The `next_step` of a finding no fixer handles: one sentence telling the operator what to do,
taken from its rule page ("How to fix it by hand"), else a pointer to `ytm-doctor explain`.

The sentence depends on the rule only, so it is worked out once per rule however many findings
there are (50,000 findings, a handful of rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ytm_doctor import ssot_files

if TYPE_CHECKING:
    from ytm_doctor.report import ReportRule

MANUAL_SECTION = "How to fix it by hand"
LONGEST = 300  # a first "sentence" longer than this is a recipe: point at the page instead
_SECTION = re.compile(rf"^## {re.escape(MANUAL_SECTION)}[ \t]*\n(.*?)(?=^## |\Z)", re.S | re.M)
# A sentence ends at . ! or ? followed by a space and what starts a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"])")
# Internal references that mean nothing to an operator.
_INTERNAL = re.compile(r"\bseed \d|§")


def manual_sentence(page: str) -> str | None:
    """The first sentence of a rule page's manual-fix section, or None when there is none
    usable (no section, a code block first, too long)."""
    match = _SECTION.search(page)
    if not match:
        return None
    text = " ".join(match.group(1).split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    sentence = sentence.split("```", 1)[0]  # a recipe follows: the page has it
    sentence = sentence.strip().rstrip(" :.")
    if not sentence or len(sentence) > LONGEST or _INTERNAL.search(sentence):
        return None
    return sentence


def next_step_for(code: str, page: str | None) -> str:
    """One sentence: the page's first manual step and where the rest is."""
    explain = f"`ytm-doctor explain {code}`"
    sentence = manual_sentence(page) if page else None
    if sentence is None:
        return f"Fix it by hand as {explain} describes."
    return f"{sentence} (the whole manual fix: {explain})."


class NextSteps:
    """next_step by rule code, each worked out once from the rule's page (a plugin rule's own
    page when it has one)."""

    def __init__(self, rules: Iterable[ReportRule] = ()) -> None:
        self._rules = {rule.code: rule for rule in rules}
        self._cache: dict[str, str] = {}

    def __call__(self, code: str) -> str:
        step = self._cache.get(code)
        if step is None:
            rule = self._rules.get(code)
            page = ssot_files.page_for(rule) if rule is not None else ssot_files.rule_page(code)
            step = self._cache[code] = next_step_for(code, page)
        return step
