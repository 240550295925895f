"""The functions reading an object's inline selection: each value as its field's type says,
or None (the object then gets a level of its own, where graphql-core's completion gives the
error). The database never holds a null where the schema promises a value, so the
differential test (``test_compiled_reads.py``) reaches only the coercion's refusals; the
other ways out are checked here on plain objects."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from graphql import GraphQLFloat, GraphQLInt, GraphQLString
from strawberry.relay import to_base64

from schema.execution.readers import Inline, compile_reader


def _leaf(key: str, attribute: str, kind: Any, plain: type | None, nullable: bool) -> Inline:
    return Inline(key, None, attribute, None, plain, kind.coerce_output_value, nullable)


READ = compile_reader(
    (
        Inline("__typename", "Commune", "", None, None, None, False),
        Inline("id", None, "code", "Commune", str, None, False),
        _leaf("name", "name", GraphQLString, str, False),
        _leaf("people", "population", GraphQLInt, int, True),
        _leaf("lat", "latitude", GraphQLFloat, None, True),
        _leaf("kind", "class", GraphQLString, str, True),  # a Python keyword
    )
)


def _commune(**changed: Any) -> SimpleNamespace:
    values = {"code": "31555", "name": "Toulouse", "population": 504078, "latitude": 43.6}
    commune = SimpleNamespace(**(values | changed))
    setattr(commune, "class", changed.get("class", "COM"))  # a Python keyword
    return commune


def test_values_as_their_types_say_in_the_selections_order() -> None:
    assert READ(_commune()) == {
        "__typename": "Commune",
        "id": to_base64("Commune", "31555"),
        "name": "Toulouse",
        "people": 504078,
        "lat": 43.6,
        "kind": "COM",
    }
    assert list(READ(_commune()) or {}) == ["__typename", "id", "name", "people", "lat", "kind"]


def test_null_where_the_type_allows_it() -> None:
    read = READ(_commune(population=None, latitude=None))
    assert read is not None and read["people"] is None and read["lat"] is None


def test_no_result_where_the_object_needs_its_own_level() -> None:
    assert READ(_commune(name=None)) is None  # null in a non-null field
    assert READ(_commune(population=2**31)) is None  # beyond GraphQL's 32-bit Int
    assert READ(_commune(latitude=float("inf"))) is None  # refused by the coercion
    missing = _commune()
    del missing.name
    assert READ(missing) is None  # an attribute that raises


def test_a_value_of_another_type_is_coerced() -> None:
    read = READ(_commune(population=12.0, name=7))
    assert read is not None and read["people"] == 12 and read["name"] == "7"
