"""Schedules as weekly open intervals, and "is it open at this moment?" in London time."""

from __future__ import annotations

import datetime

import pytest

from app.search.opening import LONDON, MINUTES_PER_DAY, OpenInterval, intervals, is_open

MON = 0
TUE = MINUTES_PER_DAY
WED = 2 * MINUTES_PER_DAY
SUN = 6 * MINUTES_PER_DAY


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(("schedule", "expected"), [
    ({"freq": "WEEKLY", "byday": "TU", "opens_at": "10:00", "closes_at": "12:00"}, [(TUE + 600, TUE + 720)]),
    ({"freq": "WEEKLY", "byday": "MO,WE", "opens_at": "09:00:00", "closes_at": "17:30:00"},
     [(MON + 540, MON + 1050), (WED + 540, WED + 1050)]),
    ({"freq": "DAILY", "opens_at": "08:00", "closes_at": "20:00"},
     [(d * MINUTES_PER_DAY + 480, d * MINUTES_PER_DAY + 1200) for d in range(7)]),
    ({"freq": "WEEKLY", "byday": "SU", "opens_at": "22:00", "closes_at": "02:00"},
     [(SUN + 1320, 7 * MINUTES_PER_DAY), (0, 120)]),
    ({"description": "Third Saturday of the month, call for details"}, []),
    ({"freq": "WEEKLY", "byday": "TU", "opens_at": "10:00"}, []),
    ({"freq": "WEEKLY", "byday": "TUESDAY", "opens_at": "10:00", "closes_at": "11:00"}, []),
    ({"freq": "YEARLY", "byday": "TU", "opens_at": "10:00", "closes_at": "11:00"}, []),
])
def test_schedules_become_weekly_minute_ranges(schedule: dict[str, str], expected: list[tuple[int, int]]) -> None:
    assert [(i.start, i.end) for i in intervals(schedule)] == expected


def test_open_at_respects_london_summer_time() -> None:
    tuesday_morning = intervals({"freq": "WEEKLY", "byday": "TU", "opens_at": "10:00", "closes_at": "12:00"})
    assert is_open(tuesday_morning, at("2026-07-07T10:30"))  # a Tuesday, BST
    assert is_open(tuesday_morning, datetime.datetime(2026, 7, 7, 9, 30, tzinfo=datetime.UTC))  # 10:30 BST
    assert not is_open(tuesday_morning, datetime.datetime(2026, 7, 7, 11, 30, tzinfo=datetime.UTC))  # 12:30
    assert is_open(tuesday_morning, datetime.datetime(2026, 12, 1, 10, 30, tzinfo=datetime.UTC))  # GMT
    assert not is_open(tuesday_morning, at("2026-07-08T10:30"))  # Wednesday


def test_monthly_and_fortnightly_schedules_check_the_date() -> None:
    second_wednesday = intervals({"freq": "MONTHLY", "byday": "2WE", "opens_at": "14:00", "closes_at": "16:00"})
    assert second_wednesday and not second_wednesday[0].weekly
    assert is_open(second_wednesday, at("2026-11-11T14:30"))
    assert not is_open(second_wednesday, at("2026-11-18T14:30"))
    last_friday = intervals({"freq": "MONTHLY", "byday": "-1FR", "opens_at": "10:00", "closes_at": "11:00"})
    assert is_open(last_friday, at("2026-11-27T10:15")) and not is_open(last_friday, at("2026-11-20T10:15"))
    fortnightly = intervals({"freq": "WEEKLY", "interval": 2, "dtstart": "2026-11-02", "byday": "MO",
                             "opens_at": "18:00", "closes_at": "20:00"})
    assert is_open(fortnightly, at("2026-11-16T19:00")) and not is_open(fortnightly, at("2026-11-09T19:00"))


def test_validity_dates_and_overnight_openings() -> None:
    winter = intervals({"freq": "WEEKLY", "byday": "SA", "opens_at": "10:00", "closes_at": "14:00",
                        "valid_from": "2026-11-01", "valid_to": "2027-02-28"})
    assert is_open(winter, at("2026-12-05T11:00")) and not is_open(winter, at("2026-10-03T11:00"))
    night = intervals({"freq": "WEEKLY", "byday": "SA", "opens_at": "22:00", "closes_at": "06:00",
                       "valid_from": "2026-11-07", "valid_to": "2026-11-07"})
    assert is_open(night, at("2026-11-08T03:00"))  # Sunday small hours belong to Saturday's opening
    assert not is_open(night, at("2026-11-15T03:00"))


def test_an_interval_is_plain_data() -> None:
    assert OpenInterval(10, 20).weekly and OpenInterval(10, 20).occurs_on(datetime.date(2026, 1, 1))
