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

from app.api.params import DateOrDateTime
from schema.hsds import HSDS_DIR
from schema.records import UUIDString

HSDS_VERSION = "HSDS-UK-3.0"
SPEC_SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

EXTRA_DESCRIPTIONS = {
    "page": "Page number, from 1. A page past the end is an empty page.",
    "per_page": "Items per page.",
    "format": "`json` (paged) or `ndjson`: every matching record, one per line, streamed without paging.",
    "postcode": "A UK postcode or outcode; results are ordered nearest first and carry `distance` in metres.",
    "proximity": "Only results within this many metres of `postcode` (needs `postcode`).",
    "minimal": "Only `id` and `last_modified` of each service.",
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
        description = EXTRA_DESCRIPTIONS.get(name) or described.get(name, {}).get("description", name)
        out.append({"name": name, "in": "query", "required": False,
                    "description": description, "schema": schema})
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
