"""How ytm-doctor writes times: UTC, ISO 8601 with a Z, at the precision each record needs."""

from __future__ import annotations

from datetime import datetime, timezone

ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"  # also what strptime reads such a time back with
FILE_STAMP = "%Y%m%dT%H%M%SZ"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_seconds(moment: datetime) -> str:
    """2026-01-24T23:45:07Z: run logs, locks, demo data."""
    return moment.strftime(ISO_SECONDS)


def iso_millis(moment: datetime) -> str:
    """2026-01-24T23:45:07.123Z: reports (and SARIF's invocation times)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_micros(moment: datetime) -> str:
    """2026-01-24T23:45:07.123456Z: journals, audit lines and manifests, where two records in
    one second must still sort in the order they were written."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso_micros() -> str:
    return iso_micros(utc_now())


def file_stamp(moment: datetime) -> str:
    """20260124T234507Z: in file and run names (plans, journals, manifests, mirror logs, backups
    renamed aside), where ':' and '-' would get in the way and name order is time order."""
    return moment.strftime(FILE_STAMP)


def parse_file_stamp(stamp: str) -> datetime | None:
    """The aware UTC time of a file_stamp (20260124T234507Z), or None when `stamp` is not one
    (another length or layout, a month 13). Read by hand: datetime.strptime's first call
    imports _strptime, locale and calendar and builds their patterns, a few milliseconds of
    every command that reads a run's or a backup's name."""
    digits = stamp[:8] + stamp[9:15]
    if len(stamp) != 16 or stamp[8] != "T" or stamp[15] != "Z" or not digits.isdigit():
        return None
    if not digits.isascii():
        return None  # isdigit() also takes other scripts' digits
    fields = (digits[:4], digits[4:6], digits[6:8], digits[8:10], digits[10:12], digits[12:])
    try:
        return datetime(*map(int, fields), tzinfo=timezone.utc)
    except ValueError:
        return None


def parse_utc(text: object) -> datetime | None:
    """A time as ytm-doctor writes it (iso_seconds, iso_millis, iso_micros or file_stamp) as an
    aware UTC datetime; None for anything else (not text, another format)."""
    if not isinstance(text, str):
        return None
    if "-" not in text:
        return parse_file_stamp(text)
    for fmt in (ISO_SECONDS, "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None
