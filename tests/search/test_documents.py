"""What the search index is told about a service: each fact a link worker filters or searches on."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.hsds import Service
from app.search.backend import EVERYWHERE, SearchDocument
from app.search.documents import all_documents, attending_modes, documents_for, says_free
from app.search.opening import DAYS, MINUTES_PER_DAY
from app.search.sync import expected_documents
from app.services.publish import publish

LEEDS = "E08000035"


def new_id() -> str:
    return str(uuid.uuid4())


def parent_term(session: Session, name: str = "Physical activity") -> str:
    term_id = new_id()
    publish(session, "taxonomy_term", [{"id": term_id, "name": name, "description": name}])
    return term_id


def service_record(parent_id: str | None = None, located: bool = True, **fields: Any) -> dict[str, Any]:
    """A walking group at a Leeds park on Tuesday mornings, filed under a child term."""
    service_id = new_id()
    term = {"id": new_id(), "name": "Walking groups", "description": "Led walks", "parent_id": parent_id}
    record: dict[str, Any] = {
        "id": service_id, "name": "Roundhay Park health walk", "status": "active",
        "description": "A gentle led walk for all abilities.",
        "organization": {"id": new_id(), "name": "Leeds Ramblers Trust", "description": "Walking charity"},
        "attributes": [{"id": new_id(), "taxonomy_term_id": term["id"], "taxonomy_term": term}],
        "schedules": [{"id": new_id(), "freq": "WEEKLY", "byday": "TU", "opens_at": "10:00", "closes_at": "11:30"}],
        "minimum_age": 18,
    }
    if located:
        record["service_at_locations"] = [{"id": new_id(), "location": {
            "id": new_id(), "location_type": "physical", "name": "Roundhay Park Mansion",
            "latitude": 53.8365, "longitude": -1.4985}}]
    record.update(fields)
    return record


def documents(session: Session, record: dict[str, Any]) -> list[SearchDocument]:
    publish(session, "service", [record])
    return documents_for(session, [record["id"]])


def test_a_service_at_a_location_is_one_located_document(session: Session) -> None:
    record = service_record()
    [document] = documents(session, record)
    sal = record["service_at_locations"][0]
    assert document.id == sal["id"] and document.service_id == record["id"]
    assert (document.latitude, document.longitude) == (53.8365, -1.4985)
    assert document.location_id == sal["location"]["id"]
    assert document.name == "Roundhay Park health walk"
    assert document.delivery == {"in_person"}
    assert document.minimum_age == 18 and document.maximum_age is None
    assert document.last_modified is not None and document.last_modified.utcoffset() is not None


def test_a_service_without_a_location_is_one_document_without_a_point(session: Session) -> None:
    record = service_record(located=False, phones=[{"id": new_id(), "number": "0113 496 0000"}])
    [document] = documents(session, record)
    assert document.id == record["id"] and document.location_id is None
    assert document.latitude is None and document.longitude is None
    assert document.delivery == {"telephone"}


def test_text_is_analysed_and_carries_organisation_term_and_location(session: Session) -> None:
    [document] = documents(session, service_record(parent_term(session)))
    assert document.name_text.split() == ["roundhay", "park", "health", "walk"]
    body = set(document.body_text.split())
    assert {"gentl", "walk", "rambler", "trust", "mansion", "physic", "activ"} <= body


def test_a_terms_ancestors_are_indexed(session: Session) -> None:
    grandparent = parent_term(session, "Health and wellbeing")
    parent_id = new_id()
    publish(session, "taxonomy_term", [{"id": parent_id, "name": "Physical activity", "description": "x",
                                        "parent_id": grandparent}])
    record = service_record(parent_id)
    [document] = documents(session, record)
    child = record["attributes"][0]["taxonomy_term_id"]
    assert document.term_ids == {child, parent_id, grandparent}


def test_a_cycle_in_the_taxonomy_does_not_hang(session: Session) -> None:
    first, second = new_id(), new_id()
    publish(session, "taxonomy_term", [{"id": first, "name": "A", "description": "a", "parent_id": second},
                                       {"id": second, "name": "B", "description": "b", "parent_id": first}])
    [document] = documents(session, service_record(first))
    assert {first, second} <= document.term_ids


def test_a_schedule_becomes_opening_intervals(session: Session) -> None:
    [document] = documents(session, service_record())
    tuesday = DAYS.index("TU") * MINUTES_PER_DAY
    assert [(i.start, i.end) for i in document.intervals] == [(tuesday + 600, tuesday + 690)]


def test_the_service_at_locations_own_schedule_wins(session: Session) -> None:
    record = service_record()
    record["service_at_locations"][0]["schedules"] = [
        {"id": new_id(), "freq": "WEEKLY", "byday": "FR", "opens_at": "14:00", "closes_at": "15:00"}]
    [document] = documents(session, record)
    friday = DAYS.index("FR") * MINUTES_PER_DAY
    assert [(i.start, i.end) for i in document.intervals] == [(friday + 840, friday + 900)]


def test_an_online_service_is_covered_everywhere(session: Session) -> None:
    record = service_record(located=False, url="https://example.org/walks-online")
    [document] = documents(session, record)
    assert document.delivery == {"online"}
    assert document.coverage_codes == {EVERYWHERE}


def test_a_virtual_location_is_online_without_a_point(session: Session) -> None:
    record = service_record()
    record["service_at_locations"][0]["location"].update(location_type="virtual")
    [document] = documents(session, record)
    assert document.delivery == {"online"} and document.latitude is None
    assert EVERYWHERE in document.coverage_codes


def test_an_online_service_for_one_area_stays_in_that_area(session: Session) -> None:
    record = service_record(located=False, url="https://example.org/leeds-only",
                            service_areas=[{"id": new_id(), "name": "Leeds",
                                            "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{LEEDS}"}])
    [document] = documents(session, record)
    assert document.delivery == {"online"} and LEEDS in document.coverage_codes
    assert EVERYWHERE not in document.coverage_codes


def test_attending_type_adds_its_delivery_mode(session: Session) -> None:
    record = service_record()
    record["schedules"][0]["attending_type"] = "Online"
    [document] = documents(session, record)
    assert document.delivery == {"in_person", "online"}
    assert attending_modes("By telephone") == {"telephone"} and attending_modes("In person") == {"in_person"}


def test_free_needs_no_positive_price(session: Session) -> None:
    free = service_record(cost_options=[{"id": new_id(), "option": "Everyone", "amount": 0}])
    paid = service_record(fees_description="Free taster session", cost_options=[
        {"id": new_id(), "option": "Session", "amount": 3.5, "amount_description": "per session"}])
    said = service_record(fees_description="Free.")
    assert documents(session, free)[0].free
    assert not documents(session, paid)[0].free
    assert documents(session, said)[0].free
    assert not says_free("Free for people on benefits; otherwise £3")


def test_languages_of_the_service_its_location_and_phones(session: Session) -> None:
    record = service_record(languages=[{"id": new_id(), "name": "Polish", "code": "pl"}],
                            phones=[{"id": new_id(), "number": "0113 496 0001",
                                     "languages": [{"id": new_id(), "name": "Urdu", "code": "ur"}]}])
    record["service_at_locations"][0]["location"]["languages"] = [{"id": new_id(), "name": "Punjabi", "code": "pa"}]
    [document] = documents(session, record)
    assert document.languages == {"pl", "polish", "ur", "urdu", "pa", "punjabi"}
    assert document.delivery == {"in_person", "telephone"}


def test_documents_describe_changes_the_session_has_not_flushed_yet(session: Session) -> None:
    """The documents are read on the session's connection, past its autoflush: an edit made
    through the ORM (a maintainer's form) must still be what the documents say."""
    record = service_record()
    publish(session, "service", [record])
    service = session.get(Service, record["id"])
    assert service is not None
    service.name = "Roundhay Park nordic walking"
    [document] = documents_for(session, [record["id"]])
    assert document.name == "Roundhay Park nordic walking"
    assert "nordic" in document.name_text.split()


def test_a_service_that_is_gone_has_no_documents(session: Session) -> None:
    assert documents_for(session, [new_id()]) == []


def test_every_demo_service_has_its_documents(session: Session) -> None:
    everything = list(all_documents(session, batch=50))
    assert len(everything) == expected_documents(session)
    assert len({d.id for d in everything}) == len(everything)
    services = set(session.scalars(select(Service.id)))
    assert {d.service_id for d in everything} == services
    befriending = next(d for d in everything if d.name == "Armley befriending scheme")
    assert "loneli" in befriending.body_text.split()  # from the parent term "Loneliness and social isolation"
