"""Read a directory kept as a spreadsheet (CSV or XLSX) into nested HSDS services.

A mapping file (YAML or JSON) says which column holds what::

    format: csv                 # csv or xlsx (default: from the file name)
    external_id: Id             # the column holding each row's stable id in that source
    country: GB                 # default country for phone numbers and addresses
    fields:
      organization.name: Agency
      service.name: Program Name
      address.city: "=Leeds"    # a leading = makes a constant
      phone.number: Phone
      schedule.description: Opening hours
      taxonomy.category: Category
    categories:                 # source category text -> Waymark taxonomy term code
      Walking groups: walking-groups

Every row becomes one ``SourceRecord(kind="service")`` whose ``record`` is a compiled HSDS
service: its organization, one location (with its address) under ``service_at_locations``,
phones, schedules, contacts, cost options, languages, service areas and category
attributes. Files are streamed (a csv reader over the open file; openpyxl in read-only
mode), so a 100k-row sheet never sits in memory.

**Mapping keys.** ``fields`` keys are ``<table>.<field>`` for every scalar field of
organization, organization_identifier, service, location, address, accessibility, phone,
schedule, contact, cost_option, language, service_area, funding and required_document
(ids and links are made here, so they cannot be mapped; ``organization.id`` can, and then
identifies the organization instead of its name), plus ``taxonomy.category``. A value is a
column name, ``"=constant"``, a list of columns (their cells joined with ", "), or a
dict with ``column``/``columns``/``constant`` and the options ``pick`` (join, first or
last of several columns), ``separator``, ``default``, ``case`` (title, upper, lower) and
``optional`` (the column may be missing from the file). Other keys: ``external_id`` (a
column, or a list of columns making a composite id), ``country``, ``categories``,
``source_taxonomy``, ``values`` (per field, cell text -> replacement, e.g. ``A: active``),
``sheet``, ``header_row`` (default 1; 0 means no header row, and then ``columns`` names
the columns in order), ``encoding`` (default auto: UTF-8 with or without BOM, UTF-16 with
BOM, otherwise Windows-1252), ``delimiter`` (default sniffed among , ; tab |),
``skip_blank_rows`` (default true), ``allow_empty`` (default false) and ``preset`` (start
from a preset in ``importers/presets``; the file's own keys win, a field set to null is
removed).

**Decisions.**

* *Quarantine versus notes.* A row is quarantined (``record=None``, readable ``problems``)
  only when it cannot make a service: no external id, a duplicate id, no service name or
  no organization name. Any other value that fails normalisation (a bad phone number,
  postcode, email, date, an incomplete address ...) is left out of the record and
  explained in ``raw["_notes"]`` (a list of strings, present only when there is
  something to say), so the record goes on and nothing disappears silently. Notes that
  concern the whole file (encoding guessed, heading rows skipped, optional columns
  missing) are in ``SpreadsheetFeed.notes``.
* *Categories.* ``taxonomy.category`` cells may list several categories ("a; b, c").
  Those found in ``categories`` become attributes linking the service to the shared
  taxonomy term with that code. The others are never dropped: they become terms of a
  per-source taxonomy ("<mapping name> categories", or ``source_taxonomy``), so link
  workers still see them and a maintainer can map them later; when the mapping has a
  ``categories`` block, each unmapped one is also noted.
* *Ids.* The service id is the external id; children derive theirs from it
  (``phone:<id>:1``, ``loc:<id>``); the organization's comes from its casefolded name
  (``org:leeds mind``) so all rows of one agency share it. A quarantined row without an
  id gets ``"<file> row N"`` as its external id.
* *Addresses.* HSDS requires address_1, city, state_province, postal_code and country.
  Country comes from the mapping, state_province falls back to region then city, and
  address_1 to the location name (a building name is a valid first line); an address
  still incomplete is left out with a note, and the location is kept.
* *Rows that are not records.* Blank rows are skipped; so are headings (a single value,
  merged across the sheet or outside the id column) and repeats of the header row, each
  noted in ``SpreadsheetFeed.notes``. A row holding only its id is quarantined instead.
  Vertically merged cells (an organisation merged down its services) fill every row.
* *Empty feeds.* An empty file, or one with a header but no data rows, is a
  ``FeedError``: a truncated export must never withdraw a whole directory. Set
  ``allow_empty: true`` for a source that may really list nothing.
* *Unchanged files.* ``fingerprint`` is a sha256 of the file, the mapping and
  ``OUTPUT_VERSION``; given the last one as ``known_fingerprint``, an unchanged file is
  not read again (``not_modified``), as with the tabular feed.

``SpreadsheetFeed(path, mapping)`` takes a ``Mapping`` (``load_mapping``, ``load_preset``)
or the same keys as a plain dict, as a source's stored config holds them.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import difflib
import functools
import hashlib
import io
import json
import math
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import openpyxl  # type: ignore[import-untyped]
import yaml  # type: ignore[import-untyped]

from importers import presets
from importers.base import FeedError, SourceRecord, read_in_worker, worker_main
from importers.identity import Preparation, prepared
from importers.normalise import clean_text, email, opening_hours, phone_extension, phone_number, postcode, url
from schema.hsds import scalar_fields

NOTES_KEY = "_notes"  # raw[NOTES_KEY]: what was left out of the record, and why

# Tables whose scalar fields a mapping may fill (one child of each per row).
TABLES = (
    "organization", "organization_identifier", "service", "location", "address", "accessibility", "phone",
    "schedule", "contact", "cost_option", "language", "service_area", "funding", "required_document",
)  # fmt: skip
CATEGORY = "taxonomy.category"
FORMATS = ("csv", "xlsx")
DELIMITER_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
SNIFFED_DELIMITERS = (",", ";", "\t", "|")
PICKS = ("join", "first", "last")
CASES = ("title", "upper", "lower")
FIELD_OPTIONS = {"column", "columns", "constant", "pick", "separator", "default", "case", "optional"}
TOP_LEVEL = {
    "preset", "format", "external_id", "country", "fields", "categories", "source_taxonomy", "values", "sheet",
    "header_row", "columns", "encoding", "delimiter", "skip_blank_rows", "allow_empty",
}  # fmt: skip
EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!"}
FALLBACK_ERRORS = "waymark-cp1252"  # codec error handler: undecodable UTF-8 bytes read as Windows-1252
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls workbooks and password-protected .xlsx
MAX_FEED_NOTES = 50
OUTPUT_VERSION = "spreadsheet-1"  # part of the fingerprint: change it when the records made from a row change


class MappingError(FeedError, ValueError):
    """A mapping (or preset) that cannot be used; the message names the file and the key."""


# --------------------------------------------------------------------------- the mapping


@dataclass(frozen=True)
class FieldSpec:
    """Where one HSDS field's value comes from in a row."""

    columns: tuple[str, ...] = ()
    constant: Any = None  # used when there are no columns
    pick: str = "join"  # how several columns combine: join, first or last non-empty cell
    separator: str = ", "
    default: Any = None  # used when the cells are empty
    case: str | None = None  # title, upper or lower, for text fields
    optional: bool = False  # the columns may be missing from the file

    def describe(self) -> str:
        """Where the value came from, for notes: ``column 'Postcode'`` or ``constant``."""
        if not self.columns:
            return "constant"
        names = ", ".join(repr(c) for c in self.columns)
        return f"column {names}" if len(self.columns) == 1 else f"columns {names}"


@dataclass(frozen=True)
class Mapping:
    """A validated spreadsheet mapping (see the module docstring for the keys)."""

    external_id: tuple[str, ...]
    fields: dict[str, FieldSpec]
    format: str | None = None
    country: str = "GB"
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)  # casefolded text -> term codes
    source_taxonomy: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> casefolded cell -> value
    sheet: str | None = None
    header_row: int = 1
    columns: tuple[str, ...] = ()
    encoding: str = "auto"
    delimiter: str | None = None
    skip_blank_rows: bool = True
    allow_empty: bool = False
    name: str = "spreadsheet"  # the mapping's file stem or preset name

    def columns_used(self) -> dict[str, bool]:
        """Every column the mapping reads -> whether it may be missing from the file."""
        used = dict.fromkeys(self.external_id, False)
        for spec in self.fields.values():
            for column in spec.columns:
                used[column] = used.get(column, True) and spec.optional
        return used


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file (YAML or JSON); ``MappingError`` names the bad key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read the mapping ({exc})") from None
    return parse_mapping(_parse_document(text, str(path), json_only=path.suffix.lower() == ".json"), path.name,
                         name=path.stem)


def load_preset(name: str) -> Mapping:
    """One of the mappings shipped in ``importers/presets`` (``nhs_ods_gp``, ``council_vcs``)."""
    return parse_mapping({"preset": name}, f"preset {name}", name=name)


def parse_mapping(data: Any, origin: str = "mapping", name: str = "spreadsheet") -> Mapping:
    """Validate a mapping already read into a dict; ``origin`` names it in error messages."""
    if not isinstance(data, dict):
        raise MappingError(f"{origin}: a mapping is a set of keys (format, external_id, fields ...), "
                           f"not {type(data).__name__}")
    data = _with_presets(data, origin, seen=())
    _check_keys(data, TOP_LEVEL, origin, "")
    fields = _parse_fields(data.get("fields"), origin)
    header_row = _integer(data.get("header_row", 1), origin, "header_row")
    columns = _parse_columns(data.get("columns"), header_row, origin)
    return Mapping(
        external_id=_parse_external_id(data.get("external_id"), origin),
        fields=fields,
        format=_parse_format(data.get("format"), origin),
        country=_parse_country(data.get("country", "GB"), origin),
        categories=_parse_categories(data.get("categories"), origin),
        source_taxonomy=_optional_text(data.get("source_taxonomy"), origin, "source_taxonomy"),
        values=_parse_values(data.get("values"), fields, origin),
        sheet=_optional_text(data.get("sheet"), origin, "sheet"),
        header_row=header_row,
        columns=columns,
        encoding=_parse_encoding(data.get("encoding", "auto"), origin),
        delimiter=_parse_delimiter(data.get("delimiter"), origin),
        skip_blank_rows=_boolean(data.get("skip_blank_rows", True), origin, "skip_blank_rows"),
        allow_empty=_boolean(data.get("allow_empty", False), origin, "allow_empty"),
        name=name,
    )


def _parse_document(text: str, origin: str, json_only: bool = False) -> Any:
    try:
        return json.loads(text) if json_only else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise MappingError(f"{origin}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise MappingError(f"{origin}: not valid YAML{line}: {getattr(exc, 'problem', None) or exc}") from None


def _with_presets(data: dict[str, Any], origin: str, seen: tuple[str, ...]) -> dict[str, Any]:
    """``data`` laid over the preset it names (recursively); fields and blocks merge key by key."""
    name = data.get("preset")
    if name is None:
        return data
    if not isinstance(name, str):
        raise MappingError(f"{origin}: preset: expected a preset name such as {presets.names()}")
    if name in seen:
        raise MappingError(f"{origin}: preset: {name!r} includes itself")
    try:
        text = presets.preset_text(name)
    except KeyError:
        raise MappingError(f"{origin}: preset: no preset {name!r}; presets are {', '.join(presets.names())}") from None
    base = _parse_document(text, f"preset {name}")
    if not isinstance(base, dict):
        raise MappingError(f"preset {name}: not a mapping")
    base = _with_presets(base, f"preset {name}", (*seen, name))
    merged = {**base, **{k: v for k, v in data.items() if k != "preset"}}
    for block in ("fields", "categories", "values"):
        if isinstance(base.get(block), dict) and isinstance(data.get(block), dict):
            merged[block] = {**base[block], **data[block]}
    if isinstance(merged.get("fields"), dict):  # a field set to null in the mapping removes the preset's
        merged["fields"] = {k: v for k, v in merged["fields"].items() if v is not None}
    return merged


def _check_keys(data: dict[str, Any], allowed: set[str], origin: str, prefix: str) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (expected one of {', '.join(sorted(allowed))})"
            raise MappingError(f"{origin}: {prefix}{key}: unknown key{hint}")


def _yaml_hint(value: Any) -> str:
    """Why a column name came out as something else: YAML reads yes/no/on/off and numbers itself."""
    if isinstance(value, bool | int | float):
        return f" (YAML read {value!r}; put the column name in quotes)"
    return ""


def _column_name(value: Any, origin: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{origin}: {key}: expected a column name, got {value!r}{_yaml_hint(value)}")
    return " ".join(value.split())


def _parse_external_id(value: Any, origin: str) -> tuple[str, ...]:
    if value is None:
        raise MappingError(f"{origin}: external_id: required: the column holding each row's stable id "
                           "(or a list of columns that together identify a row)")
    if isinstance(value, list):
        if not value:
            raise MappingError(f"{origin}: external_id: the list of columns is empty")
        return tuple(_column_name(v, origin, "external_id") for v in value)
    return (_column_name(value, origin, "external_id"),)


def _parse_fields(value: Any, origin: str) -> dict[str, FieldSpec]:
    if not isinstance(value, dict) or not value:
        raise MappingError(f"{origin}: fields: required: HSDS field -> column, e.g. 'service.name: Name'")
    fields = {}
    for target, spec in value.items():
        _check_target(target, origin)
        fields[target] = _parse_field(spec, origin, f"fields.{target}")
    for required in ("service.name", "organization.name"):
        if required not in fields:
            raise MappingError(f"{origin}: fields.{required}: required (a column, or '=constant' when every row "
                               "has the same value)")
    return fields


def mappable_fields(table: str) -> list[str]:
    """The fields of ``table`` a mapping may fill: its scalars without ids and links."""
    names = [name for name in scalar_fields(table) if name != "id" and not name.endswith("_id")]
    return ["id", *names] if table == "organization" else names


def _check_target(target: Any, origin: str) -> None:
    if target == CATEGORY:
        return
    table, _, name = str(target).partition(".")
    if table not in TABLES:
        close = difflib.get_close_matches(table, [*TABLES, "taxonomy"], n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise MappingError(f"{origin}: fields.{target}: unknown table {table!r} ({hint}tables are "
                           f"{', '.join(TABLES)} and {CATEGORY})")
    allowed = mappable_fields(table)
    if name not in allowed:
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise MappingError(f"{origin}: fields.{target}: {table} has no mappable field {name!r} ({hint}fields are "
                           f"{', '.join(allowed)})")


def _parse_field(spec: Any, origin: str, key: str) -> FieldSpec:
    if isinstance(spec, str):
        if spec.startswith("="):
            return FieldSpec(constant=spec[1:].strip())
        return FieldSpec(columns=(_column_name(spec, origin, key),))
    if isinstance(spec, list):
        return FieldSpec(columns=_column_list(spec, origin, key))
    if isinstance(spec, dict):
        return _parse_field_options(spec, origin, key)
    raise MappingError(f"{origin}: {key}: expected a column name, '=constant', a list of columns or a dict of "
                       f"options, got {spec!r}{_yaml_hint(spec)}")


def _column_list(value: Any, origin: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise MappingError(f"{origin}: {key}: expected a non-empty list of column names")
    return tuple(_column_name(v, origin, key) for v in value)


def _parse_field_options(spec: dict[str, Any], origin: str, key: str) -> FieldSpec:
    _check_keys(spec, FIELD_OPTIONS, origin, f"{key}.")
    sources = [k for k in ("column", "columns", "constant") if k in spec]
    if len(sources) != 1:
        raise MappingError(f"{origin}: {key}: give exactly one of column, columns or constant")
    columns: tuple[str, ...] = ()
    if "column" in spec:
        columns = (_column_name(spec["column"], origin, f"{key}.column"),)
    elif "columns" in spec:
        columns = _column_list(spec["columns"], origin, f"{key}.columns")
    constant = spec.get("constant")
    if "constant" in spec and (not isinstance(constant, str | int | float) or isinstance(constant, bool)):
        raise MappingError(f"{origin}: {key}.constant: expected text or a number, got {constant!r}")
    pick = spec.get("pick", "join")
    if pick not in PICKS:
        raise MappingError(f"{origin}: {key}.pick: expected one of {', '.join(PICKS)}, got {pick!r}")
    case = spec.get("case")
    if case is not None and case not in CASES:
        raise MappingError(f"{origin}: {key}.case: expected one of {', '.join(CASES)}, got {case!r}")
    separator = spec.get("separator", ", ")
    if not isinstance(separator, str):
        raise MappingError(f"{origin}: {key}.separator: expected text, got {separator!r}")
    default = spec.get("default")
    if default is not None and not isinstance(default, str | int | float):
        raise MappingError(f"{origin}: {key}.default: expected text or a number, got {default!r}")
    return FieldSpec(columns=columns, constant=constant, pick=pick, separator=separator, default=default, case=case,
                     optional=_boolean(spec.get("optional", False), origin, f"{key}.optional"))


def _parse_columns(value: Any, header_row: int, origin: str) -> tuple[str, ...]:
    if header_row == 0 and value is None:
        raise MappingError(f"{origin}: columns: required when header_row is 0 (the file has no header row): "
                           "the column names, in order")
    if value is None:
        return ()
    if header_row != 0:
        raise MappingError(f"{origin}: columns: only used with header_row: 0 (the file has its own header row)")
    columns = _column_list(value, origin, "columns")
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise MappingError(f"{origin}: columns: names must be unique; repeated: {', '.join(map(repr, duplicates))}")
    return columns


def _parse_format(value: Any, origin: str) -> str | None:
    if value is None or (isinstance(value, str) and value.lower() == "auto"):
        return None
    if not isinstance(value, str) or value.lower() not in FORMATS:
        raise MappingError(f"{origin}: format: expected csv or xlsx, got {value!r}")
    return value.lower()


def _parse_country(value: Any, origin: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value):
        hint = " (YAML reads NO as false: write 'NO' in quotes)" if value is False else ""
        raise MappingError(f"{origin}: country: expected a two-letter ISO country code such as GB, got {value!r}{hint}")
    return value.upper()


def _parse_categories(value: Any, origin: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{origin}: categories: expected source category -> taxonomy term code")
    out: dict[str, tuple[str, ...]] = {}
    for text, codes in value.items():
        listed = codes if isinstance(codes, list) else [codes]
        if not listed or not all(isinstance(c, str | int) and not isinstance(c, bool) and str(c).strip()
                                 for c in listed):
            raise MappingError(f"{origin}: categories.{text}: expected a taxonomy term code or a list of codes, "
                               f"got {codes!r}")
        out[_category_key(str(text))] = tuple(str(c).strip() for c in listed)
    return out


def _parse_values(value: Any, fields: dict[str, FieldSpec], origin: str) -> dict[str, dict[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{origin}: values: expected field -> {{cell text: replacement}}")
    out: dict[str, dict[str, str]] = {}
    for target, table in value.items():
        if target not in fields:
            raise MappingError(f"{origin}: values.{target}: that field is not in fields")
        if not isinstance(table, dict):
            raise MappingError(f"{origin}: values.{target}: expected cell text -> replacement")
        out[target] = {_value_key(k): "" if v is None else str(v) for k, v in table.items()}
    return out


def _parse_encoding(value: Any, origin: str) -> str:
    if not isinstance(value, str):
        raise MappingError(f"{origin}: encoding: expected auto or an encoding name such as cp1252, got {value!r}")
    if value.lower() == "auto":
        return "auto"
    try:
        codecs.lookup(value)
    except LookupError:
        raise MappingError(f"{origin}: encoding: unknown encoding {value!r}") from None
    return value


def _parse_delimiter(value: Any, origin: str) -> str | None:
    if value is None or value == "auto":
        return None
    if isinstance(value, str) and value.lower() in DELIMITER_WORDS:
        return DELIMITER_WORDS[value.lower()]
    if isinstance(value, str) and len(value) == 1 and value not in "\"\r\n":
        return value
    raise MappingError(f"{origin}: delimiter: expected one character, or comma, semicolon, tab or pipe, got {value!r}")


def _integer(value: Any, origin: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MappingError(f"{origin}: {key}: expected a whole number (0 or more), got {value!r}")
    return value


def _boolean(value: Any, origin: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise MappingError(f"{origin}: {key}: expected true or false, got {value!r}")
    return value


def _optional_text(value: Any, origin: str, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{origin}: {key}: expected text, got {value!r}")
    return value.strip()


def _category_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _value_key(value: Any) -> str:
    return " ".join(_cell_text(value).split()).casefold()


# --------------------------------------------------------------------------- reading cells


def _fallback_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as Windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return bytes(error.object[error.start:error.end]).decode("cp1252", errors="replace"), error.end


codecs.register_error(FALLBACK_ERRORS, _fallback_cp1252)


def _clean(text: str) -> str | None:
    """``clean_text``, with a shortcut for text it would return unchanged.

    Printable ASCII without markup characters, doubled spaces or spaces at the ends is
    already clean: most cells are, and skipping the full clean keeps big files quick.
    """
    if text.isascii() and text.isprintable() and text == text.strip() and not ("<" in text or "&" in text or
                                                                                "  " in text):
        return text or None
    return clean_text(text)


def _is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _cell_text(cell: Any) -> str:
    """A cell as text: whole numbers without ``.0``, booleans as Yes/No."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "Yes" if cell else "No"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _json_cell(cell: Any) -> Any:
    """An XLSX cell as a JSON value: dates and times as ISO text, whole floats as integers."""
    if cell is None or isinstance(cell, str | bool | int):
        return cell
    if isinstance(cell, float):
        if math.isnan(cell) or math.isinf(cell):
            return None
        return int(cell) if cell.is_integer() and abs(cell) < 2**53 else cell
    if isinstance(cell, datetime.datetime):
        if cell.time() == datetime.time(0):
            return cell.date().isoformat()
        return cell.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(cell, datetime.date):
        return cell.isoformat()
    if isinstance(cell, datetime.time):
        return cell.strftime("%H:%M" if not cell.second else "%H:%M:%S")
    if isinstance(cell, datetime.timedelta):  # a duration cell: read as a time of day when it is one
        minutes = round(cell.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}" if 0 <= minutes < 24 * 60 else str(cell)
    return str(cell)


def _header_names(cells: list[Any]) -> list[str]:
    """Header cells as unique column names (blank ones become "column N", repeats "Name (2)")."""
    names: list[str] = []
    for number, cell in enumerate(cells, start=1):
        name = " ".join(_cell_text(cell).replace("\ufeff", "").split()) or f"column {number}"
        base, count = name, 2
        while name in names:
            name, count = f"{base} ({count})", count + 1
        names.append(name)
    while names and re.fullmatch(r"column \d+", names[-1]):  # trailing blank header cells
        names.pop()
    return names


# --------------------------------------------------------------------------- CSV


def _utf8_or_fallback(path: Path) -> str:
    """The encoding to read ``path`` with: utf-16, utf-8-sig, or "" when it is not UTF-8."""
    with path.open("rb") as handle:
        start = handle.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return ""
    return "utf-8-sig"


def _sniff_delimiter(sample: str) -> str:
    """The delimiter among , ; tab | that splits the sample into the most rows of one width."""
    if "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # the last line may be cut short
    best, best_score = ",", (False, 0, 0)
    for candidate in SNIFFED_DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=candidate) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not widths:
            continue
        width = max(set(widths), key=widths.count)
        score = (width > 1, widths.count(width), width)
        if score > best_score:
            best, best_score = candidate, score
    return best


class _CsvSource:
    """The rows of a CSV file, streamed, with the encoding and delimiter found out."""

    def __init__(self, path: Path, mapping: Mapping, notes: list[str]) -> None:
        self.path, self.mapping, self.notes = path, mapping, notes
        self.fallback = False  # bytes that are not UTF-8 were read as Windows-1252
        self.merged_rows: set[int] = set()  # a CSV has no merged cells

    def _open(self) -> IO[str]:
        if self.mapping.encoding != "auto":
            return self.path.open(encoding=self.mapping.encoding, newline="")
        encoding = _utf8_or_fallback(self.path)
        if encoding:
            return self.path.open(encoding=encoding, newline="")
        self.fallback = True
        self.notes.append(f"{self.path.name} is not UTF-8: read as Windows-1252 (cp1252); rows with accented letters "
                          "or symbols carry a note. Save it as 'CSV UTF-8' or set encoding: in the mapping.")
        return self.path.open(encoding="utf-8-sig", errors=FALLBACK_ERRORS, newline="")

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        number = 0
        try:
            with self._open() as handle:
                delimiter = self.mapping.delimiter or _sniff_delimiter(handle.read(1 << 16))
                handle.seek(0)
                for number, cells in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
                    yield number, list(cells)
        except UnicodeDecodeError as exc:
            where = f" near row {number + 1}" if number else ""
            raise FeedError(f"{self.path.name}{where}: not valid {self.mapping.encoding} ({exc.reason}); "
                            "fix encoding: in the mapping, or remove it to let Waymark guess") from None
        except csv.Error as exc:
            raise FeedError(f"{self.path.name} row {number + 1}: the CSV cannot be read ({exc})") from None


# --------------------------------------------------------------------------- XLSX

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters.decode():
        index = index * 26 + ord(letter) - 64
    return index - 1


def _merges(sheet: Any) -> tuple[dict[int, list[tuple[int, int]]], set[int]]:
    """The sheet's merged cells: fills and rows merged across columns.

    Fills are row -> [(column index, first row)] for the cells of merged ranges below
    their first row: read-only openpyxl gives them as empty, but an organisation merged
    down three rows should fill all three. Rows merged across columns (section headings)
    are returned as a set. The ranges are at the end of the sheet XML, so it is scanned
    once in chunks (flat memory) before the rows are read.
    """
    fills: dict[int, list[tuple[int, int]]] = defaultdict(list)
    across: set[int] = set()
    try:
        source = sheet._get_source()  # openpyxl's read-only worksheet XML stream
    except Exception:
        return fills, across
    found: set[bytes] = set()
    with source:
        tail = b""
        for chunk in iter(lambda: source.read(1 << 20), b""):
            text = tail + chunk
            found.update(m[0] for m in _MERGE.finditer(text))
            tail = text[-300:]
    for ref in found:
        match = _MERGE.match(ref)
        if match is None:
            continue
        column, top, bottom = _column_index(match[1]), int(match[2]), int(match[4])
        for row in range(top + 1, bottom + 1):
            fills[row].append((column, top))
        if top == bottom and _column_index(match[3]) > column:
            across.add(top)
    return fills, across


class _XlsxSource:
    """The rows of one sheet of an XLSX workbook, streamed, formulas read as their values."""

    def __init__(self, path: Path, mapping: Mapping, notes: list[str]) -> None:
        self.path, self.mapping, self.notes = path, mapping, notes
        self.fallback = False
        self.merged_rows: set[int] = set()  # rows merged across columns, known once rows() has begun

    def _workbook(self) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:
            raise FeedError(f"{self.path.name}: not a readable XLSX workbook ({type(exc).__name__}: {exc}); "
                            "open it in a spreadsheet program and save it as .xlsx or CSV") from None

    def _sheet(self, workbook: Any) -> Any:
        names = list(workbook.sheetnames)
        name = self.mapping.sheet or (names[0] if names else None)
        if name not in names:
            raise FeedError(f"{self.path.name}: no sheet {name!r}; the sheets are {', '.join(map(repr, names))}")
        sheet = workbook[name]
        if not hasattr(sheet, "iter_rows"):
            raise FeedError(f"{self.path.name}: sheet {name!r} is a chart, not a table")
        return sheet

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        workbook = self._workbook()
        try:
            sheet = self._sheet(workbook)
            sheet.reset_dimensions()  # some writers record wrong dimensions; read what is there
            fills, self.merged_rows = _merges(sheet)
            tops: dict[tuple[int, int], Any] = {}  # (column, first row of a merge) -> its value
            starts: dict[int, set[int]] = defaultdict(set)  # first row of a merge -> its columns
            for cells_below in fills.values():
                for column, top in cells_below:
                    starts[top].add(column)
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_json_cell(v) for v in values]
                for column, top in fills.get(number, ()):
                    if top > self.mapping.header_row and column < len(cells) and _is_blank(cells[column]):
                        cells[column] = tops.get((column, top))
                for column in starts.get(number, ()):
                    tops[(column, number)] = cells[column] if column < len(cells) else None
                yield number, cells
        except FeedError:
            raise
        except Exception as exc:
            raise FeedError(f"{self.path.name}: the workbook cannot be read ({type(exc).__name__}: {exc})") from None
        finally:
            workbook.close()


# --------------------------------------------------------------------------- converting values


NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?")  # "-1.55"; "16-25" is two numbers, not 16 and -25
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def _number(value: Any, free_is_zero: bool = False) -> int | float:
    """A number from a cell: 3, "3.50", "£3.50 a session", "18+"; "free" is 0 for costs."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = _cell_text(value).strip()
        if free_is_zero and text.casefold() in ("free", "free of charge", "no charge", "no cost", "nil"):
            return 0
        found = NUMBER.findall(THOUSANDS.sub("", text))
        if len(found) != 1:
            raise ValueError("is not a single number" if found else "is not a number")
        number = float(found[0])
    return int(number) if number.is_integer() else number


def _excel_date(serial: float) -> datetime.date:
    if not 10_000 <= serial <= 100_000:  # 1927 .. 2173: anything else is not a date serial
        raise ValueError("is not a date")
    return (datetime.datetime(1899, 12, 30) + datetime.timedelta(days=serial)).date()


_UK_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})")
_WORD_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")


def _date(value: Any) -> datetime.date:
    """A date from a date cell, an Excel serial number, YYYYMMDD, ISO, day-first UK or "1 April 2024"."""
    try:
        return _read_date(value)
    except ValueError:
        raise ValueError("is not a date (expected e.g. 2024-05-20 or 20/05/2024)") from None


def _read_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, int) and 19_000_101 <= value <= 21_001_231:
            return datetime.datetime.strptime(str(value), "%Y%m%d").date()
        return _excel_date(float(value))
    text = _cell_text(value).strip()
    if re.fullmatch(r"\d{8}", text):
        return datetime.datetime.strptime(text, "%Y%m%d").date()
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
        return _excel_date(float(text))
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.date.fromisoformat(text[:10])
    match = _UK_DATE.fullmatch(text)
    if match:
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        if year < 100:
            year += 2000 if year < 70 else 1900
        return datetime.date(year, month, day)
    words = re.sub(r"(?<=\d)(st|nd|rd|th)\b|,", "", text)
    for form in _WORD_DATE_FORMATS:
        try:
            return datetime.datetime.strptime(" ".join(words.split()), form).date()
        except ValueError:
            continue
    raise ValueError("is not a date")


def _datetime(value: Any) -> str:
    """An HSDS date-time (UTC, "Z"): naive times are taken as given."""
    moment: datetime.datetime | None = value if isinstance(value, datetime.datetime) else None
    if moment is None and isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}[T ]\d", value.strip()):
        moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment is None:
        moment = datetime.datetime.combine(_date(value), datetime.time(0))
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?::\d{2})?\s*([ap])?\.?\s*m?\.?", re.IGNORECASE)


def _time(value: Any) -> str:
    """An HSDS time "HH:MM" from a time cell, an Excel day fraction, "9:30", "09.30", "5pm" or "noon"."""
    if isinstance(value, datetime.datetime | datetime.time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, float) and 0 <= value < 1:
        minutes = round(value * 24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    text = _cell_text(value).strip().casefold()
    if text in ("noon", "midday", "12 noon"):
        return "12:00"
    match = _TIME.fullmatch(text)
    if not match:
        raise ValueError("is not a time of day (expected e.g. 09:30 or 5pm)")
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            raise ValueError("is not a time of day")
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        raise ValueError("is not a time of day")
    return f"{hour:02d}:{minute:02d}"


COUNTRY_NAMES = {
    "uk": "GB", "united kingdom": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "cymru": "GB", "northern ireland": "GB", "ireland": "IE", "eire": "IE", "republic of ireland": "IE",
}  # fmt: skip


def _country(value: Any) -> str:
    text = " ".join(_cell_text(value).split())
    code = COUNTRY_NAMES.get(text.casefold(), text.upper())
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError("is not a two-letter country code such as GB")
    return code


STATUS_WORDS = {
    "active": ("active", "open", "live", "current", "yes", "running", "operating", "published"),
    "inactive": ("inactive", "dormant", "not active", "not running"),
    "defunct": ("defunct", "closed", "permanently closed", "ceased", "ended", "finished", "no", "withdrawn"),
    "temporarily closed": ("temporarily closed", "temporarily suspended", "suspended", "paused", "on hold"),
}
STATUS = {word: status for status, words in STATUS_WORDS.items() for word in words}


def _status(value: Any) -> str:
    text = " ".join(_cell_text(value).split()).casefold()
    if text not in STATUS:
        raise ValueError(f"is not a service status (use values: in the mapping to map it to one of "
                         f"{', '.join(STATUS_WORDS)})")
    return STATUS[text]


def _enum(options: list[str]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _cell_text(value).strip()
        for option in options:
            if text.casefold() == option.casefold():
                return option
        raise ValueError(f"is not one of {', '.join(options)}")

    return convert


TITLE_WORD = re.compile(r"[^\W\d_][\w'\u2019]*")  # apostrophes, straight or curly, stay inside a word
SMALL_WORDS = {"an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
KEEP_UPPER = {"NHS", "GP", "GPS", "CIC", "UK", "PCN", "YMCA", "YWCA", "CAB", "CVS", "LGBT", "LGBTQ", "ADHD", "ICB"}


def _title(text: str) -> str:
    """Title case for names written in capitals ("THE LIGHT SURGERY" -> "The Light Surgery")."""
    words = []
    for index, word in enumerate(text.split(" ")):
        bare = re.sub(r"\W", "", word).upper()
        if bare in KEEP_UPPER or any(ch.isdigit() for ch in word):
            words.append(word.upper() if bare in KEEP_UPPER else word)
        elif index and word.casefold() in SMALL_WORDS:
            words.append(word.casefold())
        else:  # "OTHER'S" -> "Other's", "STOCKTON-ON-TEES" -> "Stockton-On-Tees", initials stay capitals
            words.append(TITLE_WORD.sub(lambda m: m[0][0].upper() + m[0][1:].lower(), word))
    return " ".join(words)


def _with_case(text: str, case: str | None) -> str:
    if case == "title":
        return _title(text)
    if case == "upper":
        return text.upper()
    return text.lower() if case == "lower" else text


# --------------------------------------------------------------------------- building records

PHONE_SPLIT = re.compile(r"\s*(?:/|;|\||\n|,|\bor\b|&|\band\b)\s*", re.IGNORECASE)
PHONE_LABEL = re.compile(r"\(([^)]*[^\W\d_][^)]*)\)|^([^\W\d_][^:\d]*):\s*")  # "(mobile)", "Office: ..."
PHONE_PREFIXES = {"tel", "tel.", "telephone", "phone", "t", "call", "ring", "contact", "number", "no", "no."}
EXTENSION_ONLY = re.compile(r"(?:ext\.?|extension|x)\s*\d+", re.IGNORECASE)
PHONE_SEPARATORS = re.compile(r"[\s-]")
GB_WITHOUT_ZERO = re.compile(r"[1-9]\d{8,9}")
CATEGORY_SPLIT = re.compile(r"\s*[;|\n]\s*")
LANGUAGE_SPLIT = re.compile(r"\s*(?:[;,/|\n]|\band\b)\s*", re.IGNORECASE)
SPECIAL = {"phone.number", "phone.extension", "schedule.description", "language.name", CATEGORY, "organization.id"}
REQUIRED = {"service.name": "service name", "organization.name": "organization name"}
CURRENCY = {"GB": "GBP", "IE": "EUR"}
# Free-text fields that keep their line breaks; other text is put on one line.
LONG_TEXT = {"description", "details", "notes", "note", "eligibility_description", "application_process",
             "fees_description", "alert", "transportation", "interpretation_services", "accreditations", "licenses",
             "wait_time", "fees", "amount_description"}


@functools.cache
def _converter(target: str, country: str) -> Callable[[Any], Any]:
    """How the cell value of ``target`` becomes an HSDS value; raises ValueError when it cannot."""
    special: dict[str, Callable[[Any], Any]] = {
        "address.postal_code": (lambda v: postcode(_cell_text(v))) if country == "GB" else _plain_text,
        "address.country": _country,
        "service.status": _status,
        "cost_option.amount": lambda v: _number(v, free_is_zero=True),
        "cost_option.currency": lambda v: _cell_text(v).strip().upper(),
        "location.latitude": lambda v: _in_range(_number(v), -90, 90),
        "location.longitude": lambda v: _in_range(_number(v), -180, 180),
    }
    if target in special:
        return special[target]
    table, _, name = target.partition(".")
    prop = scalar_fields(table)[name]
    kind = prop.get("datapackage_type") or prop.get("type")
    if "enum" in prop:
        return _enum(list(prop["enum"]))
    if prop.get("format") == "email":
        return lambda v: email(_cell_text(v))
    if prop.get("format") == "uri":
        return lambda v: url(_cell_text(v))
    by_kind: dict[str, Callable[[Any], Any]] = {
        "date": lambda v: _date(v).isoformat(),
        "datetime": _datetime,
        "time": _time,
        "number": _number,
    }
    if kind in by_kind:
        return by_kind[str(kind)]
    if table == "address":
        return lambda v: _one_line(v, ", ")
    return _plain_text if name in LONG_TEXT else lambda v: _one_line(v, " ")


def _one_line(value: Any, joiner: str) -> str | None:
    """Text for a short field: lines of a multi-line cell joined ("12 Oak Road\nArmley" -> "12 Oak Road, Armley")."""
    text = _clean(_cell_text(value))
    if not text or "\n" not in text:
        return text
    return joiner.join(line.strip(" ,") for line in text.splitlines() if line.strip(" ,"))


# Directories repeat themselves (one agency's phone number on all its rows): the slower
# normalisations are cached, in bounded caches so memory stays flat on big files.
@functools.lru_cache(maxsize=4096)
def _phone(text: str, country: str) -> tuple[str | None, int | None, str | None]:
    """(number in international format, extension, None) or (None, None, why not)."""
    try:
        return phone_number(text, country), phone_extension(text, country), None
    except ValueError as exc:
        return None, None, str(exc)


@functools.lru_cache(maxsize=4096)
def _opening_hours(text: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """``opening_hours`` as tuples (cacheable, and never shared between records)."""
    return tuple(tuple(schedule.items()) for schedule in opening_hours(text))


@functools.cache
def _schedule_fields() -> frozenset[str]:
    return frozenset(scalar_fields("schedule"))


def _plain_text(value: Any) -> str | None:
    return _clean(_cell_text(value))


def _in_range(number: int | float, low: int, high: int) -> int | float:
    if not low <= number <= high:
        raise ValueError(f"is out of range ({low} to {high})")
    return number


def _compact(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` without empty values (HSDS output never carries nulls)."""
    return {k: v for k, v in item.items() if v not in (None, "", [], {})}


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-") or "source"


class _RowBuilder:
    """Turns one row into a nested HSDS service, collecting problems (quarantine) and notes."""

    def __init__(self, mapping: Mapping, resolved: dict[str, str | None], raw: dict[str, Any], external_id: str):
        self.mapping, self.resolved, self.raw, self.ext = mapping, resolved, raw, external_id
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.values: dict[str, dict[str, Any]] = {}  # table -> field -> normalised value
        self.sourced: set[str] = set()  # tables with a value from a column (constants alone make nothing)

    # -- reading values

    def cells(self, spec: FieldSpec, target: str) -> list[Any]:
        """The non-blank cells of ``spec``'s columns (Excel error values are noted and skipped)."""
        out = []
        for column in spec.columns:
            header = self.resolved.get(column)
            cell = self.raw.get(header) if header else None
            if isinstance(cell, str) and cell.strip() in EXCEL_ERRORS:
                self.notes.append(f"column {column!r} shows the Excel error {cell.strip()}; left out of {target}")
                continue
            if not _is_blank(cell):
                out.append(cell)
        return out

    def extract(self, target: str) -> tuple[Any, bool]:
        """The value for ``target`` (a cell, joined cells or a constant) and whether it came from a column."""
        spec = self.mapping.fields[target]
        if not spec.columns:
            return spec.constant, False
        cells = self.cells(spec, target)
        if not cells:
            return spec.default, False
        if spec.pick == "first" or len(cells) == 1:
            value = cells[0]
        elif spec.pick == "last":
            value = cells[-1]
        else:
            value = spec.separator.join(_cell_text(c).strip() for c in cells)
        replacements = self.mapping.values.get(target)
        if replacements and _value_key(value) in replacements:
            value = replacements[_value_key(value)]
            if not value:
                return None, False
        return value, True

    def text(self, target: str) -> tuple[str | None, bool]:
        value, sourced = self.extract(target)
        text = _clean(_cell_text(value)) if value is not None else None
        if text and target in self.mapping.fields:
            text = _with_case(text, self.mapping.fields[target].case)
        return text, sourced

    def note(self, target: str, value: Any, reason: str) -> None:
        """Say why a value was left out of the record: "column 'Postcode': 'LS99' is not ...; left out of ..."."""
        spec = self.mapping.fields.get(target)
        where = spec.describe() if spec else "value"
        shown = _cell_text(value)
        shown = repr(shown if len(shown) <= 80 else shown[:77] + "...")
        message = reason if shown in reason else f"{shown} {reason}"
        self.notes.append(f"{where}: {message}; left out of {target}")

    def convert_fields(self) -> None:
        """Every plain field of the mapping, normalised into ``self.values``."""
        for target in self.mapping.fields:
            if target in SPECIAL:
                continue
            value, sourced = self.extract(target)
            if value is None:
                continue
            table, _, name = target.partition(".")
            try:
                converted = _converter(target, self.mapping.country)(value)
            except ValueError as exc:
                self.note(target, value, str(exc))
                continue
            if isinstance(converted, str):
                converted = _with_case(converted, self.mapping.fields[target].case)
            if converted not in (None, ""):
                self.values.setdefault(table, {})[name] = converted
                if sourced:
                    self.sourced.add(table)

    # -- the record

    def build(self) -> dict[str, Any] | None:
        """The nested service, or None with ``problems`` when the row cannot make one."""
        self.convert_fields()
        for target, label in REQUIRED.items():
            table, _, name = target.partition(".")
            if not self.values.get(table, {}).get(name):
                spec = self.mapping.fields[target]
                self.problems.append(f"no {label} ({spec.describe()} is empty)")
        if self.problems:
            return None
        organization = self.organization()
        service: dict[str, Any] = {"id": self.ext, **self.values.get("service", {})}
        service.setdefault("status", "active")
        service["organization_id"] = organization["id"]
        service["organization"] = organization
        children = {
            "phones": self.phones(),
            "schedules": self.schedules(),
            "contacts": self.single("contact", "contact"),
            "cost_options": self.cost_options(),
            "languages": self.languages(),
            "service_areas": self.single("service_area", "area"),
            "funding": self.single("funding", "funding"),
            "required_documents": self.single("required_document", "document"),
            "attributes": self.categories(),
            "service_at_locations": self.service_at_locations(organization["id"]),
        }
        service.update({key: items for key, items in children.items() if items})
        return service

    def organization(self) -> dict[str, Any]:
        fields = self.values["organization"]  # holds the name: checked by build()
        own_id, _ = self.text("organization.id") if "organization.id" in self.mapping.fields else (None, False)
        org_id = f"org-id:{own_id}" if own_id else f"org:{_category_key(fields['name'])}"
        organization = {"id": org_id, **fields}
        organization.setdefault("description", fields["name"])
        identifier = self.organization_identifier(org_id)
        if identifier:
            organization["organization_identifiers"] = [identifier]
        return organization

    def organization_identifier(self, org_id: str) -> dict[str, Any] | None:
        if "organization_identifier" not in self.sourced:
            return None
        fields = dict(self.values["organization_identifier"])
        if not fields.get("identifier"):
            self.notes.append("organization identifier left out: no identifier (only its scheme or type)")
            return None
        fields.setdefault("identifier_type", fields.get("identifier_scheme", "identifier"))
        key = f"{fields.get('identifier_scheme', '')}:{fields['identifier']}"
        return {"id": f"orgid:{org_id}:{key}", "organization_id": org_id, **fields}

    def single(self, table: str, prefix: str) -> list[dict[str, Any]]:
        """The one child of ``table`` a row can describe, when a column gave it a value."""
        if table not in self.sourced:
            return []
        return [{"id": f"{prefix}:{self.ext}", "service_id": self.ext, **self.values[table]}]

    def cost_options(self) -> list[dict[str, Any]]:
        options = self.single("cost_option", "cost")
        for option in options:
            if "amount" in option and "currency" not in option and self.mapping.country in CURRENCY:
                option["currency"] = CURRENCY[self.mapping.country]
        return options

    def phones(self) -> list[dict[str, Any]]:
        if "phone.number" not in self.mapping.fields:
            return []
        value, _ = self.extract("phone.number")
        if value is None:
            return []
        extension = self.phone_extension()
        phones = []
        for index, (part, label) in enumerate(_phone_parts(value, self.mapping.country), start=1):
            number, own_extension, error = _phone(part, self.mapping.country)
            if number is None:
                self.note("phone.number", part, error or "is not a phone number")
                continue
            phone: dict[str, Any] = {"id": f"phone:{self.ext}:{index}", "service_id": self.ext, "number": number}
            phone.update(self.values.get("phone", {}))
            if own_extension is not None or (index == 1 and extension is not None):
                phone["extension"] = own_extension if own_extension is not None else extension
            if "description" not in phone and label:
                phone["description"] = label
            if "type" not in phone and self.mapping.country == "GB" and number.replace(" ", "").startswith("+447"):
                phone["type"] = "cell"
            phones.append(phone)
        return phones

    def phone_extension(self) -> int | None:
        if "phone.extension" not in self.mapping.fields:
            return None
        value, _ = self.extract("phone.extension")
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
        digits = re.sub(r"\D", "", _cell_text(value))
        if not digits:
            self.note("phone.extension", value, "is not an extension number")
            return None
        return int(digits)

    def schedules(self) -> list[dict[str, Any]]:
        base = self.values.get("schedule", {})
        items: list[dict[str, Any]] = []
        text, _ = self.text("schedule.description") if "schedule.description" in self.mapping.fields else (None, False)
        if text:
            allowed = _schedule_fields()
            parsed = [_compact({k: v for k, v in s if k in allowed}) for s in _opening_hours(text)]
            items = [{**base, "description": text, **s} for s in parsed] or [{**base, "description": text}]
        elif "schedule" in self.sourced:
            items = [dict(base)]
        return [{"id": f"schedule:{self.ext}:{i}", "service_id": self.ext, **s} for i, s in enumerate(items, 1)]

    def languages(self) -> list[dict[str, Any]]:
        names: list[str] = []
        if "language.name" in self.mapping.fields:
            text, _ = self.text("language.name")
            names = [n for n in LANGUAGE_SPLIT.split(text or "") if n]
        if not names and "language" not in self.sourced:
            return []
        given = self.values.get("language", {})
        rows = [{**given, "name": n} for n in dict.fromkeys(names)] or [dict(given)]
        return [{"id": f"language:{self.ext}:{i}", "service_id": self.ext, **r} for i, r in enumerate(rows, 1)]

    def categories(self) -> list[dict[str, Any]]:
        if CATEGORY not in self.mapping.fields:
            return []
        text, _ = self.text(CATEGORY)
        attributes: dict[str, dict[str, Any]] = {}
        for name in _category_names(text or "", self.mapping.categories):
            codes = self.mapping.categories.get(_category_key(name))
            if codes:
                for code in codes:
                    attributes.setdefault(code, self.mapped_category(code, name))
                continue
            if self.mapping.categories:
                self.notes.append(f"category {name!r} is not in the mapping's categories: kept as a source category")
            attribute = self.source_category(name)
            attributes.setdefault(attribute["id"], attribute)
        return list(attributes.values())

    def mapped_category(self, code: str, name: str) -> dict[str, Any]:
        """A link to an existing directory term: the sheet's own word for it must not rename the
        shared term, so the term itself is not part of the record (only its id is)."""
        return {
            "id": f"attribute:{self.ext}:{code}",
            "link_id": self.ext,
            "link_entity": "service",
            "taxonomy_term_id": code,
            "value": name,
        }

    def source_category(self, name: str) -> dict[str, Any]:
        taxonomy = self.mapping.source_taxonomy or f"{self.mapping.name} categories"
        taxonomy_id = f"source-categories:{_slug(taxonomy)}"
        term_id = f"{taxonomy_id}:{_category_key(name)}"
        return {
            "id": f"attribute:{self.ext}:{term_id}",
            "link_id": self.ext,
            "link_entity": "service",
            "taxonomy_term_id": term_id,
            "taxonomy_term": {
                "id": term_id,
                "name": name,
                "description": f"{name} (a category of {taxonomy}, not yet mapped to a Waymark taxonomy term)",
                "taxonomy": taxonomy,
                "taxonomy_id": taxonomy_id,
                "taxonomy_detail": {
                    "id": taxonomy_id,
                    "name": taxonomy,
                    "description": f"Categories as written in the {taxonomy.removesuffix(' categories')} source, "
                                   "kept until they are mapped to Waymark taxonomy terms.",
                },
            },
        }

    def service_at_locations(self, org_id: str) -> list[dict[str, Any]]:
        location = self.location(org_id)
        if location is None:
            return []
        return [{"id": f"sal:{self.ext}", "service_id": self.ext, "location_id": location["id"], "location": location}]

    def location(self, org_id: str) -> dict[str, Any] | None:
        if not ("location" in self.sourced or "address" in self.sourced or "accessibility" in self.sourced):
            return None
        loc_id = f"loc:{self.ext}"
        fields = dict(self.values.get("location", {}))
        location: dict[str, Any] = {"id": loc_id, "location_type": fields.pop("location_type", "physical"),
                                    "organization_id": org_id, **fields}
        address = self.address(loc_id, fields.get("name"))
        if address:
            location["addresses"] = [address]
        if "accessibility" in self.sourced:
            location["accessibility"] = [{"id": f"access:{self.ext}", "location_id": loc_id,
                                          **self.values.get("accessibility", {})}]
        return location if len(location) > 3 else None

    def address(self, loc_id: str, location_name: str | None) -> dict[str, Any] | None:
        if "address" not in self.sourced:
            return None
        address: dict[str, Any] = {"id": f"address:{self.ext}", "location_id": loc_id, **self.values.get("address", {})}
        address.setdefault("country", self.mapping.country)
        address.setdefault("address_type", "physical")
        if not address.get("address_1") and location_name:
            address["address_1"] = location_name
        if not address.get("state_province") and (address.get("region") or address.get("city")):
            address["state_province"] = address.get("region") or address["city"]
        _drop_repeated_city(address)
        missing = [name for name in ("address_1", "city", "postal_code") if not address.get(name)]
        if missing:
            self.notes.append(f"address left out: no {' or '.join(missing)} (HSDS needs address_1, city and "
                              "postal_code); the location is kept")
            return None
        return address


def _drop_repeated_city(address: dict[str, Any]) -> None:
    """Address lines joined from several columns often end with the town that is also the city."""
    city, line = str(address.get("city", "")).casefold(), str(address.get("address_2", ""))
    if city and line.casefold() == city:
        del address["address_2"]
    elif city and line.casefold().endswith(", " + city):
        address["address_2"] = line[: -len(city) - 2]


def _phone_parts(value: Any, country: str) -> list[tuple[str, str | None]]:
    """The phone numbers in one cell, each with its label ("0113 ... (office) / 07700 ..." gives two)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = _cell_text(value)
    parts: list[str] = []
    for part in PHONE_SPLIT.split(str(value)):
        if parts and EXTENSION_ONLY.fullmatch(part):
            parts[-1] += f" {part}"
        elif part.strip():
            parts.append(part.strip())
    whole = str(value).strip()
    if len(parts) > 1 and not all(_phone(p, country)[0] for p in parts) and _phone(whole, country)[0]:
        parts = [whole]  # one number written with a separator inside it: "310/246-1501" (area code / number)
    out = []
    for part in parts:
        label_match = PHONE_LABEL.search(part)
        label = (label_match[1] or label_match[2]).strip() if label_match else None
        if label and label.casefold() in PHONE_PREFIXES:
            label = None
        number = PHONE_LABEL.sub(" ", part).strip() if label_match else part
        out.append((_repair_phone(number, country), label))
    return out


def _repair_phone(text: str, country: str) -> str:
    """A GB number that lost its leading 0 in a spreadsheet (1134960123) gets it back."""
    digits = PHONE_SEPARATORS.sub("", text)
    if country == "GB" and GB_WITHOUT_ZERO.fullmatch(digits) and not digits.startswith("44"):
        return "0" + digits
    return text


def _category_names(text: str, known: dict[str, tuple[str, ...]]) -> list[str]:
    """The categories in a cell: split on ; | and new lines, then on commas unless the whole part is known."""
    names: list[str] = []
    for part in CATEGORY_SPLIT.split(text):
        pieces = part.split(",")
        start = 0
        while start < len(pieces):  # the longest run of pieces that is a known category, else one piece
            end = next((end for end in range(len(pieces), start + 1, -1)
                        if _category_key(",".join(pieces[start:end])) in known), start + 1)
            name = " ".join(",".join(pieces[start:end]).split())
            if name:
                names.append(name)
            start = end
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------- the feed


class SpreadsheetFeed:
    """One read of a spreadsheet: one ``SourceRecord(kind="service")`` per data row.

    ``mapping`` is a ``Mapping`` or the same keys as a dict (as stored in a source's
    config). ``complete`` becomes true after the last row (a spreadsheet is always a full
    feed); ``notes`` collects what concerns the whole file. ``fingerprint`` identifies the
    file's bytes read with this mapping; when it equals ``known_fingerprint`` nothing is
    read again: ``not_modified`` is set and no records follow. Raises ``FeedError`` (from
    ``records()``) for files that cannot be read or do not match the mapping.
    """

    def __init__(self, path: Path, mapping: Mapping | dict[str, Any], known_fingerprint: str | None = None) -> None:
        self.path = Path(path)
        self.mapping = mapping if isinstance(mapping, Mapping) else parse_mapping(mapping, "mapping", self.path.stem)
        self.known_fingerprint = known_fingerprint
        self.complete = False
        self.not_modified = False
        self.fingerprint: str | None = None
        self.notes: list[str] = []
        self.prepare_for: Preparation | None = None  # records come prepared for a harvest (identity.prepared)

    def records(self) -> Iterator[SourceRecord]:
        self.complete = False
        self.notes = []
        source = self._source()
        self.fingerprint = self._fingerprint()
        if self.fingerprint == self.known_fingerprint:
            self.not_modified = True
            return
        preparing = self.prepare_for
        prepare_for = None if preparing is None else (preparing.source, preparing.known())
        if self.path.stat().st_size >= WORKER_MIN_BYTES:
            self.notes = yield from read_in_worker(__name__, (self.path, self.mapping, prepare_for))
        else:
            yield from self._read(source, prepare_for)
        self.complete = True

    def _read(self, source: _CsvSource | _XlsxSource, prepare_for: tuple[str, dict[str, str]] | None = None
              ) -> Iterator[SourceRecord]:
        """Every row's record, prepared (``identity.prepared``) for (source, known hashes) ``prepare_for``
        if given; notes go to ``self.notes``."""
        if prepare_for is None:
            yield from self._rows(source)
        else:
            yield from prepared(self._rows(source), *prepare_for)

    def _rows(self, source: _CsvSource | _XlsxSource) -> Iterator[SourceRecord]:
        rows = source.rows()
        headers = self._headers(rows)
        resolved = self._resolve(headers)
        seen: dict[str, int] = {}
        count = skipped = 0
        for number, cells in rows:
            raw = self._raw(headers, cells)
            if self._skip(raw, cells, headers, resolved, number, number in source.merged_rows):
                skipped += 1
                continue
            count += 1
            yield self._record(number, raw, resolved, seen, source.fallback)
        if count == 0 and not self.mapping.allow_empty:
            what = f"{skipped} blank or heading rows and " if skipped else ""
            raise FeedError(f"{self.path.name}: has a header row but {what}no data rows; refusing to read it as an "
                            "empty directory (set allow_empty: true if the source really lists nothing)")

    # -- the file

    def _format(self) -> str:
        if not self.path.is_file():
            raise FeedError(f"{self.path}: no such file")
        if self.path.stat().st_size == 0:
            raise FeedError(f"{self.path.name}: the file is empty")
        with self.path.open("rb") as handle:
            start = handle.read(4)
        by_name = "xlsx" if self.path.suffix.lower() in (".xlsx", ".xlsm") else "csv"
        declared = self.mapping.format or by_name
        if start == OLE_MAGIC:
            raise FeedError(f"{self.path.name}: an old Excel (.xls) or password-protected workbook; save it as .xlsx "
                            "(without a password) or as CSV")
        if declared == "csv" and start == XLSX_MAGIC:
            raise FeedError(f"{self.path.name}: looks like an XLSX workbook, but the mapping says format: csv")
        if declared == "xlsx" and start != XLSX_MAGIC:
            raise FeedError(f"{self.path.name}: not an XLSX workbook (is it a CSV file? set format: csv)")
        return declared

    def _fingerprint(self) -> str:
        """sha256 of the importer's output version, the mapping and the file's bytes."""
        digest = hashlib.sha256(f"{OUTPUT_VERSION}\n{self.mapping!r}\n".encode())
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def _source(self) -> _CsvSource | _XlsxSource:
        if self._format() == "xlsx":
            return _XlsxSource(self.path, self.mapping, self.notes)
        return _CsvSource(self.path, self.mapping, self.notes)

    def _headers(self, rows: Iterator[tuple[int, list[Any]]]) -> list[str]:
        if self.mapping.header_row == 0:
            return list(self.mapping.columns)
        for number, cells in rows:
            if number == self.mapping.header_row:
                headers = _header_names(cells)
                if headers:
                    return headers
                raise FeedError(f"{self.path.name}: row {number} (header_row) is blank; which row holds the "
                                "column names?")
        raise FeedError(f"{self.path.name}: no header row (the file has fewer than {self.mapping.header_row} rows)")

    def _resolve(self, headers: list[str]) -> dict[str, str | None]:
        """Mapping column -> header in the file (exact, else ignoring case); FeedError for missing ones."""
        folded: dict[str, list[str]] = defaultdict(list)
        for header in headers:
            folded[header.casefold()].append(header)
        resolved: dict[str, str | None] = {}
        missing: list[str] = []
        for column, optional in self.mapping.columns_used().items():
            candidates = [column] if column in headers else folded.get(column.casefold(), [])
            if len(candidates) > 1:
                raise FeedError(f"{self.path.name}: column {column!r} matches several columns: "
                                f"{', '.join(map(repr, candidates))}")
            resolved[column] = candidates[0] if candidates else None
            if not candidates and optional:
                self._note(f"{self.path.name}: optional column {column!r} is not in the file")
            elif not candidates:
                missing.append(column)
        if missing:
            raise FeedError(f"{self.path.name}: the mapping names columns that are not in the file: "
                            f"{', '.join(map(repr, missing))}. Columns present (header row {self.mapping.header_row}): "
                            f"{', '.join(map(repr, headers)) or '(none)'}")
        return resolved

    def _note(self, note: str) -> None:
        if len(self.notes) < MAX_FEED_NOTES:
            self.notes.append(note)
        elif len(self.notes) == MAX_FEED_NOTES:
            self.notes.append("(further notes left out)")

    # -- rows

    @staticmethod
    def _raw(headers: list[str], cells: list[Any]) -> dict[str, Any]:
        """The row as {header: cell}; cells beyond the header are kept as "column N" when not blank."""
        raw: dict[str, Any] = {}
        for index, header in enumerate(headers):
            raw[header] = cells[index] if index < len(cells) else None
        for index in range(len(headers), len(cells)):
            if not _is_blank(cells[index]):
                raw[f"column {index + 1}"] = cells[index]
        return raw

    def _skip(self, raw: dict[str, Any], cells: list[Any], headers: list[str], resolved: dict[str, str | None],
              number: int, merged_across: bool) -> bool:
        """Blank rows, headings and repeated header rows.

        A heading is a row with a single value that is either merged across columns (XLSX)
        or not in the id column: a row that has only its id is quarantined, not skipped.
        """
        if not self.mapping.skip_blank_rows:
            return False
        no_id = all(_is_blank(raw.get(resolved.get(c) or "")) for c in self.mapping.external_id)
        filled = [c for c in cells if not _is_blank(c)] if no_id or merged_across else cells
        if not filled:
            return True
        if len(filled) == 1 and (no_id or merged_across):
            self._note(f"{self.path.name} row {number} skipped: a heading, not a record ({_cell_text(filled[0])!r})")
            return True
        first = " ".join(_cell_text(cells[0]).split()) if cells else ""
        if self.mapping.header_row and first == headers[0] and _header_names(cells[: len(headers)]) == headers:
            self._note(f"{self.path.name} row {number} skipped: repeats the header row")
            return True
        return False

    def _external_id(self, raw: dict[str, Any], resolved: dict[str, str | None]) -> str | None:
        parts = [" ".join(_cell_text(raw.get(resolved.get(c) or "")).split()) for c in self.mapping.external_id]
        if len(parts) == 1:
            return parts[0] or None
        return " | ".join(p.casefold() for p in parts) if any(parts) else None

    def _record(self, number: int, raw: dict[str, Any], resolved: dict[str, str | None], seen: dict[str, int],
                fallback: bool) -> SourceRecord:
        origin = f"{self.path.name} row {number}"
        external_id = self._external_id(raw, resolved)
        record, problems, notes = None, [], []
        if external_id is None:
            columns = ", ".join(map(repr, self.mapping.external_id))
            problems.append(f"no id: column {columns} is empty (external_id)")
        elif external_id in seen:
            problems.append(f"duplicate id {external_id!r}: row {seen[external_id]} has the same id")
        else:
            seen[external_id] = number
        builder = _RowBuilder(self.mapping, resolved, raw, external_id or origin)
        try:
            record = builder.build()
        except Exception as exc:  # a bad record never aborts a harvest
            builder.problems.append(f"could not be normalised ({type(exc).__name__}: {exc})")
        problems += builder.problems
        notes = list(dict.fromkeys(builder.notes))
        if fallback and any(isinstance(v, str) and not v.isascii() for v in raw.values()):
            notes.append("the file is not UTF-8: this row was read as Windows-1252; check accented letters and "
                         "symbols such as £")
        if notes:
            raw[NOTES_KEY] = notes
        return SourceRecord(
            external_id=external_id or origin,
            kind="service",
            raw=raw,
            record=None if problems else record,
            origin=origin,
            problems=problems,
        )


# A file of ``WORKER_MIN_BYTES`` or more is read in a worker process (see
# ``importers.base.read_in_worker``): normalising its rows (phone numbers, postcodes,
# opening hours ...), hashing them and scoping their ids is a third of a first harvest's
# time and nearly all of a re-read's. The file's notes come back when it has been read.

WORKER_MIN_BYTES = 4 * 1024 * 1024


def _reader(request: tuple[Path, Mapping, tuple[str, dict[str, str]] | None]
            ) -> tuple[Iterator[SourceRecord], Callable[[], list[str]]]:
    """The worker's reader: the records of (path, mapping, prepare_for), then the feed's notes."""
    path, mapping, prepare_for = request
    sheet = SpreadsheetFeed(path, mapping)
    return sheet._read(sheet._source(), prepare_for), lambda: sheet.notes


def feed(path: Path, mapping: Path | Mapping) -> SpreadsheetFeed:
    """A feed over ``path`` with a mapping file (or an already loaded ``Mapping``)."""
    return SpreadsheetFeed(path, mapping if isinstance(mapping, Mapping) else load_mapping(mapping))


__all__ = [
    "NOTES_KEY",
    "FieldSpec",
    "Mapping",
    "MappingError",
    "SpreadsheetFeed",
    "feed",
    "load_mapping",
    "load_preset",
    "mappable_fields",
    "parse_mapping",
]


if __name__ == "__main__":  # the worker process of read_in_worker
    # The request's Mapping unpickles as importers.spreadsheet.Mapping: read with that module, not __main__.
    from importers import spreadsheet

    worker_main(spreadsheet._reader)
