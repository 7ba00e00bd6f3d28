"""marshmallow schemas for HSDS rows, generated from the vendored table schemas.

``row_schema("service")`` loads one flat HSDS object (JSON or CSV strings) into Python
values (dates, times, aware datetimes, numbers) and validates required fields and
formats; ``to_json_value`` is the inverse used when serving. Nested records are
walked with ``schema.hsds.plan``; each level is loaded with its table's row schema.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from functools import cache
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from schema.hsds import scalar_fields, table_schema


class Number(fields.Float):
    """An HSDS number: accepts "12" from CSV, serves 12 rather than 12.0."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return to_json_value(value)


class UUIDString(fields.String):
    """A UUID kept in its canonical lower-case string form."""

    default_error_messages = {"invalid_uuid": "Not a valid UUID: {input!r}."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise self.make_error("invalid_uuid", input=text) from None


def _field_for(name: str, prop: dict[str, Any], required: bool) -> fields.Field:
    kind = prop.get("datapackage_type") or prop.get("type")
    fmt = prop.get("format")
    opts: dict[str, Any] = {"required": required, "allow_none": not required}
    if kind == "number":
        return Number(**opts)
    if kind == "date":
        return fields.Date(**opts)
    if kind in ("datetime", "date-time") or fmt == "date-time":
        return fields.AwareDateTime(default_timezone=datetime.UTC, **opts)
    if kind == "time":
        return fields.Time(**opts)
    if fmt == "uuid":
        return UUIDString(**opts)
    rules: list[validate.Validator] = []
    if required:
        rules.append(validate.Length(min=1, error="Must not be empty."))
    if prop.get("enum"):
        rules.append(validate.OneOf(prop["enum"]))
    return fields.String(validate=rules, **opts)


@cache
def row_schema(table: str) -> Schema:
    """A marshmallow schema for the scalar fields of one HSDS table."""
    required = set(table_schema(table).get("required", []))
    declared = {name: _field_for(name, prop, name in required)
                for name, prop in scalar_fields(table).items()}
    cls = Schema.from_dict(declared, name=f"{table.title().replace('_', '')}RowSchema")
    return cls(unknown=EXCLUDE)


def load_row(table: str, data: dict[str, Any]) -> dict[str, Any]:
    """Load the scalar part of one HSDS object; raise ValidationError naming the fields."""
    scalars = {k: (None if v == "" else v) for k, v in data.items() if not isinstance(v, (dict, list))}
    loaded: dict[str, Any] = row_schema(table).load(scalars)
    return loaded


@cache
def _number_fields(table: str) -> frozenset[str]:
    return frozenset(name for name, prop in scalar_fields(table).items() if prop.get("type") == "number")


def typed_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """CSV cells as HSDS JSON values: numeric fields become numbers where they parse.

    Cells that do not parse are left as they are, for validation to report."""
    out = dict(row)
    for name in _number_fields(table) & out.keys():
        with contextlib.suppress(TypeError, ValueError):
            out[name] = to_json_value(float(out[name]))
    return out


def to_json_value(value: Any) -> Any:
    """A stored value as HSDS JSON: ISO dates and times, 12 rather than 12.0."""
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


__all__ = ["ValidationError", "load_row", "row_schema", "to_json_value"]
