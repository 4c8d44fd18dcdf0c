"""`intel run`: ingest on an interval, and send the weekly digest at a set day and time (UTC).

What is due is decided by the pure `due_actions(now, state, settings)`; the loop only waits,
asks it, and runs what it names. The digest covers the last complete ISO week before the
latest scheduled moment, and sending is idempotent per recipient and period, so a restart (or a
late start) catches up without sending anything twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine

from intel.config import DIGEST_DAYS, Settings
from intel.digest import Period, last_week
from intel.errors import IntelError

log = logging.getLogger("intel.schedule")
CHECK_EVERY = 60.0  # seconds between looks at the clock while idle


@dataclass
class RunState:
    """What the loop has done so far (kept in memory; the store records digests sent)."""

    last_ingest: datetime | None = None
    digest_done: str | None = None  # label of the period whose digest reached every recipient
    last_digest_try: datetime | None = None


def digest_moment(now: datetime, settings: Settings) -> datetime:
    """The latest scheduled digest time at or before `now` (this week's, else last week's)."""
    hour, minute = (int(x) for x in settings.digest_time.split(":"))
    monday = (now.astimezone(UTC) - timedelta(days=now.astimezone(UTC).weekday())).date()
    moment = datetime.combine(monday + timedelta(days=DIGEST_DAYS.index(settings.digest_day)),
                              time(hour, minute), tzinfo=UTC)
    return moment if moment <= now else moment - timedelta(days=7)


def digest_period(now: datetime, settings: Settings) -> Period:
    """The period the digest due at `now` covers: the last complete ISO week before its moment."""
    return last_week(digest_moment(now, settings))


def due_actions(now: datetime, state: RunState, settings: Settings) -> list[str]:
    """What to do at `now`: 'ingest' every interval, 'digest' once per period (retried each interval).

    No digest without INTEL_MAIL_FROM: there is nothing to send it from.
    """
    interval = timedelta(minutes=settings.ingest_interval)
    out = []
    if state.last_ingest is None or now - state.last_ingest >= interval:
        out.append("ingest")
    tried = state.last_digest_try
    # a try for this period (made since its moment) that left recipients unsent waits an interval
    retry_ok = tried is None or tried < digest_moment(now, settings) or now - tried >= interval
    if settings.mail_from and state.digest_done != digest_period(now, settings).label and retry_ok:
        out.append("digest")
    return out


def ingest_cycle(engine: Engine, settings: Settings) -> list[str]:
    """Fetch every feed, then extract, index and group what is pending (work an interrupted run left
    included); lines to report."""
    from intel.pipeline import refresh

    report = refresh(engine, settings)
    failures = getattr(report.ingest, "failures", [])
    return [f"  failed  {url}: {error}" for url, error in failures] + report.lines


def run_due(engine: Engine, settings: Settings, state: RunState, now: datetime,
            echo: Callable[[str], None]) -> list[str]:
    """Run whatever is due at `now`, updating `state`; return the actions run.

    A failing step is reported and retried at the next interval; it does not stop the loop.
    """
    from intel.mail import send_digests

    actions = due_actions(now, state, settings)
    for action in actions:
        stamp = f"{now:%Y-%m-%d %H:%M}Z"
        if action == "ingest":
            state.last_ingest = now
            try:
                for line in ingest_cycle(engine, settings):
                    echo(f"{stamp} {line}")
            except IntelError as exc:
                echo(f"{stamp} ingest failed: {exc}")
        else:
            period = digest_period(now, settings)
            state.last_digest_try = now
            try:
                report = send_digests(engine, settings, period)
            except IntelError as exc:
                echo(f"{stamp} digest {period.label} failed: {exc} (retried in {settings.ingest_interval} min)")
                continue
            for recipient, error in report.failed:
                echo(f"{stamp}   failed  {recipient}: {error}")
            echo(f"{stamp} {report.summary()}")
            if not report.failed:
                state.digest_done = period.label
    return actions


def run_forever(engine: Engine, settings: Settings, echo: Callable[[str], None],
                stop: threading.Event | None = None, clock: Callable[[], datetime] | None = None) -> None:
    """Loop until `stop` is set (Ctrl-C raises KeyboardInterrupt out of the wait: the caller exits)."""
    stop = stop or threading.Event()
    clock = clock or (lambda: datetime.now(UTC))
    state = RunState()
    while not stop.is_set():
        run_due(engine, settings, state, clock(), echo)
        stop.wait(CHECK_EVERY)
