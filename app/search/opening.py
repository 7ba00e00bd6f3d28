"""When a service is open: HSDS schedules as weekly open intervals.

Link workers ask "open on Tuesday morning?" or "open now?". Evaluating iCal-style
HSDS schedules row by row at query time is slow and cannot be indexed, so each
schedule is turned once into intervals of the week, in minutes from Monday 00:00
local time (Europe/London): ``[start, end)`` with ``0 <= start < end <= 10080``.
A search backend indexes those numbers; ``open_at`` and ``day``/time windows become
range filters. An interval remembers the schedule's validity dates and, for
schedules that do not happen every week (the second Wednesday of the month, every
other Friday), the rule needed to check a particular date exactly.

What cannot be structured (a description only, or a rule we do not understand)
yields no interval: such a service is never claimed to be open at a given time.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
BYDAY = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")


@dataclass(frozen=True)
class OpenInterval:
    start: int  # minutes from Monday 00:00, local time
    end: int  # exclusive; at most MINUTES_PER_WEEK
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    nth: int | None = None  # monthly: the nth weekday of the month (-1 = last); None: every week
    every: int = 1  # weekly: every `every` weeks counted from `anchor`
    anchor: datetime.date | None = None

    @property
    def weekly(self) -> bool:
        return self.nth is None and self.every == 1

    def occurs_on(self, day: datetime.date) -> bool:
        """Whether the schedule happens on ``day`` (the weekday already matches)."""
        if self.valid_from and day < self.valid_from:
            return False
        if self.valid_to and day > self.valid_to:
            return False
        if self.nth is not None:
            return _nth_weekday(day) == self.nth or (self.nth == -1 and _is_last_weekday(day))
        if self.every > 1 and self.anchor is not None:
            weeks = (day - self.anchor).days // 7
            return weeks >= 0 and weeks % self.every == 0
        return True


def _nth_weekday(day: datetime.date) -> int:
    return (day.day - 1) // 7 + 1


def _is_last_weekday(day: datetime.date) -> bool:
    return (day + datetime.timedelta(days=7)).month != day.month


def _minutes(value: Any) -> int | None:
    if isinstance(value, datetime.time):
        return value.hour * 60 + value.minute
    match = re.match(r"^(\d{1,2}):(\d{2})", str(value or ""))
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    return hours * 60 + minutes if hours < 24 and minutes < 60 else None


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def intervals(schedule: dict[str, Any]) -> list[OpenInterval]:
    """The weekly open intervals of one HSDS schedule ([] when it cannot be structured)."""
    freq = str(schedule.get("freq") or "").upper()
    opens, closes = _minutes(schedule.get("opens_at")), _minutes(schedule.get("closes_at"))
    if freq not in ("WEEKLY", "MONTHLY", "DAILY") or opens is None or closes is None:
        return []
    days = DAYS if freq == "DAILY" else tuple(d.strip().upper() for d in str(schedule.get("byday") or "").split(","))
    common = {"valid_from": _date(schedule.get("valid_from")), "valid_to": _date(schedule.get("valid_to") or
                                                                              schedule.get("until"))}
    every = int(float(schedule.get("interval") or 1)) if freq == "WEEKLY" else 1
    anchor = _date(schedule.get("dtstart")) if every > 1 else None
    out: list[OpenInterval] = []
    for token in days:
        match = BYDAY.match(token)
        if not match:
            return []
        nth = int(match.group(1)) if match.group(1) else None
        if freq == "WEEKLY" and nth is not None:
            return []
        if freq == "MONTHLY" and nth is None:
            return []
        if every > 1 and anchor is None:
            return []
        base = DAYS.index(match.group(2)) * MINUTES_PER_DAY
        for start, end in _spans(base + opens, base + closes if closes > opens else base + closes + MINUTES_PER_DAY):
            out.append(OpenInterval(start, end, nth=nth, every=every, anchor=anchor, **common))
    return out


def _spans(start: int, end: int) -> list[tuple[int, int]]:
    """Split an interval running past Sunday midnight into two."""
    if end <= MINUTES_PER_WEEK:
        return [(start, end)]
    return [(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]


def week_minute(moment: datetime.datetime) -> tuple[int, datetime.date]:
    """Minutes from Monday 00:00 of ``moment`` in London time, and its London date."""
    local = moment.astimezone(LONDON) if moment.tzinfo else moment.replace(tzinfo=LONDON)
    return local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute, local.date()


def is_open(found: list[OpenInterval], moment: datetime.datetime) -> bool:
    """Whether any interval covers ``moment`` (aware, or naive London time)."""
    minute, day = week_minute(moment)
    return any(i.start <= minute < i.end and i.occurs_on(_occurrence_day(i, minute, day)) for i in found)


def _occurrence_day(interval: OpenInterval, minute: int, day: datetime.date) -> datetime.date:
    """The date the occurrence started on (yesterday for the small hours of an overnight opening)."""
    started_before_midnight = interval.start // MINUTES_PER_DAY != minute // MINUTES_PER_DAY
    return day - datetime.timedelta(days=1) if started_before_midnight else day
