"""HSDS rows: loading them from JSON or CSV values, and serving them back as JSON.

``load_row("service", data)`` checks and converts the scalar fields of one HSDS
object by rules generated from the vendored table schema (types, formats, required
fields, enumerations): numbers from "12", dates, times, aware datetimes, canonical
UUIDs. Every problem is collected, then raised together as ``RowError`` naming each
field. It is the hot path of every harvest, so the rules are plain functions built
once per table. ``to_json_value`` is the inverse used when serving.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from marshmallow import fields

from schema.hsds import scalar_fields, table_schema


class RowError(ValueError):
    """Field name -> problems, for one HSDS object."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(problems.items())))
        self.problems = problems


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"Not a valid number: {value!r}.")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"Not a valid number: {value!r}.") from None


def _text(value: Any) -> str:
    if isinstance(value, (dict, list, bool)):
        raise ValueError(f"Not a valid string: {value!r}.")
    return str(value)


def _parsed(parse: Callable[[str], Any], label: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, (datetime.date, datetime.time)):
            return value
        try:
            return parse(str(value).strip())
        except ValueError:
            raise ValueError(f"Not a valid {label}: {value!r}.") from None
    return convert


def _datetime(text: str) -> datetime.datetime:
    parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _uuid(text: str) -> str:
    return str(uuid.UUID(text))


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_any_uuid = _parsed(_uuid, "UUID")


def _uuid_value(value: Any) -> Any:
    """A UUID in canonical form. Harvested ids are already canonical (``scope_ids`` made them),
    and a regex match costs a fraction of parsing with ``uuid.UUID``; anything else is parsed."""
    if type(value) is str and _CANONICAL_UUID.fullmatch(value):
        return value
    return _any_uuid(value)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "number": _number,
    "date": _parsed(datetime.date.fromisoformat, "date"),
    "datetime": _parsed(_datetime, "datetime"),
    "time": _parsed(datetime.time.fromisoformat, "time"),
    "uuid": _uuid_value,
    "string": _text,
}


@dataclass(frozen=True)
class Rule:
    name: str
    convert: Callable[[Any], Any]
    required: bool
    choices: tuple[str, ...] = ()
    kind: str = "string"


def _kind(prop: dict[str, Any]) -> str:
    kind = prop.get("datapackage_type") or prop.get("type")
    if kind in ("datetime", "date-time") or prop.get("format") == "date-time":
        return "datetime"
    if kind in ("number", "date", "time"):
        return str(kind)
    return "uuid" if prop.get("format") == "uuid" else "string"


@cache
def row_rules(table: str) -> tuple[Rule, ...]:
    """The checks for one table, generated from its HSDS table schema."""
    required = set(table_schema(table).get("required", []))
    return tuple(Rule(name, CONVERTERS[_kind(prop)], name in required, tuple(prop.get("enum", ())), _kind(prop))
                 for name, prop in scalar_fields(table).items())


# converter (None: plain text, kept as it is when it is a str), required, choices
_Check = tuple[Callable[[Any], Any] | None, bool, frozenset[str]]


@dataclass(frozen=True)
class _Checks:
    """``row_rules`` of one table by field name, with its required fields.

    ``load_row`` runs once per nested object harvested: it walks the object's own keys
    (a handful) rather than every field of the table, and keeps text that is already a
    str without calling ``_text``."""

    by_name: dict[str, _Check]
    required: tuple[str, ...]


@cache
def _checks(table: str) -> _Checks:
    rules = row_rules(table)
    return _Checks({rule.name: (None if rule.kind == "string" else rule.convert, rule.required,
                                frozenset(rule.choices)) for rule in rules},
                   tuple(rule.name for rule in rules if rule.required))


@cache
def _choices_message(table: str, name: str) -> str:
    rule = next(r for r in row_rules(table) if r.name == name)
    return f"Must be one of: {', '.join(rule.choices)}."


def load_row(table: str, data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """The scalar fields of one HSDS object as Python values; RowError names every bad field.
    Fields the object leaves out stay out; an empty string counts as empty (None). A ``partial``
    object (some fields of a row) may leave out required fields."""
    checks = _checks(table)
    out: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    by_name = checks.by_name
    for name, value in data.items():
        check = by_name.get(name)
        if check is None:
            continue
        convert, required, choices = check
        if value is None or value == "":
            if required:
                problems[name] = ["Field may not be empty."]
            else:
                out[name] = None
            continue
        if convert is None and type(value) is str:
            converted: Any = value
        else:
            try:
                converted = (convert or _text)(value)
            except ValueError as exc:
                problems[name] = [str(exc)]
                continue
        if choices and converted not in choices:
            problems[name] = [_choices_message(table, name)]
            continue
        out[name] = converted
    if not partial:
        for name in checks.required:
            if name not in data:
                problems[name] = ["Missing data for required field."]
    if problems:
        raise RowError(problems)
    return out


def load_value(table: str, name: str, value: Any) -> Any:
    """One field's value as ``load_row`` gives it (RowError if it is not valid there)."""
    return load_row(table, {name: value}, partial=True)[name]


@cache
def number_fields(table: str) -> frozenset[str]:
    """The fields of ``table`` that hold numbers."""
    return frozenset(name for name, prop in scalar_fields(table).items() if prop.get("type") == "number")


def typed_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """CSV cells as HSDS JSON values: numeric fields become numbers where they parse.

    Cells that do not parse are left as they are, for validation to report."""
    out = dict(row)
    for name in number_fields(table) & out.keys():
        with contextlib.suppress(TypeError, ValueError):
            out[name] = to_json_value(float(out[name]))
    return out


def to_json_value(value: Any) -> Any:
    """A stored value as HSDS JSON: ISO dates and times, 12 rather than 12.0."""
    if type(value) is str:  # most values: returned at once (this runs for every value served or harvested)
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.UTC)
        text = utc.strftime("%Y-%m-%dT%H:%M:%S")
        if utc.microsecond:
            text += f".{utc.microsecond // 1000:03d}"
        return text + "Z"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


class UUIDString(fields.String):
    """A marshmallow field for query parameters: a UUID in its canonical lower-case form."""

    default_error_messages = {"invalid_uuid": "Not a valid UUID: {input!r}."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return _uuid(text)
        except ValueError:
            raise self.make_error("invalid_uuid", input=text) from None
