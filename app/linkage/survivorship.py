"""Survivorship: which source's value each field of a golden record takes, and the trail of where it came from.

Pure (no database, no Flask). For every field, the candidates are the members of the cluster that have a value;
they are ranked by

1. the maintainer: an override always wins;
2. trust: per field group (``FIELD_GROUPS``), the sources in the order the directory trusts them for that group,
   e.g. the NHS feed first for clinical details, the council for addresses, the charity register for legal names,
   the organisation's own feed for descriptions (``parse_trust`` reads the setting); unlisted sources come after;
3. the most recently verified record;
4. a value in a valid format (an email with an @, a web address with a scheme, coordinates in range ...);
5. completeness (the longer text, the list with more filled-in entries);
6. the members' order (oldest record first), so ties are stable from run to run.

A whole field is taken from one source: lists such as phones or addresses are not mixed item by item, since a
record's phone list is only consistent with itself.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "names": ("name", "alternate_name"),
    "legal": ("legal_status", "year_incorporated", "organization_identifiers", "tax_status", "tax_id", "uri"),
    "descriptions": (
        "description",
        "application_process",
        "fees_description",
        "interpretation_services",
        "accreditations",
        "alert",
        "transportation",
        "cost_options",
        "languages",
    ),
    "clinical": (
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "assurer_email",
        "licenses",
        "required_documents",
        "status",
    ),
    "contact": ("email", "url", "website", "phones", "contacts"),
    "addresses": (
        "addresses",
        "latitude",
        "longitude",
        "location_type",
        "accessibility",
        "external_identifier",
        "external_identifier_type",
    ),
    "times": ("schedules",),
}
GROUP_OF = {name: group for group, names in FIELD_GROUPS.items() for name in names}
OTHER = "other"
MAINTAINER = "maintainer"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)


class TrustError(ValueError):
    """A trust setting that cannot be read; the message says which part."""


def parse_trust(text: str) -> dict[str, tuple[str, ...]]:
    """``"addresses=council>nhs; clinical=nhs; descriptions=cvs"`` -> {group: (source, ...)}, most trusted first.

    Groups are those of ``FIELD_GROUPS`` plus ``other`` (every field no group lists)."""
    trust: dict[str, tuple[str, ...]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        group, sep, sources = part.partition("=")
        group = group.strip()
        if not sep or not group:
            raise TrustError(f"linkage trust: {part!r} is not GROUP=SOURCE>SOURCE")
        if group not in FIELD_GROUPS and group != OTHER:
            known = ", ".join([*FIELD_GROUPS, OTHER])
            raise TrustError(f"linkage trust: unknown field group {group!r} (known: {known})")
        names = tuple(s.strip() for s in sources.split(">") if s.strip())
        if not names:
            raise TrustError(f"linkage trust: group {group!r} lists no source")
        trust[group] = names
    return trust


@dataclass(frozen=True, slots=True)
class Candidate:
    """One member of a cluster: its record (an HSDS dict), where it came from and when it was last verified."""

    source: str
    external_id: str  # the source record (the staged record's external id)
    harvest_run: int | None
    record: Mapping[str, Any]
    verified: datetime.datetime | None = None


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a golden value came from: a source record and the harvest that brought it, or a maintainer."""

    source: str
    external_id: str
    harvest_run: int | None
    reason: str  # "override", "trust", "only value", "verified", "format", "completeness", "order"

    def describe(self) -> str:
        if self.source == MAINTAINER:
            return "maintainer override"
        run = f", harvest run {self.harvest_run}" if self.harvest_run is not None else ""
        return f"{self.source} record {self.external_id}{run} ({self.reason})"


@dataclass(frozen=True)
class Survivor:
    record: dict[str, Any]
    provenance: dict[str, Provenance]


def survive(
    candidates: Sequence[Candidate],
    *,
    trust: Mapping[str, Sequence[str]] | None = None,
    overrides: Mapping[str, Any] | None = None,
    skip: frozenset[str] = frozenset(),
) -> Survivor:
    """The merged record of ``candidates`` (oldest first) and the provenance of every field it has.

    Fields in ``skip`` are left to the caller (ids and references it rewrites itself)."""
    trust = trust or {}
    overrides = overrides or {}
    fields: dict[str, None] = {}
    for candidate in candidates:
        fields.update((name, None) for name in candidate.record if name not in skip)
    fields.update((name, None) for name in overrides if name not in skip)
    record: dict[str, Any] = {}
    provenance: dict[str, Provenance] = {}
    for name in fields:
        if name in overrides:
            record[name] = overrides[name]
            provenance[name] = Provenance(MAINTAINER, "", None, "override")
            continue
        having = [(i, c) for i, c in enumerate(candidates) if not _empty(c.record.get(name))]
        if not having:
            continue
        order = trust.get(GROUP_OF.get(name, OTHER), ())
        ranked = sorted(having, key=lambda item: _rank(name, item[0], item[1], order))
        _index, best = ranked[0]
        record[name] = best.record[name]
        provenance[name] = Provenance(best.source, best.external_id, best.harvest_run, _reason(name, ranked, order))
    return Survivor(record, provenance)


def _rank(name: str, index: int, candidate: Candidate, order: Sequence[str]) -> tuple[Any, ...]:
    value = candidate.record[name]
    trusted = order.index(candidate.source) if candidate.source in order else len(order)
    stamp = -candidate.verified.timestamp() if candidate.verified else float("inf")
    return trusted, stamp, 0 if valid(name, value) else 1, -completeness(value), index


def _reason(name: str, ranked: list[tuple[int, Candidate]], order: Sequence[str]) -> str:
    """Which rule separated the winner from the runner-up (for the provenance trail)."""
    if len(ranked) == 1:
        return "only value"
    first, second = (_rank(name, i, c, order) for i, c in ranked[:2])
    for position, reason in enumerate(("trust", "verified", "format", "completeness")):
        if first[position] != second[position]:
            return reason
    return "order"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def valid(name: str, value: Any) -> bool:
    """Whether ``value`` has the format field ``name`` needs; fields with no known format are valid."""
    if name in ("email", "assurer_email"):
        return isinstance(value, str) and bool(_EMAIL.match(value.strip()))
    if name in ("url", "website", "uri"):
        return isinstance(value, str) and bool(_URL.match(value.strip()))
    if name == "latitude":
        return _number_between(value, -90, 90)
    if name == "longitude":
        return _number_between(value, -180, 180)
    if name == "phones":
        return isinstance(value, list) and all(
            isinstance(p, Mapping) and sum(ch.isdigit() for ch in str(p.get("number") or "")) >= 7 for p in value
        )
    if name == "addresses":
        return isinstance(value, list) and all(
            isinstance(a, Mapping) and a.get("address_1") and (a.get("postal_code") or a.get("city")) for a in value
        )
    return True


def _number_between(value: Any, low: float, high: float) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return low <= number <= high and number != 0


def completeness(value: Any) -> int:
    """How much a value says: characters of text, filled-in entries of lists and objects."""
    if isinstance(value, str):
        return len(value.strip())
    if isinstance(value, Mapping):
        return sum(1 + completeness(v) for v in value.values() if not _empty(v) and not isinstance(v, str)) + sum(
            1 for v in value.values() if isinstance(v, str) and v.strip()
        )
    if isinstance(value, list):
        return sum(1 + completeness(v) for v in value)
    return 0 if value is None else 1
