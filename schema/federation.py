"""Federation: the hub is an Apollo Federation 2 subgraph (``HubSchema`` in ``build.py``).

Sites, actions, organizations, users and the territory types carry ``@key(fields: "id")``
(their global ID); ``_entities`` resolves them like ``node``, through the request's
DataLoaders and within the caller's scope, so a gateway asking for many representations
costs one statement per type and never reveals what the caller may not read.

With ``HUB_FEDERATION_SECRET`` set, ``_entities`` and ``_service`` answer only requests that
carry that secret in the ``X-Hub-Router-Secret`` header: the deployment's router.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from permissions.gates import Forbidden

ROUTER_HEADER = "x-hub-router-secret"
FEDERATION_FIELDS = frozenset({"_entities", "_service"})


class RouterOnly(SchemaExtension):
    def on_execute(self) -> Iterator[None]:  # type: ignore[override]
        execution = self.execution_context
        context = execution.context
        secret = context.settings.federation_secret
        if secret and FEDERATION_FIELDS & set(_root_fields(execution)):
            given = context.request.headers.get(ROUTER_HEADER, "") if context.request else ""
            if not hmac.compare_digest(given.encode(), secret.encode()):
                error = Forbidden("`_entities` and `_service` answer the federation router only.")
                execution.result = ExecutionResult(data=None, errors=[error])
        yield


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
            yield from _fields(definition.selection_set, fragments)


def _fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[str]:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from _fields(fragments[selection.name.value].selection_set, fragments)
