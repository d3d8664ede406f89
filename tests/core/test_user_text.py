"""User-facing text names no spec or seed sections: "seed 001 §0.2" or "SPEC §6.3" are the
design docs' names, which an operator reading a rule page, the README or `--help` never sees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ytm_doctor.cli import main
from ytm_doctor.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
RULE_PAGES = sorted((ROOT / "ssot" / "rules").glob("*.md"))
INTERNAL = re.compile(r"\b[Ss]eeds? \d{3}|\bSPEC\b|§")


def _citations(text: str) -> list[str]:
    return [
        f"{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if INTERNAL.search(line)
    ]


def test_there_are_rule_pages():
    assert RULE_PAGES


SHIPPED = [ROOT / "README.md", ROOT / "ssot" / "policy.yaml", ROOT / "ssot" / "report.schema.json"]


@pytest.mark.parametrize("path", [*RULE_PAGES, *SHIPPED], ids=lambda p: p.name)
def test_documents_cite_no_spec_or_seed(path):
    assert _citations(path.read_text(encoding="utf-8")) == []


HELP = [["--help"], *([name, "--help"] for name in COMMANDS)]


@pytest.mark.parametrize("argv", HELP, ids=" ".join)
def test_help_cites_no_spec_or_seed(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.strip()
    assert _citations(out) == []
