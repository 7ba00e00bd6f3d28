"""Shared normalisation for every importer: text, phone numbers, postcodes, links, emails, opening hours.

Every function is pure. Each returns a clean value or raises ``NormaliseError`` whose message names the
value and says what is wrong with it (``"'0113 49' is not a valid GB phone number"``), so an importer can
attach the message to the record as a readable problem. Two exceptions never raise: ``clean_text`` (it
returns ``None`` for nothing) and ``opening_hours`` (it returns ``[]`` when the text cannot be structured
with confidence, and the caller keeps the text as a description-only schedule).

Opening hours are read by a small tokeniser and parser rather than a pile of regular expressions: every
word must be understood or the whole text is left unstructured, and a 12-hour time without am/pm is only
resolved when exactly one plausible reading remains.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import product
from urllib.parse import urlsplit, urlunsplit

import phonenumbers


class NormaliseError(ValueError):
    """A value could not be normalised; the message says which value and what is wrong with it."""


def _quote(value: object) -> str:
    """The value as it appears in error messages: quoted, and shortened if it is long."""
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")


# --------------------------------------------------------------------------- text

# Tags recognised as HTML. Anything else in angle brackets ("<jo@example.org>") is kept as text.
_HTML_TAGS = frozenset(
    {
        "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote", "body", "br", "caption",
        "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em",
        "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr", "html",
        "i", "img", "ins", "kbd", "label", "li", "link", "main", "mark", "meta", "nav", "noscript", "o:p", "ol", "p",
        "pre", "q", "s", "samp", "script", "section", "small", "span", "strike", "strong", "style", "sub", "summary",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
_PARAGRAPH_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "div", "dl", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
    }
)  # fmt: skip
_LINE_TAGS = frozenset({"br", "li", "dd", "dt", "tr", "caption", "figcaption", "summary"})
_CELL_TAGS = frozenset({"td", "th"})
_HIDDEN_TAGS = frozenset({"head", "script", "style", "title", "noscript"})  # their content is not text
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))  # soft hyphen, zero widths, BOM
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# An & without an entity and its semicolon is literal: "Lunch&times vary" keeps its words.
_BARE_AMPERSAND = re.compile(r"&(?!#?[a-z0-9]+;)", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, turning block structure into line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.handle_data(self.get_starttag_text() or "")
        elif tag in _HIDDEN_TAGS:
            self._hidden += 1
        else:
            self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.handle_data(self.get_starttag_text() or "")
        else:
            self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _HTML_TAGS:
            self.handle_data(f"</{tag}>")
        elif tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _PARAGRAPH_TAGS or tag in _CELL_TAGS or tag == "br":  # </li> adds nothing: <li> starts a line
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def _break(self, tag: str) -> None:
        if tag in _PARAGRAPH_TAGS:
            self.parts.append("\n\n")
        elif tag in _LINE_TAGS:
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append(" ")


def _strip_html(text: str) -> str:
    """The text of ``text`` with tags removed and entities unescaped."""
    parser = _TextExtractor()
    parser.feed(_BARE_AMPERSAND.sub("&amp;", text))
    parser.close()
    return "".join(parser.parts)


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):  # empty cells from pandas are NaN
        return None
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    try:
        return str(value)
    except Exception:  # a broken __str__ must not stop an import
        return None


def clean_text(value: object) -> str | None:
    """Readable plain text from a spreadsheet cell or HTML fragment, or ``None`` if there is none.

    Tags are removed (their text kept; paragraphs become blank lines, ``<br>`` and list items new lines),
    entities unescaped, unicode normalised to NFC, invisible characters dropped, runs of spaces collapsed
    and lines trimmed. ``None``, NaN and blank values give ``None``. Never raises.
    """
    text = _as_text(value)
    if text is None:
        return None
    if "<" in text or "&" in text:
        text = _strip_html(text)
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _LINE_BREAKS.sub("\n", text)
    text = "".join(ch for ch in text if ch == "\n" or ch == "\t" or unicodedata.category(ch) != "Cc")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text or None


# --------------------------------------------------------------------------- phone numbers

# Ofcom's "telephone numbers for drama purposes": ranges that will never be allocated, used in our demo data.
# Each is the first seven digits of a ten-digit national number (0113 496 0000 to 0113 496 0999 -> "1134960").
# phonenumbers 9.0 rejects some of them with is_valid_number (01632 960xxx, 07700 900xxx, 0115 496 0xxx)
# because they are not allocated, so for UK numbers in these ranges is_possible_number is enough.
_DRAMA_RANGES = (
    "1134960", "1144960", "1154960", "1164960", "1174960", "1184960",  # Leeds ... Reading
    "1214960", "1314960", "1414960", "1514960", "1614960",  # Birmingham, Edinburgh, Glasgow, Liverpool, Manchester
    "1914980", "2079460", "2896496", "2920180",  # Tyneside, London, Northern Ireland, Cardiff
    "1632960", "7700900", "8081570", "9098790", "3069990",  # no area, mobile, freephone, premium rate, UK-wide
)  # fmt: skip


def _is_drama_number(number: phonenumbers.PhoneNumber) -> bool:
    national = phonenumbers.national_significant_number(number)
    return number.country_code == 44 and len(national) == 10 and national.startswith(_DRAMA_RANGES)


def _parse_phone(value: str, country: str) -> phonenumbers.PhoneNumber:
    text, country = str(value).strip(), country.upper()
    if not text:
        raise NormaliseError("the phone number is empty")
    problem = NormaliseError(f"{_quote(text)} is not a valid {country} phone number")
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        raise problem from None
    if phonenumbers.is_valid_number(number):
        return number
    if phonenumbers.is_possible_number(number) and _is_drama_number(number):
        return number
    raise problem


def phone_number(value: str, country: str = "GB") -> str:
    """The number in international format (``"+44 113 496 0123"``), without any extension.

    ``value`` is read as a number dialled in ``country`` (an ISO 3166 region code) unless it starts with
    ``+`` or an international prefix. Raises ``NormaliseError`` unless it is a possible and valid number.
    """
    number = _parse_phone(value, country)
    number.extension = None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_extension(value: str, country: str = "GB") -> int | None:
    """The extension written after a number (``"0113 496 0123 ext 12"``, ``"x12"``), or ``None``.

    Raises ``NormaliseError`` exactly when ``phone_number`` would.
    """
    extension = _parse_phone(value, country).extension
    return int(extension) if extension else None


# --------------------------------------------------------------------------- postcodes

# The UK postcode format (BS 7666): outward code A9, A99, AA9, AA99, A9A or AA9A, then inward code 9AA, with the
# letters Royal Mail never uses in each position left out. Special cases (GIR 0AA, BFPO, overseas territories)
# are not accepted.
_AREA = "[A-PR-UWYZ][A-HK-Y]?"  # first letter never Q, V or X; second never I, J or Z
_OUTWARD = rf"(?:{_AREA}[0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"  # never C, I, K, M, O or V
_POSTCODE = re.compile(rf"({_OUTWARD})({_INWARD})")
_OUTCODE = re.compile(_OUTWARD)


def _squeeze(value: object) -> str:
    return re.sub(r"\s+", "", str(value)).upper()


def postcode(value: str) -> str:
    """A full UK postcode in capitals with one space (``" ls64ab "`` -> ``"LS6 4AB"``).

    Raises ``NormaliseError`` for anything that is not a full postcode, including a district alone.
    """
    squeezed = _squeeze(value)
    if not squeezed:
        raise NormaliseError("the postcode is empty")
    match = _POSTCODE.fullmatch(squeezed)
    if match:
        return f"{match[1]} {match[2]}"
    if _OUTCODE.fullmatch(squeezed):
        raise NormaliseError(f"{_quote(value)} is a postcode district, not a full UK postcode")
    raise NormaliseError(f"{_quote(value)} is not a valid UK postcode")


def outcode(value: str) -> str:
    """A UK postcode district (outward code) alone, in capitals (``" ls6 "`` -> ``"LS6"``).

    Raises ``NormaliseError`` for anything else, including a full postcode.
    """
    squeezed = _squeeze(value)
    if not squeezed:
        raise NormaliseError("the postcode district is empty")
    if _OUTCODE.fullmatch(squeezed):
        return squeezed
    if _POSTCODE.fullmatch(squeezed):
        raise NormaliseError(f"{_quote(value)} is a full postcode, not a postcode district")
    raise NormaliseError(f"{_quote(value)} is not a valid UK postcode district")


def is_postcode(value: object) -> bool:
    """Whether ``value`` is a full UK postcode that ``postcode`` accepts."""
    return isinstance(value, str) and _POSTCODE.fullmatch(_squeeze(value)) is not None


# --------------------------------------------------------------------------- web addresses and emails

_SCHEME = re.compile(r"([a-z][a-z0-9+-]*):", re.IGNORECASE)  # no dots: "www.example.org:8080" has no scheme
_LABEL = re.compile(r"(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?", re.IGNORECASE)  # a DNS label, unicode allowed
_TOP_LABEL = re.compile(r"[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59}", re.IGNORECASE)


def _is_domain(host: str) -> bool:
    """Whether ``host`` is a dotted domain name ending in a real-looking top-level label."""
    labels = host.removesuffix(".").split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and _TOP_LABEL.fullmatch(labels[-1]) is not None
    )


def url(value: str) -> str:
    """A web address with its scheme (``"www.example.org/x"`` -> ``"https://www.example.org/x"``).

    Only http and https links to a dotted host are accepted; scheme and host are lowercased, the rest is
    kept as written. Raises ``NormaliseError`` for spaces inside, other schemes (``javascript:``,
    ``mailto:``), email addresses and hosts that are not domain names.
    """
    text = str(value).strip()
    if not text:
        raise NormaliseError("the web address is empty")
    if re.search(r"\s", text):
        raise NormaliseError(f"{_quote(text)} is not a web address: it contains spaces")
    scheme = _SCHEME.match(text)
    if scheme and scheme[1].lower() not in ("http", "https"):
        raise NormaliseError(
            f"{_quote(text)} is not a web address: {scheme[0].lower()} links are not allowed, only http and https"
        )
    link = text if scheme else ("https:" if text.startswith("//") else "https://") + text
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise NormaliseError(f"{_quote(text)} is not a web address: it cannot be read as a link") from None
    if "@" in parts.netloc:
        raise NormaliseError(f"{_quote(text)} is not a web address: it looks like an email address")
    if not _is_domain(parts.hostname or ""):
        raise NormaliseError(f"{_quote(text)} is not a web address: it has no domain name like example.org")
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


_LOCAL_PART = re.compile(r"[^\s@\"(),:;<>\[\\\]]+")


def email(value: str) -> str:
    """An email address, trimmed, without ``mailto:``, with the domain lowercased.

    A pragmatic check, not RFC 5322: one ``@``, no spaces, a plain local part and a dotted domain.
    Raises ``NormaliseError`` otherwise.
    """
    text = str(value).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0].strip()
    if not text:
        raise NormaliseError("the email address is empty")
    if text.count("@") > 1 and re.search(r"[,;/]|\s(?:and|or)\s", text):
        raise NormaliseError(f"{_quote(text)} is not a valid email address: it looks like more than one address")
    if re.search(r"\s", text):
        raise NormaliseError(f"{_quote(text)} is not a valid email address: it contains spaces")
    if text.count("@") != 1:
        problem = "it has no @" if "@" not in text else "it has more than one @"
        raise NormaliseError(f"{_quote(text)} is not a valid email address: {problem}")
    local, domain = text.split("@")
    if not _LOCAL_PART.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise NormaliseError(f"{_quote(text)} is not a valid email address: the part before the @ is not valid")
    if not _is_domain(domain) or domain.endswith("."):
        raise NormaliseError(f"{_quote(text)} is not a valid email address: {_quote(domain)} is not a domain name")
    return f"{local}@{domain.lower()}"


# --------------------------------------------------------------------------- opening hours

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_WORDS = {
    "MO": ("mon", "monday", "mondays"),
    "TU": ("tue", "tues", "tuesday", "tuesdays"),
    "WE": ("wed", "weds", "wednesday", "wednesdays"),
    "TH": ("thu", "thur", "thurs", "thursday", "thursdays"),
    "FR": ("fri", "friday", "fridays"),
    "SA": ("sat", "saturday", "saturdays"),
    "SU": ("sun", "sunday", "sundays"),
}
_DAY_NAMES = {word: day for day, words in _DAY_WORDS.items() for word in words}
_DAY_GROUPS = {
    "weekdays": DAYS[:5],
    "weekday": DAYS[:5],
    "weekends": DAYS[5:],
    "weekend": DAYS[5:],
    "daily": DAYS,
    "everyday": DAYS,
}
_RANGE_WORDS = frozenset({"-", "to", "till", "til", "until", "through", "thru"})
_LIST_WORDS = frozenset({",", "&", "and", "+", "/", ":"})
_FILLER_WORDS = frozenset({"open", "opening", "opens", "hours", "times", "from", "on", "every", "each", "are", "is"})
_END_OF_DAY = 24 * 60
_EARLIEST_GUESS = 6 * 60  # an inferred time never opens before 6am ...
_LONGEST_GUESS = 12 * 60  # ... nor stays open more than 12 hours

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<always>24\s*/\s*7)
    | (?P<allday>(?:24|twenty[\s-]four)\s*(?:hours|hrs|hr|h)(?:\s+a\s+day)?\b)
    | (?P<everyday>(?:every|each)\s+day|(?:7|seven)\s+days(?:\s+a\s+week)?|all\s+week|week\s*days)\b
    | (?P<named>(?:12\s*)?(?:noon|midday|midnight))\b
    | (?P<time>(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<half>[ap])\.?\s*m\b\.?
        | (?P<hour24>\d{2})(?P<minute24>\d{2})(?!\d)(?:\s*(?:hrs|h)\b)?
        | (?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?P<hrs>\s*(?:hrs|h)\b)?)
    | (?P<word>[^\W\d_]+)\.?
    | (?P<break>[;\n.])
    | (?P<sign>[-\u2010-\u2015\u2212,&+/:])
    """,
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # day, days, time, allday, closed, between, range, list, break
    text: str = ""
    days: tuple[str, ...] = ()
    times: tuple[int, ...] = ()  # minutes since midnight this time could mean, most likely first
    fixed: bool = True  # whether the time was written unambiguously


def _clock(hour: int, minute: int, half: str | None) -> _Token:
    """A time token for hour:minute, with am/pm ("a"/"p") or None when not written."""
    if minute > 59 or hour > 24 or (half and not 1 <= hour <= 12) or (hour == 24 and minute):
        raise ValueError("not a time")
    if half:
        return _Token("time", times=((hour % 12 + (12 if half == "p" else 0)) * 60 + minute,))
    if hour == 0 or hour > 12:
        return _Token("time", times=(hour * 60 + minute,))
    if hour == 12:  # a bare 12 is noon; midnight has to be said
        return _Token("time", times=(12 * 60 + minute,))
    return _Token("time", times=(hour * 60 + minute, (hour + 12) * 60 + minute), fixed=False)


def _time_token(match: re.Match[str]) -> _Token:
    if match["hour"] is not None:
        return _clock(int(match["hour"]), int(match["minute"] or 0), match["half"].lower())
    if match["hour24"] is not None:  # "0930", "1700"
        return _Token("time", times=_clock(int(match["hour24"]), int(match["minute24"]), None).times[:1])
    text = match["h"]
    token = _clock(int(text), int(match["m"] or 0), None)
    if text.startswith("0") or match["hrs"]:  # "09:00" and "9hrs" are on the 24-hour clock
        return _Token("time", times=token.times[:1])
    return token


def _word_token(word: str) -> _Token:
    word = word.lower()
    if word in _DAY_NAMES:
        return _Token("day", days=(_DAY_NAMES[word],))
    if word in _DAY_GROUPS:
        return _Token("days", days=_DAY_GROUPS[word])
    if word in ("closed", "between"):
        return _Token(word)
    if word in _RANGE_WORDS:
        return _Token("range", word)
    if word in _LIST_WORDS:
        return _Token("list", word)
    if word in _FILLER_WORDS:
        return _Token("filler", word)
    raise ValueError(f"unknown word {word!r}")


def _tokens(text: str) -> Iterator[_Token]:
    """The tokens of opening-hours text; ValueError at the first thing not understood."""
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot read {text[position:]!r}")
        position = match.end()
        kind = match.lastgroup
        if kind == "always":
            yield _Token("days", days=DAYS)
            yield _Token("allday")
        elif kind == "allday":
            yield _Token("allday")
        elif kind == "everyday":
            days = DAYS[:5] if match[0].lower().startswith("week") else DAYS
            yield _Token("days", days=days)
        elif kind == "named":
            minutes = _END_OF_DAY if match[0].lower().endswith("midnight") else 12 * 60
            yield _Token("time", times=(minutes,))
        elif kind == "time":
            yield _time_token(match)
        elif kind == "word":
            yield _word_token(match["word"])
        elif kind == "break":
            yield _Token("break")
        elif kind == "sign":
            sign = match[0]
            yield _Token("list", sign) if sign in _LIST_WORDS else _Token("range", "-")


@dataclass
class _Group:
    kind: str  # "days", "hours" or "closed"
    days: list[str]
    hours: list[tuple[_Token, _Token] | None]  # None for "closed"


_ALL_DAY = (_Token("time", times=(0,)), _Token("time", times=(_END_OF_DAY,)))


class _Reader:
    """Reads tokens into clauses of alternating day groups and hour groups."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = [token for token in tokens if token.kind != "filler"]
        self.position = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            raise ValueError(f"expected {kind}")
        self.position += 1
        return token

    def days(self, first: _Token) -> list[str]:
        """The days starting at ``first`` (already taken): one day, a group, or a range "Mon-Fri"."""
        if first.kind == "days" or not (self.is_next("range") and self.is_next("day", 1)):
            return list(first.days)
        self.position += 1
        last = self.take("day")
        start, end = DAYS.index(first.days[0]), DAYS.index(last.days[0])
        return [DAYS[(start + step) % 7] for step in range((end - start) % 7 + 1)]

    def hours(self, token: _Token) -> tuple[_Token, _Token] | None:
        """The time range starting at ``token`` (already taken), or None for "closed"."""
        if token.kind == "closed":
            return None
        if token.kind == "allday":
            return _ALL_DAY
        if token.kind == "between":  # "between 9am and 5pm"
            opens = self.take("time")
            if not self.is_next("range"):
                self.take("list", "and")
            else:
                self.position += 1
            return opens, self.take("time")
        if token.kind != "time":
            raise ValueError(f"unexpected {token.kind} {token.text!r}")
        self.take("range")
        return token, self.take("time")

    def is_next(self, kind: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == kind

    def clauses(self) -> list[list[_Group]]:
        clauses: list[list[_Group]] = [[]]
        while (token := self.peek()) is not None:
            self.position += 1
            if token.kind in ("list", "break"):
                if token.kind == "break" and clauses[-1]:
                    clauses.append([])
                continue
            kind = "days" if token.kind in ("day", "days") else "closed" if token.kind == "closed" else "hours"
            groups = clauses[-1]
            if not groups or groups[-1].kind != kind:
                groups.append(_Group(kind, [], []))
            if kind == "days":
                groups[-1].days.extend(day for day in self.days(token) if day not in groups[-1].days)
            else:
                groups[-1].hours.append(self.hours(token))
        return [clause for clause in clauses if clause]


def _readings(opens: _Token, closes: _Token) -> list[tuple[int, int]]:
    """The sensible (opens, closes) minutes for a range, most likely first."""
    ends = [end or _END_OF_DAY for end in closes.times]  # closing at 00:00 is closing at midnight
    readings = [(start, end) for start, end in product(opens.times, ends) if start < end]
    if opens.fixed and closes.fixed:
        return readings
    return [(start, end) for start, end in readings if start >= _EARLIEST_GUESS and end - start <= _LONGEST_GUESS]


def _resolve(opens: _Token, closes: _Token) -> tuple[str, str]:
    """Opening and closing times as "HH:MM", inferring am/pm only when exactly one reading makes sense."""
    readings = _readings(opens, closes)
    if len(readings) != 1:
        raise ValueError("times are ambiguous or end before they start")
    start, end = readings[0]
    end = min(end, _END_OF_DAY - 1)  # HSDS times cannot say 24:00; closing at midnight is 23:59
    return f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"


def _pairs(clause: list[_Group]) -> Iterator[tuple[_Group, _Group]]:
    """(days, hours) pairs of a clause written "days hours, days hours" or "hours days, hours days"."""
    if len(clause) % 2:
        raise ValueError("days without hours or hours without days")
    for first, second in zip(clause[::2], clause[1::2], strict=True):
        if (first.kind == "days") == (second.kind == "days"):
            raise ValueError("days and hours do not alternate")
        yield (first, second) if first.kind == "days" else (second, first)


def _schedules(text: str) -> list[dict[str, str]]:
    schedules: list[dict[str, str]] = []
    closed: set[str] = set()
    clauses = _Reader(list(_tokens(text))).clauses()
    if clauses == [[_Group("hours", [], [_ALL_DAY])]]:  # "24 hours" alone means every day
        clauses = [[_Group("days", list(DAYS), []), *clauses[0]]]
    for clause in clauses:
        for days, hours in _pairs(clause):
            if hours.kind == "closed":  # "Sat & Sun closed"
                closed.update(days.days)
                continue
            ranges = [pair for pair in hours.hours if pair is not None]
            byday = ",".join(sorted(days.days, key=DAYS.index))
            for opens, closes in ranges:
                opens_at, closes_at = _resolve(opens, closes)
                schedule = {"freq": "WEEKLY", "byday": byday, "opens_at": opens_at, "closes_at": closes_at}
                schedules.append({**schedule, "description": text})
    if closed & {day for schedule in schedules for day in schedule["byday"].split(",")}:
        raise ValueError("a day is both open and closed")
    return schedules


def opening_hours(value: str) -> list[dict[str, str]]:
    """HSDS 3.0 weekly schedules read from free-text UK opening hours, or ``[]`` if not confidently readable.

    ``"Mon-Fri 9am-5pm"`` gives ``[{"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00",
    "closes_at": "17:00", "description": "Mon-Fri 9am-5pm"}]``: one schedule per day group and time range,
    each with the original text as its description. Times without am/pm are inferred only when one reading
    opens after 6am, closes after it opens and lasts at most 12 hours ("9-5" is 09:00-17:00, "7-9" is
    left alone). "24 hours" is 00:00-23:59 and closing at midnight is 23:59. Any word not understood
    (monthly patterns, "by appointment", notes), days without times, times without days, and ranges that end
    before they start all give ``[]``. Never raises.
    """
    text = str(value)
    try:
        return _schedules(text)
    except ValueError:
        return []
