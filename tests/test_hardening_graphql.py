"""GraphQL-level hardening: every list given as input is bounded before anything runs, long
lists build a few SQL conditions (no recursion), `_entities` answers coded errors for the
representations it cannot use, and in production `_service`/`_entities` need the router secret.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_composite_type,
    is_list_type,
    is_required_argument,
    is_required_input_field,
)
from strawberry.relay import to_base64

from hub.database import count_statements
from hub.limits import Limits
from hub.models import Commune, Site
from hub.server.app import create_app
from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Environment, Settings, SettingsError
from schema.build import build_schema
from tests.support import Hub, error_codes, graphql

SCHEMA: GraphQLSchema = build_schema()._schema
# A small bound, so that the documents sent over it stay far below the other limits.
SMALL = 3
# A value of each scalar the schema's inputs use.
SCALARS: dict[str, Any] = {
    "Int": 1, "Float": 1.5, "Boolean": True, "String": "x", "ID": "x", "Date": "2024-01-02",
    "DateTime": "2024-01-02T00:00:00+00:00", "Decimal": "1", "JSON": {},
    "_Any": {"__typename": "Site", "id": "x"},
}  # fmt: skip


# --- The places of the schema where a list is given as input, and a document reaching each.


@dataclass(frozen=True)
class Step:
    """A field of the selection path, with the type condition its parent needs for it."""

    parent: str
    field: str
    on: str | None = None


@dataclass(frozen=True)
class Place:
    """A list-typed argument (``chain`` empty), or a list-typed input field reached from an
    argument through the input fields of ``chain``."""

    owner: str
    field: str
    argument: str
    chain: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return ".".join((self.owner, f"{self.field}({self.argument})", *self.chain))

    @property
    def declared(self) -> str:
        """Where the schema declares this list: ``Type.field(argument)`` or ``Input.field``."""
        if not self.chain:
            return f"{self.owner}.{self.field}({self.argument})"
        owner: Any = SCHEMA.get_type(self.owner)
        kind: Any = owner.fields[self.field].args[self.argument].type
        for name in self.chain[:-1]:
            kind = get_named_type(kind).fields[name].type
        return f"{get_named_type(kind).name}.{self.chain[-1]}"


def routes() -> dict[str, tuple[str, list[Step]]]:
    """A shortest selection path from an operation's root to each output type."""
    found: dict[str, tuple[str, list[Step]]] = {}
    queue: deque[GraphQLNamedType] = deque()
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        found[root.name] = (operation, [])
        queue.append(root)
    while queue:
        parent = queue.popleft()
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        operation, steps = found[parent.name]
        for name, definition in parent.fields.items():
            target = get_named_type(definition.type)
            if not is_composite_type(target):
                continue
            kinds = [target]
            if is_abstract_type(target):
                kinds += SCHEMA.get_possible_types(target)  # type: ignore[arg-type]
            for kind in kinds:
                if kind.name not in found and not isinstance(kind, GraphQLEnumType):
                    on = None if kind is target else kind.name
                    found[kind.name] = (operation, [*steps, Step(parent.name, name, on)])
                    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
                        queue.append(kind)
    return found


def list_places() -> list[Place]:
    """Every list-typed argument and input field of the schema, each from one argument."""
    places: list[Place] = []
    seen_inputs: set[str] = set()
    for type_name in ROUTES:
        kind = SCHEMA.get_type(type_name)
        if not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, definition in kind.fields.items():
            for argument, spec in definition.args.items():
                if is_list_type(get_nullable_type(spec.type)):
                    places.append(Place(type_name, field_name, argument))
                # The list fields of the inputs this argument takes, each input type once.
                pending: deque[tuple[GraphQLInputType, tuple[str, ...]]] = deque([(spec.type, ())])
                while pending:
                    given, chain = pending.popleft()
                    named = get_named_type(given)
                    if not isinstance(named, GraphQLInputObjectType) or named.name in seen_inputs:
                        continue
                    seen_inputs.add(named.name)
                    for name, input_field in named.fields.items():
                        if is_list_type(get_nullable_type(input_field.type)):
                            places.append(Place(type_name, field_name, argument, (*chain, name)))
                        pending.append((input_field.type, (*chain, name)))
    return places


def sample(kind: GraphQLInputType) -> Any:
    """A valid value of an input type: one item for a list, required fields for an input."""
    nullable = get_nullable_type(kind)
    if is_list_type(nullable):
        return [sample(nullable.of_type)]  # type: ignore[union-attr]
    if isinstance(nullable, GraphQLEnumType):
        return next(iter(nullable.values))
    if isinstance(nullable, GraphQLInputObjectType):
        fields = nullable.fields.items()
        return {name: sample(spec.type) for name, spec in fields if is_required_input_field(spec)}
    return SCALARS[nullable.name]  # type: ignore[union-attr]


def with_items(kind: GraphQLInputType, chain: tuple[str, ...], entries: int) -> Any:
    """A valid value of ``kind`` whose list at the end of ``chain`` has ``entries`` items."""
    nullable = get_nullable_type(kind)
    if is_list_type(nullable):
        item = nullable.of_type  # type: ignore[union-attr]
        return [sample(item)] * entries if not chain else [with_items(item, chain, entries)]
    assert isinstance(nullable, GraphQLInputObjectType) and chain
    value = sample(nullable)
    value[chain[0]] = with_items(nullable.fields[chain[0]].type, chain[1:], entries)
    return value


def typed(fields: dict[str, Any], key: str) -> GraphQLInputType | None:
    return fields[key].type if key in fields else None  # untyped: inside a JSON value


def literal(value: Any, kind: GraphQLInputType | None) -> str:
    """``value`` written in a document, for an argument of type ``kind`` (None: untyped)."""
    nullable = get_nullable_type(kind) if kind is not None else None
    if isinstance(value, list):
        item = nullable.of_type if is_list_type(nullable) else nullable  # type: ignore[union-attr]
        return "[" + ", ".join(literal(entry, item) for entry in value) + "]"
    if isinstance(value, dict):
        fields = nullable.fields if isinstance(nullable, GraphQLInputObjectType) else {}
        pairs = [f"{key}: {literal(v, typed(fields, key))}" for key, v in value.items()]
        return "{" + ", ".join(pairs) + "}"
    if isinstance(nullable, GraphQLEnumType):
        return str(value)
    return json.dumps(value)


@dataclass
class Request:
    query: str
    variables: dict[str, Any]


def request_for(place: Place, entries: int, as_variables: bool) -> Request:
    """A valid operation giving ``entries`` items to the list at ``place``, by variables or
    in the document; every other required argument on the way has a valid value."""
    operation, steps = ROUTES[place.owner]
    declared: list[str] = []
    variables: dict[str, Any] = {}

    def arguments(definition: GraphQLField, target: str | None) -> str:
        written = []
        for name, spec in definition.args.items():
            if name == target:
                value = with_items(spec.type, place.chain, entries)
            elif is_required_argument(spec):
                value = sample(spec.type)
            else:
                continue
            if as_variables:
                variable = f"v{len(declared)}"
                declared.append(f"${variable}: {spec.type}")
                variables[variable] = value
                written.append(f"{name}: ${variable}")
            else:
                written.append(f"{name}: {literal(value, spec.type)}")
        return f"({', '.join(written)})" if written else ""

    def field_of(parent: str, name: str) -> GraphQLField:
        kind = SCHEMA.get_type(parent)
        assert isinstance(kind, GraphQLObjectType | GraphQLInterfaceType)
        return kind.fields[name]

    last = field_of(place.owner, place.field)
    selection = "{ __typename }" if is_composite_type(get_named_type(last.type)) else ""
    body = f"{place.field}{arguments(last, place.argument)} {selection}"
    for step in reversed(steps):
        inner = f"... on {step.on} {{ {body} }}" if step.on else body
        body = f"{step.field}{arguments(field_of(step.parent, step.field), None)} {{ {inner} }}"
    header = f"{operation} ({', '.join(declared)})" if declared else operation
    return Request(f"{header} {{ {body} }}", variables)


ROUTES = routes()
PLACES = list_places()


def declared_lists() -> set[str]:
    """Every list-typed argument and input field the schema declares, reachable or not."""
    found: set[str] = set()
    for name, kind in SCHEMA.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, definition in kind.fields.items():
                for argument, spec in definition.args.items():
                    if is_list_type(get_nullable_type(spec.type)):
                        found.add(f"{name}.{field_name}({argument})")
        elif isinstance(kind, GraphQLInputObjectType):
            for field_name, spec in kind.fields.items():
                if is_list_type(get_nullable_type(spec.type)):
                    found.add(f"{name}.{field_name}")
    return found


def test_every_list_input_of_the_schema_is_reached() -> None:
    # Each declared list once, each with a document that reaches it from a root field.
    assert sorted(place.declared for place in PLACES) == sorted(declared_lists())
    assert "SiteFilter.locations" in declared_lists() and len(PLACES) >= 30


# --- Requests over the bound are refused before anything runs; at the bound they are not.


@pytest.fixture(scope="module")
def small(own_database: Settings) -> Settings:
    return replace(own_database, limits=replace(Limits(), list_length=SMALL))


@pytest.fixture
async def bounded(small: Settings) -> AsyncIterator[Hub]:
    transport = httpx.ASGITransport(app=create_app(small, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield Hub(small, DevIssuer.load(small), http)


def list_length_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        error
        for error in body.get("errors", [])
        if (error.get("extensions") or {}).get("limit") == "listLength"
    ]


@pytest.mark.parametrize("as_variables", [True, False], ids=["variables", "literals"])
@pytest.mark.parametrize("place", PLACES, ids=[place.name for place in PLACES])
async def test_every_list_input_is_bounded_before_anything_runs(
    bounded: Hub, place: Place, as_variables: bool
) -> None:
    token = await bounded.token("national_admin")
    with count_statements() as identifying:
        await graphql(bounded.http, "{ __typename }", token=token)
    over = request_for(place, SMALL + 1, as_variables)
    with count_statements() as statements:
        body = await graphql(bounded.http, over.query, over.variables, token=token)
    assert body["data"] is None, (over, body)
    (error,) = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "limit": "listLength",
        "maximum": SMALL,
    }, (over, body)
    assert statements.statements == identifying.statements
    # At the bound the same operation is not refused for its length.
    within = request_for(place, SMALL, as_variables)
    body = await graphql(bounded.http, within.query, within.variables, token=token)
    assert not list_length_errors(body), (within, body)


async def test_lists_inside_json_values_are_bounded_too(bounded: Hub) -> None:
    # `_Any` takes any JSON: a representation hiding a long list is refused all the same.
    representation = {"__typename": "Site", "id": "x", "padding": list(range(SMALL + 1))}
    query = "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    body = await bounded.ask("national_admin", query, {"r": [representation]})
    assert [e["extensions"]["limit"] for e in body["errors"]] == ["listLength"]
    assert "$r" in body["errors"][0]["message"]


# --- The default bound: the maximum works on real data, in a few SQL conditions.


SITE_COUNT = "query ($f: SiteFilter) { sites(filter: $f) { totalCount } }"
ACTION_COUNT = "query ($f: ActionFilter) { actions(filter: $f) { totalCount } }"


async def inhabited_and_filler(entries: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Locations holding demo sites (a few, of each level), and communes of a département
    without any, so that ``entries`` locations in all answer like the inhabited ones alone."""
    site = await Site.filter(epci_code__isnull=False).order_by("id").first()
    other = await Site.exclude(departement_code=site.departement_code).order_by("id").first()
    assert site is not None and other is not None
    inhabited = [
        {"level": "COMMUNE", "code": site.commune_scope_code},
        {"level": "EPCI", "code": site.epci_code},
        {"level": "DEPARTEMENT", "code": other.departement_code},
        {"level": "REGION", "code": other.region_code},
    ]
    with_sites = set(await Site.all().distinct().values_list("departement_code", flat=True))
    codes = await Commune.exclude(departement_id__in=with_sites).order_by("code").limit(entries)
    filler = [{"level": "COMMUNE", "code": commune.code} for commune in codes]
    assert len(filler) == entries
    return inhabited, filler


async def test_the_maximum_number_of_locations_answers_like_the_few_that_matter(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    maximum = Limits().list_length
    inhabited, filler = await inhabited_and_filler(maximum - 4)
    # The inhabited ones spread among the others, every level mixed.
    locations = [*filler[:300], inhabited[0], *filler[300:600], *inhabited[1:], *filler[600:]]
    assert len(locations) == maximum
    for query, field in ((SITE_COUNT, "sites"), (ACTION_COUNT, "actions")):
        for who in (None, "national_admin"):  # anonymous callers were the ones reported
            few = await hub.ask(who, query, {"f": {"locations": inhabited}})
            many = await hub.ask(who, query, {"f": {"locations": locations}})
            assert "errors" not in many, many
            assert many["data"] == few["data"]
        assert few["data"][field]["totalCount"] > 0  # the administrator sees some
    # One more entry is refused, with the bound, before anything runs.
    over = await hub.ask(None, SITE_COUNT, {"f": {"locations": [*locations, inhabited[0]]}})
    assert error_codes(over) == ["BAD_USER_INPUT"]
    assert over["errors"][0]["extensions"]["maximum"] == maximum
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_value_repeated_up_to_the_maximum_is_one_condition(hub: Hub) -> None:
    maximum = Limits().list_length
    once = await hub.ask("national_admin", SITE_COUNT, {"f": {"origins": ["EU"]}})
    many = await hub.ask("national_admin", SITE_COUNT, {"f": {"origins": ["EU"] * maximum}})
    assert "errors" not in many, many
    assert many["data"] == once["data"]
    statuses = {"f": {"statuses": ["OPEN"] * maximum}}
    assert "errors" not in await hub.ask("national_admin", SITE_COUNT, statuses)


# --- `_entities`: a coded error for each representation it cannot use.


ENTITIES = """query ($r: [_Any!]!) { _entities(representations: $r) {
  __typename ... on Site { id name } } }"""


def bad_representations(site_id: str) -> Iterator[tuple[str, Any]]:
    yield "unknown type", {"__typename": "Spaceship", "id": site_id}
    yield "not an entity", {"__typename": "Query", "id": site_id}
    yield "no type", {"id": site_id}
    yield "non-string type", {"__typename": ["Site"], "id": site_id}
    yield "null type", {"__typename": None, "id": site_id}
    yield "no id", {"__typename": "Site"}
    yield "non-string id", {"__typename": "Site", "id": 12}
    yield "other fields", {"__typename": "Site", "id": site_id, "name": "x"}
    yield "a string", "Site"
    yield "a list", [{"__typename": "Site", "id": site_id}]


async def test_unusable_representations_are_coded_errors_at_their_index(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    site = await Site.all().order_by("id").first()
    assert site is not None
    site_id = to_base64("Site", site.id)
    cases = list(bad_representations(site_id))
    good = {"__typename": "Site", "id": site_id}
    for who in (None, "national_admin"):
        for label, representation in cases:
            body = await hub.ask(who, ENTITIES, {"r": [good, representation, good]})
            entities = body["data"]["_entities"]
            # The caller sees the site only when signed in; the bad one is null with its error.
            seen = {"__typename": "Site", "id": site_id, "name": site.name} if who else None
            assert entities == [seen, None, seen], (label, body)
            errors = [e for e in body["errors"] if e["path"] == ["_entities", 1]]
            assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], (label, body)
            assert "INTERNAL" not in error_codes(body), (label, body)
    # In the document as well as in variables.
    literal_query = '{ _entities(representations: [{id: "x"}]) { __typename } }'
    assert error_codes(await hub.ask(None, literal_query)) == ["BAD_USER_INPUT"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- Federation in production: the router secret, or nothing.


SERVICE = "{ _service { sdl } }"
ROUTER = {"X-Hub-Router-Secret": "router-s3cret"}


async def service(settings: Settings, headers: dict[str, str] | None = None) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        response = await http.post("/graphql", json={"query": SERVICE}, headers=headers or {})
    body: dict[str, Any] = response.json()
    return body


async def test_production_serves_federation_fields_to_the_router_only(settings: Settings) -> None:
    production = replace(settings, environment=Environment.PRODUCTION)
    # No secret: no one, whatever they send (introspection stays for administrators).
    assert error_codes(await service(production)) == ["FORBIDDEN"]
    assert error_codes(await service(production, ROUTER)) == ["FORBIDDEN"]
    routed = replace(production, federation_secret=ROUTER["X-Hub-Router-Secret"])
    assert error_codes(await service(routed)) == ["FORBIDDEN"]
    assert "@key" in (await service(routed, ROUTER))["data"]["_service"]["sdl"]
    # Turned off: not even the router.
    assert error_codes(await service(replace(routed, federation=False), ROUTER)) == ["FORBIDDEN"]
    # Outside production, without a secret, as before.
    assert "@key" in (await service(settings))["data"]["_service"]["sdl"]


def test_production_refuses_to_start_with_federation_on_and_no_secret() -> None:
    production = {"HUB_ENV": "production"}
    with pytest.raises(SettingsError, match="HUB_FEDERATION_SECRET"):
        Settings.from_environ({**production, "HUB_FEDERATION": "on"})
    with pytest.raises(SettingsError, match="HUB_FEDERATION"):
        Settings.from_environ({**production, "HUB_FEDERATION": "maybe"})
    # By default federation is on where it is safe: outside production, or with a secret.
    assert not Settings.from_environ(production).federation
    secret = {"HUB_FEDERATION_SECRET": "router-s3cret"}
    assert Settings.from_environ({**production, **secret}).federation
    assert not Settings.from_environ({**production, **secret, "HUB_FEDERATION": "off"}).federation
    assert Settings.from_environ({"HUB_ENV": "demo"}).federation
    assert not Settings.from_environ({"HUB_ENV": "demo", "HUB_FEDERATION": "off"}).federation


def test_the_list_bound_is_a_setting() -> None:
    assert Limits().list_length == 1_000
    assert Settings.from_environ({"HUB_MAX_LIST_LENGTH": "200"}).limits.list_length == 200
    with pytest.raises(SettingsError, match="HUB_MAX_LIST_LENGTH"):
        Settings.from_environ({"HUB_MAX_LIST_LENGTH": "0"})
