"""JSON errors for the API: every problem names what was wrong and where."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """A client error with a status, a message and the parameter at fault."""

    def __init__(self, status: int, message: str, parameter: str | None = None,
                 details: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "error": self.message}
        if self.parameter:
            body["parameter"] = self.parameter
        if self.details:
            body["details"] = self.details
        return body


def bad_parameters(problems: dict[str, list[str]]) -> ApiError:
    """A 400 naming each bad query parameter and what is wrong with it."""
    names = sorted(problems)
    text = "; ".join(f"{name}: {' '.join(problems[name])}" for name in names)
    return ApiError(400, f"Invalid query parameter {text}", names[0], {"parameters": problems})


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"No {kind} with id {ident!r}.", "id")


def json_error(error: ApiError) -> tuple[Response, int]:
    return jsonify(error.body()), error.status


def json_http_error(error: HTTPException) -> tuple[Response, int]:
    status = error.code or 500
    return jsonify({"status": status, "error": error.description or error.name}), status


def json_server_error(_error: Exception) -> tuple[Response, int]:
    return jsonify({"status": 500, "error": "Internal server error; it has been logged."}), 500
