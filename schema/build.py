"""Assembles the schema and prints its SDL."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from permissions.fields import check_decisions
from resolvers.audit.reads import AuditReads
from schema.errors import HubError
from schema.federation import RouterOnly
from schema.mutation import Mutation
from schema.query import Query
from schema.types.history import HistoryEntry
from schema.types.journal import Comment
from schema.types.territories import Commune, Departement, Epci, Nation, Region

# Types reachable only through interfaces must be named for the schema to know them.
_INTERFACE_ONLY_TYPES = [Nation, Region, Departement, Epci, Commune, Comment, HistoryEntry]


class HubSchema(strawberry.federation.Schema):
    """An Apollo Federation 2 subgraph: ``_service`` and ``_entities`` beside ``Query``."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Errors raised on purpose (FORBIDDEN, NOT_FOUND, bad input…) are answers, not
        # faults: logging each with its traceback would flood the log and cost time.
        unexpected = [e for e in errors if not isinstance(e.original_error, HubError)]
        unexpected = [e for e in unexpected if not isinstance(e, HubError)]
        super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    """The schema; refuses to build if a field has no permission decision (default deny)."""
    # Parsing and validating a document costs more than many queries: do it once per document.
    schema = HubSchema(
        query=Query,
        mutation=Mutation,
        types=_INTERFACE_ONLY_TYPES,
        extensions=[
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            AuditReads,
            RouterOnly,
        ],
    )
    check_decisions(schema)
    return schema


def print_sdl(schema: strawberry.Schema | None = None) -> str:
    return (schema or build_schema()).as_str() + "\n"
