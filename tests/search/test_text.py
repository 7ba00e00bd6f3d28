"""The shared analyser: what a link worker types finds what a service says, in other words too."""

from __future__ import annotations

from app.search.text import MAX_GROUPS, analyse, parse_query, synonyms


def matches(query: str, text: str) -> bool:
    """The contract's text rule, as every backend applies it to the analysed tokens."""
    tokens = set(analyse(text))
    return all(any(set(alternative) <= tokens for alternative in group) for group in parse_query(query))


def test_lonely_finds_a_befriending_service() -> None:
    assert matches("lonely", "Volunteers visit for a cup of tea and a chat: our befriending scheme.")
    assert matches("lonely", "For people feeling socially isolated")
    assert matches("loneliness", "A coffee morning at the church hall")


def test_stemming_lets_walks_find_walking() -> None:
    assert matches("walks", "Walking group for beginners")
    assert matches("walking", "Gentle walks around the park")
    assert analyse("Walks") == analyse("walking") == ["walk"]


def test_synonyms_link_everyday_words_to_what_services_say() -> None:
    assert matches("debt", "Free money advice from trained advisers")
    assert matches("allotment", "Community gardening on Tuesdays")
    assert matches("depression", "Mental health peer group")
    assert matches("food bank", "Emergency food parcels")
    assert not matches("debt", "Walking group for beginners")


def test_phrases_in_the_synonyms_list_are_one_need() -> None:
    query = parse_query("money advice")
    assert len(query) == 1
    assert ("debt",) in query[0]
    assert len(parse_query("mental health")) == 1
    assert matches("mental health", "NHS talking therapies for adults")


def test_words_that_carry_no_need_are_dropped() -> None:
    assert parse_query("help with debt near me") == parse_query("debt")
    assert parse_query("local support services") == ()


def test_every_word_must_match() -> None:
    assert matches("walking dementia", "A walking group for people living with dementia")
    assert not matches("walking dementia", "A walking group for new mums")


def test_html_accents_and_apostrophes_are_normalised() -> None:
    assert analyse("<p>Caf&eacute; <b>Crème</b></p>") == ["cafe", "creme"]
    assert analyse("Children's centre") == analyse("childrens centre")
    assert analyse("Łódź") == ["lodz"]


def test_queries_are_bounded() -> None:
    many = " ".join(f"word{n}" for n in range(30))
    assert len(parse_query(many)) == MAX_GROUPS
    assert parse_query("walking walking walks") == parse_query("walking")
    assert parse_query("") == () and parse_query(None) == ()


def test_the_synonyms_list_covers_social_prescribing_needs() -> None:
    table = synonyms()
    assert len(table.alternatives) >= 40
    for need in ("carers", "bereavement", "domestic abuse", "digital skills", "older people", "young people",
                 "housing", "homeless", "alcohol", "drugs", "employment", "art", "dementia", "walking"):
        assert tuple(analyse(need)) in table.lines_of, need
