"""The demo's ungated texts never restate gated facts.

Comments (unless targeted), site names, closing contexts and action texts are read by
everyone who may read the site or action. Legal procedures, owners and finances are read
with their own capabilities, the address with the exact location: none of them may show
through those texts, neither in the vocabulary the demo draws from nor in a seeded data set.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from hub.demo import names
from hub.models import Action, Comment, Site

# Matched against lower-case text without accents.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "legal procedures": (
        r"expuls", r"evacu", r"procedure", r"plainte", r"audience", r"tribunal", r"\bjuge",
        r"justice", r"huissier", r"arrete", r"ordonnance", r"refere", r"force publique",
        r"police", r"signifi", r"contentieux", r"assignation", r"insalubrite",
    ),
    "owners": (r"proprietaire", r"parcelle", r"cadastr", r"\bsci\b", r"foncier"),
    "finances": (
        r"financ", r"subvention", r"budget", r"credit", r"€", r"\beuros?\b", r"montant",
        r"\bbop\b", r"\bfse\b", r"feder", r"enveloppe", r"depense", r"mecenat",
    ),
}  # fmt: skip
PATTERNS = [(topic, re.compile(p)) for topic, group in FORBIDDEN.items() for p in group]


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def gated_mentions(texts: Iterable[str | None]) -> list[tuple[str, str]]:
    """(topic, text) for each text mentioning a gated topic."""
    return [
        (topic, text)
        for text in texts
        if text
        for topic, pattern in PATTERNS
        if pattern.search(_plain(text))
    ]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)


UNGATED_VOCABULARY = {
    "SITE_COMMENTS": names.SITE_COMMENTS,
    "ACTION_COMMENTS": names.ACTION_COMMENTS,
    "CLOSING_CONTEXTS": names.CLOSING_CONTEXTS,
    "LAND_NAME_PATTERNS": names.LAND_NAME_PATTERNS,
    "BUILDING_NAME_PATTERNS": names.BUILDING_NAME_PATTERNS,
    "UNKNOWN_NAME_PATTERNS": names.UNKNOWN_NAME_PATTERNS,
    "LAND_PLACES": names.LAND_PLACES,
    "BUILDING_PLACES": names.BUILDING_PLACES,
    "ACTION_NAMES": names.ACTION_NAMES,
    "ACTION_GOALS": names.ACTION_GOALS,
}


@pytest.mark.parametrize("name", sorted(UNGATED_VOCABULARY))
def test_the_vocabulary_of_ungated_texts_has_no_gated_fact(name: str) -> None:
    assert gated_mentions(_strings(UNGATED_VOCABULARY[name])) == []


def test_the_patterns_catch_what_they_are_for() -> None:
    caught = gated_mentions([
        "Ordonnance d'expulsion signifiée aux occupants, délai de 8 jours.",
        "Le propriétaire a déposé plainte, audience prévue dans 12 jours.",
        "Subvention de 20 000 € versée par le département.",
    ])  # fmt: skip
    assert {topic for topic, _ in caught} == set(FORBIDDEN)


async def test_no_seeded_text_mentions_legal_procedures_owners_or_finances(
    own_database: Any,
) -> None:
    comments = await Comment.all().values_list("body", "tags")
    assert comments
    texts: list[str | None] = [body for body, _ in comments]
    texts += [tag for _, tags in comments for tag in tags]
    for name, context in await Site.all().values_list("name", "closing_context"):
        texts += [name, context]
    for name, goals in await Action.all().values_list("name", "goals"):
        texts += [name, goals]
    assert gated_mentions(texts) == []


async def test_no_site_name_repeats_its_address(own_database: Any) -> None:
    for name, address in await Site.all().values_list("name", "address"):
        street = re.sub(r"^\d+ ", "", address.split(",")[0])
        assert street.lower() not in (name or "").lower(), (name, address)
