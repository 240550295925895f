"""Plans: for an operation, which fields each selection holds and how each is resolved.

A plan is built once per document (and per value of the variables its ``@skip``/``@include``
read), from the fields graphql-core itself collects, so fragments, aliases and directives mean
exactly what they mean to graphql-core. Each field gets its way to its values (``Kind``):
``__typename``; a plain attribute of the object (strawberry's default resolver); relay's global
ID; a batch form (``schema.execution.batched``); the resolver's function called directly; or,
for a field with arguments or another extension, strawberry's resolver called per object as
graphql-core would call it. A gated field (``@requires``) keeps its gate, decided per object.
Fields returning objects hold the plan of their sub-selection for every object type they can
return.
"""

from __future__ import annotations

import enum
import inspect
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from graphql.language import DirectiveNode, FieldNode, FragmentDefinitionNode, VariableNode
from strawberry import relay
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver
from tortoise.models import Model

from resolvers.columns import Columns
from schema.execution.batched import Many, batch_of
from schema.execution.readers import Inline, Reader, compile_reader
from schema.gates import Gate
from schema.projection import BY_KEY, Projection, read

# The strawberry field behind a GraphQL field (strawberry's back-reference).
_STRAWBERRY_FIELD = "strawberry-definition"
# Root fields this path leaves to graphql-core: introspection and federation's.
_NOT_PLANNED = frozenset({"__schema", "__type", "_service", "_entities"})


class Unplanned(Exception):
    """The operation holds something this path does not plan; graphql-core runs it.
    ``reason`` is one of ``REASONS``; the message says exactly what."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# Why graphql-core runs an operation (the metrics' labels): ``off`` is HUB_COMPILED_READS=off.
REASONS = ("mutation", "subscription", "introspection", "federation", "fragment arguments", "off")


class Kind(enum.Enum):
    TYPENAME = "typename"
    ATTRIBUTE = "attribute"  # strawberry's default resolver: the object's attribute
    CALL = "call"  # the field's own function, called directly (no arguments)
    GLOBAL_ID = "global_id"  # relay's id of a type keeping relay's way: its type and key
    BATCH = "batch"  # the field's batch form, called once per level
    RESOLVER = "resolver"  # strawberry's resolver, per object, as graphql-core calls it


@dataclass(eq=False)
class FieldPlan:
    key: str  # the response key: the alias, else the field's name
    parent: GraphQLObjectType
    definition: GraphQLField
    details: FieldDetailsList
    how: How
    # The plan of the sub-selection for each object type the field may return.
    selections: dict[str, SelectionPlan] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.nodes: list[FieldNode] = [details.node for details in self.details]
        self.name: str = self.nodes[0].name.value
        self.return_type: GraphQLOutputType = self.definition.type
        inner = get_nullable_type(self.return_type)
        # A scalar or enum field's coercion, for the common case of its completion.
        self.coerce: Callable[[Any], Any] | None = (
            leaf_coercion(inner) if is_leaf_type(inner) else None
        )
        # The Python type whose values a leaf field returns unchanged (str for a String…).
        self.plain: type | None = _PLAIN.get(inner.name) if is_leaf_type(inner) else None
        # The same for the items of a flat list of scalars or enums.
        self.item_coerce: Callable[[Any], Any] | None = None
        self.item_plain: type | None = None
        if isinstance(inner, GraphQLList):
            item = get_nullable_type(inner.of_type)
            if is_leaf_type(item):
                self.item_coerce = leaf_coercion(item)
                self.item_plain = _PLAIN.get(item.name)
        # Set by the planner for the common case of one object type or a list of them.
        self.objects: Objects | None = None


# Scalars whose coercion returns a value of this exact type as it is (an Int only within
# 32 bits, which the executor checks).
_PLAIN: dict[str, type] = {"String": str, "ID": str, "Boolean": bool, "Int": int}


def leaf_coercion(leaf: GraphQLOutputType) -> Callable[[Any], Any]:
    """The leaf type's output coercion; for strawberry's enums, a look-up of the member's
    name (strawberry searches the values in turn), the same answer."""
    general: Callable[[Any], Any] = leaf.coerce_output_value  # type: ignore[union-attr]
    if not isinstance(leaf, CustomGraphQLEnumType):
        return general
    members = leaf.wrapped_cls
    # By the member's identity (members are singletons): no hashing through Python code.
    names: dict[int, str] = {}
    for name, value in leaf.values.items():
        try:
            member: Any = members(value.value)
        except (ValueError, TypeError):
            return general
        names.setdefault(id(member), name)  # the first name of a value, as strawberry says

    def coerce(value: Any) -> Any:
        if type(value) is members:
            name = names.get(id(value))
            if name is not None:
                return name
        return general(value)

    return coerce


@dataclass(frozen=True)
class Objects:
    """A field of one object type (``in_list``: a list of them, not nested)."""

    plan: SelectionPlan
    in_list: bool
    nullable: bool
    nullable_items: bool
    item_type: GraphQLOutputType
    is_type_of: Callable[[Any, Any], Any] | None
    # The classes ``is_type_of`` accepted, when its answer depends on the class alone
    # (``by_class``, as ``schema.rows.rows_of`` says of its own): asked once per class.
    accepted: set[type] | None


@dataclass(frozen=True)
class How:
    """How a field gets its value for one object."""

    kind: Kind
    attribute: str = ""
    batch: Many | None = None
    call: Callable[[Any, Info[Any, Any]], Any] | None = None
    strawberry_field: StrawberryField | None = None
    # The field's gate (``@requires``): the compiled path decides it per object.
    gate: Gate | None = None


@dataclass(eq=False)
class SelectionPlan:
    type: GraphQLObjectType
    fields: list[FieldPlan]

    def __post_init__(self) -> None:
        inline = _inline(self)
        # How an object of this selection is completed inline, if it can be (``readers``).
        self.read: Reader | None = compile_reader(inline) if inline is not None else None
        # For an operation's root: the columns its selections read of the models that
        # loaders may read in part (``columns_read``).
        self.columns: Columns = {}


def _inline(plan: SelectionPlan) -> tuple[Inline, ...] | None:
    """The selection as inline reads, if every field of it is one: such objects (a commune's
    name, a site's population figures) need no level of their own."""
    inline = []
    for planned in plan.fields:
        how = planned.how
        nullable = not isinstance(planned.return_type, GraphQLNonNull)
        if how.kind is Kind.TYPENAME:
            inline.append(Inline(planned.key, plan.type.name, "", None, None, None, False))
        elif how.kind is Kind.GLOBAL_ID:
            name = plan.type.name
            inline.append(Inline(planned.key, None, how.attribute, name, str, None, False))
        elif how.kind is Kind.ATTRIBUTE and how.gate is None and planned.coerce is not None:
            plain, coerce = planned.plain, planned.coerce
            inline.append(Inline(planned.key, None, how.attribute, None, plain, coerce, nullable))
        else:
            return None
    return tuple(inline)


_TYPENAME = How(Kind.TYPENAME)
_GENERIC = How(Kind.RESOLVER)


def how(parent: GraphQLObjectType, definition: GraphQLField) -> How:
    """How the field is resolved: the cheapest way that is exactly what strawberry does."""
    strawberry_field: StrawberryField | None = definition.extensions.get(_STRAWBERRY_FIELD)
    if strawberry_field is None or definition.args:
        return _GENERIC
    global_id = _global_id(parent, strawberry_field)
    if global_id is not None:
        return global_id
    gates = [extension for extension in strawberry_field.extensions if isinstance(extension, Gate)]
    if len(gates) != len(strawberry_field.extensions):
        return _GENERIC  # another extension (relay's node…): strawberry runs it
    gate = gates[0] if gates else None
    resolver = strawberry_field.base_resolver
    if resolver is None:
        name = strawberry_field.python_name
        return How(Kind.ATTRIBUTE, attribute=name, strawberry_field=strawberry_field, gate=gate)
    many = batch_of(resolver.wrapped_func) if callable(resolver.wrapped_func) else None
    if many is not None:
        return How(Kind.BATCH, batch=many, strawberry_field=strawberry_field, gate=gate)
    return How(Kind.CALL, call=direct_call(resolver), strawberry_field=strawberry_field, gate=gate)


def _global_id(parent: GraphQLObjectType, field: StrawberryField) -> How | None:
    """relay's ``id`` on a type that resolves ids and type names as relay does: the
    global ID of the type's name and the key attribute (``relay.Node._id``)."""
    resolver = field.base_resolver
    if resolver is None or resolver.name != "_id" or field.extensions:
        return None
    definition = parent.extensions.get(_STRAWBERRY_FIELD)
    origin = getattr(definition, "origin", None)
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        return None
    node = relay.Node
    if (
        origin.resolve_id.__func__ is not node.resolve_id.__func__  # type: ignore[attr-defined]
        or origin.resolve_typename.__func__ is not node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    return How(Kind.GLOBAL_ID, attribute=origin.resolve_id_attr())


def direct_call(resolver: StrawberryResolver[Any]) -> Callable[[Any, Info[Any, Any]], Any]:
    """The resolver called with the object and the info it asks for, as strawberry calls it
    (``schema_converter.get_arguments``), without converting arguments it does not have."""
    by_self = resolver.self_parameter is not None
    sources = {
        parameter.name
        for parameter in (resolver.parent_parameter, resolver.root_parameter)
        if parameter is not None
    }
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    function: Any = resolver.wrapped_func
    positional = _positional(function, by_self, sources, info_name)
    if positional == ("source",):
        return lambda source, info: function(source)
    if positional == ("source", "info"):
        return lambda source, info: function(source, info)

    def call(source: Any, info: Info[Any, Any]) -> Any:
        kwargs = dict.fromkeys(sources, source)
        if info_name is not None:
            kwargs[info_name] = info
        # Through the resolver, which says so when its function is not callable.
        return resolver(source, **kwargs) if by_self else resolver(**kwargs)

    return call


def _positional(
    function: Any, by_self: bool, sources: set[str], info_name: str | None
) -> tuple[str, ...] | None:
    """What the function's parameters take, in order (``source`` or ``info``), when it may
    be called with them positionally: a call without a dict of keywords."""
    if not callable(function):
        return None
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    taken: list[str] = []
    for index, parameter in enumerate(parameters):
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            return None
        if (index == 0 and by_self) or parameter.name in sources:
            taken.append("source")
        elif parameter.name == info_name:
            taken.append("info")
        else:
            return None
    return tuple(taken)


class Planner:
    """Builds the plan of one operation for the values of its directives' variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDetails],
        variable_values: VariableValues,
        operation: OperationDefinitionNode,
        hide_suggestions: bool,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variable_values = variable_values
        self.operation = operation
        self.hide_suggestions = hide_suggestions

    def root(self, root_type: GraphQLObjectType, grouped: GroupedFieldSet) -> SelectionPlan:
        if self.operation.operation is not OperationType.QUERY:
            kind = self.operation.operation.value
            raise Unplanned(kind, f"a {kind}")
        for details in grouped.values():
            name = details[0].node.name.value
            if name in _NOT_PLANNED:
                reason = "introspection" if name.startswith("__") else "federation"
                raise Unplanned(reason, f"the root field {name}")
        root = self._selection(root_type, grouped)
        root.columns = columns_read(root)
        return root

    def _selection(self, object_type: GraphQLObjectType, grouped: GroupedFieldSet) -> SelectionPlan:
        fields = []
        for key, details in grouped.items():
            if any(detail.fragment_variable_values is not None for detail in details):
                raise Unplanned("fragment arguments", "fragment arguments")
            name = details[0].node.name.value
            if name == "__typename":
                definition = self.schema.get_field(object_type, name)
                assert definition is not None
                fields.append(FieldPlan(key, object_type, definition, details, _TYPENAME))
                continue
            definition = object_type.fields.get(name)
            if definition is None:
                # Validation lets no unknown field through; graphql-core would skip it.
                continue
            if definition.subscribe is not None:
                raise Unplanned("subscription", f"the subscription field {name}")
            planned = FieldPlan(key, object_type, definition, details, how(object_type, definition))
            named = get_named_type(definition.type)
            if is_abstract_type(named):
                possible = self.schema.get_possible_types(named)
            elif is_object_type(named):
                possible = [named]
            else:
                possible = []
            for object_type_there in possible:
                sub = collect_subfields(
                    self.schema,
                    self.fragments,
                    self.variable_values,
                    self.operation,
                    object_type_there,
                    details,
                    self.hide_suggestions,
                )
                planned.selections[object_type_there.name] = self._selection(
                    object_type_there, sub.grouped_field_set
                )
            planned.objects = _objects(planned)
            fields.append(planned)
        return SelectionPlan(object_type, fields)


def _objects(field: FieldPlan) -> Objects | None:
    """The shape of a field of one object type or a flat list of them, if it is one."""
    nullable = not isinstance(field.return_type, GraphQLNonNull)
    inner = get_nullable_type(field.return_type)
    in_list = isinstance(inner, GraphQLList)
    item_type: GraphQLOutputType = (
        inner.of_type if isinstance(inner, GraphQLList) else field.return_type
    )
    item = get_nullable_type(item_type)
    if not isinstance(item, GraphQLObjectType):
        return None
    return Objects(
        plan=field.selections[item.name],
        in_list=in_list,
        nullable=nullable,
        nullable_items=not isinstance(item_type, GraphQLNonNull),
        item_type=item_type,
        is_type_of=item.is_type_of,
        accepted=set() if _by_class(item.is_type_of) else None,
    )


def _by_class(is_type_of: Callable[[Any, Any], Any] | None) -> bool:
    function = getattr(is_type_of, "__func__", is_type_of)
    return bool(getattr(function, "by_class", False))


class _DirectiveVariables(Visitor):
    """The variables that ``@skip`` and ``@include`` read: they decide the plan's shape."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        if node.name.value in ("skip", "include"):
            for argument in node.arguments or ():
                if isinstance(argument.value, VariableNode):
                    self.names.add(argument.value.name.value)


def directive_variables(document: DocumentNode) -> frozenset[str]:
    visitor = _DirectiveVariables()
    visit(document, visitor)
    return frozenset(visitor.names)


def columns_read(root: SelectionPlan) -> Columns:
    """The columns the selections of ``root`` read of each model of a by-key projection
    (``schema.projection.BY_KEY``): the union over every selection of its type, with what
    the policy reads. A model some selection reads whole is left out (read whole)."""
    wanted: dict[type[Model], dict[str, None]] = {}
    whole: set[type[Model]] = set()
    pending = [root]
    while pending:
        selection = pending.pop()
        for planned in selection.fields:
            pending.extend(planned.selections.values())
        projection = BY_KEY.get(selection.type.name)
        if projection is None or projection.model in whole:
            continue
        columns = _columns_of(projection, selection)
        if columns is None:
            whole.add(projection.model)
            wanted.pop(projection.model, None)
        else:
            wanted.setdefault(projection.model, {}).update(dict.fromkeys(columns))
    return {model: tuple(columns) for model, columns in wanted.items()}


def _columns_of(projection: Projection, selection: SelectionPlan) -> list[str] | None:
    columns = list(projection.always)
    for planned in selection.fields:
        if planned.how.kind is Kind.TYPENAME:
            continue
        strawberry_field: StrawberryField | None = planned.definition.extensions.get(
            _STRAWBERRY_FIELD
        )
        if strawberry_field is None:
            return None

        def below(planned: FieldPlan = planned) -> list[str]:
            return [f.name for sub in planned.selections.values() for f in sub.fields]

        found = read(projection.reads_of(strawberry_field), below)
        if found is None:
            return None
        columns += found
    return columns


class Plans:
    """The plans of the most recent documents, by text, operation and directive values."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._plans: OrderedDict[Hashable, SelectionPlan] = OrderedDict()
        self._directive_variables: dict[str, frozenset[str]] = {}

    def key(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        coerced: dict[str, Any],
    ) -> Hashable | None:
        location = operation.loc
        if location is None:
            return None
        text = location.source.body
        names = self._directive_variables.get(text)
        if names is None:
            names = directive_variables(DocumentNode(definitions=(operation, *fragments.values())))
            if len(self._directive_variables) >= self.maxsize:
                self._directive_variables.clear()
            self._directive_variables[text] = names
        values = tuple(sorted((name, coerced.get(name)) for name in names))
        name = operation.name.value if operation.name else None
        return (text, name, location.start, values)

    def get(self, key: Hashable) -> SelectionPlan | None:
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
        return plan

    def put(self, key: Hashable, plan: SelectionPlan) -> None:
        self._plans[key] = plan
        if len(self._plans) > self.maxsize:
            self._plans.popitem(last=False)
