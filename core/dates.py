"""One convention for every date and time govreports shows: Beijing time (UTC+8, China Standard
Time, no daylight saving).

The database stores moments in UTC. The reports' own dates (published, 成文日期) are Beijing
calendar dates, and so are the legal deadlines the coverage ledger compares them with (31 January
/ 31 March, 24:00 Beijing). Showing run times in the same clock means a run's start in
`govreports runs` and a report's "first seen" in `govreports coverage` can be compared by eye: a
crawl at 01:00 on 1 February in Beijing is on 1 February in both, never on 31 January in one.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Beijing")
LABEL = "Beijing time"


def in_beijing(moment: datetime) -> datetime:
    """A stored moment in Beijing time (SQLite hands back naive datetimes: those are UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(BEIJING)


def beijing_time(moment: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in Beijing time, or ``-``."""
    return in_beijing(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def beijing_date(moment: datetime) -> date:
    return in_beijing(moment).date()


def iso_date(value: str | None) -> date | None:
    """A stored ``YYYY-MM-DD`` (a report's published date) as a date; anything else — never expected
    — as None, not an error."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
