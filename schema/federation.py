"""Federation: the hub is an Apollo Federation 2 subgraph (``HubSchema`` in ``build.py``).

Sites, actions, organizations, users and the territory types carry ``@key(fields: "id")``
(their global ID); ``_entities`` resolves them like ``node``, through the request's
DataLoaders and within the caller's scope, so a gateway asking for many representations
costs one statement per type and never reveals what the caller may not read.

With ``HUB_FEDERATION_SECRET`` set, ``_entities`` and ``_service`` answer only requests that
carry that secret in the ``X-Hub-Router-Secret`` header: the deployment's router. In production
they need it: without a secret they answer no one (and ``HUB_FEDERATION=on`` without one is
refused at start), so that the whole schema is never served around admin-only introspection.
``HUB_FEDERATION=off`` turns them off everywhere.

A representation ``_entities`` cannot use (not an object, a ``__typename`` that names no entity
type, a missing or non-string ``id``, other fields) is a BAD_USER_INPUT error at its index.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Set
from functools import cached_property

import strawberry
from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLUnionType,
    OperationDefinitionNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.federation.schema import FederationAny
from strawberry.types import Info

from hub.errors import BadUserInput, Forbidden
from hub.settings import Environment
from resolvers.context import Context
from resolvers.selection import fields_in

ROUTER_HEADER = "x-hub-router-secret"
FEDERATION_FIELDS = frozenset({"_entities", "_service"})
# What a router sends of an entity: its type and its key.
_KEYED = {"__typename", "id"}
_ROUTER_ONLY = "`_entities` and `_service` answer the federation router only."


def _refusal(context: Context) -> str | None:
    """Why this request may not use `_entities` and `_service`, if it may not."""
    settings = context.settings
    if not settings.federation:
        return "Federation is off on this hub."
    secret = settings.federation_secret
    if secret is None:
        return _ROUTER_ONLY if settings.environment is Environment.PRODUCTION else None
    given = context.request.headers.get(ROUTER_HEADER, "") if context.request else ""
    return None if hmac.compare_digest(given.encode(), secret.encode()) else _ROUTER_ONLY


class RouterOnly(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        refusal = _refusal(execution.context)
        if refusal is not None and FEDERATION_FIELDS & set(_root_fields(execution)):
            execution.result = ExecutionResult(data=None, errors=[Forbidden(refusal)])
        yield


def representation_error(representation: object, entities: Set[str]) -> BadUserInput | None:
    """Why `_entities` cannot use a representation, if it cannot: a router sends objects with
    the `__typename` of an entity type and its key, `id`."""
    if not isinstance(representation, dict):
        return BadUserInput("A representation is an object with `__typename` and `id`.")
    type_name = representation.get("__typename")
    if not isinstance(type_name, str) or type_name not in entities:
        return BadUserInput("A representation's `__typename` must name an entity type.")
    if not isinstance(representation.get("id"), str) or set(representation) != _KEYED:
        return BadUserInput(f"A {type_name} representation has a string `id` and nothing else.")
    return None


class CheckedRepresentations(strawberry.federation.Schema):
    """``_entities`` answering a coded error for each representation it cannot use, where
    strawberry's resolver would fail on it (an unexpected error, INTERNAL)."""

    @cached_property
    def entity_types(self) -> frozenset[str]:
        union = self._schema.get_type("_Entity")
        assert isinstance(union, GraphQLUnionType)  # the schema has keyed types
        return frozenset(member.name for member in union.types)

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        resolve = super().entities_resolver
        return [
            # An entity failing its checks is answered by its error, in its place.
            representation_error(representation, self.entity_types)  # type: ignore[misc]
            or resolve(info, [representation])[0]
            for representation in representations
        ]


def _root_fields(execution: object) -> Iterator[str]:
    document = getattr(execution, "graphql_document", None)
    if document is None:
        return
    name = getattr(execution, "operation_name", None)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name and definition.name.value == name)
        ):
            yield from (
                field.name.value for field in fields_in([definition.selection_set], fragments)
            )
