"""Query limits, checked before anything runs: tokens (while parsing), then depth, aliases,
root fields and directives per field (while validating; they depend on the document only, so
the validation cache keeps their verdicts). The cost budget is in ``schema.cost``.

Each refusal is a clear error with ``extensions: {code: "QUERY_TOO_COMPLEX", limit, maximum}``.

Input sizes are bounded the same way, whatever the argument: a string or a list given as
input, in the document or in variables, longer than its bound is refused with
``extensions: {code: "BAD_USER_INPUT", limit: "stringLength" | "listLength", maximum}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    parse,
)
from strawberry.extensions import SchemaExtension

from hub.limits import Limits


def too_complex(
    limit: str, maximum: int, message: str, node: Any = None, **details: int
) -> GraphQLError:
    extensions = {"code": "QUERY_TOO_COMPLEX", "limit": limit, "maximum": maximum, **details}
    return GraphQLError(message, node, extensions=extensions)


def _too_long(maximum: int, node: Any = None) -> GraphQLError:
    message = f"Strings given as input are limited to {maximum} characters."
    extensions = {"code": "BAD_USER_INPUT", "limit": "stringLength", "maximum": maximum}
    return GraphQLError(message, node, extensions=extensions)


def _too_many(maximum: int, node: Any = None, variable: str | None = None) -> GraphQLError:
    where = f" (in ${variable})" if variable else ""
    message = f"Lists given as input are limited to {maximum} entries{where}."
    extensions = {"code": "BAD_USER_INPUT", "limit": "listLength", "maximum": maximum}
    return GraphQLError(message, node, extensions=extensions)


@dataclass
class _Sizes:
    longest_string: int = 0
    longest_list: int = 0


def _sizes(value: object) -> _Sizes:
    """The longest string and the longest list anywhere in a variable's JSON value."""
    sizes, pending = _Sizes(), [value]
    while pending:  # not recursive: variables may nest as deep as JSON allows
        item = pending.pop()
        if isinstance(item, str):
            sizes.longest_string = max(sizes.longest_string, len(item))
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            sizes.longest_list = max(sizes.longest_list, len(item))
            pending.extend(item)
    return sizes


def _oversized(variables: Mapping[str, object], limits: Limits) -> GraphQLError | None:
    for name, value in variables.items():
        sizes = _sizes(value)
        if sizes.longest_string > limits.string_length:
            return _too_long(limits.string_length)
        if sizes.longest_list > limits.list_length:
            return _too_many(limits.list_length, variable=name)
    return None


class VariableSizes(SchemaExtension):
    """The string and list bounds of ``Limits`` for variables, which document validation does
    not see. Every list counts, whatever the argument or input field it is given to."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.result is None:
            error = _oversized(execution.variables or {}, self.limits)
            if error is not None:
                execution.result = ExecutionResult(data=None, errors=[error])
        yield


# Parsing a document costs more than many queries: each is parsed once (per token limit).
_parse = lru_cache(maxsize=256)(parse)


class ParseWithinLimits(SchemaExtension):
    """Parses once per document, stopping after ``limits.tokens`` tokens so that a huge document
    costs little. Parse errors are raised from here, before the operation's other extensions
    see a result, so they carry their code from here too."""

    # graphql-core's own wording when it stops; it raises a plain syntax error.
    _STOPPED = "Syntax Error: Document contains more than"

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        maximum = self.limits.tokens
        try:
            execution.graphql_document = _parse(execution.query, max_tokens=maximum)
        except GraphQLSyntaxError as error:
            if error.message.startswith(self._STOPPED):
                message = f"At most {maximum} tokens per document."
                raise too_complex("tokens", maximum, message) from None
            error.extensions = {"code": "GRAPHQL_PARSE_FAILED"}
            raise
        yield


def limit_rules(limits: Limits) -> list[type[ASTValidationRule]]:
    class QueryLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.aliases = 0
            self.depths: dict[str, int] = {}
            self.fragments = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            roots = len(node.selection_set.selections)
            if roots > limits.root_fields:
                self.report_error(
                    too_complex(
                        "rootFields",
                        limits.root_fields,
                        f"At most {limits.root_fields} root fields per operation, got {roots}.",
                        node,
                    )
                )
            depth = self._depth(node.selection_set, set())
            if depth > limits.depth:
                self.report_error(
                    too_complex(
                        "depth",
                        limits.depth,
                        f"Queries may nest {limits.depth} levels deep at most, got {depth}.",
                        node,
                    )
                )

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.aliases += 1
                if self.aliases == limits.aliases + 1:
                    self.report_error(
                        too_complex(
                            "aliases",
                            limits.aliases,
                            f"At most {limits.aliases} aliases per document.",
                            node,
                        )
                    )
            if len(node.directives or ()) > limits.directives_per_field:
                self.report_error(
                    too_complex(
                        "directivesPerField",
                        limits.directives_per_field,
                        f"At most {limits.directives_per_field} directives on a field.",
                        node,
                    )
                )

        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            if len(node.value) > limits.string_length:
                self.report_error(_too_long(limits.string_length, node))

        def enter_list_value(self, node: ListValueNode, *_: Any) -> None:
            # Lists appear in a document only as input (arguments, variables' defaults).
            if len(node.values) > limits.list_length:
                self.report_error(_too_many(limits.list_length, node))

        def _fragment_depth(self, name: str, seen: set[str]) -> int:
            # Known once per fragment: a fragment spread many times inside fragments spread
            # many times must not make the walk exponential.
            if name not in self.depths:
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    return 0  # unknown or cyclic: the standard rules report it
                self.depths[name] = self._depth(fragment.selection_set, seen | {name})
            return self.depths[name]

        def _depth(self, selections: SelectionSetNode | None, seen: set[str]) -> int:
            if selections is None:
                return 0
            deepest = 0
            for selection in selections.selections:
                if isinstance(selection, FieldNode):
                    below = 1 + self._depth(selection.selection_set, seen)
                elif isinstance(selection, InlineFragmentNode):
                    below = self._depth(selection.selection_set, seen)
                elif isinstance(selection, FragmentSpreadNode):
                    below = self._fragment_depth(selection.name.value, seen)
                else:
                    continue
                deepest = max(deepest, below)
                if deepest > limits.depth:
                    break  # enough to refuse; do not walk a hostile document further
            return deepest

    return [QueryLimits]
