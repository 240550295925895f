"""Runs a plan level by level: each field of a selection for every object of the level at once.

A level is the objects one selection applies to (the 500 sites of a page, then all their
communes, then all their actions…). For each field of the selection: attributes are read in a
loop; a batch form is called once with every object; other resolvers are called per object
with one resolve info shared by the level. The fields' asynchronous work is awaited together,
then the values are completed (leaves coerced, objects gathered for the next level), and the
next levels of every field run together, so the request's DataLoaders batch them as they
batch graphql-core's resolvers. Errors are located and nulls propagate exactly as graphql-core
does it: to the nearest nullable position, dropping errors below a position already nulled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import TYPE_CHECKING, Any, cast

from graphql import (
    GraphQLAbstractType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_leaf_type,
    located_error,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, inspect, is_iterable
from strawberry.relay import to_base64
from strawberry.types import Info

from resolvers.columns import reading
from resolvers.decisions import decide_each
from schema.execution.batched import Many
from schema.execution.plan import FieldPlan, Kind, SelectionPlan
from schema.execution.readers import MAX_INT, MIN_INT
from schema.gates import Gate

Values = list[Any] | Awaitable[list[Any]]

if TYPE_CHECKING:
    from graphql.execution import Executor


class Position:
    """Where a value stands in the response: nulling it, or its nearest nullable holder,
    is how a field error propagates."""

    __slots__ = ("holder", "key", "nullable", "path", "up")

    def __init__(
        self,
        holder: dict[str, Any] | list[Any] | None,
        key: str | int | None,
        nullable: bool,
        up: Position | None,
        path: Path | None,
    ) -> None:
        self.holder = holder
        self.key = key
        self.nullable = nullable
        self.up = up
        self.path = path


class Slot(Position):
    """An object to complete: its source and its (growing) result, where it stands."""

    __slots__ = ("result", "source")

    def __init__(
        self,
        source: Any,
        result: dict[str, Any],
        holder: dict[str, Any] | list[Any] | None,
        key: str | int | None,
        nullable: bool,
        up: Position | None,
    ) -> None:
        # Position's fields set here, not through its __init__: thousands are made a request.
        self.holder = holder
        self.key = key
        self.nullable = nullable
        self.up = up
        self.path = None
        self.source = source
        self.result = result


Pending = dict[tuple[int, str], tuple[SelectionPlan, list[Slot]]]


class Run:
    """One execution of a plan for one request."""

    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor
        self.context = executor.context_value
        self.data: dict[str, Any] | None = {}
        self._infos: dict[int, GraphQLResolveInfo] = {}
        # The positions an error nulled (their objects are out of the response).
        self._nulled: set[int] = set()
        resolver = executor.middleware_manager
        self._wrap: Callable[[Any], Any] | None = (
            resolver.get_field_resolver if resolver is not None else None
        )

    async def execute(self, plan: SelectionPlan, root_value: Any) -> dict[str, Any] | None:
        assert self.data is not None
        with reading(plan.columns):
            await self._level(plan, [Slot(root_value, self.data, None, None, True, None)])
        return self.data

    async def _level(self, plan: SelectionPlan, slots: list[Slot]) -> None:
        rest = self._start(plan, slots)
        if rest is not None:
            await rest

    def _start(self, plan: SelectionPlan, slots: list[Slot]) -> Awaitable[Any] | None:
        """Runs the level as far as it goes without waiting: what remains to await, if
        anything. A level whose fields (and those of the levels below) all have their
        values at once is run to its end here, without a task of its own."""
        if self.data is None:
            return None
        if self._nulled:
            # What an error took out of the response is not resolved further (nor audited),
            # as graphql-core stops resolving below a field whose error nulls its parent.
            slots = [slot for slot in slots if self._attached(slot)]
        if not slots:
            return None
        for slot in slots:
            result = slot.result
            for field in plan.fields:
                result[field.key] = None
        waiting: list[Awaitable[list[Any]]] = []
        fields: list[FieldPlan] = []
        computed: list[tuple[FieldPlan, list[Any]]] = []
        for field in plan.fields:
            values = self._values(field, slots)
            if isinstance(values, list):
                computed.append((field, values))
            else:
                fields.append(field)
                waiting.append(values)
        if waiting:
            return self._finish(plan, slots, computed, fields, waiting)
        return self._completed(plan, slots, computed)

    async def _finish(
        self,
        plan: SelectionPlan,
        slots: list[Slot],
        computed: list[tuple[FieldPlan, list[Any]]],
        fields: list[FieldPlan],
        waiting: list[Awaitable[list[Any]]],
    ) -> None:
        if len(waiting) == 1:
            computed.append((fields[0], await waiting[0]))
        else:
            computed += zip(fields, await asyncio.gather(*waiting), strict=True)
        rest = self._completed(plan, slots, computed)
        if rest is not None:
            await rest

    def _completed(
        self, plan: SelectionPlan, slots: list[Slot], computed: list[tuple[FieldPlan, list[Any]]]
    ) -> Awaitable[Any] | None:
        """Completes the level's values, then starts the next levels of every field: those
        that wait are awaited together (what is returned)."""
        if len(computed) > 1:
            # Complete in the selection's order, whatever order the values came in.
            order = {id(field): index for index, field in enumerate(plan.fields)}
            computed.sort(key=lambda pair: order[id(pair[0])])
        pending: Pending = {}
        for field, values in computed:
            if field.coerce is not None:
                self._complete_leaves(field, slots, values, pending)
                continue
            if field.objects is not None:
                self._complete_objects(field, slots, values, pending)
                continue
            if field.item_coerce is not None:
                self._complete_leaf_lists(field, slots, values, pending)
                continue
            for slot, value in zip(slots, values, strict=True):
                self._complete_field(field, slot, value, pending)
        waiting: list[Awaitable[Any]] = []
        for sub, more in pending.values():
            rest = self._start(sub, more)
            if rest is not None:
                waiting.append(rest)
        if not waiting:
            return None
        if len(waiting) == 1:
            return waiting[0]
        return asyncio.gather(*waiting)

    # -- values ---------------------------------------------------------------------------

    def _values(self, field: FieldPlan, slots: list[Slot]) -> Values:
        """The field's value (or the exception it raised) for each slot."""
        how = field.how
        if how.kind is Kind.TYPENAME:
            return [field.parent.name] * len(slots)
        if how.kind is Kind.RESOLVER:
            return self._resolved(field, slots)
        if how.gate is None:
            return self._computed(field, slots)
        return self._gated(field, slots, how.gate)

    def _computed(self, field: FieldPlan, slots: list[Slot]) -> Values:
        how = field.how
        if how.kind is Kind.ATTRIBUTE:
            name = how.attribute
            try:
                return [getattr(slot.source, name) for slot in slots]
            except Exception:
                return [_attribute(slot.source, name) for slot in slots]
        if how.kind is Kind.GLOBAL_ID:
            type_name, name = field.parent.name, how.attribute
            try:
                return [to_base64(type_name, str(getattr(slot.source, name))) for slot in slots]
            except Exception:  # each object gets its own error below
                return [_global_id(type_name, slot.source, name) for slot in slots]
        if how.kind is Kind.BATCH:
            assert how.batch is not None
            return self._batch(how.batch, slots) if slots else []
        assert how.call is not None
        call = how.call
        if not slots:
            return []
        info = self.strawberry_info(field, slots[0])
        return self._each(lambda source: call(source, info), slots)

    def _each(self, resolve: Callable[[Any], Any], slots: list[Slot]) -> Values:
        """``resolve`` called on each object: its value, or the exception it raised."""
        values: list[Any] = []
        awaiting: list[int] = []
        is_awaitable = self.executor.is_awaitable
        for slot in slots:
            try:
                value = resolve(slot.source)
            except Exception as error:
                value = error
            if is_awaitable(value):
                awaiting.append(len(values))
            values.append(value)
        return _settled(values, awaiting) if awaiting else values

    def _gated(self, field: FieldPlan, slots: list[Slot], gate: Gate) -> Values:
        """As ``schema.gates.Gate`` does per object: the decision, then the value and the
        audit where it holds, the fallback or FORBIDDEN where it does not."""
        sources = [slot.source for slot in slots]
        verdicts = decide_each(gate.capability, sources, self.context.loaders)
        if any(type(verdict) is not bool and isawaitable(verdict) for verdict in verdicts):
            return self._gated_later(field, slots, gate, verdicts)
        return self._decided(field, slots, gate, verdicts)

    async def _gated_later(
        self, field: FieldPlan, slots: list[Slot], gate: Gate, verdicts: list[Any]
    ) -> list[Any]:
        awaiting = [index for index, verdict in enumerate(verdicts) if isawaitable(verdict)]
        verdicts = await _settled(verdicts, awaiting)
        values = self._decided(field, slots, gate, verdicts)
        return values if isinstance(values, list) else await values

    def _decided(
        self, field: FieldPlan, slots: list[Slot], gate: Gate, verdicts: list[Any]
    ) -> Values:
        if not slots:
            return []
        info = self.strawberry_info(field, slots[0])
        values: list[Any] = [None] * len(slots)
        allowed: list[int] = []
        for index, (slot, verdict) in enumerate(zip(slots, verdicts, strict=True)):
            if isinstance(verdict, Exception):
                values[index] = verdict
            elif verdict:
                if gate.audited:
                    gate.audit(slot.source, info, _response_path(slot))
                allowed.append(index)
            else:
                try:
                    values[index] = gate.denied(slot.source, info)
                except Exception as error:
                    values[index] = error
        computed = self._computed(field, [slots[index] for index in allowed])
        if isinstance(computed, list):
            return _merged(values, allowed, computed, self.executor.is_awaitable)

        async def merge(computed: Awaitable[list[Any]]) -> list[Any]:
            merged = _merged(values, allowed, await computed, self.executor.is_awaitable)
            return merged if isinstance(merged, list) else await merged

        return merge(computed)

    async def _batch(self, many: Many, slots: list[Slot]) -> list[Any]:
        try:
            values = list(await many([slot.source for slot in slots], self.context))
        except Exception as error:
            return [error] * len(slots)
        return values

    def _resolved(self, field: FieldPlan, slots: list[Slot]) -> Values:
        executor = self.executor
        definition = field.definition
        info = self.info(field, slots[0])
        try:
            node = field.details[0].node
            args = (
                get_argument_values(
                    definition, node, executor.variable_values, None, executor.hide_suggestions
                )
                if definition.args or node.arguments
                else {}
            )
        except Exception as error:
            return [error] * len(slots)
        resolve = definition.resolve or executor.field_resolver
        if self._wrap is not None:
            resolve = self._wrap(resolve)
        return self._each(lambda source: resolve(source, info, **args), slots)

    def info(self, field: FieldPlan, slot: Slot) -> GraphQLResolveInfo:
        """One resolve info for the field on every object of the level: resolvers read the
        context, the selection and the variables from it, which are the same for all."""
        path = Path(_path(slot), field.key, field.parent.name)
        return self.executor.build_resolve_info(field.definition, field.nodes, field.parent, path)

    def strawberry_info(self, field: FieldPlan, slot: Slot) -> Info[Any, Any]:
        return Info(_raw_info=self.info(field, slot), _field=field.how.strawberry_field)  # type: ignore[arg-type]

    # -- completion -----------------------------------------------------------------------

    def _complete_leaves(
        self,
        field: FieldPlan,
        slots: list[Slot],
        values: list[Any],
        pending: Pending,
    ) -> None:
        """The common case of a scalar or enum field: each value coerced; nulls, errors and
        values that do not coerce take the general way."""
        coerce = field.coerce
        assert coerce is not None
        key = field.key
        plain: Any = field.plain  # (Any: mypy would narrow the values to object)
        for slot, value in zip(slots, values, strict=True):
            if type(value) is plain and (plain is not int or MIN_INT <= value <= MAX_INT):
                slot.result[key] = value
                continue
            coerced = None
            if value is not None and value is not Undefined and not isinstance(value, Exception):
                try:
                    coerced = coerce(value)
                except Exception:
                    coerced = None
            if coerced is None or coerced is Undefined:
                self._complete_field(field, slot, value, pending)
            else:
                slot.result[key] = coerced

    def _complete_leaf_lists(
        self,
        field: FieldPlan,
        slots: list[Slot],
        values: list[Any],
        pending: Pending,
    ) -> None:
        """The common case of a list of scalars or enums: a list whose items all coerce;
        anything else (null, error, a null item, another iterable) takes the general way."""
        coerce = field.item_coerce
        assert coerce is not None
        plain: Any = field.item_plain
        key = field.key
        for slot, value in zip(slots, values, strict=True):
            if type(value) is not list:
                self._complete_field(field, slot, value, pending)
                continue
            items: list[Any] = []
            for item in value:
                if type(item) is plain and (plain is not int or MIN_INT <= item <= MAX_INT):
                    items.append(item)
                    continue
                if item is None or item is Undefined:
                    break
                try:
                    coerced = coerce(item)
                except Exception:
                    break
                if coerced is None or coerced is Undefined:
                    break
                items.append(coerced)
            if len(items) == len(value):
                slot.result[key] = items
            else:
                self._complete_field(field, slot, value, pending)

    def _complete_objects(
        self, field: FieldPlan, slots: list[Slot], values: list[Any], pending: Pending
    ) -> None:
        """The common case of a field of one object type, or a list of them: objects that
        are what the type says are gathered for the next level; anything else (null,
        error, another type) takes the general way."""
        shape = field.objects
        assert shape is not None
        is_type_of = shape.is_type_of
        accepted = shape.accepted
        info = self._field_info(field) if is_type_of is not None else None
        group = pending.get((id(field), shape.plan.type.name))
        if group is None:
            group = pending[(id(field), shape.plan.type.name)] = (shape.plan, [])
        gathered = group[1]
        key = field.key
        read = shape.plan.read
        result: dict[str, Any] | None

        def checked(value: Any) -> bool:
            """Whether ``value`` is of the field's object type (``is_type_of``)."""
            if is_type_of is None or (accepted is not None and type(value) in accepted):
                return True
            if not is_type_of(value, info):
                return False
            if accepted is not None:
                accepted.add(type(value))
            return True

        def all_checked(items: list[Any]) -> bool:
            for item in items:
                if item is None or (accepted is not None and type(item) in accepted):
                    continue
                if not checked(item):
                    return False
            return True

        for slot, value in zip(slots, values, strict=True):
            if value is None or isinstance(value, Exception):
                self._complete_field(field, slot, value, pending)
                continue
            if not shape.in_list:
                if not checked(value):
                    self._complete_field(field, slot, value, pending)
                    continue
                result = read(value) if read is not None else None
                if result is None:
                    result = {}
                    gathered.append(Slot(value, result, slot.result, key, shape.nullable, slot))
                slot.result[key] = result
                continue
            if not isinstance(value, list) or (is_type_of is not None and not all_checked(value)):
                self._complete_field(field, slot, value, pending)
                continue
            items: list[Any] = []
            slot.result[key] = items
            here = Position(slot.result, key, shape.nullable, slot, None)
            nullable_items = shape.nullable_items
            for index, item in enumerate(value):
                if item is None:
                    items.append(None)
                    if not nullable_items:
                        self._complete(field, shape.item_type, item, items, index, here, pending)
                    continue
                result = read(item) if read is not None else None
                if result is None:
                    result = {}
                    gathered.append(Slot(item, result, items, index, nullable_items, here))
                items.append(result)

    def _complete_field(
        self,
        field: FieldPlan,
        slot: Slot,
        value: Any,
        pending: Pending,
    ) -> None:
        return_type = field.return_type
        result = slot.result
        if isinstance(value, Exception):
            nullable = not isinstance(return_type, GraphQLNonNull)
            self._fail(value, field, result, field.key, slot, nullable)
            return
        self._complete(field, return_type, value, result, field.key, slot, pending)

    def _complete(
        self,
        field: FieldPlan,
        return_type: GraphQLOutputType,
        value: Any,
        holder: dict[str, Any] | list[Any],
        key: str | int,
        up: Position,
        pending: Pending,
    ) -> None:
        nullable = True
        if isinstance(return_type, GraphQLNonNull):
            nullable = False
            return_type = return_type.of_type
            if value is None or value is Undefined:
                message = (
                    f"Cannot return null for non-nullable field {field.parent.name}.{field.name}."
                )
                self._fail(TypeError(message), field, holder, key, up, False)
                return
        if value is None or value is Undefined:
            holder[key] = None  # type: ignore[index]
            return
        if is_leaf_type(return_type):
            try:
                coerced = return_type.coerce_output_value(value)
                if coerced is Undefined or coerced is None:
                    raise TypeError(
                        f"Expected `{inspect(return_type)}.coerce_output_value("
                        f"{inspect(value)})` to return non-nullable value, returned:"
                        f" {inspect(coerced)}"
                    )
            except Exception as error:
                self._fail(error, field, holder, key, up, nullable)
                return
            holder[key] = coerced  # type: ignore[index]
            return
        if isinstance(return_type, GraphQLList):
            here = Position(holder, key, nullable, up, None)
            if not is_iterable(value):
                message = (
                    "Expected Iterable, but did not find one for field"
                    f" '{field.parent.name}.{field.name}'."
                )
                self._fail(GraphQLError(message), field, holder, key, up, nullable)
                return
            items: list[Any] = []
            holder[key] = items  # type: ignore[index]
            item_type = return_type.of_type
            for index, item in enumerate(value):
                items.append(None)
                self._complete(field, item_type, item, items, index, here, pending)
            return
        try:
            object_type = self._object_type(field, return_type, value)
        except Exception as error:
            self._fail(error, field, holder, key, up, nullable)
            return
        result: dict[str, Any] = {}
        holder[key] = result  # type: ignore[index]
        plan = field.selections[object_type.name]
        group = pending.get((id(field), object_type.name))
        if group is None:
            group = pending[(id(field), object_type.name)] = (plan, [])
        group[1].append(Slot(value, result, holder, key, nullable, up))

    def _object_type(
        self, field: FieldPlan, return_type: GraphQLOutputType, value: Any
    ) -> GraphQLObjectType:
        """The object type of a value, checked as graphql-core checks it."""
        executor = self.executor
        if not isinstance(return_type, GraphQLObjectType):
            abstract = cast("GraphQLAbstractType", return_type)
            info = self._field_info(field)
            resolve_type = abstract.resolve_type or executor.type_resolver
            name = resolve_type(value, info, abstract)
            if executor.is_awaitable(name):
                raise TypeError(f"{abstract} resolved its type asynchronously.")
            return executor.ensure_valid_runtime_type(
                name,
                abstract,
                field.details,
                info,
                value,
            )
        if return_type.is_type_of is not None:
            info = self._field_info(field)
            if not return_type.is_type_of(value, info):
                raise GraphQLError(
                    f"Expected value of type '{return_type.name}' but got: {inspect(value)}.",
                    field.nodes,
                )
        return return_type

    def _field_info(self, field: FieldPlan) -> GraphQLResolveInfo:
        """A resolve info for the type checks of the field's values (they read no path)."""
        info = self._infos.get(id(field))
        if info is None:
            path = Path(None, field.key, field.parent.name)
            info = self._infos[id(field)] = self.executor.build_resolve_info(
                field.definition, field.nodes, field.parent, path
            )
        return info

    def _attached(self, position: Position | None) -> bool:
        while position is not None:
            if id(position) in self._nulled:
                return False
            position = position.up
        return True

    def _fail(
        self,
        raw: Exception,
        field: FieldPlan,
        holder: dict[str, Any] | list[Any],
        key: str | int,
        up: Position,
        nullable: bool,
    ) -> None:
        """Locates the error at ``holder[key]`` and nulls the nearest nullable position."""
        error = located_error(raw, field.nodes, Path(_path(up), key, None).as_list())
        errors = self.executor.collected_errors
        if nullable:
            holder[key] = None  # type: ignore[index]
            errors.add(error, Path(_path(up), key, None))
            return
        position: Position | None = up
        while position is not None and not position.nullable:
            position = position.up
        if position is None or position.holder is None:
            errors.add(error, None)
            self.data = None
            return
        position.holder[position.key] = None  # type: ignore[index]
        self._nulled.add(id(position))
        errors.add(error, _path(position))


def _path(position: Position) -> Path | None:
    """The response path of a position (None for the response itself), built on demand."""
    if position.holder is None:
        return None
    if position.path is None:
        assert position.up is not None and position.key is not None
        position.path = Path(_path(position.up), position.key, None)
    return position.path


def _response_path(position: Position) -> tuple[str | int, ...]:
    path = _path(position)
    return tuple(path.as_list()) if path is not None else ()


def _global_id(type_name: str, source: Any, name: str) -> Any:
    try:
        return to_base64(type_name, str(getattr(source, name)))
    except Exception as error:
        return error


def _attribute(source: Any, name: str) -> Any:
    try:
        return getattr(source, name)
    except Exception as error:
        return error


def _merged(
    values: list[Any],
    allowed: list[int],
    computed: list[Any],
    is_awaitable: Callable[[Any], bool],
) -> Values:
    """The allowed objects' values put among the others'; fallbacks may be awaitable."""
    for index, value in zip(allowed, computed, strict=True):
        values[index] = value
    awaiting = [index for index, value in enumerate(values) if is_awaitable(value)]
    return _settled(values, awaiting) if awaiting else values


async def _settled(values: list[Any], awaiting: list[int]) -> list[Any]:
    """The awaitable values (at ``awaiting``) replaced by what they give, or the exception
    they raise. Each runs as a task of its own: stepping them in this task instead would put
    their timeouts (``asyncio.timeout`` cancels the task it runs in) on this one, and a
    statement's timeout would end the whole request as cancelled."""
    done = await asyncio.gather(*(values[index] for index in awaiting), return_exceptions=True)
    for index, value in zip(awaiting, done, strict=True):
        if isinstance(value, BaseException) and not isinstance(value, Exception):
            raise value
        values[index] = value
    return values
