"""Query-parameter schemas for the API. Unknown or malformed parameters are 400s."""

from __future__ import annotations

import datetime
from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import MultiDict

from app.api.errors import bad_parameters
from schema.records import UUIDString

MAX_SEARCH_LENGTH = 200
MAX_PROXIMITY_METRES = 200_000


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


class ServiceParams(SearchParams):
    taxonomy_term_id = UUIDString()
    taxonomy_id = UUIDString()
    organization_id = UUIDString()
    modified_after = DateOrDateTime()
    minimal = fields.Boolean(load_default=False)
    full = fields.Boolean(load_default=False)


class ServiceAtLocationParams(ServiceParams):
    postcode = fields.String(validate=validate.Length(min=2, max=10))
    proximity = fields.Float(validate=validate.Range(
        min=1, max=MAX_PROXIMITY_METRES, error=f"Must be between 1 and {MAX_PROXIMITY_METRES} metres."))

    @validates_schema
    def _proximity_needs_postcode(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "proximity" in data and "postcode" not in data:
            raise ValidationError("Needs a postcode to measure from.", "proximity")


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


def parse(schema: type[Schema], args: MultiDict[str, str], paged: bool = True) -> dict[str, Any]:
    """Load query parameters; a 400 names each bad or unknown parameter."""
    repeated = sorted(k for k in args if len(args.getlist(k)) > 1)
    if repeated:
        raise bad_parameters({k: ["Give this parameter once."] for k in repeated})
    try:
        loaded: dict[str, Any] = schema().load(args.to_dict())
    except ValidationError as exc:
        messages: dict[str, list[str]] = exc.normalized_messages()  # type: ignore[no-untyped-call]
        problems = {k: [m.replace("Unknown field.", "Unknown parameter.") for m in v]
                    for k, v in messages.items()}
        raise bad_parameters(problems) from None
    if paged and loaded.get("per_page") is None:
        loaded["per_page"] = current_app.config["WAYMARK"].per_page_default
    return loaded


def parse_id(value: str) -> str:
    try:
        loaded: str = UUIDString().deserialize(value)
    except ValidationError:
        raise bad_parameters({"id": [f"Not a valid UUID: {value!r}."]}) from None
    return loaded
