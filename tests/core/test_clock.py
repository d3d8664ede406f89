"""Times as ytm-doctor writes them, read back."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ytm_doctor.clock import (
    file_stamp,
    iso_micros,
    iso_millis,
    iso_seconds,
    parse_file_stamp,
    parse_utc,
)


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)))
def test_a_file_stamp_reads_back_as_the_second_it_names(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=timezone.utc)
    stamp = file_stamp(moment)
    assert parse_file_stamp(stamp) == moment
    assert parse_file_stamp(stamp) == datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "20260124T234507",  # no Z
        "20260124T234507Z_2",
        "20261324T234507Z",  # month 13
        "20260230T000000Z",  # 30 February
        "20260124 234507Z",
        "2026012٤T234507Z",  # an Arabic-Indic digit: isdigit() but not a stamp
        "+0260124T234507Z",
    ],
)
def test_what_is_not_a_file_stamp_is_none(text: str) -> None:
    assert parse_file_stamp(text) is None


def test_every_time_the_tool_writes_reads_back() -> None:
    moment = datetime(2026, 1, 24, 23, 45, 7, 123456, tzinfo=timezone.utc)
    assert parse_utc(iso_seconds(moment)) == moment.replace(microsecond=0)
    assert parse_utc(iso_micros(moment)) == moment
    assert parse_utc(iso_millis(moment)) == moment.replace(microsecond=123000)
    assert parse_utc(file_stamp(moment)) == moment.replace(microsecond=0)
    for other in (None, 7, "", "yesterday", "2026-01-24", "20260124T234507Z_2"):
        assert parse_utc(other) is None
