"""Generate ``app/models/hsds.py`` from the vendored HSDS data package.

The HSDS tables, their fields, types and foreign keys are defined by the
specification (``schema/vendor/hsds-3.0/datapackage.json``), plus the cheap 3.1
additions (the ``url`` table and ``attribute.label``). Rather than copy ~250
columns by hand, this script writes typed SQLAlchemy 2 models from it.

    python scripts/generate_models.py          # rewrite app/models/hsds.py
    python scripts/generate_models.py --check  # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "schema" / "vendor"
TARGET = ROOT / "app" / "models" / "hsds.py"

# Columns the API filters or sorts on, beyond the foreign keys (always indexed).
FILTERED = {
    "service": ["status", "last_modified"],
    "location": ["latitude", "longitude"],
    "address": ["postal_code"],
    "attribute": ["link_id", "link_entity"],
    "metadata": ["resource_id"],
    "taxonomy_term": ["parent_id", "code"],
    "organization": ["parent_organization_id"],
}

# Multi-column indexes, named ix_<table>_<columns>. The lists page by ``ORDER BY name, id``;
# an index in exactly that order lets the database walk it instead of sorting the table,
# and also serves every lookup on ``name`` alone.
COMPOSITE = {
    "service": [("name", "id")],
    "organization": [("name", "id")],
}

PY_TYPES = {
    ("string", None): ("str", "Text"),
    ("string", "uri"): ("str", "Text"),
    ("string", "email"): ("str", "Text"),
    ("string", "uuid"): ("str", "String(36)"),
    ("number", None): ("float", "Float"),
    ("date", None): ("datetime.date", "Date"),
    ("datetime", None): ("datetime.datetime", "UTCDateTime"),
    ("time", None): ("datetime.time", "Time"),
}


def class_name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_"))


def load_tables() -> list[dict]:
    package = json.loads((VENDOR / "hsds-3.0" / "datapackage.json").read_text())
    tables = [
        {
            "name": r["name"],
            "description": r.get("description", ""),
            "fields": [
                {"name": f["name"], "type": f["type"], "format": f.get("format"),
                 "required": bool(f.get("constraints", {}).get("required"))}
                for f in r["schema"]["fields"]
            ],
            "foreign_keys": {fk["fields"]: fk["reference"]["resource"]
                             for fk in r["schema"].get("foreignKeys", [])},
        }
        for r in package["resources"]
    ]
    return tables + hsds_31_additions(tables)


def hsds_31_additions(tables: list[dict]) -> list[dict]:
    """attribute.label and the url table, taken from the 3.1 schemas."""
    attribute = next(t for t in tables if t["name"] == "attribute")
    label = json.loads((VENDOR / "hsds-3.1" / "attribute.json").read_text())["properties"]["label"]
    attribute["fields"].append({"name": "label", "type": label["type"], "format": None, "required": False})
    url = json.loads((VENDOR / "hsds-3.1" / "url.json").read_text())
    fields = [
        {"name": name, "type": prop["type"], "format": prop.get("format"),
         "required": name in ("id", "url")}
        for name, prop in url["properties"].items() if prop["type"] not in ("array", "object")
    ]
    return [{"name": "url", "description": url["description"], "fields": fields,
             "foreign_keys": {"organization_id": "organization", "service_id": "service"}}]


def is_partial(table: dict, field: dict) -> bool:
    """A nullable foreign key is indexed only where it is set (``WHERE column IS NOT NULL``).

    HSDS link tables (phone, schedule, contact, language, ...) carry several optional
    foreign keys of which a row sets one or two, so most of these columns are mostly NULL.
    A full index on such a column makes SQLite's ANALYZE record that one key matches
    every row of the table, and the planner then scans the whole table for
    ``location_id IN (...)``. A partial index holds only the rows that have a parent, its
    statistics are right, and every ``=`` / ``IN`` lookup (the API read path, foreign key
    actions) can still use it because those comparisons imply ``IS NOT NULL``.
    """
    return bool(table["foreign_keys"].get(field["name"])) and not field["required"]


def index_lines(table: dict) -> list[str]:
    """``__table_args__`` for a table's partial and composite indexes, or nothing."""
    name = table["name"]
    indexes = []
    for field in table["fields"]:
        if is_partial(table, field):
            column = field["name"]
            where = f'text("{column} IS NOT NULL")'
            indexes.append(f'Index("ix_{name}_{column}", "{column}", sqlite_where={where}, postgresql_where={where})')
    for columns in COMPOSITE.get(name, []):
        quoted = ", ".join(f'"{c}"' for c in columns)
        indexes.append(f'Index("ix_{name}_{"_".join(columns)}", {quoted})')
    if not indexes:
        return []
    return ["    __table_args__ = (", *[f"        {index}," for index in indexes], "    )"]


def column_line(table: dict, field: dict) -> str:
    name = field["name"]
    py, sa = PY_TYPES[(field["type"], field["format"])]
    if name == "id":
        return "    id: Mapped[str] = mapped_column(String(36), primary_key=True)"
    args = [sa]
    target = table["foreign_keys"].get(name)
    nullable = not field["required"]
    if target:
        on_delete = "SET NULL" if nullable else "CASCADE"
        args.append(f'ForeignKey("{target}.id", ondelete="{on_delete}")')
    indexed = bool(target) or name in FILTERED.get(table["name"], [])
    opts = [] if nullable else ["nullable=False"]
    if indexed and not is_partial(table, field):
        opts.append("index=True")
    annotation = f"{py} | None" if nullable else py
    return f"    {name}: Mapped[{annotation}] = mapped_column({', '.join(args + opts)})"


def render(tables: list[dict]) -> str:
    lines = [
        '"""HSDS 3.0 tables (plus cheap 3.1 additions) as typed SQLAlchemy models.',
        "",
        "GENERATED by scripts/generate_models.py from schema/vendor: do not edit by hand.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import datetime",
        "",
        "from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, Time, text",
        "from sqlalchemy.orm import Mapped, mapped_column",
        "",
        "from app.models.base import Base",
        "from app.models.types import UTCDateTime",
        "",
    ]
    for table in tables:
        doc = table["description"].replace('"""', "'")
        lines += ["", f"class {class_name(table['name'])}(Base):",
                  f'    """{doc}"""', "", f'    __tablename__ = "{table["name"]}"', *index_lines(table), ""]
        lines += [column_line(table, f) for f in table["fields"]]
        lines.append("")
    lines += ["", "HSDS_MODELS: dict[str, type[Base]] = {",
              *[f'    "{t["name"]}": {class_name(t["name"])},' for t in tables], "}", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if app/models/hsds.py is stale")
    args = parser.parse_args()
    text = render(load_tables())
    if args.check:
        if TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run python scripts/generate_models.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
