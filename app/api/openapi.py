"""The OpenAPI 3.1 document of this API.

It starts from the HSDS 3.0 OpenAPI file (vendored), points its response schemas at
the HSDS JSON Schemas this app serves itself (so no client needs the internet), and
lists for each operation exactly the query parameters the app accepts: they are
generated from the same marshmallow schemas that parse requests.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from flask import current_app, request
from marshmallow import Schema, fields, missing, validate

from app.api.params import DAY_NAMES, DAYS, Choices, DateOrDateTime, Day, Moment, TimeOfDay, Words
from schema.hsds import HSDS_DIR
from schema.records import UUIDString

HSDS_VERSION = "HSDS-UK-3.0"
SPEC_SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

EXTRA_DESCRIPTIONS = {
    "page": "Page number, from 1. A page past the end is an empty page.",
    "per_page": "Items per page.",
    "format": "`json` (paged) or `ndjson`: every matching record, one per line, streamed without paging.",
    "postcode": "The patient's UK postcode, postcode sector (`LS6 4`) or outcode (`LS6`): the point searched "
                "from. Results carry `distance` in metres; a sector or outcode gives an approximate point and "
                "`search_context` says so. An unknown or terminated postcode is a 400.",
    "proximity": "Only results within this many metres of the point (default and largest radius are "
                 "configured; a larger value is capped and `search_context.notices` says so).",
    "minimal": "Only `id` and `last_modified` of each service.",
    "taxonomy_term_id": "Services with this taxonomy term or any of its descendants. Repeat the parameter "
                        "(or separate ids with commas) for any of several terms. An unknown term is a 400.",
    "search": "Ranked full-text search over service name, description, organisation name and taxonomy "
              "terms, with English stemming and synonyms (\"lonely\" finds befriending). Every word must match.",
    "day": "Open at some time on this day of the week (`MO`..`SU` or `monday`..`sunday`), Europe/London.",
    "start_time": "Open at some time at or after this time of day (`HH:MM`), on `day` or on any day.",
    "end_time": "Open at some time before this time of day (`HH:MM`), on `day` or on any day.",
    "minimum_age": "Services open to someone at least this old: their age range overlaps "
                   "[minimum_age, maximum_age].",
    "maximum_age": "Services open to someone at most this old (see `minimum_age`).",
}
EXTENSIONS = {
    "lat": "Latitude (WGS84) of the point searched from, with `long`: an alternative to `postcode`.",
    "long": "Longitude (WGS84) of the point searched from, with `lat`.",
    "place": "A place name or address, found by the configured geocoder (a 400 when none is configured).",
    "coverage": "Only services whose service area covers the point: by local authority, sub-ICB, health "
                "board or country code or name (an ICB by name stands for its sub-ICB locations), or by a "
                "service-area polygon; national and online services cover everywhere. Without `proximity`, "
                "no radius applies.",
    "open_at": "Open at this moment: an ISO 8601 datetime (without an offset: Europe/London time, daylight "
               "saving included) or `now`.",
    "age": "Services open to someone of exactly this age.",
    "cost": "`free`: only services with no charge.",
    "language": "Services offered in any of these languages (ISO 639 code or English name; comma-separated).",
    "delivery": "Any of `in_person`, `telephone`, `online` (comma-separated).",
    "sort": "`distance` (nearest first), `relevance` (best text match first) or `name`. Default: relevance "
            "with `search`, else distance with a point, else name.",
}


@cache
def _hsds_openapi() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HSDS_DIR / "openapi.json").read_text())
    return loaded


def base_url() -> str:
    """Absolute URL of the API root, from WAYMARK_PUBLIC_URL or the request."""
    settings = current_app.config["WAYMARK"]
    root: str = settings.public_url.rstrip("/") or request.host_url.rstrip("/")
    return root + str(settings.api_prefix).rstrip("/")


def _field_schema(field: fields.Field) -> dict[str, Any]:
    schema: dict[str, Any]
    if isinstance(field, fields.Boolean):
        schema = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        schema = {"type": "integer"}
    elif isinstance(field, fields.Float):
        schema = {"type": "number"}
    elif isinstance(field, UUIDString):
        schema = {"type": "string", "format": "uuid"}
    elif isinstance(field, DateOrDateTime):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(field, Moment):
        schema = {"anyOf": [{"type": "string", "format": "date-time"}, {"const": "now"}]}
    elif isinstance(field, Day):
        schema = {"type": "string", "enum": [*DAYS, *DAY_NAMES]}
    elif isinstance(field, TimeOfDay):
        schema = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}
    elif isinstance(field, Choices):
        schema = {"type": "string", "pattern": f"^({'|'.join(field.choices)})(,({'|'.join(field.choices)}))*$"}
    elif isinstance(field, Words):
        schema = {"type": "string", "minLength": 1, "maxLength": 200}
    elif isinstance(field, fields.List):
        schema = {"type": "array", "items": _field_schema(field.inner)}
    else:
        schema = {"type": "string"}
    for rule in field.validators:
        if isinstance(rule, validate.Range):
            if rule.min is not None:
                schema["minimum"] = rule.min
            if rule.max is not None:
                schema["maximum"] = rule.max
        elif isinstance(rule, validate.OneOf):
            schema["enum"] = list(rule.choices)
        elif isinstance(rule, validate.Length):
            if rule.min is not None:
                schema["minLength"] = rule.min
            if rule.max is not None:
                schema["maxLength"] = rule.max
    if field.load_default not in (None, missing) and not callable(field.load_default):
        schema["default"] = field.load_default
    return schema


def query_parameters(params: type[Schema]) -> list[dict[str, Any]]:
    """OpenAPI parameter objects for every field of a parameter schema."""
    settings = current_app.config["WAYMARK"]
    described = _hsds_openapi()["components"]["parameters"]
    out = []
    for name, field in params().fields.items():
        schema = _field_schema(field)
        if name == "per_page":
            schema.update(minimum=1, maximum=settings.per_page_max, default=settings.per_page_default)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
        if name in EXTENSIONS:
            parameter["description"] = "Waymark extension (not in HSDS/ORUK). " + EXTENSIONS[name]
            parameter["x-waymark-extension"] = True
        else:
            parameter["description"] = EXTRA_DESCRIPTIONS.get(name) or described.get(name, {}).get("description", name)
        if schema.get("type") == "array":
            parameter.update(style="form", explode=True)
        out.append(parameter)
    return out


ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "error"],
    "properties": {
        "status": {"type": "integer"},
        "error": {"type": "string", "description": "What was wrong, naming the parameter."},
        "parameter": {"type": "string", "description": "The parameter at fault."},
        "details": {"type": "object"},
    },
}


SEARCH_CONTEXT_SCHEMA = {
    "type": "object",
    "description": "Waymark extension: about the search itself, present when it has a point or notices.",
    "properties": {
        "point": {"type": "object", "description": "Where distances are measured from.", "properties": {
            "latitude": {"type": "number"}, "longitude": {"type": "number"},
            "precision": {"enum": ["postcode", "sector", "outcode", "coordinates", "place"]},
            "approximate": {"type": "boolean", "description": "True for a sector, outcode or place name."},
            "label": {"type": "string"}}},
        "proximity": {"type": "number", "description": "The radius applied, in metres."},
        "notices": {"type": "array", "items": {"type": "string"},
                    "description": "Adjustments made to the query (a capped radius, ignored words ...)."},
    },
}
DISTANCE_SCHEMA = {"type": "object", "properties": {"distance": {
    "type": "number", "description": "Waymark extension: metres from the search point, when one is given."}}}


def _document_search_extensions(listing: dict[str, Any]) -> None:
    """Describe ``search_context`` and each item's ``distance`` in a searched list's response."""
    schema = listing["responses"]["200"]["content"]["application/json"]["schema"]
    schema["properties"]["search_context"] = SEARCH_CONTEXT_SCHEMA
    items = schema["properties"]["contents"]["items"]
    schema["properties"]["contents"]["items"] = {"allOf": [items, DISTANCE_SCHEMA]}


def document(base: str) -> dict[str, Any]:
    from app.api.views import RESOURCES

    doc = copy.deepcopy(_hsds_openapi())
    doc["info"] = {
        "title": "Waymark HSDS / Open Referral UK API",
        "version": "1.0.0",
        "summary": "Community services for social prescribing, as HSDS 3.0 with the ORUK profile.",
        "description": "Services, organisations, locations and taxonomies of the Waymark directory. "
                       "All endpoints are read-only, paged with the HSDS envelope, and allow any origin.",
        "license": {"name": "Open Government Licence v3.0",
                    "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
    }
    doc["servers"] = [{"url": base}]
    doc["components"]["schemas"]["Error"] = ERROR_SCHEMA
    errors = {
        "400": {"description": "A parameter is unknown or malformed; the body names it.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    }
    for resource in RESOURCES:
        listing = doc["paths"][f"/{resource.path}"]["get"]
        listing["parameters"] = query_parameters(resource.params)
        if resource.searched:
            _document_search_extensions(listing)
        listing["responses"].update(errors)
        detail = doc["paths"][f"/{resource.path}/{{id}}"]
        detail.setdefault("get", {}).pop("parameters", None)
        detail["parameters"] = [p for p in detail.get("parameters", []) if p.get("in") == "path"]
        if resource.detail_params is not None:
            detail["get"]["parameters"] = query_parameters(resource.detail_params)
        detail["get"]["responses"].update(errors)
        detail["get"]["responses"]["404"] = {
            "description": "No record with this id.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    text = json.dumps(doc).replace(SPEC_SCHEMA_BASE, base + "/hsds/")
    rewritten: dict[str, Any] = json.loads(text)
    return rewritten
