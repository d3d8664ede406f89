"""A bounded fuzz test: every file the tool reads, and every plan `apply` takes, filled with
generated garbage (random bytes, JSON of any depth and type, deep nesting, huge strings). The
tool must answer with a finding, an error line or a refusal: exit 0, 1, 2, 4 or 5, never 3
("internal error") and never a traceback; and `apply` of garbage changes nothing.

Size: FUZZ_EXAMPLES examples per reader and per plan shape (default 8, about 30 s here;
YTM_FUZZ_EXAMPLES raises it)."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ_EXAMPLES = int(os.environ.get("YTM_FUZZ_EXAMPLES", "8"))
OK_CODES = {0, 1, 2, 4, 5}

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
GARBAGE = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=50, max_value=200_000).map(lambda n: b"[" * n),
    st.integers(min_value=50, max_value=20_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.just(b"\xef\xbb\xbf{}"),
    st.just(b""),
)

# Files the scan reads, relative to the factory root (the one each rule family reads).
READ_BY_SCAN = [
    "ws/scripts/CH02/012/status.json",
    "ws/thumbnails/projects.json",
    "ws/video/runs/CH02-012__r1/capcut_draft_info.json",
    "ws/logs/ops/workspaces_mirror/workspaces_mirror__20260101T000000Z.json",
    "ws/logs/ops/ytm_doctor/latest.json",
    "ws/logs/ops/ytm_doctor/mirror.lock",
    "share/ytm_workspaces/.ytm_vault_workspaces_root.json",
    "share/uploads/factory_commentary/manifests/audio_final/20260101T000000Z__CH02-012.json",
    "ws/planning/channels/CH02.csv",
    "ws/logs/ops/ytm_doctor/stand_ins/0123456789abcdef0123__20260101T000000Z.json",
]

SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_answered(result) -> None:
    text = result.out + result.err
    assert result.code in OK_CODES, text
    assert "internal error" not in text and "Traceback" not in text, text


@pytest.fixture
def episode(factory):
    factory.write_json("ws/scripts/CH02/012/status.json", {"publish_lock": False})
    factory.write("ws/video/runs/CH02-012__r1/remotion/output/final.mp4", b"mp4")
    return factory


@pytest.mark.parametrize("rel", READ_BY_SCAN)
@SETTINGS
@given(data=GARBAGE)
def test_every_reader_answers_garbage_with_a_line(episode, rel, data):
    episode.write(rel, data)
    assert_answered(episode.cli())  # a saving scan: every reader, and latest.json written
    if rel.endswith("latest.json"):
        assert_answered(episode.cli())  # the next saving scan reads what the last one wrote


@SETTINGS
@given(data=GARBAGE)
def test_apply_answers_a_garbage_plan_and_changes_nothing(episode, data):
    plan = episode.root / "plan.json"
    plan.write_bytes(data)
    before = episode.user_tree()
    result = episode.cli("apply", str(plan), "--run")
    assert_answered(result)
    assert episode.user_tree() == before


PLAN_FIELDS = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["mkdir", "write", "rename", "symlink", "copy", "release", "x"])
        | JSON_VALUES,
        "path": st.fixed_dictionaries({"root": st.just("workspace"), "rel": JSON_VALUES})
        | JSON_VALUES,
    },
    optional={
        "dest": JSON_VALUES,
        "source": JSON_VALUES,
        "target": JSON_VALUES,
        "sha256": JSON_VALUES,
        "data_b64": JSON_VALUES,
        "options": JSON_VALUES,
    },
)


@SETTINGS
@given(action=PLAN_FIELDS, destructive=JSON_VALUES, stage=JSON_VALUES)
def test_apply_answers_a_plan_of_wrong_types_and_changes_nothing(
    episode, action, destructive, stage
):
    """A well-formed plan file whose action fields have any JSON type."""
    plan = {
        "schema": "ytm-doctor.plan.v1",
        "created": "2026-01-01T00:00:00Z",
        "roots": {},
        "fixes": [
            {
                "fixer": "fuzz",
                "rule": "YTM000",
                "title": "fuzz",
                "actions": [action],
                "preconditions": [],
                "destructive": destructive,
                "stage": stage,
            }
        ],
    }
    path = episode.root / "plan.json"
    path.write_text(json.dumps(plan))
    before = episode.user_tree()
    result = episode.cli("apply", str(path), "--run")
    assert_answered(result)
    if result.code != 0:
        assert episode.user_tree() == before


@SETTINGS
@given(line=GARBAGE)
def test_undo_answers_a_garbage_journal_line(episode, line):
    journal = episode.report_dir / "journal__20260101T000000Z-fuzz00.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"type": "run", "run_id": "20260101T000000Z-fuzz00", "command": "fix"})
    journal.write_bytes(header.encode() + b"\n" + line.replace(b"\n", b" ") + b"\n")
    assert_answered(episode.cli("undo", "--list"))
    assert_answered(episode.cli("undo", "20260101T000000Z-fuzz00"))
