"""The one text analyser every search backend shares.

Documents and queries go through the same steps here, in Python, so that SQLite FTS5,
PostgreSQL tsvector and Elasticsearch only ever see ready-made tokens and therefore match
identically: strip HTML remnants, lower-case, fold accents, split on anything that is not a
letter or digit, drop stop words (``stopwords.txt``), stem with the Snowball English stemmer.

Queries then become a ``TextQuery`` (see ``app.search.backend``): AND over the user's content
words, each an OR over alternatives taken from ``synonyms.txt``, the words link workers use
("lonely" also finds befriending and social isolation, "debt" money advice).
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import snowballstemmer  # type: ignore[import-untyped]  # (no type information shipped)

from app.search.backend import TextQuery

MAX_GROUPS = 10  # a query longer than this is someone pasting a paragraph: the rest adds nothing
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.DOTALL | re.IGNORECASE)
_WORDS = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"['\u2019\u02bc]")
# Letters NFKD does not decompose into a base letter plus accents.
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "\u0131": "i", "æ": "ae", "œ": "oe", "þ": "th"})
_stemmers = threading.local()  # a Snowball stemmer keeps its working state on itself: one per thread
_stems: dict[str, str] = {}  # the pure-Python stemmer costs ~60 µs a word; documents repeat words a lot


def _read_words(name: str) -> list[list[str]]:
    """Lines of a data file next to this module, without comments and blank lines."""
    text = resources.files("app.search").joinpath(name).read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [[term.strip() for term in line.split(",")] for line in lines if line]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(word for line in _read_words("stopwords.txt") for term in line for word in _fold(term).split())


def _fold(text: str) -> str:
    """Lower-case and strip accents: "Café Crème" -> "cafe creme"."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(word: str) -> str:
    if word.isdigit():  # Snowball leaves numbers as they are, but only after ~20 us of work per unseen one
        return word
    stem = _stems.get(word)
    if stem is None:
        stemmer = getattr(_stemmers, "english", None)
        if stemmer is None:  # shared between threads, words stemmed at once garble each other
            stemmer = _stemmers.english = snowballstemmer.stemmer("english")
        stem = str(stemmer.stemWord(word))
        if len(_stems) < 500_000:
            _stems[word] = stem
    return stem


def words(text: str | None) -> list[str]:
    """The folded words of ``text``, HTML and apostrophes removed ("Children's" -> "childrens"),
    stop words kept and nothing stemmed."""
    if not text:
        return []
    if "<" in text:
        text = _TAGS.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return _WORDS.findall(_APOSTROPHES.sub("", _fold(text)))


def analyse(text: str | None) -> list[str]:
    """The index tokens of ``text``: folded, stop words dropped, stemmed ("Walking groups" ->
    ["walk", "group"])."""
    stops = stop_words()
    stems = _stems  # looked up here first: a call per word cost more than the stemming of known words
    tokens = []
    for word in words(text):
        if word not in stops:
            stem = stems.get(word)
            tokens.append(_stem(word) if stem is None else stem)
    return tokens


@dataclass(frozen=True)
class Synonyms:
    """Groups of equivalent terms; a term is the tuple of its analysed tokens, so "Mental
    health", "mental-health" and "mental health's" are one key."""

    alternatives: tuple[tuple[tuple[str, ...], ...], ...]  # per line: its terms' token tuples
    lines_of: dict[tuple[str, ...], tuple[int, ...]]  # term -> the lines it is on
    longest: int  # tokens in the longest term (how far to look ahead for a phrase)

    @classmethod
    def parse(cls, lines: list[list[str]]) -> Synonyms:
        alternatives: list[tuple[tuple[str, ...], ...]] = []
        lines_of: dict[tuple[str, ...], list[int]] = {}
        for line in lines:
            terms = tuple(dict.fromkeys(tokens for term in line if (tokens := tuple(analyse(term)))))
            if len(terms) < 2:
                continue
            for term in terms:
                lines_of.setdefault(term, []).append(len(alternatives))
            alternatives.append(terms)
        longest = max((len(term) for term in lines_of), default=1)
        return cls(tuple(alternatives), {term: tuple(found) for term, found in lines_of.items()}, longest)

    def group(self, term: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        """The alternatives ``term`` stands for: itself first, then its synonyms in file order,
        leaving out any alternative that contains another (it could only match where the
        shorter one already does)."""
        found = [term] + [alt for line in self.lines_of.get(term, ()) for alt in self.alternatives[line]]
        unique = list(dict.fromkeys(found))
        return tuple(alt for alt in unique
                     if not any(other != alt and set(other) <= set(alt) for other in unique))


@cache
def synonyms() -> Synonyms:
    return Synonyms.parse(_read_words("synonyms.txt"))


def parse_query(text: str | None) -> TextQuery:
    """A user's search words as a ``TextQuery``: synonym phrases ("money advice") are
    recognised before single words, words that carry no need ("help", "near me") are dropped,
    repeats collapse, and at most ``MAX_GROUPS`` groups are kept. Empty when nothing is left."""
    tokens = analyse(text)
    table = synonyms()
    groups: list[tuple[tuple[str, ...], ...]] = []
    position = 0
    while position < len(tokens) and len(groups) < MAX_GROUPS:
        for length in range(min(table.longest, len(tokens) - position), 0, -1):
            term = tuple(tokens[position:position + length])
            if length == 1 or term in table.lines_of:
                break
        group = table.group(term)
        if group not in groups:
            groups.append(group)
        position += len(term)
    return tuple(groups)
