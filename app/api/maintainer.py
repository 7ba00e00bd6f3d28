"""Maintainers' JSON endpoints for the source registry and harvest history.

Off unless WAYMARK_MAINTAINER_API is true: there is no authentication yet (a later
issue adds it), so keep them off on any public deployment. Credentials are
write-only: responses name them, never show them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from app import db
from app.api.errors import ApiError, json_error
from app.models.staging import SOURCE_TYPES, StagedRecord
from app.services import sources as registry

maintainer_blueprint = Blueprint("maintainer", __name__)


class SourceBody(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(SOURCE_TYPES))
    location = fields.String(required=True, validate=validate.Length(min=1))
    config = fields.Dict(load_default=dict)
    schedule = fields.String(allow_none=True, load_default=None)
    credentials = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    enabled = fields.Boolean(load_default=True)


class SourceChanges(SourceBody):
    name = fields.String(dump_only=True)
    type = fields.String(validate=validate.OneOf(SOURCE_TYPES))
    location = fields.String(validate=validate.Length(min=1))
    config = fields.Dict()
    schedule = fields.String(allow_none=True)
    credentials = fields.Dict(keys=fields.String(), values=fields.String())
    enabled = fields.Boolean()


def _body(schema: Schema) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.", "body")
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        messages = exc.normalized_messages()  # type: ignore[no-untyped-call]
        first = sorted(messages)[0]
        raise ApiError(400, f"Invalid field {first}: {' '.join(map(str, messages[first]))}", first,
                       {"fields": messages}) from None
    return loaded


@maintainer_blueprint.errorhandler(registry.SourceError)
def source_error(error: registry.SourceError) -> Any:
    status = 404 if str(error).startswith("name: no source named") else 400
    return json_error(ApiError(status, str(error), error.field))


@maintainer_blueprint.errorhandler(ApiError)
def api_error(error: ApiError) -> Any:
    return json_error(error)


@maintainer_blueprint.get("/sources")
def list_sources() -> Any:
    session = db.session()
    return jsonify([registry.describe(session, s) for s in registry.list_sources(session)])


@maintainer_blueprint.post("/sources")
def add_source() -> Any:
    body = _body(SourceBody())
    session = db.session()
    source = registry.add_source(session, body["name"], body["type"], body["location"], body["config"],
                                 body["schedule"], body["credentials"], body["enabled"])
    session.commit()
    return jsonify(registry.describe(session, source)), 201


@maintainer_blueprint.get("/sources/<name>")
def show_source(name: str) -> Any:
    session = db.session()
    return jsonify(registry.describe(session, registry.get_source(session, name)))


@maintainer_blueprint.patch("/sources/<name>")
def edit_source(name: str) -> Any:
    changes = _body(SourceChanges())
    session = db.session()
    source = registry.edit_source(session, name, **changes)
    session.commit()
    return jsonify(registry.describe(session, source))


@maintainer_blueprint.post("/sources/<name>/disable")
def disable_source(name: str) -> Any:
    session = db.session()
    source = registry.edit_source(session, name, enabled=False)
    session.commit()
    return jsonify(registry.describe(session, source))


@maintainer_blueprint.get("/sources/<name>/runs")
def runs(name: str) -> Any:
    session = db.session()
    return jsonify(registry.run_history(session, registry.get_source(session, name), limit=100))


@maintainer_blueprint.get("/sources/<name>/quarantine")
def quarantine(name: str) -> Any:
    session = db.session()
    source = registry.get_source(session, name)
    found = session.execute(select(StagedRecord).where(StagedRecord.source_id == source.id,
                                                       StagedRecord.state == "quarantined")
                            .order_by(StagedRecord.external_id).limit(1000)).scalars()
    return jsonify([{"external_id": r.external_id, "origin": r.origin, "stage": r.quarantine_stage,
                     "reason": r.quarantine_reason, "raw": r.raw, "last_changed": r.last_changed.isoformat()}
                    for r in found])
