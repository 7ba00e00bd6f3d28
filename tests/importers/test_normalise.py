"""Shared normalisation turns messy spreadsheet cells into clean values, or says plainly what is wrong."""

from __future__ import annotations

import ast
import csv
import re
from contextlib import AbstractContextManager, suppress
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importers.normalise import (
    NormaliseError,
    clean_text,
    email,
    is_postcode,
    opening_hours,
    outcode,
    phone_extension,
    phone_number,
    postcode,
    url,
)

ROOT = Path(__file__).resolve().parents[2]
WEEKDAYS = "MO,TU,WE,TH,FR"
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


def fails(message: str) -> AbstractContextManager[pytest.ExceptionInfo[NormaliseError]]:
    """Expect a NormaliseError with exactly this message."""
    return pytest.raises(NormaliseError, match=f"^{re.escape(message)}$")


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("broken")


# --------------------------------------------------------------------------- clean_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("  Drop-in   advice\t service ", "Drop-in advice service", id="spaces-and-tabs-collapsed"),
        pytest.param(
            "<p>Drop-in &amp; advice</p><p>Call us&nbsp;first</p>",
            "Drop-in & advice\n\nCall us first",
            id="cms-paragraphs-and-entities",
        ),
        pytest.param("Line one<br>Line two<BR/>Line three", "Line one\nLine two\nLine three", id="br-is-a-line-break"),
        pytest.param(
            "We offer:<ul><li>Food bank</li><li>Debt advice</li></ul>Ring first.",
            "We offer:\n\nFood bank\nDebt advice\n\nRing first.",
            id="list-items-one-per-line",
        ),
        pytest.param(
            '<p class="MsoNormal"><span style="font-size:11pt">Tea &amp; chat<o:p></o:p></span></p>',
            "Tea & chat",
            id="word-pasted-html",
        ),
        pytest.param("<b>Free</b> <i>for everyone</i>", "Free for everyone", id="inline-tags-keep-their-spaces"),
        pytest.param(
            "<table><tr><td>Mon</td><td>9-5</td></tr><tr><td>Tue</td><td>9-5</td></tr></table>",
            "Mon 9-5\nTue 9-5",
            id="table-rows-become-lines",
        ),
        pytest.param("<script>alert('x')</script><style>p{}</style>Hello", "Hello", id="script-and-style-dropped"),
        pytest.param(
            "Email <jo@example.org> for a place",
            "Email <jo@example.org> for a place",
            id="angle-bracket-email-is-not-a-tag",
        ),
        pytest.param("Under 5s < 1 hour & parents > 18", "Under 5s < 1 hour & parents > 18", id="bare-symbols-kept"),
        pytest.param("Tom &amp; Jerry&#39;s &pound;2 lunch", "Tom & Jerry's £2 lunch", id="entities-unescaped"),
        pytest.param(
            "Lunch&times vary, Q&A &copy 2024", "Lunch&times vary, Q&A &copy 2024", id="bare-ampersand-is-text"
        ),
        pytest.param("Cafe\u0301 and cre\u0300che", "Caf\u00e9 and cr\u00e8che", id="unicode-nfc"),
        pytest.param("\ufeffBreak\u200bfast\u00a0club", "Breakfast club", id="bom-zero-width-nbsp"),
        pytest.param(
            "First line\r\nSecond line\r\n\r\n\r\n\r\nThird",
            "First line\nSecond line\n\nThird",
            id="excel-line-breaks-and-blank-runs",
        ),
        pytest.param("  indented line  \n   next   line ", "indented line\nnext line", id="lines-trimmed"),
        pytest.param(42, "42", id="number-cell"),
        pytest.param(b"Caf\xc3\xa9 bytes", "Caf\u00e9 bytes", id="utf8-bytes"),
        pytest.param(None, None, id="none"),
        pytest.param(float("nan"), None, id="pandas-empty-cell-nan"),
        pytest.param("", None, id="empty"),
        pytest.param(" \n\t\u00a0 ", None, id="only-whitespace"),
        pytest.param("<p>&nbsp;</p><br>", None, id="html-with-no-text"),
        pytest.param(Unprintable(), None, id="broken-str-never-raises"),
    ],
)
def test_clean_text(value: object, expected: str | None) -> None:
    assert clean_text(value) == expected


# --------------------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("0113 496 0123", "+44 113 496 0123", id="leeds-landline"),
        pytest.param("01134960123", "+44 113 496 0123", id="no-spaces"),
        pytest.param("(0113) 496-0123", "+44 113 496 0123", id="brackets-and-dash"),
        pytest.param("+44 (0)113 496 0123", "+44 113 496 0123", id="international-with-bracketed-zero"),
        pytest.param("0044 113 496 0123", "+44 113 496 0123", id="international-prefix"),
        pytest.param("1134960123", "+44 113 496 0123", id="excel-dropped-leading-zero"),
        pytest.param(" Tel: 0113 496 0123 ", "+44 113 496 0123", id="tel-label"),
        pytest.param("020 7946 0123", "+44 20 7946 0123", id="london"),
        pytest.param("0800 123 4567", "+44 800 123 4567", id="freephone"),
        pytest.param("0113 496 0123 ext 12", "+44 113 496 0123", id="extension-dropped"),
        pytest.param("0113 496 0123 x12", "+44 113 496 0123", id="x-extension-dropped"),
        pytest.param("07700 900123", "+44 7700 900123", id="drama-mobile"),
        pytest.param("07700900999", "+44 7700 900999", id="drama-mobile-top-of-range"),
        pytest.param("01632 960123", "+44 1632 960123", id="drama-no-area"),
        pytest.param("0115 496 0500", "+44 115 496 0500", id="drama-nottingham"),
        pytest.param("+1 212 555 0100", "+1 212-555-0100", id="foreign-number-with-plus"),
    ],
)
def test_phone_number(value: str, expected: str) -> None:
    assert phone_number(value) == expected


def test_phone_number_in_another_default_region() -> None:
    assert phone_number("01 234 5678", country="IE") == "+353 1 234 5678"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("0113 49", "'0113 49' is not a valid GB phone number", id="too-short"),
        pytest.param("07700 901123", "'07700 901123' is not a valid GB phone number", id="outside-drama-range"),
        pytest.param(
            "0113 496 0123 / 07700 900123",
            "'0113 496 0123 / 07700 900123' is not a valid GB phone number",
            id="two-numbers-in-one-cell",
        ),
        pytest.param("Ring reception", "'Ring reception' is not a valid GB phone number", id="words"),
        pytest.param(
            "0161 496 0000 (option 2)",
            "'0161 496 0000 (option 2)' is not a valid GB phone number",
            id="note-after-number",
        ),
        pytest.param("   ", "the phone number is empty", id="blank"),
    ],
)
def test_phone_number_rejects(value: str, message: str) -> None:
    with fails(message):
        phone_number(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("0113 496 0123 ext 12", 12, id="ext"),
        pytest.param("0113 496 0123 ext. 12", 12, id="ext-dot"),
        pytest.param("0113 496 0123 extension 204", 204, id="extension"),
        pytest.param("0113 496 0123 x12", 12, id="x"),
        pytest.param("0113 496 0123 (ext 7)", 7, id="bracketed"),
        pytest.param("0113 496 0123", None, id="none"),
    ],
)
def test_phone_extension(value: str, expected: int | None) -> None:
    assert phone_extension(value) == expected


def test_phone_extension_of_invalid_number_fails_like_phone_number() -> None:
    with fails("'0113 49 x3' is not a valid GB phone number"):
        phone_extension("0113 49 x3")


# --------------------------------------------------------------------------- postcodes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("ls64ab", "LS6 4AB", id="lower-no-space"),
        pytest.param(" LS6  4AB ", "LS6 4AB", id="extra-spaces"),
        pytest.param("LS6 4AB", "LS6 4AB", id="already-clean"),
        pytest.param("ls6\u00a04ab", "LS6 4AB", id="non-breaking-space"),
        pytest.param("M1 1AE", "M1 1AE", id="A9"),
        pytest.param("B33 8TH", "B33 8TH", id="A99"),
        pytest.param("CR2 6XH", "CR2 6XH", id="AA9"),
        pytest.param("DN55 1PT", "DN55 1PT", id="AA99"),
        pytest.param("w1a 0ax", "W1A 0AX", id="A9A"),
        pytest.param("ec1a1bb", "EC1A 1BB", id="AA9A"),
    ],
)
def test_postcode(value: str, expected: str) -> None:
    assert postcode(value) == expected
    assert is_postcode(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("LS6", "'LS6' is a postcode district, not a full UK postcode", id="district-only"),
        pytest.param("LS6 4A", "'LS6 4A' is not a valid UK postcode", id="truncated"),
        pytest.param("LS6 4CA", "'LS6 4CA' is not a valid UK postcode", id="inward-letter-never-used"),
        pytest.param("QS6 4AB", "'QS6 4AB' is not a valid UK postcode", id="area-letter-never-used"),
        pytest.param("LS6 OAB", "'LS6 OAB' is not a valid UK postcode", id="letter-o-for-zero"),
        pytest.param("LS6-4AB", "'LS6-4AB' is not a valid UK postcode", id="dash"),
        pytest.param("Leeds LS6 4AB", "'Leeds LS6 4AB' is not a valid UK postcode", id="town-included"),
        pytest.param("GIR 0AA", "'GIR 0AA' is not a valid UK postcode", id="special-case-not-supported"),
        pytest.param("", "the postcode is empty", id="empty"),
    ],
)
def test_postcode_rejects(value: str, message: str) -> None:
    with fails(message):
        postcode(value)
    assert not is_postcode(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("LS6", "LS6", id="district"),
        pytest.param(" ls6 ", "LS6", id="lower-padded"),
        pytest.param("ec1a", "EC1A", id="AA9A"),
        pytest.param("B33", "B33", id="A99"),
    ],
)
def test_outcode(value: str, expected: str) -> None:
    assert outcode(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("LS6 4AB", "'LS6 4AB' is a full postcode, not a postcode district", id="full-postcode"),
        pytest.param("LS", "'LS' is not a valid UK postcode district", id="area-only"),
        pytest.param("Leeds", "'Leeds' is not a valid UK postcode district", id="town"),
        pytest.param("", "the postcode district is empty", id="empty"),
    ],
)
def test_outcode_rejects(value: str, message: str) -> None:
    with fails(message):
        outcode(value)


@pytest.mark.parametrize("value", [None, 6, ["LS6 4AB"]])
def test_is_postcode_is_false_for_non_text(value: object) -> None:
    assert is_postcode(value) is False


# --------------------------------------------------------------------------- web addresses


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("www.example.org/x", "https://www.example.org/x", id="scheme-added"),
        pytest.param("example.org", "https://example.org", id="bare-domain"),
        pytest.param("  https://www.example.org/x  ", "https://www.example.org/x", id="trimmed"),
        pytest.param("http://example.org/Path?q=1#top", "http://example.org/Path?q=1#top", id="http-kept-path-case"),
        pytest.param("HTTPS://WWW.LEEDS.GOV.UK/Services", "https://www.leeds.gov.uk/Services", id="host-lowercased"),
        pytest.param("//cdn.example.org/a", "https://cdn.example.org/a", id="protocol-relative"),
        pytest.param("www.example.org:8080/a", "https://www.example.org:8080/a", id="port-is-not-a-scheme"),
        pytest.param("https://medium.com/@leedsfoodbank", "https://medium.com/@leedsfoodbank", id="at-in-path"),
    ],
)
def test_url(value: str, expected: str) -> None:
    assert url(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            "javascript:alert(1)",
            "'javascript:alert(1)' is not a web address: javascript: links are not allowed, only http and https",
            id="javascript",
        ),
        pytest.param(
            "mailto:jo@example.org",
            "'mailto:jo@example.org' is not a web address: mailto: links are not allowed, only http and https",
            id="mailto",
        ),
        pytest.param(
            "ftp://files.example.org",
            "'ftp://files.example.org' is not a web address: ftp: links are not allowed, only http and https",
            id="ftp",
        ),
        pytest.param(
            "jo@example.org",
            "'jo@example.org' is not a web address: it looks like an email address",
            id="email-in-website-column",
        ),
        pytest.param("www.example .org", "'www.example .org' is not a web address: it contains spaces", id="space"),
        pytest.param("N/A", "'N/A' is not a web address: it has no domain name like example.org", id="n-a"),
        pytest.param(
            "http//www.example.org",
            "'http//www.example.org' is not a web address: it has no domain name like example.org",
            id="missing-colon",
        ),
        pytest.param(
            "https://192.168.0.1/",
            "'https://192.168.0.1/' is not a web address: it has no domain name like example.org",
            id="ip-address",
        ),
        pytest.param(
            "https://www.example.org:abc/",
            "'https://www.example.org:abc/' is not a web address: it cannot be read as a link",
            id="bad-port",
        ),
        pytest.param(" ", "the web address is empty", id="blank"),
    ],
)
def test_url_rejects(value: str, message: str) -> None:
    with fails(message):
        url(value)


# --------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Jo.Bloggs@Example.ORG", "Jo.Bloggs@example.org", id="only-domain-lowercased"),
        pytest.param("mailto:jo@example.org", "jo@example.org", id="mailto-stripped"),
        pytest.param("MAILTO:jo@example.org?subject=Referral", "jo@example.org", id="mailto-query-stripped"),
        pytest.param("  jo@example.org \n", "jo@example.org", id="trimmed"),
        pytest.param("info+waymark@leeds.gov.uk", "info+waymark@leeds.gov.uk", id="plus-and-subdomains"),
    ],
)
def test_email(value: str, expected: str) -> None:
    assert email(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("jo.example.org", "'jo.example.org' is not a valid email address: it has no @", id="no-at"),
        pytest.param(
            "jo@@example.org", "'jo@@example.org' is not a valid email address: it has more than one @", id="two-ats"
        ),
        pytest.param(
            "jo@example.org; sam@example.org",
            "'jo@example.org; sam@example.org' is not a valid email address: it looks like more than one address",
            id="two-addresses",
        ),
        pytest.param(
            "jo @example.org", "'jo @example.org' is not a valid email address: it contains spaces", id="space"
        ),
        pytest.param(
            "jo@example",
            "'jo@example' is not a valid email address: 'example' is not a domain name",
            id="undotted-domain",
        ),
        pytest.param(
            "jo@example..org",
            "'jo@example..org' is not a valid email address: 'example..org' is not a domain name",
            id="empty-label",
        ),
        pytest.param(
            "jo..bloggs@example.org",
            "'jo..bloggs@example.org' is not a valid email address: the part before the @ is not valid",
            id="double-dot-local",
        ),
        pytest.param("mailto:", "the email address is empty", id="mailto-only"),
    ],
)
def test_email_rejects(value: str, message: str) -> None:
    with fails(message):
        email(value)


# --------------------------------------------------------------------------- opening hours


def weekly(text: str, *schedules: tuple[str, str, str]) -> list[dict[str, str]]:
    """The expected HSDS schedules: (byday, opens_at, closes_at) each, all described by the original text."""
    return [
        {"freq": "WEEKLY", "byday": byday, "opens_at": opens, "closes_at": closes, "description": text}
        for byday, opens, closes in schedules
    ]


OPENING_HOURS = [
    ("Mon-Fri 9am-5pm", [(WEEKDAYS, "09:00", "17:00")]),
    ("Monday to Friday 9:00-17:00", [(WEEKDAYS, "09:00", "17:00")]),
    ("Tuesdays 10:00-12:00", [("TU", "10:00", "12:00")]),
    ("Tue 10am - 12 noon", [("TU", "10:00", "12:00")]),
    ("Mon, Wed & Fri 1.30pm-3.30pm", [("MO,WE,FR", "13:30", "15:30")]),
    ("Weekdays 9-5", [(WEEKDAYS, "09:00", "17:00")]),
    ("Sat 10:00\u201314:00", [("SA", "10:00", "14:00")]),
    ("Mon-Thu 9am-5pm, Fri 9am-4.30pm", [("MO,TU,WE,TH", "09:00", "17:00"), ("FR", "09:00", "16:30")]),
    ("Monday 10am-12pm and 2pm-4pm", [("MO", "10:00", "12:00"), ("MO", "14:00", "16:00")]),
    ("24 hours", [(EVERY_DAY, "00:00", "23:59")]),
    ("Every day 8am-8pm", [(EVERY_DAY, "08:00", "20:00")]),
    (
        "Mon\u2013Fri: 09:00 \u2013 17:00; Sat: 10:00 \u2013 13:00",
        [(WEEKDAYS, "09:00", "17:00"), ("SA", "10:00", "13:00")],
    ),
    # More of what council and CVS spreadsheets say.
    ("Fridays 1.30-3.30pm", [("FR", "13:30", "15:30")]),
    ("Wednesdays 10-12", [("WE", "10:00", "12:00")]),
    ("Thursdays 5-7", [("TH", "17:00", "19:00")]),
    ("Mon-Fri 9.00 a.m. - 5.00 p.m.", [(WEEKDAYS, "09:00", "17:00")]),
    ("Mon-Fri 0900-1700hrs", [(WEEKDAYS, "09:00", "17:00")]),
    ("9am-5pm Monday to Friday", [(WEEKDAYS, "09:00", "17:00")]),
    ("Open Mon-Fri between 9am and 5pm.", [(WEEKDAYS, "09:00", "17:00")]),
    ("Mondays, Wednesdays and Fridays 10am-3pm", [("MO,WE,FR", "10:00", "15:00")]),
    ("Tues & Thurs 10am-12pm", [("TU,TH", "10:00", "12:00")]),
    ("Weekends 10-4", [("SA,SU", "10:00", "16:00")]),
    ("Fri 6pm-midnight", [("FR", "18:00", "23:59")]),
    ("Open 24/7", [(EVERY_DAY, "00:00", "23:59")]),
    ("Mon-Sat 9am-5pm, closed Sundays", [("MO,TU,WE,TH,FR,SA", "09:00", "17:00")]),
    ("Mon-Fri 9-5, Sat & Sun closed", [(WEEKDAYS, "09:00", "17:00")]),
    ("Monday: 9am-5pm\nTuesday: 9am-1pm", [("MO", "09:00", "17:00"), ("TU", "09:00", "13:00")]),
]


@pytest.mark.parametrize(("text", "schedules"), OPENING_HOURS, ids=[text for text, _ in OPENING_HOURS])
def test_opening_hours(text: str, schedules: list[tuple[str, str, str]]) -> None:
    assert opening_hours(text) == weekly(text, *schedules)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Third Saturday of the month, call for details", id="monthly"),
        pytest.param("By appointment", id="by-appointment"),
        pytest.param("Varies", id="varies"),
        pytest.param("9-5", id="no-day"),
        pytest.param("Tuesdays", id="no-time"),
        pytest.param("Every other Wednesday, 1.30pm-3.30pm", id="fortnightly"),
        pytest.param("Mon-Fri 9am-5pm (closed bank holidays)", id="note-in-brackets"),
        pytest.param("Tue 7-9", id="am-or-pm-ambiguous"),
        pytest.param("Mon 5pm-9am", id="ends-before-it-starts"),
        pytest.param("Mon 9am-8am", id="ends-before-it-starts-same-half"),
        pytest.param("Mon-Fri 9-5, Fri closed", id="open-and-closed"),
        pytest.param("Mon-Fri from 9am", id="no-closing-time"),
        pytest.param("Mon 25:00-26:00", id="not-a-time"),
        pytest.param("Closed", id="closed"),
        pytest.param("", id="empty"),
    ],
)
def test_opening_hours_left_unstructured(text: str) -> None:
    assert opening_hours(text) == []


def test_demo_schedules_are_read_as_recorded_or_left_alone() -> None:
    with (ROOT / "app" / "demo" / "leeds" / "schedules.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    weekly_rows = [row for row in rows if row["freq"] == "WEEKLY" and row["interval"] == "1"]
    assert len(weekly_rows) > 100
    for row in rows:
        got = opening_hours(row["description"])
        if row in weekly_rows:
            assert got == weekly(row["description"], (row["byday"], row["opens_at"], row["closes_at"])), row
        else:  # monthly and fortnightly patterns are not weekly schedules
            assert got == [], row


# --------------------------------------------------------------------------- contracts

MESSY_PIECES = [
    "<p>", "</p>", "<br>", "&nbsp;", "&amp;", "<", ">", "Mon", "-", "Fri", "9am", "5pm", "9", "5", "to", ",", ";",
    "noon", "closed", "between", "and", "@", ".org", "x", " ", "\n", "24 hours",
]  # fmt: skip
MESSY = st.one_of(st.text(), st.lists(st.sampled_from(MESSY_PIECES), max_size=20).map("".join))


@given(MESSY)
def test_text_and_hours_never_raise(value: str) -> None:
    text = clean_text(value)
    assert text is None or text == text.strip() != ""
    for schedule in opening_hours(value):
        assert schedule["description"] == value
        assert schedule["opens_at"] < schedule["closes_at"]


@given(MESSY)
def test_validators_fail_only_with_normalise_error(value: str) -> None:
    for normalise in (phone_number, postcode, outcode, url, email):
        with suppress(NormaliseError):
            normalise(value)


# --------------------------------------------------------------------------- the module itself


def test_errors_are_value_errors() -> None:
    assert issubclass(NormaliseError, ValueError)


def test_normalise_imports_no_web_or_database_code() -> None:
    tree = ast.parse((ROOT / "importers" / "normalise.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in {"app", "flask", "sqlalchemy"}}
