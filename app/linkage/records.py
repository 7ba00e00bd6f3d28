"""``LinkRecord``: what linkage knows about one staged record, already normalised.

Linkage never sees whole HSDS records: it compares a handful of fields, and reading them once into a small frozen
dataclass keeps the comparison loops free of dictionary walking and lets the database layer build records from
whatever it stores. ``LinkRecord.build`` normalises raw values; ``from_hsds`` reads an HSDS 3 location, organization
or service as the API serves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.linkage import normalise as norm

Entity = Literal["location", "organization", "service"]
Key = tuple[str, str]  # (source, external_id)


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """One record's comparable fields, normalised; empty strings, tuples and ``None`` mean "not known".

    ``parents`` holds the golden ids of a service's organisation and locations, so services are matched within what
    has already been matched; ``organization`` says which of them is the organisation (a service belongs to one,
    and is offered at its locations). ``registrations`` are ``(scheme, id)`` pairs such as ``("GB-CHC", "1234567")``.
    """

    key: Key
    entity: Entity
    name: str = ""
    address: tuple[str, ...] = ()
    house_number: str | None = None
    postcode: str | None = None
    locality: str = ""
    latitude: float | None = None
    longitude: float | None = None
    phones: tuple[str, ...] = ()
    domain: str | None = None
    registrations: tuple[tuple[str, str], ...] = ()
    country: str | None = None
    parents: tuple[str, ...] = ()
    organization: str | None = None
    # The street without numbers (``normalise.street_text``), worked out with the house number; ``None``: not yet.
    street: str | None = None

    @property
    def source(self) -> str:
        return self.key[0]

    @classmethod
    def build(
        cls,
        key: Key,
        entity: Entity,
        *,
        name: str | None = None,
        address: Sequence[str | None] = (),
        postcode: str | None = None,
        locality: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        phones: Iterable[str | None] = (),
        website: str | None = None,
        registrations: Iterable[tuple[str | None, str | None]] = (),
        country: str | None = "GB",
        parents: Iterable[str] = (),
        organization: str | None = None,
        values: ValueCache | None = None,
    ) -> LinkRecord:
        """A record from raw values, each normalised; values that cannot be read are left out.

        Phones are read as dialled in ``country`` (so US feeds pass ``country="US"``); a UK postcode is stored in
        its canonical form, any other country's as written. ``values`` is the batch's ``ValueCache``: building a
        batch's records with one normalises each distinct postcode, town, phone, website and name once.
        """
        values = values or ValueCache()
        lines = tuple([line for line in map(str.strip, filter(None, address)) if line])
        country = (country or "GB").upper()
        regs = {
            (norm.fold(scheme).replace(" ", "-").upper(), "".join(str(ident).split()).upper().lstrip("0") or "0")
            for scheme, ident in registrations
            if scheme and ident and str(ident).strip()
        }
        coordinates = _coordinates(latitude, longitude) if latitude is not None and longitude is not None else None
        name, folded_name = values.name(name)
        number, street = norm.house_number_and_street(lines, name, folded_name=folded_name)
        return cls(
            key=key,
            entity=entity,
            name=name,
            address=lines,
            house_number=number,
            postcode=values.postcode(postcode, country),
            locality=values.locality(locality),
            latitude=coordinates[0] if coordinates else None,
            longitude=coordinates[1] if coordinates else None,
            phones=values.phones(phones, country),
            domain=values.domain(website),
            registrations=tuple(sorted(regs)),
            country=country,
            parents=tuple(sorted(set(parents) | ({organization} if organization else set())))
            if parents or organization
            else (),
            organization=organization or None,
            street=street,
        )


class ValueCache:
    """The normalised form of each raw value one batch of records holds, worked out once per distinct value.

    A batch repeats names, postcodes, towns, phone numbers and websites (every service at one venue, every branch
    of one charity with its head-office number), and normalising them is much of the cost of building a record;
    records built with one cache also share one string per value. It grows with the batch's distinct values, so
    it lives as long as the batch: make one per batch and pass it to ``LinkRecord.build`` or ``from_hsds``.
    """

    def __init__(self) -> None:
        self._names: dict[str, tuple[str, str]] = {}
        self._postcodes: dict[tuple[str, str], str | None] = {}
        self._localities: dict[str, str] = {}
        self._phones: dict[tuple[str, str], str | None] = {}
        self._domains: dict[str, str | None] = {}

    def name(self, raw: str | None) -> tuple[str, str]:
        """The name as kept (stripped) and folded (for reading the address)."""
        known = self._names.get(raw or "")
        if known is None:
            stripped = (raw or "").strip()
            known = self._names[raw or ""] = (stripped, norm.fold(stripped))
        return known

    def postcode(self, raw: str | None, country: str) -> str | None:
        """A UK postcode in its canonical form, any other country's (or an unreadable one) as written."""
        if not raw:
            return None
        known = self._postcodes.get((raw, country), "")
        if known == "":
            known = self._postcodes[(raw, country)] = (
                norm.postcode_parts(raw, country).full or raw.strip().upper() or None
            )
        return known

    def locality(self, raw: str | None) -> str:
        if not raw:
            return ""
        known = self._localities.get(raw)
        if known is None:
            known = self._localities[raw] = norm.fold(raw)
        return known

    def phones(self, raw: Iterable[str | None], country: str) -> tuple[str, ...]:
        """The distinct numbers in E.164, sorted; unreadable ones left out."""
        numbers = set()
        for phone in raw:
            if phone:
                number = self._phones.get((phone, country), "")
                if number == "":
                    number = self._phones[(phone, country)] = norm.phone_e164(phone, country)
                if number:
                    numbers.add(number)
        return tuple(sorted(numbers))

    def domain(self, website: str | None) -> str | None:
        if not website:
            return None
        known = self._domains.get(website, "")
        if known == "":
            known = self._domains[website] = norm.registrable_domain(website)
        return known


def _coordinates(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    """Latitude and longitude as floats, or ``None`` when missing, out of range, or the (0, 0) placeholder."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def _phones(record: Mapping[str, Any]) -> list[str]:
    return [str(phone.get("number")) for phone in record.get("phones") or () if phone.get("number")]


def _first_address(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The physical address if there is one, else the first: HSDS allows postal and virtual addresses too."""
    addresses = [a for a in record.get("addresses") or () if isinstance(a, Mapping)]
    for address in addresses:
        if address.get("address_type") in (None, "physical"):
            return address
    return addresses[0] if addresses else {}


def from_hsds(
    source: str,
    record: Mapping[str, Any],
    entity: Entity,
    *,
    parents: Iterable[str] = (),
    organization: str | None = None,
    country: str = "GB",
    values: ValueCache | None = None,
) -> LinkRecord:
    """A ``LinkRecord`` from an HSDS 3 location, organization or service dict, keyed by ``(source, record["id"])``.

    Locations read their address, coordinates and phones; organisations their website, ``organization_identifiers``
    and phones, plus the address of their first location; services their url and phones (not their email domain:
    shared mailboxes are common) and the address of their first location. A location without an address whose name
    opens with a house number is named by its address (``normalise.address_in_name``), and that is read as its address
    and town. ``country`` is the default for phones and postcodes when the address does not say. ``values``: the
    batch's ``ValueCache`` (see ``LinkRecord.build``).
    """
    key = (source, str(record.get("id") or ""))
    location: Mapping[str, Any] = record
    if entity == "organization":
        location = next(iter(record.get("locations") or ()), {})
    elif entity == "service":
        at: Any = next(iter(record.get("service_at_locations") or ()), {})
        location = (at.get("location") or {}) if isinstance(at, Mapping) else {}
    address = _first_address(location)
    where = address.get("country") or country
    name = record.get("name")
    lines: Sequence[str | None] = [address.get("address_1"), address.get("address_2")]
    locality = address.get("city")
    written = norm.address_in_name(location.get("name")) if not address else None
    if written:  # a site without an address named by it: its name is its address, not a name to compare
        lines, locality = written
        name = None if entity == "location" else name
    registrations = [
        (item.get("identifier_scheme") or item.get("identifier_type"), item.get("identifier"))
        for item in record.get("organization_identifiers") or ()
        if isinstance(item, Mapping)
    ]
    return LinkRecord.build(
        key,
        entity,
        name=name,
        address=lines,
        postcode=address.get("postal_code"),
        locality=locality,
        latitude=location.get("latitude"),
        longitude=location.get("longitude"),
        phones=_phones(record) or _phones(location),
        website=record.get("website") or record.get("url"),
        registrations=registrations,
        country=str(where),
        parents=parents,
        organization=organization,
        values=values,
    )
