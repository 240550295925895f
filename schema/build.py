"""Assembles the schema and prints its SDL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from hub.limits import Limits
from resolvers.audit.reads import AuditReads
from resolvers.context import Context
from schema.cost import CostBudget
from schema.execution.executor import executor_class
from schema.federation import CheckedRepresentations, RouterOnly
from schema.field_decisions import check_decisions
from schema.limits import ParseWithinLimits, VariableSizes, limit_rules
from schema.mutation import Mutation
from schema.query import Query
from schema.safety import (
    IntrospectionForAdministrators,
    MaskUnexpectedErrors,
    NoSuggestionsInProduction,
)
from schema.scalars import SCALARS
from schema.subscription import Subscription
from schema.types.history import HistoryEntry
from schema.types.journal import Comment
from schema.types.territories import Commune, Departement, Epci, Nation, Region

# Types reachable only through interfaces must be named for the schema to know them.
_INTERFACE_ONLY_TYPES = [Nation, Region, Departement, Epci, Commune, Comment, HistoryEntry]


class HubSchema(CheckedRepresentations):
    """An Apollo Federation 2 subgraph: ``_service`` and ``_entities`` beside ``Query``."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Errors raised on purpose (FORBIDDEN, NOT_FOUND, bad input…) are answers, not
        # faults; faults are logged with their id by MaskUnexpectedErrors.
        return


class ReleaseLoaders(SchemaExtension):
    """Releases the request's loaders once its operation has run (``Loaders.release``)."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            context.loaders.release()


def build_schema(
    limits: Limits | None = None,
    observers: Sequence[Callable[[], SchemaExtension]] = (),
    compiled: bool = True,
) -> strawberry.Schema:
    """The schema; refuses to build if a field has no permission decision (default deny).

    ``observers`` are the server's extensions (the access log's record of the operation,
    the read replica's routing), as classes or factories: listed first, they see the errors
    last, as the client gets them. ``compiled``: queries
    run through their plan (``schema.execution``), else through graphql-core.
    """
    limits = limits or Limits()
    # Built once: the validation cache knows a document's verdict by the rules' identity.
    rules = limit_rules(limits)
    # Validating a document costs more than many queries: do it once per document.
    schema = HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=_INTERFACE_ONLY_TYPES,
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=executor_class(compiled),
        extensions=[
            *observers,
            lambda: ParseWithinLimits(limits),
            lambda: ValidationCache(maxsize=256),
            lambda: AddValidationRules(rules),
            lambda: VariableSizes(limits),
            lambda: CostBudget(limits),
            AuditReads,
            ReleaseLoaders,
            RouterOnly,
            IntrospectionForAdministrators,
            NoSuggestionsInProduction,
            MaskUnexpectedErrors,
        ],
    )
    check_decisions(schema)
    return schema


def print_sdl(schema: strawberry.Schema | None = None) -> str:
    return (schema or build_schema()).as_str() + "\n"
