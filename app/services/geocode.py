"""Coordinates for harvested locations that arrive without them.

A location with no latitude/longitude gets the point of its address's postcode from
the postcode table (``waymark postcodes load``); failing a postcode, the optional
address geocoder is asked when one is configured. Problems are notes, never fatal:
an unknown or terminated postcode is reported and the record goes on without a point.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.geo.geocoder import AddressGeocoder
from app.models.geo import Postcode
from importers.normalise import NormaliseError, postcode
from schema.hsds import Node, plan


def _locations(node: Node, record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every location object nested anywhere in a record of this plan.

    Only the branches of the plan that can hold a location are walked: a service record's
    phones, schedules, languages, attributes and their terms never can, and walking them
    for every record of a harvest cost as much as the postcode lookup itself."""
    if node.table == "location":
        yield record
    for prop, child, many in _location_branches(node):
        value = record.get(prop)
        items = value if many and isinstance(value, list) else [value] if isinstance(value, dict) else []
        for item in items:
            if isinstance(item, dict):
                yield from _locations(child, item)


def _location_branches(node: Node) -> tuple[tuple[str, Node, bool], ...]:
    """The children of ``node`` under which a location can be nested. Plans are built once and
    never change, so this is worked out once per node, kept by identity (a frozen node's own
    hash walks its whole subtree)."""
    known = _BRANCHES.get(id(node))
    if known is None or known[0] is not node:
        known = _BRANCHES[id(node)] = (node, tuple(
            (prop, child, many) for prop, child, many, _link in node.children if _holds_location(child)))
    return known[1]


_BRANCHES: dict[int, tuple[Node, tuple[tuple[str, Node, bool], ...]]] = {}


def _holds_location(node: Node) -> bool:
    return node.table == "location" or any(_holds_location(child) for _prop, child, _many, _link in node.children)


def _postcode_of(location: dict[str, Any]) -> str | None:
    for address in location.get("addresses") or []:
        if isinstance(address, dict) and address.get("postal_code"):
            return str(address["postal_code"])
    return None


def _address_text(location: dict[str, Any]) -> str | None:
    for address in location.get("addresses") or []:
        if isinstance(address, dict):
            parts = [address.get(k) for k in ("address_1", "address_2", "city", "state_province", "country")]
            text = ", ".join(str(p) for p in parts if p)
            if text:
                return text
    return None


def fill_coordinates(session: Session, records: list[tuple[str, dict[str, Any]]],
                     geocoder: AddressGeocoder | None = None) -> list[list[str]]:
    """Give locations without coordinates a point, in place; one list of notes per record.
    One query for the whole batch of records."""
    return [notes for notes, _placed in place_coordinates(session, records, geocoder)]


def place_coordinates(session: Session, records: list[tuple[str, dict[str, Any]]],
                      geocoder: AddressGeocoder | None = None) -> list[tuple[list[str], list[dict[str, Any]]]]:
    """``fill_coordinates``, telling per record (its notes, the location objects it gave a point,
    in the order they are nested)."""
    pending: list[tuple[int, dict[str, Any], str | None]] = []
    for index, (kind, record) in enumerate(records):
        for location in _locations(plan(kind), record):
            if location.get("latitude") in (None, "") or location.get("longitude") in (None, ""):
                pending.append((index, location, _postcode_of(location)))
    out: list[tuple[list[str], list[dict[str, Any]]]] = [([], []) for _ in records]
    if not pending:
        return out
    wanted: dict[str, str] = {}
    for index, location, raw in pending:
        if raw is None:
            continue
        try:
            wanted[raw] = postcode(raw)
        except NormaliseError as exc:
            out[index][0].append(f"location {location.get('name') or location.get('id')}: {exc}")
    table = {row.postcode: row for row in session.execute(
        select(Postcode).where(Postcode.postcode.in_(sorted(set(wanted.values()))))).scalars()}
    for index, location, raw in pending:
        if _place(location, raw, wanted, table, geocoder, out[index][0]):
            out[index][1].append(location)
    return out


def _place(location: dict[str, Any], raw: str | None, wanted: dict[str, str], table: dict[str, Postcode],
           geocoder: AddressGeocoder | None, notes: list[str]) -> bool:
    """Give ``location`` a point if one is found (True)."""
    label = location.get("name") or location.get("id")
    found = table.get(wanted.get(raw, "")) if raw else None
    if found is not None and found.latitude is not None and found.longitude is not None:
        location["latitude"], location["longitude"] = found.latitude, found.longitude
        if found.terminated:
            notes.append(f"location {label}: postcode {found.postcode} is terminated; its last known point is used")
        return True
    if raw and raw in wanted:
        notes.append(f"location {label}: postcode {wanted[raw]} is not in the postcode table")
    address = _address_text(location)
    if geocoder is not None and address and not raw:
        place = geocoder.locate(address)
        if place is None:
            notes.append(f"location {label}: the geocoder found no point for {address!r}")
        else:
            location["latitude"], location["longitude"] = place.latitude, place.longitude
            return True
    return False
