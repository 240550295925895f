"""Which GraphQL operation a request ran and which error codes it answered, for the access log
and the metrics: only GraphQL execution knows them, the middleware around it does not."""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from hub.server.observability.logs import current_request

# A GraphQL name of at most 64 characters; anything else a client sends as operationName is
# not logged nor used as a label as it is.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
ANONYMOUS = "anonymous"
OTHER = "other"


def operation_label(name: str | None) -> str:
    if name is None:
        return ANONYMOUS
    return name if _NAME.fullmatch(name) else OTHER


def error_code(error: GraphQLError) -> str:
    """The error's ``extensions.code`` (schema.safety gives every error one)."""
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else "UNCODED"


class RecordOperation(SchemaExtension):
    """Puts the operation's name, type, error codes and executor in the request's record.

    Listed first among the schema's extensions: its ``on_operation`` is left last, so it sees
    the errors as the client gets them (after masking).
    """

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        finally:
            record = current_request.get()
            if record is not None:
                execution = self.execution_context
                record.operation_name = operation_label(execution.operation_name)
                try:
                    record.operation_type = execution.operation_type.value
                except RuntimeError:  # not parsed, or several operations and none chosen
                    record.operation_type = None
                # Left on the context by the executor (schema.execution); None when the
                # operation did not run (a document refused before execution).
                record.execution = execution.context.execution
                result = execution.result
                errors = (result.errors if result is not None else None) or []
                record.error_codes += [error_code(error) for error in errors]
