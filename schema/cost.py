"""A static cost estimate of the operation about to run, checked against the caller's budget.

The model counts the objects a response may hold, before anything runs:
- a field that returns an object costs 1, plus what its selection costs;
- a list field costs, per item it may return, 1 plus its selection; a connection's `nodes` and
  `edges` may return `first` items (the default page size when `first` is absent or null),
  another list counts as ``LIST_ESTIMATE`` items;
- scalars cost nothing: they are columns of rows already loaded.

So ``sites(first: 100) { nodes { name commune { name } } }`` costs 1 + 100 × (1 + 1) = 201.
`first` given by a variable is read from the request's variables, so the estimate is exact
about page sizes whichever way the client writes them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from hub.limits import Limits
from hub.settings import Settings
from schema.limits import too_complex

# Items assumed for a list that is not paginated: the small relations of one object (a
# site's actors, an action's operators, its finances per year, phases, topics…).
LIST_ESTIMATE = 5
# Items of a connection, per page.
_PAGED = ("nodes", "edges")


class _Estimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        settings: Settings,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.settings = settings
        # A fragment spread many times is costed once per page size: hostile documents that
        # spread fragments inside fragments cannot make the walk exponential.
        self.known: dict[tuple[str, int | None], int] = {}

    def selection(
        self, selections: SelectionSetNode | None, parent: GraphQLNamedType, page: int | None
    ) -> int:
        if selections is None:
            return 0
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, page)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, kind or parent, page)
            elif isinstance(node, FragmentSpreadNode):
                total += self.spread(node.name.value, page)
        return total

    def spread(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.known:
            self.known[key] = 0  # a cycle (refused by validation anyway) costs nothing more
            fragment = self.fragments.get(name)
            kind = fragment and self.schema.get_type(fragment.type_condition.name.value)
            if fragment is not None and isinstance(kind, GraphQLNamedType):
                self.known[key] = self.selection(fragment.selection_set, kind, page)
        return self.known[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0  # introspection and __typename
        returned = get_named_type(definition.type)
        if is_leaf_type(returned):
            return 0
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            items = self.list_size(node, page)
        else:
            items = 1
        below = self.page_size(node) if "first" in definition.args else None
        return items * (1 + self.selection(node.selection_set, returned, below))

    def list_size(self, node: FieldNode, page: int | None) -> int:
        if page is not None and node.name.value in _PAGED:
            return page
        if node.name.value == "_entities":  # a router sends many representations at once
            for argument in node.arguments or ():
                value = argument.value
                if isinstance(value, VariableNode):
                    given = self.variables.get(value.name.value)
                    return len(given) if isinstance(given, list) else LIST_ESTIMATE
                if isinstance(value, ListValueNode):
                    return len(value.values)
        return LIST_ESTIMATE

    def page_size(self, node: FieldNode) -> int:
        value: Any = None
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
        if not isinstance(value, int):
            return self.settings.default_page_size
        # Larger pages are refused when the field runs; do not blow the estimate up for them.
        return max(0, min(value, self.settings.max_page_size))


def estimate(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    settings: Settings,
) -> int:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0  # no such operation: execution reports it
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Estimate(schema, fragments, variables or {}, settings)
    return walk.selection(operation.selection_set, root, None)


class CostBudget(SchemaExtension):
    """Refuses, before it runs, an operation whose estimated cost exceeds the caller's budget."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        if document is None or execution.result is not None:
            yield
            return
        context = execution.context
        schema = execution.schema._schema
        variables = execution.variables
        cost = estimate(schema, document, execution.operation_name, variables, context.settings)
        budget = self.limits.cost_budget(context.principal.role)
        if cost > budget:
            message = (
                f"This operation may cost {cost}, over your budget of {budget}: "
                "ask for smaller pages (`first`) or fewer nested lists."
            )
            error = too_complex("cost", budget, message, cost=cost)
            execution.result = ExecutionResult(data=None, errors=[error])
        yield
