"""Helpers to check responses against the vendored HSDS / ORUK JSON Schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from schema.hsds import compiled_schema, table_schema


def _retrieve(uri: str) -> Resource[Any]:
    """Relative $refs such as ``metadata.json`` resolve to the vendored table schemas."""
    return DRAFT202012.create_resource(table_schema(uri.rsplit("/", 1)[-1].removesuffix(".json")))


@cache
def validator(name: str, profile: str = "hsds") -> Draft202012Validator:
    """A Draft 2020-12 validator with format checking for a compiled or table schema."""
    try:
        schema = compiled_schema(name, profile)
    except FileNotFoundError:
        schema = table_schema(name)
    registry: Registry[Any] = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(document: Any, name: str, profile: str = "hsds") -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator(name, profile).iter_errors(document)]


def nulls(document: Any, path: str = "") -> list[str]:
    """Paths of every null value (HSDS output must leave empty fields out)."""
    if document is None:
        return [path or "(root)"]
    if isinstance(document, dict):
        return [p for k, v in document.items() for p in nulls(v, f"{path}.{k}" if path else k)]
    if isinstance(document, list):
        return [p for i, v in enumerate(document) for p in nulls(v, f"{path}[{i}]")]
    return []
