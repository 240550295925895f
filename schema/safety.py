"""Guards of the GraphQL endpoint: masked unexpected errors, and in production, introspection
for administrators only and no "Did you mean …?" suggestions.

Errors raised on purpose (``HubError``: BAD_USER_INPUT, NOT_FOUND, FORBIDDEN…, and
graphql-core's validation errors) reach the client as they are. Any other exception is a
fault: the client gets an opaque message with an id, and the log gets the id with the
exception and its traceback — never the other way round. A database fault (``hub.faults``:
down, frozen, locked, read-only) is not a bug: it becomes SERVICE_UNAVAILABLE, logged at
WARNING with its id and without a traceback.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator

from graphql import ExecutionResult, FieldNode, GraphQLError, visit
from graphql.language import Visitor
from strawberry.extensions import MaskErrors, SchemaExtension

from hub.errors import Forbidden, HubError
from hub.faults import DatabaseUnavailable, database_fault, report
from permissions.principal import ADMIN_ROLES

log = logging.getLogger("hub.errors")


def _unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | HubError)


def _reworded(
    error: GraphQLError, message: str, extensions: dict[str, object] | None
) -> GraphQLError:
    """The same error (place, path) saying something else; without the exception behind it."""
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _coded(error: GraphQLError) -> GraphQLError:
    """Every error carries a code: graphql-core's own errors get the one that says what
    failed (validation, or a variable's value; parse errors get theirs when parsed)."""
    if error.extensions and "code" in error.extensions:
        return error
    if error.message.startswith("Variable '$"):
        code = "BAD_USER_INPUT"
    elif error.path is None:
        code = "GRAPHQL_VALIDATION_FAILED"
    else:
        code = "INTERNAL"  # e.g. a null where the schema promises a value: a fault of ours
    error.extensions = {**(error.extensions or {}), "code": code}
    return error


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=_unexpected)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [_coded(error) for error in super()._process_errors(errors)]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        fault = database_fault(error.original_error)
        if fault is not None:
            # Not a bug: the database is down, frozen, locked or read-only (hub.faults).
            unavailable = DatabaseUnavailable(report(fault, error.path))
            message, extensions = unavailable.message, unavailable.extensions
        else:
            error_id = uuid.uuid4().hex[:12]
            log.error(
                "Unexpected error %s at %s", error_id, error.path, exc_info=error.original_error
            )
            message = f"Internal error; quote {error_id} to the hub's operators."
            extensions = {"code": "INTERNAL", "errorId": error_id}
        return _reworded(error, message, extensions)


class _Introspection(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_: object) -> None:
        if node.name.value in ("__schema", "__type"):
            self.found = True


class IntrospectionForAdministrators(SchemaExtension):
    """In production, introspection answers administrators only (everyone reads
    ``schema.graphql`` anyway; the live schema is not a reconnaissance tool)."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if context.settings.introspection_for_all or document is None:
            yield
            return
        finder = _Introspection()
        visit(document, finder)
        if finder.found and context.principal.role not in ADMIN_ROLES:
            error = Forbidden("Introspection is for administrators in production.")
            execution.result = ExecutionResult(data=None, errors=[error])
        yield


# graphql-core appends its suggestions to the message: "… Did you mean 'name' or 'names'?"
_SUGGESTION = re.compile(r"\s*Did you mean .*\?$", re.DOTALL)


class NoSuggestionsInProduction(SchemaExtension):
    """Validation errors say what is wrong without naming the fields that exist: in
    production, suggestions would rebuild the schema that introspection keeps to admins."""

    def on_operation(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        result = execution.result
        if result is None or not result.errors or execution.context.settings.introspection_for_all:
            return
        result.errors = [_without_suggestion(error) for error in result.errors]


def _without_suggestion(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    # Validation errors, the only ones with suggestions, have no exception behind them.
    return _reworded(error, message, error.extensions)
