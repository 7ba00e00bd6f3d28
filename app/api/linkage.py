"""Maintainers' JSON endpoints for de-duplication: the review queue and reviewers' answers.

Mounted under ``/api/maintainer/linkage`` beside the source registry, behind the same WAYMARK_MAINTAINER_API
switch (no authentication yet: keep it off on public deployments).

- ``GET  /review?entity=location|organization|service&limit=N``: pairs waiting, most uncertain first, each with
  both records' keys, the match probability and the field-by-field evidence (comparison level, weight in bits).
- ``POST /review/<id>`` with ``{"same": true|false, "decided_by": "..."}``: the answer; the next linkage run uses it.
- ``GET  /runs``: the latest linkage runs with their counts and timings.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from app import db
from app.api.errors import ApiError, bad_parameters, json_error
from app.models.linkage import LinkageRun
from app.services import linkage as service
from app.services.linkage_records import ENTITIES

linkage_blueprint = Blueprint("linkage", __name__)


class ReviewQuery(Schema):
    class Meta:
        unknown = RAISE

    entity = fields.String(validate=validate.OneOf(ENTITIES), load_default=None)
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=100)


class Answer(Schema):
    class Meta:
        unknown = RAISE

    same = fields.Boolean(required=True)
    decided_by = fields.String(validate=validate.Length(min=1, max=200), load_default="maintainer api")


@linkage_blueprint.errorhandler(ApiError)
def api_error(error: ApiError) -> Any:
    return json_error(error)


@linkage_blueprint.get("/review")
def review() -> Any:
    try:
        query: dict[str, Any] = ReviewQuery().load(request.args.to_dict())
    except ValidationError as exc:
        raise bad_parameters(exc.normalized_messages()) from None  # type: ignore[no-untyped-call]
    pairs = service.review_pairs(db.session(), query["entity"])
    return jsonify({"total_items": len(pairs), "contents": pairs[:query["limit"]]})


@linkage_blueprint.post("/review/<int:pair_id>")
def answer(pair_id: int) -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, 'The request body must be a JSON object such as {"same": true}.', "body")
    if "same" in data and not isinstance(data["same"], bool):
        raise ApiError(400, "Invalid field same: must be true (one thing) or false (two things).", "same")
    try:
        body: dict[str, Any] = Answer().load(data)
    except ValidationError as exc:
        messages = exc.normalized_messages()  # type: ignore[no-untyped-call]
        first = sorted(messages)[0]
        raise ApiError(400, f"Invalid field {first}: {' '.join(map(str, messages[first]))}", first,
                       {"fields": messages}) from None
    session = db.session()
    try:
        decided = service.decide(session, pair_id, body["same"], body["decided_by"])
    except service.LinkageError as error:
        raise ApiError(404, str(error), "id") from None
    session.commit()
    return jsonify(decided)


@linkage_blueprint.get("/runs")
def runs() -> Any:
    latest = db.session().execute(select(LinkageRun).order_by(LinkageRun.id.desc()).limit(20)).scalars()
    return jsonify([service.describe_run(run) for run in latest])
