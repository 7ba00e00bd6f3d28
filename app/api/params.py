"""Query-parameter schemas for the API. Unknown or malformed parameters are 400s."""

from __future__ import annotations

import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import MultiDict

from app.api.errors import bad_parameters
from schema.records import UUIDString

MAX_SEARCH_LENGTH = 200
LONDON = ZoneInfo("Europe/London")


class DateOrDateTime(fields.Field):
    """``2024-05-01`` (midnight UTC) or an ISO 8601 datetime; naive means UTC."""

    default_error_messages = {"invalid": "Not a valid ISO 8601 date or datetime: {input!r}."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime.datetime:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            if len(text) == 10:
                parsed = datetime.datetime.combine(datetime.date.fromisoformat(text), datetime.time())
            else:
                parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("invalid", input=value) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


class PagedParams(Schema):
    class Meta:
        unknown = RAISE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "ndjson"]))

    @validates_schema
    def _per_page_in_range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        limit = current_app.config["WAYMARK"].per_page_max
        per_page = data.get("per_page")
        if per_page is not None and not 1 <= per_page <= limit:
            raise ValidationError(f"Must be between 1 and {limit}.", "per_page")


class SearchParams(PagedParams):
    search = fields.String(validate=validate.Length(min=1, max=MAX_SEARCH_LENGTH))


DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DELIVERY = ("in_person", "telephone", "online")
MAX_AGE = 130


class Day(fields.Field):
    """A day of the week: ``TU``, ``tuesday`` or ``Tue``; loads to 0 (Monday) .. 6 (Sunday)."""

    default_error_messages = {"invalid": "Not a day of the week: {input!r} (use MO..SU or monday..sunday)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = str(value).strip().lower()
        if text.upper() in DAYS:
            return DAYS[text.upper()]
        for number, name in enumerate(DAY_NAMES):
            if len(text) >= 3 and name.startswith(text):
                return number
        raise self.make_error("invalid", input=value)


class TimeOfDay(fields.Field):
    """``09:30`` or ``09:30:00`` (24-hour clock, Europe/London); loads to minutes after midnight."""

    default_error_messages = {"invalid": "Not a time of day: {input!r} (use HH:MM, 24-hour)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            parsed = datetime.time.fromisoformat(str(value).strip())
        except ValueError:
            raise self.make_error("invalid", input=value) from None
        return parsed.hour * 60 + parsed.minute


class Moment(fields.Field):
    """``now`` or an ISO 8601 datetime; without an offset it is Europe/London time."""

    default_error_messages = {"invalid": "Not an ISO 8601 datetime or 'now': {input!r}."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime.datetime:
        text = str(value).strip()
        if text.lower() == "now":
            return datetime.datetime.now(datetime.UTC)
        try:
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.make_error("invalid", input=value) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=LONDON)


class Choices(fields.Field):
    """A comma-separated list of known values: ``delivery=online,telephone``."""

    def __init__(self, choices: tuple[str, ...], **kwargs: Any):
        super().__init__(**kwargs)
        self.choices = choices

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> frozenset[str]:
        given = [v.strip().lower() for v in str(value).split(",") if v.strip()]
        unknown = [v for v in given if v not in self.choices]
        if unknown or not given:
            raise ValidationError(f"Unknown value(s) {', '.join(unknown) or '(none)'}; use one or more of "
                                  f"{', '.join(self.choices)}, separated by commas.")
        return frozenset(given)


class Words(fields.Field):
    """A comma-separated list of free words: ``language=pl,urdu``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> frozenset[str]:
        given = frozenset(v.strip().lower() for v in str(value).split(",") if v.strip())
        if not given or any(len(v) > 50 for v in given):
            raise ValidationError("Give one or more values of at most 50 characters, separated by commas.")
        return given


class ServiceParams(SearchParams):
    """The search parameters of ``/services`` and ``/service_at_locations``: HSDS/ORUK ones
    and Waymark's extensions (documented as such in the OpenAPI file)."""

    taxonomy_term_id = fields.List(UUIDString())  # repeatable: any of the terms, each with its descendants
    taxonomy_id = UUIDString()
    organization_id = UUIDString()
    modified_after = DateOrDateTime()
    minimal = fields.Boolean(load_default=False)
    full = fields.Boolean(load_default=False)
    postcode = fields.String(validate=validate.Length(min=2, max=10))
    lat = fields.Float(validate=validate.Range(min=-90, max=90, error="Must be a latitude between -90 and 90."))
    long = fields.Float(validate=validate.Range(min=-180, max=180,
                                                error="Must be a longitude between -180 and 180."))
    place = fields.String(validate=validate.Length(min=2, max=200))
    proximity = fields.Float(validate=validate.Range(min=0, min_inclusive=False,
                                                     error="Must be a positive number of metres."))
    coverage = fields.Boolean()
    day = Day()
    start_time = TimeOfDay()
    end_time = TimeOfDay()
    open_at = Moment()
    age = fields.Integer(validate=validate.Range(min=0, max=MAX_AGE))
    minimum_age = fields.Integer(validate=validate.Range(min=0, max=MAX_AGE))
    maximum_age = fields.Integer(validate=validate.Range(min=0, max=MAX_AGE))
    cost = fields.String(validate=validate.OneOf(["free"]))
    language = Words()
    delivery = Choices(DELIVERY)
    sort = fields.String(validate=validate.OneOf(["distance", "relevance", "name"]))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_kwargs: Any) -> None:
        problems: dict[str, list[str]] = {}
        if ("lat" in data) != ("long" in data):
            problems["lat" if "lat" not in data else "long"] = ["Give lat and long together."]
        places = [name for name in ("postcode", "place", "lat") if name in data]
        if len(places) > 1:
            problems[places[1]] = [f"Give one of postcode, place or lat+long, not {' and '.join(places)}."]
        has_point = bool(places)
        for name in ("proximity", "coverage"):
            if name in data and not has_point:
                problems[name] = ["Needs a postcode, place or lat+long to measure from."]
        if data.get("sort") == "distance" and not has_point:
            problems["sort"] = ["sort=distance needs a postcode, place or lat+long."]
        if data.get("sort") == "relevance" and "search" not in data:
            problems["sort"] = ["sort=relevance needs search words."]
        if "age" in data and ("minimum_age" in data or "maximum_age" in data):
            problems["age"] = ["Give age, or minimum_age/maximum_age, not both."]
        if data.get("minimum_age", 0) > data.get("maximum_age", MAX_AGE):
            problems["minimum_age"] = ["Must not be more than maximum_age."]
        if "start_time" in data and "end_time" in data and data["start_time"] >= data["end_time"]:
            problems["end_time"] = ["Must be later than start_time."]
        if problems:
            raise ValidationError(problems)


class OrganizationParams(SearchParams):
    full_service = fields.Boolean(load_default=False)


class OrganizationDetailParams(Schema):
    class Meta:
        unknown = RAISE

    full_service = fields.Boolean(load_default=False)


class TaxonomyTermParams(SearchParams):
    taxonomy_id = UUIDString()
    parent_id = UUIDString()
    top_only = fields.Boolean(load_default=False)


@cache
def _loader(schema: type[Schema]) -> tuple[Schema, frozenset[str]]:
    """One instance of ``schema`` and its list fields, per process: building a schema costs more
    than loading a request's parameters with it, and loading keeps no state in the instance."""
    instance = schema()
    return instance, frozenset(name for name, field in instance.fields.items() if isinstance(field, fields.List))


def parse(schema: type[Schema], args: MultiDict[str, str], paged: bool = True) -> dict[str, Any]:
    """Load query parameters; a 400 names each bad or unknown parameter."""
    instance, lists = _loader(schema)
    repeated = sorted(k for k in args if len(args.getlist(k)) > 1 and k not in lists)
    if repeated:
        raise bad_parameters({k: ["Give this parameter once."] for k in repeated})
    values: dict[str, Any] = args.to_dict()
    for name in lists & set(args):  # repeatable, and each value may be a comma-separated list
        values[name] = [part.strip() for value in args.getlist(name) for part in value.split(",") if part.strip()]
    try:
        loaded: dict[str, Any] = instance.load(values)
    except ValidationError as exc:
        messages: dict[str, list[str]] = exc.normalized_messages()  # type: ignore[no-untyped-call]
        problems = {k: [m.replace("Unknown field.", "Unknown parameter.") for m in _flat(v)]
                    for k, v in messages.items()}
        raise bad_parameters(problems) from None
    if paged and loaded.get("per_page") is None:
        loaded["per_page"] = current_app.config["WAYMARK"].per_page_default
    return loaded


def _flat(messages: Any) -> list[str]:
    """Messages as a list: a list field's are keyed by the position of the bad value."""
    if isinstance(messages, dict):
        return [f"Value {int(k) + 1}: {m}" if isinstance(k, int) else m
                for k, v in messages.items() for m in _flat(v)]
    return [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]


def parse_id(value: str) -> str:
    try:
        loaded: str = UUIDString().deserialize(value)
    except ValidationError:
        raise bad_parameters({"id": [f"Not a valid UUID: {value!r}."]}) from None
    return loaded
