"""Waymark: a community service directory for social prescribing, on Open Referral HSDS 3."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app import db, search
from app.config import Settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application: settings, database, blueprints, CLI."""
    settings = Settings.load(config)
    app = Flask(__name__, instance_path=str(Path(settings.instance_path).resolve()))
    app.config["WAYMARK"] = settings
    from app.api.json_provider import OrjsonProvider

    app.json = OrjsonProvider(app)  # keys in order, UTF-8, encoded by orjson
    logging.basicConfig(level=settings.log_level)
    if settings.sqlalchemy_url.startswith("sqlite:///"):
        Path(settings.sqlalchemy_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app, db.make_engine(settings.sqlalchemy_url, echo=settings.sql_echo),
                info={search.SESSION_KEY: settings})

    from app.api import api_blueprint
    from app.search import sync  # noqa: F401  (the index follows every publish)
    from app.web import web_blueprint

    app.register_blueprint(api_blueprint, url_prefix=settings.api_prefix)
    if settings.maintainer_api:
        from app.api.maintainer import maintainer_blueprint

        app.register_blueprint(maintainer_blueprint, url_prefix=settings.api_prefix.rstrip("/") + "/maintainer")
    app.register_blueprint(web_blueprint)
    _api_errors_as_json(app, settings.api_prefix)
    return app


def _api_errors_as_json(app: Flask, prefix: str) -> None:
    """Unknown API paths and unexpected failures answer in JSON too, never an HTML page."""
    from flask import request
    from werkzeug.exceptions import HTTPException

    from app.api.errors import json_http_error, json_server_error

    def in_api() -> bool:
        return request.path == prefix or request.path.startswith(prefix.rstrip("/") + "/")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return json_http_error(error) if in_api() else error

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Any:
        app.logger.exception("unhandled error on %s", request.path)
        return json_server_error(error)


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.config["WAYMARK"]
    return settings
