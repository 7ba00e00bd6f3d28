"""HSDS 3.0 / ORUK endpoints. Thin: parse parameters, call a service, shape the page."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    stream_with_context,
)
from marshmallow import Schema
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from app import db
from app.api import openapi
from app.api.errors import ApiError, bad_parameters, json_error, json_http_error, not_found
from app.api.params import (
    OrganizationDetailParams,
    OrganizationParams,
    SearchParams,
    ServiceParams,
    TaxonomyTermParams,
    parse,
    parse_id,
)
from app.models.hsds import Organization, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from app.services import directory
from app.services.compile import compile_records
from schema.hsds import VENDOR

api_blueprint = Blueprint("api", __name__, template_folder="templates")
NDJSON_BATCH = 200


@dataclass(frozen=True)
class Resource:
    """One HSDS collection: how to filter it and which compiled shapes it serves."""

    path: str
    label: str
    params: type[Schema]
    find: Callable[[Session, dict[str, Any]], directory.Page]
    model: Any
    list_plan: str
    detail_plan: str
    detail_params: type[Schema] | None = None
    searched: bool = False  # filtered through the search index (``directory.prepare_search``)


RESOURCES = [
    Resource("services", "service", ServiceParams, directory.find_services, Service,
             "service_list", "service", searched=True),
    Resource("service_at_locations", "service_at_location", ServiceParams,
             directory.find_services_at_locations, ServiceAtLocation,
             "service_at_location_list", "service_at_location", searched=True),
    Resource("organizations", "organization", OrganizationParams, directory.find_organizations,
             Organization, "organization_list", "organization", OrganizationDetailParams),
    Resource("taxonomies", "taxonomy", SearchParams, directory.find_taxonomies, Taxonomy,
             "taxonomy", "taxonomy"),
    Resource("taxonomy_terms", "taxonomy_term", TaxonomyTermParams, directory.find_taxonomy_terms,
             TaxonomyTerm, "taxonomy_term", "taxonomy_term"),
]


def reading(session: Session) -> Session:
    """``session``, on PostgreSQL set to read without a transaction unless it has begun one.

    These endpoints only read, and each statement sees committed data either way. On
    PostgreSQL a transaction costs a BEGIN and a ROLLBACK round trip per request, and
    psycopg discards every prepared statement at each ROLLBACK, so the single statement a
    compiled record costs (``app.services.compile``) would be planned afresh on every request
    instead of once per connection. SQLite (pysqlite) opens no transaction to read anyway,
    and switching its connection to autocommit makes it prepare its statements again."""
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session


def envelope(page: directory.Page, contents: list[dict[str, Any]]) -> dict[str, Any]:
    """The HSDS paging envelope, exactly, plus Waymark's ``search_context`` extension when a
    search has a point or something to report (an approximate point, a capped radius)."""
    body = {
        "total_items": page.total,
        "total_pages": page.total_pages,
        "page_number": page.page,
        "size": len(contents),
        "first_page": page.page == 1,
        "last_page": page.page >= page.total_pages,
        "empty": len(contents) == 0,
        "contents": contents,
    }
    if page.context:
        body["search_context"] = page.context
    return body


def _contents(resource: Resource, page: directory.Page, filters: dict[str, Any],
              session: Session | None = None) -> list[dict[str, Any]]:
    session = session or db.session()
    if filters.get("minimal"):
        return [{"id": r["id"], **({"last_modified": r["last_modified"]} if "last_modified" in r else {})}
                for r in compile_records(session, resource.list_plan, page.ids)]
    wanted = filters.get("full") or filters.get("full_service")
    records = compile_records(session, resource.detail_plan if wanted else resource.list_plan, page.ids)
    for record in records:
        record.update(page.extras.get(record["id"], {}))
    return records


def list_view(resource: Resource) -> Callable[[], Any]:
    def view() -> Any:
        session = reading(db.session())
        filters = parse(resource.params, request.args)
        if resource.searched:
            filters = directory.prepare_search(session, filters, current_app.config["WAYMARK"])
        if filters["format"] == "ndjson":
            return Response(stream_with_context(_ndjson(resource, filters)), mimetype="application/x-ndjson")
        page = resource.find(session, filters)
        return jsonify(envelope(page, _contents(resource, page, filters, session)))
    view.__name__ = f"list_{resource.path}"
    return view


def _ndjson(resource: Resource, filters: dict[str, Any]) -> Iterator[str]:
    """Every matching record, one JSON document a line, without paging."""
    session = reading(db.new_session())
    try:
        number = 1
        while True:
            page = resource.find(session, {**filters, "page": number, "per_page": NDJSON_BATCH})
            for record in _contents(resource, page, filters, session):
                yield json.dumps(record, ensure_ascii=False) + "\n"
            if number >= page.total_pages:
                return
            number += 1
    finally:
        session.close()


def detail_view(resource: Resource) -> Callable[[str], Any]:
    def view(ident: str) -> Any:
        options = parse(resource.detail_params, request.args, paged=False) if resource.detail_params else {}
        if resource.detail_params is None and request.args:
            raise bad_parameters({name: ["Unknown parameter."] for name in request.args})
        ident = parse_id(ident)
        session = reading(db.session())
        records = compile_records(session, resource.detail_plan, [ident])
        if not records:
            raise not_found(resource.label, ident)
        record = records[0]
        if options.get("full_service"):
            service_ids = [s["id"] for s in record.get("services", [])]
            record["services"] = compile_records(session, "service", service_ids)
        return jsonify(record)
    view.__name__ = f"get_{resource.label}"
    return view


for _resource in RESOURCES:
    api_blueprint.add_url_rule(f"/{_resource.path}", view_func=list_view(_resource))
    api_blueprint.add_url_rule(f"/{_resource.path}/<ident>", view_func=detail_view(_resource))


@api_blueprint.get("/")
def api_details() -> Any:
    settings = current_app.config["WAYMARK"]
    return jsonify({
        "version": openapi.HSDS_VERSION,
        "profile": settings.hsds_profile_url,
        "openapi_url": openapi.base_url() + "/openapi.json",
    })


@api_blueprint.get("/openapi.json")
def openapi_document() -> Any:
    return jsonify(openapi.document(openapi.base_url()))


@api_blueprint.get("/docs")
def docs() -> str:
    return render_template("api_docs.html", doc=openapi.document(openapi.base_url()))


@api_blueprint.get("/hsds/<path:filename>")
def hsds_schema(filename: str) -> Response:
    """The vendored HSDS JSON Schemas, so that the OpenAPI $refs resolve without the internet."""
    return send_from_directory(VENDOR / "hsds-3.0", filename, mimetype="application/schema+json")


@api_blueprint.after_request
def allow_any_origin(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@api_blueprint.errorhandler(ApiError)
def handle_api_error(error: ApiError) -> Any:
    return json_error(error)


@api_blueprint.errorhandler(directory.FilterError)
def handle_filter_error(error: directory.FilterError) -> Any:
    return json_error(ApiError(400, f"Invalid query parameter {error.parameter}: {error}", error.parameter))


@api_blueprint.errorhandler(HTTPException)
def handle_http_error(error: HTTPException) -> Any:
    return json_http_error(error)
