"""Digest periods: ISO weeks (2026-W46) or explicit spans, half-open, in aware UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from intel.errors import InputError


@dataclass(frozen=True)
class Period:
    """A half-open span [start, end) of publication times (aware UTC) and its label."""

    start: datetime
    end: datetime
    label: str

    def describe(self) -> str:
        """Human dates, e.g. '9 Nov - 15 Nov 2026'."""
        last = self.end - timedelta(microseconds=1)
        return f"{self.start.day} {self.start:%b} - {last.day} {last:%b %Y}"


def week_period(year: int, week: int) -> Period:
    """The ISO week as a period, Monday 00:00 UTC to the next Monday."""
    monday = datetime.combine(date.fromisocalendar(year, week, 1), datetime.min.time(), tzinfo=UTC)
    return Period(monday, monday + timedelta(days=7), f"{year}-W{week:02d}")


def last_week(now: datetime) -> Period:
    """The last complete ISO week before `now`."""
    year, week, _ = (now.astimezone(UTC) - timedelta(days=7)).isocalendar()
    return week_period(year, week)


def parse_period(week: str | None = None, since: datetime | None = None, until: datetime | None = None,
                 now: datetime | None = None) -> Period:
    """A period from --week (2026-W46) or --since/--until; default the last complete ISO week."""
    now = now or datetime.now(UTC)
    if week and (since or until):
        raise InputError("give --week or --since/--until, not both")
    if week:
        match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", week.strip(), re.IGNORECASE)
        try:
            if not match:
                raise ValueError(week)
            return week_period(int(match[1]), int(match[2]))
        except ValueError:
            raise InputError(f"--week {week!r} is not an ISO week; use e.g. 2026-W46") from None
    if not since and not until:
        return last_week(now)
    start = since or (until - timedelta(days=7))  # type: ignore[operator]
    end = until or now
    if start >= end:
        raise InputError("--since must be before --until")
    fmt = "%Y-%m-%d" if start.time() == end.time() == datetime.min.time() else "%Y-%m-%dT%H:%MZ"
    return Period(start, end, f"{start:{fmt}}..{end:{fmt}}")
